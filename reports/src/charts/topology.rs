//! The cluster drawn as a node-link diagram: chips laid out by their place in the plan (a column
//! per pipeline stage, a row per tensor rank, replicas as blocks), point-to-point links as lines
//! and a shared medium as a bus, all coloured by utilisation.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use ruvsim_sim::plan::Plan;
use ruvsim_sim::result::RunResult;

use crate::roles::{role, Role};

use super::{heat, svg, ChartError, FONT, GREY, INK};

/// Clusters larger than this are not drawn (the diagram would be unreadable).
pub const MAX_DRAWN_CHIPS: usize = 64;

/// The parallelism a layout follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Pipeline stages per replica.
    pub pipeline: u32,
    /// Chips per stage.
    pub tensor: u32,
    /// Replicas.
    pub replicas: u32,
    /// Whether each replica has a speculative draft chip.
    pub draft: bool,
}

impl Shape {
    /// The shape of a plan.
    pub fn of(plan: &Plan) -> Shape {
        Shape {
            pipeline: plan.pipeline,
            tensor: plan.tensor,
            replicas: plan.replicas,
            draft: plan.draft.is_some(),
        }
    }
}

/// Grid position of every chip (column, row), from the plan's nesting of replicas, stages and
/// ranks: one replica is a block of `pipeline` columns by `tensor` rows (plus a column for its
/// speculative draft chip, if any), and blocks are tiled to make the whole roughly twice as wide
/// as tall. Chips the plan does not cover go in a row below.
pub fn layout(shape: Shape, chips: u32) -> Vec<(f64, f64)> {
    let pipeline = shape.pipeline.max(1);
    let tensor = shape.tensor.max(1);
    let per_replica = pipeline * tensor;
    let block_width = pipeline + u32::from(shape.draft);
    let replicas = shape.replicas.max(1);
    let blocks_per_row = (1..=replicas)
        .find(|&k| k * block_width >= 2 * replicas.div_ceil(k) * tensor)
        .unwrap_or(replicas);
    let gap = if replicas > 1 { 0.6 } else { 0.0 };
    let block = |replica: u32, column: u32, row: u32| {
        let (bx, by) = (replica % blocks_per_row, replica / blocks_per_row);
        (
            f64::from(bx) * (f64::from(block_width) + gap) + f64::from(column),
            f64::from(by) * (f64::from(tensor) + gap) + f64::from(row),
        )
    };
    let targets = u64::from(per_replica) * u64::from(replicas);
    let drafts = if shape.draft { u64::from(replicas) } else { 0 };
    let block_rows = replicas.div_ceil(blocks_per_row);
    let below = f64::from(block_rows) * (f64::from(tensor) + gap) + 0.4;
    let row_width = (blocks_per_row * block_width).max(4);
    (0..chips)
        .map(|chip| {
            let id = u64::from(chip);
            if id < targets {
                let (replica, within) = (chip / per_replica, chip % per_replica);
                block(replica, within / tensor, within % tensor)
            } else if id < targets + drafts {
                block((id - targets) as u32, pipeline, 0)
            } else {
                let extra = (id - targets - drafts) as u32;
                (
                    f64::from(extra % row_width),
                    below + f64::from(extra / row_width),
                )
            }
        })
        .collect()
}

