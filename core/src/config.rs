//! Model configuration: the shape, precision and attention pattern of a model.

/// Numeric precision of a model's weight matrices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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

/// Which earlier positions a query attends to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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

impl ModelConfig {
    /// Dimension of one attention head.
    pub fn head_size(&self) -> u32 {
        self.dim / self.n_heads
    }

    /// Width of the key and value projections.
    pub fn kv_dim(&self) -> u32 {
        self.dim * self.n_kv_heads / self.n_heads
    }
}
