//! Running a sweep: every design of the run (all, or one shard's) checked, then evaluated on a
//! pool of worker threads. Each design's simulation is deterministic (seeded by its scenario)
//! and the rows are collected in id order, so the result is the same for any number of threads.

use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use ruvsim_sim::run::{simulate, RunOptions};

use crate::sweep::constraint::Constraint;
use crate::sweep::design::{price, scenario, value_labels};
use crate::sweep::error::SweepError;
use crate::sweep::metric::{Figures, Metric};
use crate::sweep::result::{DesignRow, Status, SweepHeader, SweepResult};
use crate::sweep::shard::Shard;
use crate::sweep::spec::Sweep;

/// Designs one run may simulate unless told otherwise: about ten minutes of the library sweep's
/// designs on one core.
pub const DEFAULT_BUDGET_DESIGNS: u64 = 100_000;

/// How a sweep is run.
#[derive(Clone, Debug)]
pub struct SweepOptions {
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Only this shard's designs, or all.
    pub shard: Option<Shard>,
    /// Most designs this run may simulate; more is refused before anything runs.
    pub budget_designs: u64,
    /// Options of every simulation (model directory, calibration file, memory limit). The
    /// timeline is never recorded: a sweep keeps only the headline figures.
    pub run_options: RunOptions,
}

/// Designs evaluated so far and the designs of the run, for a progress display on another
/// thread (write-only for the sweep: it never reads them, so they cannot change the result).
#[derive(Debug, Default)]
pub struct SweepProgress {
    done: AtomicU64,
    total: AtomicU64,
}

impl SweepProgress {
    /// Designs evaluated so far.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// Designs in this run (0 until they are counted).
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }
}

/// Runs the sweep's designs (or one shard's) and returns their result.
pub fn run(
    sweep: &Sweep,
    options: &SweepOptions,
    progress: &SweepProgress,
) -> Result<SweepResult, SweepError> {
    let designs = match options.shard {
        Some(shard) => shard.size_of(sweep.total),
        None => sweep.total,
    };
    if designs > options.budget_designs {
        return Err(SweepError::Budget {
            file: sweep.file.clone(),
            designs,
            total: sweep.total,
            budget: options.budget_designs,
        });
    }
    let ids: Vec<u64> = match options.shard {
        Some(shard) => (0..sweep.total).filter(|&id| shard.contains(id)).collect(),
        None => (0..sweep.total).collect(),
    };
    let threads = options.threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("sweep-{i}"))
        .build()
        .map_err(|e| SweepError::Threads {
            threads,
            reason: e.to_string(),
        })?;
    // Every design is checked to be a scenario before any is simulated, so a mistake in the
    // sweep file is reported at once (the lowest failing id, whatever the threads).
    let checks: Vec<Result<(), SweepError>> = pool.install(|| {
        ids.par_iter()
            .map(|&id| scenario(sweep, id).map(drop))
            .collect()
    });
    if let Some(error) = checks.into_iter().find_map(Result::err) {
        return Err(error);
    }
    progress.total.store(ids.len() as u64, Ordering::Relaxed);
    let run_options = RunOptions {
        timeline_limit: Some(0),
        progress: None,
        ..options.run_options.clone()
    };
    // One design per task: designs differ in cost by orders of magnitude, and a thread that ran
    // out of work can then take any design not yet started, so no thread finishes alone with a
    // long run of large designs.
    let rows: Result<Vec<DesignRow>, SweepError> = pool.install(|| {
        ids.par_iter()
            .with_max_len(1)
            .map(|&id| {
                let row = evaluate(sweep, id, &run_options);
                progress.done.fetch_add(1, Ordering::Relaxed);
                row
            })
            .collect()
    });
    Ok(SweepResult::assemble(
        SweepHeader::of(sweep),
        options.shard,
        rows?,
    ))
}

/// One design: pruned when a constraint on its inputs fails, else simulated (or infeasible with
/// the simulator's reason), with the constraints its figures fail.
fn evaluate(sweep: &Sweep, id: u64, options: &RunOptions) -> Result<DesignRow, SweepError> {
    let loaded = scenario(sweep, id)?;
    let mut row = DesignRow {
        id,
        values: value_labels(sweep, id),
        status: Status::Infeasible,
        reason: None,
        chips: None,
        cost_usd: None,
        figures: None,
        failed_constraints: Vec::new(),
        pareto: false,
    };
    let chips = match loaded.scenario.cluster.topology.chips() {
        Ok(chips) => chips,
        Err(error) => {
            row.reason = Some(format!("cluster.topology: {error}"));
            return Ok(row);
        }
    };
    row.chips = Some(chips);
    row.cost_usd = price(sweep, loaded.scenario.cluster.variant).map(|p| p * f64::from(chips));
    let input = |c: &&Constraint| c.metric().is_some_and(Metric::is_input);
    row.failed_constraints = failing(sweep.constraints.iter().filter(input), &row);
    if let Some(Constraint::Bound { metric, .. }) = row.failed_constraints.first() {
        row.status = Status::Pruned;
        row.reason = Some(format!(
            "not simulated: {metric} = {} fails `{}`, known before simulating",
            row.value(*metric)
                .map_or_else(|| "unknown".to_string(), |v| v.to_string()),
            row.failed_constraints[0]
        ));
        return Ok(row);
    }
    match simulate(&loaded, options) {
        Ok(result) => {
            row.status = Status::Simulated;
            row.figures = Some(Figures::of(&result));
            row.failed_constraints = failing(sweep.constraints.iter(), &row);
        }
        Err(error) => row.reason = Some(error.to_string()),
    }
    Ok(row)
}

/// The constraints of `constraints` that `row` fails.
fn failing<'c>(
    constraints: impl Iterator<Item = &'c Constraint>,
    row: &DesignRow,
) -> Vec<Constraint> {
    constraints
        .filter(|c| !c.holds(c.metric().and_then(|m| row.value(m))))
        .copied()
        .collect()
}
