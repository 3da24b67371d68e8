//! Published measurements against the simulation (`ruvsim validate`).
//!
//! A validation folder holds one case per published measurement (`*.toml`): the scenario with its
//! complete setup, the measured figure, its source (repository, commit, file, the quoted text),
//! how the firmware timed it, and what the setup leaves unknown. [`run_case`] simulates the
//! scenario and computes the tokens per second the way the firmware computed its own (see
//! [`TimerStart`]), so the two figures are comparable; [`Validation::failing`] names the fully
//! specified cases whose error exceeds a tolerance.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use ruvsim_sim::model_source::missing_model_files;
use ruvsim_sim::result::RunResult;
use ruvsim_sim::run::{simulate, RunError, RunOptions};
use ruvsim_sim::scenario::{self, ScenarioError};
use ruvsim_sim::toml_error::{from_toml_str, TomlError};

/// Where a published figure comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The public repository (or page).
    pub repository: String,
    /// The commit the figure and setup were read at.
    pub commit: String,
    /// The file holding the figure.
    pub file: String,
    /// The text that states it.
    pub quote: String,
}

/// How much a published figure can be trusted as a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Stated with a log or a precise method and setup.
    Measured,
    /// Stated without a log: the figure cannot be checked.
    Unverified,
    /// Rounded, or with a setup that disagrees with itself: a sanity check only.
    Sanity,
}

/// Where the firmware's timer starts, so the simulated figure is computed the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerStart {
    /// Generated tokens divided by the whole generation, prompt included.
    WholeRun,
    /// llama2.c's `run.c`: the timer starts after the first position; positions after it divided
    /// by the time they took (prompt positions included).
    AfterFirstPosition,
}

/// `[case]` of a validation file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Short name.
    pub name: String,
    /// The board and firmware in words.
    pub setup: String,
    /// The scenario, relative to the case file; absent when the setup has a mechanism ruvsim
    /// does not model (then `not_modelled` says which).
    #[serde(default)]
    pub scenario: Option<String>,
    /// Why there is no scenario.
    #[serde(default)]
    pub not_modelled: Option<String>,
    /// The published figure, tokens per second.
    pub measured_tok_s: f64,
    /// How far it can be trusted.
    pub standing: Standing,
    /// Whether the scenario specifies everything the figure depends on (only such cases are held
    /// to the tolerance).
    pub fully_specified: bool,
    /// How the firmware timed it.
    pub timer: TimerStart,
    /// How it was timed, in words.
    pub how_timed: String,
    /// Where it comes from.
    pub source: Source,
    /// What the published setup leaves unknown (and what the scenario assumed for it).
    pub unknowns: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    case: Case,
}

/// One case's outcome.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CaseResult {
    /// The case.
    pub case: Case,
    /// The simulated figure computed as the firmware computes its own (tier: simulated), or why
    /// it could not be simulated.
    pub simulated_tok_s: Result<f64, String>,
    /// `simulated / measured - 1`, when simulated.
    pub error: Option<f64>,
    /// Where one generated token's time went, mean over the generated tokens after the first,
    /// in milliseconds by phase (tier: simulated).
    pub phases_ms: Vec<(String, f64)>,
}

/// Every case of a folder.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Validation {
    /// The cases, in file-name order.
    pub cases: Vec<CaseResult>,
}

