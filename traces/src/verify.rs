//! Measured vs simulated: aligns a trace with the run of its scenario and states the error.
//!
//! Alignment is by identity, not by time (a board's clock and the simulation's need not agree):
//! - a phase by chip, stream, phase (with its layers, heads, units, vocabulary rows), position and
//!   occurrence (a stream serving several requests repeats positions);
//! - a token by request and position;
//! - a transfer by sending chip, receiving chip, size and occurrence.
//!
//! Errors are relative to the measured value: the absolute percentage error of each pair, then
//! the mean (MAPE) and 90th percentile (nearest rank) per phase kind, per chip, for per-token
//! latency, and throughput over the aligned tokens. A figure exceeds the tolerance when its MAPE
//! (or, for single figures, its error) is above it. What the trace cannot support (a summary-only
//! trace has no phases) is listed, never skipped silently.

use std::collections::BTreeMap;

use ruvsim_core::trace::Origin;
use ruvsim_core::Phase;
use serde::Serialize;

use super::{phase_label, Trace};
use ruvsim_engine::time::{Duration, PS_PER_S, PS_PER_US};
use ruvsim_sim::kernel::Kernel;
use ruvsim_sim::result::RunResult;

/// One phase timed on a board and simulated.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PhaseMatch {
    /// Board id.
    pub board: String,
    /// Chip it plays.
    pub chip: u32,
    /// Stream.
    pub stream: u32,
    /// Phase kind (`layers`, `attn`, ...).
    pub kind: &'static str,
    /// Phase with parameters, in words.
    pub label: String,
    /// Context position.
    pub pos: u32,
    /// Occurrence of this phase and position on the stream.
    pub occurrence: u32,
    /// Measured duration.
    pub measured: Duration,
    /// Simulated duration.
    pub simulated: Duration,
}

/// One token's latency, measured and simulated.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TokenMatch {
    /// Request.
    pub req: u32,
    /// Context position.
    pub pos: u32,
    /// Measured latency.
    pub measured: Duration,
    /// Simulated latency.
    pub simulated: Duration,
}

/// One message's transfer time, measured by its sender and simulated.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TransferMatch {
    /// Sending chip.
    pub from: u32,
    /// Receiving chip.
    pub to: u32,
    /// Bytes.
    pub bytes: u32,
    /// Measured send time.
    pub measured: Duration,
    /// Simulated transfer time.
    pub simulated: Duration,
}

/// Error statistics of a group of measured/simulated pairs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ErrorStats {
    /// Pairs.
    pub count: usize,
    /// Mean measured value (microseconds, or tokens/s for throughput rows).
    pub measured_mean: f64,
    /// Mean simulated value (same unit).
    pub simulated_mean: f64,
    /// Mean absolute percentage error.
    pub mape_pct: f64,
    /// 90th percentile of the absolute percentage errors (nearest rank).
    pub p90_pct: f64,
}

impl ErrorStats {
    /// Statistics of `(measured, simulated)` pairs; pairs with a zero measured value are left
    /// out (a relative error of them does not exist) and counted by the caller.
    pub fn of(pairs: &[(f64, f64)]) -> ErrorStats {
        let usable: Vec<(f64, f64)> = pairs.iter().copied().filter(|(m, _)| *m > 0.0).collect();
        let n = usable.len();
        if n == 0 {
            return ErrorStats {
                count: 0,
                measured_mean: 0.0,
                simulated_mean: 0.0,
                mape_pct: 0.0,
                p90_pct: 0.0,
            };
        }
        let mut errors: Vec<f64> = usable
            .iter()
            .map(|(m, s)| (s - m).abs() / m * 100.0)
            .collect();
        errors.sort_by(f64::total_cmp);
        let rank = (9 * n).div_ceil(10).max(1);
        ErrorStats {
            count: n,
            measured_mean: usable.iter().map(|p| p.0).sum::<f64>() / n as f64,
            simulated_mean: usable.iter().map(|p| p.1).sum::<f64>() / n as f64,
            mape_pct: errors.iter().sum::<f64>() / n as f64,
            p90_pct: errors[rank - 1],
        }
    }
}

/// One row of the verdict.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// `phase`, `chip`, `token latency`, `throughput`, `link`, `summary`.
    pub scope: String,
    /// What is compared (`layers`, `chip 2`, `0 -> 1`, ...).
    pub name: String,
    /// Unit of the means (`us` or `tok/s`).
    pub unit: &'static str,
    /// The statistics.
    pub stats: ErrorStats,
    /// Whether the MAPE is within the tolerance.
    pub within: bool,
}

