//! The llama2.c tokenizer: a sentencepiece-style BPE vocabulary with byte fallback, encoding and
//! decoding exactly as llama2.c's `run.c` does.
//!
//! File layout (little-endian): `i32` max_token_length, then for each of `vocab_size` tokens an
//! `f32` merge score, an `i32` byte length and that many bytes. Ids 0, 1 and 2 are `<unk>`, BOS and
//! EOS; ids 3..=258 are the byte-fallback pieces `<0x00>`..`<0xFF>`.

use std::boxed::Box;
use std::format;
use std::string::String;
use std::vec::Vec;

use thiserror::Error;

/// Id of the beginning-of-sequence token.
pub const BOS: u32 = 1;
/// Id of the end-of-sequence token.
pub const EOS: u32 = 2;
/// Id of the byte-fallback piece for byte 0; byte `b` is `BYTE_FALLBACK_OFFSET + b`.
pub const BYTE_FALLBACK_OFFSET: u32 = 3;

/// A pair whose merged piece scores at or below this never merges (`run.c`'s initial best score).
const MERGE_SCORE_FLOOR: f32 = -1e10;

/// Every byte value, so a byte-fallback piece can decode to a one-byte slice of `'static` data.
static BYTE_VALUES: [u8; 256] = {
    let mut values = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        values[i] = i as u8;
        i += 1;
    }
    values
};

/// Why a tokenizer file could not be read, or a token id could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TokenizerError {
    /// The file ends before the `max_token_length` field.
    #[error("tokenizer file too short: {actual_bytes} bytes, the max_token_length field needs 4")]
    TooShortForHeader {
        /// Length of the input in bytes.
        actual_bytes: usize,
    },
    /// `max_token_length` is negative.
    #[error("tokenizer max_token_length is negative: {value}")]
    NegativeMaxTokenLength {
        /// The value found.
        value: i32,
    },
    /// `max_token_length` is longer than the whole file, so no piece can have that length.
    #[error(
        "tokenizer max_token_length {value} exceeds the file's {file_bytes} bytes (valid: at most \
         the file's length)"
    )]
    MaxTokenLengthBeyondFile {
        /// The value found.
        value: u32,
        /// Length of the file.
        file_bytes: usize,
    },
    /// The file ends inside a token's record.
    #[error("tokenizer file ({actual_bytes} bytes) ends inside token {token} of {vocab_size}")]
    Truncated {
        /// The token whose record is incomplete.
        token: u32,
        /// Tokens the caller expects.
        vocab_size: u32,
        /// Length of the input in bytes.
        actual_bytes: usize,
    },
    /// A token's byte length is negative.
    #[error("tokenizer token {token} has negative length {length}")]
    NegativeLength {
        /// The token.
        token: u32,
        /// The length found.
        length: i32,
    },
    /// A token is longer than the file's declared `max_token_length`.
    #[error(
        "tokenizer token {token} is {length} bytes, above the declared maximum {max_token_length}"
    )]
    PieceTooLong {
        /// The token.
        token: u32,
        /// Its length in bytes.
        length: u32,
        /// The declared maximum.
        max_token_length: u32,
    },
    /// A token contains a NUL byte, which `run.c`'s C strings cannot represent.
    #[error("tokenizer token {token} contains a NUL byte")]
    NulInPiece {
        /// The token.
        token: u32,
    },
    /// Bytes remain after `vocab_size` tokens: the tokenizer has more tokens than the model.
    #[error(
        "tokenizer file has {extra_bytes} bytes after its {vocab_size} tokens \
         (does it belong to a model with a larger vocabulary?)"
    )]
    TrailingBytes {
        /// Bytes left over.
        extra_bytes: usize,
        /// Tokens read.
        vocab_size: u32,
    },
    /// No piece is a single space, which encoding prepends to non-empty text.
    #[error("tokenizer has no single-space piece to use as the dummy prefix")]
    MissingDummyPrefix,
    /// Id `3 + byte` is not the byte-fallback piece `<0xHH>` for `byte`.
    #[error("tokenizer token {id} should be the byte-fallback piece <0x{byte:02X}>")]
    MissingBytePiece {
        /// The byte.
        byte: u8,
        /// The id where its piece belongs.
        id: u32,
    },
    /// A token id is not below the vocabulary size.
    #[error("token id {token} is outside the vocabulary of {vocab_size}")]
    TokenOutOfRange {
        /// The id.
        token: u32,
        /// The vocabulary size.
        vocab_size: u32,
    },
}

