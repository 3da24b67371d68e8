//! The scaling projection's outputs: the table over sizes (terminal and HTML), `projection.csv`,
//! `projection.json` and `projection.html` with the scaling chart and the reference documents'
//! scaling table beside ruvsim's figures.
//!
//! Every row carries its tier: `simulated` sizes were simulated event by event, `projected`
//! ones come from the fitted scaling model (capped by the gateway's capacity bound) and carry
//! the fit's error on the held-back size. The documents' figures are `claimed`: closed-form
//! arithmetic, not measurements.

mod chart;
mod page;

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use ruvsim_experiments::project::{Projection, Row};
use ruvsim_hw::tier::Tier;

use crate::claims::{Claim, Quantity, CLAIMS};
use crate::csv::{record, writer};
use crate::format;
use crate::{write_file, write_json, ReportError};

pub use chart::scaling_chart;
pub use page::render;

/// The files [`write_projection_report`] writes, in order.
pub const PROJECTION_FILES: [&str; 3] = ["projection.html", "projection.csv", "projection.json"];

/// Header of `projection.csv`: one row per size, units in the names.
pub const PROJECTION_COLUMNS: &[&str] = &[
    "chips",
    "replicas",
    "topology",
    "stage_hops",
    "gateway_links",
    "gateway_hops_mean",
    "throughput_tok_s",
    "throughput_error_pct",
    "capacity_bound_tok_s",
    "capped_at_bound",
    "latency_p50_ms",
    "latency_error_pct",
    "tok_s_per_chip",
    "energy",
    "cost_usd",
    "tier",
];

/// Section of the main reference document whose table [`scaling_claims`] takes.
const SCALING_SECTION: &str = "Scaling Performance";

/// The reference documents' scaling table: throughput claims for clusters of a given size.
pub fn scaling_claims() -> Vec<&'static Claim> {
    CLAIMS
        .iter()
        .filter(|c| {
            c.source.section.ends_with(SCALING_SECTION) && c.quantity == Quantity::Throughput
        })
        .collect()
}

/// The chip counts of [`scaling_claims`], to ask the projection for a figure at each.
pub fn claim_chip_counts() -> Vec<u32> {
    scaling_claims().iter().map(|c| c.chips).collect()
}

/// One size as the terminal and the page show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayRow {
    /// `1,280`.
    pub chips: String,
    /// `ring of 1280`.
    pub topology: String,
    /// `256`.
    pub replicas: String,
    /// `168,866 ± 12.7%`, or `149,840` when simulated.
    pub throughput: String,
    /// `6.14 ± 24.4%`.
    pub latency_p50_ms: String,
    /// `131.9`.
    pub tok_s_per_chip: String,
    /// `simulated` or `projected` (with `, at bound` when capped by the gateway bound).
    pub tier: String,
}

/// Headers of [`DisplayRow`], in field order, with units.
pub const DISPLAY_HEADERS: [&str; 7] = [
    "chips",
    "topology",
    "replicas",
    "throughput (tok/s)",
    "p50 latency (ms/token)",
    "tok/s per chip",
    "tier",
];

impl DisplayRow {
    /// The row's cells in [`DISPLAY_HEADERS`] order.
    pub fn cells(&self) -> [&str; 7] {
        [
            &self.chips,
            &self.topology,
            &self.replicas,
            &self.throughput,
            &self.latency_p50_ms,
            &self.tok_s_per_chip,
            &self.tier,
        ]
    }
}

/// A figure with its stated error (`168,866 ± 12.7%`).
pub fn with_error(value: f64, error: Option<f64>) -> String {
    match error {
        Some(e) => format!("{} ± {}", format::number(value), format::percent(e)),
        None => format::number(value),
    }
}

/// A row's throughput with its band: `± error` when the band is symmetric, its two ends when
/// the gateway's capacity bound cuts the upper side (the band never crosses a hard bound).
pub fn throughput_text(row: &Row) -> String {
    match (row.throughput_error, row.throughput_band()) {
        (Some(error), Some((low, high))) if high < row.throughput_tok_s * (1.0 + error) => {
            format!(
                "{} ({} to {}, the top cut at the capacity bound)",
                format::number(row.throughput_tok_s),
                format::number(low),
                format::number(high)
            )
        }
        _ => with_error(row.throughput_tok_s, row.throughput_error),
    }
}

