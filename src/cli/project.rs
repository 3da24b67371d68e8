//! `ruvsim project`: how a design scales to N chips. Simulates a family of sizes, fits a
//! scaling model, projects to N, prints the table over sizes (each row with its tier) and writes
//! `projection.html`, `projection.csv` and `projection.json`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use clap::Args;
use ruvsim_experiments::project::{
    project, BaseDesign, ProjectRequest, Projection, Row, TopologyChoice, DEFAULT_MAX_SIM_CHIPS,
};
use ruvsim_hw::calibration::Variant;
use ruvsim_reports::format::grouped;
use ruvsim_reports::projection::{
    claim_chip_counts, design_lines, display_rows, fit_sentence, hop_sentence, host_sentence,
    write_projection_report, DisplayRow, DISPLAY_HEADERS,
};
use ruvsim_sim::run::RunOptions;

use crate::cli::simulation;

/// Folder that holds one sub-folder per projection when `--out` is not given.
const DEFAULT_OUT_ROOT: &str = "ruvsim-out";

/// Arguments of `ruvsim project`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    ruvsim project --chips 100000\n  \
    ruvsim project --chips 1000 --scenario scenarios/pipeline5.toml --variant esp32 --topology ring\n  \
    ruvsim project --chips 40 --max-sim-chips 80 --chip-price-usd 4 --out /tmp/proj")]
pub struct ProjectArgs {
    /// Target size, in chips (whole replicas of the base design are used).
    #[arg(long, value_name = "N")]
    chips: u32,
    /// Base design: its model, precision, variant, link, CPU, memory and per-replica partition
    /// (pipeline x tensor) [default: the built-in pipeline5 design].
    #[arg(long, value_name = "BASE.toml")]
    scenario: Option<PathBuf>,
    /// Replaces the base design's chip variant (esp32, esp32s2, esp32s3, esp32c3, esp32c6).
    #[arg(long, value_name = "V")]
    variant: Option<String>,
    /// `auto` (the best wiring the ports allow, keeping each pipeline on neighbouring chips) or
    /// a family: chain, ring, star, bus, mesh2d, torus2d, torus3d, hypercube, tree, hierarchical.
    #[arg(long, value_name = "auto|KIND", default_value = "auto")]
    topology: String,
    /// Largest size simulated event by event, in chips; larger sizes are projected.
    #[arg(long, value_name = "M", default_value_t = DEFAULT_MAX_SIM_CHIPS)]
    max_sim_chips: u32,
    /// Folder for projection.html, projection.csv and projection.json
    /// [default: ruvsim-out/project-<design>-<N>/].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Price of one chip in US dollars: adds cost = chips x price (labelled as user input).
    #[arg(long, value_name = "USD", allow_negative_numbers = true)]
    chip_price_usd: Option<f64>,
    /// Where model files are looked for first [default: $RUVSIM_MODEL_DIR when set], then beside
    /// the scenario.
    #[arg(long, value_name = "DIR")]
    model_dir: Option<PathBuf>,
    /// A calibration file applied after the base scenario's own overrides.
    #[arg(long, value_name = "FILE")]
    calibration: Option<PathBuf>,
    /// Replaces the base design's seed (a negative seed is taken as its two's complement).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = crate::cli::seed_value)]
    seed: Option<u64>,
    /// Print the projection as JSON on stdout (the document projection.json holds) instead of the
    /// table.
    #[arg(long)]
    json: bool,
}

/// Projects, prints the table and writes the report folder.
pub fn run(args: &ProjectArgs) -> anyhow::Result<()> {
    let mut base = match &args.scenario {
        Some(path) => {
            BaseDesign::from_scenario(simulation::load(path)?, path.display().to_string())
        }
        None => BaseDesign::builtin()?,
    };
    if let Some(name) = &args.variant {
        let variant: Variant = name.parse().map_err(|e| anyhow!("--variant: {e}"))?;
        base.set_variant(variant);
    }
    let topology: TopologyChoice = args.topology.parse()?;
    let out = match &args.out {
        Some(dir) => dir.clone(),
        None => Path::new(DEFAULT_OUT_ROOT).join(format!(
            "project-{}-{}",
            folder_name(&base.loaded.scenario.scenario.name),
            args.chips
        )),
    };
    let request = ProjectRequest {
        base,
        chips: args.chips,
        max_sim_chips: args.max_sim_chips,
        topology,
        compare_at: claim_chip_counts(),
        chip_price_usd: args.chip_price_usd,
        run_options: RunOptions {
            model_dir: simulation::model_dir(args.model_dir.as_deref()),
            calibration_file: args.calibration.clone(),
            seed: args.seed,
            ..RunOptions::default()
        },
    };
    let projection = project(&request, &mut progress)?;
    let files = write_projection_report(&projection, &out)
        .with_context(|| format!("cannot write the projection to {}", out.display()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&projection)?);
        return Ok(());
    }
    print_projection(&projection);
    for file in files {
        println!("wrote {}", file.display());
    }
    Ok(())
}

/// One line on stderr per simulated size, so a long projection shows it is moving.
fn progress(row: &Row) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "simulated {} chips ({}): {} tok/s",
        grouped(row.chips.into()),
        row.layout.description,
        grouped(row.throughput_tok_s.round() as u64)
    );
}

/// A scenario or sweep name as a single folder-name component (path separators and dots
/// replaced).
pub(crate) fn folder_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The design, the table over sizes, the fit, the hops, energy, cost and notes.
fn print_projection(projection: &Projection) {
    let b = &projection.base;
    println!(
        "{} ({}): {} x {} per replica (pipeline {} x tensor {}), {}, {}",
        b.name, b.origin, b.chips_per_replica, b.variant, b.pipeline, b.tensor, b.link, b.model,
    );
    let trials = design_lines(projection);
    if !trials.is_empty() {
        println!("design: each candidate simulated at the same size, the highest throughput kept:");
        for line in trials {
            println!("  {line}");
        }
    }
    print_table(&display_rows(projection));
    println!("{}", fit_sentence(projection));
    println!("{} {}", host_sentence(projection), hop_sentence(projection));
    println!(
        "energy: {}; cost: {}",
        projection.energy,
        match projection.cost.price_usd {
            Some(price) => format!("{price} USD per chip, {}", projection.cost.source),
            None => projection.cost.source.clone(),
        }
    );
    for note in &projection.notes {
        println!("note: {note}");
    }
}

/// The rows under [`DISPLAY_HEADERS`], columns padded to their widest cell.
fn print_table(rows: &[DisplayRow]) {
    let mut widths = DISPLAY_HEADERS.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row.cells()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 7]| {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            // Text columns (topology, tier) left-aligned, figures right-aligned.
            let padded = if i == 1 || i == 6 {
                format!("{cell:<w$}")
            } else {
                format!("{cell:>w$}")
            };
            text.push_str("  ");
            text.push_str(&padded);
        }
        println!("{}", text.trim_end());
    };
    line(DISPLAY_HEADERS);
    for row in rows {
        line(row.cells());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_are_single_components() {
        assert_eq!(folder_name("pipeline5"), "pipeline5");
        assert_eq!(folder_name("../a/b.c"), "___a_b_c");
    }
}