/// A llama2.c tokenizer: pieces, merge scores, and the vocabulary sorted for binary search.
#[derive(Clone, Debug, PartialEq)]
pub struct Tokenizer {
    /// The byte string of each token id.
    pieces: Vec<Box<[u8]>>,
    /// The merge score of each token id (higher merges first).
    scores: Vec<f32>,
    /// The longest piece the file declares.
    max_token_length: u32,
    /// Token ids ordered by (piece bytes, id): the lookup table for [`Tokenizer::lookup`].
    sorted_ids: Vec<u32>,
    /// Id of the single-space piece prepended to non-empty text.
    dummy_prefix: u32,
}

/// Reads little-endian fields from a byte slice, reporting where it ran out.
struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let end = self.offset.checked_add(len)?;
        let slice = self.bytes.get(self.offset..end)?;
        self.offset = end;
        Some(slice)
    }

    fn word(&mut self) -> Option<[u8; 4]> {
        self.take(4).map(|b| [b[0], b[1], b[2], b[3]])
    }
}

impl Tokenizer {
    /// Parses a tokenizer file holding exactly `vocab_size` tokens (the model's vocabulary).
    ///
    /// Besides the layout, checks what encoding relies on: a single-space piece exists, ids
    /// 3..=258 are the byte-fallback pieces, and no piece contains NUL.
    pub fn parse(bytes: &[u8], vocab_size: u32) -> Result<Tokenizer, TokenizerError> {
        let mut reader = Reader { bytes, offset: 0 };
        let header = reader.word().ok_or(TokenizerError::TooShortForHeader {
            actual_bytes: bytes.len(),
        })?;
        let max_token_length = i32::from_le_bytes(header);
        let max_token_length = u32::try_from(max_token_length).map_err(|_| {
            TokenizerError::NegativeMaxTokenLength {
                value: max_token_length,
            }
        })?;

        let mut pieces = Vec::new();
        let mut scores = Vec::new();
        for token in 0..vocab_size {
            let truncated = TokenizerError::Truncated {
                token,
                vocab_size,
                actual_bytes: bytes.len(),
            };
            let score = f32::from_le_bytes(reader.word().ok_or(truncated.clone())?);
            let length = i32::from_le_bytes(reader.word().ok_or(truncated.clone())?);
            let length = u32::try_from(length)
                .map_err(|_| TokenizerError::NegativeLength { token, length })?;
            if length > max_token_length {
                return Err(TokenizerError::PieceTooLong {
                    token,
                    length,
                    max_token_length,
                });
            }
            let piece = reader.take(length as usize).ok_or(truncated)?;
            if piece.contains(&0) {
                return Err(TokenizerError::NulInPiece { token });
            }
            pieces.push(Box::from(piece));
            scores.push(score);
        }
        let extra_bytes = bytes.len() - reader.offset;
        if extra_bytes > 0 {
            return Err(TokenizerError::TrailingBytes {
                extra_bytes,
                vocab_size,
            });
        }
        // The declared length sizes the merge buffer: a file cannot hold a longer piece.
        if max_token_length as usize > bytes.len() {
            return Err(TokenizerError::MaxTokenLengthBeyondFile {
                value: max_token_length,
                file_bytes: bytes.len(),
            });
        }
        Self::from_pieces(pieces, scores, max_token_length)
    }

    /// Builds the lookup table and checks the pieces encoding relies on.
    fn from_pieces(
        pieces: Vec<Box<[u8]>>,
        scores: Vec<f32>,
        max_token_length: u32,
    ) -> Result<Tokenizer, TokenizerError> {
        for byte in 0..=255u8 {
            let id = BYTE_FALLBACK_OFFSET + u32::from(byte);
            let expected = format!("<0x{byte:02X}>");
            if pieces.get(id as usize).map(|p| &p[..]) != Some(expected.as_bytes()) {
                return Err(TokenizerError::MissingBytePiece { byte, id });
            }
        }
        let mut sorted_ids: Vec<u32> = (0..pieces.len() as u32).collect();
        sorted_ids.sort_by(|&a, &b| pieces[a as usize].cmp(&pieces[b as usize]).then(a.cmp(&b)));
        let mut tokenizer = Tokenizer {
            pieces,
            scores,
            max_token_length,
            sorted_ids,
            dummy_prefix: 0,
        };
        tokenizer.dummy_prefix = tokenizer
            .lookup(b" ")
            .ok_or(TokenizerError::MissingDummyPrefix)?;
        Ok(tokenizer)
    }

