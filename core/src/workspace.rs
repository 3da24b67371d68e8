//! What a chip holds and the memory it computes in: [`Shard`] (which part of the model),
//! [`BufferSizes`] (how much caller memory that part needs), and [`Workspace`] (the key/value
//! cache and scratch carved from caller-provided buffers; no allocation in the forward pass).

use core::mem;

use crate::config::ModelConfig;
use crate::error::ExecError;
use crate::pattern::kv_slots;

/// Feed-forward units quantised together (one activation step per group). Integer models'
/// feed-forward shards start and end on multiples of it, so every split quantises identically.
pub const FFN_GROUP: u32 = 16;

/// A half-open range `start..end` of layers, heads, units or vocabulary rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Span {
    /// First index.
    pub start: u32,
    /// One past the last index.
    pub end: u32,
}

impl Span {
    /// `start..end`.
    pub const fn new(start: u32, end: u32) -> Span {
        Span { start, end }
    }

    /// Number of indices (zero if `end <= start`).
    pub fn len(&self) -> u32 {
        self.end.saturating_sub(self.start)
    }

    /// Whether the span holds no index.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether every index of `inner` is in `self`.
    pub fn covers(&self, inner: Span) -> bool {
        inner.start >= self.start && inner.end <= self.end
    }

    /// Checks `start <= end <= limit`.
    pub(crate) fn check(self, what: &'static str, limit: u32) -> Result<(), ExecError> {
        if self.start <= self.end && self.end <= limit {
            Ok(())
        } else {
            Err(ExecError::SpanOutOfRange {
                what,
                start: self.start,
                end: self.end,
                limit,
            })
        }
    }

    /// Fails with [`ExecError::NotInShard`] unless `held` covers `self`.
    pub(crate) fn require_in(self, held: Span, what: &'static str) -> Result<(), ExecError> {
        if held.covers(self) {
            Ok(())
        } else {
            Err(ExecError::NotInShard {
                what,
                start: self.start,
                end: self.end,
            })
        }
    }
}

/// The part of a model one chip holds and runs.
///
/// For each layer in `layers` the chip holds the query heads `heads` (and the key/value heads
/// they use) and the feed-forward units `ffn_units`; `vocab` are its classifier rows; `embedding`
/// says whether it embeds tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Shard {
    /// Whether the chip holds the token embedding.
    pub embedding: bool,
    /// Layers the chip computes in.
    pub layers: Span,
    /// Query heads of each held layer.
    pub heads: Span,
    /// Feed-forward hidden units of each held layer.
    pub ffn_units: Span,
    /// Classifier (vocabulary) rows.
    pub vocab: Span,
}

impl Shard {
    /// The whole model on one chip.
    pub fn whole(config: &ModelConfig) -> Shard {
        Shard {
            embedding: true,
            layers: Span::new(0, config.shape.n_layers),
            heads: Span::new(0, config.shape.n_heads),
            ffn_units: Span::new(0, config.shape.hidden_dim),
            vocab: Span::new(0, config.shape.vocab_size),
        }
    }

    /// A pipeline stage: whole layers `layers`, plus the embedding if it is the first stage and
    /// the classifier if it is the last.
    pub fn pipeline_stage(config: &ModelConfig, layers: Span) -> Shard {
        Shard {
            embedding: layers.start == 0,
            layers,
            heads: Span::new(0, config.shape.n_heads),
            ffn_units: Span::new(0, config.shape.hidden_dim),
            vocab: if layers.end == config.shape.n_layers {
                Span::new(0, config.shape.vocab_size)
            } else {
                Span::default()
            },
        }
    }

    /// The key/value heads the held query heads use (grouped-query attention).
    pub fn kv_heads(&self, config: &ModelConfig) -> Span {
        if self.heads.is_empty() {
            return Span::default();
        }
        let group = config.shape.kv_group();
        Span::new(self.heads.start / group, self.heads.end.div_ceil(group))
    }

