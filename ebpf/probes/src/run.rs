//! What a program run asks the kernel for once at most, and only if it
//! needs it: the current task and the time.

use crate::{emit, task};

pub struct Run {
    pub task: task::Current,
    pub clock: emit::Clock,
}

impl Run {
    #[inline(always)]
    pub fn new() -> Run {
        Run {
            task: task::Current::unknown(),
            clock: emit::Clock::unread(),
        }
    }
}
