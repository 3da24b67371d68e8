//! Running a scenario from the command line, shared by `ruvsim run` and `ruvsim regress` (and
//! the progress timing `ruvsim sweep` uses):
//! loading it with located errors, the model directory default, the fidelity argument, which
//! model files a scenario needs, and a progress indicator while it runs (a bar on a terminal,
//! periodic lines elsewhere).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ruvsim_core::model_dir::MODEL_DIR_VAR;
use ruvsim_sim::progress::Progress;
use ruvsim_sim::result::RunResult;
use ruvsim_sim::run::{simulate, RunOptions};
use ruvsim_sim::scenario::{self, Fidelity, LoadedScenario};

use crate::cli::named_values;

/// How long a run goes before the progress indicator appears: shorter runs show nothing.
pub(crate) const PROGRESS_DELAY: Duration = Duration::from_secs(1);

/// How often the progress indicator is redrawn.
pub(crate) const PROGRESS_TICK: Duration = Duration::from_millis(100);

/// How often a progress line is printed when stderr is not a terminal (a log or a pipe).
pub(crate) const PROGRESS_LINE_EVERY: Duration = Duration::from_secs(5);

/// The options a command line lays over a scenario (`run`, `gated`).
#[derive(Debug, Clone, clap::Args)]
pub struct ScenarioOverrides {
    /// Replaces the scenario's seed (a negative seed is taken as its two's complement).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = crate::cli::seed_value)]
    pub seed: Option<u64>,
    /// Replaces the scenario's fidelity: `functional` runs the real inference on every chip
    /// (tokens and text are real); `timing` charges predicted operation counts only (for clusters
    /// too large to compute).
    #[arg(long, value_parser = named_values::<Fidelity>(&Fidelity::ALL.map(Fidelity::name)))]
    pub fidelity: Option<Fidelity>,
    /// Where model files are looked for first [default: $RUVSIM_MODEL_DIR when set], then beside
    /// the scenario.
    #[arg(long, value_name = "DIR")]
    pub model_dir: Option<PathBuf>,
    /// A calibration file applied after the scenario's own overrides.
    #[arg(long, value_name = "FILE")]
    pub calibration: Option<PathBuf>,
}

impl ScenarioOverrides {
    /// The simulator's options for these overrides.
    pub fn run_options(&self) -> RunOptions {
        RunOptions {
            seed: self.seed,
            fidelity: self.fidelity,
            model_dir: model_dir(self.model_dir.as_deref()),
            calibration_file: self.calibration.clone(),
            memory_limit: available_memory(),
            ..RunOptions::default()
        }
    }
}

/// Memory this machine can give a run: `MemAvailable` from `/proc/meminfo` (free memory plus
/// reclaimable caches), or `None` where that file does not exist, which leaves runs unguarded.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The model directory: `--model-dir` if given, else `RUVSIM_MODEL_DIR` when set and not empty.
pub fn model_dir(given: Option<&Path>) -> Option<PathBuf> {
    given.map(Path::to_path_buf).or_else(|| {
        std::env::var_os(MODEL_DIR_VAR)
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from)
    })
}

/// Reads and parses a scenario. Its errors already name the file, line, column and key.
pub fn load(path: &Path) -> anyhow::Result<LoadedScenario> {
    Ok(scenario::load(path)?)
}

/// Simulates `loaded` while reporting its progress on stderr once the run has lasted
/// [`PROGRESS_DELAY`]: on a terminal a bar of generated tokens with the current phase, elsewhere
/// (a log, a pipe) one line every [`PROGRESS_LINE_EVERY`]. The indicator only reads counters the
/// simulation writes, so it cannot change the result.
pub fn simulate_with_progress(
    loaded: &LoadedScenario,
    options: &RunOptions,
) -> anyhow::Result<RunResult> {
    // The library's messages already include their causes (`cluster.link: <why>`), so the
    // error is rebuilt from its text rather than chained, which would print the cause twice.
    let run = |options: &RunOptions| {
        simulate(loaded, options).map_err(|e| anyhow!("cannot run {}: {e}", loaded.file))
    };
    let workload = &loaded.scenario.workload;
    let total = u64::from(workload.requests) * u64::from(workload.new_tokens);
    let progress = Arc::new(Progress::default());
    let options = RunOptions {
        progress: Some(Arc::clone(&progress)),
        ..options.clone()
    };
    let (done, finished) = mpsc::channel::<()>();
    let name = &loaded.scenario.scenario.name;
    std::thread::scope(|scope| {
        scope.spawn(|| {
            if std::io::stderr().is_terminal() {
                show_bar(name, total, &progress, finished);
            } else {
                show_lines(name, total, &progress, finished);
            }
        });
        let result = run(&options);
        drop(done);
        result
    })
}

/// Waits `delay`; whether the run is still going.
pub(crate) fn still_running(finished: &mpsc::Receiver<()>, delay: Duration) -> bool {
    matches!(finished.recv_timeout(delay), Err(RecvTimeoutError::Timeout))
}

/// Draws the progress bar until `finished` disconnects; nothing before [`PROGRESS_DELAY`].
fn show_bar(name: &str, total: u64, progress: &Progress, finished: mpsc::Receiver<()>) {
    if !still_running(&finished, PROGRESS_DELAY) {
        return;
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{spinner} {prefix} [{elapsed_precise}] {msg} {wide_bar} {pos}/{len} tokens",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_prefix(name.to_string());
    loop {
        bar.set_message(progress.phase().label());
        bar.set_position(progress.tokens());
        if !still_running(&finished, PROGRESS_TICK) {
            break;
        }
    }
    bar.finish_and_clear();
}

/// Prints one progress line every [`PROGRESS_LINE_EVERY`] until `finished` disconnects.
fn show_lines(name: &str, total: u64, progress: &Progress, finished: mpsc::Receiver<()>) {
    let start = std::time::Instant::now();
    while still_running(&finished, PROGRESS_LINE_EVERY) {
        eprintln!(
            "ruvsim: {name}: {} s, {}, {}/{total} tokens",
            start.elapsed().as_secs(),
            progress.phase().label(),
            progress.tokens()
        );
    }
}
