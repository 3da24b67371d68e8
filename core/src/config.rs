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

    /// The one spelling of a precision, in scenarios, trace headers and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::Int8 => "int8",
            Precision::Int4 => "int4",
            Precision::Binary => "binary",
        }
    }
}

impl core::fmt::Display for Precision {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// A precision name that is none of [`Precision::ALL`]'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[error("unknown precision; valid precisions: f32, int8, int4, binary")]
pub struct UnknownPrecision;

impl core::str::FromStr for Precision {
    type Err = UnknownPrecision;

    /// Parses [`Precision::name`]'s spelling.
    fn from_str(name: &str) -> Result<Precision, UnknownPrecision> {
        Precision::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or(UnknownPrecision)
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
    SlidingWindow {
        /// Positions attended, the current one included.
        window: u32,
    },
    /// The last `local` positions plus every position that is a multiple of `stride`.
    Strided {
        /// Every position that is a multiple of this is attended.
        stride: u32,
        /// Recent positions attended, the current one included.
        local: u32,
    },
    /// `window` positions going back from the current one, `dilation` apart.
    Dilated {
        /// Positions attended.
        window: u32,
        /// Distance between two attended positions.
        dilation: u32,
    },
    /// BigBird-style: the first `global` positions, the last `window` positions, and `random`
    /// further positions chosen by a ChaCha stream seeded with `seed` and the position.
    BigBird {
        /// Leading positions every query attends.
        global: u32,
        /// Recent positions attended, the current one included.
        window: u32,
        /// Further positions drawn per query.
        random: u32,
        /// Seed of the draws.
        seed: u64,
    },
}

/// The shape of a llama-style decoder: its dimensions, whatever its precision and attention. The
/// one definition of a model's shape, used by the model format, llama2.c import, scenarios and the
/// command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct ModelShape {
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
    /// Whether the classifier shares the token embedding matrix (true when a description leaves
    /// it out, as in llama2.c's own models).
    #[cfg_attr(feature = "serde", serde(default = "shared_by_default"))]
    pub shared_classifier: bool,
}

/// The default of [`ModelShape::shared_classifier`] in descriptions.
#[cfg(feature = "serde")]
fn shared_by_default() -> bool {
    true
}

/// The shape of a llama-style decoder and how it is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ModelConfig {
    /// The dimensions.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub shape: ModelShape,
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

impl ModelShape {
    /// Shapes of the published llama2.c TinyStories checkpoints (llama2.c README), by the names
    /// scenarios use for them.
    pub const PRESETS: [(&'static str, ModelShape); 4] = [
        (
            "stories260k",
            ModelShape::llama2c(64, 172, 5, 8, 4, 512, 512),
        ),
        (
            "stories15m",
            ModelShape::llama2c(288, 768, 6, 6, 6, 32000, 256),
        ),
        (
            "stories42m",
            ModelShape::llama2c(512, 1376, 8, 8, 8, 32000, 1024),
        ),
        (
            "stories110m",
            ModelShape::llama2c(768, 2048, 12, 12, 12, 32000, 1024),
        ),
    ];

    /// The preset called `name` (case-insensitive), if there is one.
    pub fn preset(name: &str) -> Option<ModelShape> {
        ModelShape::PRESETS
            .iter()
            .find(|(preset, _)| preset.eq_ignore_ascii_case(name))
            .map(|&(_, shape)| shape)
    }

    /// A TinyStories shape: the classifier shares the embedding.
    const fn llama2c(
        dim: u32,
        hidden_dim: u32,
        n_layers: u32,
        n_heads: u32,
        n_kv_heads: u32,
        vocab_size: u32,
        seq_len: u32,
    ) -> ModelShape {
        ModelShape {
            dim,
            hidden_dim,
            n_layers,
            n_heads,
            n_kv_heads,
            vocab_size,
            seq_len,
            shared_classifier: true,
        }
    }

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

    /// Checks every relation between dimensions that the forward pass relies on: each positive
    /// and within the integer numerics' limits ([`ModelShape::check_relations`] for the rest).
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.check_relations()?;
        for (field, value, max) in self.fields_with_limits() {
            if value > max {
                return Err(ConfigError::TooLarge { field, value, max });
            }
        }
        Ok(())
    }

    /// Checks what any llama-style model needs, whatever its size: every dimension positive,
    /// heads dividing the width, key/value heads dividing the heads, and an even head size for
    /// rotary embeddings.
    pub fn check_relations(&self) -> Result<(), ConfigError> {
        if let Some((field, _, _)) = self.fields_with_limits().find(|&(_, value, _)| value == 0) {
            return Err(ConfigError::Zero { field });
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
        Ok(())
    }

    /// Every dimension with its name and the largest value the core supports.
    fn fields_with_limits(&self) -> impl Iterator<Item = (&'static str, u32, u32)> {
        [
            ("dim", self.dim, MAX_WIDTH),
            ("hidden_dim", self.hidden_dim, MAX_WIDTH),
            ("n_layers", self.n_layers, MAX_LAYERS),
            ("n_heads", self.n_heads, MAX_WIDTH),
            ("n_kv_heads", self.n_kv_heads, MAX_WIDTH),
            ("vocab_size", self.vocab_size, MAX_VOCAB),
            ("seq_len", self.seq_len, MAX_SEQ_LEN),
        ]
        .into_iter()
    }
}

impl ModelConfig {
    /// Checks the shape ([`ModelShape::validate`]) and the attention pattern. Every entry point
    /// of the core that takes a configuration from outside validates it first.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.shape.validate()?;
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
