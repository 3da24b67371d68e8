//! `ruvsim verify`: runs a scenario, sets a trace of the same setup beside it, and fails when the
//! error exceeds the tolerance. The report (Markdown and CSV) shows measured and simulated side by
//! side, each with its tier.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use ruvsim_reports::verify::{comparisons_csv, markdown, phases_csv};
use ruvsim_sim::run::RunOptions;
use ruvsim_traces::matching::{check_matches, scenario_checksums};
use ruvsim_traces::read_trace;
use ruvsim_traces::verify::verify;

use crate::cli::simulation;

/// Arguments of `ruvsim verify`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    ruvsim verify scenarios/stories260k-s3-psram.toml --trace traces/esp32-llm-s3-summary.trace \
    --model-dir ../shared/models\n  \
    ruvsim verify scenarios/pipeline5.toml --trace run.trace --tolerance 5 --out verify-out")]
pub struct VerifyArgs {
    /// The scenario the trace was recorded with.
    #[arg(value_name = "SCENARIO.toml")]
    scenario: PathBuf,
    /// The trace (docs/trace-format.md).
    #[arg(long, value_name = "FILE")]
    trace: PathBuf,
    /// Largest acceptable mean absolute percentage error of any compared figure.
    #[arg(
        long,
        default_value_t = 10.0,
        value_name = "PCT",
        allow_negative_numbers = true
    )]
    tolerance: f64,
    /// Folder for verify.md, comparisons.csv and phases.csv.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Where model files are looked for first [default: $RUVSIM_MODEL_DIR when set].
    #[arg(long, value_name = "DIR")]
    model_dir: Option<PathBuf>,
    /// A calibration file applied after the scenario's own (for example one `ruvsim calibrate`
    /// wrote).
    #[arg(long, value_name = "FILE")]
    calibration: Option<PathBuf>,
}

/// Verifies and reports; an error (non-zero exit) when a figure is outside the tolerance.
pub fn run(args: &VerifyArgs) -> anyhow::Result<()> {
    if !(args.tolerance.is_finite() && args.tolerance >= 0.0) {
        bail!(
            "--tolerance must be a non-negative percentage, got {}",
            args.tolerance
        );
    }
    let loaded = simulation::load(&args.scenario)?;
    let trace = read_trace(&args.trace)?;
    let model_dir = simulation::model_dir(args.model_dir.as_deref());
    let options = RunOptions {
        model_dir: model_dir.clone(),
        calibration_file: args.calibration.clone(),
        timeline_limit: Some(usize::MAX),
        ..RunOptions::default()
    };
    let result = simulation::simulate_with_progress(&loaded, &options)?;
    let checksums = scenario_checksums(&loaded, model_dir.as_deref())
        .with_context(|| format!("cannot checksum the model of {}", loaded.file))?;
    check_matches(&trace, &loaded, &result, &checksums)?;
    let verification = verify(&trace, &result, args.tolerance);
    let report = markdown(&verification, args.out.is_some());
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let files = [
            ("verify.md", report.clone()),
            ("comparisons.csv", comparisons_csv(&verification)),
            ("phases.csv", phases_csv(&verification)),
        ];
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    print!("{report}");
    if let Some(dir) = &args.out {
        println!("report: {}", dir.display());
    }
    if !verification.passed {
        let outside: Vec<String> = verification
            .comparisons
            .iter()
            .filter(|c| !c.within)
            .map(|c| format!("{} {} ({:.2}%)", c.scope, c.name, c.stats.mape_pct))
            .collect();
        if outside.is_empty() {
            bail!("nothing in the trace could be compared with the simulation");
        }
        bail!(
            "error above the tolerance of {}%: {}",
            args.tolerance,
            outside.join("; ")
        );
    }
    Ok(())
}
