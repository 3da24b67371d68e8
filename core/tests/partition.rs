//! Partitioned execution equals the unsplit forward pass bit for bit: pipeline splits at every
//! layer boundary, head and feed-forward shards (1..n of them, any cut points), and vocabulary
//! slices. Integer models combine independent partial sums in any grouping; f32 models chain
//! their running sums through the shards in order.

mod common;

use proptest::prelude::*;
use ruvsim_core::ModelShape;
use ruvsim_core::{
    add_partial, attention_heads, classify, embed, ffn_units, reduce_partials, run_layers,
    synthetic_model, AttentionPattern, Block, Model, ModelConfig, OpCounts, OwnedWorkspace,
    Partial, Precision, Shard, Span, Vector, FFN_GROUP,
};

/// How a model is cut: boundaries inside each range (start and end are implied).
#[derive(Clone, Debug)]
struct Cuts {
    heads: Vec<u32>,
    units: Vec<u32>,
    vocab: Vec<u32>,
}

/// The spans between sorted, deduplicated cut points of `0..end` (cuts at or past `end` are
/// ignored).
fn spans(cuts: &[u32], end: u32) -> Vec<Span> {
    let mut points: Vec<u32> = cuts.iter().copied().filter(|&c| c < end).collect();
    points.push(0);
    points.push(end);
    points.sort_unstable();
    points.dedup();
    points.windows(2).map(|w| Span::new(w[0], w[1])).collect()
}

fn shard(config: &ModelConfig, heads: Span, units: Span, vocab: Span) -> OwnedWorkspace {
    let shard = Shard {
        embedding: false,
        layers: Span::new(0, config.shape.n_layers),
        heads,
        ffn_units: units,
        vocab,
    };
    OwnedWorkspace::new(config, &shard, config.shape.seq_len).expect("shard workspace")
}

/// Logits of every position with the model cut by `cuts` (tensor parallel + vocabulary slices).
fn tensor_parallel_logits(bytes: &[u8], tokens: &[u32], cuts: &Cuts) -> Vec<Vector> {
    let model = Model::parse(bytes).unwrap();
    let config = *model.config();
    let precision = config.precision;
    let dim = config.shape.dim as usize;
    let head_spans = spans(&cuts.heads, config.shape.n_heads);
    let unit_spans = spans(&cuts.units, config.shape.hidden_dim);
    let vocab_spans = spans(&cuts.vocab, config.shape.vocab_size);
    let empty = Span::default();
    let mut head_shards: Vec<_> = head_spans
        .iter()
        .map(|&h| shard(&config, h, empty, empty))
        .collect();
    let mut unit_shards: Vec<_> = unit_spans
        .iter()
        .map(|&u| shard(&config, empty, u, empty))
        .collect();
    let mut vocab_shards: Vec<_> = vocab_spans
        .iter()
        .map(|&v| {
            let s = Shard {
                embedding: false,
                layers: empty,
                heads: empty,
                ffn_units: empty,
                vocab: v,
            };
            OwnedWorkspace::new(&config, &s, config.shape.seq_len).unwrap()
        })
        .collect();
    let counts = &mut OpCounts::default();
    let mut all = Vec::new();
    for (pos, &token) in tokens.iter().enumerate() {
        let pos = pos as u32;
        let mut x = Vector::zeros(precision, dim);
        embed(&model, token, x.as_mut(), counts).unwrap();
        for layer in 0..config.shape.n_layers {
            for block in [Block::Attention, Block::Ffn] {
                let shards: Vec<(&mut OwnedWorkspace, Span)> = match block {
                    Block::Attention => head_shards
                        .iter_mut()
                        .zip(head_spans.iter().copied())
                        .collect(),
                    Block::Ffn => unit_shards
                        .iter_mut()
                        .zip(unit_spans.iter().copied())
                        .collect(),
                };
                let run =
                    |owned: &mut OwnedWorkspace, span: Span, partial: &mut Partial, x: &Vector| {
                        let mut ws = owned.workspace().unwrap();
                        match block {
                            Block::Attention => attention_heads(
                                &model,
                                &mut ws,
                                layer,
                                span,
                                pos,
                                x.as_ref(),
                                partial.as_mut(),
                                &mut OpCounts::default(),
                            ),
                            Block::Ffn => ffn_units(
                                &model,
                                &mut ws,
                                layer,
                                span,
                                x.as_ref(),
                                partial.as_mut(),
                                &mut OpCounts::default(),
                            ),
                        }
                        .unwrap();
                    };
                let total = if precision.is_integer() {
                    // Independent partial sums, reduced from the last shard backwards.
                    let mut partials: Vec<Partial> = Vec::new();
                    for (owned, span) in shards {
                        let mut partial = Partial::zeros(precision, dim);
                        run(owned, span, &mut partial, &x);
                        partials.push(partial);
                    }
                    let mut total = partials.pop().unwrap();
                    while let Some(p) = partials.pop() {
                        reduce_partials(&model, total.as_mut(), p.as_ref(), counts).unwrap();
                    }
                    total
                } else {
                    // Running sums handed from shard to shard in order.
                    let mut partial = Partial::zeros(precision, dim);
                    for (owned, span) in shards {
                        run(owned, span, &mut partial, &x);
                    }
                    partial
                };
                add_partial(&model, layer, block, x.as_mut(), total.as_ref(), counts).unwrap();
            }
        }
        let mut logits = Vec::new();
        for (owned, span) in vocab_shards.iter_mut().zip(&vocab_spans) {
            let mut slice = Vector::zeros(precision, span.len() as usize);
            let mut ws = owned.workspace().unwrap();
            classify(&model, &mut ws, *span, x.as_ref(), slice.as_mut(), counts).unwrap();
            logits.push(slice);
        }
        all.push(concat(logits));
    }
    all
}

