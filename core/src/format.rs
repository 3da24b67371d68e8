//! The ruvsim model format: layout constants, the tensor table, and the errors a reader reports.
//! The normative description is `core/FORMAT.md`; [`crate::Model::parse`] reads it and
//! the `writer` module (feature `alloc`) writes it.

use thiserror::Error;

use crate::config::{AttentionPattern, ConfigError, ModelConfig, Precision};

/// First eight bytes of every model file.
pub const MAGIC: [u8; 8] = *b"RUVSIMMD";
/// The format version this crate reads and writes.
pub const VERSION: u32 = 1;
/// Bytes of the fixed header.
pub const HEADER_LEN: usize = 112;
/// Bytes of one tensor table entry.
pub const ENTRY_LEN: usize = 64;
/// Alignment of the payload and of every tensor's data and scales within the file.
pub const ALIGN: usize = 16;
/// Longest tensor name (ASCII, NUL-padded in the table).
pub const NAME_LEN: usize = 16;
/// Bytes of one per-row scale multiplier.
pub const SCALE_BYTES: usize = 4;
/// Largest allowed per-tensor scale shift.
pub const MAX_SCALE_SHIFT: u8 = 62;

/// Byte offsets of the header fields.
pub(crate) mod field {
    pub const VERSION: usize = 8;
    pub const HEADER_CRC: usize = 12;
    pub const DIMS: usize = 16;
    pub const FLAGS: usize = 44;
    pub const PRECISION: usize = 48;
    pub const ATTENTION_KIND: usize = 52;
    pub const ATTENTION_PARAMS: usize = 56;
    pub const ATTENTION_RESERVED: usize = 68;
    pub const ATTENTION_SEED: usize = 72;
    pub const TENSOR_COUNT: usize = 80;
    pub const RESERVED: usize = 84;
    pub const PAYLOAD_OFFSET: usize = 88;
    pub const PAYLOAD_LEN: usize = 96;
    pub const PAYLOAD_CRC: usize = 104;
    pub const RESERVED2: usize = 108;
}

/// Flag bit: the classifier is the token embedding.
pub const FLAG_SHARED_CLASSIFIER: u32 = 1;

/// The tensors a model file holds. Per-layer tensors are stacked along a leading layer axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum TensorKind {
    /// `[vocab, dim]` token embedding (also the classifier when shared).
    TokenEmbedding,
    /// `[layers, dim]` RMSNorm weights before attention.
    RmsAtt,
    /// `[layers, dim, dim]` query projection.
    Wq,
    /// `[layers, kv_dim, dim]` key projection.
    Wk,
    /// `[layers, kv_dim, dim]` value projection.
    Wv,
    /// `[layers, dim, dim]` attention output projection.
    Wo,
    /// `[layers, dim]` RMSNorm weights before the feed-forward block.
    RmsFfn,
    /// `[layers, hidden, dim]` feed-forward gate projection.
    W1,
    /// `[layers, dim, hidden]` feed-forward down projection.
    W2,
    /// `[layers, hidden, dim]` feed-forward up projection.
    W3,
    /// `[dim]` final RMSNorm weights.
    RmsFinal,
    /// `[vocab, dim]` classifier, present only when not shared with the embedding.
    Wcls,
    /// `[head_size / 2]` rotary phase increments per position, in turns as wrapping Q64
    /// fractions; present only in integer models.
    RopePhase,
}

impl TensorKind {
    /// Every kind, in the order the writer lays tensors out.
    pub const ALL: [TensorKind; 13] = [
        TensorKind::TokenEmbedding,
        TensorKind::RmsAtt,
        TensorKind::Wq,
        TensorKind::Wk,
        TensorKind::Wv,
        TensorKind::Wo,
        TensorKind::RmsFfn,
        TensorKind::W1,
        TensorKind::W2,
        TensorKind::W3,
        TensorKind::RmsFinal,
        TensorKind::Wcls,
        TensorKind::RopePhase,
    ];

