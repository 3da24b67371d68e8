//! The scaling chart: throughput against chips on log-log axes. Simulated sizes are a solid line
//! with filled points; projected sizes a dashed line with hollow points inside a shaded band of
//! the stated error; the gateway's capacity bound a thin grey line; the reference documents'
//! claims purple crosses. A dashed vertical line marks where simulation ends.

use plotters::coord::combinators::IntoLogRange;
use plotters::prelude::*;
use ruvsim_experiments::project::{Projection, Row};

use super::{is_simulated, scaling_claims};
use crate::charts::{svg, ChartError, BLUE, FONT, GREY, INK, ORANGE};

/// Colour of the documents' claims.
const PURPLE: RGBColor = RGBColor(126, 34, 206);

/// Chart size in pixels.
const SIZE: (u32, u32) = (760, 460);

/// The points of the chart, prepared apart from the drawing.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartData {
    /// `(chips, tok/s)` of simulated sizes.
    pub simulated: Vec<(f64, f64)>,
    /// `(chips, tok/s)` of projected sizes, starting at the last simulated one (so the dashed
    /// line joins the solid one).
    pub projected: Vec<(f64, f64)>,
    /// The error band around the projected line: upper edge then lower edge reversed.
    pub band: Vec<(f64, f64)>,
    /// `(chips, tok/s)` of the capacity bound.
    pub bound: Vec<(f64, f64)>,
    /// `(chips, tok/s)` of the documents' claims.
    pub claims: Vec<(f64, f64)>,
    /// Chips of the largest simulated size (the tier boundary).
    pub boundary: Option<f64>,
}

impl ChartData {
    /// The chart's points for `projection`.
    pub fn of(projection: &Projection) -> ChartData {
        let point = |r: &Row| (f64::from(r.chips), r.throughput_tok_s);
        let (sim, proj): (Vec<&Row>, Vec<&Row>) =
            projection.rows.iter().partition(|r| is_simulated(r));
        let simulated: Vec<(f64, f64)> = sim.iter().map(|r| point(r)).collect();
        let last = simulated.last().copied();
        let mut projected: Vec<(f64, f64)> = last.into_iter().collect();
        projected.extend(proj.iter().map(|r| point(r)));
        let mut upper: Vec<(f64, f64)> = last.into_iter().collect();
        let mut lower = upper.clone();
        for r in &proj {
            let (low, high) = r
                .throughput_band()
                .unwrap_or((r.throughput_tok_s, r.throughput_tok_s));
            upper.push((f64::from(r.chips), high));
            lower.push((f64::from(r.chips), low));
        }
        let band = if proj.is_empty() {
            Vec::new()
        } else {
            upper.into_iter().chain(lower.into_iter().rev()).collect()
        };
        ChartData {
            bound: projection
                .rows
                .iter()
                .filter_map(|r| r.capacity_tok_s.map(|c| (f64::from(r.chips), c)))
                .collect(),
            claims: scaling_claims()
                .iter()
                .map(|c| (f64::from(c.chips), c.low))
                .collect(),
            boundary: last.map(|(chips, _)| chips),
            simulated,
            projected,
            band,
        }
    }

    /// Every point, for the axis ranges.
    fn all(&self) -> impl Iterator<Item = &(f64, f64)> {
        self.simulated
            .iter()
            .chain(&self.projected)
            .chain(&self.band)
            .chain(&self.bound)
            .chain(&self.claims)
    }

    /// `(x range, y range)` enclosing every positive point with a margin, never empty.
    pub fn ranges(&self) -> ((f64, f64), (f64, f64)) {
        let positive = self.all().filter(|(x, y)| *x > 0.0 && *y > 0.0);
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, 0.0f64, f64::MAX, 0.0f64);
        for &(x, y) in positive {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        if x1 == 0.0 {
            return ((1.0, 10.0), (1.0, 10.0));
        }
        ((x0 / 1.5, x1 * 1.5), (y0 / 2.0, y1 * 2.0))
    }
}

/// The chart as an SVG document.
pub fn scaling_chart(projection: &Projection) -> Result<String, ChartError> {
    let data = ChartData::of(projection);
    let ((x0, x1), (y0, y1)) = data.ranges();
    svg("scaling", SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(80)
            .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("chips (log scale)")
            .y_desc("tokens per second (log scale)")
            .x_label_formatter(&|x| crate::format::short(*x))
            .y_label_formatter(&|y| crate::format::short(*y))
            .label_style((FONT, 12).into_font().color(&INK))
            .axis_desc_style((FONT, 13).into_font().color(&INK))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        if data.band.len() > 2 {
            chart
                .draw_series(std::iter::once(Polygon::new(
                    data.band.clone(),
                    ORANGE.mix(0.18).filled(),
                )))?
                .label("projected: stated error band")
                .legend(|(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 16, y + 5)], ORANGE.mix(0.18).filled())
                });
        }
        if let Some(b) = data.boundary {
            chart.draw_series(DashedLineSeries::new(
                [(b, y0), (b, y1)],
                6,
                5,
                GREY.stroke_width(1),
            ))?;
            chart.draw_series(std::iter::once(Text::new(
                "simulated | projected",
                (b * 1.08, y1 / 1.4),
                (FONT, 12).into_font().color(&INK),
            )))?;
        }
        if !data.bound.is_empty() {
            chart
                .draw_series(LineSeries::new(data.bound.clone(), GREY.stroke_width(1)))?
                .label("capacity bound")
                .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], GREY.stroke_width(1)));
        }
        chart
            .draw_series(LineSeries::new(
                data.simulated.clone(),
                BLUE.stroke_width(2),
            ))?
            .label("simulated")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLUE.stroke_width(2)));
        chart.draw_series(
            data.simulated
                .iter()
                .map(|&p| Circle::new(p, 4, BLUE.filled())),
        )?;
        if data.projected.len() > 1 {
            chart
                .draw_series(DashedLineSeries::new(
                    data.projected.clone(),
                    8,
                    5,
                    ORANGE.stroke_width(2),
                ))?
                .label("projected")
                .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], ORANGE.stroke_width(2)));
            chart.draw_series(
                data.projected
                    .iter()
                    .skip(1)
                    .map(|&p| Circle::new(p, 4, ORANGE.stroke_width(2))),
            )?;
        }
        chart
            .draw_series(
                data.claims
                    .iter()
                    .map(|&p| Cross::new(p, 6, PURPLE.stroke_width(2))),
            )?
            .label("claimed by the reference documents")
            .legend(|(x, y)| Cross::new((x + 8, y), 5, PURPLE.stroke_width(2)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.9))
            .border_style(GREY)
            .label_font((FONT, 12).into_font().color(&INK))
            .draw()?;
        Ok(())
    })
}
