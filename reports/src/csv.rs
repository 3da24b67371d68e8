//! CSV writers: `summary.csv`, `tokens.csv`, `phases.csv`, `chips.csv`, `links.csv`.
//!
//! Column names are stable and carry their unit (`busy_us`, `sram_used_bytes`); every row that is
//! a figure has a `tier` column. Times are exact decimal microseconds (six decimals, i.e. whole
//! picoseconds), fractions are written with Rust's shortest round-trip form, so the same result
//! always gives the same bytes. Fields are quoted per RFC 4180 when they contain a comma, quote or
//! line break. The columns are documented in `reports/CSV.md`; the `*_COLUMNS` constants here are
//! the headers, in order.

use std::io::{self, Write};

use ruvsim_sim::result::RunResult;

use crate::format::micros;
use crate::roles::{role, Role};
use crate::summary::summary_rows;

/// Header of `summary.csv`.
pub const SUMMARY_COLUMNS: &[&str] = &["figure", "value", "unit", "tier"];

/// Header of `tokens.csv`.
pub const TOKEN_COLUMNS: &[&str] = &[
    "request",
    "index",
    "pos",
    "stages",
    "start_us",
    "end_us",
    "duration_us",
    "tier",
];

/// Header of `phases.csv`.
pub const PHASE_COLUMNS: &[&str] = &[
    "request",
    "index",
    "pos",
    "matmul_us",
    "attention_us",
    "norm_us",
    "activations_us",
    "memory_us",
    "sync_us",
    "overheads_us",
    "total_us",
    "tier",
];

/// Header of `chips.csv`.
pub const CHIP_COLUMNS: &[&str] = &[
    "chip",
    "role",
    "replica",
    "stage",
    "rank",
    "embedding",
    "layer_start",
    "layer_end",
    "head_start",
    "head_end",
    "ffn_unit_start",
    "ffn_unit_end",
    "vocab_start",
    "vocab_end",
    "busy_us",
    "utilisation",
    "tasks",
    "mac_f32",
    "mac_i8",
    "mac_i4",
    "xnor_words",
    "attn_mac",
    "lut",
    "elementwise",
    "weight_read_bytes",
    "kv_read_bytes",
    "kv_write_bytes",
    "weights_bytes",
    "kv_cache_bytes",
    "activation_bytes",
    "weights_region",
    "kv_cache_region",
    "sram_used_bytes",
    "sram_budget_bytes",
    "psram_used_bytes",
    "flash_used_bytes",
    "sd_used_bytes",
    "active_energy_nj",
    "rest_energy_nj",
    "energy_nj",
    "average_power_nw",
    "tier",
];

/// Header of `links.csv`.
pub const LINK_COLUMNS: &[&str] = &[
    "link",
    "ends",
    "chip_a",
    "chip_b",
    "bytes",
    "messages",
    "busy_us",
    "utilisation",
    "tier",
];

/// A CSV writer for the reports: RFC 4180 quoting where a field needs it (a comma, quote or line
/// break), records ended by `\n`, every record free to have its own length.
pub(crate) fn writer<W: Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .flexible(true)
        .from_writer(out)
}

/// Writes one record.
pub(crate) fn record<W: Write, S: AsRef<[u8]>>(
    out: &mut csv::Writer<W>,
    fields: impl IntoIterator<Item = S>,
) -> io::Result<()> {
    out.write_record(fields).map_err(io::Error::other)
}

/// `summary.csv`: the rows of [`summary_rows`].
pub fn write_summary<W: Write>(result: &RunResult, out: &mut W) -> io::Result<()> {
    let mut out = writer(out);
    record(&mut out, SUMMARY_COLUMNS)?;
    for row in summary_rows(result) {
        record(
            &mut out,
            &[
                row.figure,
                row.value.to_string(),
                row.unit.label().to_string(),
                row.tier.label().to_string(),
            ],
        )?;
    }
    out.flush()
}

/// `tokens.csv`: every generated token, in the order they were chosen.
pub fn write_tokens<W: Write>(result: &RunResult, out: &mut W) -> io::Result<()> {
    let mut out = writer(out);
    record(&mut out, TOKEN_COLUMNS)?;
    let tier = result.tier.label();
    for t in &result.tokens {
        let duration = t.end.as_ps().saturating_sub(t.start.as_ps());
        record(
            &mut out,
            &[
                t.request.to_string(),
                t.index.to_string(),
                t.pos.to_string(),
                t.stages.to_string(),
                micros(t.start.as_ps()),
                micros(t.end.as_ps()),
                micros(duration),
                tier.to_string(),
            ],
        )?;
    }
    out.flush()
}

