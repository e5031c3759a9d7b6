//! A bounded queue between the output thread and the exporter: pushing
//! never blocks, and when it is full the oldest items make room (the
//! newest telemetry is the most useful once a collector comes back).

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// Items waiting for export, at most `capacity` of them.
#[derive(Debug)]
pub struct ExportQueue<T> {
    state: Mutex<State<T>>,
    pushed: Notify,
    capacity: usize,
}

#[derive(Debug)]
struct State<T> {
    items: VecDeque<T>,
    closed: bool,
}

impl<T> ExportQueue<T> {
    pub fn new(capacity: usize) -> ExportQueue<T> {
        ExportQueue {
            state: Mutex::new(State {
                items: VecDeque::new(),
                closed: false,
            }),
            pushed: Notify::new(),
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends `items`, dropping the oldest beyond the capacity; returns how
    /// many were dropped (items pushed after [`ExportQueue::close`] are all
    /// dropped).
    pub fn push(&self, items: impl IntoIterator<Item = T>) -> u64 {
        let mut state = self.lock();
        let mut dropped = 0;
        if state.closed {
            return items.into_iter().count() as u64;
        }
        for item in items {
            if state.items.len() >= self.capacity {
                state.items.pop_front();
                dropped += 1;
            }
            state.items.push_back(item);
        }
        drop(state);
        self.pushed.notify_waiters();
        dropped
    }

    /// Items waiting.
    pub fn len(&self) -> usize {
        self.lock().items.len()
    }

    /// No more pushes: [`ExportQueue::take`] hands out what is left, then
    /// None.
    pub fn close(&self) {
        self.lock().closed = true;
        self.pushed.notify_waiters();
    }

    /// Takes everything left (at shutdown).
    pub fn drain(&self) -> Vec<T> {
        self.lock().items.drain(..).collect()
    }

    /// The next batch: up to `max` items, once `max` are waiting or `linger`
    /// has passed since this consumer first saw some. None once closed and
    /// empty. Several consumers may wait at once.
    pub async fn take(&self, max: usize, linger: Duration) -> Option<Vec<T>> {
        let max = max.max(1);
        let mut deadline: Option<Instant> = None;
        loop {
            let notified = self.pushed.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered before the state is read, so a push or close
            // between the read and the wait still wakes this consumer.
            notified.as_mut().enable();
            {
                let mut state = self.lock();
                let waiting = state.items.len();
                let lingered = deadline.is_some_and(|at| Instant::now() >= at);
                if waiting >= max || (waiting > 0 && (lingered || state.closed)) {
                    let n = waiting.min(max);
                    return Some(state.items.drain(..n).collect());
                }
                if state.closed {
                    return None;
                }
                if waiting == 0 {
                    // Another consumer took them: linger anew on the next.
                    deadline = None;
                } else if deadline.is_none() {
                    deadline = Some(Instant::now() + linger);
                }
            }
            match deadline {
                Some(at) => {
                    let _ = tokio::time::timeout_at(at, notified).await;
                }
                None => notified.await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap()
    }

    #[test]
    fn the_oldest_items_make_room() {
        let queue = ExportQueue::new(3);
        assert_eq!(queue.push([1, 2]), 0);
        assert_eq!(queue.push([3, 4, 5]), 2);
        assert_eq!(queue.len(), 3);
        assert_eq!(queue.drain(), vec![3, 4, 5]);
    }

    #[test]
    fn a_full_batch_goes_at_once_a_partial_one_after_the_linger() {
        runtime().block_on(async {
            let queue = ExportQueue::new(100);
            queue.push(0..10);
            let started = Instant::now();
            assert_eq!(
                queue.take(4, Duration::from_secs(5)).await,
                Some(vec![0, 1, 2, 3])
            );
            assert_eq!(started.elapsed(), Duration::ZERO);
            queue.drain();
            queue.push([7]);
            let batch = queue.take(4, Duration::from_secs(5)).await;
            assert_eq!(batch, Some(vec![7]));
            assert_eq!(started.elapsed(), Duration::from_secs(5));
        });
    }

    #[test]
    fn closing_hands_out_the_rest_then_ends() {
        runtime().block_on(async {
            let queue = ExportQueue::new(100);
            queue.push([1, 2]);
            queue.close();
            assert_eq!(queue.push([3]), 1, "pushed after close: dropped");
            assert_eq!(
                queue.take(10, Duration::from_secs(60)).await,
                Some(vec![1, 2])
            );
            assert_eq!(queue.take(10, Duration::from_secs(60)).await, None);
        });
    }

    #[test]
    fn a_waiting_consumer_wakes_on_push() {
        runtime().block_on(async {
            let queue = std::sync::Arc::new(ExportQueue::new(100));
            let pusher = {
                let queue = queue.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    queue.push([1, 2, 3]);
                })
            };
            assert_eq!(
                queue.take(3, Duration::from_secs(60)).await,
                Some(vec![1, 2, 3])
            );
            pusher.await.unwrap();
        });
    }

    #[test]
    fn two_consumers_share_the_items_and_both_see_the_close() {
        runtime().block_on(async {
            let queue = std::sync::Arc::new(ExportQueue::new(100));
            let consumer = |queue: std::sync::Arc<ExportQueue<u32>>| async move {
                let mut taken = Vec::new();
                while let Some(batch) = queue.take(2, Duration::from_secs(1)).await {
                    taken.extend(batch);
                }
                taken
            };
            let a = tokio::spawn(consumer(queue.clone()));
            let b = tokio::spawn(consumer(queue.clone()));
            for i in 0..5 {
                tokio::time::sleep(Duration::from_millis(300)).await;
                queue.push([2 * i, 2 * i + 1]);
            }
            // One item left alone: handed out after the linger, not spun on.
            queue.push([10]);
            tokio::time::sleep(Duration::from_secs(2)).await;
            queue.close();
            let (a, b) = (a.await.unwrap(), b.await.unwrap());
            let mut all: Vec<u32> = a.iter().chain(&b).copied().collect();
            all.sort_unstable();
            assert_eq!(all, (0..=10).collect::<Vec<_>>());
        });
    }
}
