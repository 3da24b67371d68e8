//! The regression baseline file: which scenarios `ruvsim regress` runs, at which fidelity, and the
//! figures each produced when the file was last updated.
//!
//! A CSV file with `#` comment lines, a fixed header and one row per scenario:
//!
//! ```text
//! scenario,fidelity,throughput_tok_s,ttft_p50_ps,itl_p50_ps,itl_p99_ps,request_latency_p99_ps,requests_failed
//! pipeline5.toml,functional,2638.928...,7381000000,...
//! ```
//!
//! Times are whole picoseconds and counts whole numbers, so they are exact. Throughput is written
//! with Rust's shortest round-trip decimal of the simulated `f64`, so parsing it gives back the
//! same bits: a deterministic rerun compares equal. An empty figure cell means "not recorded yet".

use std::fmt;

use ruvsim_sim::result::RunResult;
use ruvsim_sim::scenario::Fidelity;
use thiserror::Error;

/// Why a baseline file could not be read: the file, the line (0 for the file as a whole) and what
/// is wrong.
#[derive(Debug, Error)]
#[error("{file}{}: {reason}", if *.line == 0 { String::new() } else { format!(":{}", .line) })]
pub struct BaselineError {
    /// The baseline file.
    pub file: String,
    /// 1-based line number, or 0.
    pub line: usize,
    /// What is wrong and what would be valid.
    pub reason: String,
}

/// Which direction of change is an improvement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// A larger value is better (throughput).
    Higher,
    /// A smaller value is better (latency, failures).
    Lower,
}

/// A recorded figure: whole numbers stay integers so they compare exactly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// Picoseconds or a count.
    Whole(u64),
    /// A rate.
    Real(f64),
}

impl Value {
    /// The value as a real number, for percentages.
    pub fn as_f64(self) -> f64 {
        match self {
            Value::Whole(value) => value as f64,
            Value::Real(value) => value,
        }
    }
}

impl fmt::Display for Value {
    /// Whole numbers as integers; reals as the shortest decimal that parses back to the same
    /// `f64`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Whole(value) => write!(f, "{value}"),
            Value::Real(value) => write!(f, "{value}"),
        }
    }
}

/// A figure the baseline guards: its column, which way is better, how it is read from a run.
#[derive(Debug)]
pub struct Figure {
    /// Column name in the baseline file.
    pub column: &'static str,
    /// Which direction is an improvement.
    pub better: Better,
    /// Whether the column holds whole numbers (else a real).
    pub whole: bool,
    /// Reads the figure from a run.
    pub read: fn(&RunResult) -> Value,
}

/// The guarded figures, in column order.
pub const FIGURES: [Figure; 6] = [
    Figure {
        column: "throughput_tok_s",
        better: Better::Higher,
        whole: false,
        read: |r| Value::Real(r.summary.throughput_tok_s),
    },
    Figure {
        column: "ttft_p50_ps",
        better: Better::Lower,
        whole: true,
        read: |r| Value::Whole(r.summary.time_to_first_token.p50.as_ps()),
    },
    Figure {
        column: "itl_p50_ps",
        better: Better::Lower,
        whole: true,
        read: |r| Value::Whole(r.summary.inter_token_latency.p50.as_ps()),
    },
    Figure {
        column: "itl_p99_ps",
        better: Better::Lower,
        whole: true,
        read: |r| Value::Whole(r.summary.inter_token_latency.p99.as_ps()),
    },
    Figure {
        column: "request_latency_p99_ps",
        better: Better::Lower,
        whole: true,
        read: |r| Value::Whole(r.summary.request_latency.p99.as_ps()),
    },
    Figure {
        column: "requests_failed",
        better: Better::Lower,
        whole: true,
        read: |r| Value::Whole(u64::from(r.summary.requests_failed)),
    },
];

/// Columns before the figures.
const KEY_COLUMNS: [&str; 2] = ["scenario", "fidelity"];

/// What a file written by `--update` starts with.
const PREAMBLE: &str = "\
# ruvsim regression baseline. `ruvsim regress` runs every scenario below at the fidelity given and
# fails when a figure is worse than recorded here; `ruvsim regress --update` rewrites the values.
# Scenario paths are relative to this file's folder. Times are whole picoseconds (ps); throughput
# is generated tokens per second, written as the shortest decimal of the simulated f64, so a
# deterministic rerun compares exactly equal. An empty figure cell means not recorded yet.
";

/// One scenario of the baseline.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The scenario file, as written (relative to the baseline's folder unless absolute).
    pub scenario: String,
    /// The fidelity to run it at.
    pub fidelity: Fidelity,
    /// Recorded figures in [`FIGURES`] order; `None` where not recorded yet.
    pub values: Vec<Option<Value>>,
}

/// A whole baseline file.
#[derive(Clone, Debug, PartialEq)]
pub struct Baseline {
    /// Its rows, in file order.
    pub rows: Vec<Row>,
}

