//! Golden outputs of a fixed synthetic model: the token sequence greedy decoding produces and a
//! fingerprint (FNV-1a) of every logit's bytes, per precision. Every target must reproduce them:
//! the host's tests check them, and so does the riscv32 build of the core run under QEMU.
//!
//! Model: `synthetic_model(&golden_config(precision), 2024)` — the stories260K shape (dim 64,
//! hidden 172, 5 layers, 8 heads, 4 KV heads, vocab 512) with a separate classifier, seq_len 64
//! and BigBird attention (global 2, window 8, random 4, seed 99). Prompt: token 1; 24 greedy steps.
//!
//! The values were produced by the host test `core/tests/golden.rs`. After a deliberate change of
//! the numerics, run `RUVSIM_PRINT_GOLDEN=1 cargo test -p ruvsim-core --test golden --
//! --nocapture` and paste the printed table over [`GOLDEN`]. Integer precisions are bit-exact on
//! every target; the f32 value holds wherever f32 arithmetic is IEEE without fused multiply-add.

use alloc::vec::Vec;

use crate::{
    argmax, forward, synthetic_model, AttentionPattern, Model, ModelConfig, ModelShape, OpCounts,
    OwnedWorkspace, Precision, Shard, Vector,
};

/// FNV-1a of `bytes`: a fingerprint that is the same on every target.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Greedy steps of a golden run.
pub const STEPS: u32 = 24;

/// (precision, generated tokens, FNV-1a of all logits bytes).
pub const GOLDEN: [(Precision, [u32; STEPS as usize], u64); 4] = [
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

/// The golden model's configuration at `precision`.
pub fn golden_config(precision: Precision) -> ModelConfig {
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
pub fn run(precision: Precision) -> (Vec<u32>, u64) {
    let config = golden_config(precision);
    let bytes = synthetic_model(&config, 2024).expect("the golden model runs");
    let model = Model::parse(&bytes).expect("the golden model runs");
    let mut owned =
        OwnedWorkspace::new(&config, &Shard::whole(&config), STEPS).expect("the golden model runs");
    let mut x = Vector::zeros(precision, config.shape.dim as usize);
    let mut logits = Vector::zeros(precision, config.shape.vocab_size as usize);
    let mut counts = OpCounts::default();
    let mut all_logits = Vec::new();
    let mut tokens = Vec::new();
    let mut token = 1;
    for pos in 0..STEPS {
        let mut ws = owned.workspace().expect("the golden model runs");
        forward(
            &model,
            &mut ws,
            token,
            pos,
            x.as_mut(),
            logits.as_mut(),
            &mut counts,
        )
        .expect("the golden model runs");
        all_logits.extend(logits.to_le_bytes());
        token = argmax(logits.as_ref(), &mut counts).expect("the golden model runs");
        tokens.push(token);
    }
    (tokens, fnv1a(&all_logits))
}

/// The FNV-1a of [`trace_sample`]'s text with a clock that advances 1,000 per reading, as the
/// host writes it. Regenerate with `RUVSIM_PRINT_GOLDEN=1 cargo test -p ruvsim-core --test golden
/// -- --nocapture` after a deliberate change of the trace format.
#[cfg(feature = "trace")]
pub const TRACE_SAMPLE_FNV: u64 = 0x4429cb9cfef517ae;

/// A fixed trace, written by the core's formatter with `clock`: one token's phases on a board and
/// the token's end, as firmware prints them.
#[cfg(feature = "trace")]
pub fn trace_sample<C: crate::trace::Clock>(clock: C) -> alloc::string::String {
    use crate::trace::{Event, Tracer};
    use crate::{Phase, Span};
    let mut text = alloc::string::String::new();
    let mut tracer = Tracer::new(clock, &mut text);
    let phases = [
        Phase::Embed,
        Phase::Layers(Span::new(0, 5)),
        Phase::Classify(Span::new(0, 512)),
        Phase::Sample,
    ];
    let start = tracer.now();
    let _ = tracer.record(&Event::TokenStart {
        req: 0,
        pos: 7,
        t: start,
    });
    for phase in phases {
        let t = tracer.now();
        let _ = tracer.record(&Event::PhaseStart {
            phase,
            stream: 0,
            pos: 7,
            t,
        });
        let t = tracer.now();
        let _ = tracer.record(&Event::PhaseEnd {
            phase,
            stream: 0,
            pos: 7,
            t,
        });
    }
    let end = tracer.now();
    let _ = tracer.record(&Event::TokenEnd {
        req: 0,
        pos: 7,
        token: Some(42),
        t: end,
    });
    text
}
