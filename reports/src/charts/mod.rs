//! Charts for the HTML report, drawn with plotters into SVG strings (no fonts, no files: the SVG
//! backend writes `<text>` elements the browser lays out).
//!
//! Each chart is a function from a [`RunResult`](ruvsim_sim::result::RunResult) (or data taken
//! from it) to an SVG document; the data preparation lives in separate, tested functions
//! (buckets, CDF points, layout) so the drawing code stays thin.

pub mod bars;
pub mod latency;
pub mod memory;
pub mod throughput;
pub mod topology;

use plotters::coord::Shift;
use plotters::prelude::*;
use thiserror::Error;

/// A chart that could not be drawn (plotters reported an error while drawing it).
#[derive(Debug, Error)]
#[error("chart {chart}: {reason}")]
pub struct ChartError {
    /// Which chart.
    pub chart: &'static str,
    /// What went wrong.
    pub reason: String,
}

/// What a drawing closure returns.
pub type DrawResult = Result<(), DrawingAreaErrorKind<std::io::Error>>;

/// The drawing area every chart draws on.
pub type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Main series colour (blue).
pub const BLUE: RGBColor = RGBColor(37, 99, 235);
/// Second series colour (orange).
pub const ORANGE: RGBColor = RGBColor(234, 88, 12);
/// Third series colour (teal).
pub const TEAL: RGBColor = RGBColor(13, 148, 136);
/// Limits and budgets (red).
pub const RED: RGBColor = RGBColor(220, 38, 38);
/// Grid and secondary text (grey).
pub const GREY: RGBColor = RGBColor(148, 163, 184);
/// Axis text (dark slate).
pub const INK: RGBColor = RGBColor(30, 41, 59);

/// Font family of all chart text.
pub const FONT: &str = "sans-serif";

/// Renders a chart of `size` pixels into an SVG string with `draw`, on a white background.
pub fn svg<F>(chart: &'static str, size: (u32, u32), draw: F) -> Result<String, ChartError>
where
    F: FnOnce(&Area<'_>) -> DrawResult,
{
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE)
            .and_then(|()| draw(&root))
            .and_then(|()| root.present())
            .map_err(|e| ChartError {
                chart,
                reason: e.to_string(),
            })?;
    }
    Ok(out)
}

/// A colour from green (idle) through amber to red (saturated) for a utilisation in `0..=1`.
pub fn heat(utilisation: f64) -> RGBColor {
    let u = if utilisation.is_finite() {
        utilisation.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let lerp =
        |a: u8, b: u8, t: f64| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
    let (from, to, t) = if u < 0.5 {
        ((22, 163, 74), (245, 158, 11), u * 2.0)
    } else {
        ((245, 158, 11), (220, 38, 38), (u - 0.5) * 2.0)
    };
    RGBColor(
        lerp(from.0, to.0, t),
        lerp(from.1, to.1, t),
        lerp(from.2, to.2, t),
    )
}

/// The upper end of an axis showing values up to `max`: a little headroom, never empty.
pub fn axis_top(max: f64) -> f64 {
    if max.is_finite() && max > 0.0 {
        max * 1.08
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heat_runs_green_to_red() {
        assert_eq!(heat(0.0), RGBColor(22, 163, 74));
        assert_eq!(heat(0.5), RGBColor(245, 158, 11));
        assert_eq!(heat(1.0), RGBColor(220, 38, 38));
        assert_eq!(heat(f64::NAN), heat(0.0));
    }

    #[test]
    fn svg_wraps_the_drawing() {
        let text = svg("test", (100, 50), |area| {
            area.draw(&Circle::new((50, 25), 10, BLUE.filled()))
        })
        .unwrap();
        assert!(text.starts_with("<svg"));
        assert!(text.contains("<circle"));
        assert!(text.trim_end().ends_with("</svg>"));
    }
}
