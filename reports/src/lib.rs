//! ruvsim-reports: turns a [`RunResult`] into a report folder.
//!
//! [`write_run_report`] writes, into one folder (all of them for [`Records::All`], the page,
//! `summary.csv` and a slim `result.json` for [`Records::Summary`]):
//!
//! | file | what |
//! |---|---|
//! | `report.html` | one self-contained page: scenario, plan, cluster, charts, claims check ([`html`]) |
//! | `summary.csv`, `tokens.csv`, `phases.csv`, `chips.csv`, `links.csv` | tables with unit-bearing column names ([`csv`], `CSV.md`) |
//! | `result.json` | the whole [`RunResult`], pretty-printed |
//! | `timeline.json` | compute and transfer spans in the Chrome trace-event format ([`timeline`]) |
//!
//! The experiments' reports live here too: [`projection`] (`ruvsim project`), [`sweep`]
//! (`ruvsim sweep`), [`gossip`],
//! [`gated`], [`regress`], [`validate`] (published measurements against the simulation) and [`verify`] (a trace
//! against its simulation), each a pure function
//! from a typed result to text.
//!
//! [`format`] holds the number formatting every page and the terminal share (thousands
//! separators, units scaled to their size).
//!
//! Every figure carries its tier (measured / simulated / projected, from `RunResult::tier`); the
//! reference documents' figures in the claims check are labelled `claimed`. The same result always
//! gives byte-identical files: no clocks, no hash-map order, fixed float formatting.
#![warn(missing_docs)]

pub mod charts;
pub mod claims;
pub mod csv;
pub mod format;
pub mod gated;
pub mod gossip;
pub mod html;
pub mod projection;
pub mod regress;
pub mod roles;
pub mod select;
pub mod summary;
pub mod sweep;
pub mod timeline;
pub mod validate;
pub mod verify;

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use ruvsim_sim::result::RunResult;
use thiserror::Error;

pub use ruvsim_sim::record_volume::Records;
pub use summary::{summary_rows, SummaryRow, Unit};

/// Why a report could not be written.
#[derive(Debug, Error)]
pub enum ReportError {
    /// The folder could not be created.
    #[error("cannot create the report folder {}: {source}", path.display())]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// The system's reason.
        source: io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The system's reason.
        source: io::Error,
    },
    /// The result does not hold together (e.g. a result file edited by hand).
    #[error("the run result is inconsistent: {0}")]
    Inconsistent(String),
    /// A report written earlier could not be read back (a sweep shard's `sweep.json`).
    #[error("cannot read {}: {reason}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Checks what the writers rely on: chips and links numbered in order, a plan for every chip,
/// and the cluster summary agreeing with the lists.
pub fn check_result(result: &RunResult) -> Result<(), ReportError> {
    let fail = |reason: String| Err(ReportError::Inconsistent(reason));
    let plan = &result.plan;
    let per_replica = u64::from(plan.pipeline) * u64::from(plan.tensor);
    if per_replica == 0 || plan.chips.len() as u64 != per_replica {
        return fail(format!(
            "the plan is pipeline {} x tensor {} but lists {} chips per replica",
            plan.pipeline,
            plan.tensor,
            plan.chips.len()
        ));
    }
    if result.chips.len() as u64 != u64::from(result.cluster.chips) {
        return fail(format!(
            "cluster.chips is {} but {} chip results are listed",
            result.cluster.chips,
            result.chips.len()
        ));
    }
    if let Some((i, chip)) = result
        .chips
        .iter()
        .enumerate()
        .find(|(i, c)| c.chip as usize != *i)
    {
        return fail(format!("chip result {i} is numbered {}", chip.chip));
    }
    if let Some((i, link)) = result
        .links
        .iter()
        .enumerate()
        .find(|(i, l)| l.link as usize != *i)
    {
        return fail(format!("link result {i} is numbered {}", link.link));
    }
    if let Some((i, energy)) = result
        .energy
        .chips
        .iter()
        .enumerate()
        .find(|(i, e)| e.chip as usize != *i)
    {
        return fail(format!("chip energy {i} is numbered {}", energy.chip));
    }
    let chips = result.chips.len() as u64;
    if let Some(span) = result
        .timeline
        .iter()
        .find(|s| u64::from(s.resource) >= chips + result.links.len() as u64)
    {
        return fail(format!(
            "a timeline span names resource {}, but there are only {} chips and {} links",
            span.resource,
            chips,
            result.links.len()
        ));
    }
    Ok(())
}

/// Writes `contents` to `dir/name` through a buffer, returning the path.
fn write_file(
    dir: &Path,
    name: &str,
    contents: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> Result<PathBuf, ReportError> {
    let path = dir.join(name);
    let written = File::create(&path).and_then(|file| {
        let mut out = BufWriter::new(file);
        contents(&mut out)?;
        out.flush()
    });
    written.map_err(|source| ReportError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// Writes `value` as pretty JSON followed by a newline.
fn write_json<T: serde::Serialize, W: Write>(out: &mut W, value: &T) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// Writes the files of `records` ([`Records::files`]) into `dir` (created if missing) and returns
/// their paths in that order.
pub fn write_run_report(
    result: &RunResult,
    dir: &Path,
    records: Records,
) -> Result<Vec<PathBuf>, ReportError> {
    check_result(result)?;
    fs::create_dir_all(dir).map_err(|source| ReportError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    records
        .files()
        .iter()
        .map(|&name| {
            write_file(dir, name, |out| match name {
                "report.html" => out.write_all(html::render(result, records).as_bytes()),
                "summary.csv" => csv::write_summary(result, out),
                "tokens.csv" => csv::write_tokens(result, out),
                "phases.csv" => csv::write_phases(result, out),
                "chips.csv" => csv::write_chips(result, out),
                "links.csv" => csv::write_links(result, out),
                "result.json" if records == Records::Summary => write_json(out, &slim(result)),
                "result.json" => write_json(out, result),
                _ => timeline::write_chrome_trace(result, out),
            })
        })
        .collect()
}

/// `result` without its per-request, per-token, per-chip, per-link and timeline arrays: what a
/// summary-only folder keeps (the counts and distributions stay in `summary`, the energy totals
/// in `energy`). Only the small fields are copied, so a large run's records are never cloned.
fn slim(result: &RunResult) -> RunResult {
    RunResult {
        scenario: result.scenario.clone(),
        description: result.description.clone(),
        seed: result.seed,
        fidelity: result.fidelity,
        tier: result.tier,
        model: result.model.clone(),
        cluster: result.cluster.clone(),
        plan: result.plan.clone(),
        summary: result.summary.clone(),
        records: result.records,
        requests: Vec::new(),
        tokens: Vec::new(),
        chips: Vec::new(),
        links: Vec::new(),
        bottleneck: result.bottleneck.clone(),
        energy: ruvsim_hw::energy::EnergyResult {
            chips: Vec::new(),
            ..result.energy.clone()
        },
        texts: Vec::new(),
        calibration: result.calibration.clone(),
        timeline: Vec::new(),
        timeline_dropped: result.timeline_dropped,
        speculation: result.speculation,
        faults: result.faults.clone(),
        moe: result.moe.clone(),
    }
}
