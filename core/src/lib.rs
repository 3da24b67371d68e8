//! Bit-exact inference core for a tiny llama-style transformer, as the firmware runs it.
//!
//! - [`Model::parse`] reads the model format (`FORMAT.md`) zero-copy from a byte slice.
//! - [`Workspace`] holds a shard's key/value cache and scratch in caller-provided buffers sized by
//!   [`BufferSizes::for_shard`]; the forward pass never allocates.
//! - [`embed`], [`attention_heads`], [`ffn_units`], [`reduce_partials`], [`add_partial`],
//!   [`run_layers`], [`classify`] are the pieces partitioned execution runs; [`forward`] composes
//!   them. Integer precisions (int8, int4, binary) are integer-only and bit-exact under any
//!   partition; f32 follows llama2.c's operation order.
//! - [`Sampler`] chooses tokens (greedy, or temperature / top-k / top-p with a seeded ChaCha
//!   stream).
//! - [`predict()`] and [`footprint()`] give operation counts and memory from the configuration alone.
//!
//! Feature `alloc` adds the writer (`encode_model`), synthetic models (`synthetic_model`) and
//! owned buffers; `std` adds the llama2.c import; `serde` derives serialisation of the
//! configuration, operation and count types.
#![warn(missing_docs)]
#![no_std]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

pub mod ops;
pub use ops::OpCounts;

pub mod config;
pub use config::{
    AttentionPattern, ConfigError, ModelConfig, ModelShape, Precision, UnknownPrecision,
};

mod counts;
pub mod error;
pub use error::{EncodeError, ExecError};
mod exec;
pub use exec::{
    add_partial, attention_heads, classify, embed, ffn_units, forward, reduce_partials, run_layers,
    Block,
};
pub mod fixed;
pub mod format;
pub use format::{DType, FormatError, TensorKind};
mod kernels;
pub mod model;
pub use model::{MatrixRef, Model};
pub mod pattern;
pub mod phase;
pub use pattern::{attended_count, attended_positions, kv_slots};
pub use phase::Phase;
pub mod predict;
pub use predict::{footprint, predict, Footprint, Op};
pub mod sample;
pub use sample::{argmax, SampleError, Sampler, SamplerConfig};
pub mod vectors;
pub use vectors::{PartialMut, PartialRef, VecMut, VecRef};
pub mod workspace;
pub use workspace::{BufferSizes, Buffers, Shard, Span, Workspace, FFN_GROUP};

#[cfg(feature = "alloc")]
pub mod generate;
#[cfg(feature = "alloc")]
pub mod golden;
#[cfg(feature = "alloc")]
pub use generate::{generate, GenerateError, Generation};
#[cfg(feature = "alloc")]
pub mod quantize;
#[cfg(feature = "alloc")]
pub mod synthetic;
#[cfg(feature = "alloc")]
pub use synthetic::{synthetic_model, synthetic_weights};
#[cfg(feature = "alloc")]
pub use vectors::{Partial, Vector};
#[cfg(feature = "alloc")]
pub mod weights;
#[cfg(feature = "alloc")]
pub use weights::F32Weights;
#[cfg(feature = "alloc")]
pub use workspace::OwnedWorkspace;
#[cfg(feature = "alloc")]
pub mod writer;
#[cfg(feature = "alloc")]
pub use writer::encode_model;

#[cfg(feature = "trace")]
pub mod trace;

#[cfg(feature = "std")]
pub mod llama2c;
#[cfg(feature = "std")]
pub mod model_dir;
#[cfg(feature = "std")]
pub mod model_file;
#[cfg(feature = "std")]
pub mod tokenizer;
