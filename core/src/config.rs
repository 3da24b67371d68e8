//! Model configuration: the shape, precision and attention pattern of a model, and its validation.

use thiserror::Error;

/// Numeric precision of a model's weight matrices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Precision {
    /// 32-bit IEEE floats, as llama2.c-style firmware runs them.
    F32,
    /// 8-bit signed integers with a per-output-row scale.
    Int8,
    /// 4-bit signed integers, two per byte, with a per-output-row scale.
    Int4,
    /// Sign bits with a per-output-row scale (XNOR / popcount kernels).
    Binary,
}

impl Precision {
    /// Every precision, in a fixed order (for tests, tables and reports).
    pub const ALL: [Precision; 4] = [
        Precision::F32,
        Precision::Int8,
        Precision::Int4,
        Precision::Binary,
    ];

    /// Whether the forward pass of this precision is integer-only (everything but f32).
    pub fn is_integer(self) -> bool {
        self != Precision::F32
    }
}

/// Which earlier positions a query attends to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)
)]
pub enum AttentionPattern {
    /// Every position 0..=pos.
    Full,
    /// The last `window` positions (including the current one).
    SlidingWindow { window: u32 },
    /// The last `local` positions plus every position that is a multiple of `stride`.
    Strided { stride: u32, local: u32 },
    /// `window` positions going back from the current one, `dilation` apart.
    Dilated { window: u32, dilation: u32 },
    /// BigBird-style: the first `global` positions, the last `window` positions, and `random`
    /// further positions chosen by a ChaCha stream seeded with `seed` and the position.
    BigBird {
        global: u32,
        window: u32,
        random: u32,
        seed: u64,
    },
}

/// The shape of a llama-style decoder and how it is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ModelConfig {
    /// Width of the residual stream.
    pub dim: u32,
    /// Hidden units of the SwiGLU feed-forward block.
    pub hidden_dim: u32,
    /// Number of decoder layers.
    pub n_layers: u32,
    /// Number of query heads.
    pub n_heads: u32,
    /// Number of key/value heads (grouped-query attention); divides `n_heads`.
    pub n_kv_heads: u32,
    /// Vocabulary size.
    pub vocab_size: u32,
    /// Maximum context length.
    pub seq_len: u32,
    /// Whether the classifier shares the token embedding matrix.
    pub shared_classifier: bool,
    /// Precision of the weight matrices.
    pub precision: Precision,
    /// Attention pattern.
    pub attention: AttentionPattern,
}

/// Largest input width of any matrix (`dim`, `hidden_dim`): keeps every integer accumulator of
/// the forward pass inside `i64` by construction (see `FORMAT.md`, "Numerics").
pub const MAX_WIDTH: u32 = 1 << 16;
/// Largest `seq_len`: bounds the attention accumulators.
pub const MAX_SEQ_LEN: u32 = 1 << 20;
/// Largest vocabulary.
pub const MAX_VOCAB: u32 = 1 << 24;
/// Largest number of layers.
pub const MAX_LAYERS: u32 = 1 << 12;

/// Why a [`ModelConfig`] cannot be run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// A dimension is zero.
    #[error("{field} must be positive")]
    Zero {
        /// Name of the field.
        field: &'static str,
    },
    /// A dimension exceeds what the integer numerics support.
    #[error("{field} = {value} exceeds the supported maximum {max}")]
    TooLarge {
        /// Name of the field.
        field: &'static str,
        /// Its value.
        value: u32,
        /// The largest supported value.
        max: u32,
    },
    /// `dim` is not a multiple of `n_heads`.
    #[error("dim {dim} is not divisible by n_heads {n_heads}")]
    DimNotDivisibleByHeads {
        /// Residual width.
        dim: u32,
        /// Query heads.
        n_heads: u32,
    },
    /// `n_heads` is not a multiple of `n_kv_heads`.
    #[error("n_heads {n_heads} is not divisible by n_kv_heads {n_kv_heads}")]
    HeadsNotDivisibleByKvHeads {
        /// Query heads.
        n_heads: u32,
        /// Key/value heads.
        n_kv_heads: u32,
    },
    /// Rotary embeddings rotate pairs, so the head size must be even.
    #[error("head size {head_size} is odd; rotary embeddings need pairs")]
    OddHeadSize {
        /// `dim / n_heads`.
        head_size: u32,
    },
    /// An attention pattern parameter that would attend to nothing (a window, stride or dilation
    /// of zero).
    #[error("attention pattern parameter {field} must be positive")]
    AttentionParameter {
        /// Name of the parameter.
        field: &'static str,
    },
}

impl ModelConfig {
    /// Dimension of one attention head.
    pub fn head_size(&self) -> u32 {
        self.dim / self.n_heads
    }

    /// Width of the key and value projections.
    pub fn kv_dim(&self) -> u32 {
        self.dim * self.n_kv_heads / self.n_heads
    }

    /// Query heads that share one key/value head.
    pub fn kv_group(&self) -> u32 {
        self.n_heads / self.n_kv_heads
    }

    /// Checks every relation the forward pass relies on. Every entry point of the core that takes
    /// a configuration from outside validates it first.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fields = [
            ("dim", self.dim, MAX_WIDTH),
            ("hidden_dim", self.hidden_dim, MAX_WIDTH),
            ("n_layers", self.n_layers, MAX_LAYERS),
            ("n_heads", self.n_heads, MAX_WIDTH),
            ("n_kv_heads", self.n_kv_heads, MAX_WIDTH),
            ("vocab_size", self.vocab_size, MAX_VOCAB),
            ("seq_len", self.seq_len, MAX_SEQ_LEN),
        ];
        for (field, value, max) in fields {
            if value == 0 {
                return Err(ConfigError::Zero { field });
            }
            if value > max {
                return Err(ConfigError::TooLarge { field, value, max });
            }
        }
        if !self.dim.is_multiple_of(self.n_heads) {
            return Err(ConfigError::DimNotDivisibleByHeads {
                dim: self.dim,
                n_heads: self.n_heads,
            });
        }
        if !self.n_heads.is_multiple_of(self.n_kv_heads) {
            return Err(ConfigError::HeadsNotDivisibleByKvHeads {
                n_heads: self.n_heads,
                n_kv_heads: self.n_kv_heads,
            });
        }
        if !self.head_size().is_multiple_of(2) {
            return Err(ConfigError::OddHeadSize {
                head_size: self.head_size(),
            });
        }
        self.attention.validate()
    }
}

impl AttentionPattern {
    /// Checks that the pattern always attends at least to the current position.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive: &[(&'static str, u32)] = match *self {
            AttentionPattern::Full => &[],
            AttentionPattern::SlidingWindow { window } => &[("window", window)],
            AttentionPattern::Strided { stride, local } => &[("stride", stride), ("local", local)],
            AttentionPattern::Dilated { window, dilation } => {
                &[("window", window), ("dilation", dilation)]
            }
            AttentionPattern::BigBird { window, .. } => &[("window", window)],
        };
        match positive.iter().find(|(_, value)| *value == 0) {
            Some(&(field, _)) => Err(ConfigError::AttentionParameter { field }),
            None => Ok(()),
        }
    }
}
