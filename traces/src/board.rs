//! One board's events turned into spans: phases, tokens and transfers, in picoseconds.
//!
//! Timestamps are converted with the header's clock: `esp_timer` microseconds exactly, cycle
//! counts at the header's CPU clock. A 32-bit cycle counter wraps (every 17.9 s at 240 MHz); each
//! reading is unwrapped to the value nearest the board's previous reading, so gaps between records
//! must stay below half the wrap period. Every phase and token start must be matched by its end
//! (and the other way round); a trace cut off mid-phase is reported, not trimmed.

use std::collections::BTreeMap;

use ruvsim_core::trace::{ClockSource, Event};
use ruvsim_core::Phase;

use super::header::BoardHeader;
use super::LineIssue;
use ruvsim_engine::time::{Duration, Time};

/// An event as read, owning its text.
#[derive(Clone, Debug, PartialEq)]
pub enum BoardEvent {
    /// `TS` / `TE`.
    Token {
        /// `TS` (true) or `TE`.
        start: bool,
        /// Request number.
        req: u32,
        /// Context position.
        pos: u32,
        /// Chosen token (`TE` only).
        token: Option<u32>,
        /// Raw timestamp.
        t: u64,
    },
    /// `PS` / `PE`.
    Phase {
        /// `PS` (true) or `PE`.
        start: bool,
        /// The phase.
        phase: Phase,
        /// Stream.
        stream: u32,
        /// Context position.
        pos: u32,
        /// Raw timestamp.
        t: u64,
    },
    /// `TX` / `RX`.
    Link {
        /// `TX` (true) or `RX`.
        transmit: bool,
        /// The other board.
        peer: String,
        /// Bytes.
        bytes: u32,
        /// Raw start timestamp.
        t: u64,
        /// Raw duration.
        dt: u64,
    },
    /// `S`.
    Summary {
        /// Tokens per second.
        tok_s: f64,
        /// Tokens measured over.
        tokens: Option<u64>,
    },
}

impl From<Event<'_>> for BoardEvent {
    fn from(event: Event<'_>) -> BoardEvent {
        match event {
            Event::TokenStart { req, pos, t } => BoardEvent::Token {
                start: true,
                req,
                pos,
                token: None,
                t,
            },
            Event::TokenEnd { req, pos, token, t } => BoardEvent::Token {
                start: false,
                req,
                pos,
                token,
                t,
            },
            Event::PhaseStart {
                phase,
                stream,
                pos,
                t,
            }
            | Event::PhaseEnd {
                phase,
                stream,
                pos,
                t,
            } => BoardEvent::Phase {
                start: matches!(event, Event::PhaseStart { .. }),
                phase,
                stream,
                pos,
                t,
            },
            Event::Transmit { peer, bytes, t, dt } | Event::Receive { peer, bytes, t, dt } => {
                BoardEvent::Link {
                    transmit: matches!(event, Event::Transmit { .. }),
                    peer: peer.to_string(),
                    bytes,
                    t,
                    dt,
                }
            }
            Event::Summary { tok_s, tokens } => BoardEvent::Summary { tok_s, tokens },
        }
    }
}

/// One phase as the board timed it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PhaseSpan {
    /// The phase.
    pub phase: Phase,
    /// Stream.
    pub stream: u32,
    /// Context position.
    pub pos: u32,
    /// How many earlier spans had the same phase, stream and position (a stream serving several
    /// requests repeats positions).
    pub occurrence: u32,
    /// Start.
    pub start: Time,
    /// Duration.
    pub duration: Duration,
    /// Line of the `PE` record.
    pub line: usize,
}

/// One token as the board timed it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TokenSpan {
    /// Request number.
    pub req: u32,
    /// Context position.
    pub pos: u32,
    /// The chosen token, if reported.
    pub token: Option<u32>,
    /// When work towards it could begin.
    pub start: Time,
    /// When it was chosen.
    pub end: Time,
    /// Line of the `TE` record.
    pub line: usize,
}

impl TokenSpan {
    /// `end - start`.
    pub fn latency(&self) -> Duration {
        self.end
            .checked_duration_since(self.start)
            .unwrap_or(Duration::ZERO)
    }
}

