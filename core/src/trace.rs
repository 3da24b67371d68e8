//! Trace records (feature `trace`): the line format a board prints while it runs the engine, so
//! that ruvsim can set what the board measured beside what it simulated (`docs/trace-format.md`).
//!
//! [`Tracer`] writes records to any [`core::fmt::Write`] sink (a UART, a log buffer), stamping
//! each with a [`Clock`] (`esp_timer` microseconds, or the `ccount` / `mcycle` cycle counter). It
//! allocates nothing, so firmware calls it around each phase of partitioned execution.
//! [`parse_record`] reads one record back without allocating; the host-side reader in ruvsim
//! builds on it, so the grammar lives in one place.

use core::fmt::{self, Write};

use crate::exec::Block;
use crate::phase::Phase;
use crate::workspace::Span;

/// Marks a trace record inside a serial log: everything after it on the line is the record.
pub const TAG: &str = "ruvtrace:";

/// The format version a header states (`v=1`).
pub const FORMAT_VERSION: u32 = 1;

/// The CRC-32 (IEEE) of a model file as stored on the board: the checksum a header states, so a
/// trace is only compared with a simulation of the same model.
pub fn model_crc32(model_file: &[u8]) -> u32 {
    crc32fast::hash(model_file)
}

/// A timestamp source, in the unit the header's `clock` names.
pub trait Clock {
    /// The current timestamp.
    fn now(&mut self) -> u64;
}

/// Which counter the timestamps come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClockSource {
    /// ESP-IDF `esp_timer_get_time()`: microseconds since boot, 64 bits.
    EspTimer,
    /// Xtensa `CCOUNT`: CPU cycles, 32 bits (wraps).
    Ccount,
    /// RISC-V cycle counter (`mcycle`, or the ESP32-C3's performance counter): CPU cycles, read as
    /// 32 bits (wraps).
    Mcycle,
}

impl ClockSource {
    /// The name a header uses (`esp_timer`, `ccount`, `mcycle`).
    pub const fn name(self) -> &'static str {
        match self {
            ClockSource::EspTimer => "esp_timer",
            ClockSource::Ccount => "ccount",
            ClockSource::Mcycle => "mcycle",
        }
    }

    /// The source a header name denotes.
    pub fn from_name(name: &str) -> Option<ClockSource> {
        [
            ClockSource::EspTimer,
            ClockSource::Ccount,
            ClockSource::Mcycle,
        ]
        .into_iter()
        .find(|c| c.name() == name)
    }

    /// Width of the counter when it wraps (`None`: it does not wrap in practice).
    pub const fn wrap_bits(self) -> Option<u32> {
        match self {
            ClockSource::EspTimer => None,
            ClockSource::Ccount | ClockSource::Mcycle => Some(32),
        }
    }

    /// `later - earlier` for this counter (modulo its width for a wrapping counter).
    pub const fn elapsed(self, earlier: u64, later: u64) -> u64 {
        match self.wrap_bits() {
            Some(bits) => later.wrapping_sub(earlier) & ((1u64 << bits) - 1),
            None => later.wrapping_sub(earlier),
        }
    }
}

impl Phase {
    /// The phase's name in a record (`embed`, `layers`, `attn`, `ffn`, `combine`, `classify`,
    /// `sample`).
    pub const fn name(&self) -> &'static str {
        match self {
            Phase::Embed => "embed",
            Phase::Layers(_) => "layers",
            Phase::Attention { .. } => "attn",
            Phase::Ffn { .. } => "ffn",
            Phase::Combine { .. } => "combine",
            Phase::Classify(_) => "classify",
            Phase::Sample => "sample",
        }
    }

    fn write_params<W: Write>(&self, w: &mut W) -> fmt::Result {
        match *self {
            Phase::Embed | Phase::Sample => Ok(()),
            Phase::Layers(span) => write!(w, " span={}", SpanText(span)),
            Phase::Attention { layer, heads } => {
                write!(w, " layer={layer} heads={}", SpanText(heads))
            }
            Phase::Ffn { layer, units } => write!(w, " layer={layer} units={}", SpanText(units)),
            Phase::Combine {
                layer,
                block,
                ranks,
            } => write!(
                w,
                " layer={layer} block={} ranks={ranks}",
                block_name(block)
            ),
            Phase::Classify(vocab) => write!(w, " vocab={}", SpanText(vocab)),
        }
    }
}