    /// Number of tokens.
    pub fn vocab_size(&self) -> u32 {
        self.pieces.len() as u32
    }

    /// The longest piece in bytes, as the file declares it.
    pub fn max_token_length(&self) -> u32 {
        self.max_token_length
    }

    /// The raw bytes of token `id`, or `None` when it is out of range.
    pub fn piece(&self, id: u32) -> Option<&[u8]> {
        self.pieces.get(id as usize).map(|p| &p[..])
    }

    /// The merge score of token `id`, or `None` when it is out of range.
    pub fn score(&self, id: u32) -> Option<f32> {
        self.scores.get(id as usize).copied()
    }

    /// The id whose piece is exactly `bytes` (the lowest such id if pieces repeat), by binary
    /// search over the sorted vocabulary.
    pub fn lookup(&self, bytes: &[u8]) -> Option<u32> {
        let index = self
            .sorted_ids
            .partition_point(|&id| &self.pieces[id as usize][..] < bytes);
        let id = *self.sorted_ids.get(index)?;
        (&self.pieces[id as usize][..] == bytes).then_some(id)
    }

    /// Encodes `text` as `run.c`'s `encode` does: optional BOS, a single-space dummy prefix when
    /// the text is non-empty, one token per UTF-8 code point (or one byte-fallback token per byte
    /// when the code point is not a piece), then repeatedly merges the adjacent pair whose merged
    /// piece has the highest score (the leftmost on ties) until no pair merges; optional EOS last.
    ///
    /// `run.c` stops at a NUL byte (C string end); here a NUL in `text` is encoded as its
    /// byte-fallback token like any other code point missing from the vocabulary.
    pub fn encode(&self, text: &str, bos: bool, eos: bool) -> Vec<u32> {
        let mut tokens = self.code_point_tokens(text, bos);
        self.merge_pairs(&mut tokens);
        if eos {
            tokens.push(EOS);
        }
        tokens
    }

    /// The tokens before merging: optional BOS, the dummy prefix for non-empty text, then one
    /// token per code point (or per byte for code points missing from the vocabulary).
    fn code_point_tokens(&self, text: &str, bos: bool) -> Vec<u32> {
        let mut tokens = Vec::with_capacity(text.len() + 3);
        if bos {
            tokens.push(BOS);
        }
        if !text.is_empty() {
            tokens.push(self.dummy_prefix);
        }
        let mut utf8 = [0u8; 4];
        for code_point in text.chars() {
            let bytes = code_point.encode_utf8(&mut utf8).as_bytes();
            match self.lookup(bytes) {
                Some(id) => tokens.push(id),
                None => tokens.extend(bytes.iter().map(|&b| BYTE_FALLBACK_OFFSET + u32::from(b))),
            }
        }
        tokens
    }

