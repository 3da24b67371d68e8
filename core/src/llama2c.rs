//! Import of llama2.c checkpoints (legacy version 0), the format `stories260K.bin` ships in.
//!
//! Layout: a header of seven little-endian `i32` (dim, hidden_dim, n_layers, n_heads, n_kv_heads,
//! vocab_size, seq_len; a negative vocab_size means the classifier is not shared with the token
//! embedding), then little-endian `f32` tensors in a fixed order (see [`TENSOR_ORDER`]), two legacy
//! RoPE tables `[seq_len, head_size / 2]` that readers skip (ruvsim computes rotary embeddings
//! itself), and finally the classifier `[vocab, dim]` only when it is not shared.
//!
//! Parsing checks every header value and the exact file length before allocating anything, so a
//! truncated or corrupt file yields a [`Llama2cError`] naming the problem, never a panic.

use crate::config::ModelShape;
use crate::ConfigError;
use std::vec::Vec;

use thiserror::Error;

use crate::config::{AttentionPattern, ModelConfig, Precision};
use crate::weights::F32Weights;

/// Bytes in the header: seven little-endian `i32`.
pub const HEADER_BYTES: usize = 7 * 4;

/// RoPE base frequency llama2.c's exporter used for the legacy tables written by
/// [`Checkpoint::to_bytes`].
const ROPE_THETA: f32 = 10_000.0;

/// Names of the tensors in file order, as they appear in [`Llama2cError::Truncated`].
pub const TENSOR_ORDER: [&str; 14] = [
    "token_embedding",
    "rms_att",
    "wq",
    "wk",
    "wv",
    "wo",
    "rms_ffn",
    "w1",
    "w2",
    "w3",
    "rms_final",
    "rope_cos",
    "rope_sin",
    "wcls",
];

/// Why a llama2.c checkpoint could not be read or written.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum Llama2cError {
    /// The file ends before the seven-integer header does.
    #[error("llama2.c checkpoint too short: {actual_bytes} bytes, the header alone needs {HEADER_BYTES}")]
    TooShortForHeader {
        /// Length of the input in bytes.
        actual_bytes: usize,
    },
    /// A header dimension is zero or negative (for vocab_size: zero).
    #[error("llama2.c header field {field} must be positive, found {value}")]
    NonPositive {
        /// Header field name.
        field: &'static str,
        /// The value found.
        value: i64,
    },
    /// A header dimension does not fit the llama2.c header's `i32` (only when writing).
    #[error("llama2.c header field {field} = {value} does not fit an i32")]
    HeaderOverflow {
        /// Header field name.
        field: &'static str,
        /// The value that does not fit.
        value: u32,
    },
    /// The header's dimensions break a relation every llama-style model needs (heads dividing
    /// the width, key/value heads dividing the heads, an even head size), or exceed the core's
    /// limits.
    #[error(transparent)]
    Shape(#[from] ConfigError),
    /// The tensor sizes implied by the header overflow a 64-bit byte count.
    #[error("llama2.c header implies tensors larger than 2^64 bytes")]
    ShapeTooLarge,
    /// The file ends inside a tensor.
    #[error(
        "llama2.c checkpoint truncated inside tensor {tensor}: the header implies \
         {expected_bytes} bytes, the file has {actual_bytes}"
    )]
    Truncated {
        /// The tensor that ran out (one of [`TENSOR_ORDER`]).
        tensor: &'static str,
        /// The file length the header implies.
        expected_bytes: u64,
        /// The actual length.
        actual_bytes: usize,
    },
    /// The file continues after the last tensor the header implies.
    #[error(
        "llama2.c checkpoint has {} trailing bytes: the header implies {expected_bytes} bytes, \
         the file has {actual_bytes}",
        *.actual_bytes as u64 - .expected_bytes
    )]
    TrailingBytes {
        /// The file length the header implies.
        expected_bytes: u64,
        /// The actual length.
        actual_bytes: usize,
    },
    /// A tensor of a checkpoint being written has the wrong number of elements for its header.
    #[error("tensor {tensor} has {actual} elements, the header implies {expected}")]
    WrongTensorLength {
        /// The tensor (one of [`TENSOR_ORDER`]).
        tensor: &'static str,
        /// Elements the header implies.
        expected: u64,
        /// Elements present.
        actual: usize,
    },
}

/// A llama2.c checkpoint: its header and all weights as f32.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// The header's dimensions (`vocab_size` always positive here; the sign in the file is
    /// `shared_classifier`, and when it is set `weights.wcls` is `None`).
    pub shape: ModelShape,
    /// The weights, in llama2.c order.
    pub weights: F32Weights,
}

