//! Small statistics over run results: medians, percentiles, ratios.

/// The median of `values` (the mean of the middle two for an even count);
/// `None` when empty. NaNs are not expected and sort last.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 {
        sorted[middle]
    } else {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    })
}

/// The smallest of `values`; `None` when empty.
pub fn min(values: &[f64]) -> Option<f64> {
    values.iter().copied().min_by(f64::total_cmp)
}

/// The `p`-th percentile (0 < p ≤ 100) of `sorted` (ascending) by the
/// nearest-rank method: the smallest value with at least p % of the values at
/// or below it. `None` when empty.
pub fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// `with / without`, or `None` when `without` is not positive.
pub fn ratio(with: f64, without: f64) -> Option<f64> {
    (without > 0.0).then(|| with / without)
}

/// Pairs each run with the other kind in its pair and returns the median of
/// the per-pair ratios `with / without`. `runs` holds `(with_agent, value)` in
/// run order; pairs are consecutive runs (0,1), (2,3)…, each with one of each.
pub fn median_pair_ratio(runs: &[(bool, f64)]) -> Option<f64> {
    let ratios: Vec<f64> = runs
        .chunks_exact(2)
        .filter_map(|pair| {
            let with = pair.iter().find(|(agent, _)| *agent)?.1;
            let without = pair.iter().find(|(agent, _)| !*agent)?.1;
            ratio(with, without)
        })
        .collect();
    median(&ratios)
}

/// Whether run `index` of an alternating A/B/B/A… sequence is a with-agent run:
/// pair 0 is (without, with), pair 1 (with, without), and so on, so neither
/// kind always goes first (warming caches, or riding a noise trend).
pub fn with_agent_at(index: usize) -> bool {
    // Even pairs put the agent second, odd pairs first.
    (index / 2 + index % 2) % 2 == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(min(&[4.0, 1.5, 3.0]), Some(1.5));
        assert_eq!(min(&[]), None);
    }

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&values, 50.0), Some(50));
        assert_eq!(percentile(&values, 99.0), Some(99));
        assert_eq!(percentile(&values, 99.9), Some(100));
        assert_eq!(percentile(&values, 100.0), Some(100));
        assert_eq!(percentile(&values, 0.0), Some(1));
        assert_eq!(percentile(&[7], 99.0), Some(7));
        assert_eq!(percentile(&[], 50.0), None);
        // 10 values: p99 is the 10th, p90 the 9th.
        let ten: Vec<u64> = (10..20).collect();
        assert_eq!(percentile(&ten, 99.0), Some(19));
        assert_eq!(percentile(&ten, 90.0), Some(18));
    }

    #[test]
    fn ratios_pair_runs_in_order() {
        assert_eq!(ratio(1.0, 0.0), None);
        assert_eq!(ratio(3.0, 2.0), Some(1.5));
        let runs = [
            (false, 100.0),
            (true, 90.0), // 0.9
            (true, 80.0),
            (false, 100.0), // 0.8
            (false, 100.0),
            (true, 95.0), // 0.95
        ];
        assert_eq!(median_pair_ratio(&runs), Some(0.9));
        // An incomplete last pair, or a pair of one kind, is skipped.
        assert_eq!(median_pair_ratio(&[(false, 1.0)]), None);
        assert_eq!(median_pair_ratio(&[(true, 1.0), (true, 2.0)]), None);
    }

    #[test]
    fn runs_alternate_abba() {
        let order: Vec<bool> = (0..8).map(with_agent_at).collect();
        assert_eq!(order, [false, true, true, false, false, true, true, false]);
    }
}