fn block_name(block: Block) -> &'static str {
    match block {
        Block::Attention => "attn",
        Block::Ffn => "ffn",
    }
}

/// Writes a span as `start..end`.
struct SpanText(Span);

impl fmt::Display for SpanText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.0.start, self.0.end)
    }
}

/// One timed event (or a summary) of a trace. Timestamps `t` (and durations `dt`) are in the unit
/// of the board's [`ClockSource`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Event<'a> {
    /// `TS`: work towards the token chosen at `pos` of request `req` may begin.
    TokenStart {
        /// Request number on this board (0 when it serves one at a time and does not count).
        req: u32,
        /// Context position whose forward pass chooses the token.
        pos: u32,
        /// Timestamp.
        t: u64,
    },
    /// `TE`: the token was chosen.
    TokenEnd {
        /// Request number.
        req: u32,
        /// Context position.
        pos: u32,
        /// The token id, when the firmware reports it.
        token: Option<u32>,
        /// Timestamp.
        t: u64,
    },
    /// `PS`: a phase begins for the token at `pos` of `stream`.
    PhaseStart {
        /// The phase.
        phase: Phase,
        /// Stream (slot) on this board (0 for a board serving one stream).
        stream: u32,
        /// Context position.
        pos: u32,
        /// Timestamp.
        t: u64,
    },
    /// `PE`: the phase ended.
    PhaseEnd {
        /// The phase.
        phase: Phase,
        /// Stream.
        stream: u32,
        /// Context position.
        pos: u32,
        /// Timestamp.
        t: u64,
    },
    /// `TX`: a message of `bytes` sent to board `peer`, from `t` for `dt`.
    Transmit {
        /// The receiving board's id.
        peer: &'a str,
        /// Message bytes.
        bytes: u32,
        /// When the send began.
        t: u64,
        /// How long the send took.
        dt: u64,
    },
    /// `RX`: a message of `bytes` received from board `peer`, waited for from `t` for `dt`.
    Receive {
        /// The sending board's id.
        peer: &'a str,
        /// Message bytes.
        bytes: u32,
        /// When the receive was posted.
        t: u64,
        /// How long until it completed.
        dt: u64,
    },
    /// `S`: a summary figure (a published measurement holds only this).
    Summary {
        /// Generated tokens per second in steady decoding.
        tok_s: f64,
        /// Tokens the figure was measured over, if known.
        tokens: Option<u64>,
    },
}

/// Writes `event` as a record (no tag, no line end).
pub fn write_event<W: Write>(w: &mut W, event: &Event<'_>) -> fmt::Result {
    match *event {
        Event::TokenStart { req, pos, t } => {
            w.write_str("TS")?;
            write_req(w, req)?;
            write!(w, " p={pos} t={t}")
        }
        Event::TokenEnd { req, pos, token, t } => {
            w.write_str("TE")?;
            write_req(w, req)?;
            write!(w, " p={pos}")?;
            if let Some(token) = token {
                write!(w, " tok={token}")?;
            }
            write!(w, " t={t}")
        }
        Event::PhaseStart {
            phase,
            stream,
            pos,
            t,
        } => write_phase(w, "PS", &phase, stream, pos, t),
        Event::PhaseEnd {
            phase,
            stream,
            pos,
            t,
        } => write_phase(w, "PE", &phase, stream, pos, t),
        Event::Transmit { peer, bytes, t, dt } => write_link(w, "TX", peer, bytes, t, dt),
        Event::Receive { peer, bytes, t, dt } => write_link(w, "RX", peer, bytes, t, dt),
        Event::Summary { tok_s, tokens } => {
            write!(w, "S tok_s={tok_s}")?;
            match tokens {
                Some(n) => write!(w, " tokens={n}"),
                None => Ok(()),
            }
        }
    }
}