/// The tensor layout a llama2.c header implies.
impl ModelShape {
    /// Element counts of every tensor in file order ([`TENSOR_ORDER`]); `wcls` is 0 when shared.
    fn tensor_elements(&self) -> Result<[u64; 14], Llama2cError> {
        let mul = |a: u64, b: u64| a.checked_mul(b).ok_or(Llama2cError::ShapeTooLarge);
        let dim = u64::from(self.dim);
        let hidden = u64::from(self.hidden_dim);
        let layers = u64::from(self.n_layers);
        let vocab = u64::from(self.vocab_size);
        let head_size = dim / u64::from(self.n_heads);
        let kv_dim = head_size * u64::from(self.n_kv_heads);
        let rope = mul(u64::from(self.seq_len), head_size / 2)?;
        let embedding = mul(vocab, dim)?;
        Ok([
            embedding,
            mul(layers, dim)?,
            mul(layers, mul(dim, dim)?)?,
            mul(layers, mul(kv_dim, dim)?)?,
            mul(layers, mul(kv_dim, dim)?)?,
            mul(layers, mul(dim, dim)?)?,
            mul(layers, dim)?,
            mul(layers, mul(hidden, dim)?)?,
            mul(layers, mul(dim, hidden)?)?,
            mul(layers, mul(hidden, dim)?)?,
            dim,
            rope,
            rope,
            if self.shared_classifier { 0 } else { embedding },
        ])
    }

    /// Byte offset at which each tensor ends, in file order, and thus the whole file length last.
    fn tensor_ends(&self) -> Result<[u64; 14], Llama2cError> {
        let mut ends = [0u64; 14];
        let mut offset = HEADER_BYTES as u64;
        for (end, elements) in ends.iter_mut().zip(self.tensor_elements()?) {
            offset = elements
                .checked_mul(4)
                .and_then(|bytes| offset.checked_add(bytes))
                .ok_or(Llama2cError::ShapeTooLarge)?;
            *end = offset;
        }
        Ok(ends)
    }
}

impl Checkpoint {
    /// Parses a complete llama2.c checkpoint file.
    ///
    /// The header is validated and the file length checked against it before any tensor is read,
    /// so corrupt input costs no large allocation.
    pub fn parse(bytes: &[u8]) -> Result<Checkpoint, Llama2cError> {
        let shape = read_header(bytes)?;
        check_shape(&shape)?;
        let ends = shape.tensor_ends()?;
        let expected_bytes = ends[ends.len() - 1];
        if let Some(index) = ends.iter().position(|&end| end > bytes.len() as u64) {
            return Err(Llama2cError::Truncated {
                tensor: TENSOR_ORDER[index],
                expected_bytes,
                actual_bytes: bytes.len(),
            });
        }
        if expected_bytes < bytes.len() as u64 {
            return Err(Llama2cError::TrailingBytes {
                expected_bytes,
                actual_bytes: bytes.len(),
            });
        }
        // Every end is now within `bytes`, so the conversions to usize cannot truncate.
        let mut start = HEADER_BYTES;
        let [token_embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final, _rope_cos, _rope_sin, wcls] =
            ends.map(|end| {
                let tensor = read_f32s(&bytes[start..end as usize]);
                start = end as usize;
                tensor
            });
        let weights = F32Weights {
            token_embedding,
            rms_att,
            wq,
            wk,
            wv,
            wo,
            rms_ffn,
            w1,
            w2,
            w3,
            rms_final,
            wcls: (!shape.shared_classifier).then_some(wcls),
        };
        Ok(Checkpoint { shape, weights })
    }

    /// The ruvsim configuration of this model at `precision`, with full attention (llama2.c's).
    pub fn config(&self, precision: Precision) -> ModelConfig {
        ModelConfig {
            shape: self.shape,
            precision,
            attention: AttentionPattern::Full,
        }
    }

