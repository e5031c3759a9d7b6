//! Batches of output records from the reader to the writer thread: one
//! hand-off (and at most one wakeup) per drain of the ring buffer instead of
//! one per record, with the records in flight bounded.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use tokio::sync::mpsc;

use super::output::OutputRecord;

/// Records one batch holds at most: the bound is `capacity` plus this.
pub const MAX_BATCH: usize = 4096;

/// The reader's end.
pub struct BatchSender {
    batches: mpsc::UnboundedSender<Vec<OutputRecord>>,
    in_flight: Arc<AtomicUsize>,
    capacity: usize,
}

/// The writer's end.
pub struct BatchReceiver {
    batches: mpsc::UnboundedReceiver<Vec<OutputRecord>>,
    in_flight: Arc<AtomicUsize>,
}

/// A channel holding about `capacity` records at most.
pub fn channel(capacity: usize) -> (BatchSender, BatchReceiver) {
    let (tx, rx) = mpsc::unbounded_channel();
    let in_flight = Arc::new(AtomicUsize::new(0));
    (
        BatchSender {
            batches: tx,
            in_flight: in_flight.clone(),
            capacity: capacity.max(1),
        },
        BatchReceiver {
            batches: rx,
            in_flight,
        },
    )
}

impl BatchSender {
    /// Hands `batch` over, or gives it back when `capacity` records are
    /// already waiting (or the writer is gone): the caller counts it dropped.
    pub fn send(&self, batch: Vec<OutputRecord>) -> Result<(), Vec<OutputRecord>> {
        if batch.is_empty() {
            return Ok(());
        }
        let len = batch.len();
        if self.in_flight.load(Ordering::Acquire) >= self.capacity {
            return Err(batch);
        }
        self.in_flight.fetch_add(len, Ordering::AcqRel);
        self.batches.send(batch).map_err(|returned| {
            self.in_flight.fetch_sub(len, Ordering::AcqRel);
            returned.0
        })
    }
}

impl BatchReceiver {
    /// The next batch, blocking the thread; None once the sender is gone
    /// and everything was received.
    pub fn blocking_recv(&mut self) -> Option<Vec<OutputRecord>> {
        let batch = self.batches.blocking_recv()?;
        self.in_flight.fetch_sub(batch.len(), Ordering::AcqRel);
        Some(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{http::exchange::Role, traces::Span};

    fn records(n: usize) -> Vec<OutputRecord> {
        let span = || Span {
            trace_id: [1; 16],
            span_id: [2; 8],
            parent_span_id: None,
            kind: Role::Server,
            name: Default::default(),
            start_ns: 0,
            end_ns: 0,
            attributes: Vec::new(),
            error_type: None,
        };
        (0..n).map(|_| OutputRecord::Span(span())).collect()
    }

    #[test]
    fn batches_beyond_the_capacity_are_given_back() {
        let (tx, mut rx) = channel(3);
        assert!(tx.send(records(2)).is_ok());
        assert!(tx.send(records(2)).is_ok(), "2 < 3 waiting: accepted");
        let refused = tx.send(records(1)).unwrap_err();
        assert_eq!(refused.len(), 1);
        assert_eq!(rx.blocking_recv().map(|b| b.len()), Some(2));
        assert_eq!(rx.blocking_recv().map(|b| b.len()), Some(2));
        assert!(tx.send(records(1)).is_ok(), "room again once received");
        drop(tx);
        assert_eq!(rx.blocking_recv().map(|b| b.len()), Some(1));
        assert!(rx.blocking_recv().is_none());
    }

    #[test]
    fn a_gone_writer_gives_the_batch_back() {
        let (tx, rx) = channel(10);
        drop(rx);
        assert_eq!(tx.send(records(2)).unwrap_err().len(), 2);
        assert!(tx.send(Vec::new()).is_ok());
    }
}
