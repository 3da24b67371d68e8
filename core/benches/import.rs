//! Speed of llama2.c import and of the llama2.c tokenizer:
//! - `checkpoint_parse`: parsing a stories260K-shaped checkpoint (1 MB, synthetic weights, so it
//!   runs without the real files);
//! - `quantise_int8`: encoding that checkpoint as an int8 ruvsim model;
//! - `tokenizer_encode` / `tokenizer_decode`: a 450-character paragraph with the real tok512.bin
//!   (skipped, with the reason printed, when `RUVSIM_MODEL_DIR` is unset).
//!
//! Run with `cargo bench -p ruvsim-core --bench import`.

use ruvsim_core::ModelShape;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ruvsim_core::llama2c::Checkpoint;
use ruvsim_core::tokenizer::Tokenizer;
use ruvsim_core::{encode_model, model_dir, synthetic_weights};
use ruvsim_core::{AttentionPattern, ModelConfig, Precision};

const PARAGRAPH: &str = "Once upon a time, there was a little girl named Lily. She loved to play \
outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too \
high. Lily's mom said, \"Lily, let's go to the park.\" Lily was sad and didn't know what to do. \
She said, \"I want to play with your ball, but I can't find it.\" Her mom said, \"Don't worry, \
Lily. We can help you.\" They looked everywhere and found the ball under a tree.";

/// A checkpoint with stories260K's shape and synthetic weights.
fn stories_shaped_checkpoint() -> Checkpoint {
    let config = ModelConfig {
        shape: ModelShape::preset("stories260k").expect("a preset"),
        precision: Precision::F32,
        attention: AttentionPattern::Full,
    };
    Checkpoint {
        shape: ModelShape {
            dim: config.shape.dim,
            hidden_dim: config.shape.hidden_dim,
            n_layers: config.shape.n_layers,
            n_heads: config.shape.n_heads,
            n_kv_heads: config.shape.n_kv_heads,
            vocab_size: config.shape.vocab_size,
            seq_len: config.shape.seq_len,
            shared_classifier: config.shape.shared_classifier,
        },
        weights: synthetic_weights(&config, 1).expect("synthetic weights"),
    }
}

fn checkpoint(c: &mut Criterion) {
    let checkpoint = stories_shaped_checkpoint();
    let bytes = checkpoint.to_bytes().expect("serialise");
    let mut group = c.benchmark_group("llama2c");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("checkpoint_parse", |b| {
        b.iter(|| Checkpoint::parse(black_box(&bytes)).expect("parse"))
    });
    let config = checkpoint.config(Precision::Int8);
    group.bench_function("quantise_int8", |b| {
        b.iter(|| encode_model(black_box(&config), &checkpoint.weights).expect("encode"))
    });
    group.finish();
}

fn tokenizer(c: &mut Criterion) {
    let path = match model_dir::locate_file("tok512.bin") {
        Ok(Some(path)) => path,
        Ok(None) => return,
        Err(reason) => panic!("{reason}"),
    };
    let bytes = std::fs::read(path).expect("read tok512.bin");
    let tokenizer = Tokenizer::parse(&bytes, 512).expect("parse tok512.bin");
    let tokens = tokenizer.encode(PARAGRAPH, true, false);
    let mut group = c.benchmark_group("tokenizer");
    group.throughput(Throughput::Bytes(PARAGRAPH.len() as u64));
    group.bench_function("tokenizer_encode", |b| {
        b.iter(|| tokenizer.encode(black_box(PARAGRAPH), true, false))
    });
    group.bench_function("tokenizer_decode", |b| {
        b.iter(|| tokenizer.decode(black_box(&tokens)).expect("decode"))
    });
    group.finish();
}

criterion_group!(benches, checkpoint, tokenizer);
criterion_main!(benches);
