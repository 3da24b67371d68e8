//! Closed-form operation counts and memory footprints: what an operation costs and what a shard
//! needs, from the configuration alone (no weights). The simulator turns these into cycles and
//! checks them against SRAM budgets; tests check them against the counting kernels.

use crate::config::ModelConfig;
use crate::counts;
use crate::error::ExecError;
use crate::exec::Block;
use crate::format::DType;
use crate::kernels::{grouped_counts, row_counts, row_storage_bytes, XNOR_WORDS_PER_CHUNK};
use crate::ops::OpCounts;
use crate::pattern::attended_count;
use crate::sample::{sample_counts, SamplerConfig};
use crate::workspace::{check_unit_alignment, BufferSizes, Shard, Span, FFN_GROUP};

/// One operation of partitioned execution, as the functions of the same names run it and
/// [`predict()`] prices it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Op {
    /// [`crate::embed`]: one token's embedding.
    Embed,
    /// [`crate::attention_heads`]: query heads `heads` of `layer`.
    AttentionHeads {
        /// The layer.
        layer: u32,
        /// The query heads.
        heads: Span,
    },
    /// [`crate::ffn_units`]: feed-forward units `units` of `layer`.
    FfnUnits {
        /// The layer.
        layer: u32,
        /// The hidden units.
        units: Span,
    },
    /// [`crate::reduce_partials`]: adding one partial-sum vector into another.
    ReducePartials,
    /// [`crate::add_partial`]: adding a block's combined partial sums to the residual stream.
    AddPartial {
        /// The layer.
        layer: u32,
        /// The block.
        block: Block,
    },
    /// [`crate::run_layers`]: whole layers.
    Layers {
        /// The layers.
        layers: Span,
    },
    /// [`crate::classify`]: final norm and classifier rows `vocab`.
    Classify {
        /// The vocabulary rows.
        vocab: Span,
    },
    /// [`crate::Sampler::sample`] over the full vocabulary.
    Sample(SamplerConfig),
}

/// The exact [`OpCounts`] of `op` for the token at `pos`, from the configuration alone.
///
/// `pos` matters only to attention (how many positions it attends); it must be below `seq_len`.
pub fn predict(config: &ModelConfig, op: &Op, pos: u32) -> Result<OpCounts, ExecError> {
    config.validate()?;
    if pos >= config.shape.seq_len {
        return Err(ExecError::Position {
            pos,
            context_len: config.shape.seq_len,
        });
    }
    let layer_check =
        |layer: u32| Span::new(layer, layer + 1).check("layer", config.shape.n_layers);
    Ok(match *op {
        Op::Embed => counts::embed(config),
        Op::AttentionHeads { layer, heads } => {
            layer_check(layer)?;
            heads.check("heads", config.shape.n_heads)?;
            attention_counts(config, heads, pos)
        }
        Op::FfnUnits { layer, units } => {
            layer_check(layer)?;
            units.check("feed-forward units", config.shape.hidden_dim)?;
            check_unit_alignment(config, units)?;
            ffn_counts(config, units)
        }
        Op::ReducePartials => counts::reduce(config),
        Op::AddPartial { layer, .. } => {
            layer_check(layer)?;
            counts::combine(config)
        }
        Op::Layers { layers } => {
            layers.check("layers", config.shape.n_layers)?;
            let per_layer = attention_counts(config, Span::new(0, config.shape.n_heads), pos)
                + ffn_counts(config, Span::new(0, config.shape.hidden_dim))
                + counts::combine(config)
                + counts::combine(config);
            crate::kernels::scale(per_layer, u64::from(layers.len()))
        }
        Op::Classify { vocab } => {
            vocab.check("vocabulary rows", config.shape.vocab_size)?;
            if vocab.is_empty() {
                OpCounts::default()
            } else {
                counts::block_input(config)
                    + row_counts(
                        config.precision,
                        u64::from(vocab.len()),
                        u64::from(config.shape.dim),
                    )
            }
        }
        Op::Sample(sampler) => sample_counts(&sampler, config.shape.vocab_size)?,
    })
}

/// The key/value heads query heads `heads` use.
fn kv_heads_of(config: &ModelConfig, heads: Span) -> Span {
    let group = config.shape.kv_group();
    Span::new(heads.start / group, heads.end.div_ceil(group))
}

