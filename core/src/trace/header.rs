//! The header's vocabulary: where a trace comes from ([`Origin`]), what a board states
//! ([`Header`]), and the spellings of precisions, attention patterns, partitions and spans.

use core::fmt::{self, Write};

use super::SpanText;
use crate::config::{AttentionPattern, ModelConfig};
use crate::workspace::{Shard, Span};

use super::ClockSource;

/// Where a trace's figures come from, as its header states (`origin=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Recorded on a real board (or published from one, with `source=`).
    Measured,
    /// Written by the simulator from its own run: never a measurement.
    Synthetic,
}

impl Origin {
    /// The header spelling.
    pub const fn name(self) -> &'static str {
        match self {
            Origin::Measured => "measured",
            Origin::Synthetic => "synthetic",
        }
    }

    /// The origin a header name denotes.
    pub fn from_name(name: &str) -> Option<Origin> {
        [Origin::Measured, Origin::Synthetic]
            .into_iter()
            .find(|o| o.name() == name)
    }
}

/// What a board states about itself before its first event (printed as several `H` records).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Header<'a> {
    /// The board's id, unique in a merged trace.
    pub board: &'a str,
    /// The chip of the simulated cluster this board plays.
    pub chip: u32,
    /// Chip variant, as scenarios spell it (`esp32s3`).
    pub variant: &'a str,
    /// CPU clock.
    pub clock_mhz: u32,
    /// Cores the engine uses.
    pub cores: u32,
    /// Kernel implementation (`plain_c` or `optimized`).
    pub kernel: &'a str,
    /// Timestamp source.
    pub clock: ClockSource,
    /// Whether this is a measurement or written by the simulator.
    pub origin: Origin,
    /// Where a published figure comes from (optional).
    pub source: Option<&'a str>,
    /// [`model_crc32`] of the model file.
    pub model_crc32: u32,
    /// The model's configuration (precision, shape, attention pattern).
    pub config: ModelConfig,
    /// The part of the model this board holds.
    pub partition: Shard,
    /// Further `key=value` facts (memory placement `weights=psram`, `link=`, ...).
    pub extra: &'a [(&'a str, &'a str)],
}

/// Writes an attention pattern as `full`, `window:W`, `strided:S:L`, `dilated:W:D` or
/// `bigbird:G:W:R:SEED`.
pub(super) fn write_attention<W: Write>(w: &mut W, pattern: &AttentionPattern) -> fmt::Result {
    match *pattern {
        AttentionPattern::Full => w.write_str("full"),
        AttentionPattern::SlidingWindow { window } => write!(w, "window:{window}"),
        AttentionPattern::Strided { stride, local } => write!(w, "strided:{stride}:{local}"),
        AttentionPattern::Dilated { window, dilation } => write!(w, "dilated:{window}:{dilation}"),
        AttentionPattern::BigBird {
            global,
            window,
            random,
            seed,
        } => write!(w, "bigbird:{global}:{window}:{random}:{seed}"),
    }
}

/// Reads an attention pattern written by the header (see `write_attention`).
pub fn parse_attention(text: &str) -> Option<AttentionPattern> {
    let mut parts = text.split(':');
    let name = parts.next()?;
    let mut number = || parts.next().and_then(|p| p.parse::<u64>().ok());
    let small = |v: u64| u32::try_from(v).ok();
    let pattern = match name {
        "full" => AttentionPattern::Full,
        "window" => AttentionPattern::SlidingWindow {
            window: small(number()?)?,
        },
        "strided" => AttentionPattern::Strided {
            stride: small(number()?)?,
            local: small(number()?)?,
        },
        "dilated" => AttentionPattern::Dilated {
            window: small(number()?)?,
            dilation: small(number()?)?,
        },
        "bigbird" => AttentionPattern::BigBird {
            global: small(number()?)?,
            window: small(number()?)?,
            random: small(number()?)?,
            seed: number()?,
        },
        _ => return None,
    };
    match parts.next() {
        Some(_) => None,
        None => Some(pattern),
    }
}

/// Writes a partition as `embed,layers:A..B,heads:A..B,units:A..B,vocab:A..B` (empty parts left
/// out; `none` when the shard holds nothing).
pub(super) fn write_partition<W: Write>(w: &mut W, shard: &Shard) -> fmt::Result {
    let parts = [
        ("layers", shard.layers),
        ("heads", shard.heads),
        ("units", shard.ffn_units),
        ("vocab", shard.vocab),
    ];
    let mut first = true;
    let mut separator = |w: &mut W| {
        let result = if first { Ok(()) } else { w.write_char(',') };
        first = false;
        result
    };
    if shard.embedding {
        separator(w)?;
        w.write_str("embed")?;
    }
    for (name, span) in parts.into_iter().filter(|(_, s)| !s.is_empty()) {
        separator(w)?;
        write!(w, "{name}:{}", SpanText(span))?;
    }
    if first {
        w.write_str("none")?;
    }
    Ok(())
}

/// Reads a partition written by the header (see `write_partition`).
pub fn parse_partition(text: &str) -> Option<Shard> {
    let mut shard = Shard {
        embedding: false,
        layers: Span::default(),
        heads: Span::default(),
        ffn_units: Span::default(),
        vocab: Span::default(),
    };
    if text == "none" {
        return Some(shard);
    }
    for part in text.split(',') {
        if part == "embed" {
            if shard.embedding {
                return None;
            }
            shard.embedding = true;
            continue;
        }
        let (name, span) = part.split_once(':')?;
        let target = match name {
            "layers" => &mut shard.layers,
            "heads" => &mut shard.heads,
            "units" => &mut shard.ffn_units,
            "vocab" => &mut shard.vocab,
            _ => return None,
        };
        if !target.is_empty() {
            return None;
        }
        *target = parse_span(span)?;
        if target.is_empty() {
            return None;
        }
    }
    Some(shard)
}

/// Reads `start..end` (with `start <= end`).
pub fn parse_span(text: &str) -> Option<Span> {
    let (start, end) = text.split_once("..")?;
    let (start, end) = (start.parse().ok()?, end.parse().ok()?);
    (start <= end).then_some(Span::new(start, end))
}
