//! Helpers shared by the core's integration tests: small configurations and a whole-model
//! runner that generates tokens greedily.

#![allow(dead_code)]

use ruvsim_core::ModelShape;
use ruvsim_core::{
    forward, AttentionPattern, ModelConfig, OpCounts, OwnedWorkspace, Precision, Shard, Vector,
};

/// A small model shape (stories260K-like proportions, grouped-query attention).
pub fn tiny_config(precision: Precision, attention: AttentionPattern) -> ModelConfig {
    ModelConfig {
        shape: ModelShape {
            dim: 32,
            hidden_dim: 48,
            n_layers: 2,
            n_heads: 4,
            n_kv_heads: 2,
            vocab_size: 64,
            seq_len: 32,
            shared_classifier: true,
        },
        precision,
        attention,
    }
}

/// Runs the whole model over `tokens` (teacher-forced) and returns every position's logits.
pub fn logits_for(bytes: &[u8], tokens: &[u32]) -> Vec<Vector> {
    let model = ruvsim_core::Model::parse(bytes).expect("valid model");
    let config = *model.config();
    let mut owned = OwnedWorkspace::new(&config, &Shard::whole(&config), tokens.len() as u32)
        .expect("workspace");
    let mut x = Vector::zeros(config.precision, config.shape.dim as usize);
    let mut all = Vec::new();
    for (pos, &token) in tokens.iter().enumerate() {
        let mut logits = Vector::zeros(config.precision, config.shape.vocab_size as usize);
        let mut ws = owned.workspace().expect("workspace view");
        let mut counts = OpCounts::default();
        forward(
            &model,
            &mut ws,
            token,
            pos as u32,
            x.as_mut(),
            logits.as_mut(),
            &mut counts,
        )
        .expect("forward");
        all.push(logits);
    }
    all
}

/// Greedy generation: feeds `prompt`, then appends `steps` argmax tokens; returns the generated
/// tokens only.
pub fn greedy(bytes: &[u8], prompt: &[u32], steps: usize) -> Vec<u32> {
    let model = ruvsim_core::Model::parse(bytes).expect("valid model");
    let config = *model.config();
    let total = (prompt.len() + steps) as u32;
    let mut owned = OwnedWorkspace::new(&config, &Shard::whole(&config), total).expect("workspace");
    let mut x = Vector::zeros(config.precision, config.shape.dim as usize);
    let mut logits = Vector::zeros(config.precision, config.shape.vocab_size as usize);
    let mut tokens = prompt.to_vec();
    let mut counts = OpCounts::default();
    for pos in 0..total as usize - 1 {
        let mut ws = owned.workspace().expect("workspace view");
        forward(
            &model,
            &mut ws,
            tokens[pos],
            pos as u32,
            x.as_mut(),
            logits.as_mut(),
            &mut counts,
        )
        .expect("forward");
        if pos + 1 >= prompt.len() {
            let next = ruvsim_core::argmax(logits.as_ref(), &mut counts).expect("argmax");
            tokens.push(next);
        }
    }
    tokens.split_off(prompt.len())
}

/// Natural-log softmax probability of `token` under `logits`.
pub fn log_prob(logits: &Vector, token: u32) -> f64 {
    let values = logits.to_f64();
    let max = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = values.iter().map(|v| (v - max).exp()).sum();
    values[token as usize] - max - sum.ln()
}
