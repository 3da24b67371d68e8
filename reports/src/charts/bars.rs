//! Utilisation bar charts: one bar per chip or link, coloured by how busy it is; and, for clusters
//! too large for a bar each, the distribution: how many chips or links were how busy.

use plotters::prelude::*;

use super::{heat, svg, ChartError, FONT, GREY, INK};

/// One bar: its label on the x axis and a utilisation in `0..=1`.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// Label under the bar (`3`, `3-4`).
    pub label: String,
    /// Fraction of the makespan the resource was busy.
    pub utilisation: f64,
}

/// A bar chart of utilisation (percent) with `x_desc` naming the resources.
pub fn utilisation_chart(
    chart_name: &'static str,
    bars: &[Bar],
    x_desc: &str,
) -> Result<String, ChartError> {
    let n = bars.len().max(1) as u32;
    let width = (120 + 26 * n).clamp(480, 1100);
    let label_every = n.div_ceil(32).max(1);
    svg(chart_name, (width, 300), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(60)
            // A u32 range is inclusive of its end in plotters: 0..n - 1 holds exactly n bars.
            .build_cartesian_2d((0u32..n - 1).into_segmented(), 0.0..100.0)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n as usize)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) if i % label_every == 0 => bars
                    .get(*i as usize)
                    .map_or(String::new(), |b| b.label.clone()),
                _ => String::new(),
            })
            .x_desc(x_desc)
            .y_desc("busy (% of makespan)")
            .label_style((FONT, 12).into_font().color(&INK))
            .axis_desc_style((FONT, 14).into_font().color(&INK))
            .bold_line_style(GREY.mix(0.35))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        chart.draw_series(bars.iter().enumerate().map(|(i, bar)| {
            let i = i as u32;
            let mut rect = Rectangle::new(
                [
                    (SegmentValue::Exact(i), 0.0),
                    (SegmentValue::Exact(i + 1), bar.utilisation * 100.0),
                ],
                heat(bar.utilisation).filled(),
            );
            rect.set_margin(0, 0, 3, 3);
            rect
        }))?;
        Ok(())
    })
}

/// Buckets of the utilisation distribution, each [`BUCKET_PERCENT`] points of the makespan wide.
pub const BUCKETS: usize = 20;

/// Width of one bucket, in percent of the makespan.
pub const BUCKET_PERCENT: f64 = 100.0 / BUCKETS as f64;

/// How many of `utilisations` fall in each bucket: `[0, 5%)`, `[5%, 10%)`, ..., `[95%, 100%]`.
pub fn utilisation_buckets(utilisations: &[f64]) -> [u64; BUCKETS] {
    let mut counts = [0u64; BUCKETS];
    for &u in utilisations {
        let bucket = (u.max(0.0) * BUCKETS as f64) as usize;
        counts[bucket.min(BUCKETS - 1)] += 1;
    }
    counts
}

/// A histogram of `utilisations`: how many `what`s (chips, links) were busy how much of the
/// makespan, on a logarithmic count axis (a few saturated resources among thousands still show).
pub fn utilisation_histogram(
    chart_name: &'static str,
    utilisations: &[f64],
    what: &str,
) -> Result<String, ChartError> {
    let counts = utilisation_buckets(utilisations);
    let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 2.0;
    svg(chart_name, (760, 300), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..100.0, (0.8..top).log_scale())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(11)
            .x_label_formatter(&|v| format!("{v:.0}%"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .x_desc("busy (% of makespan)")
            .y_desc(format!("{what}s (log scale)"))
            .label_style((FONT, 12).into_font().color(&INK))
            .axis_desc_style((FONT, 14).into_font().color(&INK))
            .bold_line_style(GREY.mix(0.35))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        chart.draw_series(
            counts
                .iter()
                .enumerate()
                .filter(|(_, &count)| count > 0)
                .map(|(i, &count)| {
                    let from = i as f64 * BUCKET_PERCENT;
                    let centre = (from + BUCKET_PERCENT / 2.0) / 100.0;
                    let mut rect = Rectangle::new(
                        [(from, 0.8), (from + BUCKET_PERCENT, count as f64)],
                        heat(centre).filled(),
                    );
                    rect.set_margin(0, 0, 2, 2);
                    rect
                }),
        )?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_five_points_wide_and_the_last_holds_saturation() {
        let counts = utilisation_buckets(&[0.0, 0.049, 0.05, 0.5, 0.999, 1.0, 1.0001]);
        assert_eq!(counts[0], 2);
        assert_eq!(counts[1], 1);
        assert_eq!(counts[10], 1);
        assert_eq!(counts[19], 3);
        assert_eq!(counts.iter().sum::<u64>(), 7);
    }

    #[test]
    fn the_histogram_draws_a_bar_per_occupied_bucket() {
        let svg = utilisation_histogram("test", &[0.1; 1000], "chip").unwrap();
        assert!(svg.contains("<rect"), "{svg}");
        assert!(svg.contains("chips (log scale)"));
    }
}
