//! The throughput-regression report: one line per scenario, a table of every figure that
//! changed, and the verdict of the whole run.

use ruvsim_experiments::regress::{Baseline, Change, Row, RowOutcome, Verdict};

/// One line per scenario that ran, then a table of every figure that differs from the baseline.
pub fn changes(baseline: &Baseline, outcomes: &[RowOutcome]) -> String {
    let mut text = String::new();
    let mut table: Vec<[String; 6]> = Vec::new();
    for (row, outcome) in baseline.rows.iter().zip(outcomes) {
        let RowOutcome::Ran(changes) = outcome else {
            continue;
        };
        let changed: Vec<&Change> = changes
            .iter()
            .filter(|c| c.verdict != Verdict::Unchanged)
            .collect();
        text.push_str(&format!(
            "{} ({}): {}\n",
            row.scenario,
            row.fidelity.name(),
            if changed.is_empty() {
                "unchanged".to_string()
            } else {
                format!("{} figure(s) changed", changed.len())
            }
        ));
        for change in changed {
            table.push([
                row.scenario.clone(),
                change.figure.column.to_string(),
                change
                    .recorded
                    .map_or_else(|| "-".into(), |v| v.to_string()),
                change.now.to_string(),
                change
                    .percent
                    .map_or_else(|| "-".into(), |p| format!("{p:+.4}%")),
                change.verdict.label().to_string(),
            ]);
        }
    }
    if table.is_empty() {
        return text;
    }
    let header = ["scenario", "figure", "baseline", "now", "change", "verdict"].map(String::from);
    let widths: Vec<usize> = (0..6)
        .map(|column| {
            table
                .iter()
                .chain([&header])
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    text.push('\n');
    for row in [&header].into_iter().chain(&table) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, &width)| format!("{cell:<width$}"))
            .collect();
        text.push_str(&format!("  {}\n", cells.join("  ").trim_end()));
    }
    text
}

/// The verdict of the whole run: closing lines to print, and, when a figure regressed or is not
/// recorded, the failure naming every such scenario and figure.
pub fn conclusion(
    baseline: &Baseline,
    outcomes: &[RowOutcome],
    tolerance: f64,
) -> (String, Option<String>) {
    let changes: Vec<(&Row, &Change)> = baseline
        .rows
        .iter()
        .zip(outcomes)
        .flat_map(|(row, outcome)| match outcome {
            RowOutcome::Ran(changes) => changes.iter().map(|c| (row, c)).collect(),
            RowOutcome::Skipped(_) => Vec::new(),
        })
        .collect();
    let count = |verdict: Verdict| changes.iter().filter(|(_, c)| c.verdict == verdict).count();
    let mut text = String::new();
    let improved = count(Verdict::Improved);
    if improved > 0 {
        text.push_str(&format!(
            "{improved} figure(s) improved: run --update to record them\n"
        ));
    }
    let failing: Vec<String> = changes
        .iter()
        .filter(|(_, c)| c.verdict.fails())
        .map(|(row, c)| {
            format!(
                "{} {} ({})",
                row.scenario,
                c.figure.column,
                c.verdict.label()
            )
        })
        .collect();
    if failing.is_empty() {
        text.push_str(&format!("no regressions (tolerance {tolerance}%)\n"));
        return (text, None);
    }
    let mut message = format!(
        "{} figure(s) regressed beyond the tolerance of {tolerance}% or are not recorded: {}",
        failing.len(),
        failing.join(", ")
    );
    if count(Verdict::NotRecorded) > 0 {
        message.push_str("; run --update to record the missing values");
    }
    (text, Some(message))
}