/// One message sent (`TX`) or received (`RX`).
#[derive(Clone, Debug, PartialEq)]
pub struct TransferSpan {
    /// The other board.
    pub peer: String,
    /// Bytes.
    pub bytes: u32,
    /// Start.
    pub start: Time,
    /// Duration.
    pub duration: Duration,
    /// Line.
    pub line: usize,
}

/// A published or on-board summary figure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SummaryFigure {
    /// Tokens per second in steady decoding.
    pub tok_s: f64,
    /// Tokens the figure was measured over.
    pub tokens: Option<u64>,
    /// Line.
    pub line: usize,
}

/// Everything one board recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct BoardTrace {
    /// Its header.
    pub header: BoardHeader,
    /// Timed phases, in record order.
    pub phases: Vec<PhaseSpan>,
    /// Timed tokens, in record order.
    pub tokens: Vec<TokenSpan>,
    /// Messages sent.
    pub transmits: Vec<TransferSpan>,
    /// Messages received.
    pub receives: Vec<TransferSpan>,
    /// A summary figure, if printed.
    pub summary: Option<SummaryFigure>,
}

impl BoardTrace {
    /// Whether the board printed any timed event.
    pub fn has_timed_events(&self) -> bool {
        !(self.phases.is_empty()
            && self.tokens.is_empty()
            && self.transmits.is_empty()
            && self.receives.is_empty())
    }
}

/// Converts raw readings of one board's clock to picoseconds.
struct Converter {
    clock: ClockSource,
    clock_mhz: u64,
    previous: Option<u64>,
}

impl Converter {
    /// The reading unwrapped and in picoseconds since the counter's zero.
    fn time(&mut self, raw: u64) -> Result<Time, String> {
        let ticks = match self.clock.wrap_bits() {
            None => raw,
            Some(bits) => {
                let period = 1u64 << bits;
                if raw >= period {
                    return Err(format!(
                        "timestamp {raw} does not fit the {bits}-bit {} counter",
                        self.clock.name()
                    ));
                }
                match self.previous {
                    None => raw,
                    Some(previous) => {
                        let base = previous - previous % period + raw;
                        [
                            base.checked_sub(period),
                            Some(base),
                            base.checked_add(period),
                        ]
                        .into_iter()
                        .flatten()
                        .min_by_key(|candidate| candidate.abs_diff(previous))
                        .unwrap_or(base)
                    }
                }
            }
        };
        self.previous = Some(ticks);
        self.ps(ticks).map(Time::from_ps)
    }

    /// A raw duration in picoseconds.
    fn duration(&self, ticks: u64) -> Result<Duration, String> {
        self.ps(ticks).map(Duration::from_ps)
    }

    fn ps(&self, ticks: u64) -> Result<u64, String> {
        let ps = match self.clock {
            ClockSource::EspTimer => u128::from(ticks) * 1_000_000,
            ClockSource::Ccount | ClockSource::Mcycle => {
                u128::from(ticks) * 1_000_000 / u128::from(self.clock_mhz)
            }
        };
        u64::try_from(ps).map_err(|_| format!("timestamp {ticks} is beyond simulated time"))
    }
}

