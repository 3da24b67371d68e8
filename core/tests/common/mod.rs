//! Helpers shared by the core's integration tests: small configurations and a whole-model
//! runner that generates tokens greedily.

#![allow(dead_code)]

use ruvsim_core::{
    forward, AttentionPattern, ModelConfig, OpCounts, OwnedWorkspace, Precision, Shard, Vector,
};

/// A small model shape (stories260K-like proportions, grouped-query attention).
pub fn tiny_config(precision: Precision, attention: AttentionPattern) -> ModelConfig {
    ModelConfig {
        dim: 32,
        hidden_dim: 48,
        n_layers: 2,
        n_heads: 4,
        n_kv_heads: 2,
        vocab_size: 64,
        seq_len: 32,
        shared_classifier: true,
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
    let mut x = Vector::zeros(config.precision, config.dim as usize);
    let mut all = Vec::new();
    for (pos, &token) in tokens.iter().enumerate() {
        let mut logits = Vector::zeros(config.precision, config.vocab_size as usize);
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

/// FNV-1a of bytes: a stable fingerprint of logits.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
