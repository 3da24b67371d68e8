//! Latency distribution: the cumulative distribution (CDF) of inter-token latency and of time to
//! first token.

use std::collections::BTreeMap;

use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use ruvsim_engine::time::{Duration, PS_PER_MS};
use ruvsim_sim::result::RunResult;

use super::{axis_top, svg, ChartError, DrawResult, BLUE, FONT, GREY, INK, ORANGE};

/// Most points drawn per CDF curve (a curve of more samples is drawn through evenly spaced ranks).
pub const MAX_POINTS: usize = 400;

/// Latency samples of a run, each sorted ascending.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LatencySamples {
    /// Arrival to first token, per request that produced one.
    pub time_to_first_token: Vec<Duration>,
    /// Between consecutive tokens of a request.
    pub inter_token: Vec<Duration>,
}

/// The samples behind `summary.time_to_first_token` and `summary.inter_token_latency`.
pub fn samples(result: &RunResult) -> LatencySamples {
    let mut ttft: Vec<Duration> = result
        .requests
        .iter()
        .filter_map(|r| {
            r.first_token
                .and_then(|t| t.checked_duration_since(r.arrival))
        })
        .collect();
    let mut by_request: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
    for token in &result.tokens {
        by_request
            .entry(token.request)
            .or_default()
            .push(token.end.as_ps());
    }
    let mut itl: Vec<Duration> = by_request
        .values()
        .flat_map(|ends| {
            ends.windows(2)
                .map(|w| Duration::from_ps(w[1].saturating_sub(w[0])))
        })
        .collect();
    ttft.sort_unstable();
    itl.sort_unstable();
    LatencySamples {
        time_to_first_token: ttft,
        inter_token: itl,
    }
}

/// Points of the empirical CDF of `sorted` as (milliseconds, fraction), drawn as steps through at
/// most [`MAX_POINTS`] ranks; the last point is always the largest sample at fraction 1.
pub fn cdf_points(sorted: &[Duration]) -> Vec<(f64, f64)> {
    let n = sorted.len();
    if n == 0 {
        return Vec::new();
    }
    let m = n.min(MAX_POINTS);
    let ms = |d: Duration| d.as_ps() as f64 / PS_PER_MS as f64;
    let mut points = vec![(ms(sorted[0]), 0.0)];
    let mut previous = 0.0;
    for k in 1..=m {
        let rank = (k * n).div_ceil(m);
        let x = ms(sorted[rank - 1]);
        let y = rank as f64 / n as f64;
        points.push((x, previous));
        points.push((x, y));
        previous = y;
    }
    points
}

/// The latency axis turns logarithmic when the samples span more than this ratio (for example a
/// first token after 341 s beside tokens 2 ms apart), so both curves can be seen.
pub const LOG_AXIS_SPAN: f64 = 100.0;

/// Whether samples from `min_ms` (the smallest positive one, infinite when there is none) to
/// `max_ms` need a logarithmic axis.
fn spans_decades(min_ms: f64, max_ms: f64) -> bool {
    min_ms.is_finite() && max_ms / min_ms > LOG_AXIS_SPAN
}

/// The chart: both CDFs on one millisecond axis, logarithmic when the samples span more than
/// [`LOG_AXIS_SPAN`]; the legend sits in the upper left, which a CDF leaves empty.
pub fn latency_chart(result: &RunResult) -> Result<String, ChartError> {
    let samples = samples(result);
    let curves = [
        (
            "inter-token latency",
            cdf_points(&samples.inter_token),
            BLUE,
        ),
        (
            "time to first token",
            cdf_points(&samples.time_to_first_token),
            ORANGE,
        ),
    ];
    let xs = || {
        curves
            .iter()
            .flat_map(|(_, points, _)| points.iter().map(|p| p.0))
    };
    let max_ms = xs().fold(0.0, f64::max);
    let min_ms = xs().filter(|&x| x > 0.0).fold(f64::INFINITY, f64::min);
    let logarithmic = spans_decades(min_ms, max_ms);
    svg("latency", (900, 340), |root| {
        let builder = |root| {
            let mut builder = ChartBuilder::on(root);
            builder
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(60);
            builder
        };
        if logarithmic {
            // Zero latencies cannot sit on a log axis: they are drawn at its left end.
            let low = min_ms / 1.5;
            let curves = curves.map(|(name, points, colour)| {
                let points = points.into_iter().map(|(x, y)| (x.max(low), y)).collect();
                (name, points, colour)
            });
            let chart =
                builder(root).build_cartesian_2d((low..axis_top(max_ms)).log_scale(), 0.0..1.0)?;
            draw_cdfs(chart, curves, "latency (ms, logarithmic)")
        } else {
            let chart = builder(root).build_cartesian_2d(0.0..axis_top(max_ms), 0.0..1.0)?;
            draw_cdfs(chart, curves, "latency (ms)")
        }
    })
}

/// One CDF curve: its name, its (ms, fraction) points and its colour.
type Curve<'n> = (&'n str, Vec<(f64, f64)>, RGBColor);

/// Draws the mesh, the CDF curves and their legend on `chart` (a linear or a logarithmic axis).
fn draw_cdfs<'a, X>(
    mut chart: ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, RangedCoordf64>>,
    curves: [Curve<'_>; 2],
    x_desc: &str,
) -> DrawResult
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc("fraction at or below")
        .label_style((FONT, 13).into_font().color(&INK))
        .axis_desc_style((FONT, 14).into_font().color(&INK))
        .bold_line_style(GREY.mix(0.35))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (name, points, colour) in curves {
        let count = points.len();
        chart
            .draw_series(LineSeries::new(points, colour.stroke_width(2)))?
            .label(if count == 0 {
                format!("{name} (no samples)")
            } else {
                name.to_string()
            })
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 22, y)], colour.stroke_width(3))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font((FONT, 13).into_font().color(&INK))
        .background_style(WHITE.mix(0.9))
        .border_style(GREY)
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&v| Duration::from_ms(v)).collect()
    }

    #[test]
    fn cdf_of_a_few_samples_steps_through_each() {
        let points = cdf_points(&ms(&[1, 2, 4]));
        assert_eq!(
            points,
            vec![
                (1.0, 0.0),
                (1.0, 0.0),
                (1.0, 1.0 / 3.0),
                (2.0, 1.0 / 3.0),
                (2.0, 2.0 / 3.0),
                (4.0, 2.0 / 3.0),
                (4.0, 1.0)
            ]
        );
    }

    #[test]
    fn long_cdfs_are_thinned_but_end_at_the_maximum() {
        let samples: Vec<Duration> = (1..=10_000).map(Duration::from_us).collect();
        let points = cdf_points(&samples);
        assert_eq!(points.len(), 1 + 2 * MAX_POINTS);
        assert_eq!(*points.last().unwrap(), (10.0, 1.0));
        assert!(points
            .windows(2)
            .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
    }

    #[test]
    fn no_samples_no_points() {
        assert!(cdf_points(&[]).is_empty());
    }

    /// A first token after 341 s beside tokens 2 ms apart needs a log axis; one run's spread of
    /// 1 to 50 ms does not.
    #[test]
    fn the_axis_turns_logarithmic_only_across_decades() {
        assert!(spans_decades(2.0, 341_115.0));
        assert!(!spans_decades(1.0, 50.0));
        assert!(!spans_decades(f64::INFINITY, 0.0));
    }
}