/// The header line of the file.
fn header() -> String {
    KEY_COLUMNS
        .iter()
        .copied()
        .chain(FIGURES.iter().map(|f| f.column))
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses the text of baseline `file`; errors name the file and line.
pub fn parse(file: &str, text: &str) -> Result<Baseline, BaselineError> {
    let error = |line: usize, reason: String| BaselineError {
        file: file.to_string(),
        line,
        reason,
    };
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'));
    let expected = header();
    match lines.next() {
        Some((_, line)) if line == expected => {}
        Some((number, line)) => {
            return Err(error(
                number,
                format!(
                    "the header is `{line}`, expected `{expected}` (run `ruvsim regress --update` \
                     on a file holding just that header and your scenario rows)"
                ),
            ))
        }
        None => return Err(error(0, format!("no header line; expected `{expected}`"))),
    }
    let mut rows: Vec<Row> = Vec::new();
    for (number, line) in lines {
        let row = parse_row(line).map_err(|reason| error(number, reason))?;
        if rows
            .iter()
            .any(|r| r.scenario == row.scenario && r.fidelity == row.fidelity)
        {
            return Err(error(
                number,
                format!(
                    "{} at {} fidelity is listed twice",
                    row.scenario,
                    row.fidelity.name()
                ),
            ));
        }
        rows.push(row);
    }
    Ok(Baseline { rows })
}

/// Parses one data row.
fn parse_row(line: &str) -> Result<Row, String> {
    let cells: Vec<&str> = line.split(',').map(str::trim).collect();
    let expected = KEY_COLUMNS.len() + FIGURES.len();
    if cells.len() != expected {
        return Err(format!(
            "expected {expected} comma-separated cells ({}), found {}",
            header(),
            cells.len()
        ));
    }
    if cells[0].is_empty() {
        return Err("the scenario cell is empty".into());
    }
    let fidelity: Fidelity = cells[1].parse().map_err(|e| format!("{e}"))?;
    let values = FIGURES
        .iter()
        .zip(&cells[KEY_COLUMNS.len()..])
        .map(|(figure, cell)| parse_value(figure, cell))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Row {
        scenario: cells[0].to_string(),
        fidelity,
        values,
    })
}

/// Parses one figure cell; empty means not recorded.
fn parse_value(figure: &Figure, cell: &str) -> Result<Option<Value>, String> {
    if cell.is_empty() {
        return Ok(None);
    }
    let value = if figure.whole {
        cell.parse()
            .map(Value::Whole)
            .map_err(|_| format!("{} `{cell}` is not a whole number", figure.column))?
    } else {
        match cell.parse::<f64>() {
            Ok(value) if value.is_finite() => Value::Real(value),
            _ => return Err(format!("{} `{cell}` is not a finite number", figure.column)),
        }
    };
    Ok(Some(value))
}

/// The text of a baseline file: preamble, header, one line per row.
pub fn render(baseline: &Baseline) -> String {
    let mut text = format!("{PREAMBLE}{}\n", header());
    for row in &baseline.rows {
        let values: Vec<String> = row
            .values
            .iter()
            .map(|value| value.map_or_else(String::new, |v| v.to_string()))
            .collect();
        text.push_str(&format!(
            "{},{},{}\n",
            row.scenario,
            row.fidelity.name(),
            values.join(",")
        ));
    }
    text
}

/// The figures of a run, in [`FIGURES`] order.
pub fn figures_of(result: &RunResult) -> Vec<Value> {
    FIGURES.iter().map(|figure| (figure.read)(result)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> String {
        format!(
            "# comment\n\n{}\na.toml,functional,12.5,1,2,3,4,0\nb.toml,timing,,,,,,\n",
            header()
        )
    }

    #[test]
    fn parses_rows_and_unrecorded_cells() {
        let baseline = parse("b.csv", &sample()).unwrap();
        assert_eq!(baseline.rows.len(), 2);
        assert_eq!(baseline.rows[0].values[0], Some(Value::Real(12.5)));
        assert_eq!(baseline.rows[0].values[5], Some(Value::Whole(0)));
        assert_eq!(baseline.rows[1].fidelity, Fidelity::Timing);
        assert!(baseline.rows[1].values.iter().all(Option::is_none));
    }

    #[test]
    fn render_round_trips_exactly() {
        let mut baseline = parse("b.csv", &sample()).unwrap();
        baseline.rows[0].values[0] = Some(Value::Real(0.1 + 0.2));
        let again = parse("b.csv", &render(&baseline)).unwrap();
        assert_eq!(again, baseline);
    }

    #[test]
    fn errors_name_the_line() {
        let text = sample().replace("a.toml,functional,12.5", "a.toml,functional,fast");
        let err = format!("{:#}", parse("b.csv", &text).unwrap_err());
        assert!(err.starts_with("b.csv:4:"), "{err}");
        assert!(err.contains("throughput_tok_s `fast`"), "{err}");
        let text = sample().replace("b.toml,timing,,,,,,", "b.toml,exact,,,,,,");
        let err = format!("{:#}", parse("b.csv", &text).unwrap_err());
        assert!(
            err.starts_with("b.csv:5:") && err.contains("functional, timing"),
            "{err}"
        );
        let err = format!("{:#}", parse("b.csv", "scenario,fidelity\n").unwrap_err());
        assert!(err.starts_with("b.csv:1:"), "{err}");
    }

    #[test]
    fn duplicate_rows_are_rejected() {
        let text = format!("{}a.toml,functional,1,1,1,1,1,0\n", sample());
        let err = format!("{:#}", parse("b.csv", &text).unwrap_err());
        assert!(err.contains("listed twice"), "{err}");
    }
}
