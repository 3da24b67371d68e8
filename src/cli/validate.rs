//! `ruvsim validate`: every published measurement in a validation folder against the simulation
//! of its setup, computed the way its firmware timed itself; fails when a fully specified case is
//! outside the tolerance.

use std::path::PathBuf;

use anyhow::{bail, ensure, Context};
use clap::Args;
use ruvsim_core::model_dir::REQUIRE_ALL_VAR;
use ruvsim_reports::validate::markdown;
use ruvsim_traces::validate::validate;

use crate::cli::simulation;

/// Arguments of `ruvsim validate`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    ruvsim validate --model-dir ../shared/models\n  \
    ruvsim validate --tolerance 15 --out /tmp/validation")]
pub struct ValidateArgs {
    /// The folder of validation cases (one `*.toml` per published measurement).
    #[arg(long, value_name = "DIR", default_value = "validation")]
    dir: PathBuf,
    /// Largest acceptable error of a fully specified case, in percent.
    #[arg(
        long,
        value_name = "PCT",
        default_value_t = 10.0,
        allow_negative_numbers = true
    )]
    tolerance: f64,
    /// Where model files are looked for first [default: $RUVSIM_MODEL_DIR when set].
    #[arg(long, value_name = "DIR")]
    model_dir: Option<PathBuf>,
    /// Folder for validation.md and validation.json (nothing is written without it).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print the whole result as JSON on stdout instead of the Markdown report.
    #[arg(long)]
    json: bool,
}

/// Validates, prints (and optionally writes) the report, and fails on a case outside the
/// tolerance.
pub fn run(args: &ValidateArgs) -> anyhow::Result<()> {
    ensure!(
        args.tolerance.is_finite() && args.tolerance >= 0.0,
        "--tolerance {} must be a percentage of at least 0",
        args.tolerance
    );
    let model_dir = simulation::model_dir(args.model_dir.as_deref());
    let validation = validate(&args.dir, model_dir.as_deref())?;
    let tolerance = args.tolerance / 100.0;
    let report = markdown(&validation, tolerance);
    let json = serde_json::to_string_pretty(&validation)?;
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        for (name, text) in [("validation.md", &report), ("validation.json", &json)] {
            let path = out.join(name);
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    if args.json {
        println!("{json}");
    } else {
        print!("{report}");
    }
    let require_all = std::env::var(REQUIRE_ALL_VAR).is_ok_and(|v| v == "1");
    let skipped: Vec<&str> = validation
        .cases
        .iter()
        // A case without a scenario is not modelled (its report says why); every other case
        // must run.
        .filter(|c| c.case.scenario.is_some() && c.simulated_tok_s.is_err())
        .map(|c| c.case.name.as_str())
        .collect();
    if require_all && !skipped.is_empty() {
        bail!(
            "{} could not be simulated; {REQUIRE_ALL_VAR}=1 requires every case to run",
            skipped.join(", ")
        );
    }
    let failing: Vec<String> = validation
        .failing(tolerance)
        .iter()
        .map(|c| match c.error {
            Some(e) => format!("{} ({:+.1}%)", c.case.name, e * 100.0),
            None => format!("{} (not simulated)", c.case.name),
        })
        .collect();
    if !failing.is_empty() {
        bail!(
            "fully specified case(s) outside the tolerance of {}%: {}",
            args.tolerance,
            failing.join(", ")
        );
    }
    Ok(())
}
