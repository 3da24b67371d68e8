//! `ruvsim gated`: runs a scenario's event-gated experiment (a gate waking the model on sensor
//! events, against a model polling on a timer) and prints or writes a small report: markdown,
//! CSV and JSON, every figure with its tier, beside the reference documents' "107x" claim.

use std::path::PathBuf;

use anyhow::{anyhow, Context};
use clap::Args;
use ruvsim_experiments::gated::run_gated;
use ruvsim_reports::gated::{csv, markdown};

use crate::cli::simulation::{self, ScenarioOverrides};

/// Arguments of `ruvsim gated`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    ruvsim gated scenarios/event-gated.toml\n  \
    ruvsim gated scenarios/event-gated.toml --seed 2 --out /tmp/gated\n  \
    ruvsim gated scenarios/event-gated.toml --json")]
pub struct GatedArgs {
    /// A scenario with a [gated] table (see scenarios/event-gated.toml).
    #[arg(value_name = "SCENARIO.toml")]
    scenario: PathBuf,
    /// Folder for report.md, gated.csv and gated.json (nothing is written without it).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    #[command(flatten)]
    overrides: ScenarioOverrides,
    /// Print the whole result as JSON on stdout instead of the markdown report.
    #[arg(long)]
    json: bool,
}

/// Runs the experiment and prints (and optionally writes) its report.
pub fn run(args: &GatedArgs) -> anyhow::Result<()> {
    let loaded = simulation::load(&args.scenario)?;
    let options = args.overrides.run_options();
    let result = run_gated(&loaded, &options).map_err(|e| anyhow!("{}: {e}", loaded.file))?;
    let report = markdown(&result);
    let json = serde_json::to_string_pretty(&result)?;
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        for (name, text) in [
            ("report.md", report.as_str()),
            ("gated.csv", &csv(&result)),
            ("gated.json", &json),
        ] {
            let path = out.join(name);
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    if args.json {
        println!("{json}");
    } else {
        print!("{report}");
        if let Some(out) = &args.out {
            println!("\nwritten: {}", out.display());
        }
    }
    Ok(())
}