/// Pairs one board's starts with their ends and converts the times.
pub fn assemble(
    header: BoardHeader,
    events: Vec<(usize, BoardEvent)>,
) -> Result<BoardTrace, Vec<LineIssue>> {
    let mut issues = Vec::new();
    let timed = events
        .iter()
        .any(|(_, e)| !matches!(e, BoardEvent::Summary { .. }));
    let clock = match header.clock {
        Some(clock) => clock,
        None if timed => {
            return Err(vec![LineIssue {
                line: header.line,
                reason: format!(
                    "board `{}` prints timed events but its header lacks `clock=` (esp_timer, \
                     ccount or mcycle)",
                    header.board
                ),
            }]);
        }
        None => ClockSource::EspTimer,
    };
    if header.clock_mhz == 0 {
        return Err(vec![LineIssue {
            line: header.line,
            reason: "header field `clock_mhz` must be above 0".into(),
        }]);
    }
    let mut converter = Converter {
        clock,
        clock_mhz: u64::from(header.clock_mhz),
        previous: None,
    };
    let mut board = BoardTrace {
        header,
        phases: Vec::new(),
        tokens: Vec::new(),
        transmits: Vec::new(),
        receives: Vec::new(),
        summary: None,
    };
    let mut open_phases: BTreeMap<(String, u32, u32), (Time, usize)> = BTreeMap::new();
    let mut open_tokens: BTreeMap<(u32, u32), (Time, usize)> = BTreeMap::new();
    let mut occurrences: BTreeMap<(String, u32, u32), u32> = BTreeMap::new();
    for (line, event) in events {
        let mut fail = |reason: String| issues.push(LineIssue { line, reason });
        match event {
            BoardEvent::Phase {
                start,
                phase,
                stream,
                pos,
                t,
            } => {
                let at = match converter.time(t) {
                    Ok(at) => at,
                    Err(reason) => {
                        fail(reason);
                        continue;
                    }
                };
                let key = (super::phase_label(&phase), stream, pos);
                let what = format!("phase {} at p={pos} s={stream}", key.0);
                if start {
                    if let Some((_, earlier)) = open_phases.insert(key, (at, line)) {
                        fail(format!(
                            "{what} starts again before it ended (started on line {earlier})"
                        ));
                    }
                    continue;
                }
                let Some((begun, _)) = open_phases.remove(&key) else {
                    fail(format!("{what} ends without a start"));
                    continue;
                };
                let Some(duration) = at.checked_duration_since(begun) else {
                    fail(format!("{what} ends before it starts"));
                    continue;
                };
                let count = occurrences.entry(key).or_insert(0);
                board.phases.push(PhaseSpan {
                    phase,
                    stream,
                    pos,
                    occurrence: *count,
                    start: begun,
                    duration,
                    line,
                });
                *count += 1;
            }
            BoardEvent::Token {
                start,
                req,
                pos,
                token,
                t,
            } => {
                let at = match converter.time(t) {
                    Ok(at) => at,
                    Err(reason) => {
                        fail(reason);
                        continue;
                    }
                };
                let what = format!("token at p={pos} req={req}");
                if start {
                    if let Some((_, earlier)) = open_tokens.insert((req, pos), (at, line)) {
                        fail(format!(
                            "{what} starts again before it ended (started on line {earlier})"
                        ));
                    }
                    continue;
                }
                let Some((begun, _)) = open_tokens.remove(&(req, pos)) else {
                    fail(format!("{what} ends without a start (`TS`)"));
                    continue;
                };
                if at < begun {
                    fail(format!("{what} ends before it starts"));
                    continue;
                }
                board.tokens.push(TokenSpan {
                    req,
                    pos,
                    token,
                    start: begun,
                    end: at,
                    line,
                });
            }
            BoardEvent::Link {
                transmit,
                peer,
                bytes,
                t,
                dt,
            } => match (converter.time(t), converter.duration(dt)) {
                (Ok(start), Ok(duration)) => {
                    let span = TransferSpan {
                        peer,
                        bytes,
                        start,
                        duration,
                        line,
                    };
                    if transmit {
                        board.transmits.push(span);
                    } else {
                        board.receives.push(span);
                    }
                }
                (Err(reason), _) | (_, Err(reason)) => fail(reason),
            },
            BoardEvent::Summary { tok_s, tokens } => match board.summary {
                Some(earlier) => fail(format!(
                    "a second summary record (the first is on line {})",
                    earlier.line
                )),
                None => {
                    board.summary = Some(SummaryFigure {
                        tok_s,
                        tokens,
                        line,
                    })
                }
            },
        }
    }
    for ((phase, stream, pos), (_, line)) in open_phases {
        issues.push(LineIssue {
            line,
            reason: format!("phase {phase} at p={pos} s={stream} never ends (trace cut off?)"),
        });
    }
    for ((req, pos), (_, line)) in open_tokens {
        issues.push(LineIssue {
            line,
            reason: format!("token at p={pos} req={req} never ends (trace cut off?)"),
        });
    }
    if issues.is_empty() {
        Ok(board)
    } else {
        Err(issues)
    }
}
