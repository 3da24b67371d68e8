//! Reading one trace record (the text after [`super::TAG`]) without allocating.
//!
//! A record is a kind (`H`, `TS`, `TE`, `PS`, `PE`, `TX`, `RX`, `S`), then space-separated tokens:
//! bare words (a phase name) and `key=value` fields, whose values may be quoted (`"..."`, with
//! `\"` and `\\` escapes). Every field an event does not know, a duplicated field, a missing one
//! or a value that does not parse is an error naming it; nothing is guessed.

use thiserror::Error;

use super::{parse_span, Event, Phase};
use crate::exec::Block;

/// One field value as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Value<'a> {
    raw: &'a str,
    quoted: bool,
}

impl<'a> Value<'a> {
    /// The text between the quotes (or the bare value), escapes not yet removed.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// Whether the value was quoted.
    pub fn is_quoted(&self) -> bool {
        self.quoted
    }

    /// The value when it holds no escape (then it is exactly what was meant).
    pub fn plain(&self) -> Option<&'a str> {
        (!self.raw.contains('\\')).then_some(self.raw)
    }

    /// The value's characters with escapes removed.
    pub fn chars(&self) -> impl Iterator<Item = char> + 'a {
        let mut chars = self.raw.chars();
        core::iter::from_fn(move || match chars.next()? {
            '\\' => chars.next(),
            c => Some(c),
        })
    }
}

/// One token of a record after its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token<'a> {
    /// A bare word (a phase name).
    Word(&'a str),
    /// `key=value`.
    Field(&'a str, Value<'a>),
}

/// The tokens of a record, in order (an iterator of results: a malformed token ends it).
#[derive(Clone, Debug)]
pub struct Fields<'a> {
    rest: &'a str,
}

impl<'a> Fields<'a> {
    /// The tokens of `text`.
    pub fn new(text: &'a str) -> Fields<'a> {
        Fields { rest: text }
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<Token<'a>, RecordError<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        let text = self.rest.trim_start();
        if text.is_empty() {
            self.rest = text;
            return None;
        }
        let token_end = text.find(char::is_whitespace).unwrap_or(text.len());
        let Some(eq) = text[..token_end].find('=') else {
            self.rest = &text[token_end..];
            return Some(Ok(Token::Word(&text[..token_end])));
        };
        let key = &text[..eq];
        if key.is_empty() {
            self.rest = "";
            return Some(Err(RecordError::EmptyKey));
        }
        let after = &text[eq + 1..];
        if let Some(body) = after.strip_prefix('"') {
            let mut escaped = false;
            for (i, c) in body.char_indices() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => {
                        self.rest = &body[i + 1..];
                        if self.rest.starts_with(|c: char| !c.is_whitespace()) {
                            self.rest = "";
                            return Some(Err(RecordError::AfterQuote(key)));
                        }
                        let value = Value {
                            raw: &body[..i],
                            quoted: true,
                        };
                        return Some(Ok(Token::Field(key, value)));
                    }
                    _ => {}
                }
            }
            self.rest = "";
            return Some(Err(RecordError::UnterminatedQuote(key)));
        }
        let value_end = after.find(char::is_whitespace).unwrap_or(after.len());
        self.rest = &after[value_end..];
        let value = Value {
            raw: &after[..value_end],
            quoted: false,
        };
        Some(Ok(Token::Field(key, value)))
    }
}

