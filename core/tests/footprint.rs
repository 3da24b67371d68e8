//! Memory footprints agree with the model file and the workspace sizes.

mod common;

use ruvsim_core::ModelShape;
use ruvsim_core::{
    footprint, synthetic_model, AttentionPattern, BufferSizes, Model, ModelConfig, Precision,
    Shard, Span, TensorKind,
};

fn stories(precision: Precision, shared_classifier: bool) -> ModelConfig {
    ModelConfig {
        shape: ModelShape {
            dim: 64,
            hidden_dim: 172,
            n_layers: 5,
            n_heads: 8,
            n_kv_heads: 4,
            vocab_size: 512,
            seq_len: 512,
            shared_classifier,
        },
        precision,
        attention: AttentionPattern::Full,
    }
}

#[test]
fn whole_model_weights_are_the_file_tensors() {
    for precision in Precision::ALL {
        for shared in [true, false] {
            let config = stories(precision, shared);
            let bytes = synthetic_model(&config, 1).unwrap();
            let model = Model::parse(&bytes).unwrap();
            let file: u64 = TensorKind::ALL
                .iter()
                .filter_map(|&k| model.tensor_bytes(k))
                .sum();
            let whole = footprint(&config, &Shard::whole(&config), 256).unwrap();
            assert_eq!(whole.weight_bytes, file, "{precision:?} shared {shared}");
        }
    }
}

#[test]
fn pipeline_stages_hold_the_model_once_plus_what_they_share() {
    for precision in Precision::ALL {
        let config = stories(precision, true);
        let whole = footprint(&config, &Shard::whole(&config), 256).unwrap();
        let stages = [Span::new(0, 2), Span::new(2, 4), Span::new(4, 5)];
        let sum: u64 = stages
            .iter()
            .map(|&layers| {
                let shard = Shard::pipeline_stage(&config, layers);
                footprint(&config, &shard, 256).unwrap().weight_bytes
            })
            .sum();
        // The last stage keeps its own copy of the shared classifier (the embedding), and every
        // stage with attention keeps the rotary table.
        let embedding = footprint(
            &config,
            &Shard {
                embedding: true,
                layers: Span::default(),
                heads: Span::default(),
                ffn_units: Span::default(),
                vocab: Span::default(),
            },
            256,
        )
        .unwrap()
        .weight_bytes;
        let rope = if precision.is_integer() { 8 * 4 } else { 0 };
        assert_eq!(
            sum,
            whole.weight_bytes + embedding + 2 * rope,
            "{precision:?}"
        );
    }
}

#[test]
fn kv_cache_and_scratch_match_the_workspace_sizes() {
    let config = stories(Precision::Int8, true);
    let shard = Shard::whole(&config);
    let print = footprint(&config, &shard, 256).unwrap();
    // 5 layers x 256 positions x 4 KV heads x (8 key + 8 value bytes + two 4-byte steps).
    assert_eq!(print.kv_bytes, 5 * 256 * 4 * (16 + 8));
    assert_eq!(
        print.kv_bytes + print.scratch_bytes,
        BufferSizes::for_shard(&config, &shard, 256).bytes()
    );
    let f32_print = footprint(&stories(Precision::F32, true), &shard, 256).unwrap();
    assert_eq!(f32_print.kv_bytes, 5 * 256 * 4 * 2 * 8 * 4);
    let windowed = ModelConfig {
        attention: AttentionPattern::SlidingWindow { window: 32 },
        ..config
    };
    assert_eq!(
        footprint(&windowed, &shard, 256).unwrap().kv_bytes,
        5 * 32 * 4 * (16 + 8)
    );
}

#[test]
fn head_shards_split_the_attention_weights() {
    let config = stories(Precision::Int4, true);
    let heads = |start, end| Shard {
        embedding: false,
        layers: Span::new(0, 5),
        heads: Span::new(start, end),
        ffn_units: Span::default(),
        vocab: Span::default(),
    };
    let all = footprint(&config, &heads(0, 8), 64).unwrap();
    let halves: Vec<_> = [heads(0, 4), heads(4, 8)]
        .iter()
        .map(|s| footprint(&config, s, 64).unwrap())
        .collect();
    // Norm weights, wo scales and the rotary table are replicated; everything else splits.
    let replicated = 5 * (64 * 4 + 64 * 4) + 8 * 4;
    assert_eq!(
        halves[0].weight_bytes + halves[1].weight_bytes,
        all.weight_bytes + replicated
    );
    assert_eq!(halves[0].kv_bytes + halves[1].kv_bytes, all.kv_bytes);
    assert!(footprint(&config, &heads(3, 9), 64).is_err());
}