/// The outcome of a verification.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verification {
    /// The trace file.
    pub trace: String,
    /// The scenario name.
    pub scenario: String,
    /// Tier of the trace's figures (`measured`, or `synthetic` for simulator-written traces).
    pub measured_tier: String,
    /// Where the measured figures come from, as the headers say.
    pub sources: Vec<String>,
    /// Tolerance in percent.
    pub tolerance_pct: f64,
    /// Aligned phases.
    pub phases: Vec<PhaseMatch>,
    /// Aligned tokens.
    pub tokens: Vec<TokenMatch>,
    /// Aligned transfers.
    pub transfers: Vec<TransferMatch>,
    /// The verdict, row by row.
    pub comparisons: Vec<Comparison>,
    /// What could not be compared, and why.
    pub not_compared: Vec<String>,
    /// Whether every row is within the tolerance.
    pub passed: bool,
}

fn us(d: Duration) -> f64 {
    d.as_ps() as f64 / PS_PER_US as f64
}

/// The rows of a verification as they are added.
struct Verdict {
    tolerance_pct: f64,
    rows: Vec<Comparison>,
    notes: Vec<String>,
}

impl Verdict {
    /// Adds a row over `pairs` (pairs with a zero measured value are noted, not used).
    fn add(&mut self, scope: &str, name: String, unit: &'static str, pairs: &[(f64, f64)]) {
        let stats = ErrorStats::of(pairs);
        if stats.count < pairs.len() {
            self.notes.push(format!(
                "{scope} {name}: {} pair(s) with a measured value of zero have no relative error",
                pairs.len() - stats.count
            ));
        }
        if stats.count > 0 {
            self.rows.push(Comparison {
                scope: scope.to_string(),
                name,
                unit,
                stats,
                within: stats.mape_pct <= self.tolerance_pct,
            });
        }
    }
}

/// Aligns `trace` with `result` (a run of the same scenario; check it with
/// [`super::matching::check_matches`] first) and compares them.
pub fn verify(trace: &Trace, result: &RunResult, tolerance_pct: f64) -> Verification {
    let mut verdict = Verdict {
        tolerance_pct,
        rows: Vec::new(),
        notes: Vec::new(),
    };
    let phases = align_phases(trace, result, &mut verdict.notes);
    let tokens = align_tokens(trace, result, &mut verdict.notes);
    let transfers = align_transfers(trace, result, &mut verdict.notes);
    let mut by_kind: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
    let mut by_chip: BTreeMap<u32, Vec<(f64, f64)>> = BTreeMap::new();
    for m in &phases {
        let pair = (us(m.measured), us(m.simulated));
        by_kind.entry(m.kind).or_default().push(pair);
        by_chip.entry(m.chip).or_default().push(pair);
    }
    for (kind, pairs) in &by_kind {
        verdict.add("phase", (*kind).to_string(), "us", pairs);
    }
    for (chip, pairs) in &by_chip {
        verdict.add("chip", format!("chip {chip}"), "us", pairs);
    }
    let latency: Vec<(f64, f64)> = tokens
        .iter()
        .map(|t| (us(t.measured), us(t.simulated)))
        .collect();
    if !latency.is_empty() {
        verdict.add("token latency", "all tokens".into(), "us", &latency);
    }
    if let Some(pair) = throughput(trace, result, &tokens) {
        verdict.add("throughput", "aligned tokens".into(), "tok/s", &[pair]);
    }
    let mut by_link: BTreeMap<(u32, u32), Vec<(f64, f64)>> = BTreeMap::new();
    for t in &transfers {
        by_link
            .entry((t.from, t.to))
            .or_default()
            .push((us(t.measured), us(t.simulated)));
    }
    for ((from, to), pairs) in &by_link {
        verdict.add("link", format!("chip {from} -> chip {to}"), "us", pairs);
    }
    compare_summaries(trace, result, &mut verdict);
    if verdict.rows.is_empty() {
        verdict
            .notes
            .push("nothing in the trace could be aligned with the simulation".into());
    }
    let passed = !verdict.rows.is_empty() && verdict.rows.iter().all(|c| c.within);
    let origins: Vec<Origin> = trace.boards.iter().map(|b| b.header.origin).collect();
    let measured_tier = if origins.iter().all(|o| *o == Origin::Measured) {
        "measured"
    } else if origins.iter().all(|o| *o == Origin::Synthetic) {
        "synthetic (written by the simulator, not a measurement)"
    } else {
        "mixed measured and synthetic"
    };
    let mut sources: Vec<String> = trace
        .boards
        .iter()
        .filter_map(|b| b.header.source.clone())
        .collect();
    sources.dedup();
    Verification {
        trace: trace.origin.clone(),
        scenario: result.scenario.clone(),
        measured_tier: measured_tier.to_string(),
        sources,
        tolerance_pct,
        phases,
        tokens,
        transfers,
        comparisons: verdict.rows,
        not_compared: verdict.notes,
        passed,
    }
}

