//! Bad requests to the forward pass are refused with the error that names them.

mod common;

use ruvsim_core::{
    attention_heads, embed, ffn_units, forward, synthetic_model, AttentionPattern, BufferSizes,
    Buffers, ExecError, Model, OpCounts, OwnedWorkspace, Partial, Precision, Shard, Span, Vector,
    Workspace,
};

#[test]
fn refusals_name_the_problem() {
    let config = common::tiny_config(Precision::Int8, AttentionPattern::Full);
    let bytes = synthetic_model(&config, 5).unwrap();
    let model = Model::parse(&bytes).unwrap();
    let counts = &mut OpCounts::default();
    let mut x = Vector::zeros(Precision::Int8, 32);
    assert_eq!(
        embed(&model, 64, x.as_mut(), counts).unwrap_err(),
        ExecError::Token {
            token: 64,
            vocab_size: 64
        }
    );
    let mut float = Vector::zeros(Precision::F32, 32);
    assert!(matches!(
        embed(&model, 1, float.as_mut(), counts).unwrap_err(),
        ExecError::Representation { .. }
    ));
    let mut short = Vector::zeros(Precision::Int8, 31);
    assert!(matches!(
        embed(&model, 1, short.as_mut(), counts).unwrap_err(),
        ExecError::Length {
            expected: 32,
            found: 31,
            ..
        }
    ));

    let half = Shard {
        embedding: false,
        layers: Span::new(0, 2),
        heads: Span::new(0, 2),
        ffn_units: Span::new(0, 16),
        vocab: Span::default(),
    };
    let mut owned = OwnedWorkspace::new(&config, &half, 8).unwrap();
    let mut ws = owned.workspace().unwrap();
    let mut partial = Partial::zeros(Precision::Int8, 32);
    assert!(matches!(
        attention_heads(
            &model,
            &mut ws,
            0,
            Span::new(1, 3),
            0,
            x.as_ref(),
            partial.as_mut(),
            counts
        )
        .unwrap_err(),
        ExecError::NotInShard { what: "heads", .. }
    ));
    assert_eq!(
        attention_heads(
            &model,
            &mut ws,
            0,
            Span::new(0, 2),
            8,
            x.as_ref(),
            partial.as_mut(),
            counts
        )
        .unwrap_err(),
        ExecError::Position {
            pos: 8,
            context_len: 8
        }
    );
    assert!(matches!(
        ffn_units(
            &model,
            &mut ws,
            2,
            Span::new(0, 16),
            x.as_ref(),
            partial.as_mut(),
            counts
        )
        .unwrap_err(),
        ExecError::NotInShard { what: "layer", .. }
    ));
    let mut logits = Vector::zeros(Precision::Int8, 64);
    assert!(matches!(
        forward(&model, &mut ws, 1, 0, x.as_mut(), logits.as_mut(), counts).unwrap_err(),
        ExecError::NotInShard {
            what: "embedding",
            ..
        }
    ));
    let unaligned = Shard {
        ffn_units: Span::new(0, 10),
        ..half
    };
    assert_eq!(
        OwnedWorkspace::new(&config, &unaligned, 8).unwrap_err(),
        ExecError::UnalignedUnits {
            start: 0,
            end: 10,
            group: 16
        }
    );
    assert!(matches!(
        OwnedWorkspace::new(&config, &Shard::whole(&config), 33).unwrap_err(),
        ExecError::ContextLength { .. }
    ));
}

#[test]
fn caller_buffers_must_be_large_enough() {
    let config = common::tiny_config(Precision::Binary, AttentionPattern::Full);
    let shard = Shard::whole(&config);
    let sizes = BufferSizes::for_shard(&config, &shard, 8);
    let mut i8s = vec![0i8; sizes.i8s];
    let mut i32s = vec![0i32; sizes.i32s];
    let mut i64s = vec![0i64; sizes.i64s];
    let mut u32s = vec![0u32; sizes.u32s - 1];
    let mut f32s = vec![0f32; sizes.f32s];
    let buffers = Buffers {
        i8s: &mut i8s,
        i32s: &mut i32s,
        i64s: &mut i64s,
        u32s: &mut u32s,
        f32s: &mut f32s,
    };
    assert_eq!(
        Workspace::new(&config, &shard, 8, buffers).unwrap_err(),
        ExecError::Length {
            what: "u32 buffer",
            expected: sizes.u32s,
            found: sizes.u32s - 1
        }
    );
}

#[test]
fn caller_buffers_of_exact_size_run_the_model() {
    let config = common::tiny_config(
        Precision::Int4,
        AttentionPattern::Strided {
            stride: 2,
            local: 2,
        },
    );
    let bytes = synthetic_model(&config, 8).unwrap();
    let model = Model::parse(&bytes).unwrap();
    let shard = Shard::whole(&config);
    let sizes = BufferSizes::for_shard(&config, &shard, 6);
    let mut i8s = vec![0i8; sizes.i8s];
    let mut i32s = vec![0i32; sizes.i32s];
    let mut i64s = vec![0i64; sizes.i64s];
    let mut u32s = vec![0u32; sizes.u32s];
    let mut f32s = vec![0f32; sizes.f32s];
    let mut ws = Workspace::new(
        &config,
        &shard,
        6,
        Buffers {
            i8s: &mut i8s,
            i32s: &mut i32s,
            i64s: &mut i64s,
            u32s: &mut u32s,
            f32s: &mut f32s,
        },
    )
    .unwrap();
    let mut x = Vector::zeros(config.precision, 32);
    let mut logits = Vector::zeros(config.precision, 64);
    let mut borrowed = Vec::new();
    for pos in 0..6 {
        forward(
            &model,
            &mut ws,
            pos + 3,
            pos,
            x.as_mut(),
            logits.as_mut(),
            &mut OpCounts::default(),
        )
        .unwrap();
        borrowed.push(logits.to_le_bytes());
    }
    let owned: Vec<_> = common::logits_for(&bytes, &[3, 4, 5, 6, 7, 8])
        .iter()
        .map(Vector::to_le_bytes)
        .collect();
    assert_eq!(borrowed, owned);
}
