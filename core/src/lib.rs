//! Bit-exact inference core for a tiny llama-style transformer, as the firmware runs it.
#![no_std]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod ops;
pub use ops::OpCounts;

pub mod config;
pub use config::{AttentionPattern, ModelConfig, Precision};

#[cfg(feature = "alloc")]
pub mod weights;
#[cfg(feature = "alloc")]
pub use weights::F32Weights;

#[cfg(feature = "std")]
pub mod llama2c;
#[cfg(feature = "std")]
pub mod model_dir;
#[cfg(feature = "std")]
pub mod tokenizer;
