//! Tests of the llama2.c tokenizer: crafted vocabularies always, the real `tok512.bin` when
//! `RUVSIM_MODEL_DIR` names the model directory.

use super::*;
use crate::model_dir;
use std::prelude::rust_2021::*;

/// `<unk>`, BOS, EOS, the 256 byte pieces, then `extra` pieces, with their scores.
fn pieces_with(extra: &[(&str, f32)]) -> Vec<(String, f32)> {
    let specials = ["<unk>", "\n<s>\n", "\n</s>\n"].map(|p| (p.to_string(), 0.0));
    let bytes = (0..=255u8).map(|b| (format!("<0x{b:02X}>"), 0.0));
    let extra = extra.iter().map(|&(p, s)| (p.to_string(), s));
    specials.into_iter().chain(bytes).chain(extra).collect()
}

/// A tokenizer file of [`pieces_with`]`(extra)`.
fn file_with(extra: &[(&str, f32)]) -> Vec<u8> {
    file_of(&pieces_with(extra))
}

/// A tokenizer file holding exactly `pieces`.
fn file_of(pieces: &[(String, f32)]) -> Vec<u8> {
    let max_len = pieces.iter().map(|(p, _)| p.len()).max().unwrap_or(0) as i32;
    let mut out = max_len.to_le_bytes().to_vec();
    for (piece, score) in pieces {
        out.extend_from_slice(&score.to_le_bytes());
        out.extend_from_slice(&(piece.len() as i32).to_le_bytes());
        out.extend_from_slice(piece.as_bytes());
    }
    out
}

/// Parses [`file_with`]; ids of `extra` start at 259.
fn tokenizer_with(extra: &[(&str, f32)]) -> Tokenizer {
    Tokenizer::parse(&file_with(extra), 259 + extra.len() as u32).unwrap()
}

fn ids(tokenizer: &Tokenizer, pieces: &[&str]) -> Vec<u32> {
    pieces
        .iter()
        .map(|p| tokenizer.lookup(p.as_bytes()).unwrap())
        .collect()
}

#[test]
fn highest_scoring_pair_merges_first() {
    let t = tokenizer_with(&[(" ", 0.0), ("a", 0.0), ("b", 0.0), ("ab", 1.0), (" a", 2.0)]);
    // " a" (2.0) beats "ab" (1.0); afterwards " ab" is not a piece, so merging stops.
    assert_eq!(t.encode("ab", false, false), ids(&t, &[" a", "b"]));
    let t = tokenizer_with(&[
        (" ", 0.0),
        ("a", 0.0),
        ("b", 0.0),
        ("ab", 3.0),
        (" a", 2.0),
        (" ab", -5.0),
    ]);
    assert_eq!(t.encode("ab", false, false), ids(&t, &[" ab"]));
}

#[test]
fn equal_scores_merge_the_leftmost_pair() {
    let t = tokenizer_with(&[(" ", 0.0), ("a", 0.0), ("aa", 0.0)]);
    assert_eq!(t.encode("aaa", false, false), ids(&t, &[" ", "aa", "a"]));
}

#[test]
fn merges_at_or_below_the_score_floor_never_happen() {
    let t = tokenizer_with(&[(" ", 0.0), ("a", 0.0), ("aa", -1e10), ("aaa", -2e10)]);
    assert_eq!(t.encode("aa", false, false), ids(&t, &[" ", "a", "a"]));
}

#[test]
fn bos_eos_and_dummy_prefix() {
    let t = tokenizer_with(&[(" ", 0.0), ("a", 0.0)]);
    assert_eq!(t.encode("", true, true), vec![BOS, EOS]);
    assert_eq!(t.encode("", false, false), Vec::<u32>::new());
    let expected = [vec![BOS], ids(&t, &[" ", "a"]), vec![EOS]].concat();
    assert_eq!(t.encode("a", true, true), expected);
}

#[test]
fn missing_code_points_fall_back_to_bytes() {
    let t = tokenizer_with(&[(" ", 0.0), ("é", 0.0)]);
    let space = t.lookup(b" ").unwrap();
    assert_eq!(
        t.encode("é", false, false),
        vec![space, t.lookup("é".as_bytes()).unwrap()]
    );
    // "ü" is 0xC3 0xBC and not a piece: one byte token per byte.
    assert_eq!(t.encode("ü", false, false), vec![space, 3 + 0xC3, 3 + 0xBC]);
    assert_eq!(t.encode("\0", false, false), vec![space, 3]);
}

