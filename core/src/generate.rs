//! The host's generation loop, as llama2.c runs it: feed BOS and the prompt (forcing each next
//! prompt token), then sample, for a number of positions or until BOS is chosen. The command
//! line's `generate` and the forward-pass benchmark both run this loop; it keeps no clock (the
//! caller times it).

use alloc::vec::Vec;

use thiserror::Error;

use crate::{forward, ExecError, Model, OpCounts, OwnedWorkspace, SampleError, Sampler, Vector};

/// What one generation produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generation {
    /// The tokens after the first input: the rest of the prompt, then sampled tokens.
    pub tokens: Vec<u32>,
    /// Forward passes run.
    pub positions: u32,
    /// Whether generation stopped early because the stop token was chosen.
    pub stopped: bool,
    /// Operations of every forward pass and token choice.
    pub counts: OpCounts,
}

/// Why a generation stopped with an error, and at which position.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum GenerateError {
    /// The prompt is empty: there is no first input.
    #[error("the prompt is empty (it needs at least its first token, BOS in llama2.c)")]
    EmptyPrompt,
    /// A forward pass failed.
    #[error("forward pass failed at position {pos}: {source}")]
    Forward {
        /// The position.
        pos: u32,
        /// The core's reason.
        source: ExecError,
    },
    /// Choosing a token failed.
    #[error("sampling failed at position {pos}: {source}")]
    Sample {
        /// The position.
        pos: u32,
        /// The sampler's reason.
        source: SampleError,
    },
}

/// Runs `model` from `prompt[0]` for at most `steps` positions in `workspace` (sized for at least
/// `steps` positions): each next input is the next prompt token while there is one, then the
/// sampler's choice. With `stop_token`, generation ends when that token is chosen (it is not
/// added to the output).
pub fn generate(
    model: &Model,
    workspace: &mut OwnedWorkspace,
    prompt: &[u32],
    steps: u32,
    sampler: &mut Sampler,
    stop_token: Option<u32>,
) -> Result<Generation, GenerateError> {
    let config = *model.config();
    let mut token = *prompt.first().ok_or(GenerateError::EmptyPrompt)?;
    let mut x = Vector::zeros(config.precision, config.shape.dim as usize);
    let mut logits = Vector::zeros(config.precision, config.shape.vocab_size as usize);
    let mut generation = Generation {
        tokens: Vec::with_capacity(steps as usize),
        positions: 0,
        stopped: false,
        counts: OpCounts::default(),
    };
    for pos in 0..steps {
        let forward_error = |source| GenerateError::Forward { pos, source };
        let mut ws = workspace.workspace().map_err(forward_error)?;
        forward(
            model,
            &mut ws,
            token,
            pos,
            x.as_mut(),
            logits.as_mut(),
            &mut generation.counts,
        )
        .map_err(forward_error)?;
        generation.positions += 1;
        let next = match prompt.get(pos as usize + 1) {
            Some(&forced) => forced,
            None => sampler
                .sample(logits.as_ref(), &mut generation.counts)
                .map_err(|source| GenerateError::Sample { pos, source })?,
        };
        if stop_token == Some(next) {
            generation.stopped = true;
            break;
        }
        generation.tokens.push(next);
        token = next;
    }
    Ok(generation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        synthetic_model, AttentionPattern, ModelConfig, ModelShape, Precision, SamplerConfig, Shard,
    };

    fn small() -> (ModelConfig, alloc::vec::Vec<u8>) {
        let config = ModelConfig {
            shape: ModelShape {
                dim: 16,
                hidden_dim: 32,
                n_layers: 2,
                n_heads: 2,
                n_kv_heads: 2,
                vocab_size: 32,
                seq_len: 16,
                shared_classifier: false,
            },
            precision: Precision::Int8,
            attention: AttentionPattern::Full,
        };
        let bytes = synthetic_model(&config, 5).unwrap();
        (config, bytes)
    }

    #[test]
    fn prompt_tokens_are_forced_then_the_sampler_chooses() {
        let (config, bytes) = small();
        let model = Model::parse(&bytes).unwrap();
        let mut workspace = OwnedWorkspace::new(&config, &Shard::whole(&config), 8).unwrap();
        let mut sampler = Sampler::new(SamplerConfig::GREEDY, 0);
        let run = generate(&model, &mut workspace, &[1, 5, 9], 8, &mut sampler, None).unwrap();
        assert_eq!(run.positions, 8);
        assert_eq!(&run.tokens[..2], &[5, 9], "the prompt is forced");
        assert_eq!(run.tokens.len(), 8);
        // The same run from scratch gives the same tokens (the workspace is reset per call).
        let mut again = OwnedWorkspace::new(&config, &Shard::whole(&config), 8).unwrap();
        let rerun = generate(&model, &mut again, &[1, 5, 9], 8, &mut sampler, None).unwrap();
        assert_eq!(rerun.tokens, run.tokens);
    }

    #[test]
    fn the_stop_token_ends_generation_and_is_not_emitted() {
        let (config, bytes) = small();
        let model = Model::parse(&bytes).unwrap();
        let mut workspace = OwnedWorkspace::new(&config, &Shard::whole(&config), 8).unwrap();
        let mut sampler = Sampler::new(SamplerConfig::GREEDY, 0);
        let free = generate(&model, &mut workspace, &[1], 8, &mut sampler, None).unwrap();
        let stop = free.tokens[2];
        let first_stop = free.tokens.iter().position(|&t| t == stop).unwrap();
        let stopped = generate(&model, &mut workspace, &[1], 8, &mut sampler, Some(stop)).unwrap();
        assert!(stopped.stopped);
        assert_eq!(stopped.tokens, free.tokens[..first_stop]);
        assert_eq!(
            generate(&model, &mut workspace, &[], 8, &mut sampler, None),
            Err(GenerateError::EmptyPrompt)
        );
    }
}