    /// Checks every span against the model and, for integer models, the feed-forward alignment.
    pub fn validate(&self, config: &ModelConfig) -> Result<(), ExecError> {
        self.layers.check("layers", config.shape.n_layers)?;
        self.heads.check("heads", config.shape.n_heads)?;
        self.ffn_units
            .check("feed-forward units", config.shape.hidden_dim)?;
        self.vocab
            .check("vocabulary rows", config.shape.vocab_size)?;
        check_unit_alignment(config, self.ffn_units)
    }

    /// Whether the shard computes attention (holds layers and heads).
    pub fn has_attention(&self) -> bool {
        !self.layers.is_empty() && !self.heads.is_empty()
    }

    /// Whether the shard computes feed-forward units.
    pub fn has_ffn(&self) -> bool {
        !self.layers.is_empty() && !self.ffn_units.is_empty()
    }
}

/// Integer models quantise feed-forward activations in groups of [`FFN_GROUP`] units, so a
/// feed-forward span must start and end on group boundaries (or at the hidden width).
pub(crate) fn check_unit_alignment(config: &ModelConfig, units: Span) -> Result<(), ExecError> {
    let aligned = |u: u32| u.is_multiple_of(FFN_GROUP) || u == config.shape.hidden_dim;
    if !config.precision.is_integer()
        || units.is_empty()
        || (aligned(units.start) && aligned(units.end))
    {
        Ok(())
    } else {
        Err(ExecError::UnalignedUnits {
            start: units.start,
            end: units.end,
            group: FFN_GROUP,
        })
    }
}

/// Element counts of the caller buffers a workspace needs, per element type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BufferSizes {
    /// `i8` elements.
    pub i8s: usize,
    /// `i32` elements.
    pub i32s: usize,
    /// `i64` elements.
    pub i64s: usize,
    /// `u32` elements.
    pub u32s: usize,
    /// `f32` elements.
    pub f32s: usize,
}

impl BufferSizes {
    /// Total bytes.
    pub fn bytes(&self) -> u64 {
        self.i8s as u64 + 4 * (self.i32s + self.u32s + self.f32s) as u64 + 8 * self.i64s as u64
    }

    fn max(self, other: BufferSizes) -> BufferSizes {
        BufferSizes {
            i8s: self.i8s.max(other.i8s),
            i32s: self.i32s.max(other.i32s),
            i64s: self.i64s.max(other.i64s),
            u32s: self.u32s.max(other.u32s),
            f32s: self.f32s.max(other.f32s),
        }
    }

    fn plus(self, other: BufferSizes) -> BufferSizes {
        BufferSizes {
            i8s: self.i8s + other.i8s,
            i32s: self.i32s + other.i32s,
            i64s: self.i64s + other.i64s,
            u32s: self.u32s + other.u32s,
            f32s: self.f32s + other.f32s,
        }
    }

    /// Sizes of the key/value cache of `shard` for `context_len` positions.
    pub fn kv_cache(config: &ModelConfig, shard: &Shard, context_len: u32) -> BufferSizes {
        if !shard.has_attention() {
            return BufferSizes::default();
        }
        let slots = kv_slots(&config.attention, context_len) as usize;
        let heads = shard.layers.len() as usize * slots * shard.kv_heads(config).len() as usize;
        let values = heads * config.shape.head_size() as usize;
        if config.precision.is_integer() {
            BufferSizes {
                i8s: 2 * values,
                u32s: 2 * heads,
                ..BufferSizes::default()
            }
        } else {
            BufferSizes {
                f32s: 2 * values,
                ..BufferSizes::default()
            }
        }
    }