fn write_req<W: Write>(w: &mut W, req: u32) -> fmt::Result {
    if req == 0 {
        Ok(())
    } else {
        write!(w, " req={req}")
    }
}

fn write_phase<W: Write>(
    w: &mut W,
    kind: &str,
    phase: &Phase,
    stream: u32,
    pos: u32,
    t: u64,
) -> fmt::Result {
    write!(w, "{kind} {}", phase.name())?;
    phase.write_params(w)?;
    if stream != 0 {
        write!(w, " s={stream}")?;
    }
    write!(w, " p={pos} t={t}")
}

fn write_link<W: Write>(
    w: &mut W,
    kind: &str,
    peer: &str,
    bytes: u32,
    t: u64,
    dt: u64,
) -> fmt::Result {
    write!(w, "{kind} peer=")?;
    write_value(w, peer)?;
    write!(w, " bytes={bytes} t={t} dt={dt}")
}

/// Writes a field value, quoted (with `\"` and `\\` escapes) when it is empty or holds a space,
/// quote, backslash or `=`. A line break cannot be part of a one-line record: such a value is
/// refused with [`fmt::Error`] rather than altered.
pub fn write_value<W: Write>(w: &mut W, value: &str) -> fmt::Result {
    if value.contains(['\n', '\r']) {
        return Err(fmt::Error);
    }
    let plain = !value.is_empty()
        && !value
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | '\\' | '='));
    if plain {
        return w.write_str(value);
    }
    w.write_char('"')?;
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            w.write_char('\\')?;
        }
        w.write_char(c)?;
    }
    w.write_char('"')
}

/// Writes trace records, stamped by a clock, to a byte sink: what firmware calls around each
/// phase. Every record is one line: [`TAG`], a space, the record, `\n`.
pub struct Tracer<C, W> {
    clock: C,
    out: W,
    stream: u32,
}

impl<C: Clock, W: Write> Tracer<C, W> {
    /// A tracer writing to `out` with timestamps from `clock`, for stream 0.
    pub fn new(clock: C, out: W) -> Tracer<C, W> {
        Tracer {
            clock,
            out,
            stream: 0,
        }
    }

    /// Sets the stream later phase records belong to (a board serving several streams).
    pub fn set_stream(&mut self, stream: u32) {
        self.stream = stream;
    }

    /// The clock's current timestamp.
    pub fn now(&mut self) -> u64 {
        self.clock.now()
    }

    /// Writes one record line.
    pub fn record(&mut self, event: &Event<'_>) -> fmt::Result {
        write!(self.out, "{TAG} ")?;
        write_event(&mut self.out, event)?;
        self.out.write_char('\n')
    }

    /// Writes the header as four `H` lines: identity and clock, model, partition, extra facts.
    pub fn header(&mut self, header: &Header<'_>) -> fmt::Result {
        let out = &mut self.out;
        write!(out, "{TAG} H v={FORMAT_VERSION} board=")?;
        write_value(out, header.board)?;
        write!(
            out,
            " chip={} variant={} clock_mhz={} cores={} kernel={} clock={} origin={}",
            header.chip,
            header.variant,
            header.clock_mhz,
            header.cores,
            header.kernel,
            header.clock.name(),
            header.origin.name()
        )?;
        if let Some(source) = header.source {
            out.write_str(" source=")?;
            write_value(out, source)?;
        }
        let c = &header.config;
        write!(
            out,
            "\n{TAG} H model=crc32:{:08x} precision={} dim={} hidden={} layers={} heads={} \
             kv_heads={} vocab={} seq_len={} shared={} attention=",
            header.model_crc32,
            c.precision.name(),
            c.shape.dim,
            c.shape.hidden_dim,
            c.shape.n_layers,
            c.shape.n_heads,
            c.shape.n_kv_heads,
            c.shape.vocab_size,
            c.shape.seq_len,
            u8::from(c.shape.shared_classifier)
        )?;
        write_attention(out, &c.attention)?;
        write!(out, "\n{TAG} H partition=")?;
        write_partition(out, &header.partition)?;
        out.write_char('\n')?;
        if !header.extra.is_empty() {
            write!(out, "{TAG} H")?;
            for (key, value) in header.extra {
                write!(out, " {key}=")?;
                write_value(out, value)?;
            }
            out.write_char('\n')?;
        }
        Ok(())
    }

