//! Tests of llama2.c checkpoint import: crafted checkpoints always, the real `stories260K.bin`
//! when `RUVSIM_MODEL_DIR` names the model directory.

use super::*;
use crate::model_dir;
use std::prelude::rust_2021::*;

/// A small checkpoint whose weights are all distinct, deterministic values.
fn crafted(shared_classifier: bool) -> Checkpoint {
    let (dim, hidden, layers, heads, kv_heads, vocab, seq) =
        (8u32, 12u32, 2u32, 2u32, 1u32, 5u32, 4u32);
    let kv_dim = dim * kv_heads / heads;
    let mut counter = 0u32;
    let mut tensor = |elements: u32| -> Vec<f32> {
        (0..elements)
            .map(|_| {
                counter += 1;
                counter as f32 * 0.001 - 0.5
            })
            .collect()
    };
    let weights = F32Weights {
        token_embedding: tensor(vocab * dim),
        rms_att: tensor(layers * dim),
        wq: tensor(layers * dim * dim),
        wk: tensor(layers * kv_dim * dim),
        wv: tensor(layers * kv_dim * dim),
        wo: tensor(layers * dim * dim),
        rms_ffn: tensor(layers * dim),
        w1: tensor(layers * hidden * dim),
        w2: tensor(layers * dim * hidden),
        w3: tensor(layers * hidden * dim),
        rms_final: tensor(dim),
        wcls: (!shared_classifier).then(|| tensor(vocab * dim)),
    };
    Checkpoint {
        shape: ModelShape {
            dim,
            hidden_dim: hidden,
            n_layers: layers,
            n_heads: heads,
            n_kv_heads: kv_heads,
            vocab_size: vocab,
            seq_len: seq,
            shared_classifier,
        },
        weights,
    }
}

/// Overwrites header field `index` of a serialised checkpoint.
fn with_header_field(mut bytes: Vec<u8>, index: usize, value: i32) -> Vec<u8> {
    bytes[4 * index..4 * index + 4].copy_from_slice(&value.to_le_bytes());
    bytes
}

#[test]
fn crafted_checkpoints_round_trip() {
    for shared in [true, false] {
        let checkpoint = crafted(shared);
        let bytes = checkpoint.to_bytes().unwrap();
        assert_eq!(
            Checkpoint::parse(&bytes).unwrap(),
            checkpoint,
            "shared={shared}"
        );
        let vocab_field = i32::from_le_bytes(bytes[20..24].try_into().unwrap());
        assert_eq!(vocab_field, if shared { 5 } else { -5 });
    }
}

#[test]
fn config_carries_the_header_and_requested_precision() {
    let config = crafted(false).config(Precision::Int4);
    assert_eq!(
        (
            config.shape.dim,
            config.shape.hidden_dim,
            config.shape.n_layers,
            config.shape.n_heads,
            config.shape.n_kv_heads
        ),
        (8, 12, 2, 2, 1)
    );
    assert_eq!((config.shape.vocab_size, config.shape.seq_len), (5, 4));
    assert!(!config.shape.shared_classifier);
    assert_eq!(config.precision, Precision::Int4);
    assert_eq!(config.attention, AttentionPattern::Full);
}

#[test]
fn every_truncation_is_an_error_naming_the_tensor() {
    for shared in [true, false] {
        let bytes = crafted(shared).to_bytes().unwrap();
        // Where each tensor ends, computed from the element counts written by `crafted`.
        let (dim, hidden, layers, kv_dim, vocab, rope) = (8, 12, 2, 4, 5, 4 * 2);
        let elements = [
            vocab * dim,
            layers * dim,
            layers * dim * dim,
            layers * kv_dim * dim,
            layers * kv_dim * dim,
            layers * dim * dim,
            layers * dim,
            layers * hidden * dim,
            layers * dim * hidden,
            layers * hidden * dim,
            dim,
            rope,
            rope,
            if shared { 0 } else { vocab * dim },
        ];
        let mut ends = Vec::new();
        let mut end = HEADER_BYTES;
        for count in elements {
            end += 4 * count;
            ends.push(end);
        }
        assert_eq!(end, bytes.len());
        for len in 0..bytes.len() {
            let err = Checkpoint::parse(&bytes[..len]).unwrap_err();
            if len < HEADER_BYTES {
                assert_eq!(err, Llama2cError::TooShortForHeader { actual_bytes: len });
                continue;
            }
            let index = ends.iter().position(|&end| end > len).unwrap();
            assert_eq!(
                err,
                Llama2cError::Truncated {
                    tensor: TENSOR_ORDER[index],
                    expected_bytes: bytes.len() as u64,
                    actual_bytes: len,
                },
                "len {len}"
            );
        }
    }
}

#[test]
fn truncation_message_names_tensor_and_sizes() {
    let bytes = crafted(false).to_bytes().unwrap();
    let message = Checkpoint::parse(&bytes[..bytes.len() - 1])
        .unwrap_err()
        .to_string();
    assert!(message.contains("wcls"), "{message}");
    assert!(message.contains(&bytes.len().to_string()), "{message}");
    assert!(
        message.contains(&(bytes.len() - 1).to_string()),
        "{message}"
    );
}

#[test]
fn trailing_bytes_are_rejected() {
    let mut bytes = crafted(true).to_bytes().unwrap();
    let expected_bytes = bytes.len() as u64;
    bytes.extend_from_slice(&[0, 0, 0]);
    let err = Checkpoint::parse(&bytes).unwrap_err();
    assert_eq!(
        err,
        Llama2cError::TrailingBytes {
            expected_bytes,
            actual_bytes: bytes.len()
        }
    );
    assert!(err.to_string().contains("3 trailing bytes"), "{err}");
}

