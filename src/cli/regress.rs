//! `ruvsim regress`: runs every scenario of a baseline file, compares its figures with the
//! recorded ones, prints what changed, and fails when a figure regressed beyond the tolerance.
//! The simulation is deterministic, so with the default tolerance of 0% any worse figure is a real
//! change; `--update` records the new values instead.

mod baseline;
mod compare;

use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context};
use clap::Args;
use ruvsim_core::model_dir::{MODEL_DIR_VAR, REQUIRE_ALL_VAR};
use ruvsim_sim::run::RunOptions;

use crate::cli::simulation;
use baseline::{figures_of, Baseline, Row};
use compare::{compare, Change, Verdict};

/// Arguments of `ruvsim regress`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    ruvsim regress\n  \
    ruvsim regress --tolerance 0.5\n  \
    ruvsim regress --update\n  \
    ruvsim regress --baseline my-baseline.csv --model-dir ../shared/models")]
pub struct RegressArgs {
    /// The baseline file: one row per scenario (path relative to the file's folder, fidelity,
    /// recorded figures).
    #[arg(long, value_name = "FILE", default_value = "scenarios/baseline.csv")]
    baseline: PathBuf,
    /// Rewrite the baseline with the figures of this run instead of failing on changes.
    #[arg(long)]
    update: bool,
    /// How much worse than recorded a figure may be, in percent, and still pass.
    #[arg(long, value_name = "PCT", default_value_t = 0.0)]
    tolerance: f64,
    /// Where model files are looked for first [default: $RUVSIM_MODEL_DIR when set].
    #[arg(long, value_name = "DIR")]
    model_dir: Option<PathBuf>,
}

/// What happened to one baseline row.
enum Outcome {
    /// It ran: its figures compared with the recorded ones.
    Ran(Vec<Change>),
    /// It needs model files that are not available.
    Skipped(Vec<String>),
}

/// Runs the baseline's scenarios, prints the changes, and fails on regressions (or records the
/// new figures with `--update`).
pub fn run(args: &RegressArgs) -> anyhow::Result<()> {
    ensure!(
        args.tolerance.is_finite() && args.tolerance >= 0.0,
        "--tolerance {} must be a percentage of at least 0",
        args.tolerance
    );
    let file = args.baseline.display().to_string();
    let text = std::fs::read_to_string(&args.baseline)
        .with_context(|| format!("cannot read the baseline {file}"))?;
    let mut baseline = baseline::parse(&file, &text)?;
    let folder = args.baseline.parent().unwrap_or(Path::new(""));
    let model_dir = simulation::model_dir(args.model_dir.as_deref());
    let require_all = std::env::var(REQUIRE_ALL_VAR).is_ok_and(|value| value == "1");

    let mut outcomes = Vec::with_capacity(baseline.rows.len());
    for row in &baseline.rows {
        let outcome = run_row(row, folder, model_dir.as_deref(), args.tolerance)?;
        if let Outcome::Skipped(missing) = &outcome {
            let reason = format!(
                "{} needs {} (give --model-dir or set {MODEL_DIR_VAR})",
                row.scenario,
                missing.join(", ")
            );
            if require_all {
                bail!("{reason}; {REQUIRE_ALL_VAR}=1 requires every scenario to run");
            }
            println!("skipped: {reason}");
        }
        outcomes.push(outcome);
    }
    print_changes(&baseline, &outcomes);

    if args.update {
        for (row, outcome) in baseline.rows.iter_mut().zip(&outcomes) {
            if let Outcome::Ran(changes) = outcome {
                row.values = changes.iter().map(|c| Some(c.now)).collect();
            }
        }
        std::fs::write(&args.baseline, baseline::render(&baseline))
            .with_context(|| format!("cannot write the baseline {file}"))?;
        println!("updated {file}");
        return Ok(());
    }
    conclude(&baseline, &outcomes, args.tolerance)
}

/// Runs one row's scenario at its fidelity and compares its figures.
fn run_row(
    row: &Row,
    folder: &Path,
    model_dir: Option<&Path>,
    tolerance: f64,
) -> anyhow::Result<Outcome> {
    let path = folder.join(&row.scenario);
    let loaded = simulation::load(&path)?;
    let missing = simulation::missing_model_files(&loaded, model_dir);
    if !missing.is_empty() {
        return Ok(Outcome::Skipped(missing));
    }
    let options = RunOptions {
        fidelity: Some(row.fidelity),
        model_dir: model_dir.map(Path::to_path_buf),
        ..RunOptions::default()
    };
    let result = simulation::simulate_with_progress(&loaded, &options)?;
    Ok(Outcome::Ran(compare(
        &row.values,
        &figures_of(&result),
        tolerance,
    )))
}

/// Prints one line per scenario, and a table of every figure that differs from the baseline.
fn print_changes(baseline: &Baseline, outcomes: &[Outcome]) {
    let mut table: Vec<[String; 6]> = Vec::new();
    for (row, outcome) in baseline.rows.iter().zip(outcomes) {
        let Outcome::Ran(changes) = outcome else {
            continue;
        };
        let changed: Vec<&Change> = changes
            .iter()
            .filter(|c| c.verdict != Verdict::Unchanged)
            .collect();
        println!(
            "{} ({}): {}",
            row.scenario,
            row.fidelity.name(),
            if changed.is_empty() {
                "unchanged".to_string()
            } else {
                format!("{} figure(s) changed", changed.len())
            }
        );
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
        return;
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
    println!();
    for row in [&header].into_iter().chain(&table) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, &width)| format!("{cell:<width$}"))
            .collect();
        println!("  {}", cells.join("  ").trim_end());
    }
}

/// The verdict of the whole run: an error naming every failing scenario and figure, or a
/// closing line.
fn conclude(baseline: &Baseline, outcomes: &[Outcome], tolerance: f64) -> anyhow::Result<()> {
    let changes: Vec<(&Row, &Change)> = baseline
        .rows
        .iter()
        .zip(outcomes)
        .flat_map(|(row, outcome)| match outcome {
            Outcome::Ran(changes) => changes.iter().map(|c| (row, c)).collect(),
            Outcome::Skipped(_) => Vec::new(),
        })
        .collect();
    let count = |verdict: Verdict| changes.iter().filter(|(_, c)| c.verdict == verdict).count();
    let improved = count(Verdict::Improved);
    if improved > 0 {
        println!("{improved} figure(s) improved: run --update to record them");
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
        println!("no regressions (tolerance {tolerance}%)");
        return Ok(());
    }
    let mut message = format!(
        "{} figure(s) regressed beyond the tolerance of {tolerance}% or are not recorded: {}",
        failing.len(),
        failing.join(", ")
    );
    if count(Verdict::NotRecorded) > 0 {
        message.push_str("; run --update to record the missing values");
    }
    bail!(message)
}