    /// `TS`: work towards the token chosen at `pos` of request `req` may begin now.
    pub fn token_start(&mut self, req: u32, pos: u32) -> fmt::Result {
        let t = self.clock.now();
        self.record(&Event::TokenStart { req, pos, t })
    }

    /// `TE`: the token at `pos` of request `req` was chosen now (`token` if it is to be shown).
    pub fn token_end(&mut self, req: u32, pos: u32, token: Option<u32>) -> fmt::Result {
        let t = self.clock.now();
        self.record(&Event::TokenEnd { req, pos, token, t })
    }

    /// `PS`: `phase` begins now for the token at `pos`.
    pub fn phase_start(&mut self, phase: Phase, pos: u32) -> fmt::Result {
        let (stream, t) = (self.stream, self.clock.now());
        self.record(&Event::PhaseStart {
            phase,
            stream,
            pos,
            t,
        })
    }

    /// `PE`: `phase` ended now for the token at `pos`.
    pub fn phase_end(&mut self, phase: Phase, pos: u32) -> fmt::Result {
        let (stream, t) = (self.stream, self.clock.now());
        self.record(&Event::PhaseEnd {
            phase,
            stream,
            pos,
            t,
        })
    }

    /// Runs `work` between a `PS` and a `PE` record of `phase` (the timestamps are taken right
    /// around it, after and before the record writes).
    pub fn phase<R>(
        &mut self,
        phase: Phase,
        pos: u32,
        work: impl FnOnce() -> R,
    ) -> Result<R, fmt::Error> {
        self.phase_start(phase, pos)?;
        let result = work();
        self.phase_end(phase, pos)?;
        Ok(result)
    }

    /// `TX`: a send of `bytes` to `peer` that began at `started` (a [`Tracer::now`] reading)
    /// has just completed.
    pub fn transmitted(&mut self, peer: &str, bytes: u32, started: u64) -> fmt::Result {
        let dt = self.elapsed_since(started);
        self.record(&Event::Transmit {
            peer,
            bytes,
            t: started,
            dt,
        })
    }

    /// `RX`: a receive of `bytes` from `peer` posted at `posted` has just completed.
    pub fn received(&mut self, peer: &str, bytes: u32, posted: u64) -> fmt::Result {
        let dt = self.elapsed_since(posted);
        self.record(&Event::Receive {
            peer,
            bytes,
            t: posted,
            dt,
        })
    }

    /// Ticks since `earlier`; the header's clock source says how the counter wraps, which the
    /// tracer does not know, so a cycle counter is assumed 32 bits wide only when it wrapped.
    fn elapsed_since(&mut self, earlier: u64) -> u64 {
        let now = self.clock.now();
        if now >= earlier {
            now - earlier
        } else {
            ClockSource::Ccount.elapsed(earlier, now)
        }
    }

    /// The clock and the sink, back.
    pub fn into_parts(self) -> (C, W) {
        (self.clock, self.out)
    }
}

mod header;
pub use header::{parse_attention, parse_partition, parse_span, Header, Origin};
use header::{write_attention, write_partition};
mod parse;
pub use parse::{parse_record, Fields, Record, RecordError, Token, Value};

#[cfg(test)]
mod tests;