#[test]
fn bad_header_values_are_rejected() {
    let good = crafted(true).to_bytes().unwrap();
    let cases = [
        (
            0,
            0,
            Llama2cError::NonPositive {
                field: "dim",
                value: 0,
            },
        ),
        (
            1,
            -12,
            Llama2cError::NonPositive {
                field: "hidden_dim",
                value: -12,
            },
        ),
        (
            2,
            0,
            Llama2cError::NonPositive {
                field: "n_layers",
                value: 0,
            },
        ),
        (
            3,
            -2,
            Llama2cError::NonPositive {
                field: "n_heads",
                value: -2,
            },
        ),
        (
            4,
            0,
            Llama2cError::NonPositive {
                field: "n_kv_heads",
                value: 0,
            },
        ),
        (
            5,
            0,
            Llama2cError::NonPositive {
                field: "vocab_size",
                value: 0,
            },
        ),
        (
            6,
            i32::MIN,
            Llama2cError::NonPositive {
                field: "seq_len",
                value: i64::from(i32::MIN),
            },
        ),
        (
            3,
            3,
            Llama2cError::Shape(ConfigError::DimNotDivisibleByHeads { dim: 8, n_heads: 3 }),
        ),
        (
            4,
            3,
            Llama2cError::Shape(ConfigError::HeadsNotDivisibleByKvHeads {
                n_heads: 2,
                n_kv_heads: 3,
            }),
        ),
        (
            3,
            8,
            Llama2cError::Shape(ConfigError::OddHeadSize { head_size: 1 }),
        ),
    ];
    for (index, value, expected) in cases {
        let err = Checkpoint::parse(&with_header_field(good.clone(), index, value)).unwrap_err();
        assert_eq!(err, expected, "field {index} = {value}");
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn negative_vocab_size_on_a_shared_file_expects_a_classifier() {
    let bytes = with_header_field(crafted(true).to_bytes().unwrap(), 5, -5);
    let err = Checkpoint::parse(&bytes).unwrap_err();
    assert!(
        matches!(err, Llama2cError::Truncated { tensor: "wcls", .. }),
        "{err}"
    );
}

#[test]
fn enormous_shapes_fail_without_allocating() {
    let header = |dim: i32, layers: i32| -> Vec<u8> {
        [dim, dim, layers, 2, 1, 32_000, 1 << 20]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect()
    };
    // Large but representable: the file is simply far too short.
    let err = Checkpoint::parse(&header(1 << 20, 1 << 10)).unwrap_err();
    assert!(
        matches!(
            err,
            Llama2cError::Truncated {
                tensor: "token_embedding",
                ..
            }
        ),
        "{err}"
    );
    // Beyond 2^64 bytes.
    let err = Checkpoint::parse(&header(1 << 30, i32::MAX)).unwrap_err();
    assert_eq!(err, Llama2cError::ShapeTooLarge);
}

#[test]
fn writing_checks_tensor_lengths_against_the_header() {
    let mut checkpoint = crafted(true);
    checkpoint.weights.w2.pop();
    let err = checkpoint.to_bytes().unwrap_err();
    assert_eq!(
        err,
        Llama2cError::WrongTensorLength {
            tensor: "w2",
            expected: 192,
            actual: 191
        }
    );

    let mut checkpoint = crafted(true);
    checkpoint.shape.shared_classifier = false;
    assert!(matches!(
        checkpoint.to_bytes(),
        Err(Llama2cError::WrongTensorLength {
            tensor: "wcls",
            expected: 40,
            actual: 0
        })
    ));

    let mut checkpoint = crafted(true);
    checkpoint.shape.dim = 6;
    assert_eq!(
        checkpoint.to_bytes(),
        Err(Llama2cError::Shape(ConfigError::OddHeadSize {
            head_size: 3
        }))
    );
}

#[test]
fn stories260k_parses_with_the_published_shape() {
    let Some(path) = model_dir::locate_file("stories260K.bin").unwrap() else {
        return;
    };
    let bytes = std::fs::read(&path).unwrap();
    let checkpoint = Checkpoint::parse(&bytes).unwrap();
    let config = checkpoint.config(Precision::F32);
    assert_eq!(
        (
            config.shape.dim,
            config.shape.hidden_dim,
            config.shape.n_layers,
            config.shape.n_heads,
            config.shape.n_kv_heads
        ),
        (64, 172, 5, 8, 4)
    );
    assert_eq!((config.shape.vocab_size, config.shape.seq_len), (512, 512));
    assert!(config.shape.shared_classifier);
    assert!(checkpoint.weights.wcls.is_none());
    assert_eq!(checkpoint.weights.wk.len(), 5 * 32 * 64);
    assert!(checkpoint.weights.w2.iter().all(|w| w.is_finite()));

    // Re-serialising reproduces every byte except the legacy RoPE tables, which are recomputed
    // and agree with the exporter's to within f32 rounding of the angles.
    let written = checkpoint.to_bytes().unwrap();
    assert_eq!(written.len(), bytes.len());
    let rope_bytes = 2 * 512 * 4 * 4;
    let rope_start = bytes.len() - rope_bytes;
    assert_eq!(written[..rope_start], bytes[..rope_start]);
    let max_difference = read_f32s(&written[rope_start..])
        .iter()
        .zip(read_f32s(&bytes[rope_start..]))
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        max_difference < 1e-4,
        "RoPE tables differ by {max_difference}"
    );
}
