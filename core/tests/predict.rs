//! `predict` equals the counts the kernels record, for every operation kind, precision,
//! attention pattern and position.

mod common;

use ruvsim_core::{
    add_partial, attention_heads, classify, embed, ffn_units, forward, predict, reduce_partials,
    run_layers, synthetic_model, AttentionPattern, Block, Model, Op, OpCounts, OwnedWorkspace,
    Partial, Precision, Sampler, SamplerConfig, Shard, Span, Vector,
};

const PATTERNS: [AttentionPattern; 5] = [
    AttentionPattern::Full,
    AttentionPattern::SlidingWindow { window: 4 },
    AttentionPattern::Strided {
        stride: 3,
        local: 2,
    },
    AttentionPattern::Dilated {
        window: 3,
        dilation: 2,
    },
    AttentionPattern::BigBird {
        global: 2,
        window: 2,
        random: 3,
        seed: 11,
    },
];

const SAMPLERS: [SamplerConfig; 4] = [
    SamplerConfig::GREEDY,
    SamplerConfig {
        temperature_q16: 52_429,
        top_k: 0,
        top_p_q16: 1 << 16,
    },
    SamplerConfig {
        temperature_q16: 1 << 16,
        top_k: 5,
        top_p_q16: 1 << 16,
    },
    SamplerConfig {
        temperature_q16: 1 << 16,
        top_k: 8,
        top_p_q16: 58_982,
    },
];

/// Runs `f` with fresh counts and returns them.
fn counted(f: impl FnOnce(&mut OpCounts)) -> OpCounts {
    let mut counts = OpCounts::default();
    f(&mut counts);
    counts
}

#[test]
fn predict_equals_counted_for_every_operation() {
    let mut checked = 0;
    for precision in Precision::ALL {
        for pattern in PATTERNS {
            let mut config = common::tiny_config(precision, pattern);
            config.shape.hidden_dim = 40;
            let bytes = synthetic_model(&config, 3).unwrap();
            let model = Model::parse(&bytes).unwrap();
            let mut owned = OwnedWorkspace::new(&config, &Shard::whole(&config), 12).unwrap();
            let mut x = Vector::zeros(precision, config.shape.dim as usize);
            let mut logits = Vector::zeros(precision, config.shape.vocab_size as usize);
            let heads = [Span::new(0, 4), Span::new(1, 3), Span::new(3, 4)];
            let units = if precision.is_integer() {
                [Span::new(0, 40), Span::new(16, 40), Span::new(0, 16)]
            } else {
                [Span::new(0, 40), Span::new(5, 33), Span::new(39, 40)]
            };
            let vocab = [Span::new(0, 64), Span::new(10, 17)];
            for pos in 0..12u32 {
                let token = (pos * 7 + 1) % config.shape.vocab_size;
                let mut check = |op: Op, counts: OpCounts| {
                    assert_eq!(
                        counts,
                        predict(&config, &op, pos).unwrap(),
                        "{precision:?} {pattern:?} pos {pos} {op:?}"
                    );
                    checked += 1;
                };
                let mut scratch = Vector::zeros(precision, config.shape.dim as usize);
                check(
                    Op::Embed,
                    counted(|c| embed(&model, token, scratch.as_mut(), c).unwrap()),
                );
                for layer in 0..config.shape.n_layers {
                    for span in heads {
                        let mut ws = owned.workspace().unwrap();
                        let mut partial = Partial::zeros(precision, config.shape.dim as usize);
                        let counts = counted(|c| {
                            attention_heads(
                                &model,
                                &mut ws,
                                layer,
                                span,
                                pos,
                                scratch.as_ref(),
                                partial.as_mut(),
                                c,
                            )
                            .unwrap()
                        });
                        check(Op::AttentionHeads { layer, heads: span }, counts);
                    }
                    for span in units {
                        let mut ws = owned.workspace().unwrap();
                        let mut partial = Partial::zeros(precision, config.shape.dim as usize);
                        let counts = counted(|c| {
                            ffn_units(
                                &model,
                                &mut ws,
                                layer,
                                span,
                                scratch.as_ref(),
                                partial.as_mut(),
                                c,
                            )
                            .unwrap()
                        });
                        check(Op::FfnUnits { layer, units: span }, counts);
                    }
                    let zero = Partial::zeros(precision, config.shape.dim as usize);
                    let mut total = Partial::zeros(precision, config.shape.dim as usize);
                    let counts = counted(|c| {
                        reduce_partials(&model, total.as_mut(), zero.as_ref(), c).unwrap()
                    });
                    check(Op::ReducePartials, counts);
                    for block in [Block::Attention, Block::Ffn] {
                        let counts = counted(|c| {
                            add_partial(&model, layer, block, scratch.as_mut(), zero.as_ref(), c)
                                .unwrap()
                        });
                        check(Op::AddPartial { layer, block }, counts);
                    }
                }
                let all_layers = Span::new(0, config.shape.n_layers);
                let counts = counted(|c| {
                    let mut ws = owned.workspace().unwrap();
                    run_layers(&model, &mut ws, all_layers, pos, scratch.as_mut(), c).unwrap()
                });
                check(Op::Layers { layers: all_layers }, counts);
                for span in vocab {
                    let mut out = Vector::zeros(precision, span.len() as usize);
                    let counts = counted(|c| {
                        let mut ws = owned.workspace().unwrap();
                        classify(&model, &mut ws, span, x.as_ref(), out.as_mut(), c).unwrap()
                    });
                    check(Op::Classify { vocab: span }, counts);
                }
                // The real step (restores the cache entries the probes above overwrote).
                let whole = counted(|c| {
                    let mut ws = owned.workspace().unwrap();
                    forward(&model, &mut ws, token, pos, x.as_mut(), logits.as_mut(), c).unwrap()
                });
                let expected = [
                    Op::Embed,
                    Op::Layers { layers: all_layers },
                    Op::Classify {
                        vocab: Span::new(0, config.shape.vocab_size),
                    },
                ]
                .iter()
                .map(|op| predict(&config, op, pos).unwrap())
                .fold(OpCounts::default(), |a, b| a + b);
                assert_eq!(
                    whole, expected,
                    "{precision:?} {pattern:?} forward at {pos}"
                );
                for (i, sampler) in SAMPLERS.into_iter().enumerate() {
                    let mut s = Sampler::new(sampler, i as u64);
                    let counts = counted(|c| {
                        s.sample(logits.as_ref(), c).unwrap();
                    });
                    check(Op::Sample(sampler), counts);
                }
            }
        }
    }
    println!("{checked} operation counts checked");
}

#[test]
fn counts_depend_on_the_pattern_and_position() {
    let config = common::tiny_config(Precision::Int8, AttentionPattern::Full);
    let op = Op::AttentionHeads {
        layer: 0,
        heads: Span::new(0, 4),
    };
    let early = predict(&config, &op, 3).unwrap();
    let late = predict(&config, &op, 20).unwrap();
    assert_eq!(late.attn_mac - early.attn_mac, 4 * 2 * 17 * 8);
    let windowed = ruvsim_core::ModelConfig {
        attention: AttentionPattern::SlidingWindow { window: 4 },
        ..config
    };
    assert_eq!(
        predict(&windowed, &op, 20).unwrap().attn_mac,
        predict(&windowed, &op, 3).unwrap().attn_mac
    );
}
