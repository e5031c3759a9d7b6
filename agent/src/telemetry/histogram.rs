//! Explicit-bucket histograms of atomics: what every duration and count
//! instrument on /metrics is made of.
//!
//! Observations are integers (nanoseconds, counts) so bucketing is exact;
//! [`Buckets`] says how they read in the exposition (seconds, plain).

use std::sync::atomic::{AtomicU64, Ordering};

/// The bucket boundaries of an instrument, in observation units, and the
/// factor that turns those units into the exposed ones.
#[derive(Debug)]
pub struct Buckets {
    /// Inclusive upper bounds, ascending; +Inf is implied.
    pub bounds: &'static [u64],
    /// Observation units per exposed unit (1e9 for ns shown as seconds).
    pub per_unit: f64,
}

/// Semantic-convention boundaries of `http.*.request.duration`, in ns.
pub const HTTP_DURATION: Buckets = Buckets {
    bounds: &[
        5_000_000,
        10_000_000,
        25_000_000,
        50_000_000,
        75_000_000,
        100_000_000,
        250_000_000,
        500_000_000,
        750_000_000,
        1_000_000_000,
        2_500_000_000,
        5_000_000_000,
        7_500_000_000,
        10_000_000_000,
    ],
    per_unit: 1e9,
};

/// Semantic-convention boundaries of `db.client.operation.duration`, in ns.
pub const DB_DURATION: Buckets = Buckets {
    bounds: &[
        1_000_000,
        5_000_000,
        10_000_000,
        50_000_000,
        100_000_000,
        500_000_000,
        1_000_000_000,
        5_000_000_000,
        10_000_000_000,
    ],
    per_unit: 1e9,
};

/// Boundaries of a per-request count (queries per request).
pub const PER_REQUEST_COUNT: Buckets = Buckets {
    bounds: &[0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    per_unit: 1.0,
};

/// Most boundaries any instrument has.
const MAX_BUCKETS: usize = 16;

/// One series: non-cumulative bucket counts and the sum.
#[derive(Debug)]
pub struct Histogram {
    buckets: &'static Buckets,
    counts: [AtomicU64; MAX_BUCKETS],
    sum: AtomicU64,
}

impl Histogram {
    pub fn new(buckets: &'static Buckets) -> Histogram {
        debug_assert!(buckets.bounds.len() < MAX_BUCKETS);
        Histogram {
            buckets,
            counts: Default::default(),
            sum: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, value: u64) {
        let bounds = self.buckets.bounds;
        let bucket = bounds
            .partition_point(|&bound| bound < value)
            .min(MAX_BUCKETS - 1);
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(value, Ordering::Relaxed);
    }

    /// Sum, count, and `(upper bound, count)` per bucket in exposed units,
    /// as the encoder wants them (`f64::MAX` for +Inf). The count is the
    /// buckets' total, so `_count` always equals the +Inf bucket.
    pub fn snapshot(&self) -> (f64, u64, Vec<(f64, u64)>) {
        let per_unit = self.buckets.per_unit;
        let buckets: Vec<(f64, u64)> = self
            .buckets
            .bounds
            .iter()
            .map(|&bound| bound as f64 / per_unit)
            .chain([f64::MAX])
            .zip(&self.counts)
            .map(|(bound, count)| (bound, count.load(Ordering::Relaxed)))
            .collect();
        let count = buckets.iter().map(|(_, count)| count).sum();
        let sum = self.sum.load(Ordering::Relaxed) as f64 / per_unit;
        (sum, count, buckets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_bounds_are_inclusive_and_units_converted() {
        let histogram = Histogram::new(&DB_DURATION);
        for ns in [1, 1_000_000, 1_000_001, 20_000_000_000] {
            histogram.observe(ns);
        }
        let (sum, count, buckets) = histogram.snapshot();
        assert_eq!(count, 4);
        assert!((sum - 20.002_000_002).abs() < 1e-9, "{sum}");
        assert_eq!(buckets.len(), DB_DURATION.bounds.len() + 1);
        assert_eq!(buckets[0], (0.001, 2));
        assert_eq!(buckets[1], (0.005, 1));
        assert_eq!(buckets.last(), Some(&(f64::MAX, 1)));
    }

    #[test]
    fn counts_of_zero_have_their_bucket() {
        let histogram = Histogram::new(&PER_REQUEST_COUNT);
        for queries in [0, 0, 1, 21, 5000] {
            histogram.observe(queries);
        }
        let (sum, count, buckets) = histogram.snapshot();
        assert_eq!((sum, count), (5022.0, 5));
        assert_eq!(buckets[0], (0.0, 2));
        assert_eq!(buckets[1], (1.0, 1));
        assert_eq!(buckets[6], (50.0, 1));
        assert_eq!(buckets.last(), Some(&(f64::MAX, 1)));
    }
}
