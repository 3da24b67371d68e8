//! The validation report: each published measurement beside the simulated figure computed the
//! same way, with tiers, the error, and where a token's time went.

use std::fmt::Write as _;

use ruvsim_traces::validate::{Standing, Validation};

/// The standing of a published figure in words.
fn standing(standing: Standing) -> &'static str {
    match standing {
        Standing::Measured => "measured",
        Standing::Unverified => "measured, unverified (no log)",
        Standing::Sanity => "measured, rounded (sanity check)",
    }
}

/// A Markdown report: one row per case, then each case's source, timing, unknowns and phase
/// split. `tolerance` is the fraction fully specified cases are held to.
pub fn markdown(validation: &Validation, tolerance: f64) -> String {
    let mut text = String::from(
        "# Validation: published measurements against the simulation\n\n\
         | case | setup | published tok/s (tier) | simulated tok/s (tier) | error | held to the tolerance |\n\
         |---|---|---:|---:|---:|---|\n",
    );
    for c in &validation.cases {
        let simulated = match &c.simulated_tok_s {
            Ok(rate) => format!("{rate:.2} (simulated)"),
            Err(reason) => format!("not simulated: {reason}"),
        };
        let error = c
            .error
            .map_or("-".into(), |e| format!("{:+.1}%", e * 100.0));
        let held = match (c.case.fully_specified, c.error) {
            (true, Some(e)) if e.abs() <= tolerance => "yes: within".to_string(),
            (true, _) => "yes: OUTSIDE".to_string(),
            (false, _) => "no: setup not fully specified".to_string(),
        };
        let _ = writeln!(
            text,
            "| {} | {} | {} ({}) | {} | {} | {} |",
            c.case.name,
            c.case.setup,
            c.case.measured_tok_s,
            standing(c.case.standing),
            simulated,
            error,
            held
        );
    }
    let _ = writeln!(text, "\nTolerance: {:.0}%.", tolerance * 100.0);
    for c in &validation.cases {
        let source = &c.case.source;
        let _ = writeln!(
            text,
            "\n## {}\n\n- Source: {} at {}, `{}`: \"{}\"\n- Timed: {}",
            c.case.name,
            source.repository,
            source.commit,
            source.file,
            source.quote,
            c.case.how_timed
        );
        if !c.case.unknowns.is_empty() {
            let _ = writeln!(text, "- Unknown in the published setup:");
            for unknown in &c.case.unknowns {
                let _ = writeln!(text, "  - {unknown}");
            }
        }
        if !c.phases_ms.is_empty() {
            let split: Vec<String> = c
                .phases_ms
                .iter()
                .map(|(name, ms)| format!("{name} {ms:.2}"))
                .collect();
            let total: f64 = c.phases_ms.iter().map(|(_, ms)| ms).sum();
            let _ = writeln!(
                text,
                "- One generated token, mean after the first (simulated, ms): {} = {total:.2}",
                split.join(", ")
            );
        }
    }
    text
}
