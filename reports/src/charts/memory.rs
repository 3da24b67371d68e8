//! Memory against budget: each chip's SRAM use, split by what it holds, beside its SRAM budget.

use plotters::prelude::*;
use ruvsim_hw::memory::Region;
use ruvsim_sim::plan::ChipPlan;

use super::{axis_top, svg, ChartError, BLUE, FONT, GREY, INK, ORANGE, RED, TEAL};

/// SRAM use of one chip, in bytes, by what it holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SramUse {
    /// Weights, when they live in SRAM.
    pub weights: u64,
    /// KV cache, when it lives in SRAM.
    pub kv_cache: u64,
    /// Everything else in SRAM (activations, scratch).
    pub other: u64,
    /// The SRAM a model may use on this chip.
    pub budget: u64,
}

impl SramUse {
    /// The split of a planned chip's `placement.sram_used`.
    pub fn of(chip: &ChipPlan) -> SramUse {
        let p = &chip.placement;
        let f = &chip.footprint;
        let weights = if p.weights == Region::Sram {
            f.weights_bytes
        } else {
            0
        };
        let kv_cache = if p.kv_cache == Region::Sram {
            f.kv_cache_bytes
        } else {
            0
        };
        SramUse {
            weights,
            kv_cache,
            other: p.sram_used.saturating_sub(weights + kv_cache),
            budget: p.sram_budget,
        }
    }
}

/// Picks one segment of a bar from a chip's use: (bytes below it, its bytes).
type Part = fn(&SramUse) -> (u64, u64);

/// The chart: a stacked bar per chip (labelled by `labels`), and the budget as a red line.
pub fn memory_chart(chips: &[(String, SramUse)]) -> Result<String, ChartError> {
    const KIB: f64 = 1024.0;
    let n = chips.len().max(1) as u32;
    let width = (160 + 40 * n).clamp(520, 1100);
    // Headroom above the tallest bar or budget line for the legend.
    let top = 1.3
        * axis_top(
            chips
                .iter()
                .map(|(_, u)| (u.weights + u.kv_cache + u.other).max(u.budget) as f64 / KIB)
                .fold(0.0, f64::max),
        );
    let label_every = n.div_ceil(32).max(1);
    svg("memory", (width, 320), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(70)
            // A u32 range is inclusive of its end in plotters: 0..n - 1 holds exactly n bars.
            .build_cartesian_2d((0u32..n - 1).into_segmented(), 0.0..top)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n as usize)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) if i % label_every == 0 => chips
                    .get(*i as usize)
                    .map_or(String::new(), |c| c.0.clone()),
                _ => String::new(),
            })
            .x_desc("chip (one replica)")
            .y_desc("SRAM (KiB)")
            .label_style((FONT, 12).into_font().color(&INK))
            .axis_desc_style((FONT, 14).into_font().color(&INK))
            .bold_line_style(GREY.mix(0.35))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        let layers: [(&str, RGBColor, Part); 3] = [
            ("weights", BLUE, |u| (0, u.weights)),
            ("KV cache", TEAL, |u| (u.weights, u.kv_cache)),
            ("activations and scratch", ORANGE, |u| {
                (u.weights + u.kv_cache, u.other)
            }),
        ];
        for (name, colour, part) in layers {
            chart
                .draw_series(chips.iter().enumerate().map(|(i, (_, u))| {
                    let (from, bytes) = part(u);
                    let i = i as u32;
                    let mut rect = Rectangle::new(
                        [
                            (SegmentValue::Exact(i), from as f64 / KIB),
                            (SegmentValue::Exact(i + 1), (from + bytes) as f64 / KIB),
                        ],
                        colour.filled(),
                    );
                    rect.set_margin(0, 0, 6, 6);
                    rect
                }))?
                .label(name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour.filled())
                });
        }
        chart
            .draw_series(chips.iter().enumerate().map(|(i, (_, u))| {
                let i = i as u32;
                let y = u.budget as f64 / KIB;
                PathElement::new(
                    vec![(SegmentValue::Exact(i), y), (SegmentValue::Exact(i + 1), y)],
                    RED.stroke_width(3),
                )
            }))?
            .label("SRAM budget")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], RED.stroke_width(3)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FONT, 12).into_font().color(&INK))
            .background_style(WHITE.mix(0.9))
            .border_style(GREY)
            .draw()?;
        Ok(())
    })
}