fn phase_kind(phase: &Phase) -> &'static str {
    phase.name()
}

fn align_phases(trace: &Trace, result: &RunResult, notes: &mut Vec<String>) -> Vec<PhaseMatch> {
    let mut simulated: BTreeMap<(u32, u32, String, u32), Vec<Duration>> = BTreeMap::new();
    for span in &result.timeline {
        let phase = span.kernel.as_ref().and_then(Kernel::phase);
        if let (Some(phase), Some(pos)) = (phase, span.pos) {
            let key = (span.resource, span.stream, phase_label(&phase), pos);
            simulated.entry(key).or_default().push(span.duration);
        }
    }
    let mut matches = Vec::new();
    let mut unmatched = 0;
    for board in &trace.boards {
        let chip = board.header.chip;
        for span in &board.phases {
            let key = (chip, span.stream, phase_label(&span.phase), span.pos);
            match simulated
                .get(&key)
                .and_then(|d| d.get(span.occurrence as usize))
            {
                Some(&sim) => matches.push(PhaseMatch {
                    board: board.header.board.clone(),
                    chip,
                    stream: span.stream,
                    kind: phase_kind(&span.phase),
                    label: key.2,
                    pos: span.pos,
                    occurrence: span.occurrence,
                    measured: span.duration,
                    simulated: sim,
                }),
                None => unmatched += 1,
            }
        }
    }
    if unmatched > 0 {
        notes.push(format!(
            "{unmatched} measured phase(s) have no simulated counterpart (a position, stream or \
             phase the simulation did not run)"
        ));
    }
    let traced: Vec<u32> = trace.boards.iter().map(|b| b.header.chip).collect();
    let simulated_on_traced: usize = simulated
        .iter()
        .filter(|((chip, ..), _)| traced.contains(chip))
        .map(|(_, d)| d.len())
        .sum();
    if trace.boards.iter().any(|b| !b.phases.is_empty()) && simulated_on_traced > matches.len() {
        notes.push(format!(
            "{} simulated phase(s) on the traced chips were not in the trace",
            simulated_on_traced - matches.len()
        ));
    }
    if !trace.boards.iter().any(|b| !b.phases.is_empty()) {
        notes.push("per-phase and per-chip error: the trace holds no phase records".into());
    }
    let untraced: Vec<String> = result
        .chips
        .iter()
        .map(|c| c.chip)
        .filter(|c| !traced.contains(c))
        .map(|c| c.to_string())
        .collect();
    if !untraced.is_empty() {
        notes.push(format!(
            "chip(s) {} have no board in the trace",
            untraced.join(", ")
        ));
    }
    if result.timeline_dropped > 0 {
        notes.push(format!(
            "{} simulated spans beyond the timeline limit could not be aligned",
            result.timeline_dropped
        ));
    }
    matches
}

fn align_tokens(trace: &Trace, result: &RunResult, notes: &mut Vec<String>) -> Vec<TokenMatch> {
    let simulated: BTreeMap<(u32, u32), Duration> = result
        .tokens
        .iter()
        .map(|t| {
            let latency = t
                .end
                .checked_duration_since(t.start)
                .unwrap_or(Duration::ZERO);
            ((t.request, t.pos), latency)
        })
        .collect();
    let mut matches = Vec::new();
    let mut unmatched = 0;
    for board in &trace.boards {
        for token in &board.tokens {
            match simulated.get(&(token.req, token.pos)) {
                Some(&sim) => matches.push(TokenMatch {
                    req: token.req,
                    pos: token.pos,
                    measured: token.latency(),
                    simulated: sim,
                }),
                None => unmatched += 1,
            }
        }
    }
    if unmatched > 0 {
        notes.push(format!(
            "{unmatched} measured token(s) (request, position) were not generated in the simulation"
        ));
    }
    if !trace.boards.iter().any(|b| !b.tokens.is_empty()) {
        notes.push("per-token latency and throughput: the trace holds no token records".into());
    }
    matches
}