/// `phases.csv`: where every generated token's time went, phase by phase, summed over the chips
/// its tasks ran on (the first token of a request carries its prompt's positions).
pub fn write_phases<W: Write>(result: &RunResult, out: &mut W) -> io::Result<()> {
    let mut out = writer(out);
    record(&mut out, PHASE_COLUMNS)?;
    let tier = result.tier.label();
    for t in &result.tokens {
        let mut fields = vec![
            t.request.to_string(),
            t.index.to_string(),
            t.pos.to_string(),
        ];
        fields.extend(t.phases.named().iter().map(|(_, d)| micros(d.as_ps())));
        let total = t.phases.named().iter().map(|(_, d)| d.as_ps()).sum();
        fields.push(micros(total));
        fields.push(tier.to_string());
        record(&mut out, &fields)?;
    }
    out.flush()
}

/// `chips.csv`: every chip, with its share of the model, its use and its memory.
pub fn write_chips<W: Write>(result: &RunResult, out: &mut W) -> io::Result<()> {
    let mut out = writer(out);
    record(&mut out, CHIP_COLUMNS)?;
    let tier = result.tier.label();
    for chip in &result.chips {
        let role = role(result, chip.chip);
        let shard = role.plan().map(|p| p.shard);
        let mut fields = vec![
            chip.chip.to_string(),
            match role {
                Role::Target(_) => "target",
                Role::Draft { .. } => "draft",
                Role::Expert { .. } => "expert",
                Role::Spare => "spare",
                Role::Unplanned => "unplanned",
            }
            .to_string(),
            chip.replica.to_string(),
            chip.stage.to_string(),
            chip.rank.to_string(),
            shard.map_or(String::new(), |s| s.embedding.to_string()),
        ];
        match shard.map(|s| [s.layers, s.heads, s.ffn_units, s.vocab]) {
            Some(spans) => {
                for span in spans {
                    fields.push(span.start.to_string());
                    fields.push(span.end.to_string());
                }
            }
            None => fields.resize(fields.len() + 8, String::new()),
        }
        let c = &chip.counts;
        let f = &chip.footprint;
        let p = &chip.placement;
        fields.extend([
            micros(chip.busy.as_ps()),
            chip.utilisation.to_string(),
            chip.tasks.to_string(),
        ]);
        fields.extend(
            [
                c.mac_f32,
                c.mac_i8,
                c.mac_i4,
                c.xnor_words,
                c.attn_mac,
                c.lut,
                c.elementwise,
                c.weight_bytes,
                c.kv_read_bytes,
                c.kv_write_bytes,
                f.weights_bytes,
                f.kv_cache_bytes,
                f.activation_bytes,
            ]
            .map(|v| v.to_string()),
        );
        fields.extend([p.weights.name().to_string(), p.kv_cache.name().to_string()]);
        fields.extend(
            [
                p.sram_used,
                p.sram_budget,
                p.psram_used,
                p.flash_used,
                p.sd_used,
            ]
            .map(|v| v.to_string()),
        );
        match result.energy.chips.get(chip.chip as usize) {
            Some(e) => fields.extend(
                [e.active_nj, e.rest_nj, e.total_nj, e.average_power_nw].map(|v| v.to_string()),
            ),
            None => fields.resize(fields.len() + 4, String::new()),
        }
        fields.push(tier.to_string());
        record(&mut out, &fields)?;
    }
    out.flush()
}

/// `links.csv`: every link (or the one shared medium).
pub fn write_links<W: Write>(result: &RunResult, out: &mut W) -> io::Result<()> {
    let mut out = writer(out);
    record(&mut out, LINK_COLUMNS)?;
    let tier = result.tier.label();
    for link in &result.links {
        let [a, b] = match link.pair {
            Some([a, b]) => [a.to_string(), b.to_string()],
            None => [String::new(), String::new()],
        };
        record(
            &mut out,
            &[
                link.link.to_string(),
                link.ends.clone(),
                a,
                b,
                link.bytes.to_string(),
                link.messages.to_string(),
                micros(link.busy.as_ps()),
                link.utilisation.to_string(),
                tier.to_string(),
            ],
        )?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_quoted_per_rfc_4180_and_end_lines() {
        let mut bytes = Vec::new();
        let mut out = writer(&mut bytes);
        record(&mut out, ["1", "shared, medium", ""]).unwrap();
        record(&mut out, ["say \"hi\"", "two\nlines", "plain"]).unwrap();
        out.flush().unwrap();
        drop(out);
        assert_eq!(
            bytes,
            b"1,\"shared, medium\",\n\"say \"\"hi\"\"\",\"two\nlines\",plain\n"
        );
    }
}