    /// The BPE merge loop of `run.c`: each pass merges the adjacent pair with the highest-scoring
    /// merged piece (the leftmost on ties), until no pair merges. Instead of scanning every pair
    /// on each pass as `run.c` does (quadratic in the text), the candidate pairs wait in a heap
    /// ordered by (score, leftmost position) over a linked list of the surviving tokens; a merge
    /// looks up only the two pairs it touches, and stale heap entries are skipped when popped.
    /// The merges happen in exactly `run.c`'s order: O(n log n) for n code points.
    fn merge_pairs(&self, tokens: &mut Vec<u32>) {
        use core::cmp::Reverse;
        use std::collections::BinaryHeap;

        /// A candidate merge of the token at `left` with its successor, into `id`.
        #[derive(PartialEq)]
        struct Candidate {
            score: f32,
            left: usize,
            id: u32,
            /// The generations of the two tokens when the pair was looked up.
            versions: (u32, u32),
        }
        impl Eq for Candidate {}
        impl PartialOrd for Candidate {
            fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }
        impl Ord for Candidate {
            /// Highest score first, then the leftmost position (the max-heap pops the greatest).
            fn cmp(&self, other: &Self) -> core::cmp::Ordering {
                self.score
                    .total_cmp(&other.score)
                    .then(Reverse(self.left).cmp(&Reverse(other.left)))
            }
        }

        let n = tokens.len();
        if n < 2 {
            return;
        }
        let mut next: Vec<usize> = (1..=n).collect();
        let mut prev: Vec<usize> = (0..n).map(|i| i.wrapping_sub(1)).collect();
        let mut alive = std::vec![true; n];
        let mut version = std::vec![0u32; n];
        let mut buffer = Vec::with_capacity(2 * self.max_token_length as usize);
        let mut heap = BinaryHeap::new();
        let candidate = |left: usize,
                         right: usize,
                         tokens: &[u32],
                         version: &[u32],
                         buffer: &mut Vec<u8>|
         -> Option<Candidate> {
            let id = self.merged(tokens[left], tokens[right], buffer)?;
            let score = self.scores[id as usize];
            (score > MERGE_SCORE_FLOOR).then_some(Candidate {
                score,
                left,
                id,
                versions: (version[left], version[right]),
            })
        };
        for left in 0..n - 1 {
            heap.extend(candidate(left, left + 1, tokens, &version, &mut buffer));
        }
        while let Some(c) = heap.pop() {
            let right = next[c.left];
            let stale = !alive[c.left]
                || right >= n
                || !alive[right]
                || (version[c.left], version[right]) != c.versions;
            if stale {
                continue;
            }
            tokens[c.left] = c.id;
            version[c.left] += 1;
            alive[right] = false;
            next[c.left] = next[right];
            if next[right] < n {
                prev[next[right]] = c.left;
            }
            let before = prev[c.left];
            if before < n {
                heap.extend(candidate(before, c.left, tokens, &version, &mut buffer));
            }
            if next[c.left] < n {
                heap.extend(candidate(
                    c.left,
                    next[c.left],
                    tokens,
                    &version,
                    &mut buffer,
                ));
            }
        }
        let mut index = 0;
        tokens.retain(|_| {
            let keep = alive[index];
            index += 1;
            keep
        });
    }

    /// The id of the piece `left` followed by `right`, if the vocabulary has it (`buffer` is
    /// scratch for the concatenation).
    fn merged(&self, left: u32, right: u32, buffer: &mut Vec<u8>) -> Option<u32> {
        buffer.clear();
        buffer.extend_from_slice(&self.pieces[left as usize]);
        buffer.extend_from_slice(&self.pieces[right as usize]);
        self.lookup(buffer)
    }

    /// The bytes `token` prints as after `prev_token`, as `run.c`'s `decode` gives them: the
    /// leading space is stripped after BOS (sentencepiece's dummy prefix), and a byte-fallback
    /// piece `<0xHH>` becomes the raw byte (which may be part of a multi-byte UTF-8 character).
    pub fn decode_piece(&self, prev_token: u32, token: u32) -> Result<&[u8], TokenizerError> {
        let mut piece = self.piece(token).ok_or(TokenizerError::TokenOutOfRange {
            token,
            vocab_size: self.vocab_size(),
        })?;
        if prev_token == BOS && piece.first() == Some(&b' ') {
            piece = &piece[1..];
        }
        Ok(match parse_byte_piece(piece) {
            Some(byte) => &BYTE_VALUES[usize::from(byte)..=usize::from(byte)],
            None => piece,
        })
    }

    /// The bytes of a token sequence: [`Tokenizer::decode_piece`] of each token after its
    /// predecessor, the sequence starting as if after BOS. BOS and EOS themselves print nothing.
    pub fn decode_bytes(&self, tokens: &[u32]) -> Result<Vec<u8>, TokenizerError> {
        let mut bytes = Vec::new();
        let mut prev_token = BOS;
        for &token in tokens {
            if token != BOS && token != EOS {
                bytes.extend_from_slice(self.decode_piece(prev_token, token)?);
            }
            prev_token = token;
        }
        Ok(bytes)
    }

    /// The text of a token sequence ([`Tokenizer::decode_bytes`]); byte sequences that are not
    /// valid UTF-8 (e.g. a multi-byte character cut short) appear as U+FFFD.
    pub fn decode(&self, tokens: &[u32]) -> Result<String, TokenizerError> {
        let bytes = self.decode_bytes(tokens)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// The byte a byte-fallback piece `<0xHH>` stands for (hex digits in either case).
fn parse_byte_piece(piece: &[u8]) -> Option<u8> {
    let digits = piece.strip_prefix(b"<0x")?.strip_suffix(b">")?;
    if digits.len() != 2 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let digits = core::str::from_utf8(digits).ok()?;
    u8::from_str_radix(digits, 16).ok()
}

#[cfg(test)]
mod tests;
