//! Synthetic models of any shape from a seed (feature `alloc`): f32 weights drawn from seeded
//! ChaCha streams, then quantised and written exactly like an imported checkpoint.

use alloc::vec::Vec;

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

use crate::config::ModelConfig;
use crate::error::EncodeError;
use crate::format::TensorKind;
use crate::weights::F32Weights;
use crate::writer::encode_model;

/// The ChaCha stream of one tensor: independent of every other tensor's shape.
fn stream(seed: u64, kind: TensorKind) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8] = kind.index() as u8;
    ChaCha8Rng::from_seed(key)
}

/// A uniform value in `[0, 1)` with 24 random bits.
fn uniform(rng: &mut ChaCha8Rng) -> f32 {
    (rng.next_u32() >> 8) as f32 / 16_777_216.0
}

/// An approximately standard normal value: the Irwin-Hall sum of four uniforms, centred and
/// scaled to unit variance (bounded by +-2 sqrt(3), which keeps activations tame).
fn normalish(rng: &mut ChaCha8Rng) -> f32 {
    let sum = uniform(rng) + uniform(rng) + uniform(rng) + uniform(rng);
    (sum - 2.0) * 1.732_050_8
}

/// `count` values of standard deviation `std`.
fn gaussian(seed: u64, kind: TensorKind, count: u64, std: f32) -> Vec<f32> {
    let mut rng = stream(seed, kind);
    (0..count).map(|_| normalish(&mut rng) * std).collect()
}

/// `count` norm weights near one (uniform in `[0.9, 1.1)`).
fn norm_weights(seed: u64, kind: TensorKind, count: u64) -> Vec<f32> {
    let mut rng = stream(seed, kind);
    (0..count).map(|_| 0.9 + 0.2 * uniform(&mut rng)).collect()
}

/// Weights for `config` drawn from `seed`: matrices with standard deviation `1/sqrt(fan_in)`
/// (output projections further divided by `sqrt(2 n_layers)` so the residual stream grows
/// slowly with depth), embeddings of unit deviation, norm weights near one.
pub fn synthetic_weights(config: &ModelConfig, seed: u64) -> Result<F32Weights, EncodeError> {
    config.validate()?;
    let (dim, hidden, layers) = (
        u64::from(config.shape.dim),
        u64::from(config.shape.hidden_dim),
        u64::from(config.shape.n_layers),
    );
    let (vocab, kv_dim) = (
        u64::from(config.shape.vocab_size),
        u64::from(config.shape.kv_dim()),
    );
    let fan_in = |n: u64| 1.0 / libm::sqrtf(n as f32);
    let depth = 1.0 / libm::sqrtf(2.0 * layers as f32);
    let matrix =
        |kind, rows: u64, cols: u64, std: f32| gaussian(seed, kind, layers * rows * cols, std);
    Ok(F32Weights {
        token_embedding: gaussian(seed, TensorKind::TokenEmbedding, vocab * dim, 1.0),
        rms_att: norm_weights(seed, TensorKind::RmsAtt, layers * dim),
        wq: matrix(TensorKind::Wq, dim, dim, fan_in(dim)),
        wk: matrix(TensorKind::Wk, kv_dim, dim, fan_in(dim)),
        wv: matrix(TensorKind::Wv, kv_dim, dim, fan_in(dim)),
        wo: matrix(TensorKind::Wo, dim, dim, fan_in(dim) * depth),
        rms_ffn: norm_weights(seed, TensorKind::RmsFfn, layers * dim),
        w1: matrix(TensorKind::W1, hidden, dim, fan_in(dim)),
        w2: matrix(TensorKind::W2, dim, hidden, fan_in(hidden) * depth),
        w3: matrix(TensorKind::W3, hidden, dim, fan_in(dim)),
        rms_final: norm_weights(seed, TensorKind::RmsFinal, dim),
        wcls: (!config.shape.shared_classifier)
            .then(|| gaussian(seed, TensorKind::Wcls, vocab * dim, fan_in(dim))),
    })
}

/// A synthetic model file for `config` (at `config.precision`) from `seed`.
pub fn synthetic_model(config: &ModelConfig, seed: u64) -> Result<Vec<u8>, EncodeError> {
    encode_model(config, &synthetic_weights(config, seed)?)
}
