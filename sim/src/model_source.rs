//! Preparing a scenario's model: synthetic from a seed, a ruvsim model file, or an imported
//! llama2.c checkpoint, with its tokenizer.

use std::path::{Path, PathBuf};

use ruvsim_core::llama2c::Checkpoint;
use ruvsim_core::tokenizer::Tokenizer;
use ruvsim_core::{encode_model, synthetic_model, AttentionPattern, Model, ModelConfig, Precision};
use thiserror::Error;

use crate::scenario::{CustomShape, ModelSpec, ShapeSpec};

/// A model ready to simulate.
pub struct PreparedModel {
    /// Its configuration.
    pub config: ModelConfig,
    /// The model in the ruvsim format (absent in timing fidelity for synthetic models, whose
    /// weights are never touched).
    pub bytes: Option<Vec<u8>>,
    /// Its tokenizer, if the scenario names one.
    pub tokenizer: Option<Tokenizer>,
    /// Where it came from, in words.
    pub source: String,
    /// Whether the weights are random.
    pub synthetic: bool,
}

/// Why a model could not be prepared.
#[derive(Debug, Error)]
pub enum ModelError {
    /// An unknown shape preset.
    #[error("model.shape = \"{0}\" is not a preset; valid presets: {presets}", presets = PRESETS.iter().map(|p| p.0).collect::<Vec<_>>().join(", "))]
    UnknownPreset(String),
    /// A file was not found in any of the places looked.
    #[error("cannot find {file}; looked in: {looked}")]
    NotFound {
        /// The file as named.
        file: String,
        /// Where it was looked for.
        looked: String,
    },
    /// A file could not be read.
    #[error("cannot read {file}: {source}")]
    Read {
        /// The file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The model file is malformed.
    #[error("{file} is not a valid ruvsim model: {reason}")]
    Format {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// The checkpoint is malformed.
    #[error("{file} is not a valid llama2.c checkpoint: {reason}")]
    Checkpoint {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// The tokenizer is malformed.
    #[error("{file} is not a valid llama2.c tokenizer for {vocab} tokens: {reason}")]
    Tokenizer {
        /// The file.
        file: String,
        /// The model's vocabulary size.
        vocab: u32,
        /// Why.
        reason: String,
    },
    /// The configuration is invalid or the model could not be written.
    #[error("model: {0}")]
    Invalid(String),
}

/// Model shapes of the published llama2.c TinyStories checkpoints (llama2.c README).
pub const PRESETS: [(&str, CustomShape); 4] = [
    ("stories260k", shape(64, 172, 5, 8, 4, 512, 512)),
    ("stories15m", shape(288, 768, 6, 6, 6, 32000, 256)),
    ("stories42m", shape(512, 1376, 8, 8, 8, 32000, 1024)),
    ("stories110m", shape(768, 2048, 12, 12, 12, 32000, 1024)),
];

const fn shape(
    dim: u32,
    hidden_dim: u32,
    n_layers: u32,
    n_heads: u32,
    n_kv_heads: u32,
    vocab_size: u32,
    seq_len: u32,
) -> CustomShape {
    CustomShape {
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

/// The configuration of a shape with a precision and attention pattern.
pub fn shape_config(
    shape: &ShapeSpec,
    precision: Precision,
    attention: AttentionPattern,
) -> Result<ModelConfig, ModelError> {
    let custom = match shape {
        ShapeSpec::Preset(name) => {
            PRESETS
                .iter()
                .find(|(preset, _)| preset.eq_ignore_ascii_case(name))
                .ok_or_else(|| ModelError::UnknownPreset(name.clone()))?
                .1
        }
        ShapeSpec::Custom(custom) => *custom,
    };
    let config = ModelConfig {
        dim: custom.dim,
        hidden_dim: custom.hidden_dim,
        n_layers: custom.n_layers,
        n_heads: custom.n_heads,
        n_kv_heads: custom.n_kv_heads,
        vocab_size: custom.vocab_size,
        seq_len: custom.seq_len,
        shared_classifier: custom.shared_classifier,
        precision,
        attention,
    };
    config
        .validate()
        .map_err(|e| ModelError::Invalid(e.to_string()))?;
    Ok(config)
}

/// Finds `file`: as given if absolute, else in `model_dir`, then in `scenario_dir`.
pub fn resolve(
    file: &str,
    model_dir: Option<&Path>,
    scenario_dir: &Path,
) -> Result<PathBuf, ModelError> {
    let given = Path::new(file);
    let candidates: Vec<PathBuf> = if given.is_absolute() {
        vec![given.to_path_buf()]
    } else {
        model_dir
            .map(|d| d.join(given))
            .into_iter()
            .chain([scenario_dir.join(given)])
            .collect()
    };
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| ModelError::NotFound {
            file: file.to_string(),
            looked: candidates
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
                + " (set --model-dir or RUVSIM_MODEL_DIR)",
        })
}

fn read(path: &Path) -> Result<Vec<u8>, ModelError> {
    std::fs::read(path).map_err(|source| ModelError::Read {
        file: path.display().to_string(),
        source,
    })
}

/// Prepares the model of a scenario; `weights_needed` is false in timing fidelity.
pub fn prepare(
    spec: &ModelSpec,
    weights_needed: bool,
    model_dir: Option<&Path>,
    scenario_dir: &Path,
) -> Result<PreparedModel, ModelError> {
    let (config, bytes, tokenizer_file, source, synthetic) = match spec {
        ModelSpec::Synthetic {
            shape,
            seed,
            precision,
            attention,
        } => {
            let config = shape_config(shape, *precision, *attention)?;
            let bytes = if weights_needed {
                Some(
                    synthetic_model(&config, *seed)
                        .map_err(|e| ModelError::Invalid(e.to_string()))?,
                )
            } else {
                None
            };
            let name = match shape {
                ShapeSpec::Preset(name) => name.clone(),
                ShapeSpec::Custom(_) => "custom shape".into(),
            };
            (
                config,
                bytes,
                None,
                format!("synthetic {name}, seed {seed}"),
                true,
            )
        }
        ModelSpec::File { path, tokenizer } => {
            let file = resolve(path, model_dir, scenario_dir)?;
            let bytes = read(&file)?;
            let config = *Model::parse(&bytes)
                .map_err(|e| ModelError::Format {
                    file: file.display().to_string(),
                    reason: e.to_string(),
                })?
                .config();
            (
                config,
                Some(bytes),
                tokenizer.clone(),
                file.display().to_string(),
                false,
            )
        }
        ModelSpec::Llama2c {
            path,
            tokenizer,
            precision,
            attention,
        } => {
            let file = resolve(path, model_dir, scenario_dir)?;
            let checkpoint =
                Checkpoint::parse(&read(&file)?).map_err(|e| ModelError::Checkpoint {
                    file: file.display().to_string(),
                    reason: e.to_string(),
                })?;
            let config = ModelConfig {
                attention: *attention,
                ..checkpoint.config(*precision)
            };
            let bytes = encode_model(&config, &checkpoint.weights)
                .map_err(|e| ModelError::Invalid(e.to_string()))?;
            let source = format!(
                "llama2.c checkpoint {} quantised to {precision:?}",
                file.display()
            );
            (config, Some(bytes), tokenizer.clone(), source, false)
        }
    };
    let tokenizer = match tokenizer_file {
        Some(name) => {
            let file = resolve(&name, model_dir, scenario_dir)?;
            Some(
                Tokenizer::parse(&read(&file)?, config.vocab_size).map_err(|e| {
                    ModelError::Tokenizer {
                        file: file.display().to_string(),
                        vocab: config.vocab_size,
                        reason: e.to_string(),
                    }
                })?,
            )
        }
        None => None,
    };
    Ok(PreparedModel {
        config,
        bytes,
        tokenizer,
        source,
        synthetic,
    })
}
