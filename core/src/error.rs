//! Errors of execution and of encoding: what an operation refuses to do and why.

use thiserror::Error;

use crate::config::ConfigError;
use crate::format::TensorKind;
use crate::sample::SampleError;

/// Why an operation of the forward pass (or a workspace for it) was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum ExecError {
    /// The model configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// Invalid sampler parameters.
    #[error("sampler: {0}")]
    Sampler(#[from] SampleError),
    /// A shard or operation names layers, heads, units or vocabulary rows outside the model.
    #[error("{what} {start}..{end} is outside 0..{limit}")]
    SpanOutOfRange {
        /// Which span.
        what: &'static str,
        /// Span start.
        start: u32,
        /// Span end.
        end: u32,
        /// The model's count.
        limit: u32,
    },
    /// An operation asks for something the workspace's shard does not hold.
    #[error("{what} {start}..{end} is not held by this workspace's shard")]
    NotInShard {
        /// What was asked for.
        what: &'static str,
        /// Span start.
        start: u32,
        /// Span end.
        end: u32,
    },
    /// An integer model's feed-forward shard does not start and end on quantisation groups.
    #[error("feed-forward units {start}..{end} must start and end on multiples of {group} (or the hidden width)")]
    UnalignedUnits {
        /// Span start.
        start: u32,
        /// Span end.
        end: u32,
        /// The group size.
        group: u32,
    },
    /// A caller-provided buffer or vector has the wrong length.
    #[error("{what} has {found} elements, expected {expected}")]
    Length {
        /// Which buffer.
        what: &'static str,
        /// Needed length (at least this, for buffers).
        expected: usize,
        /// Given length.
        found: usize,
    },
    /// A vector is in the other representation (Q16 for an f32 model or vice versa).
    #[error("{what} must be {expected} for this model")]
    Representation {
        /// Which vector.
        what: &'static str,
        /// The representation the model uses.
        expected: &'static str,
    },
    /// The position is beyond the workspace's context length.
    #[error("position {pos} is beyond the context length {context_len}")]
    Position {
        /// The position.
        pos: u32,
        /// The workspace's context length.
        context_len: u32,
    },
    /// The context length is zero or beyond the model's `seq_len`.
    #[error("context length {context_len} is not in 1..={seq_len}")]
    ContextLength {
        /// Asked context length.
        context_len: u32,
        /// The model's maximum.
        seq_len: u32,
    },
    /// The token id is not in the vocabulary.
    #[error("token {token} is outside the vocabulary of {vocab_size}")]
    Token {
        /// The token.
        token: u32,
        /// The vocabulary size.
        vocab_size: u32,
    },
    /// The workspace was sized for another model configuration.
    #[error("the workspace was sized for a different model configuration")]
    ConfigMismatch,
    /// A fixed-point value left its representable range (the model's activations grew beyond
    /// +-32768, or a partial sum was not produced by this model). Never clamped silently.
    #[error("fixed-point overflow in {stage}")]
    Overflow {
        /// Where it happened.
        stage: &'static str,
    },
}

/// Why weights cannot be encoded as a model file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum EncodeError {
    /// The configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// A weight tensor has the wrong number of elements for the configuration.
    #[error("tensor {tensor:?} has {found} values, the configuration needs {expected}")]
    WrongLength {
        /// The tensor.
        tensor: TensorKind,
        /// Values needed.
        expected: u64,
        /// Values given.
        found: u64,
    },
    /// `wcls` is given although the classifier is shared, or missing although it is not.
    #[error("classifier weights present: {present}, but shared_classifier is {shared}")]
    ClassifierPresence {
        /// Whether `wcls` was given.
        present: bool,
        /// The configuration's `shared_classifier`.
        shared: bool,
    },
    /// A weight is NaN or infinite.
    #[error("tensor {tensor:?} holds a non-finite value")]
    NonFinite {
        /// The tensor.
        tensor: TensorKind,
    },
    /// A weight is too large for the fixed-point representation.
    #[error("tensor {tensor:?} holds a value too large for its fixed-point representation")]
    OutOfRange {
        /// The tensor.
        tensor: TensorKind,
    },
}