/// Tokens per second over the aligned tokens, measured and simulated, each from its own first
/// start to its own last end.
fn throughput(trace: &Trace, result: &RunResult, tokens: &[TokenMatch]) -> Option<(f64, f64)> {
    if tokens.len() < 2 {
        return None;
    }
    let wanted: Vec<(u32, u32)> = tokens.iter().map(|t| (t.req, t.pos)).collect();
    let window = |spans: Vec<(u64, u64)>| -> Option<f64> {
        let start = spans.iter().map(|s| s.0).min()?;
        let end = spans.iter().map(|s| s.1).max()?;
        (end > start).then(|| spans.len() as f64 * PS_PER_S as f64 / (end - start) as f64)
    };
    let measured = window(
        trace
            .boards
            .iter()
            .flat_map(|b| &b.tokens)
            .filter(|t| wanted.contains(&(t.req, t.pos)))
            .map(|t| (t.start.as_ps(), t.end.as_ps()))
            .collect(),
    )?;
    let simulated = window(
        result
            .tokens
            .iter()
            .filter(|t| wanted.contains(&(t.request, t.pos)))
            .map(|t| (t.start.as_ps(), t.end.as_ps()))
            .collect(),
    )?;
    Some((measured, simulated))
}

fn align_transfers(
    trace: &Trace,
    result: &RunResult,
    notes: &mut Vec<String>,
) -> Vec<TransferMatch> {
    let mut simulated: BTreeMap<(u32, u32, u32), Vec<Duration>> = BTreeMap::new();
    for span in &result.timeline {
        if let Some([from, to]) = span.hop {
            simulated
                .entry((from, to, span.bytes))
                .or_default()
                .push(span.duration);
        }
    }
    let mut seen: BTreeMap<(u32, u32, u32), usize> = BTreeMap::new();
    let mut matches = Vec::new();
    let (mut unknown_peer, mut unmatched) = (0, 0);
    for board in &trace.boards {
        for tx in &board.transmits {
            let Some(peer) = trace.board(&tx.peer) else {
                unknown_peer += 1;
                continue;
            };
            let key = (board.header.chip, peer.header.chip, tx.bytes);
            let index = seen.entry(key).or_insert(0);
            match simulated.get(&key).and_then(|d| d.get(*index)) {
                Some(&sim) => matches.push(TransferMatch {
                    from: key.0,
                    to: key.1,
                    bytes: tx.bytes,
                    measured: tx.duration,
                    simulated: sim,
                }),
                None => unmatched += 1,
            }
            *index += 1;
        }
    }
    if unknown_peer > 0 {
        notes.push(format!(
            "{unknown_peer} transmission(s) name a peer board that is not in the trace"
        ));
    }
    if unmatched > 0 {
        notes.push(format!(
            "{unmatched} measured transmission(s) have no simulated hop between those chips of \
             that size"
        ));
    }
    matches
}

/// Compares each board's summary figure with the simulated decode rate (one token per mean
/// inter-token latency, the steady-state rate a firmware's tokens/s reports).
fn compare_summaries(trace: &Trace, result: &RunResult, verdict: &mut Verdict) {
    let summaries: Vec<_> = trace
        .boards
        .iter()
        .filter_map(|b| b.summary.map(|s| (b, s)))
        .collect();
    if summaries.is_empty() {
        return;
    }
    let itl = result.summary.inter_token_latency;
    if itl.count == 0 || itl.mean == Duration::ZERO {
        verdict.notes.push(
            "summary tokens/s: the simulation generated fewer than two tokens per request, so it \
             has no decode rate to compare"
                .into(),
        );
        return;
    }
    let rate = PS_PER_S as f64 / itl.mean.as_ps() as f64;
    for (board, summary) in summaries {
        verdict.add(
            "summary",
            format!(
                "{} tokens/s (decode rate = 1 / mean inter-token latency)",
                board.header.board
            ),
            "tok/s",
            &[(summary.tok_s, rate)],
        );
        if !board.has_timed_events() {
            verdict.notes.push(format!(
                "board `{}` holds only a summary: per-phase, per-chip, per-token and link \
                 errors could not be computed for it",
                board.header.board
            ));
        }
    }
}
