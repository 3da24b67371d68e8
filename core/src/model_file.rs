//! Model files on a host: a ruvsim model (told apart by its magic) or a llama2.c checkpoint,
//! quantised on the way in, and llama2.c tokenizers. The command line's `generate` and `model`
//! subcommands read their inputs through here; every error names the file.

use std::fs;
use std::path::Path;
use std::string::{String, ToString};
use std::vec::Vec;

use thiserror::Error;

use crate::format::MAGIC;
use crate::llama2c::{Checkpoint, Llama2cError};
use crate::tokenizer::{Tokenizer, TokenizerError};
use crate::{encode_model, EncodeError, FormatError, Model, Precision};

/// Why a model file or tokenizer could not be used.
#[derive(Debug, Error)]
pub enum ModelFileError {
    /// The file could not be read.
    #[error("cannot read {file}: {source}")]
    Read {
        /// The file.
        file: String,
        /// The system's reason.
        source: std::io::Error,
    },
    /// A llama2.c checkpoint was expected, and the file is a ruvsim model.
    #[error("{file} is already a ruvsim model file, not a llama2.c checkpoint")]
    AlreadyConverted {
        /// The file.
        file: String,
    },
    /// The file is not a valid llama2.c checkpoint.
    #[error("{file} is not a valid llama2.c checkpoint: {source}")]
    Checkpoint {
        /// The file.
        file: String,
        /// What is wrong.
        source: Llama2cError,
    },
    /// The file is neither a ruvsim model nor a valid llama2.c checkpoint.
    #[error(
        "{file} is neither a ruvsim model (no {} magic) nor a valid llama2.c checkpoint: {source}",
        String::from_utf8_lossy(&MAGIC)
    )]
    Unrecognised {
        /// The file.
        file: String,
        /// Why it is not a checkpoint.
        source: Llama2cError,
    },
    /// The file is a ruvsim model but malformed.
    #[error("{file} is not a valid ruvsim model: {source}")]
    Format {
        /// The file.
        file: String,
        /// What is wrong.
        source: FormatError,
    },
    /// A precision was asked for a model that already has another.
    #[error(
        "{file} is already quantised to {stored}; --precision {requested} applies only to \
         llama2.c checkpoints and synthetic models"
    )]
    AlreadyQuantised {
        /// The file.
        file: String,
        /// Its precision.
        stored: Precision,
        /// The precision asked for.
        requested: Precision,
    },
    /// The weights could not be quantised.
    #[error("cannot quantise the checkpoint to {precision}: {source}")]
    Quantise {
        /// The precision.
        precision: Precision,
        /// Why.
        source: EncodeError,
    },
    /// The tokenizer does not fit the model.
    #[error("{file} is not a llama2.c tokenizer for a vocabulary of {vocab_size}: {source}")]
    Tokenizer {
        /// The file.
        file: String,
        /// The model's vocabulary.
        vocab_size: u32,
        /// What is wrong.
        source: TokenizerError,
    },
}

/// A model in the ruvsim format and where it came from, in words.
pub struct ModelBytes {
    /// The model file's bytes.
    pub bytes: Vec<u8>,
    /// Where it came from (`ruvsim model x.ruvm`, `llama2.c checkpoint x.bin at int8`, ...).
    pub origin: String,
}

/// The bytes of `path`.
pub fn read(path: &Path) -> Result<Vec<u8>, ModelFileError> {
    fs::read(path).map_err(|source| ModelFileError::Read {
        file: path.display().to_string(),
        source,
    })
}

/// Whether `bytes` start with the ruvsim model magic.
pub fn is_ruvsim_model(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

/// Reads a llama2.c checkpoint, refusing a ruvsim model file.
pub fn read_checkpoint(path: &Path) -> Result<Checkpoint, ModelFileError> {
    let bytes = read(path)?;
    let file = path.display().to_string();
    if is_ruvsim_model(&bytes) {
        return Err(ModelFileError::AlreadyConverted { file });
    }
    Checkpoint::parse(&bytes).map_err(|source| ModelFileError::Checkpoint { file, source })
}

/// Quantises a checkpoint to `precision` in the ruvsim format.
pub fn encode_checkpoint(
    checkpoint: &Checkpoint,
    precision: Precision,
) -> Result<Vec<u8>, ModelFileError> {
    encode_model(&checkpoint.config(precision), &checkpoint.weights)
        .map_err(|source| ModelFileError::Quantise { precision, source })
}

/// A model file of either kind: a ruvsim model as it is (refusing a `precision` other than its
/// own), or a llama2.c checkpoint quantised to `precision` (f32 by default).
pub fn load_model_file(
    path: &Path,
    precision: Option<Precision>,
) -> Result<ModelBytes, ModelFileError> {
    let bytes = read(path)?;
    let file = path.display().to_string();
    if is_ruvsim_model(&bytes) {
        if let Some(requested) = precision {
            let model = Model::parse(&bytes).map_err(|source| ModelFileError::Format {
                file: file.clone(),
                source,
            })?;
            let stored = model.config().precision;
            if stored != requested {
                return Err(ModelFileError::AlreadyQuantised {
                    file,
                    stored,
                    requested,
                });
            }
        }
        return Ok(ModelBytes {
            bytes,
            origin: std::format!("ruvsim model {file}"),
        });
    }
    let checkpoint = Checkpoint::parse(&bytes).map_err(|source| ModelFileError::Unrecognised {
        file: file.clone(),
        source,
    })?;
    let precision = precision.unwrap_or(Precision::F32);
    Ok(ModelBytes {
        bytes: encode_checkpoint(&checkpoint, precision)?,
        origin: std::format!("llama2.c checkpoint {file} at {precision}"),
    })
}

/// Reads a llama2.c tokenizer for a model with `vocab_size` tokens.
pub fn read_tokenizer(path: &Path, vocab_size: u32) -> Result<Tokenizer, ModelFileError> {
    Tokenizer::parse(&read(path)?, vocab_size).map_err(|source| ModelFileError::Tokenizer {
        file: path.display().to_string(),
        vocab_size,
        source,
    })
}