/// The display form of a row.
pub fn display_row(row: &Row) -> DisplayRow {
    DisplayRow {
        chips: format::grouped(row.chips.into()),
        topology: row.layout.description.clone(),
        replicas: format::grouped(row.replicas.into()),
        throughput: throughput_text(row),
        latency_p50_ms: with_error(row.latency_p50_ms, row.latency_error),
        tok_s_per_chip: format::number(row.tok_s_per_chip),
        tier: tier_text(row),
    }
}

/// `simulated`, `projected`, or `projected, at bound`.
fn tier_text(row: &Row) -> String {
    if row.capped {
        format!("{}, at bound", row.tier)
    } else {
        row.tier.to_string()
    }
}

/// The table over sizes.
pub fn display_rows(projection: &Projection) -> Vec<DisplayRow> {
    projection.rows.iter().map(display_row).collect()
}

/// The fit in one sentence: model, formula, and its error on the held-back size.
pub fn fit_sentence(projection: &Projection) -> String {
    match &projection.fit {
        None => "No scaling model was fitted (every size asked for was simulated).".into(),
        Some(fit) => {
            let model = &fit.selection.model;
            format!(
                "Scaling model: {} ({}), chosen by residual among {} candidates, capped by the \
                 capacity bound; fitted without the largest simulated size \
                 ({} chips: {} tok/s simulated, {} predicted) it was off by {}, the error \
                 projected rows carry.",
                model.kind.name(),
                model.kind.formula(),
                fit.selection.candidates.len(),
                format::grouped(fit.held_back_chips.into()),
                format::number(fit.held_back_simulated),
                format::number(fit.selection.held_back_predicted),
                signed_percent(fit.selection.held_back_error),
            )
        }
    }
}

/// A signed percentage (`+12.7%`, `-3.0%`).
pub fn signed_percent(fraction: f64) -> String {
    let sign = if fraction >= 0.0 { "+" } else { "" };
    format!("{sign}{}", format::percent(fraction))
}

/// Where the hosts are, in words: one host at chip 0 of a wiring of chips, or hosts on a
/// backbone.
pub fn host_sentence(projection: &Projection) -> String {
    match projection
        .rows
        .last()
        .and_then(|r| r.layout.backbone.as_ref())
    {
        Some(backbone) => format!(
            "Hosts on the backbone ({backbone}): each board's prompts come from its host through \
             the backbone to the board's chip 0, and every generated token goes back the same way."
        ),
        None => format!(
            "Gateway at chip {}: prompts travel from it and every generated token travels back to \
             it over the topology.",
            projection.base.gateway_chip
        ),
    }
}

/// `auto`'s trials, one line each: the design, its layout, its throughput at the probe size (with
/// its tier, simulated) and its busiest resource (or why it could not be built), the chosen one marked; empty
/// when the design was forced.
pub fn design_lines(projection: &Projection) -> Vec<String> {
    projection
        .designs
        .iter()
        .map(|t| match (t.throughput_tok_s, &t.refused) {
            (Some(throughput), _) => format!(
                "{}{}: {} at {} chips: {} tok/s simulated, busiest {}",
                if t.chosen { "chosen: " } else { "" },
                t.design,
                t.description,
                crate::format::grouped(u64::from(t.chips)),
                crate::format::grouped(throughput.round() as u64),
                t.bottleneck
            ),
            (None, reason) => format!(
                "{}: cannot be used at {} chips: {}",
                t.design,
                crate::format::grouped(u64::from(t.chips)),
                reason.as_deref().unwrap_or("no figure")
            ),
        })
        .collect()
}

