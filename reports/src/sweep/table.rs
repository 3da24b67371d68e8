//! `sweep.csv` and `pareto.csv`: one record per design under `id`, one column per axis (named by
//! its key) and [`FIXED_COLUMNS`]. Figures are written with fixed decimals, so the same result
//! always gives the same bytes; a figure a design does not have is an empty field.

use std::io::{self, Write};

use ruvsim_experiments::sweep::{DesignRow, Status, SweepResult};

use crate::csv::{record, writer};

/// The columns after `id` and the axes, with units in their names. `tier` is the tier of the
/// simulated figures (`simulated`, empty when the design was not simulated); `cost_usd` is chips
/// x the user's price (user input).
pub const FIXED_COLUMNS: [&str; 20] = [
    "status",
    "chips",
    "cost_usd",
    "throughput_tok_s",
    "tok_s_per_chip",
    "ttft_p50_ms",
    "ttft_p99_ms",
    "inter_token_p50_ms",
    "inter_token_p99_ms",
    "energy_per_token_mj",
    "power_w",
    "detect_max_ms",
    "heartbeat_link_pct",
    "requests_failed",
    "tier",
    "meets_constraints",
    "failed_constraints",
    "pareto",
    "bottleneck",
    "reason",
];

/// The header: `id`, the axes' keys, then [`FIXED_COLUMNS`].
pub fn columns(result: &SweepResult) -> Vec<String> {
    std::iter::once("id".to_string())
        .chain(result.header.axes.iter().map(|a| a.key.clone()))
        .chain(FIXED_COLUMNS.iter().map(|c| c.to_string()))
        .collect()
}

/// Writes the header and one record per row of `rows`.
pub fn write_csv<'r, W: Write>(
    result: &SweepResult,
    rows: impl Iterator<Item = &'r DesignRow>,
    out: &mut W,
) -> io::Result<()> {
    let mut out = writer(out);
    record(&mut out, columns(result))?;
    for row in rows {
        record(&mut out, fields(row))?;
    }
    out.flush()
}

/// A row's fields in [`columns`] order.
fn fields(row: &DesignRow) -> Vec<String> {
    let fixed =
        |v: Option<f64>, decimals: usize| v.map_or(String::new(), |v| format!("{v:.decimals$}"));
    let f = row.figures.as_ref();
    let mut fields = vec![row.id.to_string()];
    fields.extend(row.values.iter().cloned());
    fields.extend([
        row.status.name().to_string(),
        row.chips.map_or(String::new(), |c| c.to_string()),
        fixed(row.cost_usd, 2),
        fixed(f.map(|f| f.throughput_tok_s), 3),
        fixed(f.map(|f| f.tok_s_per_chip), 4),
        fixed(f.map(|f| f.ttft_p50_ms), 4),
        fixed(f.map(|f| f.ttft_p99_ms), 4),
        fixed(f.map(|f| f.inter_token_p50_ms), 4),
        fixed(f.map(|f| f.inter_token_p99_ms), 4),
        fixed(f.and_then(|f| f.energy_per_token_mj), 6),
        fixed(f.and_then(|f| f.power_w), 6),
        fixed(f.and_then(|f| f.detect_max_ms), 4),
        fixed(f.and_then(|f| f.heartbeat_link_pct), 4),
        f.map_or(String::new(), |f| f.requests_failed.to_string()),
        if row.status == Status::Simulated {
            "simulated".into()
        } else {
            String::new()
        },
        row.meets_constraints().to_string(),
        row.failed_constraints
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join("; "),
        row.pareto.to_string(),
        f.map_or(String::new(), |f| f.bottleneck.clone()),
        row.reason.clone().unwrap_or_default(),
    ]);
    fields
}
