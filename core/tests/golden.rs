//! Golden outputs of a fixed synthetic model: the token sequence greedy decoding produces and a
//! fingerprint (FNV-1a) of every logit's bytes, per precision.
//!
//! Model: `synthetic_model(&golden_config(precision), 2024)` — the stories260K shape (dim 64,
//! hidden 172, 5 layers, 8 heads, 4 KV heads, vocab 512) with a separate classifier, seq_len 64
//! and BigBird attention (global 2, window 8, random 4, seed 99). Prompt: token 1; 24 greedy steps.
//!
//! The values were produced by this test itself. After a deliberate change of the numerics, run
//! `RUVSIM_PRINT_GOLDEN=1 cargo test -p ruvsim-core --test golden -- --nocapture` and paste the
//! printed table over `GOLDEN`. Integer precisions are bit-exact on every target; the f32 value
//! holds wherever f32 arithmetic is IEEE without fused multiply-add.

mod common;

use ruvsim_core::ModelShape;
use ruvsim_core::{
    argmax, forward, synthetic_model, AttentionPattern, Model, ModelConfig, OpCounts,
    OwnedWorkspace, Precision, Shard, Vector,
};

const STEPS: u32 = 24;

/// (precision, generated tokens, FNV-1a of all logits bytes).
const GOLDEN: [(Precision, [u32; STEPS as usize], u64); 4] = [
    (
        Precision::F32,
        [
            342, 321, 344, 95, 398, 186, 509, 100, 352, 384, 93, 174, 500, 379, 305, 104, 93, 352,
            384, 93, 182, 16, 175, 360,
        ],
        0x1d0d5629ec3ebda0,
    ),
    (
        Precision::Int8,
        [
            342, 321, 344, 95, 398, 186, 509, 100, 274, 312, 312, 312, 312, 312, 473, 195, 163,
            270, 496, 162, 215, 153, 213, 176,
        ],
        0x2831dbaef3034a43,
    ),
    (
        Precision::Int4,
        [
            292, 416, 300, 285, 448, 41, 48, 6, 256, 201, 182, 445, 203, 343, 18, 156, 112, 416,
            215, 429, 464, 422, 30, 280,
        ],
        0xfa5b17b9f28cecc9,
    ),
    (
        Precision::Binary,
        [
            436, 389, 506, 227, 395, 8, 237, 302, 425, 190, 84, 76, 378, 280, 13, 368, 235, 135,
            415, 129, 145, 85, 246, 274,
        ],
        0xdbc03ca369e044d9,
    ),
];

fn golden_config(precision: Precision) -> ModelConfig {
    ModelConfig {
        shape: ModelShape {
            dim: 64,
            hidden_dim: 172,
            n_layers: 5,
            n_heads: 8,
            n_kv_heads: 4,
            vocab_size: 512,
            seq_len: 64,
            shared_classifier: false,
        },
        precision,
        attention: AttentionPattern::BigBird {
            global: 2,
            window: 8,
            random: 4,
            seed: 99,
        },
    }
}

/// Greedy tokens and the fingerprint of every step's logits.
fn run(precision: Precision) -> (Vec<u32>, u64) {
    let config = golden_config(precision);
    let bytes = synthetic_model(&config, 2024).unwrap();
    let model = Model::parse(&bytes).unwrap();
    let mut owned = OwnedWorkspace::new(&config, &Shard::whole(&config), STEPS).unwrap();
    let mut x = Vector::zeros(precision, config.shape.dim as usize);
    let mut logits = Vector::zeros(precision, config.shape.vocab_size as usize);
    let mut counts = OpCounts::default();
    let mut all_logits = Vec::new();
    let mut tokens = Vec::new();
    let mut token = 1;
    for pos in 0..STEPS {
        let mut ws = owned.workspace().unwrap();
        forward(
            &model,
            &mut ws,
            token,
            pos,
            x.as_mut(),
            logits.as_mut(),
            &mut counts,
        )
        .unwrap();
        all_logits.extend(logits.to_le_bytes());
        token = argmax(logits.as_ref(), &mut counts).unwrap();
        tokens.push(token);
    }
    (tokens, common::fnv1a(&all_logits))
}

#[test]
fn fixed_synthetic_model_reproduces_its_golden_outputs() {
    let print = std::env::var("RUVSIM_PRINT_GOLDEN").is_ok_and(|v| v == "1");
    let mut mismatches = Vec::new();
    for (precision, tokens, hash) in GOLDEN {
        let (got_tokens, got_hash) = run(precision);
        if print {
            println!("    (Precision::{precision:?}, {got_tokens:?}, {got_hash:#018x}),");
        }
        if got_tokens != tokens || got_hash != hash {
            mismatches.push(format!(
                "{precision:?}: tokens {got_tokens:?} hash {got_hash:#018x}, golden {tokens:?} {hash:#018x}"
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "golden mismatch (see the module docs to regenerate):\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn runs_are_repeatable() {
    assert_eq!(run(Precision::Int4), run(Precision::Int4));
}
