//! "Where a token's time went": the first generated token (which carries the prompt's positions)
//! and the mean of the others, phase by phase, as published per-phase profiles present it.

use ruvsim_hw::phases::PhaseTimes;
use ruvsim_sim::result::RunResult;

use super::{badge_cell, note, num, para, table, text};

/// The phase table of `result`'s tokens, or a sentence when it generated none.
pub fn phases(result: &RunResult) -> String {
    let Some(first) = result.tokens.first() else {
        return para("No token was generated, so no time can be split by phase.");
    };
    let rest: Vec<&PhaseTimes> = result.tokens.iter().skip(1).map(|t| &t.phases).collect();
    let mean_ms = |i: usize| -> Option<f64> {
        (!rest.is_empty()).then(|| {
            rest.iter()
                .map(|p| p.named()[i].1.as_secs_f64())
                .sum::<f64>()
                / rest.len() as f64
                * 1e3
        })
    };
    let rest_total: f64 = (0..7).filter_map(mean_ms).sum();
    let first_total = first.phases.total().map_or(0.0, |t| t.as_secs_f64() * 1e3);
    let mut rows = Vec::new();
    for (i, (name, first_time)) in first.phases.named().iter().enumerate() {
        let first_ms = first_time.as_secs_f64() * 1e3;
        let (mean, share) = match mean_ms(i) {
            Some(ms) if rest_total > 0.0 => (
                format!("{ms:.3}"),
                format!("{:.1}%", ms / rest_total * 100.0),
            ),
            _ => ("-".into(), "-".into()),
        };
        rows.push(vec![
            text(*name),
            num(format!("{first_ms:.3}")),
            num(mean),
            num(share),
            badge_cell(result.tier.label()),
        ]);
    }
    rows.push(vec![
        text("total"),
        num(format!("{first_total:.3}")),
        num(if rest.is_empty() {
            "-".into()
        } else {
            format!("{rest_total:.3}")
        }),
        num(if rest.is_empty() { "-" } else { "100%" }),
        badge_cell(result.tier.label()),
    ]);
    let mut out = table(
        &[
            "phase",
            "first token, ms",
            "later tokens, mean ms",
            "share of a later token",
            "tier",
        ],
        rows,
    );
    out.push_str(&note(
        "Summed over every chip a token's tasks ran on. The first token carries the prompt's \
         positions. Phases: matmul (weight matrix-vector products), attention (scores, softmax \
         and weighted sums over the context), norm, activations (RoPE, SiLU, residuals; under \
         the core profile also norms and lookups), memory (cores stalled on cache line fills \
         from PSRAM or flash), sync (hand-offs between the cores), overheads (token choice, \
         printing, delays). phases.csv lists every token.",
    ));
    out
}
