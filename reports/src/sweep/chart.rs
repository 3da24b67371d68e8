//! Pareto scatter plots: one objective against another on log-log axes, every simulated design a
//! point. Grey: simulated but failing a constraint; blue: meeting every constraint; orange,
//! larger and labelled with its id: on the Pareto frontier over all the objectives (seen in two
//! of them, a frontier design may look beaten: it wins on another objective).

use plotters::coord::combinators::IntoLogRange;
use plotters::prelude::*;
use ruvsim_experiments::sweep::objective::{Goal, Objective};
use ruvsim_experiments::sweep::{Status, SweepResult};

use crate::charts::{svg, ChartError, BLUE, FONT, GREY, INK, ORANGE};

/// Chart size in pixels.
const SIZE: (u32, u32) = (640, 440);

/// Most frontier points labelled with their id (more would overlap into a smudge).
pub(super) const MOST_LABELS: usize = 40;

/// The points of one chart, prepared apart from the drawing.
#[derive(Clone, Debug, PartialEq)]
pub struct ScatterData {
    /// `(x, y)` of simulated designs failing a constraint.
    pub failing: Vec<(f64, f64)>,
    /// `(x, y)` of designs meeting every constraint, off the frontier.
    pub feasible: Vec<(f64, f64)>,
    /// `(id, x, y)` of frontier designs.
    pub frontier: Vec<(u64, f64, f64)>,
    /// Simulated designs left out for a missing or non-positive value (log axes).
    pub left_out: usize,
}

impl ScatterData {
    /// The points of `y` against `x` over the simulated designs of `result`.
    pub fn of(result: &SweepResult, x: Objective, y: Objective) -> ScatterData {
        let mut data = ScatterData {
            failing: Vec::new(),
            feasible: Vec::new(),
            frontier: Vec::new(),
            left_out: 0,
        };
        for row in result.rows.iter().filter(|r| r.status == Status::Simulated) {
            let (Some(vx), Some(vy)) = (row.value(x.metric), row.value(y.metric)) else {
                data.left_out += 1;
                continue;
            };
            if !(vx > 0.0 && vy > 0.0 && vx.is_finite() && vy.is_finite()) {
                data.left_out += 1;
            } else if row.pareto {
                data.frontier.push((row.id, vx, vy));
            } else if row.meets_constraints() {
                data.feasible.push((vx, vy));
            } else {
                data.failing.push((vx, vy));
            }
        }
        data
    }

    /// Every point, whatever its group.
    fn points(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.failing
            .iter()
            .chain(&self.feasible)
            .copied()
            .chain(self.frontier.iter().map(|&(_, x, y)| (x, y)))
    }

    /// `(x range, y range)` enclosing every point with a margin, never empty.
    pub fn ranges(&self) -> ((f64, f64), (f64, f64)) {
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, 0.0f64, f64::MAX, 0.0f64);
        for (x, y) in self.points() {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        if x1 == 0.0 {
            return ((1.0, 10.0), (1.0, 10.0));
        }
        ((x0 / 1.3, x1 * 1.3), (y0 / 1.3, y1 * 1.3))
    }
}

/// The corners a legend may take, in order of preference among equally empty ones.
const CORNERS: [(Corner, SeriesLabelPosition); 4] = [
    (
        Corner {
            right: false,
            top: true,
        },
        SeriesLabelPosition::UpperLeft,
    ),
    (
        Corner {
            right: true,
            top: true,
        },
        SeriesLabelPosition::UpperRight,
    ),
    (
        Corner {
            right: true,
            top: false,
        },
        SeriesLabelPosition::LowerRight,
    ),
    (
        Corner {
            right: false,
            top: false,
        },
        SeriesLabelPosition::LowerLeft,
    ),
];

/// A corner of the plot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Corner {
    /// Right (rather than left).
    pub right: bool,
    /// Top (rather than bottom).
    pub top: bool,
}

