//! Synthetic traces: a simulated run written in the trace format, one board per chip, as the
//! firmware would print it and `ruvsim capture` would merge it: every line carries the host stamp
//! `@chip<N> <us>`, the receive time being the simulated instant the line would be printed. The header says `origin=synthetic` and names the scenario, so such a
//! trace is never taken for a measurement. Verify must find zero error on it (up to the clock's
//! resolution), and calibrate must recover the coefficients it was simulated with.

use ruvsim_core::trace::{write_event, Clock, ClockSource, Event, Header, Origin, Tracer, TAG};

use super::header::{link_spelling, region_spelling};
use super::TraceError;
use ruvsim_engine::time::Time;
use ruvsim_hw::chip::KernelKind;
use ruvsim_hw::memory::PsramMode;
use ruvsim_sim::kernel::Kernel;
use ruvsim_sim::result::RunResult;
use ruvsim_sim::scenario::LoadedScenario;

/// A clock that is never read: the header carries no timestamp.
struct NoClock;

impl Clock for NoClock {
    fn now(&mut self) -> u64 {
        0
    }
}

/// The board id the writer gives chip `chip`.
pub fn board_name(chip: u32) -> String {
    format!("chip{chip}")
}

/// Order of records printed at the same instant: ends before starts.
fn rank(event: &Event<'_>) -> u8 {
    match event {
        Event::PhaseEnd { .. } => 0,
        Event::TokenEnd { .. } => 1,
        Event::Transmit { .. } | Event::Receive { .. } => 2,
        Event::TokenStart { .. } => 3,
        Event::PhaseStart { .. } | Event::Summary { .. } => 4,
    }
}

/// Writes `result` (a run of `loaded`) as a trace with timestamps from `clock`; `model_crc32` is
/// the checksum of the scenario's model file.
///
/// Fails if the run's timeline was truncated (spans would be missing), or if a wrapping cycle
/// counter would go more than half its period between two records of a board (the reader could
/// not unwrap it; use `esp_timer` then).
pub fn write_synthetic(
    result: &RunResult,
    loaded: &LoadedScenario,
    model_crc32: u32,
    clock: ClockSource,
) -> Result<String, TraceError> {
    if result.timeline_dropped > 0 {
        return Err(TraceError::Invalid(format!(
            "the run's timeline left out {} spans (its size limit); raise RunOptions::timeline_limit",
            result.timeline_dropped
        )));
    }
    let cluster = &loaded.scenario.cluster;
    let sampler = loaded
        .scenario
        .workload
        .sampling
        .to_sampler(result.model.config.shape.vocab_size)
        .map_err(|e| TraceError::Invalid(e.to_string()))?;
    let memory = &cluster.memory;
    let kernel = if result.cluster.kernel == "plain C" {
        KernelKind::PlainC
    } else {
        KernelKind::Optimized
    };
    let source = format!(
        "written by ruvsim from its simulation of {} (seed {}); not a measurement",
        loaded.file, result.seed
    );
    let clock_mhz = result.cluster.clock_mhz;
    let mut out = String::new();
    for chip in &result.chips {
        let placement = &chip.placement;
        let mut extra: Vec<(&str, String)> = vec![
            ("weights", region_spelling(placement.weights).to_string()),
            ("kv", region_spelling(placement.kv_cache).to_string()),
            ("flash_mhz", memory.flash_clock_mhz.to_string()),
            ("link", link_spelling(&cluster.link)),
            (
                "sampler",
                format!(
                    "{}/{}/{}",
                    sampler.temperature_q16, sampler.top_k, sampler.top_p_q16
                ),
            ),
        ];
        if memory.psram_bytes > 0 {
            let mode = match memory.psram_mode {
                PsramMode::Quad => "quad",
                PsramMode::Octal => "octal",
            };
            extra.push(("psram", format!("{mode}@{}", memory.psram_clock_mhz)));
        }
        let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let board = board_name(chip.chip);
        let header = Header {
            board: &board,
            chip: chip.chip,
            variant: cluster.variant.name(),
            clock_mhz,
            cores: result.cluster.cores_used,
            kernel: match kernel {
                KernelKind::PlainC => "plain_c",
                KernelKind::Optimized => "optimized",
            },
            clock,
            origin: Origin::Synthetic,
            source: Some(&source),
            model_crc32,
            config: result.model.config,
            partition: result.plan.chip(chip.chip).shard,
            extra: &extra,
        };
        let mut lines = String::new();
        let mut tracer = Tracer::new(NoClock, &mut lines);
        tracer
            .header(&header)
            .map_err(|_| TraceError::Invalid(format!("cannot write the header of {board}")))?;
        for line in lines.lines() {
            out.push_str(&format!("@{board} 0 {line}\n"));
        }
        let names: Vec<String> = (0..result.chips.len() as u32).map(board_name).collect();
        let events = chip_events(result, chip.chip, &names);
        write_events(&mut out, &board, events, clock, clock_mhz)?;
    }
    Ok(out)
}

