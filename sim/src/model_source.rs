//! Preparing a scenario's model: synthetic from a seed, a ruvsim model file, or an imported
//! llama2.c checkpoint, with its tokenizer.

use ruvsim_core::ModelShape;
use std::path::{Path, PathBuf};

use ruvsim_core::llama2c::Checkpoint;
use ruvsim_core::tokenizer::Tokenizer;
use ruvsim_core::{
    encode_model, synthetic_weights, AttentionPattern, F32Weights, Model, ModelConfig, Precision,
};
use thiserror::Error;

use crate::scenario::{DraftSpec, LoadedScenario, ModelSpec, ShapeSpec};

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
    /// The speculative draft derived from the same weights, when asked for.
    pub draft: Option<PreparedDraft>,
}

/// A draft model derived from the target's weights.
pub struct PreparedDraft {
    /// Its configuration.
    pub config: ModelConfig,
    /// The draft in the ruvsim format (absent when weights are not needed).
    pub bytes: Option<Vec<u8>>,
}

/// Why a model could not be prepared.
#[derive(Debug, Error)]
pub enum ModelError {
    /// An unknown shape preset.
    #[error("model.shape = \"{0}\" is not a preset; valid presets: {presets}", presets = ModelShape::PRESETS.iter().map(|p| p.0).collect::<Vec<_>>().join(", "))]
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
    /// A draft cannot be derived from this model.
    #[error("speculative.draft: {0}")]
    Draft(String),
    /// The configuration is invalid or the model could not be written.
    #[error("model: {0}")]
    Invalid(String),
}