    /// Sizes of the scratch memory the operations of `shard` need (the largest of them).
    pub fn scratch(config: &ModelConfig, shard: &Shard, context_len: u32) -> BufferSizes {
        let mut sizes = BufferSizes::default();
        let dim = config.shape.dim as usize;
        if shard.has_attention() {
            sizes = sizes.max(attention_scratch(config, shard, context_len));
        }
        if shard.has_ffn() {
            sizes = sizes.max(ffn_scratch(config, shard.ffn_units.len() as usize));
        }
        if !shard.vocab.is_empty() {
            sizes = sizes.max(input_scratch(config, dim));
        }
        // The whole-layer operation keeps one partial-sum vector beside the block scratch.
        let partial = if !shard.has_attention() && !shard.has_ffn() {
            BufferSizes::default()
        } else if config.precision.is_integer() {
            BufferSizes {
                i64s: dim,
                ..BufferSizes::default()
            }
        } else {
            BufferSizes {
                f32s: dim,
                ..BufferSizes::default()
            }
        };
        sizes.plus(partial)
    }

    /// Everything a workspace for `shard` needs: key/value cache plus scratch.
    pub fn for_shard(config: &ModelConfig, shard: &Shard, context_len: u32) -> BufferSizes {
        BufferSizes::kv_cache(config, shard, context_len).plus(BufferSizes::scratch(
            config,
            shard,
            context_len,
        ))
    }
}

/// XNOR bit-plane words for an int8 input of `width` elements (binary models only).
pub(crate) fn plane_words(config: &ModelConfig, width: usize) -> usize {
    if config.precision == crate::config::Precision::Binary {
        8 * width.div_ceil(32)
    } else {
        0
    }
}

/// Scratch of a normalised, quantised input of `width` elements (and, for the classifier, that
/// is all it needs).
fn input_scratch(config: &ModelConfig, width: usize) -> BufferSizes {
    if config.precision.is_integer() {
        BufferSizes {
            i32s: width,
            i8s: width,
            u32s: plane_words(config, width),
            ..BufferSizes::default()
        }
    } else {
        BufferSizes {
            f32s: width,
            ..BufferSizes::default()
        }
    }
}

fn attention_scratch(config: &ModelConfig, shard: &Shard, context_len: u32) -> BufferSizes {
    let dim = config.shape.dim as usize;
    let head_size = config.shape.head_size() as usize;
    let heads = shard.heads.len() as usize;
    let query = heads * head_size;
    let kv = shard.kv_heads(config).len() as usize * head_size;
    let positions = context_len as usize;
    let input = input_scratch(config, dim);
    if config.precision.is_integer() {
        input.plus(BufferSizes {
            // queries, keys, values, attention output, rotary sine/cosine pairs, one head's
            // weighted-value accumulators
            i32s: 2 * query + 2 * kv + 2 * head_size,
            // quantised queries and attention output
            i8s: 2 * query,
            // per-head steps of queries and outputs, attended positions, output planes
            u32s: 2 * heads + positions + plane_words(config, query),
            // scores, then softmax weights, per position
            i64s: positions,
            f32s: 0,
        })
    } else {
        input.plus(BufferSizes {
            f32s: 2 * query + 2 * kv + positions,
            u32s: positions,
            ..BufferSizes::default()
        })
    }
}

fn ffn_scratch(config: &ModelConfig, units: usize) -> BufferSizes {
    let input = input_scratch(config, config.shape.dim as usize);
    if config.precision.is_integer() {
        input.plus(BufferSizes {
            i32s: 2 * units,
            i8s: units,
            u32s: units.div_ceil(FFN_GROUP as usize) + plane_words(config, units),
            ..BufferSizes::default()
        })
    } else {
        input.plus(BufferSizes {
            f32s: 2 * units,
            ..BufferSizes::default()
        })
    }
}

/// Caller-provided memory for a workspace, one slice per element type, each at least as long as
/// [`BufferSizes::for_shard`] says.
pub struct Buffers<'a> {
    /// `i8` memory.
    pub i8s: &'a mut [i8],
    /// `i32` memory.
    pub i32s: &'a mut [i32],
    /// `i64` memory.
    pub i64s: &'a mut [i64],
    /// `u32` memory.
    pub u32s: &'a mut [u32],
    /// `f32` memory.
    pub f32s: &'a mut [f32],
}