/// Why a validation could not run.
#[derive(Debug, Error)]
pub enum ValidateError {
    /// The folder or a case file could not be read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
    /// A case file is malformed.
    #[error(transparent)]
    Case(#[from] TomlError),
    /// A case's scenario is malformed.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The folder has no case.
    #[error("{0} holds no validation case (*.toml with a [case] table)")]
    Empty(String),
}

/// The case files of `dir`, in name order.
pub fn case_files(dir: &Path) -> Result<Vec<PathBuf>, ValidateError> {
    let entries = std::fs::read_dir(dir).map_err(|e| ValidateError::Read {
        path: dir.display().to_string(),
        reason: e.to_string(),
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "toml")
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().ends_with(".scenario.toml"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(ValidateError::Empty(dir.display().to_string()));
    }
    Ok(files)
}

/// Reads one case file.
pub fn read_case(path: &Path) -> Result<Case, ValidateError> {
    let text = std::fs::read_to_string(path).map_err(|e| ValidateError::Read {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    Ok(from_toml_str::<CaseFile>(&path.display().to_string(), &text)?.case)
}

/// Simulates one case (its model files looked for in `model_dir`, then beside the scenario).
pub fn run_case(path: &Path, model_dir: Option<&Path>) -> Result<CaseResult, ValidateError> {
    let case = read_case(path)?;
    let Some(scenario_file) = &case.scenario else {
        let reason = case
            .not_modelled
            .clone()
            .unwrap_or_else(|| "the case names no scenario".into());
        return Ok(CaseResult {
            simulated_tok_s: Err(format!("not modelled: {reason}")),
            error: None,
            phases_ms: Vec::new(),
            case,
        });
    };
    let folder = path.parent().unwrap_or(Path::new(""));
    let loaded = scenario::load(&folder.join(scenario_file))?;
    let missing = missing_model_files(&loaded, model_dir);
    let simulated = if missing.is_empty() {
        let options = RunOptions {
            model_dir: model_dir.map(Path::to_path_buf),
            ..RunOptions::default()
        };
        simulate(&loaded, &options)
            .map_err(|e: RunError| e.to_string())
            .and_then(|result| firmware_rate(&result, case.timer).map(|rate| (rate, result)))
    } else {
        Err(format!(
            "needs {} (give --model-dir or set RUVSIM_MODEL_DIR)",
            missing.join(", ")
        ))
    };
    let (simulated_tok_s, phases_ms) = match simulated {
        Ok((rate, result)) => (Ok(rate), mean_phases_ms(&result)),
        Err(reason) => (Err(reason), Vec::new()),
    };
    let error = simulated_tok_s
        .as_ref()
        .ok()
        .map(|rate| rate / case.measured_tok_s - 1.0);
    Ok(CaseResult {
        case,
        simulated_tok_s,
        error,
        phases_ms,
    })
}

/// Every case of `dir`.
pub fn validate(dir: &Path, model_dir: Option<&Path>) -> Result<Validation, ValidateError> {
    let cases = case_files(dir)?
        .iter()
        .map(|path| run_case(path, model_dir))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Validation { cases })
}

impl Validation {
    /// The fully specified cases whose error exceeds `tolerance` (a fraction), or that could not
    /// be simulated.
    pub fn failing(&self, tolerance: f64) -> Vec<&CaseResult> {
        self.cases
            .iter()
            .filter(|c| c.case.fully_specified)
            .filter(|c| c.error.is_none_or(|e| e.abs() > tolerance))
            .collect()
    }
}

/// Tokens per second as the firmware computes its own, from a single-request run.
fn firmware_rate(result: &RunResult, timer: TimerStart) -> Result<f64, String> {
    let request = result
        .requests
        .first()
        .ok_or("the scenario ran no request")?;
    let tokens: Vec<_> = result
        .tokens
        .iter()
        .filter(|t| t.request == request.id)
        .collect();
    let (first, last) = match (tokens.first(), tokens.last()) {
        (Some(first), Some(last)) if tokens.len() > 1 => (first, last),
        _ => return Err("the scenario generated fewer than two tokens".into()),
    };
    let seconds = |from: ruvsim_engine::time::Time, to: ruvsim_engine::time::Time| {
        to.checked_duration_since(from)
            .map(|d| d.as_secs_f64())
            .filter(|s| *s > 0.0)
            .ok_or_else(|| "the run took no time".to_string())
    };
    match timer {
        TimerStart::WholeRun => {
            Ok(f64::from(request.generated) / seconds(request.start, last.end)?)
        }
        TimerStart::AfterFirstPosition => {
            // Every position after the first one: the prompt's after BOS and the generated ones,
            // timed from the end of the first position (the prompt's positions share the first
            // token's time equally).
            let prompt = u64::from(request.prompt_tokens.max(1));
            let first_tokens = first
                .end
                .checked_duration_since(request.start)
                .ok_or("bad times")?;
            let first_position =
                ruvsim_engine::time::Duration::from_ps(first_tokens.as_ps() / prompt);
            let start = request.start + first_position;
            let positions = prompt - 1 + u64::from(request.generated) - 1;
            Ok(positions as f64 / seconds(start, last.end)?)
        }
    }
}

/// The mean phase split of the generated tokens after the first, in milliseconds.
fn mean_phases_ms(result: &RunResult) -> Vec<(String, f64)> {
    let steady: Vec<_> = result.tokens.iter().skip(1).collect();
    if steady.is_empty() {
        return Vec::new();
    }
    let n = steady.len() as f64;
    ruvsim_hw::phases::PhaseTimes::default()
        .named()
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            let total: f64 = steady
                .iter()
                .map(|t| t.phases.named()[i].1.as_secs_f64())
                .sum();
            (name.to_string(), total / n * 1e3)
        })
        .collect()
}
