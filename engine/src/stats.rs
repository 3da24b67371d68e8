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
    ///
    /// Exact nearest-rank percentiles by sorting, kept by hand on purpose: runs that keep their
    /// samples report them to the picosecond, which a histogram or sketch would round; runs too
    /// large to keep them use [`StreamingDistribution`] (HdrHistogram) instead.
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

/// Significant decimal digits a [`StreamingDistribution`] keeps: its percentiles are within
/// 0.1% of the exact nearest-rank figures.
pub const STREAMING_DIGITS: u8 = 3;

/// A [`Distribution`] gathered one sample at a time without storing the samples: an
/// HdrHistogram of [`STREAMING_DIGITS`] significant digits for the percentiles, and the exact
/// count, sum, minimum and maximum. Memory is fixed (about 100 KB per decade of range used),
/// whatever the number of samples, which is what a run of a million chips needs.
#[derive(Clone, Debug)]
pub struct StreamingDistribution {
    histogram: hdrhistogram::Histogram<u64>,
    count: u64,
    total: u128,
    min: u64,
    max: u64,
}

impl Default for StreamingDistribution {
    fn default() -> Self {
        StreamingDistribution {
            // Auto-resizing: any u64 can be recorded.
            histogram: hdrhistogram::Histogram::new(STREAMING_DIGITS)
                .expect("3 significant digits are within HdrHistogram's 0..=5"),
            count: 0,
            total: 0,
            min: u64::MAX,
            max: 0,
        }
    }
}

impl StreamingDistribution {
    /// Adds one sample.
    pub fn record(&mut self, sample: Duration) {
        let ps = sample.as_ps();
        // An auto-resizing histogram takes every value; a failure would only lose one sample
        // of the percentiles, never the exact count, sum, minimum or maximum.
        let _ = self.histogram.record(ps);
        self.count += 1;
        self.total += u128::from(ps);
        self.min = self.min.min(ps);
        self.max = self.max.max(ps);
    }

    /// The distribution so far: exact count, minimum, mean and maximum; percentiles within
    /// 0.1%, never outside the minimum and maximum.
    pub fn distribution(&self) -> Distribution {
        if self.count == 0 {
            return Distribution::default();
        }
        let at = |percent: f64| {
            let value = self.histogram.value_at_quantile(percent / 100.0);
            Duration::from_ps(value.clamp(self.min, self.max))
        };
        Distribution {
            count: self.count,
            min: Duration::from_ps(self.min),
            mean: Duration::from_ps((self.total / u128::from(self.count)) as u64),
            p50: at(50.0),
            p90: at(90.0),
            p99: at(99.0),
            max: Duration::from_ps(self.max),
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
        assert_eq!(StreamingDistribution::default().distribution().count, 0);
    }

    /// The streamed distribution of a wide, uneven set of samples: exact count, minimum, mean
    /// and maximum, and percentiles within 0.1% of the exact ones.
    #[test]
    fn streamed_percentiles_are_within_a_thousandth_of_the_exact_ones() {
        let samples: Vec<Duration> = (0..20_000u64)
            .map(|i| Duration::from_ps(1_000 + (i * i * 7_919) % 3_000_000_000))
            .collect();
        let exact = Distribution::of(&samples);
        let mut streamed = StreamingDistribution::default();
        for &sample in &samples {
            streamed.record(sample);
        }
        let streamed = streamed.distribution();
        assert_eq!(
            (streamed.count, streamed.min, streamed.mean, streamed.max),
            (exact.count, exact.min, exact.mean, exact.max)
        );
        for (a, b) in [
            (streamed.p50, exact.p50),
            (streamed.p90, exact.p90),
            (streamed.p99, exact.p99),
        ] {
            let error = (a.as_ps() as f64 - b.as_ps() as f64).abs() / b.as_ps() as f64;
            assert!(error <= 1e-3, "{a:?} vs {b:?}: {error}");
        }
    }
}