impl Buffers<'_> {
    /// The element counts of these buffers.
    pub fn sizes(&self) -> BufferSizes {
        BufferSizes {
            i8s: self.i8s.len(),
            i32s: self.i32s.len(),
            i64s: self.i64s.len(),
            u32s: self.u32s.len(),
            f32s: self.f32s.len(),
        }
    }
}

/// Shows the lengths, not the contents.
impl core::fmt::Debug for Buffers<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("Buffers").field(&self.sizes()).finish()
    }
}

impl<'a> Buffers<'a> {
    fn check(&self, sizes: &BufferSizes) -> Result<(), ExecError> {
        let pairs = [
            ("i8 buffer", sizes.i8s, self.i8s.len()),
            ("i32 buffer", sizes.i32s, self.i32s.len()),
            ("i64 buffer", sizes.i64s, self.i64s.len()),
            ("u32 buffer", sizes.u32s, self.u32s.len()),
            ("f32 buffer", sizes.f32s, self.f32s.len()),
        ];
        match pairs.into_iter().find(|&(_, needed, found)| found < needed) {
            Some((what, expected, found)) => Err(ExecError::Length {
                what,
                expected,
                found,
            }),
            None => Ok(()),
        }
    }

    /// Splits off the first `sizes` elements of each buffer.
    fn split(self, sizes: &BufferSizes) -> (Buffers<'a>, Buffers<'a>) {
        let (i8a, i8b) = self.i8s.split_at_mut(sizes.i8s);
        let (i32a, i32b) = self.i32s.split_at_mut(sizes.i32s);
        let (i64a, i64b) = self.i64s.split_at_mut(sizes.i64s);
        let (u32a, u32b) = self.u32s.split_at_mut(sizes.u32s);
        let (f32a, f32b) = self.f32s.split_at_mut(sizes.f32s);
        (
            Buffers {
                i8s: i8a,
                i32s: i32a,
                i64s: i64a,
                u32s: u32a,
                f32s: f32a,
            },
            Buffers {
                i8s: i8b,
                i32s: i32b,
                i64s: i64b,
                u32s: u32b,
                f32s: f32b,
            },
        )
    }

    /// A shorter-lived view of the same memory.
    pub(crate) fn reborrow(&mut self) -> Buffers<'_> {
        Buffers {
            i8s: self.i8s,
            i32s: self.i32s,
            i64s: self.i64s,
            u32s: self.u32s,
            f32s: self.f32s,
        }
    }

    /// Carves `n` elements off the front of one buffer.
    fn carve<'s, T>(
        pool: &mut &'s mut [T],
        n: usize,
        what: &'static str,
    ) -> Result<&'s mut [T], ExecError> {
        let len = pool.len();
        if n > len {
            return Err(ExecError::Length {
                what,
                expected: n,
                found: len,
            });
        }
        let (head, tail) = mem::take(pool).split_at_mut(n);
        *pool = tail;
        Ok(head)
    }

    /// Takes `n` `i8`s.
    pub(crate) fn take_i8(&mut self, n: usize) -> Result<&'a mut [i8], ExecError> {
        Self::carve(&mut self.i8s, n, "i8 scratch")
    }

    /// Takes `n` `i32`s.
    pub(crate) fn take_i32(&mut self, n: usize) -> Result<&'a mut [i32], ExecError> {
        Self::carve(&mut self.i32s, n, "i32 scratch")
    }

    /// Takes `n` `i64`s.
    pub(crate) fn take_i64(&mut self, n: usize) -> Result<&'a mut [i64], ExecError> {
        Self::carve(&mut self.i64s, n, "i64 scratch")
    }

    /// Takes `n` `u32`s.
    pub(crate) fn take_u32(&mut self, n: usize) -> Result<&'a mut [u32], ExecError> {
        Self::carve(&mut self.u32s, n, "u32 scratch")
    }

    /// Takes `n` `f32`s.
    pub(crate) fn take_f32(&mut self, n: usize) -> Result<&'a mut [f32], ExecError> {
        Self::carve(&mut self.f32s, n, "f32 scratch")
    }
}

