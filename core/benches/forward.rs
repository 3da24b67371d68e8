//! Forward-pass speed on stories260K-shaped synthetic models (dim 64, hidden 172, 5 layers,
//! 8 heads, 4 KV heads, vocab 512, seq_len 512) at every precision:
//! - `token_at_128`: one forward pass at position 128 (cache filled for 0..128);
//! - `greedy_256`: a 256-token greedy generation (throughput in tokens per second).
//!
//! Run with `cargo bench -p ruvsim-core --bench forward`.

use ruvsim_core::ModelShape;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ruvsim_core::{
    forward, generate, synthetic_model, AttentionPattern, Model, ModelConfig, OpCounts,
    OwnedWorkspace, Precision, Sampler, SamplerConfig, Shard, Vector,
};

fn stories_shape(precision: Precision) -> ModelConfig {
    ModelConfig {
        shape: ModelShape::preset("stories260k").expect("a preset"),
        precision,
        attention: AttentionPattern::Full,
    }
}

/// Generates `steps` tokens greedily from token 1 with the host generation loop, reusing the
/// workspace's memory.
fn greedy(model: &Model, owned: &mut OwnedWorkspace, steps: u32) -> u32 {
    let mut sampler = Sampler::new(SamplerConfig::GREEDY, 0);
    let run = generate(model, owned, &[1], steps, &mut sampler, None).expect("generate");
    run.tokens.last().copied().unwrap_or(1)
}

fn bench_forward(c: &mut Criterion) {
    let mut token_group = c.benchmark_group("token_at_128");
    for precision in Precision::ALL {
        let config = stories_shape(precision);
        let bytes = synthetic_model(&config, 260).expect("synthetic model");
        let model = Model::parse(&bytes).expect("parse");
        let mut owned = OwnedWorkspace::new(&config, &Shard::whole(&config), 256).expect("ws");
        greedy(&model, &mut owned, 128);
        let mut x = Vector::zeros(precision, config.shape.dim as usize);
        let mut logits = Vector::zeros(precision, config.shape.vocab_size as usize);
        token_group.throughput(Throughput::Elements(1));
        token_group.bench_function(BenchmarkId::from_parameter(format!("{precision:?}")), |b| {
            b.iter(|| {
                let mut ws = owned.workspace().expect("workspace");
                let mut counts = OpCounts::default();
                forward(
                    &model,
                    &mut ws,
                    black_box(7),
                    128,
                    x.as_mut(),
                    logits.as_mut(),
                    &mut counts,
                )
                .expect("forward");
            })
        });
    }
    token_group.finish();

    let mut run_group = c.benchmark_group("greedy_256");
    run_group.sample_size(10);
    for precision in Precision::ALL {
        let config = stories_shape(precision);
        let bytes = synthetic_model(&config, 260).expect("synthetic model");
        let model = Model::parse(&bytes).expect("parse");
        let mut owned = OwnedWorkspace::new(&config, &Shard::whole(&config), 256).expect("ws");
        run_group.throughput(Throughput::Elements(256));
        run_group.bench_function(BenchmarkId::from_parameter(format!("{precision:?}")), |b| {
            b.iter(|| black_box(greedy(&model, &mut owned, 256)))
        });
    }
    run_group.finish();
}

criterion_group!(benches, bench_forward);
criterion_main!(benches);
