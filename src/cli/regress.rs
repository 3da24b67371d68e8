//! `ruvsim regress`: runs every scenario of a baseline file, compares its figures with the
//! recorded ones, prints what changed, and fails when a figure regressed beyond the tolerance.
//! The simulation is deterministic, so with the default tolerance of 0% any worse figure is a real
//! change; `--update` records the new values instead.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, ensure, Context};
use clap::Args;
use ruvsim_core::model_dir::{MODEL_DIR_VAR, REQUIRE_ALL_VAR};
use ruvsim_experiments::regress::{baseline, run_row, RowOutcome};
use ruvsim_reports::regress::{changes, conclusion};

use crate::cli::simulation;

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
    #[arg(
        long,
        value_name = "PCT",
        default_value_t = 0.0,
        allow_negative_numbers = true
    )]
    tolerance: f64,
    /// Where model files are looked for first [default: $RUVSIM_MODEL_DIR when set].
    #[arg(long, value_name = "DIR")]
    model_dir: Option<PathBuf>,
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
        let outcome = run_row(
            row,
            folder,
            model_dir.as_deref(),
            args.tolerance,
            simulation::simulate_with_progress,
        )
        .map_err(|e| anyhow!(e))?;
        if let RowOutcome::Skipped(missing) = &outcome {
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
    print!("{}", changes(&baseline, &outcomes));

    if args.update {
        for (row, outcome) in baseline.rows.iter_mut().zip(&outcomes) {
            if let RowOutcome::Ran(changes) = outcome {
                row.values = changes.iter().map(|c| Some(c.now)).collect();
            }
        }
        std::fs::write(&args.baseline, baseline::render(&baseline))
            .with_context(|| format!("cannot write the baseline {file}"))?;
        println!("updated {file}");
        return Ok(());
    }
    let (text, failure) = conclusion(&baseline, &outcomes, args.tolerance);
    print!("{text}");
    let skipped = outcomes
        .iter()
        .filter(|o| matches!(o, RowOutcome::Skipped(_)))
        .count();
    if skipped > 0 {
        println!(
            "NOT CHECKED: {skipped} of {} scenario(s) skipped for missing model files (listed \
             above); this result covers only the others (set {REQUIRE_ALL_VAR}=1 to fail instead)",
            outcomes.len()
        );
    }
    match failure {
        Some(message) => bail!(message),
        None => Ok(()),
    }
}
