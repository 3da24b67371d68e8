//! `ruvsim sweep`: design-space search. `ruvsim sweep FILE.toml` simulates every design of a
//! sweep file (or one shard's) on every core and writes `sweep.csv`, `pareto.csv`, `sweep.json`
//! and `sweep.html`; `ruvsim sweep merge` combines shard folders into the files one run writes;
//! `ruvsim sweep show` writes one design's scenario and prints the `ruvsim run` command for it.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ruvsim_experiments::sweep::design::{describe, scenario_text};
use ruvsim_experiments::sweep::{
    self, merge, Metric, Shard, Status, SweepOptions, SweepProgress, SweepResult,
    DEFAULT_BUDGET_DESIGNS,
};
use ruvsim_reports::sweep::{read_sweep_result, write_sweep_report};
use ruvsim_sim::run::RunOptions;

use crate::cli::project::folder_name;
use crate::cli::simulation::{
    self, still_running, PROGRESS_DELAY, PROGRESS_LINE_EVERY, PROGRESS_TICK,
};

/// Folder that holds one sub-folder per sweep when `--out` is not given.
const DEFAULT_OUT_ROOT: &str = "ruvsim-out";

/// Arguments of `ruvsim sweep`.
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Examples:\n  \
    ruvsim sweep scenarios/sweep-5-to-64.toml --out /tmp/sweep\n  \
    ruvsim sweep scenarios/sweep-5-to-64.toml --shard 2/4 --out /tmp/shard-2\n  \
    ruvsim sweep merge /tmp/shard-1 /tmp/shard-2 /tmp/shard-3 /tmp/shard-4 --out /tmp/sweep\n  \
    ruvsim sweep show /tmp/sweep 17"
)]
pub struct SweepArgs {
    #[command(subcommand)]
    command: Option<SweepCommand>,
    #[command(flatten)]
    run: RunSweepArgs,
}

/// `ruvsim sweep`'s subcommands besides running a sweep file.
#[derive(Debug, Subcommand)]
enum SweepCommand {
    /// Combine the folders of every shard of one sweep into the files one run writes.
    Merge(MergeArgs),
    /// Write one design's scenario into the sweep's folder and print the command that runs it.
    Show(ShowArgs),
}

/// Running a sweep file.
#[derive(Debug, Args)]
struct RunSweepArgs {
    /// The sweep file (see docs/scenario-format.md, "Sweeps").
    #[arg(value_name = "SWEEP.toml", required = true)]
    file: Option<PathBuf>,
    /// Folder for sweep.csv, pareto.csv, sweep.json and sweep.html
    /// [default: ruvsim-out/sweep-<name>/, or ruvsim-out/sweep-<name>-shard-K-of-N/].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Worker threads [default: every core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// Run only shard K of N: the designs whose id % N == K - 1 (merge the shards' folders with
    /// `ruvsim sweep merge`).
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,
    /// Most designs this run may simulate; a larger sweep (or shard) is refused with its count.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BUDGET_DESIGNS)]
    budget_designs: u64,
    /// Where model files are looked for first [default: $RUVSIM_MODEL_DIR when set], then beside
    /// the base scenario.
    #[arg(long, value_name = "DIR")]
    model_dir: Option<PathBuf>,
    /// A calibration file applied after each design's own overrides.
    #[arg(long, value_name = "FILE")]
    calibration: Option<PathBuf>,
}