/// Every record of chip `chip`, with the time it happens (picoseconds).
fn chip_events<'a>(result: &RunResult, chip: u32, names: &'a [String]) -> Vec<(u64, Event<'a>)> {
    let mut events = Vec::new();
    for span in &result.timeline {
        let start = span.start.as_ps();
        let end = start + span.duration.as_ps();
        let phase = span.kernel.as_ref().and_then(Kernel::phase);
        match (phase, span.pos, span.hop) {
            (Some(phase), Some(pos), _) if span.resource == chip => {
                let stream = span.stream;
                events.push((
                    start,
                    Event::PhaseStart {
                        phase,
                        stream,
                        pos,
                        t: start,
                    },
                ));
                events.push((
                    end,
                    Event::PhaseEnd {
                        phase,
                        stream,
                        pos,
                        t: end,
                    },
                ));
            }
            (None, _, Some([from, to])) if from == chip || to == chip => {
                let (transmit, peer) = if from == chip {
                    (true, to)
                } else {
                    (false, from)
                };
                let peer = &names[peer as usize];
                let (bytes, t, dt) = (span.bytes, start, end);
                events.push((
                    end,
                    if transmit {
                        Event::Transmit { peer, bytes, t, dt }
                    } else {
                        Event::Receive { peer, bytes, t, dt }
                    },
                ));
            }
            _ => {}
        }
    }
    let sampler_chip = |request: u32| {
        let replica = result.requests[request as usize].replica;
        result.plan.chip_id(replica, result.plan.pipeline - 1, 0)
    };
    for token in &result.tokens {
        if sampler_chip(token.request) != chip {
            continue;
        }
        let record = &result.requests[token.request as usize];
        let (req, pos) = (token.request, token.pos);
        let (start, end) = (token.start.as_ps(), token.end.as_ps());
        events.push((start, Event::TokenStart { req, pos, t: start }));
        let token_id = record.tokens.get(token.index as usize).copied();
        events.push((
            end,
            Event::TokenEnd {
                req,
                pos,
                token: token_id,
                t: end,
            },
        ));
    }
    events.sort_by_key(|(at, event)| (*at, rank(event)));
    events
}

/// Converts the picosecond times of `events` to `clock` readings and prints them.
fn write_events(
    out: &mut String,
    board: &str,
    events: Vec<(u64, Event<'_>)>,
    clock: ClockSource,
    clock_mhz: u32,
) -> Result<(), TraceError> {
    let ticks = |ps: u64| -> u64 {
        match clock {
            ClockSource::EspTimer => ps / 1_000_000,
            ClockSource::Ccount | ClockSource::Mcycle => {
                (u128::from(ps) * u128::from(clock_mhz) / 1_000_000) as u64
            }
        }
    };
    let reading = |t: u64| match clock.wrap_bits() {
        Some(bits) => t & ((1u64 << bits) - 1),
        None => t,
    };
    let mut previous: Option<u64> = None;
    for (at, event) in events {
        let now = ticks(at);
        if let (Some(bits), Some(before)) = (clock.wrap_bits(), previous) {
            if now - before >= 1u64 << (bits - 1) {
                return Err(TraceError::Invalid(format!(
                    "{board} is silent for {} {} ticks at {:.6} s, more than half the counter's \
                     period: write this trace with clock=esp_timer",
                    now - before,
                    clock.name(),
                    Time::from_ps(at).as_secs_f64()
                )));
            }
        }
        previous = Some(now);
        let stamped = match event {
            Event::TokenStart { req, pos, t } => Event::TokenStart {
                req,
                pos,
                t: reading(ticks(t)),
            },
            Event::TokenEnd { req, pos, token, t } => Event::TokenEnd {
                req,
                pos,
                token,
                t: reading(ticks(t)),
            },
            Event::PhaseStart {
                phase,
                stream,
                pos,
                t,
            } => Event::PhaseStart {
                phase,
                stream,
                pos,
                t: reading(ticks(t)),
            },
            Event::PhaseEnd {
                phase,
                stream,
                pos,
                t,
            } => Event::PhaseEnd {
                phase,
                stream,
                pos,
                t: reading(ticks(t)),
            },
            // `t` holds the start and `dt` the end (picoseconds) until stamped here.
            Event::Transmit { peer, bytes, t, dt } => Event::Transmit {
                peer,
                bytes,
                t: reading(ticks(t)),
                dt: ticks(dt) - ticks(t),
            },
            Event::Receive { peer, bytes, t, dt } => Event::Receive {
                peer,
                bytes,
                t: reading(ticks(t)),
                dt: ticks(dt) - ticks(t),
            },
            summary @ Event::Summary { .. } => summary,
        };
        out.push_str(&format!("@{board} {} {TAG} ", at / 1_000_000));
        write_event(out, &stamped)
            .map_err(|_| TraceError::Invalid(format!("cannot write a record of {board}")))?;
        out.push('\n');
    }
    Ok(())
}
