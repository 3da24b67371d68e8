//! Summary statistics over simulated durations: exact, integer, and independent of input order.

use serde::{Deserialize, Serialize};

use crate::time::Duration;

/// Distribution summary of a set of durations (nearest-rank percentiles, integer picoseconds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distribution {
    /// Number of samples.
    pub count: u64,
    /// Smallest sample.
    pub min: Duration,
    /// Arithmetic mean, rounded down to a whole picosecond.
    pub mean: Duration,
    /// Median (nearest rank).
    pub p50: Duration,
    /// 90th percentile (nearest rank).
    pub p90: Duration,
    /// 99th percentile (nearest rank).
    pub p99: Duration,
    /// Largest sample.
    pub max: Duration,
}

impl Distribution {
    /// Summarises `samples`; an empty set gives all zeros with `count == 0`.
    pub fn of(samples: &[Duration]) -> Distribution {
        if samples.is_empty() {
            return Distribution::default();
        }
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let total: u128 = sorted.iter().map(|d| u128::from(d.as_ps())).sum();
        let count = sorted.len() as u64;
        Distribution {
            count,
            min: sorted[0],
            mean: Duration::from_ps((total / u128::from(count)) as u64),
            p50: nearest_rank(&sorted, 50),
            p90: nearest_rank(&sorted, 90),
            p99: nearest_rank(&sorted, 99),
            max: sorted[sorted.len() - 1],
        }
    }
}

/// The nearest-rank `percent`-th percentile of a non-empty sorted slice.
pub fn nearest_rank(sorted: &[Duration], percent: u64) -> Duration {
    let n = sorted.len() as u64;
    let rank = (percent * n).div_ceil(100).max(1);
    sorted[(rank - 1) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ps(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&v| Duration::from_ps(v)).collect()
    }

    #[test]
    fn nearest_rank_percentiles_of_one_to_hundred() {
        let samples = ps(&(1..=100).rev().collect::<Vec<_>>());
        let d = Distribution::of(&samples);
        assert_eq!(d.count, 100);
        assert_eq!(d.min.as_ps(), 1);
        assert_eq!(d.p50.as_ps(), 50);
        assert_eq!(d.p90.as_ps(), 90);
        assert_eq!(d.p99.as_ps(), 99);
        assert_eq!(d.max.as_ps(), 100);
        assert_eq!(d.mean.as_ps(), 50); // 50.5 rounded down
    }

    #[test]
    fn single_sample_is_every_percentile() {
        let d = Distribution::of(&ps(&[7]));
        assert_eq!((d.p50.as_ps(), d.p99.as_ps(), d.mean.as_ps()), (7, 7, 7));
    }

    #[test]
    fn empty_is_zero() {
        assert_eq!(Distribution::of(&[]).count, 0);
    }
}