fn concat(parts: Vec<Vector>) -> Vector {
    let mut iter = parts.into_iter();
    let mut first = iter.next().unwrap();
    for part in iter {
        match (&mut first, part) {
            (Vector::Q16(a), Vector::Q16(b)) => a.extend(b),
            (Vector::F32(a), Vector::F32(b)) => a.extend(b),
            _ => panic!("mixed representations"),
        }
    }
    first
}

/// Logits of every position with the layers split into pipeline stages at `boundaries`.
fn pipeline_logits(bytes: &[u8], tokens: &[u32], boundaries: &[u32]) -> Vec<Vector> {
    let model = Model::parse(bytes).unwrap();
    let config = *model.config();
    let stages = spans(boundaries, config.shape.n_layers);
    let mut workspaces: Vec<_> = stages
        .iter()
        .map(|&layers| {
            OwnedWorkspace::new(
                &config,
                &Shard::pipeline_stage(&config, layers),
                config.shape.seq_len,
            )
            .unwrap()
        })
        .collect();
    let counts = &mut OpCounts::default();
    let mut all = Vec::new();
    for (pos, &token) in tokens.iter().enumerate() {
        let mut x = Vector::zeros(config.precision, config.shape.dim as usize);
        embed(&model, token, x.as_mut(), counts).unwrap();
        for (owned, &layers) in workspaces.iter_mut().zip(&stages) {
            let mut ws = owned.workspace().unwrap();
            run_layers(&model, &mut ws, layers, pos as u32, x.as_mut(), counts).unwrap();
        }
        let last = workspaces.last_mut().unwrap();
        let mut logits = Vector::zeros(config.precision, config.shape.vocab_size as usize);
        let vocab = Span::new(0, config.shape.vocab_size);
        classify(
            &model,
            &mut last.workspace().unwrap(),
            vocab,
            x.as_ref(),
            logits.as_mut(),
            counts,
        )
        .unwrap();
        all.push(logits);
    }
    all
}

fn bytes_of(logits: &[Vector]) -> Vec<Vec<u8>> {
    logits.iter().map(Vector::to_le_bytes).collect()
}

fn pattern_strategy() -> impl Strategy<Value = AttentionPattern> {
    prop_oneof![
        Just(AttentionPattern::Full),
        (1u32..5).prop_map(|window| AttentionPattern::SlidingWindow { window }),
        (1u32..4, 1u32..4).prop_map(|(stride, local)| AttentionPattern::Strided { stride, local }),
        (1u32..4, 1u32..3)
            .prop_map(|(window, dilation)| AttentionPattern::Dilated { window, dilation }),
        (0u32..3, 1u32..3, 0u32..3, any::<u64>()).prop_map(|(global, window, random, seed)| {
            AttentionPattern::BigBird {
                global,
                window,
                random,
                seed,
            }
        }),
    ]
}

