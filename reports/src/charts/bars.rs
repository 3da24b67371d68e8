//! Utilisation bar charts: one bar per chip or link, coloured by how busy it is.

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
