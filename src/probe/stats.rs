//! Summaries of measured samples: min, percentiles, max.

/// A summary of samples (milliseconds, usually).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// How many samples.
    pub count: usize,
    /// The smallest.
    pub min: f64,
    /// The mean.
    pub avg: f64,
    /// The median (nearest rank).
    pub p50: f64,
    /// 90th percentile (nearest rank).
    pub p90: f64,
    /// 99th percentile (nearest rank).
    pub p99: f64,
    /// The largest.
    pub max: f64,
}

impl Summary {
    /// Summarises `samples`; `None` when there are none (or only NaNs).
    ///
    /// ```text
    /// let s = netrig::probe::Summary::of(&[3.0, 1.0, 2.0, 4.0]).unwrap();
    /// assert_eq!((s.min, s.p50, s.max, s.avg), (1.0, 2.0, 4.0, 2.5));
    /// ```
    pub fn of(samples: &[f64]) -> Option<Summary> {
        let mut sorted: Vec<f64> = samples.iter().copied().filter(|x| !x.is_nan()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let avg = sorted.iter().sum::<f64>() / sorted.len() as f64;
        Some(Summary {
            count: sorted.len(),
            min: sorted[0],
            avg: (avg * 1000.0).round() / 1000.0,
            p50: percentile(&sorted, 50.0),
            p90: percentile(&sorted, 90.0),
            p99: percentile(&sorted, 99.0),
            max: sorted[sorted.len() - 1],
        })
    }
}

/// The nearest-rank percentile `p` (0–100] of sorted, non-empty samples:
/// the smallest sample with at least `p` % of the samples at or below it,
/// so every figure reported is one that was measured.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&hundred, 50.0), 50.0);
        assert_eq!(percentile(&hundred, 90.0), 90.0);
        assert_eq!(percentile(&hundred, 99.0), 99.0);
        assert_eq!(percentile(&hundred, 100.0), 100.0);
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        // With 10 samples p99 is the largest one: there is no finer rank.
        assert_eq!(percentile(&ten, 99.0), 10.0);
        assert_eq!(percentile(&ten, 50.0), 5.0);
        assert_eq!(percentile(&[7.0], 1.0), 7.0);
    }

    #[test]
    fn summaries_ignore_order_and_nans() {
        let s = Summary::of(&[5.0, f64::NAN, 1.0, 9.0]).unwrap();
        assert_eq!(
            (s.count, s.min, s.p50, s.p90, s.max),
            (3, 1.0, 5.0, 9.0, 9.0)
        );
        assert_eq!(s.avg, 5.0);
        assert!(Summary::of(&[]).is_none());
        assert!(Summary::of(&[f64::NAN]).is_none());
    }
}
