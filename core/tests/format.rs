//! The model format: round trips, and rejection of every kind of malformed file with the error
//! that names it — truncation at every length, every bit of the header and tensor table flipped,
//! random payload bits flipped, and each structural check reached behind valid checksums.

mod common;

use proptest::prelude::*;
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use ruvsim_core::format::{align_up, DType, TensorKind, ENTRY_LEN, HEADER_LEN};
use ruvsim_core::writer::rewrite_checksums;
use ruvsim_core::{
    forward, synthetic_model, AttentionPattern, FormatError, Model, OpCounts, OwnedWorkspace,
    Precision, Shard, Vector,
};

fn small_model(precision: Precision) -> Vec<u8> {
    let config = common::tiny_config(
        precision,
        AttentionPattern::BigBird {
            global: 1,
            window: 2,
            random: 1,
            seed: 5,
        },
    );
    synthetic_model(&config, 9).unwrap()
}

fn payload_start(bytes: &[u8]) -> usize {
    let count = u32::from_le_bytes(bytes[80..84].try_into().unwrap()) as usize;
    align_up((HEADER_LEN + count * ENTRY_LEN) as u64) as usize
}

fn put_u32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

fn put_u64(bytes: &mut [u8], at: usize, value: u64) {
    bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

fn get_u64(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
}

fn entry(index: usize) -> usize {
    HEADER_LEN + index * ENTRY_LEN
}

/// Applies `edit`, fixes both checksums, and parses.
fn parse_edited(original: &[u8], edit: impl FnOnce(&mut Vec<u8>)) -> Result<(), FormatError> {
    let mut bytes = original.to_vec();
    edit(&mut bytes);
    rewrite_checksums(&mut bytes);
    Model::parse(&bytes).map(|_| ())
}

#[test]
fn round_trip_every_precision() {
    for precision in Precision::ALL {
        let config = common::tiny_config(
            precision,
            AttentionPattern::Dilated {
                window: 3,
                dilation: 2,
            },
        );
        let bytes = synthetic_model(&config, 1).unwrap();
        let model = Model::parse(&bytes).unwrap();
        assert_eq!(*model.config(), config);
        let tensors = TensorKind::ALL
            .iter()
            .filter(|k| model.tensor_bytes(**k).is_some())
            .count();
        assert_eq!(tensors, if precision.is_integer() { 12 } else { 11 });
        assert_eq!(
            synthetic_model(&config, 1).unwrap(),
            bytes,
            "writer is deterministic"
        );
    }
}

#[test]
fn every_truncation_is_reported_as_truncated() {
    for precision in Precision::ALL {
        let bytes = small_model(precision);
        for len in 0..bytes.len() {
            match Model::parse(&bytes[..len]) {
                Err(FormatError::Truncated { needed, actual, .. }) => {
                    assert_eq!(actual, len as u64);
                    assert!(needed > actual);
                }
                other => panic!("{precision:?} truncated to {len}: {other:?}"),
            }
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            Model::parse(&longer).unwrap_err(),
            FormatError::TrailingBytes { extra: 1 }
        );
    }
}

#[test]
fn every_header_and_table_bit_flip_is_rejected() {
    let mut flips = 0;
    for precision in Precision::ALL {
        let bytes = small_model(precision);
        for bit in 0..8 * payload_start(&bytes) {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            let error = Model::parse(&flipped).expect_err("a flipped header bit must be rejected");
            let byte = bit / 8;
            match error {
                FormatError::BadMagic => assert!(byte < 8),
                FormatError::UnsupportedVersion(_) => assert!((8..12).contains(&byte)),
                FormatError::HeaderChecksum { .. } => assert!(byte >= 12),
                // A flipped tensor count can make the table reach past the file or beyond the
                // number of tensor kinds.
                FormatError::Truncated { .. } | FormatError::TooManyTensors(_) => {
                    assert!((80..84).contains(&byte))
                }
                other => panic!("byte {byte}: unexpected {other:?}"),
            }
            flips += 1;
        }
    }
    assert!(flips > 20_000, "{flips} flips");
}

#[test]
fn random_payload_bit_flips_fail_the_payload_checksum() {
    let mut rng = ChaCha8Rng::seed_from_u64(77);
    for precision in Precision::ALL {
        let bytes = small_model(precision);
        let start = payload_start(&bytes);
        for _ in 0..1000 {
            let bit = start * 8 + (rng.next_u64() % ((bytes.len() - start) as u64 * 8)) as usize;
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(matches!(
                Model::parse(&flipped),
                Err(FormatError::PayloadChecksum { .. })
            ));
        }
    }
}

/// A deliberate edit of a model file.
type Edit = Box<dyn Fn(&mut Vec<u8>)>;
/// What the parser must say about the edited file.
type Expectation = Box<dyn Fn(FormatError) -> bool>;

#[test]
fn structural_errors_behind_valid_checksums() {
    let bytes = small_model(Precision::Int8);
    assert!(parse_edited(&bytes, |_| {}).is_ok());
    let e0 = entry(0);
    let e1 = entry(1);
    let cases: Vec<(&str, Edit, Expectation)> = vec![
        (
            "unknown precision",
            Box::new(|b| put_u32(b, 48, 9)),
            Box::new(|e| e == FormatError::UnknownPrecision(9)),
        ),
        (
            "unknown attention",
            Box::new(|b| put_u32(b, 52, 7)),
            Box::new(|e| e == FormatError::UnknownAttention(7)),
        ),
        (
            "unused attention parameter",
            Box::new(|b| {
                put_u32(b, 52, 0);
            }),
            Box::new(|e| e == FormatError::UnknownAttention(0)),
        ),
        (
            "unknown flag",
            Box::new(|b| put_u32(b, 44, 3)),
            Box::new(|e| e == FormatError::UnknownFlags(3)),
        ),
        (
            "reserved field",
            Box::new(|b| put_u32(b, 84, 1)),
            Box::new(|e| e == FormatError::Reserved { offset: 84 }),
        ),
        (
            "invalid config",
            Box::new(|b| put_u32(b, 28, 3)),
            Box::new(|e| matches!(e, FormatError::Config(_))),
        ),
        (
            "payload offset",
            Box::new(|b| {
                let v = get_u64(b, 88);
                put_u64(b, 88, v + 16)
            }),
            Box::new(|e| matches!(e, FormatError::PayloadOffset { .. })),
        ),
        (
            "unknown tensor name",
            Box::new(move |b| b[e0] = b'X'),
            Box::new(|e| e == FormatError::UnknownTensor { index: 0 }),
        ),
        (
            "unexpected classifier",
            Box::new(move |b| {
                b[e1..e1 + 16].fill(0);
                b[e1..e1 + 4].copy_from_slice(b"wcls");
            }),
            Box::new(|e| e == FormatError::UnexpectedTensor(TensorKind::Wcls)),
        ),
        (
            "unknown dtype",
            Box::new(move |b| b[e0 + 16] = 99),
            Box::new(|e| matches!(e, FormatError::UnknownDType { code: 99, .. })),
        ),
        (
            "wrong dtype",
            Box::new(move |b| b[e0 + 16] = DType::Int4.code()),
            Box::new(|e| {
                matches!(
                    e,
                    FormatError::WrongDType {
                        tensor: TensorKind::TokenEmbedding,
                        ..
                    }
                )
            }),
        ),
        (
            "shape",
            Box::new(move |b| put_u32(b, e0 + 20, 65)),
            Box::new(|e| {
                matches!(
                    e,
                    FormatError::ShapeMismatch {
                        tensor: TensorKind::TokenEmbedding,
                        ..
                    }
                )
            }),
        ),
        (
            "rank",
            Box::new(move |b| b[e0 + 17] = 3),
            Box::new(|e| matches!(e, FormatError::ShapeMismatch { .. })),
        ),
        (
            "data length",
            Box::new(move |b| {
                let v = get_u64(b, e0 + 40);
                put_u64(b, e0 + 40, v - 1)
            }),
            Box::new(|e| matches!(e, FormatError::LengthMismatch { region: "data", .. })),
        ),
        (
            "scale length",
            Box::new(move |b| {
                let v = get_u64(b, e0 + 56);
                put_u64(b, e0 + 56, v + 4)
            }),
            Box::new(|e| {
                matches!(
                    e,
                    FormatError::LengthMismatch {
                        region: "scales",
                        ..
                    }
                )
            }),
        ),
        (
            "scale shift",
            Box::new(move |b| b[e0 + 18] = 63),
            Box::new(|e| matches!(e, FormatError::ScaleShift { shift: 63, .. })),
        ),
        (
            "shift on a norm",
            Box::new(move |b| b[e1 + 18] = 1),
            Box::new(|e| {
                matches!(
                    e,
                    FormatError::ScaleShift {
                        tensor: TensorKind::RmsAtt,
                        ..
                    }
                )
            }),
        ),
        (
            "reserved entry byte",
            Box::new(move |b| b[e0 + 19] = 1),
            Box::new(|e| matches!(e, FormatError::Reserved { .. })),
        ),
        (
            "misaligned",
            Box::new(move |b| {
                let v = get_u64(b, e0 + 32);
                put_u64(b, e0 + 32, v + 4)
            }),
            Box::new(|e| matches!(e, FormatError::Misaligned { region: "data", .. })),
        ),
        (
            "out of range",
            Box::new(move |b| put_u64(b, e0 + 32, 1 << 40)),
            Box::new(|e| matches!(e, FormatError::OutOfRange { region: "data", .. })),
        ),
        (
            "before the payload",
            Box::new(move |b| put_u64(b, e0 + 32, 0)),
            Box::new(|e| matches!(e, FormatError::OutOfRange { .. })),
        ),
        (
            "offset overflow",
            Box::new(move |b| put_u64(b, e0 + 48, u64::MAX - 15)),
            Box::new(|e| {
                matches!(
                    e,
                    FormatError::OutOfRange {
                        region: "scales",
                        ..
                    }
                )
            }),
        ),
        (
            "overlap",
            Box::new(move |b| {
                let v = get_u64(b, e0 + 32);
                put_u64(b, e1 + 32, v)
            }),
            Box::new(|e| matches!(e, FormatError::Overlap { .. })),
        ),
        (
            "data over own scales",
            Box::new(move |b| {
                let v = get_u64(b, e0 + 32);
                put_u64(b, e0 + 48, v)
            }),
            Box::new(|e| {
                e == FormatError::Overlap {
                    first: TensorKind::TokenEmbedding,
                    second: TensorKind::TokenEmbedding,
                }
            }),
        ),
        (
            "duplicate",
            Box::new(move |b| {
                let first = b[e0..e0 + ENTRY_LEN].to_vec();
                b[e1..e1 + ENTRY_LEN].copy_from_slice(&first)
            }),
            Box::new(|e| e == FormatError::DuplicateTensor(TensorKind::TokenEmbedding)),
        ),
        (
            "too many tensors",
            Box::new(|b| put_u32(b, 80, 14)),
            Box::new(|e| {
                matches!(
                    e,
                    FormatError::TooManyTensors(14) | FormatError::Truncated { .. }
                )
            }),
        ),
    ];
    for (name, edit, expected) in cases {
        let error = parse_edited(&bytes, edit).expect_err(name);
        assert!(expected(error), "{name}: got {error:?}");
    }
}

#[test]
fn a_missing_tensor_is_named() {
    // f32, shared classifier: 11 entries; dropping the last (rms_final) keeps the table aligned
    // once the payload is declared to start 64 bytes earlier.
    let bytes = small_model(Precision::F32);
    let error = parse_edited(&bytes, |b| {
        put_u32(b, 80, 10);
        let start = get_u64(b, 88);
        put_u64(b, 88, start - ENTRY_LEN as u64);
        let len = get_u64(b, 96);
        put_u64(b, 96, len + ENTRY_LEN as u64);
    })
    .unwrap_err();
    assert_eq!(error, FormatError::MissingTensor(TensorKind::RmsFinal));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Arbitrary edits anywhere, checksums fixed up: parsing never panics, and a file that still
    /// parses runs (or refuses with an error) without panicking either.
    #[test]
    fn edited_files_never_panic(
        precision_index in 0usize..4,
        edits in prop::collection::vec((any::<u32>(), any::<u8>()), 1..12),
    ) {
        let bytes = small_model(Precision::ALL[precision_index]);
        let mut edited = bytes.clone();
        for (at, value) in edits {
            let at = at as usize % edited.len();
            edited[at] = value;
        }
        rewrite_checksums(&mut edited);
        if let Ok(model) = Model::parse(&edited) {
            let config = *model.config();
            let mut owned = OwnedWorkspace::new(&config, &Shard::whole(&config), 4).unwrap();
            let mut x = Vector::zeros(config.precision, config.shape.dim as usize);
            let mut logits = Vector::zeros(config.precision, config.shape.vocab_size as usize);
            for pos in 0..4 {
                let mut ws = owned.workspace().unwrap();
                let result = forward(&model, &mut ws, pos % config.shape.vocab_size, pos, x.as_mut(), logits.as_mut(), &mut OpCounts::default());
                if result.is_err() {
                    break;
                }
            }
        }
    }

    /// Random bytes are never a model and never a panic.
    #[test]
    fn random_bytes_are_rejected(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        prop_assert!(Model::parse(&bytes).is_err());
    }
}
