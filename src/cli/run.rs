//! `ruvsim run`: simulates one scenario, writes its report folder and prints the headline figures
//! (each with its tier), the bottleneck and where the files went.

use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use ruvsim_reports::format::grouped;
use ruvsim_reports::Records;
use ruvsim_sim::result::RunResult;
use ruvsim_sim::run::{RunOptions, DEFAULT_TIMELINE_LIMIT};
use ruvsim_sim::scenario::{parse, LoadedScenario};

use crate::cli::named_values;
use crate::cli::simulation::{self, ScenarioOverrides};

/// The scenario `ruvsim run` runs when none is given: the library's pipeline5, built in so that
/// it runs from any directory.
const BUILTIN_SCENARIO: &str = include_str!("../../scenarios/pipeline5.toml");

/// Name the built-in scenario is reported under.
const BUILTIN_NAME: &str = "built-in pipeline5 (scenarios/pipeline5.toml)";

/// Folder that holds one sub-folder per scenario when `--out` is not given.
const DEFAULT_OUT_ROOT: &str = "ruvsim-out";

/// Arguments of `ruvsim run`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    ruvsim run                                   (the built-in pipeline5 design)\n  \
    ruvsim run scenarios/pipeline5.toml\n  \
    ruvsim run scenarios/torus3d-4096.toml --out /tmp/torus --seed 7\n  \
    ruvsim run scenarios/stories260k-s3-psram.toml --model-dir ../shared/models --json")]
pub struct RunArgs {
    /// The scenario file (see docs/scenario-format.md) [default: the built-in pipeline5 design,
    /// the library's scenarios/pipeline5.toml].
    #[arg(value_name = "SCENARIO.toml")]
    scenario: Option<PathBuf>,
    /// Folder for report.html, the CSV files, result.json and timeline.json
    /// [default: ruvsim-out/<scenario name>/].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    #[command(flatten)]
    overrides: ScenarioOverrides,
    /// Which files to write: `all` (every token, chip and link row, the whole result.json and
    /// timeline.json) or `summary` (report.html, summary.csv and result.json without per-record
    /// arrays) [default: all up to 10,000 chips, summary above].
    #[arg(long, value_parser = named_values::<Records>(&Records::ALL.map(Records::name)))]
    records: Option<Records>,
    /// Most compute and transfer spans the timeline records; later spans are counted but not
    /// kept (the report says how many).
    #[arg(long, value_name = "SPANS", default_value_t = DEFAULT_TIMELINE_LIMIT)]
    timeline_limit: usize,
    /// Print the summary as JSON on stdout (and nothing else there).
    #[arg(long)]
    json: bool,
}

/// Runs the scenario, writes the report folder and prints the summary.
pub fn run(args: &RunArgs) -> anyhow::Result<()> {
    let loaded = match &args.scenario {
        Some(path) => simulation::load(path)?,
        None => {
            eprintln!(
                "no scenario given: running the built-in pipeline5 design (the same as \
                 scenarios/pipeline5.toml)"
            );
            LoadedScenario {
                scenario: parse(BUILTIN_NAME, BUILTIN_SCENARIO)?,
                file: BUILTIN_NAME.into(),
                dir: PathBuf::from("."),
            }
        }
    };
    let out = match &args.out {
        Some(dir) => dir.clone(),
        None => default_out_dir(&loaded.scenario.scenario.name)?,
    };
    let options = RunOptions {
        timeline_limit: Some(args.timeline_limit),
        records: args.records,
        ..args.overrides.run_options()
    };
    let result = simulation::simulate_with_progress(&loaded, &options)?;
    let files = ruvsim_reports::write_run_report(&result, &out, result.records)
        .with_context(|| format!("cannot write the report of {}", loaded.file))?;
    if args.json {
        let summary = json_summary(&result, &out, &files);
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_summary(&result, &out, args.timeline_limit);
    }
    Ok(())
}

/// `ruvsim-out/<name>/`, refusing names that are not a single plain folder name.
fn default_out_dir(name: &str) -> anyhow::Result<PathBuf> {
    let mut components = Path::new(name).components();
    match (components.next(), components.next()) {
        (Some(Component::Normal(_)), None) => Ok(Path::new(DEFAULT_OUT_ROOT).join(name)),
        _ => bail!(
            "scenario.name = {name:?} cannot be a folder name under {DEFAULT_OUT_ROOT}/; give \
             --out DIR or a name without path separators"
        ),
    }
}

/// The terminal summary: what ran, a table of figures with units and tiers, the bottleneck and
/// the output folder.
fn print_summary(result: &RunResult, out: &Path, timeline_limit: usize) {
    let cluster = &result.cluster;
    println!(
        "{}: {} x {} ({}, {}), {}, seed {}",
        result.scenario,
        cluster.chips,
        cluster.variant,
        cluster.topology,
        cluster.link,
        result.fidelity.name(),
        result.seed
    );
    let rows = ruvsim_reports::summary_rows(result);
    let header = ["figure", "value", "unit", "tier"];
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|row| {
            let (value, unit) = row.display();
            [
                row.figure.clone(),
                value,
                unit.to_string(),
                row.tier.label().to_string(),
            ]
        })
        .collect();
    let width = |column: usize| {
        cells
            .iter()
            .map(|row| row[column].chars().count())
            .chain([header[column].len()])
            .max()
            .unwrap_or(0)
    };
    let widths = [width(0), width(1), width(2), width(3)];
    let line = |row: [&str; 4]| {
        println!(
            "  {:<w0$}  {:>w1$}  {:<w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
    };
    line(header);
    for row in &cells {
        line([&row[0], &row[1], &row[2], &row[3]]);
    }
    println!("bottleneck: {}", result.bottleneck.explanation);
    println!("{}", timeline_line(result, timeline_limit));
    println!("report: {}", out.display());
}

/// What `timeline.json` holds, with the span limit in force.
fn timeline_line(result: &RunResult, limit: usize) -> String {
    match result.records {
        Records::Summary => "timeline: not written (--records summary)".to_string(),
        Records::All if result.timeline_dropped > 0 => format!(
            "timeline: {} spans written, the limit (--timeline-limit {limit}); {} later spans \
             counted but not written",
            grouped(result.timeline.len() as u64),
            grouped(result.timeline_dropped)
        ),
        Records::All => format!(
            "timeline: {} spans written (--timeline-limit {limit})",
            grouped(result.timeline.len() as u64)
        ),
    }
}

/// The summary as one JSON document: the run, its figures with tiers, the bottleneck and the
/// files written.
fn json_summary(result: &RunResult, out: &Path, files: &[PathBuf]) -> serde_json::Value {
    serde_json::json!({
        "scenario": result.scenario,
        "seed": result.seed,
        "fidelity": result.fidelity.name(),
        "cluster": result.cluster,
        "figures": ruvsim_reports::summary_rows(result),
        "bottleneck": result.bottleneck,
        "output": out.display().to_string(),
        "files": files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
    })
}
