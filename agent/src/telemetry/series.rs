//! Histogram series keyed by the values of a fixed list of labels, with a
//! cap on how many label sets exist.
//!
//! Recording is a hash of the borrowed values, a shared read lock and
//! relaxed atomic adds; a new label set takes the write lock once. Past the
//! cap, observations go to one series labelled `otel_metric_overflow="true"`
//! (as the OpenTelemetry SDKs do) and are counted, so totals stay exact.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;

use super::collector::Escaped;
use super::histogram::{Buckets, Histogram};
use crate::events::kernel_keyed::KernelKeyedMap;

/// How a family is exposed: its name (without unit), help and unit, and the
/// Prometheus names of its `N` labels.
#[derive(Debug)]
pub struct Family<const N: usize> {
    pub name: &'static str,
    pub help: &'static str,
    pub unit: Option<Unit>,
    pub labels: [&'static str; N],
    pub buckets: &'static Buckets,
}

/// Series by the hash of their values (a collision shares a list), and
/// how many there are.
/// The hashes are keyed with a random seed already: foldhash suffices.
type Table<const N: usize> = (KernelKeyedMap<u64, Vec<Arc<Series<N>>>>, usize);

#[derive(Debug)]
struct Series<const N: usize> {
    /// Label values; an absent one is left out of the exposition.
    values: [Option<String>; N],
    histogram: Histogram,
}

/// The series of one histogram family.
#[derive(Debug)]
pub struct SeriesTable<const N: usize> {
    family: Family<N>,
    hasher: RandomState,
    table: RwLock<Table<N>>,
    max_series: usize,
    overflow: Histogram,
    overflowed: AtomicU64,
}

impl<const N: usize> SeriesTable<N> {
    pub fn new(family: Family<N>, max_series: usize) -> SeriesTable<N> {
        SeriesTable {
            overflow: Histogram::new(family.buckets),
            family,
            hasher: RandomState::new(),
            table: RwLock::new((KernelKeyedMap::default(), 0)),
            max_series,
            overflowed: AtomicU64::new(0),
        }
    }

    /// Observations recorded in the overflow series.
    pub fn overflowed(&self) -> u64 {
        self.overflowed.load(Ordering::Relaxed)
    }

    /// Records `value` in the series of `values`.
    pub fn record(&self, values: [Option<&str>; N], value: u64) {
        let hash = self.hasher.hash_one(values);
        {
            let table = self.table.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(series) = find(&table.0, hash, &values) {
                series.histogram.observe(value);
                return;
            }
        }
        let mut table = self.table.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(series) = find(&table.0, hash, &values) {
            series.histogram.observe(value);
            return;
        }
        if table.1 >= self.max_series {
            drop(table);
            self.overflow.observe(value);
            self.overflowed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let series = Series {
            values: values.map(|value| value.map(str::to_string)),
            histogram: Histogram::new(self.family.buckets),
        };
        series.histogram.observe(value);
        table.0.entry(hash).or_default().push(Arc::new(series));
        table.1 += 1;
    }

    /// The family and its series, sorted by label values for a stable
    /// exposition.
    pub fn encode(&self, encoder: &mut DescriptorEncoder) -> fmt::Result {
        let mut series: Vec<Arc<Series<N>>> = {
            let table = self.table.read().unwrap_or_else(PoisonError::into_inner);
            table.0.values().flatten().cloned().collect()
        };
        series.sort_unstable_by(|a, b| a.values.cmp(&b.values));
        let family = &self.family;
        let mut encoder = encoder.encode_descriptor(
            family.name,
            family.help,
            family.unit.as_ref(),
            MetricType::Histogram,
        )?;
        for series in &series {
            let labels: Vec<(&str, Escaped<'_>)> = family
                .labels
                .iter()
                .zip(&series.values)
                .filter_map(|(name, value)| Some((*name, Escaped(value.as_deref()?))))
                .collect();
            let (sum, count, buckets) = series.histogram.snapshot();
            encoder
                .encode_family(&labels)?
                .encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?;
        }
        let (sum, count, buckets) = self.overflow.snapshot();
        if count > 0 {
            encoder
                .encode_family(&[("otel_metric_overflow", Escaped("true"))])?
                .encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?;
        }
        Ok(())
    }
}

fn find<'t, const N: usize>(
    table: &'t KernelKeyedMap<u64, Vec<Arc<Series<N>>>>,
    hash: u64,
    values: &[Option<&str>; N],
) -> Option<&'t Arc<Series<N>>> {
    table.get(&hash)?.iter().find(|series| {
        series
            .values
            .iter()
            .zip(values)
            .all(|(have, want)| have.as_deref() == *want)
    })
}