    /// Serialises the checkpoint in the llama2.c legacy format, so tests can craft checkpoints of
    /// any shape. The legacy RoPE tables are computed as llama2.c's exporter computes them
    /// (theta 10000, f32 angles), although readers skip them.
    ///
    /// Fails when the header is invalid, a dimension does not fit an `i32`, or a tensor's length
    /// (or the presence of `wcls`) disagrees with the header.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Llama2cError> {
        let shape = self.shape;
        check_shape(&shape)?;
        let elements = shape.tensor_elements()?;
        let (rope_cos, rope_sin) = rope_tables(shape.seq_len, shape.dim / shape.n_heads);
        let w = &self.weights;
        let wcls = match (&w.wcls, shape.shared_classifier) {
            (None, true) => &[][..],
            (Some(wcls), false) => wcls.as_slice(),
            (Some(wcls), true) => {
                return Err(Llama2cError::WrongTensorLength {
                    tensor: "wcls",
                    expected: 0,
                    actual: wcls.len(),
                })
            }
            (None, false) => {
                return Err(Llama2cError::WrongTensorLength {
                    tensor: "wcls",
                    expected: elements[13],
                    actual: 0,
                })
            }
        };
        let tensors: [&[f32]; 14] = [
            &w.token_embedding,
            &w.rms_att,
            &w.wq,
            &w.wk,
            &w.wv,
            &w.wo,
            &w.rms_ffn,
            &w.w1,
            &w.w2,
            &w.w3,
            &w.rms_final,
            &rope_cos,
            &rope_sin,
            wcls,
        ];
        for ((tensor, data), expected) in TENSOR_ORDER.iter().zip(&tensors).zip(elements) {
            if data.len() as u64 != expected {
                return Err(Llama2cError::WrongTensorLength {
                    tensor,
                    expected,
                    actual: data.len(),
                });
            }
        }
        let vocab_field =
            i64::from(shape.vocab_size) * if shape.shared_classifier { 1 } else { -1 };
        let header = [
            ("dim", i64::from(shape.dim)),
            ("hidden_dim", i64::from(shape.hidden_dim)),
            ("n_layers", i64::from(shape.n_layers)),
            ("n_heads", i64::from(shape.n_heads)),
            ("n_kv_heads", i64::from(shape.n_kv_heads)),
            ("vocab_size", vocab_field),
            ("seq_len", i64::from(shape.seq_len)),
        ];
        let total: usize = tensors.iter().map(|t| t.len() * 4).sum::<usize>() + HEADER_BYTES;
        let mut out = Vec::with_capacity(total);
        for (field, value) in header {
            let value = i32::try_from(value).map_err(|_| Llama2cError::HeaderOverflow {
                field,
                value: value.unsigned_abs() as u32,
            })?;
            out.extend_from_slice(&value.to_le_bytes());
        }
        for value in tensors.iter().flat_map(|t| t.iter()) {
            out.extend_from_slice(&value.to_le_bytes());
        }
        Ok(out)
    }
}

/// Checks the relations a llama2.c header must satisfy; a zero dimension is reported as the
/// header field it is.
fn check_shape(shape: &ModelShape) -> Result<(), Llama2cError> {
    shape.check_relations().map_err(|error| match error {
        ConfigError::Zero { field } => Llama2cError::NonPositive { field, value: 0 },
        other => Llama2cError::Shape(other),
    })
}

/// Reads the seven header integers; rejects non-positive values.
fn read_header(bytes: &[u8]) -> Result<ModelShape, Llama2cError> {
    let header = bytes
        .get(..HEADER_BYTES)
        .ok_or(Llama2cError::TooShortForHeader {
            actual_bytes: bytes.len(),
        })?;
    let field = |index: usize| {
        let at = 4 * index;
        i32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let positive = |field_name: &'static str, index: usize| {
        let value = field(index);
        u32::try_from(value)
            .ok()
            .filter(|&v| v > 0)
            .ok_or(Llama2cError::NonPositive {
                field: field_name,
                value: i64::from(value),
            })
    };
    let dim = positive("dim", 0)?;
    let hidden_dim = positive("hidden_dim", 1)?;
    let n_layers = positive("n_layers", 2)?;
    let n_heads = positive("n_heads", 3)?;
    let n_kv_heads = positive("n_kv_heads", 4)?;
    let raw_vocab = field(5);
    if raw_vocab == 0 {
        return Err(Llama2cError::NonPositive {
            field: "vocab_size",
            value: 0,
        });
    }
    let seq_len = positive("seq_len", 6)?;
    Ok(ModelShape {
        dim,
        hidden_dim,
        n_layers,
        n_heads,
        n_kv_heads,
        vocab_size: raw_vocab.unsigned_abs(),
        seq_len,
        shared_classifier: raw_vocab > 0,
    })
}

/// Decodes little-endian f32s; `bytes.len()` is a multiple of 4 by construction of the layout.
fn read_f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// The legacy `[seq_len, head_size / 2]` cosine and sine tables, as llama2.c's exporter computes
/// them: frequency `1 / theta^(2i / head_size)` and angle `t * frequency` in f32.
fn rope_tables(seq_len: u32, head_size: u32) -> (Vec<f32>, Vec<f32>) {
    let half = head_size / 2;
    let frequencies: Vec<f32> = (0..half)
        .map(|i| 1.0 / ROPE_THETA.powf((2 * i) as f32 / head_size as f32))
        .collect();
    let angles = (0..seq_len).flat_map(|t| frequencies.iter().map(move |f| t as f32 * f));
    angles.map(|a| (a.cos(), a.sin())).unzip()
}

#[cfg(test)]
mod tests;