impl ScatterData {
    /// The corner whose legend-sized box (40% wide, 30% high on the log axes) covers the fewest
    /// points, so the legend hides as few designs as it can.
    pub fn emptiest_corner(&self) -> Corner {
        let ((x0, x1), (y0, y1)) = self.ranges();
        let fraction = |v: f64, lo: f64, hi: f64| (v / lo).ln() / (hi / lo).ln();
        let covered = |corner: Corner| {
            self.points()
                .filter(|&(x, y)| {
                    let (fx, fy) = (fraction(x, x0, x1), fraction(y, y0, y1));
                    let in_x = if corner.right { fx > 0.6 } else { fx < 0.4 };
                    let in_y = if corner.top { fy > 0.7 } else { fy < 0.3 };
                    in_x && in_y
                })
                .count()
        };
        CORNERS
            .iter()
            .map(|&(corner, _)| corner)
            .min_by_key(|&corner| covered(corner))
            .unwrap_or(CORNERS[0].0)
    }
}

/// The plotters position of a corner.
fn position(corner: Corner) -> SeriesLabelPosition {
    CORNERS
        .iter()
        .find(|(c, _)| *c == corner)
        .map_or(SeriesLabelPosition::UpperLeft, |(_, p)| p.clone())
}

/// `y` against `x` as an SVG document.
pub fn pareto_chart(
    result: &SweepResult,
    x: Objective,
    y: Objective,
) -> Result<String, ChartError> {
    let data = ScatterData::of(result, x, y);
    let ((x0, x1), (y0, y1)) = data.ranges();
    svg("pareto", SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(72)
            .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())?;
        chart
            .configure_mesh()
            .x_desc(format!(
                "{} (log scale, {})",
                x.metric.label(),
                goal_word(x)
            ))
            .y_desc(format!(
                "{} (log scale, {})",
                y.metric.label(),
                goal_word(y)
            ))
            .x_label_formatter(&|v| crate::format::short(*v))
            .y_label_formatter(&|v| crate::format::short(*v))
            .label_style((FONT, 12).into_font().color(&INK))
            .axis_desc_style((FONT, 13).into_font().color(&INK))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        if !data.failing.is_empty() {
            chart
                .draw_series(
                    data.failing
                        .iter()
                        .map(|&p| Circle::new(p, 3, GREY.mix(0.6).filled())),
                )?
                .label("simulated, fails a constraint")
                .legend(|(x, y)| Circle::new((x + 8, y), 3, GREY.filled()));
        }
        if !data.feasible.is_empty() {
            chart
                .draw_series(
                    data.feasible
                        .iter()
                        .map(|&p| Circle::new(p, 3, BLUE.mix(0.7).filled())),
                )?
                .label("meets every constraint")
                .legend(|(x, y)| Circle::new((x + 8, y), 3, BLUE.filled()));
        }
        if !data.frontier.is_empty() {
            chart
                .draw_series(
                    data.frontier
                        .iter()
                        .map(|&(_, x, y)| Circle::new((x, y), 5, ORANGE.filled())),
                )?
                .label("Pareto frontier (all objectives)")
                .legend(|(x, y)| Circle::new((x + 8, y), 5, ORANGE.filled()));
            if data.frontier.len() <= MOST_LABELS {
                chart.draw_series(data.frontier.iter().map(|&(id, x, y)| {
                    Text::new(
                        id.to_string(),
                        (x * 1.03, y * 1.03),
                        (FONT, 11).into_font().color(&INK),
                    )
                }))?;
            }
        }
        chart
            .configure_series_labels()
            .position(position(data.emptiest_corner()))
            .background_style(WHITE.mix(0.9))
            .border_style(GREY)
            .label_font((FONT, 12).into_font().color(&INK))
            .draw()?;
        Ok(())
    })
}

/// `lower is better` or `higher is better`.
fn goal_word(objective: Objective) -> &'static str {
    match objective.goal {
        Goal::Min => "lower is better",
        Goal::Max => "higher is better",
    }
}
