//! Traces from real boards (and from the simulator): reading them, matching them to a scenario,
//! comparing them with its simulation, and fitting the calibration to them.
//!
//! The line format is documented in `docs/trace-format.md`; the records themselves are read by
//! [`ruvsim_core::trace`], which the firmware also uses to write them.
//! - [`read`]: a whole trace file (serial log, merged capture, or JSON lines) -> [`Trace`], every
//!   bad line reported with its number and reason.
//! - [`header`]: a board's `H` fields -> [`BoardHeader`].
//! - [`board`]: a board's events -> phase, token and transfer spans in picoseconds.
//! - [`write`]: a [`ruvsim_sim::result::RunResult`] -> a synthetic trace (labelled as such).
//! - [`matching`]: refuses a trace whose model checksum, partition or setup differ from the
//!   scenario's, naming each difference.
//! - [`verify`]: measured vs simulated per phase, chip, token and link, with error statistics
//!   (`ruvsim-reports` renders it as Markdown and CSV).
//! - [`nnls`] and [`calibrate`]: fit cycle costs, memory efficiencies and link overheads.
//! - [`validate`]: published measurements, each with its complete setup, against the simulation
//!   computed the way each firmware timed itself.
//! - [`capture`]: several boards' serial ports or TCP streams recorded into one merged trace.
#![warn(missing_docs)]

pub mod board;
pub mod calibrate;
pub mod capture;
pub mod header;
pub mod matching;
pub mod nnls;
pub mod read;
pub mod validate;
pub mod verify;
pub mod write;

use std::fmt;

use ruvsim_core::Phase;
use serde::Serialize;
use thiserror::Error;

pub use board::{BoardTrace, PhaseSpan, TokenSpan, TransferSpan};
pub use header::BoardHeader;
pub use read::{parse_trace, read_trace, Trace};

use ruvsim_sim::kernel::Kernel;

/// One bad line of a trace: where and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineIssue {
    /// 1-based line number (0 when the problem is the trace as a whole).
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for LineIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.reason)
        } else {
            write!(f, "line {}: {}", self.line, self.reason)
        }
    }
}

/// Why a trace could not be used.
#[derive(Debug, Error)]
pub enum TraceError {
    /// The file could not be read.
    #[error("cannot read trace {file}: {reason}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// Malformed or truncated lines, every one listed.
    #[error("{origin}: {} bad line(s):\n{}", .issues.len(), list(.issues))]
    Lines {
        /// The file (or description of the text).
        origin: String,
        /// Each bad line.
        issues: Vec<LineIssue>,
    },
    /// The trace was made with another model, partition or setup than the scenario.
    #[error("{origin} does not match scenario {scenario}:\n{}", .differences.iter().map(|d| format!("  - {d}")).collect::<Vec<_>>().join("\n"))]
    Mismatch {
        /// The trace file.
        origin: String,
        /// The scenario file.
        scenario: String,
        /// Each difference, in words.
        differences: Vec<String>,
    },
    /// A trace cannot be written or used for the request.
    #[error("{0}")]
    Invalid(String),
}

fn list(issues: &[LineIssue]) -> String {
    issues
        .iter()
        .map(|issue| format!("  {issue}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A phase in words with its parameters (`layers 0..5`, `L2 attn heads 0..4`), for reports.
pub fn phase_label(phase: &Phase) -> String {
    Kernel::Phase(*phase).label()
}