fn attention_counts(config: &ModelConfig, heads: Span, pos: u32) -> OpCounts {
    if heads.is_empty() {
        return OpCounts::default();
    }
    let hs = config.shape.head_size();
    let kv = kv_heads_of(config, heads);
    let (n_heads, n_kv) = (u64::from(heads.len()), u64::from(kv.len()));
    let dim = u64::from(config.shape.dim);
    let positions = u64::from(attended_count(&config.attention, pos));
    let group = if config.precision.is_integer() {
        hs
    } else {
        heads.len() * hs
    };
    counts::block_input(config)
        + row_counts(config.precision, n_heads * u64::from(hs), dim)
        + crate::kernels::scale(row_counts(config.precision, n_kv * u64::from(hs), dim), 2)
        + counts::rope(config, n_heads, n_kv)
        + counts::kv_write(config, n_kv)
        + crate::kernels::scale(counts::attend(config, positions), n_heads)
        + counts::quantize(config, n_heads * u64::from(hs))
        + grouped_counts(
            config.precision,
            config.shape.dim,
            heads.start * hs,
            heads.len() * hs,
            group,
        )
}

fn ffn_counts(config: &ModelConfig, units: Span) -> OpCounts {
    if units.is_empty() {
        return OpCounts::default();
    }
    let n = u64::from(units.len());
    let group = if config.precision.is_integer() {
        FFN_GROUP
    } else {
        units.len()
    };
    counts::block_input(config)
        + crate::kernels::scale(
            row_counts(config.precision, n, u64::from(config.shape.dim)),
            2,
        )
        + counts::swiglu(n)
        + counts::quantize(config, n)
        + grouped_counts(
            config.precision,
            config.shape.dim,
            units.start,
            units.len(),
            group,
        )
}

/// Memory a shard needs, in bytes, as the firmware would lay it out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Footprint {
    /// Weights and their scales (and norm weights, rotary table) the shard reads.
    pub weight_bytes: u64,
    /// Key/value cache for the context.
    pub kv_bytes: u64,
    /// Activations and scratch of the shard's largest operation.
    pub scratch_bytes: u64,
}

impl Footprint {
    /// Total bytes.
    pub fn total(&self) -> u64 {
        self.weight_bytes + self.kv_bytes + self.scratch_bytes
    }
}

/// Bytes of columns `start..start + width` of a projection with `rows` rows and `cols` columns:
/// whole stored rows when the slice is every column, else the bytes the slice occupies.
fn column_slice_bytes(config: &ModelConfig, rows: u32, cols: u32, start: u32, width: u32) -> u64 {
    let per_row = if width == cols {
        DType::from(config.precision).row_bytes(cols)
    } else {
        crate::kernels::dot_counts(config.precision, u64::from(start), u64::from(width))
            .weight_bytes
    };
    u64::from(rows) * per_row
}

/// The memory `shard` of a model with `config` needs for `context_len` positions.
pub fn footprint(
    config: &ModelConfig,
    shard: &Shard,
    context_len: u32,
) -> Result<Footprint, ExecError> {
    crate::workspace::check_request(config, shard, context_len)?;
    let precision = config.precision;
    let (dim, hs) = (config.shape.dim, config.shape.head_size());
    let scales = |rows: u32| {
        if precision.is_integer() {
            4 * u64::from(rows)
        } else {
            0
        }
    };
    let norm = 4 * u64::from(dim);
    let rows = |n: u32| u64::from(n) * row_storage_bytes(precision, dim);
    let mut weights = 0;
    if shard.embedding {
        weights += rows(config.shape.vocab_size);
    }
    let layers = u64::from(shard.layers.len());
    if shard.has_attention() {
        let kv = shard.kv_heads(config);
        let per_layer = norm
            + rows(shard.heads.len() * hs)
            + 2 * rows(kv.len() * hs)
            + column_slice_bytes(
                config,
                dim,
                dim,
                shard.heads.start * hs,
                shard.heads.len() * hs,
            )
            + scales(dim);
        weights += layers * per_layer;
        if precision.is_integer() {
            weights += DType::U64.row_bytes(hs / 2);
        }
    }
    if shard.has_ffn() {
        let units = shard.ffn_units;
        let per_layer = norm
            + 2 * rows(units.len())
            + column_slice_bytes(
                config,
                dim,
                config.shape.hidden_dim,
                units.start,
                units.len(),
            )
            + scales(dim);
        weights += layers * per_layer;
    }
    if !shard.vocab.is_empty() {
        weights += norm;
        // A shared classifier's rows are the embedding rows, already counted if held.
        if !(config.shape.shared_classifier && shard.embedding) {
            weights += rows(shard.vocab.len());
        }
    }
    Ok(Footprint {
        weight_bytes: weights,
        kv_bytes: BufferSizes::kv_cache(config, shard, context_len).bytes(),
        scratch_bytes: BufferSizes::scratch(config, shard, context_len).bytes(),
    })
}

/// XNOR words one binary dot product of `len` columns costs (exposed for calibration tables).
pub fn xnor_words_per_dot(len: u32) -> u64 {
    XNOR_WORDS_PER_CHUNK * u64::from(len).div_ceil(32)
}
