//! Reading a whole trace: serial logs with ESP-IDF prefixes and colour codes, merged captures with
//! host stamps (`@board rx_us ...`), and the JSON-lines form; lines that are not trace records are
//! skipped and counted, and every malformed record is reported with its line number.

use std::collections::BTreeMap;
use std::path::Path;

use ruvsim_core::trace::{parse_record, write_value, Record, Token, TAG};

use super::board::{assemble, BoardEvent, BoardTrace};
use super::header::{build_header, HeaderField};
use super::{LineIssue, TraceError};

/// A parsed trace: one entry per board, in board-id order.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// The file it was read from (or a description of the text).
    pub origin: String,
    /// Every board that printed a header.
    pub boards: Vec<BoardTrace>,
    /// Lines that were not trace records (other log output), skipped.
    pub skipped_lines: usize,
}

impl Trace {
    /// The board with id `board`.
    pub fn board(&self, board: &str) -> Option<&BoardTrace> {
        self.boards.iter().find(|b| b.header.board == board)
    }

    /// Whether any board holds timed events (not only a summary).
    pub fn has_timed_events(&self) -> bool {
        self.boards.iter().any(BoardTrace::has_timed_events)
    }
}

/// Reads and parses the trace file at `path`.
pub fn read_trace(path: &Path) -> Result<Trace, TraceError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| TraceError::Read {
        file: file.clone(),
        reason: e.to_string(),
    })?;
    parse_trace(&text, &file)
}

/// What one source (a serial port of a merged capture, or the whole file) printed.
#[derive(Default)]
struct SourceLog {
    fields: Vec<HeaderField>,
    events: Vec<(usize, BoardEvent)>,
}

/// Parses trace text; `origin` names it in errors.
pub fn parse_trace(text: &str, origin: &str) -> Result<Trace, TraceError> {
    let mut sources: BTreeMap<String, SourceLog> = BTreeMap::new();
    let mut issues = Vec::new();
    let mut skipped = 0;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        match classify(raw) {
            Ok(Some((source, record))) => {
                let log = sources.entry(source).or_default();
                if let Err(reason) = take_record(&record, line, log) {
                    issues.push(LineIssue { line, reason });
                }
            }
            Ok(None) => skipped += 1,
            Err(reason) => issues.push(LineIssue { line, reason }),
        }
    }
    let mut boards = Vec::new();
    for (source, log) in sources {
        match build_header(&source, &log.fields) {
            Ok(header) => match assemble(header, log.events) {
                Ok(board) => boards.push(board),
                Err(mut board_issues) => issues.append(&mut board_issues),
            },
            Err(mut header_issues) => issues.append(&mut header_issues),
        }
    }
    boards.sort_by(|a, b| a.header.board.cmp(&b.header.board));
    for pair in boards.windows(2) {
        if pair[0].header.board == pair[1].header.board {
            issues.push(LineIssue {
                line: pair[1].header.line,
                reason: format!(
                    "board id `{}` is used by two sources (headers on lines {} and {})",
                    pair[0].header.board, pair[0].header.line, pair[1].header.line
                ),
            });
        }
    }
    if boards.is_empty() && issues.is_empty() {
        issues.push(LineIssue {
            line: 0,
            reason: format!(
                "no `{TAG}` records found ({skipped} other line(s) skipped); is this a trace?"
            ),
        });
    }
    if !issues.is_empty() {
        issues.sort_by_key(|issue| issue.line);
        return Err(TraceError::Lines {
            origin: origin.to_string(),
            issues,
        });
    }
    Ok(Trace {
        origin: origin.to_string(),
        boards,
        skipped_lines: skipped,
    })
}

/// Splits a line into its source and record text; `None` for a line that is not a record.
fn classify(raw: &str) -> Result<Option<(String, String)>, String> {
    let line = strip_ansi(raw.trim_end_matches(['\r', '\n']));
    let trimmed = line.trim_start();
    if trimmed.starts_with('{') {
        return json_record(trimmed).map(Some);
    }
    let (source, rest) = match trimmed.strip_prefix('@') {
        Some(stamped) => host_stamp(stamped)?,
        None => (String::new(), trimmed),
    };
    let Some(at) = rest.find(TAG) else {
        return Ok(None);
    };
    let prefix = &rest[..at];
    if !(prefix.trim().is_empty() || is_idf_prefix(prefix)) {
        return Err(format!(
            "text before `{TAG}` is not an ESP-IDF log prefix such as `I (12345) `: `{}`",
            prefix.trim_end()
        ));
    }
    Ok(Some((source, rest[at + TAG.len()..].trim().to_string())))
}