/// The key/value cache of a shard: for each held layer, cache slot and held key/value head, one
/// head's keys and values (int8 with a quantisation step per head and position for integer
/// models, f32 for f32 models). Patterns that look back a bounded distance use the slots as a
/// ring buffer.
pub(crate) struct KvCache<'a> {
    pub layers: Span,
    pub kv_heads: Span,
    pub slots: u32,
    pub head_size: usize,
    pub keys_i8: &'a mut [i8],
    pub values_i8: &'a mut [i8],
    pub key_steps: &'a mut [u32],
    pub value_steps: &'a mut [u32],
    pub keys_f32: &'a mut [f32],
    pub values_f32: &'a mut [f32],
}

impl KvCache<'_> {
    /// A shorter-lived view of the same cache.
    pub fn reborrow(&mut self) -> KvCache<'_> {
        KvCache {
            layers: self.layers,
            kv_heads: self.kv_heads,
            slots: self.slots,
            head_size: self.head_size,
            keys_i8: self.keys_i8,
            values_i8: self.values_i8,
            key_steps: self.key_steps,
            value_steps: self.value_steps,
            keys_f32: self.keys_f32,
            values_f32: self.values_f32,
        }
    }

    /// The cache slot of position `pos` (a ring buffer once positions exceed the slots).
    #[inline]
    pub fn slot(&self, pos: u32) -> usize {
        if pos < self.slots {
            pos as usize
        } else {
            (pos % self.slots) as usize
        }
    }

    /// Where the entries of one (layer, key/value head) live: entry of position `pos` is
    /// `base + slot(pos) * stride`. Callers pass held layers and heads.
    pub fn head_entries(&self, layer: u32, kv_head: u32) -> (usize, usize) {
        let stride = self.kv_heads.len() as usize;
        let base = (layer - self.layers.start) as usize * self.slots as usize * stride
            + (kv_head - self.kv_heads.start) as usize;
        (base, stride)
    }

    /// Index of the (layer, position, key/value head) entry.
    pub fn entry(&self, layer: u32, pos: u32, kv_head: u32) -> usize {
        let (base, stride) = self.head_entries(layer, kv_head);
        base + self.slot(pos) * stride
    }
}

/// Checks a configuration, shard and context length before memory is sized or carved for them.
pub(crate) fn check_request(
    config: &ModelConfig,
    shard: &Shard,
    context_len: u32,
) -> Result<(), ExecError> {
    config.validate()?;
    shard.validate(config)?;
    if context_len == 0 || context_len > config.shape.seq_len {
        return Err(ExecError::ContextLength {
            context_len,
            seq_len: config.shape.seq_len,
        });
    }
    Ok(())
}

/// Everything one chip computes in: its shard, key/value cache and scratch memory.
pub struct Workspace<'a> {
    pub(crate) config: ModelConfig,
    pub(crate) shard: Shard,
    pub(crate) context_len: u32,
    pub(crate) kv: KvCache<'a>,
    pub(crate) scratch: Buffers<'a>,
}

/// Shows what the workspace is for, not its memory.
impl core::fmt::Debug for Workspace<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Workspace")
            .field("shard", &self.shard)
            .field("context_len", &self.context_len)
            .field("kv_slots", &self.kv.slots)
            .finish()
    }
}