/// The diagram, or `None` when the cluster has more than [`MAX_DRAWN_CHIPS`] chips.
pub fn topology_chart(result: &RunResult) -> Option<Result<String, ChartError>> {
    if result.chips.len() > MAX_DRAWN_CHIPS {
        return None;
    }
    let grid = layout(Shape::of(&result.plan), result.chips.len() as u32);
    let (cell_w, cell_h, margin) = (120.0, 95.0, 60.0);
    let cols = grid.iter().map(|p| p.0).fold(0.0, f64::max) + 1.0;
    let rows = grid.iter().map(|p| p.1).fold(0.0, f64::max) + 1.0;
    let shared: Vec<_> = result.links.iter().filter(|l| l.pair.is_none()).collect();
    let bus_y = margin + rows * cell_h;
    let width = (2.0 * margin + cols * cell_w).max(360.0);
    let height = bus_y + if shared.is_empty() { 10.0 } else { 50.0 };
    let pixel = |(c, r): (f64, f64)| {
        (
            (margin + c * cell_w + cell_w / 2.0) as i32,
            (margin + r * cell_h + cell_h / 2.0 - 10.0) as i32,
        )
    };
    let centres: Vec<(i32, i32)> = grid.iter().map(|&p| pixel(p)).collect();
    Some(svg("topology", (width as u32, height as u32), |root| {
        let small = TextStyle::from((FONT, 12).into_font()).color(&INK);
        let centred = |style: &TextStyle<'static>| style.pos(Pos::new(HPos::Center, VPos::Center));
        for bus in &shared {
            let y = bus_y as i32;
            root.draw(&PathElement::new(
                vec![(margin as i32, y), ((width - margin) as i32, y)],
                heat(bus.utilisation).stroke_width(6),
            ))?;
            for &(x, cy) in &centres {
                root.draw(&PathElement::new(
                    vec![(x, cy), (x, y)],
                    GREY.stroke_width(1),
                ))?;
            }
            root.draw(&Text::new(
                format!("{} ({:.0}% busy)", bus.ends, bus.utilisation * 100.0),
                (margin as i32, y + 20),
                small.clone(),
            ))?;
        }
        for link in &result.links {
            let Some([a, b]) = link.pair else { continue };
            let (Some(&pa), Some(&pb)) = (centres.get(a as usize), centres.get(b as usize)) else {
                continue;
            };
            let width = 2 + (link.utilisation.clamp(0.0, 1.0) * 6.0).round() as u32;
            root.draw(&PathElement::new(
                vec![pa, pb],
                heat(link.utilisation).stroke_width(width),
            ))?;
        }
        for (chip, &(x, y)) in result.chips.iter().zip(&centres) {
            root.draw(&Circle::new((x, y), 24, heat(chip.utilisation).filled()))?;
            root.draw(&Circle::new((x, y), 24, INK.stroke_width(1)))?;
            root.draw(&Text::new(
                format!("{:.0}%", chip.utilisation * 100.0),
                (x, y),
                centred(&small),
            ))?;
            // Labels sit below and to the right of the node, clear of horizontal and vertical
            // links alike.
            root.draw(&Text::new(
                format!("chip {}", chip.chip),
                (x + 20, y + 26),
                small.clone(),
            ))?;
            let role = match role(result, chip.chip) {
                Role::Target(_) => format!("s{} r{}", chip.stage, chip.rank),
                Role::Draft { .. } => "draft".to_string(),
                Role::Expert { .. } => "expert".to_string(),
                Role::Spare => "spare".to_string(),
                Role::Unplanned => "unplanned".to_string(),
            };
            root.draw(&Text::new(
                role,
                (x + 20, y + 40),
                TextStyle::from((FONT, 11).into_font()).color(&GREY),
            ))?;
        }
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(pipeline: u32, tensor: u32, replicas: u32) -> Shape {
        Shape {
            pipeline,
            tensor,
            replicas,
            draft: false,
        }
    }

    #[test]
    fn a_pipeline_is_one_row() {
        let grid = layout(shape(5, 1, 1), 5);
        assert_eq!(
            grid,
            (0..5).map(|c| (f64::from(c), 0.0)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_tensor_group_is_one_column() {
        let grid = layout(shape(1, 4, 1), 4);
        assert_eq!(
            grid,
            (0..4).map(|r| (0.0, f64::from(r))).collect::<Vec<_>>()
        );
    }

    #[test]
    fn draft_chips_follow_their_replica_and_spares_go_below() {
        let shape = Shape {
            draft: true,
            ..shape(2, 1, 2)
        };
        let grid = layout(shape, 7);
        // Replica 0: chips 0, 1 and its draft (chip 4) in one row; replica 1 beside it.
        assert_eq!(grid[4], (2.0, 0.0));
        assert_eq!(grid[0].1, grid[4].1);
        assert!(
            grid[5].0 > grid[4].0,
            "replica 1's draft is right of replica 0's"
        );
        assert!(
            grid[6].1 > grid[0].1,
            "an unplanned chip is below the replicas"
        );
    }

    #[test]
    fn replicas_tile_without_overlap() {
        let grid = layout(shape(2, 2, 6), 24);
        for (i, a) in grid.iter().enumerate() {
            for b in &grid[i + 1..] {
                assert!(a != b, "two chips at {a:?}");
            }
        }
    }
}