/// How many hops a stage transfer takes, in words, over every size.
pub fn hop_sentence(projection: &Projection) -> String {
    let most = projection
        .rows
        .iter()
        .map(|r| r.layout.stage_hops)
        .max()
        .unwrap_or(0);
    let tensor = projection
        .rows
        .iter()
        .map(|r| r.layout.tensor_hops)
        .max()
        .unwrap_or(0);
    let stage = match most {
        0 => "One stage per replica: no stage transfers".to_string(),
        1 => "Every stage transfer is 1 hop (each replica's pipeline sits on neighbouring chips)"
            .to_string(),
        n => format!("Stage transfers take up to {n} hops (the wiring cannot keep them adjacent)"),
    };
    match tensor {
        0 => format!("{stage}."),
        n => format!("{stage}; tensor gathers take up to {n} hop(s)."),
    }
}

/// `projection.csv`: [`PROJECTION_COLUMNS`], one record per size.
pub fn write_csv<W: Write>(projection: &Projection, out: &mut W) -> io::Result<()> {
    let mut out = writer(out);
    record(&mut out, PROJECTION_COLUMNS)?;
    let optional =
        |v: Option<f64>, decimals: usize| v.map_or(String::new(), |v| format!("{v:.decimals$}"));
    for row in &projection.rows {
        record(
            &mut out,
            &[
                row.chips.to_string(),
                row.replicas.to_string(),
                row.layout.description.clone(),
                row.layout.stage_hops.to_string(),
                row.layout.gateway_ports.to_string(),
                format!("{:.3}", row.layout.gateway_hops_mean),
                format!("{:.1}", row.throughput_tok_s),
                optional(row.throughput_error.map(|e| e * 100.0), 2),
                optional(row.capacity_tok_s, 1),
                row.capped.to_string(),
                format!("{:.4}", row.latency_p50_ms),
                optional(row.latency_error.map(|e| e * 100.0), 2),
                format!("{:.4}", row.tok_s_per_chip),
                projection.energy.clone(),
                optional(row.cost_usd, 2),
                row.tier.to_string(),
            ],
        )?;
    }
    out.flush()
}

/// One line of the claims table: a document's claim and ruvsim's figure at that size.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimRow {
    /// The claim.
    pub claim: &'static Claim,
    /// ruvsim's row at the claim's size (whole replicas), if there is one.
    pub figure: Option<Row>,
}

impl ClaimRow {
    /// How many times ruvsim's figure the claim is.
    pub fn ratio(&self) -> Option<f64> {
        self.figure
            .as_ref()
            .filter(|r| r.throughput_tok_s > 0.0)
            .map(|r| self.claim.low / r.throughput_tok_s)
    }
}

/// Each scaling claim beside ruvsim's figure at the same chip count.
pub fn claim_rows(projection: &Projection) -> Vec<ClaimRow> {
    let per_replica = projection.base.chips_per_replica.max(1);
    scaling_claims()
        .into_iter()
        .map(|claim| ClaimRow {
            claim,
            figure: projection
                .comparisons
                .iter()
                .chain(&projection.rows)
                .find(|r| r.replicas == claim.chips / per_replica)
                .cloned(),
        })
        .collect()
}