/// `ruvsim sweep merge`.
#[derive(Debug, Args)]
struct MergeArgs {
    /// The shards' output folders (each holding the sweep.json its shard wrote).
    #[arg(value_name = "DIR", required = true)]
    shards: Vec<PathBuf>,
    /// Folder for the merged files.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// `ruvsim sweep show`.
#[derive(Debug, Args)]
struct ShowArgs {
    /// A sweep's output folder (holding its sweep.json).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The design's id (the `id` column of sweep.csv).
    #[arg(value_name = "ID")]
    id: u64,
    /// Where to write the scenario [default: DIR/design-ID.toml].
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Runs the subcommand, or the sweep file.
pub fn run(args: &SweepArgs) -> anyhow::Result<()> {
    match &args.command {
        Some(SweepCommand::Merge(merge_args)) => run_merge(merge_args),
        Some(SweepCommand::Show(show_args)) => run_show(show_args),
        None => run_file(&args.run),
    }
}

/// Loads, runs and writes a sweep (or a shard of it), and prints its summary.
fn run_file(args: &RunSweepArgs) -> anyhow::Result<()> {
    let Some(file) = &args.file else {
        bail!("give a sweep file: ruvsim sweep SWEEP.toml (see ruvsim sweep --help)");
    };
    let sweep = sweep::load(file)?;
    let out = match &args.out {
        Some(dir) => dir.clone(),
        None => Path::new(DEFAULT_OUT_ROOT).join(match args.shard {
            Some(s) => format!(
                "sweep-{}-shard-{}-of-{}",
                folder_name(sweep.name()),
                s.index,
                s.count
            ),
            None => format!("sweep-{}", folder_name(sweep.name())),
        }),
    };
    let threads = match args.threads {
        Some(n) => usize::from(n),
        None => std::thread::available_parallelism().map_or(1, usize::from),
    };
    let options = SweepOptions {
        threads,
        shard: args.shard,
        budget_designs: args.budget_designs,
        run_options: RunOptions {
            model_dir: simulation::model_dir(args.model_dir.as_deref()),
            calibration_file: args.calibration.clone(),
            memory_limit: simulation::available_memory(),
            ..RunOptions::default()
        },
    };
    let progress = SweepProgress::default();
    let (done, finished) = mpsc::channel::<()>();
    let result = std::thread::scope(|scope| {
        scope.spawn(|| show_progress(sweep.name(), &progress, finished));
        let result = sweep::run(&sweep, &options, &progress);
        drop(done);
        result
    })?;
    let files = write_sweep_report(&result, &out)
        .with_context(|| format!("cannot write the sweep to {}", out.display()))?;
    print_summary(&result, &out);
    for file in files {
        println!("wrote {}", file.display());
    }
    Ok(())
}

/// Reads every shard's sweep.json, merges them and writes the whole sweep's files.
fn run_merge(args: &MergeArgs) -> anyhow::Result<()> {
    let parts = args
        .shards
        .iter()
        .map(|dir| Ok((dir.display().to_string(), read_sweep_result(dir)?)))
        .collect::<anyhow::Result<Vec<(String, SweepResult)>>>()?;
    let result = merge(parts)?;
    let files = write_sweep_report(&result, &args.out)
        .with_context(|| format!("cannot write the merged sweep to {}", args.out.display()))?;
    print_summary(&result, &args.out);
    for file in files {
        println!("wrote {}", file.display());
    }
    Ok(())
}

/// Writes design ID's scenario and prints its row, the file and the command that runs it.
fn run_show(args: &ShowArgs) -> anyhow::Result<()> {
    let result = read_sweep_result(&args.dir)?;
    let sweep = result.header.sweep()?;
    let text = scenario_text(&sweep, args.id)?;
    let path = args
        .out
        .clone()
        .unwrap_or_else(|| args.dir.join(format!("design-{}.toml", args.id)));
    let contents = format!(
        "# Design {} of sweep {} ({}): {}.\n# Run it alone for its full report: ruvsim run {}\n{text}",
        args.id,
        result.header.name,
        result.header.sweep_file,
        describe(&sweep, args.id),
        path.display()
    );
    std::fs::write(&path, contents).with_context(|| format!("cannot write {}", path.display()))?;
    match result.row(args.id) {
        Some(row) => println!("design {}: {}", args.id, row_line(row)),
        None => println!(
            "design {}: not in this folder's rows (a shard's folder holds its shard only)",
            args.id
        ),
    }
    print!("{text}");
    println!("wrote {}", path.display());
    println!("run it: ruvsim run {}", path.display());
    Ok(())
}

/// A design in one line: its status and headline figures, or why it has none.
fn row_line(row: &sweep::DesignRow) -> String {
    match (&row.figures, &row.reason) {
        (Some(f), _) => format!(
            "simulated, {} chips, {:.1} tok/s, time between tokens p99 {:.3} ms{}{}{}",
            row.chips.unwrap_or(0),
            f.throughput_tok_s,
            f.inter_token_p99_ms,
            f.energy_per_token_mj
                .map_or(String::new(), |e| format!(", {e:.4} mJ per token")),
            row.cost_usd
                .map_or(String::new(), |c| format!(", cost {c:.2} USD (user input)")),
            if row.pareto {
                ", on the Pareto frontier"
            } else {
                ""
            }
        ),
        (None, Some(reason)) => format!("{}: {reason}", row.status.name()),
        (None, None) => row.status.name().to_string(),
    }
}

/// Counts, the best design per objective and the frontier's size, on stdout.
fn print_summary(result: &SweepResult, out: &Path) {
    let h = &result.header;
    let scope = match result.shard {
        Some(shard) => format!(
            "shard {shard}: {} of {} designs",
            result.rows.len(),
            h.total_designs
        ),
        None => format!("{} designs", h.total_designs),
    };
    println!(
        "{}: {scope}: {} simulated, {} infeasible, {} pruned; {} meet every constraint, {} on the \
         Pareto frontier",
        h.name,
        result.count(Status::Simulated),
        result.count(Status::Infeasible),
        result.count(Status::Pruned),
        result.rows.iter().filter(|r| r.meets_constraints()).count(),
        result.frontier.len()
    );
    for b in &result.best {
        let unit = if b.objective.metric == Metric::CostUsd {
            " (user input)"
        } else {
            ""
        };
        let values = result
            .row(b.id)
            .map(|r| {
                h.axes
                    .iter()
                    .zip(&r.values)
                    .map(|(a, v)| format!("{} = {v}", a.key))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        println!(
            "best {}: design {} at {:.3}{unit}: {values}",
            b.objective, b.id, b.value
        );
    }
    println!(
        "full report of any design: ruvsim sweep show {} ID, then the ruvsim run command it prints",
        out.display()
    );
}

/// Designs done on stderr: a bar on a terminal after [`PROGRESS_DELAY`], elsewhere a line every
/// [`PROGRESS_LINE_EVERY`]. It only reads the counters, so it cannot change the result.
fn show_progress(name: &str, progress: &SweepProgress, finished: mpsc::Receiver<()>) {
    let start = std::time::Instant::now();
    if std::io::stderr().is_terminal() {
        if !still_running(&finished, PROGRESS_DELAY) {
            return;
        }
        let bar =
            ProgressBar::with_draw_target(Some(progress.total()), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} designs",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(name.to_string());
        loop {
            bar.set_length(progress.total());
            bar.set_position(progress.done());
            if !still_running(&finished, PROGRESS_TICK) {
                break;
            }
        }
        bar.finish_and_clear();
    } else {
        while still_running(&finished, PROGRESS_LINE_EVERY) {
            eprintln!(
                "ruvsim: sweep {name}: {} s, {}/{} designs",
                start.elapsed().as_secs(),
                progress.done(),
                progress.total()
            );
        }
    }
}