/// A parsed record.
#[derive(Clone, Debug)]
pub enum Record<'a> {
    /// `H`: header fields (a header may span several `H` records; the reader merges them).
    Header(Fields<'a>),
    /// A timed event or a summary.
    Event(Event<'a>),
}

/// Why a record could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum RecordError<'a> {
    /// Nothing after the tag.
    #[error("empty record")]
    Empty,
    /// The first word is not a record kind.
    #[error("unknown record kind `{0}` (valid: H, TS, TE, PS, PE, TX, RX, S)")]
    UnknownKind(&'a str),
    /// `=value` with no key.
    #[error("a field has no name before `=`")]
    EmptyKey,
    /// A quoted value that never ends (a cut-off line).
    #[error("field `{0}`: quoted value never ends (line cut off?)")]
    UnterminatedQuote(&'a str),
    /// Text directly after a closing quote.
    #[error("field `{0}`: text right after the closing quote")]
    AfterQuote(&'a str),
    /// A required field is absent.
    #[error("{record} record lacks `{field}=`")]
    MissingField {
        /// Record kind.
        record: &'static str,
        /// The field.
        field: &'static str,
    },
    /// A field the record does not have.
    #[error("{record} record has no field `{field}` (valid: {valid})")]
    UnknownField {
        /// Record kind (or phase).
        record: &'static str,
        /// The field as written.
        field: &'a str,
        /// The valid fields.
        valid: &'static str,
    },
    /// A field given twice.
    #[error("field `{0}` appears twice")]
    DuplicateField(&'a str),
    /// A value that does not parse.
    #[error("field `{field}` = `{value}` is not {expected}")]
    BadValue {
        /// The field.
        field: &'static str,
        /// The value as written.
        value: &'a str,
        /// What it should be.
        expected: &'static str,
    },
    /// A bare word where none belongs.
    #[error("unexpected word `{0}`")]
    UnexpectedWord(&'a str),
    /// `PS` / `PE` without a phase name.
    #[error(
        "phase record lacks the phase name (embed, layers, attn, ffn, combine, classify, sample)"
    )]
    MissingPhase,
    /// A phase name that does not exist.
    #[error("unknown phase `{0}` (valid: embed, layers, attn, ffn, combine, classify, sample)")]
    UnknownPhase(&'a str),
}

/// Parses one record (the text after the tag).
pub fn parse_record(text: &str) -> Result<Record<'_>, RecordError<'_>> {
    let text = text.trim();
    let (kind, rest) = match text.find(char::is_whitespace) {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    };
    let fields = Fields::new(rest);
    let event = match kind {
        "" => return Err(RecordError::Empty),
        "H" => return Ok(Record::Header(fields)),
        "TS" | "TE" => token_event(kind == "TS", fields)?,
        "PS" | "PE" => phase_event(kind == "PS", fields)?,
        "TX" | "RX" => link_event(kind == "TX", fields)?,
        "S" => summary_event(fields)?,
        other => return Err(RecordError::UnknownKind(other)),
    };
    Ok(Record::Event(event))
}

/// The fields a record may hold, filled as they are read.
struct Slots<'a, const N: usize> {
    record: &'static str,
    names: [&'static str; N],
    valid: &'static str,
    values: [Option<Value<'a>>; N],
}

impl<'a, const N: usize> Slots<'a, N> {
    fn new(record: &'static str, names: [&'static str; N], valid: &'static str) -> Self {
        Slots {
            record,
            names,
            valid,
            values: [None; N],
        }
    }

    /// Stores a field, refusing unknown and repeated ones.
    fn put(&mut self, key: &'a str, value: Value<'a>) -> Result<(), RecordError<'a>> {
        let index = self
            .names
            .iter()
            .position(|n| *n == key)
            .ok_or(RecordError::UnknownField {
                record: self.record,
                field: key,
                valid: self.valid,
            })?;
        if self.values[index].replace(value).is_some() {
            return Err(RecordError::DuplicateField(key));
        }
        Ok(())
    }

    /// Reads every token as a field (no bare words allowed).
    fn fill(&mut self, fields: Fields<'a>) -> Result<(), RecordError<'a>> {
        for token in fields {
            match token? {
                Token::Field(key, value) => self.put(key, value)?,
                Token::Word(word) => return Err(RecordError::UnexpectedWord(word)),
            }
        }
        Ok(())
    }

    fn get(&self, name: &'static str) -> Option<(&'static str, Value<'a>)> {
        let index = self.names.iter().position(|n| *n == name)?;
        self.values[index].map(|v| (self.names[index], v))
    }

    fn require(&self, name: &'static str) -> Result<(&'static str, Value<'a>), RecordError<'a>> {
        self.get(name).ok_or(RecordError::MissingField {
            record: self.record,
            field: name,
        })
    }

    fn number(&self, name: &'static str) -> Result<u64, RecordError<'a>> {
        let (field, value) = self.require(name)?;
        number(field, value)
    }

    fn optional_number(&self, name: &'static str) -> Result<Option<u64>, RecordError<'a>> {
        self.get(name)
            .map(|(field, value)| number(field, value))
            .transpose()
    }

    fn small(&self, name: &'static str) -> Result<u32, RecordError<'a>> {
        let (field, value) = self.require(name)?;
        small(field, value)
    }

    fn optional_small(&self, name: &'static str) -> Result<Option<u32>, RecordError<'a>> {
        self.get(name)
            .map(|(field, value)| small(field, value))
            .transpose()
    }

    fn span(&self, name: &'static str) -> Result<crate::Span, RecordError<'a>> {
        let (field, value) = self.require(name)?;
        parse_span(value.raw).ok_or(RecordError::BadValue {
            field,
            value: value.raw,
            expected: "a range start..end",
        })
    }

    /// Fails if any field outside `allowed` was given (for per-phase parameters).
    fn only(
        &self,
        allowed: &[&str],
        record: &'static str,
        valid: &'static str,
    ) -> Result<(), RecordError<'a>> {
        for (name, value) in self.names.iter().zip(&self.values) {
            if value.is_some() && !allowed.contains(name) {
                return Err(RecordError::UnknownField {
                    record,
                    field: name,
                    valid,
                });
            }
        }
        Ok(())
    }
}

fn number<'a>(field: &'static str, value: Value<'a>) -> Result<u64, RecordError<'a>> {
    let raw = value.raw;
    let digits = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit());
    digits
        .then(|| raw.parse::<u64>().ok())
        .flatten()
        .ok_or(RecordError::BadValue {
            field,
            value: raw,
            expected: "a whole number",
        })
}

fn small<'a>(field: &'static str, value: Value<'a>) -> Result<u32, RecordError<'a>> {
    u32::try_from(number(field, value)?).map_err(|_| RecordError::BadValue {
        field,
        value: value.raw,
        expected: "a whole number below 2^32",
    })
}

fn token_event<'a>(start: bool, fields: Fields<'a>) -> Result<Event<'a>, RecordError<'a>> {
    let (record, valid) = if start {
        ("TS", "req, p, t")
    } else {
        ("TE", "req, p, tok, t")
    };
    let mut slots = Slots::new(record, ["req", "p", "t", "tok"], valid);
    slots.fill(fields)?;
    let req = slots.optional_small("req")?.unwrap_or(0);
    let (pos, t) = (slots.small("p")?, slots.number("t")?);
    if start {
        slots.only(&["req", "p", "t"], record, valid)?;
        Ok(Event::TokenStart { req, pos, t })
    } else {
        let token = slots.optional_small("tok")?;
        Ok(Event::TokenEnd { req, pos, token, t })
    }
}

const PHASE_FIELDS: [&str; 10] = [
    "span", "layer", "heads", "units", "block", "ranks", "vocab", "s", "p", "t",
];

fn phase_event<'a>(start: bool, mut fields: Fields<'a>) -> Result<Event<'a>, RecordError<'a>> {
    let record = if start { "PS" } else { "PE" };
    let name = match fields.next().transpose()? {
        Some(Token::Word(name)) => name,
        _ => return Err(RecordError::MissingPhase),
    };
    let mut slots = Slots::new(record, PHASE_FIELDS, "the phase's parameters, s, p, t");
    slots.fill(fields)?;
    let (params, valid): (&[&str], &'static str) = match name {
        "embed" | "sample" => (&[], "s, p, t"),
        "layers" => (&["span"], "span, s, p, t"),
        "attn" => (&["layer", "heads"], "layer, heads, s, p, t"),
        "ffn" => (&["layer", "units"], "layer, units, s, p, t"),
        "combine" => (&["layer", "block", "ranks"], "layer, block, ranks, s, p, t"),
        "classify" => (&["vocab"], "vocab, s, p, t"),
        other => return Err(RecordError::UnknownPhase(other)),
    };
    let mut allowed = [""; 6];
    allowed[..params.len()].copy_from_slice(params);
    allowed[params.len()..params.len() + 3].copy_from_slice(&["s", "p", "t"]);
    slots.only(&allowed[..params.len() + 3], record, valid)?;
    let phase = match name {
        "embed" => Phase::Embed,
        "sample" => Phase::Sample,
        "layers" => Phase::Layers(slots.span("span")?),
        "attn" => Phase::Attention {
            layer: slots.small("layer")?,
            heads: slots.span("heads")?,
        },
        "ffn" => Phase::Ffn {
            layer: slots.small("layer")?,
            units: slots.span("units")?,
        },
        "combine" => {
            let (field, value) = slots.require("block")?;
            let block = match value.raw {
                "attn" => Block::Attention,
                "ffn" => Block::Ffn,
                other => {
                    return Err(RecordError::BadValue {
                        field,
                        value: other,
                        expected: "attn or ffn",
                    })
                }
            };
            Phase::Combine {
                layer: slots.small("layer")?,
                block,
                ranks: slots.small("ranks")?,
            }
        }
        _ => Phase::Classify(slots.span("vocab")?),
    };
    let stream = slots.optional_small("s")?.unwrap_or(0);
    let (pos, t) = (slots.small("p")?, slots.number("t")?);
    Ok(if start {
        Event::PhaseStart {
            phase,
            stream,
            pos,
            t,
        }
    } else {
        Event::PhaseEnd {
            phase,
            stream,
            pos,
            t,
        }
    })
}

fn link_event<'a>(transmit: bool, fields: Fields<'a>) -> Result<Event<'a>, RecordError<'a>> {
    let record = if transmit { "TX" } else { "RX" };
    let mut slots = Slots::new(record, ["peer", "bytes", "t", "dt"], "peer, bytes, t, dt");
    slots.fill(fields)?;
    let (field, value) = slots.require("peer")?;
    let peer = value
        .plain()
        .filter(|p| !p.is_empty())
        .ok_or(RecordError::BadValue {
            field,
            value: value.raw,
            expected: "a board id without escapes",
        })?;
    let bytes = slots.small("bytes")?;
    let (t, dt) = (slots.number("t")?, slots.number("dt")?);
    Ok(if transmit {
        Event::Transmit { peer, bytes, t, dt }
    } else {
        Event::Receive { peer, bytes, t, dt }
    })
}

fn summary_event(fields: Fields<'_>) -> Result<Event<'_>, RecordError<'_>> {
    let mut slots = Slots::new("S", ["tok_s", "tokens"], "tok_s, tokens");
    slots.fill(fields)?;
    let (field, value) = slots.require("tok_s")?;
    let tok_s = value
        .raw
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
        .ok_or(RecordError::BadValue {
            field,
            value: value.raw,
            expected: "a positive number of tokens per second",
        })?;
    Ok(Event::Summary {
        tok_s,
        tokens: slots.optional_number("tokens")?,
    })
}