/// Writes [`PROJECTION_FILES`] into `dir` (created if missing) and returns their paths.
pub fn write_projection_report(
    projection: &Projection,
    dir: &Path,
) -> Result<Vec<PathBuf>, ReportError> {
    fs::create_dir_all(dir).map_err(|source| ReportError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    Ok(vec![
        write_file(dir, PROJECTION_FILES[0], |out| {
            out.write_all(render(projection).as_bytes())
        })?,
        write_file(dir, PROJECTION_FILES[1], |out| write_csv(projection, out))?,
        write_file(dir, PROJECTION_FILES[2], |out| write_json(out, projection))?,
    ])
}

/// Whether a row is simulated (drawn solid) rather than projected.
fn is_simulated(row: &Row) -> bool {
    row.tier == Tier::Simulated
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use ruvsim_experiments::project::{project, BaseDesign, ProjectRequest, TopologyChoice};
    use ruvsim_sim::run::RunOptions;

    use super::*;

    /// The built-in design to 1,000 chips, simulated up to 20: three simulated sizes, the rest
    /// projected.
    fn fixture() -> &'static Projection {
        static PROJECTION: OnceLock<Projection> = OnceLock::new();
        PROJECTION.get_or_init(|| {
            let request = ProjectRequest {
                base: BaseDesign::builtin().unwrap(),
                chips: 1000,
                max_sim_chips: 20,
                topology: TopologyChoice::Auto,
                compare_at: claim_chip_counts(),
                chip_price_usd: Some(4.0),
                run_options: RunOptions::default(),
            };
            project(&request, &mut |_| {}).unwrap()
        })
    }

    #[test]
    fn the_scaling_table_is_the_documents_six_sizes() {
        assert_eq!(
            claim_chip_counts(),
            vec![5, 100, 1000, 10_000, 100_000, 1_000_000]
        );
    }

    #[test]
    fn csv_has_one_record_per_size_with_its_tier() {
        let p = fixture();
        let mut out = Vec::new();
        write_csv(p, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], PROJECTION_COLUMNS.join(","));
        assert_eq!(lines.len(), 1 + p.rows.len());
        assert!(lines[1].starts_with("5,1,ring of 5,1,"), "{}", lines[1]);
        assert!(
            lines[1].ends_with(",not modelled,20.00,simulated"),
            "{}",
            lines[1]
        );
        assert!(lines.last().unwrap().starts_with("1000,200,"));
        assert!(lines.last().unwrap().ends_with(",projected"));
        let fields = |line: &str| line.split(',').count();
        assert!(lines.iter().all(|l| fields(l) == PROJECTION_COLUMNS.len()));
    }

    #[test]
    fn projected_rows_show_their_error_and_simulated_rows_do_not() {
        let rows = display_rows(fixture());
        assert!(!rows[0].throughput.contains('±'));
        assert!(rows[0].tier == "simulated");
        let last = rows.last().unwrap();
        // A symmetric band reads `± error`; one cut by the capacity bound names its two ends.
        assert!(
            last.throughput.contains(" ± ") || last.throughput.contains(" to "),
            "{last:?}"
        );
        assert!(last.tier.starts_with("projected"), "{last:?}");
        for row in fixture().rows.iter().filter(|r| r.capped) {
            let text = throughput_text(row);
            assert!(text.contains("capacity bound"), "{text}");
        }
    }

    #[test]
    fn each_claim_is_set_beside_ruvsims_figure_at_its_size() {
        let rows = claim_rows(fixture());
        assert_eq!(rows.len(), 6);
        let tier = |i: usize| rows[i].figure.as_ref().map(|r| r.tier);
        assert_eq!(tier(0), Some(Tier::Simulated));
        assert_eq!(tier(1), Some(Tier::Projected));
        assert_eq!(rows[5].figure.as_ref().map(|r| r.chips), Some(1_000_000));
        assert!(rows.iter().all(|r| r.ratio().is_some()));
    }

    #[test]
    fn the_chart_marks_the_tier_boundary_and_the_error_band() {
        let data = chart::ChartData::of(fixture());
        assert_eq!(data.boundary, Some(20.0));
        assert_eq!(data.projected.first(), data.simulated.last());
        assert_eq!(data.band.len(), 2 * data.projected.len());
        assert_eq!(data.claims.len(), 6);
        let svg = scaling_chart(fixture()).unwrap();
        assert!(svg.contains("simulated | projected"));
        assert!(svg.contains("<polygon"));
    }

    #[test]
    fn the_page_is_self_contained_and_labels_every_tier() {
        let html = render(fixture());
        assert!(html.starts_with("<!DOCTYPE html>"));
        for needle in [
            "tier-simulated",
            "tier-projected",
            "tier-claimed",
            "Scaling Performance",
            "not modelled",
            "user input (--chip-price-usd)",
            "<svg",
        ] {
            assert!(html.contains(needle), "missing {needle}");
        }
        assert!(!html.contains("<script"));
        assert!(
            !html.contains("src=\"http") && !html.contains("href=\"http"),
            "nothing is fetched from the network"
        );
        assert_eq!(html, render(fixture()), "same projection, same bytes");
    }
}
