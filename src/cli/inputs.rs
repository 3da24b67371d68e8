//! Reading what the subcommands take as input: ruvsim model files, llama2.c checkpoints (told
//! apart by the ruvsim magic), seeded synthetic models, and llama2.c tokenizers.

use std::fs;
use std::path::Path;

use anyhow::{bail, Context};
use ruvsim_core::format::MAGIC;
use ruvsim_core::llama2c::Checkpoint;
use ruvsim_core::synthetic::synthetic_model;
use ruvsim_core::tokenizer::Tokenizer;
use ruvsim_core::writer::encode_model;
use ruvsim_core::Precision;

use super::synthetic_shape::SyntheticShape;

/// The bytes of a ruvsim model file, ready for [`ruvsim_core::model::Model::parse`], and a
/// one-line account of where they came from.
pub struct ModelBytes {
    /// The model file's bytes (read, or produced in memory).
    pub bytes: Vec<u8>,
    /// Where the model came from, for the user.
    pub origin: String,
}

/// Reads a file, naming it in the error.
pub fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Whether `bytes` start with the ruvsim model magic (otherwise they are taken for a llama2.c
/// checkpoint, which has no magic of its own).
pub fn is_ruvsim_model(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

/// Reads and parses a llama2.c checkpoint.
pub fn read_checkpoint(path: &Path) -> anyhow::Result<Checkpoint> {
    let bytes = read(path)?;
    if is_ruvsim_model(&bytes) {
        bail!(
            "{} is already a ruvsim model file, not a llama2.c checkpoint",
            path.display()
        );
    }
    Checkpoint::parse(&bytes)
        .with_context(|| format!("{} is not a valid llama2.c checkpoint", path.display()))
}

/// Quantises a checkpoint to `precision` and encodes it as a ruvsim model file.
pub fn encode_checkpoint(checkpoint: &Checkpoint, precision: Precision) -> anyhow::Result<Vec<u8>> {
    encode_model(&checkpoint.config(precision), &checkpoint.weights)
        .with_context(|| format!("cannot quantise the checkpoint to {}", precision.name()))
}

/// Loads the model at `path`: a ruvsim model file as it is, or a llama2.c checkpoint quantised
/// to `precision` (f32 when not given). A precision given for a ruvsim model file must match
/// the file's, since its weights are already quantised.
pub fn load_model_file(path: &Path, precision: Option<Precision>) -> anyhow::Result<ModelBytes> {
    let bytes = read(path)?;
    if is_ruvsim_model(&bytes) {
        if let Some(requested) = precision {
            let model = ruvsim_core::model::Model::parse(&bytes)
                .with_context(|| format!("{} is not a valid ruvsim model", path.display()))?;
            let stored = model.config().precision;
            if stored != requested {
                bail!(
                    "{} is already quantised to {}; --precision {} applies only to llama2.c \
                     checkpoints and synthetic models",
                    path.display(),
                    stored.name(),
                    requested.name()
                );
            }
        }
        return Ok(ModelBytes {
            bytes,
            origin: format!("ruvsim model {}", path.display()),
        });
    }
    let checkpoint = Checkpoint::parse(&bytes).with_context(|| {
        format!(
            "{} is neither a ruvsim model (no {} magic) nor a valid llama2.c checkpoint",
            path.display(),
            String::from_utf8_lossy(&MAGIC)
        )
    })?;
    let precision = precision.unwrap_or(Precision::F32);
    Ok(ModelBytes {
        bytes: encode_checkpoint(&checkpoint, precision)?,
        origin: format!(
            "llama2.c checkpoint {} at {}",
            path.display(),
            precision.name()
        ),
    })
}

/// A seeded synthetic model of `shape` at `precision`.
pub fn synthetic(
    shape: &SyntheticShape,
    precision: Precision,
    seed: u64,
) -> anyhow::Result<ModelBytes> {
    let bytes = synthetic_model(&shape.config(precision), seed)
        .context("cannot build the synthetic model")?;
    Ok(ModelBytes {
        bytes,
        origin: format!(
            "synthetic model {shape} at {}, seed {seed}",
            precision.name()
        ),
    })
}

/// Reads a llama2.c tokenizer for a model with `vocab_size` tokens.
pub fn read_tokenizer(path: &Path, vocab_size: u32) -> anyhow::Result<Tokenizer> {
    Tokenizer::parse(&read(path)?, vocab_size).with_context(|| {
        format!(
            "{} is not a llama2.c tokenizer for a vocabulary of {vocab_size}",
            path.display()
        )
    })
}
