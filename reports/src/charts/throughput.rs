//! Throughput over time: generated tokens counted in equal time buckets, as tokens per second.

use plotters::prelude::*;
use ruvsim_engine::time::{PS_PER_MS, PS_PER_S};
use ruvsim_sim::result::RunResult;

use super::{axis_top, svg, ChartError, BLUE, FONT, INK};

/// At most this many buckets.
pub const MAX_BUCKETS: u64 = 60;
/// At least this many buckets (when there are tokens).
pub const MIN_BUCKETS: u64 = 5;
/// Tokens per bucket the bucket count aims at, so a short run is not drawn as noise.
pub const TOKENS_PER_BUCKET: u64 = 10;

/// Tokens per time bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Buckets {
    /// Start of the first bucket (the first request's arrival), picoseconds.
    pub start_ps: u64,
    /// Width of every bucket, picoseconds (a 1-2-5 round number).
    pub width_ps: u64,
    /// Tokens chosen in each bucket.
    pub counts: Vec<u64>,
}

impl Buckets {
    /// Tokens per second in bucket `i`.
    pub fn rate(&self, i: usize) -> f64 {
        self.counts[i] as f64 * PS_PER_S as f64 / self.width_ps as f64
    }
}

/// The smallest 1-2-5 round number of picoseconds that is at least `ps`.
pub fn round_width(ps: u64) -> u64 {
    let mut decade: u64 = 1;
    loop {
        for step in [1, 2, 5] {
            let width = decade.saturating_mul(step);
            if width >= ps {
                return width;
            }
        }
        decade = decade.saturating_mul(10);
    }
}

/// How many buckets a run of `tokens` tokens is split into (before rounding their width).
pub fn bucket_target(tokens: u64) -> u64 {
    (tokens / TOKENS_PER_BUCKET).clamp(MIN_BUCKETS, MAX_BUCKETS)
}

/// Buckets the tokens of `result` by the time they were chosen, from the first arrival to the last
/// token, in about [`bucket_target`] buckets of a round width. Every token lands in one bucket.
pub fn token_buckets(result: &RunResult) -> Buckets {
    let first_arrival = result.requests.iter().map(|r| r.arrival.as_ps()).min();
    let first_token = result.tokens.iter().map(|t| t.end.as_ps()).min();
    let start_ps = match (first_arrival, first_token) {
        (Some(a), Some(t)) => a.min(t),
        (a, t) => a.or(t).unwrap_or(0),
    };
    let end_ps = result
        .tokens
        .iter()
        .map(|t| t.end.as_ps())
        .max()
        .unwrap_or(start_ps);
    let span = (end_ps - start_ps).max(1);
    let width_ps = round_width(span.div_ceil(bucket_target(result.tokens.len() as u64)));
    let buckets = span / width_ps + 1;
    let mut counts = vec![0u64; buckets as usize];
    for token in &result.tokens {
        counts[((token.end.as_ps() - start_ps) / width_ps) as usize] += 1;
    }
    Buckets {
        start_ps,
        width_ps,
        counts,
    }
}

/// The chart: one bar per bucket, time since the first arrival on the x axis.
pub fn throughput_chart(result: &RunResult) -> Result<String, ChartError> {
    let buckets = token_buckets(result);
    let total_ps = buckets.width_ps as f64 * buckets.counts.len() as f64;
    let (scale, unit) = if total_ps >= 2.0 * PS_PER_S as f64 {
        (PS_PER_S as f64, "s")
    } else {
        (PS_PER_MS as f64, "ms")
    };
    let width = buckets.width_ps as f64 / scale;
    let rates: Vec<f64> = (0..buckets.counts.len()).map(|i| buckets.rate(i)).collect();
    let top = axis_top(rates.iter().copied().fold(0.0, f64::max));
    svg("throughput", (900, 320), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..total_ps / scale, 0.0..top)?;
        chart
            .configure_mesh()
            .x_desc(format!("time since first arrival ({unit})"))
            .y_desc("tokens per second")
            .label_style((FONT, 13).into_font().color(&INK))
            .axis_desc_style((FONT, 14).into_font().color(&INK))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        chart.draw_series(rates.iter().enumerate().map(|(i, &rate)| {
            let x = i as f64 * width;
            Rectangle::new(
                [(x, 0.0), (x + width * 0.92, rate)],
                BLUE.mix(0.85).filled(),
            )
        }))?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_count_follows_tokens() {
        assert_eq!(bucket_target(0), MIN_BUCKETS);
        assert_eq!(bucket_target(200), 20);
        assert_eq!(bucket_target(1_000_000), MAX_BUCKETS);
    }

    #[test]
    fn round_widths_are_one_two_five() {
        assert_eq!(round_width(1), 1);
        assert_eq!(round_width(3), 5);
        assert_eq!(round_width(7), 10);
        assert_eq!(round_width(11), 20);
        assert_eq!(round_width(1_500_000), 2_000_000);
        assert_eq!(round_width(2_000_000), 2_000_000);
    }
}
