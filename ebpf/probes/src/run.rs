//! What a program run asks the kernel for once at most, and only if it
//! needs it: the current task and the time.

use crate::{emit, task};

pub struct Run {
    pub task: task::Current,
    pub clock: emit::Clock,
    /// The run found an accepted connection's owner and has not reported
    /// the accept yet: the flow it opens may carry it (capture.rs).
    pub accept_pending: bool,
}

impl Run {
    #[inline(always)]
    pub fn new() -> Run {
        Run {
            task: task::Current::unknown(),
            clock: emit::Clock::unread(),
            accept_pending: false,
        }
    }
}