/// The configuration of a shape with a precision and attention pattern.
pub fn shape_config(
    shape: &ShapeSpec,
    precision: Precision,
    attention: AttentionPattern,
) -> Result<ModelConfig, ModelError> {
    let shape = match shape {
        ShapeSpec::Preset(name) => {
            ModelShape::preset(name).ok_or_else(|| ModelError::UnknownPreset(name.clone()))?
        }
        ShapeSpec::Custom(custom) => *custom,
    };
    let config = ModelConfig {
        shape,
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

/// The draft's configuration: the target's first `layers` layers at `precision`.
pub fn draft_config(target: &ModelConfig, spec: &DraftSpec) -> Result<ModelConfig, ModelError> {
    let layers = spec.layers.unwrap_or(target.shape.n_layers);
    if layers == 0 || layers > target.shape.n_layers {
        return Err(ModelError::Draft(format!(
            "layers = {layers} must be from 1 to the target's {} layers",
            target.shape.n_layers
        )));
    }
    Ok(ModelConfig {
        shape: ModelShape {
            n_layers: layers,
            ..target.shape
        },
        precision: spec.precision.unwrap_or(target.precision),
        ..*target
    })
}

/// The first `layers` layers of `weights` (with the embedding, final norm and classifier).
fn truncate_layers(weights: &F32Weights, config: &ModelConfig, layers: u32) -> F32Weights {
    let (dim, hidden, kv) = (
        config.shape.dim as usize,
        config.shape.hidden_dim as usize,
        config.shape.kv_dim() as usize,
    );
    let keep = |tensor: &Vec<f32>, per_layer: usize| tensor[..per_layer * layers as usize].to_vec();
    F32Weights {
        token_embedding: weights.token_embedding.clone(),
        rms_att: keep(&weights.rms_att, dim),
        wq: keep(&weights.wq, dim * dim),
        wk: keep(&weights.wk, kv * dim),
        wv: keep(&weights.wv, kv * dim),
        wo: keep(&weights.wo, dim * dim),
        rms_ffn: keep(&weights.rms_ffn, dim),
        w1: keep(&weights.w1, hidden * dim),
        w2: keep(&weights.w2, dim * hidden),
        w3: keep(&weights.w3, hidden * dim),
        rms_final: weights.rms_final.clone(),
        wcls: weights.wcls.clone(),
    }
}

/// Encodes `weights` as the target (`config`) and, when asked, as the derived draft.
fn encode_with_draft(
    config: &ModelConfig,
    weights: &F32Weights,
    draft: Option<&DraftSpec>,
) -> Result<(Vec<u8>, Option<PreparedDraft>), ModelError> {
    let invalid = |e: ruvsim_core::EncodeError| ModelError::Invalid(e.to_string());
    let bytes = encode_model(config, weights).map_err(invalid)?;
    let draft = match draft {
        Some(spec) => {
            let draft_config = draft_config(config, spec)?;
            let draft_weights = truncate_layers(weights, config, draft_config.shape.n_layers);
            Some(PreparedDraft {
                config: draft_config,
                bytes: Some(encode_model(&draft_config, &draft_weights).map_err(invalid)?),
            })
        }
        None => None,
    };
    Ok((bytes, draft))
}

/// A draft model read from its own file; it must share the target's vocabulary.
fn draft_file(
    path: &str,
    target: &ModelConfig,
    model_dir: Option<&Path>,
    scenario_dir: &Path,
) -> Result<PreparedDraft, ModelError> {
    let file = resolve(path, model_dir, scenario_dir)?;
    let bytes = read(&file)?;
    let config = *Model::parse(&bytes)
        .map_err(|e| ModelError::Format {
            file: file.display().to_string(),
            reason: e.to_string(),
        })?
        .config();
    if config.shape.vocab_size != target.shape.vocab_size {
        return Err(ModelError::Draft(format!(
            "path = \"{path}\" has a vocabulary of {} tokens, the target {}: a draft must propose \
             the target's tokens",
            config.shape.vocab_size, target.shape.vocab_size
        )));
    }
    Ok(PreparedDraft {
        config,
        bytes: Some(bytes),
    })
}

/// Prepares the model of a scenario (and its speculative draft, when `draft` is given);
/// `weights_needed` is false in timing fidelity.
pub fn prepare(
    spec: &ModelSpec,
    draft_spec: Option<&DraftSpec>,
    weights_needed: bool,
    model_dir: Option<&Path>,
    scenario_dir: &Path,
) -> Result<PreparedModel, ModelError> {
    if let Some(DraftSpec {
        path: Some(_),
        layers,
        precision,
    }) = draft_spec
    {
        if layers.is_some() || precision.is_some() {
            return Err(ModelError::Draft(
                "give either path (a draft model of its own) or layers/precision (a draft \
                 derived from the target), not both"
                    .into(),
            ));
        }
    }
    // A draft derived from the target's weights; a draft file is read after the target.
    let draft = draft_spec.filter(|d| d.path.is_none());
    let (config, bytes, tokenizer_file, source, synthetic, prepared_draft) = match spec {
        ModelSpec::Synthetic {
            shape,
            seed,
            precision,
            attention,
        } => {
            let config = shape_config(shape, *precision, *attention)?;
            let (bytes, prepared_draft) = if weights_needed {
                let weights = synthetic_weights(&config, *seed)
                    .map_err(|e| ModelError::Invalid(e.to_string()))?;
                let (bytes, draft) = encode_with_draft(&config, &weights, draft)?;
                (Some(bytes), draft)
            } else {
                let draft = match draft {
                    Some(spec) => Some(PreparedDraft {
                        config: draft_config(&config, spec)?,
                        bytes: None,
                    }),
                    None => None,
                };
                (None, draft)
            };
            let name = match shape {
                ShapeSpec::Preset(name) => name.clone(),
                ShapeSpec::Custom(_) => "custom shape".into(),
            };
            let source = format!("synthetic {name}, seed {seed}");
            (config, bytes, None, source, true, prepared_draft)
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
            if draft.is_some() {
                return Err(ModelError::Draft(
                    "a draft is derived from f32 weights, which a ruvsim model file no longer \
                     holds; use a synthetic or llama2c model source"
                        .into(),
                ));
            }
            let source = file.display().to_string();
            (config, Some(bytes), tokenizer.clone(), source, false, None)
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
            let (bytes, prepared_draft) = encode_with_draft(&config, &checkpoint.weights, draft)?;
            let source = format!(
                "llama2.c checkpoint {} quantised to {precision:?}",
                file.display()
            );
            (
                config,
                Some(bytes),
                tokenizer.clone(),
                source,
                false,
                prepared_draft,
            )
        }
    };
    let prepared_draft = match draft_spec.and_then(|d| d.path.as_ref()) {
        Some(path) => Some(draft_file(path, &config, model_dir, scenario_dir)?),
        None => prepared_draft,
    };
    let tokenizer = match tokenizer_file {
        Some(name) => {
            let file = resolve(&name, model_dir, scenario_dir)?;
            Some(
                Tokenizer::parse(&read(&file)?, config.shape.vocab_size).map_err(|e| {
                    ModelError::Tokenizer {
                        file: file.display().to_string(),
                        vocab: config.shape.vocab_size,
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
        draft: prepared_draft,
    })
}

/// The model files a scenario names (checkpoint or model file, and tokenizer) that cannot be
/// found in `model_dir` or beside the scenario. Empty for synthetic models.
pub fn missing_model_files(loaded: &LoadedScenario, model_dir: Option<&Path>) -> Vec<String> {
    let files: Vec<&String> = match &loaded.scenario.model {
        ModelSpec::Synthetic { .. } => Vec::new(),
        ModelSpec::File { path, tokenizer }
        | ModelSpec::Llama2c {
            path, tokenizer, ..
        } => std::iter::once(path).chain(tokenizer).collect(),
    };
    files
        .into_iter()
        .filter(|file| resolve(file, model_dir, &loaded.dir).is_err())
        .cloned()
        .collect()
}