    /// The name stored in the tensor table.
    pub fn name(self) -> &'static str {
        match self {
            TensorKind::TokenEmbedding => "token_embedding",
            TensorKind::RmsAtt => "rms_att",
            TensorKind::Wq => "wq",
            TensorKind::Wk => "wk",
            TensorKind::Wv => "wv",
            TensorKind::Wo => "wo",
            TensorKind::RmsFfn => "rms_ffn",
            TensorKind::W1 => "w1",
            TensorKind::W2 => "w2",
            TensorKind::W3 => "w3",
            TensorKind::RmsFinal => "rms_final",
            TensorKind::Wcls => "wcls",
            TensorKind::RopePhase => "rope_phase",
        }
    }

    /// Index into [`TensorKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The kind whose table name is `name`.
    pub fn from_name(name: &[u8]) -> Option<TensorKind> {
        TensorKind::ALL
            .into_iter()
            .find(|kind| kind.name().as_bytes() == name)
    }

    /// Whether this tensor is a weight matrix (quantised at the model's precision).
    pub fn is_matrix(self) -> bool {
        !matches!(
            self,
            TensorKind::RmsAtt | TensorKind::RmsFfn | TensorKind::RmsFinal | TensorKind::RopePhase
        )
    }

    /// Whether a model with `config` holds this tensor.
    pub fn present_in(self, config: &ModelConfig) -> bool {
        match self {
            TensorKind::Wcls => !config.shape.shared_classifier,
            TensorKind::RopePhase => config.precision.is_integer(),
            _ => true,
        }
    }

    /// Element type of this tensor in a model with `config`.
    pub fn dtype(self, config: &ModelConfig) -> DType {
        match self {
            TensorKind::RopePhase => DType::U64,
            _ if self.is_matrix() => DType::from(config.precision),
            _ if config.precision == Precision::F32 => DType::F32,
            _ => DType::Q16,
        }
    }

    /// Shape of this tensor in a model with `config`: `(number of dimensions, dimensions)`,
    /// unused dimensions zero.
    pub fn shape(self, config: &ModelConfig) -> (u8, [u32; 3]) {
        let (dim, hidden, layers) = (
            config.shape.dim,
            config.shape.hidden_dim,
            config.shape.n_layers,
        );
        let (vocab, kv_dim) = (config.shape.vocab_size, config.shape.kv_dim());
        match self {
            TensorKind::TokenEmbedding | TensorKind::Wcls => (2, [vocab, dim, 0]),
            TensorKind::RmsAtt | TensorKind::RmsFfn => (2, [layers, dim, 0]),
            TensorKind::Wq | TensorKind::Wo => (3, [layers, dim, dim]),
            TensorKind::Wk | TensorKind::Wv => (3, [layers, kv_dim, dim]),
            TensorKind::W1 | TensorKind::W3 => (3, [layers, hidden, dim]),
            TensorKind::W2 => (3, [layers, dim, hidden]),
            TensorKind::RmsFinal => (1, [dim, 0, 0]),
            TensorKind::RopePhase => (1, [config.shape.head_size() / 2, 0, 0]),
        }
    }

    /// `(matrices, rows, columns)` of a matrix tensor: stacked per layer or a single matrix.
    pub fn matrix_shape(self, config: &ModelConfig) -> (u32, u32, u32) {
        match self.shape(config) {
            (3, [stack, rows, cols]) => (stack, rows, cols),
            (_, [rows, cols, _]) => (1, rows, cols),
        }
    }
}

/// Element types of stored tensors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum DType {
    /// IEEE f32, little-endian.
    F32,
    /// Signed 8-bit integers.
    Int8,
    /// Signed 4-bit integers, two per byte (low nibble first), rows padded to whole bytes.
    Int4,
    /// Sign bits (1 = +1), 32 per little-endian `u32` word, rows padded to whole words.
    Binary,
    /// `i32` Q16.16 fixed point, little-endian.
    Q16,
    /// `u64`, little-endian.
    U64,
}

impl From<Precision> for DType {
    fn from(precision: Precision) -> DType {
        match precision {
            Precision::F32 => DType::F32,
            Precision::Int8 => DType::Int8,
            Precision::Int4 => DType::Int4,
            Precision::Binary => DType::Binary,
        }
    }
}

impl DType {
    /// The code stored in the tensor table.
    pub fn code(self) -> u8 {
        match self {
            DType::F32 => 0,
            DType::Int8 => 1,
            DType::Int4 => 2,
            DType::Binary => 3,
            DType::Q16 => 4,
            DType::U64 => 5,
        }
    }