impl<'a> Workspace<'a> {
    /// A workspace for running `shard` of a model with `config` over `context_len` positions, in
    /// `buffers` (at least [`BufferSizes::for_shard`] long each). The cache starts empty.
    pub fn new(
        config: &ModelConfig,
        shard: &Shard,
        context_len: u32,
        buffers: Buffers<'a>,
    ) -> Result<Workspace<'a>, ExecError> {
        check_request(config, shard, context_len)?;
        let kv_sizes = BufferSizes::kv_cache(config, shard, context_len);
        buffers.check(&kv_sizes.plus(BufferSizes::scratch(config, shard, context_len)))?;
        let (kv, scratch) = buffers.split(&kv_sizes);
        let (keys_i8, values_i8) = kv.i8s.split_at_mut(kv_sizes.i8s / 2);
        let (key_steps, value_steps) = kv.u32s.split_at_mut(kv_sizes.u32s / 2);
        let (keys_f32, values_f32) = kv.f32s.split_at_mut(kv_sizes.f32s / 2);
        Ok(Workspace {
            config: *config,
            shard: *shard,
            context_len,
            kv: KvCache {
                layers: shard.layers,
                kv_heads: shard.kv_heads(config),
                slots: kv_slots(&config.attention, context_len),
                head_size: config.shape.head_size() as usize,
                keys_i8,
                values_i8,
                key_steps,
                value_steps,
                keys_f32,
                values_f32,
            },
            scratch,
        })
    }

    /// The shard this workspace runs.
    pub fn shard(&self) -> &Shard {
        &self.shard
    }

    /// Positions the workspace can hold.
    pub fn context_len(&self) -> u32 {
        self.context_len
    }
}

#[cfg(feature = "alloc")]
mod owned {
    use alloc::vec;
    use alloc::vec::Vec;

    use super::{BufferSizes, Buffers, Shard, Workspace};
    use crate::config::ModelConfig;
    use crate::error::ExecError;

    /// Heap memory for one workspace (feature `alloc`): allocate once, then borrow a
    /// [`Workspace`] for each operation with [`OwnedWorkspace::workspace`]. The key/value cache
    /// persists between borrows.
    #[derive(Clone)]
    pub struct OwnedWorkspace {
        config: ModelConfig,
        shard: Shard,
        context_len: u32,
        i8s: Vec<i8>,
        i32s: Vec<i32>,
        i64s: Vec<i64>,
        u32s: Vec<u32>,
        f32s: Vec<f32>,
    }

    /// Shows what the workspace is for, not its memory.
    impl core::fmt::Debug for OwnedWorkspace {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.debug_struct("OwnedWorkspace")
                .field("shard", &self.shard)
                .field("context_len", &self.context_len)
                .finish()
        }
    }

    impl OwnedWorkspace {
        /// Allocates the memory `shard` needs for `context_len` positions.
        pub fn new(
            config: &ModelConfig,
            shard: &Shard,
            context_len: u32,
        ) -> Result<OwnedWorkspace, ExecError> {
            super::check_request(config, shard, context_len)?;
            let sizes = BufferSizes::for_shard(config, shard, context_len);
            Ok(OwnedWorkspace {
                config: *config,
                shard: *shard,
                context_len,
                i8s: vec![0; sizes.i8s],
                i32s: vec![0; sizes.i32s],
                i64s: vec![0; sizes.i64s],
                u32s: vec![0; sizes.u32s],
                f32s: vec![0.0; sizes.f32s],
            })
        }

        /// The workspace view of this memory (it was sized and checked at construction, so this
        /// only fails if that invariant is broken).
        pub fn workspace(&mut self) -> Result<Workspace<'_>, ExecError> {
            Workspace::new(
                &self.config,
                &self.shard,
                self.context_len,
                Buffers {
                    i8s: &mut self.i8s,
                    i32s: &mut self.i32s,
                    i64s: &mut self.i64s,
                    u32s: &mut self.u32s,
                    f32s: &mut self.f32s,
                },
            )
        }
    }
}

#[cfg(feature = "alloc")]
pub use owned::OwnedWorkspace;
