//! Turning TOML and serde errors into messages that name the file, line, column, key and what would
//! be valid.

use std::fmt;

/// A located problem in a TOML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TomlError {
    /// The file (as the user named it).
    pub file: String,
    /// 1-based line, when the parser located the problem.
    pub line: Option<usize>,
    /// 1-based column, when located.
    pub column: Option<usize>,
    /// The text of the offending line, when located.
    pub snippet: Option<String>,
    /// What is wrong, with a suggestion where one exists.
    pub message: String,
}

impl fmt::Display for TomlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(f, "{}:{line}:{column}: {}", self.file, self.message)?
            }
            _ => write!(f, "{}: {}", self.file, self.message)?,
        }
        if let Some(snippet) = &self.snippet {
            write!(f, "\n  | {snippet}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TomlError {}

/// Deserialises `text` (the content of `file`) as `T`, with located, suggestive errors.
pub fn from_toml_str<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
) -> Result<T, TomlError> {
    toml::from_str(text).map_err(|error| locate(file, text, &error))
}

/// Builds a [`TomlError`] from a `toml` error: position from its span, message with a suggestion.
fn locate(file: &str, text: &str, error: &toml::de::Error) -> TomlError {
    let (line, column, snippet) = match error.span() {
        Some(span) => {
            let start = span.start.min(text.len());
            let before = &text[..start];
            let line = before.matches('\n').count() + 1;
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let column = text[line_start..start].chars().count() + 1;
            let line_text = text[line_start..].lines().next().unwrap_or("").to_string();
            (Some(line), Some(column), Some(line_text))
        }
        None => (None, None, None),
    };
    TomlError {
        file: file.to_string(),
        line,
        column,
        snippet,
        message: in_words(&with_suggestion(error.message().trim())),
    }
}

/// Adds "did you mean `x`?" to serde's "unknown field `a`, expected one of `b`, `c`" and
/// "unknown variant" messages, choosing the closest valid name.
pub fn with_suggestion(message: &str) -> String {
    let Some(unknown) = backticked(message).next() else {
        return message.to_string();
    };
    if !(message.starts_with("unknown field") || message.starts_with("unknown variant")) {
        return message.to_string();
    }
    let best = backticked(message)
        .skip(1)
        .map(|candidate| (strsim::damerau_levenshtein(unknown, candidate), candidate))
        .min();
    match best {
        Some((distance, candidate)) if distance <= unknown.len().max(3) / 2 + 1 => {
            format!("{message}; did you mean `{candidate}`?")
        }
        _ => message.to_string(),
    }
}

/// serde names the Rust type it expected ("invalid type: string \"five\", expected u32"); a
/// scenario's author needs the values instead ("expected a whole number from 0 to
/// 4,294,967,295").
fn in_words(message: &str) -> String {
    const TYPES: [(&str, &str); 10] = [
        ("expected u8", "expected a whole number from 0 to 255"),
        ("expected u16", "expected a whole number from 0 to 65,535"),
        (
            "expected u32",
            "expected a whole number from 0 to 4,294,967,295",
        ),
        (
            "expected u64",
            "expected a whole number from 0 to 18,446,744,073,709,551,615",
        ),
        ("expected usize", "expected a whole number from 0 up"),
        ("expected i32", "expected a whole number (negative allowed)"),
        ("expected i64", "expected a whole number (negative allowed)"),
        ("expected f32", "expected a number"),
        ("expected f64", "expected a number"),
        ("expected a boolean", "expected true or false"),
    ];
    let mut text = message.to_string();
    for (rust, words) in TYPES {
        // Only whole words: "expected u32" must not match inside "expected u320".
        if let Some(at) = text.find(rust) {
            let end = at + rust.len();
            let whole = text[end..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_ascii_alphanumeric());
            if whole {
                text.replace_range(at..end, words);
            }
        }
    }
    text
}

/// The back-ticked words of a message, in order.
fn backticked(message: &str) -> impl Iterator<Item = &str> {
    message.split('`').skip(1).step_by(2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Cluster {
        chips: u32,
        variant: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        cluster: Cluster,
    }

    #[test]
    fn unknown_key_names_line_and_nearest_key() {
        let text = "[cluster]\nchips = 5\nvariamt = \"esp32s3\"\n";
        let err = from_toml_str::<Doc>("s.toml", text).unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert_eq!(err.column, Some(1), "{err}");
        assert!(err.message.contains("did you mean `variant`?"), "{err}");
        assert!(
            err.to_string()
                .starts_with("s.toml:3:1: unknown field `variamt`"),
            "{err}"
        );
        assert!(
            err.to_string().ends_with("| variamt = \"esp32s3\""),
            "{err}"
        );
    }

    #[test]
    fn syntax_error_is_located() {
        let err = from_toml_str::<Doc>("s.toml", "[cluster]\nchips = = 5\n").unwrap_err();
        assert_eq!(err.line, Some(2), "{err}");
    }

    #[test]
    fn wrong_type_is_reported() {
        let err = from_toml_str::<Doc>("s.toml", "[cluster]\nchips = \"five\"\nvariant = \"x\"\n")
            .unwrap_err();
        assert_eq!(err.line, Some(2), "{err}");
        assert!(err.message.contains("invalid type"), "{err}");
        assert!(
            err.message
                .contains("expected a whole number from 0 to 4,294,967,295"),
            "{err}"
        );
        assert!(!err.message.contains("u32"), "{err}");
    }

    #[test]
    fn far_names_get_no_suggestion() {
        assert_eq!(
            with_suggestion("unknown field `zzzzzz`, expected `chips` or `variant`"),
            "unknown field `zzzzzz`, expected `chips` or `variant`"
        );
    }
}