    /// The type stored under `code`.
    pub fn from_code(code: u8) -> Option<DType> {
        [
            DType::F32,
            DType::Int8,
            DType::Int4,
            DType::Binary,
            DType::Q16,
            DType::U64,
        ]
        .into_iter()
        .find(|dtype| dtype.code() == code)
    }

    /// Whether matrices of this type carry per-row scales.
    pub fn is_quantised(self) -> bool {
        matches!(self, DType::Int8 | DType::Int4 | DType::Binary)
    }

    /// Bytes of one row of `cols` elements, padding included.
    pub fn row_bytes(self, cols: u32) -> u64 {
        let cols = u64::from(cols);
        match self {
            DType::F32 | DType::Q16 => 4 * cols,
            DType::Int8 => cols,
            DType::Int4 => cols.div_ceil(2),
            DType::Binary => 4 * cols.div_ceil(32),
            DType::U64 => 8 * cols,
        }
    }
}

/// Code of a precision in the header.
pub(crate) fn precision_code(precision: Precision) -> u32 {
    u32::from(DType::from(precision).code())
}

/// Precision stored under a header code.
pub(crate) fn precision_from_code(code: u32) -> Option<Precision> {
    Precision::ALL
        .into_iter()
        .find(|&precision| precision_code(precision) == code)
}

/// `(kind code, [a, b, c], seed)` of an attention pattern in the header.
pub(crate) fn attention_fields(pattern: &AttentionPattern) -> (u32, [u32; 3], u64) {
    match *pattern {
        AttentionPattern::Full => (0, [0, 0, 0], 0),
        AttentionPattern::SlidingWindow { window } => (1, [window, 0, 0], 0),
        AttentionPattern::Strided { stride, local } => (2, [stride, local, 0], 0),
        AttentionPattern::Dilated { window, dilation } => (3, [window, dilation, 0], 0),
        AttentionPattern::BigBird {
            global,
            window,
            random,
            seed,
        } => (4, [global, window, random], seed),
    }
}

/// The attention pattern stored in the header, if the fields are canonical.
pub(crate) fn attention_from_fields(
    kind: u32,
    params: [u32; 3],
    seed: u64,
) -> Option<AttentionPattern> {
    let pattern = match kind {
        0 => AttentionPattern::Full,
        1 => AttentionPattern::SlidingWindow { window: params[0] },
        2 => AttentionPattern::Strided {
            stride: params[0],
            local: params[1],
        },
        3 => AttentionPattern::Dilated {
            window: params[0],
            dilation: params[1],
        },
        4 => AttentionPattern::BigBird {
            global: params[0],
            window: params[1],
            random: params[2],
            seed,
        },
        _ => return None,
    };
    // Unused parameters must be zero, so each pattern has exactly one encoding.
    (attention_fields(&pattern) == (kind, params, seed)).then_some(pattern)
}

/// Rounds `offset` up to [`ALIGN`].
pub fn align_up(offset: u64) -> u64 {
    offset.div_ceil(ALIGN as u64) * ALIGN as u64
}

