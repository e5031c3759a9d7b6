//! What a program run asks the kernel for once at most, and only if it
//! needs it: the current task and the time.

use core::{mem::MaybeUninit, ptr::addr_of_mut};

use crate::{emit, task};

pub struct Run {
    pub task: task::Current,
    pub clock: emit::Clock,
    /// The run found an accepted connection's owner and has not reported
    /// the accept yet: the flow it opens may carry it (capture.rs).
    pub accept_pending: bool,
}

impl Run {
    /// A run that knows nothing yet, made in `slot`: in place and a field
    /// at a time (volatile), since zeroes next to each other, or a struct
    /// moved after being zeroed, become a call to this target's memset,
    /// which loops a byte at a time, at every run.
    #[inline(always)]
    pub fn start(slot: &mut MaybeUninit<Run>) -> &mut Run {
        let at = slot.as_mut_ptr();
        // SAFETY: every field written.
        unsafe {
            addr_of_mut!((*at).task).write(task::Current::unknown());
            emit::Clock::unread_at(addr_of_mut!((*at).clock));
            addr_of_mut!((*at).accept_pending).write_volatile(false);
            slot.assume_init_mut()
        }
    }
}
