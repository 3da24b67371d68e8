//! Throughput regression: runs every scenario of a baseline file, compares its figures with the
//! recorded ones, and says which changed, improved or regressed beyond a tolerance.
//!
//! - [`baseline`]: the file format (scenario, fidelity, recorded figures) and its parser.
//! - [`compare`]: one run's figures against the recorded ones, figure by figure.
//!
//! The simulation is deterministic, so with a tolerance of 0% any worse figure is a real change.

pub mod baseline;
pub mod compare;

use std::path::Path;

use ruvsim_sim::model_source::missing_model_files;
use ruvsim_sim::result::RunResult;
use ruvsim_sim::run::RunOptions;
use ruvsim_sim::scenario::{self, LoadedScenario};

pub use baseline::{figures_of, Baseline, BaselineError, Row};
pub use compare::{compare, Change, Verdict};

/// What happened to one baseline row.
#[derive(Clone, Debug)]
pub enum RowOutcome {
    /// It ran: its figures compared with the recorded ones.
    Ran(Vec<Change>),
    /// It needs model files that are not available (named).
    Skipped(Vec<String>),
}

/// Runs one row's scenario (relative to `folder`) at its fidelity with `simulate`, and compares
/// its figures; a scenario whose model files are missing from `model_dir` is skipped. `simulate`
/// is the caller's way of running (with a progress indicator, say); any error it returns is
/// passed on as text.
pub fn run_row<E: std::fmt::Display>(
    row: &Row,
    folder: &Path,
    model_dir: Option<&Path>,
    tolerance: f64,
    simulate: impl Fn(&LoadedScenario, &RunOptions) -> Result<RunResult, E>,
) -> Result<RowOutcome, String> {
    let path = folder.join(&row.scenario);
    let loaded = scenario::load(&path).map_err(|e| e.to_string())?;
    let missing = missing_model_files(&loaded, model_dir);
    if !missing.is_empty() {
        return Ok(RowOutcome::Skipped(missing));
    }
    let options = RunOptions {
        fidelity: Some(row.fidelity),
        model_dir: model_dir.map(Path::to_path_buf),
        ..RunOptions::default()
    };
    let result = simulate(&loaded, &options).map_err(|e| e.to_string())?;
    Ok(RowOutcome::Ran(compare(
        &row.values,
        &figures_of(&result),
        tolerance,
    )))
}