#[test]
fn decode_strips_the_space_after_bos_and_reassembles_bytes() {
    let t = tokenizer_with(&[(" ", 0.0), (" a", 0.0), ("b", 0.0)]);
    let a = t.lookup(b" a").unwrap();
    assert_eq!(t.decode_piece(BOS, a).unwrap(), b"a");
    assert_eq!(t.decode_piece(a, a).unwrap(), b" a");
    assert_eq!(t.decode_piece(a, 3 + 0x41).unwrap(), b"A");
    let tokens = t.encode("a bü", true, true);
    assert_eq!(t.decode(&tokens).unwrap(), "a bü");
    // A multi-byte character cut short is visible, not dropped.
    assert_eq!(t.decode(&[3 + 0xC3]).unwrap(), "\u{FFFD}");
    assert_eq!(
        t.decode(&[a, 9999]),
        Err(TokenizerError::TokenOutOfRange {
            token: 9999,
            vocab_size: 262
        })
    );
}

#[test]
fn repeated_pieces_resolve_to_the_lowest_id() {
    let t = tokenizer_with(&[(" ", 0.0), ("x", 1.0), ("x", 2.0)]);
    assert_eq!(t.lookup(b"x"), Some(260));
    assert_eq!(t.lookup(b"y"), None);
    assert_eq!(t.lookup(b""), None);
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = file_with(&[(" ", 0.0), ("ab", 1.0)]);
    for len in 0..bytes.len() {
        let err = Tokenizer::parse(&bytes[..len], 261).unwrap_err();
        if len < 4 {
            assert_eq!(err, TokenizerError::TooShortForHeader { actual_bytes: len });
        } else {
            assert!(
                matches!(
                    err,
                    TokenizerError::Truncated {
                        vocab_size: 261,
                        ..
                    }
                ),
                "{len}: {err}"
            );
        }
    }
    let err = Tokenizer::parse(&bytes[..bytes.len() - 1], 261).unwrap_err();
    assert_eq!(
        err,
        TokenizerError::Truncated {
            token: 260,
            vocab_size: 261,
            actual_bytes: bytes.len() - 1
        }
    );
    assert!(err.to_string().contains("token 260"), "{err}");
}

#[test]
fn malformed_files_are_rejected() {
    let good = file_with(&[(" ", 0.0)]);
    let with_word = |at: usize, value: i32| {
        let mut bytes = good.clone();
        bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
        bytes
    };
    assert_eq!(
        Tokenizer::parse(&with_word(0, -1), 260),
        Err(TokenizerError::NegativeMaxTokenLength { value: -1 })
    );
    // Token 0's length field sits after the header and its score.
    assert_eq!(
        Tokenizer::parse(&with_word(8, -3), 260),
        Err(TokenizerError::NegativeLength {
            token: 0,
            length: -3
        })
    );
    assert_eq!(
        Tokenizer::parse(&with_word(0, 2), 260),
        Err(TokenizerError::PieceTooLong {
            token: 0,
            length: 5,
            max_token_length: 2
        })
    );
    assert_eq!(
        Tokenizer::parse(&good, 259),
        Err(TokenizerError::TrailingBytes {
            extra_bytes: 4 + 4 + 1,
            vocab_size: 259
        })
    );
    let mut nul = good.clone();
    let last = nul.len() - 1;
    nul[last] = 0;
    assert_eq!(
        Tokenizer::parse(&nul, 260),
        Err(TokenizerError::NulInPiece { token: 259 })
    );
}

#[test]
fn pieces_encoding_relies_on_are_required() {
    assert_eq!(
        Tokenizer::parse(&file_with(&[("a", 0.0)]), 260),
        Err(TokenizerError::MissingDummyPrefix)
    );
    let mut bytes = file_with(&[(" ", 0.0)]);
    let position = bytes.windows(6).position(|w| w == b"<0x41>").unwrap();
    bytes[position + 4] = b'2';
    assert_eq!(
        Tokenizer::parse(&bytes, 260),
        Err(TokenizerError::MissingBytePiece {
            byte: 0x41,
            id: 3 + 0x41
        })
    );
    assert_eq!(
        Tokenizer::parse(&file_of(&pieces_with(&[])[..100]), 100),
        Err(TokenizerError::MissingBytePiece { byte: 97, id: 100 })
    );
}

