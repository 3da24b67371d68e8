//! Operation counts of the non-matrix pieces of the forward pass, shared by the kernels (which
//! add them as they run) and by [`crate::predict()`] (which adds them in closed form). Matrix
//! products are counted in [`crate::kernels`].

use crate::config::{ModelConfig, Precision};
use crate::ops::OpCounts;

/// Bytes of one quantisation step stored beside each cached int8 head vector.
pub(crate) const KV_STEP_BYTES: u64 = 4;

fn elementwise(n: u64) -> OpCounts {
    OpCounts {
        elementwise: n,
        ..OpCounts::default()
    }
}

/// RMSNorm of a `dim` vector: squares, one square root, scaling; reads the norm weights.
pub(crate) fn norm(config: &ModelConfig) -> OpCounts {
    let dim = u64::from(config.shape.dim);
    OpCounts {
        elementwise: 2 * dim + 1,
        weight_bytes: 4 * dim,
        ..OpCounts::default()
    }
}

/// Quantising `width` activations to int8 (integer models) and building their XNOR planes
/// (binary models).
pub(crate) fn quantize(config: &ModelConfig, width: u64) -> OpCounts {
    match config.precision {
        Precision::F32 => OpCounts::default(),
        Precision::Binary => elementwise(2 * width),
        Precision::Int8 | Precision::Int4 => elementwise(width),
    }
}

/// The normalised (and, for integer models, quantised) input of a block.
pub(crate) fn block_input(config: &ModelConfig) -> OpCounts {
    norm(config) + quantize(config, u64::from(config.shape.dim))
}

/// Rotary embedding of `q_heads` query heads and `kv_heads` key heads: one sine and one cosine
/// per frequency pair, one rotation step per element.
pub(crate) fn rope(config: &ModelConfig, q_heads: u64, kv_heads: u64) -> OpCounts {
    let head_size = u64::from(config.shape.head_size());
    OpCounts {
        lut: head_size,
        elementwise: (q_heads + kv_heads) * head_size,
        ..OpCounts::default()
    }
}

/// Bytes of one cached head vector (keys or values) with its step.
pub(crate) fn kv_head_bytes(config: &ModelConfig) -> u64 {
    let head_size = u64::from(config.shape.head_size());
    if config.precision.is_integer() {
        head_size + KV_STEP_BYTES
    } else {
        4 * head_size
    }
}

/// Writing the keys and values of `kv_heads` heads at one position (quantising them first in
/// integer models).
pub(crate) fn kv_write(config: &ModelConfig, kv_heads: u64) -> OpCounts {
    let head_size = u64::from(config.shape.head_size());
    let quantise = if config.precision.is_integer() {
        2 * kv_heads * head_size
    } else {
        0
    };
    OpCounts {
        kv_write_bytes: 2 * kv_heads * kv_head_bytes(config),
        elementwise: quantise,
        ..OpCounts::default()
    }
}

/// One query head attending to `positions` cached positions: scores, softmax (one exp per
/// position), weighted sum of values; plus the head's query quantisation and output conversion.
pub(crate) fn attend(config: &ModelConfig, positions: u64) -> OpCounts {
    let head_size = u64::from(config.shape.head_size());
    OpCounts {
        attn_mac: 2 * positions * head_size,
        lut: positions,
        elementwise: 4 * positions + 2 * head_size,
        kv_read_bytes: 2 * positions * kv_head_bytes(config),
        ..OpCounts::default()
    }
}

/// SwiGLU of `units` hidden units: one sigmoid and one product each.
pub(crate) fn swiglu(units: u64) -> OpCounts {
    OpCounts {
        lut: units,
        elementwise: 2 * units,
        ..OpCounts::default()
    }
}

/// Adding a combined partial-sum vector to the residual stream (integer models first scale it by
/// the projection's row scales).
pub(crate) fn combine(config: &ModelConfig) -> OpCounts {
    let dim = u64::from(config.shape.dim);
    OpCounts {
        elementwise: dim,
        weight_bytes: if config.precision.is_integer() {
            4 * dim
        } else {
            0
        },
        ..OpCounts::default()
    }
}

/// Adding one partial-sum vector to another.
pub(crate) fn reduce(config: &ModelConfig) -> OpCounts {
    elementwise(u64::from(config.shape.dim))
}

/// Looking up (and dequantising) one embedding row.
pub(crate) fn embed(config: &ModelConfig) -> OpCounts {
    OpCounts {
        elementwise: u64::from(config.shape.dim),
        weight_bytes: crate::kernels::row_storage_bytes(config.precision, config.shape.dim),
        ..OpCounts::default()
    }
}