/// `<source> <rx_us> <rest>` after the `@` of a host stamp.
fn host_stamp(stamped: &str) -> Result<(String, &str), String> {
    let mut parts = stamped.splitn(3, ' ');
    let source = parts.next().unwrap_or_default();
    let rx = parts.next().unwrap_or_default();
    if source.is_empty() || rx.is_empty() || !rx.bytes().all(|b| b.is_ascii_digit()) {
        return Err(
            "host stamp must be `@<source> <receive time in us> <line>` (line cut off?)".into(),
        );
    }
    Ok((source.to_string(), parts.next().unwrap_or_default()))
}

/// `E (123) `, `I (12:34:56.789) `, ...: an ESP-IDF log level letter and a parenthesised time.
fn is_idf_prefix(prefix: &str) -> bool {
    let mut chars = prefix.chars();
    let level = chars.next();
    let rest: String = chars.collect();
    matches!(level, Some('E' | 'W' | 'I' | 'D' | 'V'))
        && rest.starts_with(" (")
        && rest.trim_end().ends_with(')')
        && rest.trim_end()[2..rest.trim_end().len() - 1]
            .chars()
            .all(|c| c.is_ascii_digit() || c == ':' || c == '.')
}

/// Removes ANSI escape sequences (`ESC [ ... letter`) that coloured ESP-IDF logs carry.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Converts a JSON-lines record (`{"kind": "PS", "phase": "embed", "p": 3, "t": 100}`, with
/// optional `src` and `rx_us` host stamps) to the text form.
fn json_record(text: &str) -> Result<(String, String), String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("invalid JSON record: {e}"))?;
    let serde_json::Value::Object(map) = value else {
        return Err("a JSON record must be an object".into());
    };
    let text_of = |key: &str| -> Result<Option<String>, String> {
        match map.get(key) {
            None => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!("JSON field `{key}` must be a string, got {other}")),
        }
    };
    let kind = text_of("kind")?.ok_or("JSON record lacks `kind`")?;
    let source = text_of("src")?.unwrap_or_default();
    let mut record = kind;
    if let Some(phase) = text_of("phase")? {
        record.push(' ');
        record.push_str(&phase);
    }
    for (key, value) in &map {
        if matches!(key.as_str(), "kind" | "phase" | "src" | "rx_us") {
            continue;
        }
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => u8::from(*b).to_string(),
            other => {
                return Err(format!(
                    "JSON field `{key}` has an unsupported value {other}"
                ))
            }
        };
        record.push(' ');
        record.push_str(key);
        record.push('=');
        write_value(&mut record, &text)
            .map_err(|_| format!("JSON field `{key}` holds a line break"))?;
    }
    Ok((source, record))
}

/// Parses one record and files it with its source.
fn take_record(text: &str, line: usize, log: &mut SourceLog) -> Result<(), String> {
    match parse_record(text).map_err(|e| e.to_string())? {
        Record::Header(tokens) => {
            for token in tokens {
                match token.map_err(|e| e.to_string())? {
                    Token::Field(key, value) => log.fields.push(HeaderField {
                        key: key.to_string(),
                        value: value.chars().collect(),
                        line,
                        after_events: !log.events.is_empty(),
                    }),
                    Token::Word(word) => {
                        return Err(format!("header holds a bare word `{word}`; use key=value"))
                    }
                }
            }
            Ok(())
        }
        Record::Event(event) => {
            log.events.push((line, BoardEvent::from(event)));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_recognised_and_other_lines_skipped() {
        let (source, record) = classify("I (12345) ruvtrace: TS p=1 t=2").unwrap().unwrap();
        assert_eq!((source.as_str(), record.as_str()), ("", "TS p=1 t=2"));
        let coloured = "\u{1b}[0;32mI (88) ruvtrace: TS p=1 t=2\u{1b}[0m";
        assert_eq!(classify(coloured).unwrap().unwrap().1, "TS p=1 t=2");
        let stamped = classify("@ttyUSB0 991 I (1) ruvtrace: TS p=1 t=2").unwrap();
        assert_eq!(stamped.unwrap().0, "ttyUSB0");
        assert_eq!(classify("I (12) wifi: connected").unwrap(), None);
        assert!(classify("garbage ruvtrace: TS p=1 t=2").is_err());
        assert!(classify("@ttyUSB0 I (1) ruvtrace: TS").is_err());
        let json = classify(r#"{"kind":"PS","phase":"layers","span":"0..5","p":3,"t":9}"#);
        assert_eq!(json.unwrap().unwrap().1, "PS layers p=3 span=0..5 t=9");
    }
}