#[test]
fn byte_piece_syntax() {
    assert_eq!(parse_byte_piece(b"<0x0A>"), Some(10));
    assert_eq!(parse_byte_piece(b"<0xff>"), Some(255));
    for bad in [&b"<0x+F>"[..], b"<0xFFF>", b"<0x1>", b"0x41", b"<0x41"] {
        assert_eq!(parse_byte_piece(bad), None, "{bad:?}");
    }
}

/// Loads tok512.bin, or `None` when the model directory is unavailable.
fn tok512() -> Option<Tokenizer> {
    let path = model_dir::locate_file("tok512.bin").unwrap()?;
    Some(Tokenizer::parse(&std::fs::read(path).unwrap(), 512).unwrap())
}

/// Token ids from llama2.c's own `encode` in `run.c` (`encode(&tokenizer, text, 1, 0, ...)` with
/// tok512.bin, printing the ids); regenerate the same way if the tokenizer file changes.
const RUN_C_ENCODINGS: [(&str, &[u32]); 5] = [
    ("Once upon a time", &[1, 403, 407, 261, 378]),
    (
        "Lily and Tim played with a big red ball.",
        &[
            1, 317, 269, 326, 337, 266, 335, 261, 370, 352, 266, 268, 388, 426,
        ],
    ),
    (
        "Zürich — “quoted” naïve 日本",
        &[
            1, 410, 469, 198, 191, 325, 402, 410, 481, 410, 465, 456, 425, 309, 266, 466, 297, 412,
            198, 178, 360, 410, 233, 154, 168, 233, 159, 175,
        ],
    ),
    (
        "  two  spaces",
        &[1, 410, 410, 259, 424, 414, 410, 262, 427, 412, 331, 419],
    ),
    ("x", &[1, 410, 444]),
];

#[test]
fn tok512_encodes_as_run_c_and_round_trips() {
    let Some(t) = tok512() else {
        return;
    };
    assert_eq!(t.vocab_size(), 512);
    assert_eq!(t.max_token_length(), 7);
    for (text, expected) in RUN_C_ENCODINGS {
        let tokens = t.encode(text, true, false);
        assert_eq!(tokens, expected, "{text:?}");
        assert_eq!(t.decode(&tokens).unwrap(), text);
    }
    let once = t.encode("Once upon a time", true, true);
    assert_eq!(t.decode(&once).unwrap(), "Once upon a time");
    assert_eq!(t.decode_piece(BOS, 403).unwrap(), b"Once");
    assert_eq!(t.decode_piece(403, 407).unwrap(), b" upon");
}

/// `run.c`'s merge loop as written there (every pair looked up on every pass), the reference for
/// the incremental loop in [`Tokenizer::encode`].
fn run_c_merges(t: &Tokenizer, mut tokens: Vec<u32>) -> Vec<u32> {
    loop {
        let mut best_score = -1e10f32;
        let mut best = None;
        for i in 0..tokens.len().saturating_sub(1) {
            let merged = [t.piece(tokens[i]).unwrap(), t.piece(tokens[i + 1]).unwrap()].concat();
            if let Some(id) = t.lookup(&merged) {
                if t.score(id).unwrap() > best_score {
                    best_score = t.score(id).unwrap();
                    best = Some((i, id));
                }
            }
        }
        let Some((i, id)) = best else {
            return tokens;
        };
        tokens[i] = id;
        tokens.remove(i + 1);
    }
}

proptest::proptest! {
    #[test]
    fn incremental_merging_chooses_as_run_c(text in "[ab é]{0,24}") {
        // Overlapping merges with tied scores, so order and tie-breaking matter.
        let t = tokenizer_with(&[
            (" ", 0.0), ("a", 0.0), ("b", 0.0), ("ab", 1.0), ("ba", 1.0), ("aa", 2.0),
            (" a", 1.0), ("aba", 1.0), ("bab", 3.0), ("aab", 2.0), (" ab", 0.5), ("é", 0.0),
            ("éa", 1.0),
        ]);
        let expected = run_c_merges(&t, t.code_point_tokens(&text, true));
        proptest::prop_assert_eq!(t.encode(&text, true, false), expected);
    }
}