/// Why a byte slice is not a valid model file. Every malformation has its own variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum FormatError {
    /// The file ends before a structure it must contain.
    #[error("file truncated: {what} needs {needed} bytes, the file has {actual}")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Bytes needed.
        needed: u64,
        /// Bytes present.
        actual: u64,
    },
    /// The file continues after the payload.
    #[error("{extra} unexpected bytes after the payload")]
    TrailingBytes {
        /// Bytes beyond the payload's end.
        extra: u64,
    },
    /// The first eight bytes are not [`MAGIC`].
    #[error("not a ruvsim model (bad magic)")]
    BadMagic,
    /// A format version this reader does not know.
    #[error("unsupported format version {0} (this reader reads version {VERSION})")]
    UnsupportedVersion(u32),
    /// The CRC-32 of the header and tensor table does not match.
    #[error("header checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    HeaderChecksum {
        /// Stored CRC.
        stored: u32,
        /// CRC of the bytes.
        computed: u32,
    },
    /// The CRC-32 of the payload does not match.
    #[error("payload checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    PayloadChecksum {
        /// Stored CRC.
        stored: u32,
        /// CRC of the bytes.
        computed: u32,
    },
    /// The header's configuration is invalid.
    #[error("invalid model configuration: {0}")]
    Config(#[from] ConfigError),
    /// Unknown precision code.
    #[error("unknown precision code {0}")]
    UnknownPrecision(u32),
    /// Unknown attention pattern, or nonzero unused parameters.
    #[error("unknown or non-canonical attention pattern (kind {0})")]
    UnknownAttention(u32),
    /// Unknown flag bits set.
    #[error("unknown header flags {0:#x}")]
    UnknownFlags(u32),
    /// A reserved field is not zero.
    #[error("reserved field at byte {offset} is not zero")]
    Reserved {
        /// Byte offset of the field.
        offset: u64,
    },
    /// The payload does not start right after the tensor table (aligned).
    #[error("payload offset {found} differs from the expected {expected}")]
    PayloadOffset {
        /// Expected offset.
        expected: u64,
        /// Stored offset.
        found: u64,
    },
    /// More table entries than tensor kinds exist.
    #[error("tensor table has {0} entries, more than any model holds")]
    TooManyTensors(u32),
    /// A table entry names no known tensor.
    #[error("tensor table entry {index} has an unknown name")]
    UnknownTensor {
        /// Entry index.
        index: u32,
    },
    /// A tensor appears twice in the table.
    #[error("tensor {0:?} appears twice")]
    DuplicateTensor(TensorKind),
    /// A tensor the configuration requires is absent.
    #[error("tensor {0:?} is missing")]
    MissingTensor(TensorKind),
    /// A tensor the configuration excludes is present.
    #[error("tensor {0:?} must not be present in this configuration")]
    UnexpectedTensor(TensorKind),
    /// Unknown element type code.
    #[error("tensor {tensor:?} has unknown element type code {code}")]
    UnknownDType {
        /// The tensor.
        tensor: TensorKind,
        /// The code.
        code: u8,
    },
    /// Element type inconsistent with the configuration.
    #[error("tensor {tensor:?} has element type {found:?}, expected {expected:?}")]
    WrongDType {
        /// The tensor.
        tensor: TensorKind,
        /// Expected type.
        expected: DType,
        /// Stored type.
        found: DType,
    },
    /// Shape inconsistent with the configuration.
    #[error("tensor {tensor:?} has shape {found:?} (rank {found_rank}), expected {expected:?} (rank {expected_rank})")]
    ShapeMismatch {
        /// The tensor.
        tensor: TensorKind,
        /// Expected rank.
        expected_rank: u8,
        /// Expected dimensions.
        expected: [u32; 3],
        /// Stored rank.
        found_rank: u8,
        /// Stored dimensions.
        found: [u32; 3],
    },
    /// Data or scale length inconsistent with the shape.
    #[error("tensor {tensor:?} {region} is {found} bytes, expected {expected}")]
    LengthMismatch {
        /// The tensor.
        tensor: TensorKind,
        /// `"data"` or `"scales"`.
        region: &'static str,
        /// Expected bytes.
        expected: u64,
        /// Stored bytes.
        found: u64,
    },
    /// A scale shift beyond [`MAX_SCALE_SHIFT`], or nonzero for an unscaled tensor.
    #[error("tensor {tensor:?} has invalid scale shift {shift}")]
    ScaleShift {
        /// The tensor.
        tensor: TensorKind,
        /// The shift.
        shift: u8,
    },
    /// A region does not start on an [`ALIGN`] boundary.
    #[error("tensor {tensor:?} {region} offset {offset} is not {ALIGN}-byte aligned")]
    Misaligned {
        /// The tensor.
        tensor: TensorKind,
        /// `"data"` or `"scales"`.
        region: &'static str,
        /// The offset.
        offset: u64,
    },
    /// A region lies outside the payload.
    #[error("tensor {tensor:?} {region} [{offset}, +{len}) lies outside the payload")]
    OutOfRange {
        /// The tensor.
        tensor: TensorKind,
        /// `"data"` or `"scales"`.
        region: &'static str,
        /// Start offset.
        offset: u64,
        /// Length.
        len: u64,
    },
    /// Two regions overlap.
    #[error("tensor {first:?} and tensor {second:?} overlap")]
    Overlap {
        /// One tensor.
        first: TensorKind,
        /// The other (possibly the same tensor: data and scales overlapping).
        second: TensorKind,
    },
}
