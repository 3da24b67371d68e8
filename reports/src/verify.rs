//! A verification as files: `verify.md` (the verdict, measured and simulated side by side, each
//! with its tier), `comparisons.csv` (one row per verdict row) and `phases.csv` (every aligned
//! phase). Numbers are written with fixed decimals so the same verification gives the same bytes.

use std::fmt::Write as _;

use ruvsim_engine::time::{Duration, PS_PER_US};
use ruvsim_traces::verify::Verification;

/// Header of `comparisons.csv`.
pub const COMPARISON_COLUMNS: &str = "scope,name,unit,count,measured_mean,measured_tier,\
simulated_mean,simulated_tier,mape_pct,p90_pct,within_tolerance";

/// Header of `phases.csv`.
pub const PHASE_COLUMNS: &str = "board,chip,stream,phase,pos,occurrence,measured_us,\
simulated_us,error_pct";

fn micros(d: Duration) -> String {
    let ps = d.as_ps();
    format!("{}.{:06}", ps / PS_PER_US, ps % PS_PER_US)
}

/// Quotes a CSV field when it needs it (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn tier_word(v: &Verification) -> &str {
    if v.measured_tier.starts_with("measured") {
        "measured"
    } else if v.measured_tier.starts_with("synthetic") {
        "synthetic"
    } else {
        "mixed"
    }
}

/// `comparisons.csv`.
pub fn comparisons_csv(v: &Verification) -> String {
    let mut out = format!("{COMPARISON_COLUMNS}\n");
    for c in &v.comparisons {
        let _ = writeln!(
            out,
            "{},{},{},{},{:.6},{},{:.6},simulated,{:.4},{:.4},{}",
            csv_field(&c.scope),
            csv_field(&c.name),
            c.unit,
            c.stats.count,
            c.stats.measured_mean,
            tier_word(v),
            c.stats.simulated_mean,
            c.stats.mape_pct,
            c.stats.p90_pct,
            c.within
        );
    }
    out
}

/// `phases.csv`.
pub fn phases_csv(v: &Verification) -> String {
    let mut out = format!("{PHASE_COLUMNS}\n");
    for p in &v.phases {
        let measured = p.measured.as_ps() as f64;
        let error = if measured > 0.0 {
            format!(
                "{:.4}",
                (p.simulated.as_ps() as f64 - measured) / measured * 100.0
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{}",
            csv_field(&p.board),
            p.chip,
            p.stream,
            csv_field(&p.label),
            p.pos,
            p.occurrence,
            micros(p.measured),
            micros(p.simulated),
            error
        );
    }
    out
}

/// `verify.md`; `files_beside` says whether the CSV files are written beside it, so the report
/// points to them only when they exist.
pub fn markdown(v: &Verification, files_beside: bool) -> String {
    let mut out = String::new();
    let verdict = if v.passed { "PASS" } else { "FAIL" };
    let _ = writeln!(
        out,
        "# Verification of {} against {}\n",
        v.scenario, v.trace
    );
    let _ = writeln!(
        out,
        "**{verdict}** at a tolerance of {}% (mean absolute percentage error per row).\n",
        v.tolerance_pct
    );
    let _ = writeln!(
        out,
        "- measured side: tier **{}**{}",
        v.measured_tier,
        if v.sources.is_empty() {
            String::new()
        } else {
            format!(" (source: {})", v.sources.join("; "))
        }
    );
    let _ = writeln!(
        out,
        "- simulated side: tier **simulated** (this scenario, event by event)"
    );
    let _ = writeln!(
        out,
        "- aligned: {} phase(s), {} token(s), {} transfer(s)\n",
        v.phases.len(),
        v.tokens.len(),
        v.transfers.len()
    );
    let _ = writeln!(
        out,
        "| scope | what | n | measured ({}) | simulated (simulated) | MAPE % | p90 % | within |",
        tier_word(v)
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---|");
    for c in &v.comparisons {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.3} {} | {:.3} {} | {:.3} | {:.3} | {} |",
            c.scope,
            c.name.replace('|', "/"),
            c.stats.count,
            c.stats.measured_mean,
            c.unit,
            c.stats.simulated_mean,
            c.unit,
            c.stats.mape_pct,
            c.stats.p90_pct,
            if c.within { "yes" } else { "**no**" }
        );
    }
    if !v.not_compared.is_empty() {
        let _ = writeln!(out, "\n## Not compared\n");
        for note in &v.not_compared {
            let _ = writeln!(out, "- {note}");
        }
    }
    let _ = writeln!(
        out,
        "\n{}",
        if files_beside {
            "Every aligned phase is in `phases.csv` beside this report; the rows above are in \
             `comparisons.csv`."
        } else {
            "Give --out DIR to write every aligned phase (`phases.csv`) and the rows above \
             (`comparisons.csv`)."
        }
    );
    out
}