fn precision_strategy() -> impl Strategy<Value = Precision> {
    prop_oneof![
        Just(Precision::F32),
        Just(Precision::Int8),
        Just(Precision::Int4),
        Just(Precision::Binary)
    ]
}

prop_compose! {
    fn config_strategy()(
        precision in precision_strategy(),
        attention in pattern_strategy(),
        n_kv_heads in 1u32..3,
        group in 1u32..3,
        half_head in 1u32..4,
        hidden_dim in 8u32..56,
        n_layers in 1u32..4,
        vocab_size in 3u32..40,
        shared_classifier in any::<bool>(),
    ) -> ModelConfig {
        let n_heads = n_kv_heads * group;
        ModelConfig { shape: ModelShape { dim: n_heads * 2 * half_head, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len: 8, shared_classifier }, precision, attention }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn every_partition_matches_the_unsplit_pass(
        config in config_strategy(),
        seed in any::<u64>(),
        tokens in prop::collection::vec(0u32..1000, 1..7),
        head_cuts in prop::collection::vec(0u32..8, 0..4),
        unit_cuts in prop::collection::vec(0u32..4, 0..3),
        vocab_cuts in prop::collection::vec(0u32..40, 0..4),
        pipeline_cuts in prop::collection::vec(0u32..4, 0..3),
    ) {
        let tokens: Vec<u32> = tokens.iter().map(|t| t % config.shape.vocab_size).collect();
        let bytes = synthetic_model(&config, seed).unwrap();
        let reference = bytes_of(&common::logits_for(&bytes, &tokens));
        let unit_cuts: Vec<u32> = unit_cuts
            .iter()
            .map(|&c| if config.precision.is_integer() { c * FFN_GROUP } else { c * 7 + 1 })
            .collect();
        let heads = head_cuts.iter().map(|c| c % config.shape.n_heads).collect();
        let vocab = vocab_cuts.iter().map(|c| c % config.shape.vocab_size).collect();
        let cuts = Cuts { heads, units: unit_cuts, vocab };
        prop_assert_eq!(&bytes_of(&tensor_parallel_logits(&bytes, &tokens, &cuts)), &reference);
        prop_assert_eq!(&bytes_of(&pipeline_logits(&bytes, &tokens, &pipeline_cuts)), &reference);
    }
}

/// Every number of head shards from 1 to n_heads, every pipeline boundary, vocabulary slices of
/// every size from 1 to 4 pieces, for each precision.
#[test]
fn every_shard_count_and_boundary_matches() {
    for precision in Precision::ALL {
        let mut config =
            common::tiny_config(precision, AttentionPattern::SlidingWindow { window: 3 });
        config.shape.hidden_dim = 64;
        config.shape.n_layers = 3;
        let bytes = synthetic_model(&config, 7).unwrap();
        let tokens = [3, 14, 15, 9, 26, 5];
        let reference = bytes_of(&common::logits_for(&bytes, &tokens));
        for shards in 1..=config.shape.n_heads {
            let step = config.shape.n_heads.div_ceil(shards);
            let heads: Vec<u32> = (1..shards).map(|i| i * step).collect();
            let units: Vec<u32> = (1..shards.min(4)).map(|i| i * FFN_GROUP).collect();
            let vocab: Vec<u32> = (1..shards)
                .map(|i| i * config.shape.vocab_size / shards)
                .collect();
            let cuts = Cuts {
                heads,
                units,
                vocab,
            };
            assert_eq!(
                bytes_of(&tensor_parallel_logits(&bytes, &tokens, &cuts)),
                reference,
                "{precision:?} with {shards} shards"
            );
        }
        for boundary in 0..=config.shape.n_layers {
            assert_eq!(
                bytes_of(&pipeline_logits(&bytes, &tokens, &[boundary])),
                reference,
                "{precision:?} split at layer {boundary}"
            );
        }
        let every_layer: Vec<u32> = (1..config.shape.n_layers).collect();
        assert_eq!(
            bytes_of(&pipeline_logits(&bytes, &tokens, &every_layer)),
            reference
        );
    }
}
