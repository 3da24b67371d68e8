//! The flat, sourced form of a calibration table: dotted key -> value + source.
//!
//! A calibration TOML file nests tables (`[cpu]`, `[cycles.optimized]`, ...) whose leaves are
//! inline tables `{ value = ..., source = "..." }` (a published figure) or
//! `{ value = ..., derived = "..." }` (arithmetic on published figures, or an assumption, stated).
//! Flattening gives keys such as `cycles.optimized.mac_f32`. Keeping this flat form beside the typed
//! [`super::Calibration`] lets reports print every number with its source, lets overrides name any
//! key, and lets every error name the key it is about.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use super::CalibrationError;

/// Where a calibration number comes from.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", content = "text", rename_all = "snake_case")]
pub enum Source {
    /// A published figure, with the citation.
    Cited(String),
    /// Derived from published figures (or an openly stated assumption), with the derivation.
    Derived(String),
    /// Replaced by a scenario or calibration file: the origin (file path or "scenario override").
    Override(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Cited(text) => write!(f, "source: {text}"),
            Source::Derived(text) => write!(f, "derived: {text}"),
            Source::Override(text) => write!(f, "override: {text}"),
        }
    }
}

/// A calibration value as written in the file.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// A whole number.
    Integer(i64),
    /// A decimal number.
    Float(f64),
    /// A flag.
    Bool(bool),
    /// A name (for example an interface mode).
    Text(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Integer(v) => write!(f, "{v}"),
            Value::Float(v) => write!(f, "{v}"),
            Value::Bool(v) => write!(f, "{v}"),
            Value::Text(v) => write!(f, "{v}"),
        }
    }
}

impl Value {
    /// Converts a TOML leaf; `None` for tables, arrays and datetimes.
    fn from_toml(value: &toml::Value) -> Option<Value> {
        match value {
            toml::Value::Integer(v) => Some(Value::Integer(*v)),
            toml::Value::Float(v) => Some(Value::Float(*v)),
            toml::Value::Boolean(v) => Some(Value::Bool(*v)),
            toml::Value::String(v) => Some(Value::Text(v.clone())),
            _ => None,
        }
    }

    /// Name of the value's type, for error messages.
    fn type_name(&self) -> &'static str {
        match self {
            Value::Integer(_) => "integer",
            Value::Float(_) => "decimal",
            Value::Bool(_) => "boolean",
            Value::Text(_) => "string",
        }
    }
}

/// One calibration number with its source.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    /// The value.
    pub value: Value,
    /// Where it comes from.
    pub source: Source,
}

/// All entries of a calibration, keyed by dotted path, in key order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EntryTable {
    entries: BTreeMap<String, Entry>,
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

impl EntryTable {
    /// Flattens a calibration file's tables (everything except the top-level keys in `skip`).
    pub fn from_toml(table: &toml::Table, skip: &[&str]) -> Result<EntryTable, CalibrationError> {
        let mut entries = BTreeMap::new();
        for (key, value) in table {
            if !skip.contains(&key.as_str()) {
                flatten_sourced(key, value, &mut entries)?;
            }
        }
        Ok(EntryTable { entries })
    }

    /// Iterates over `(key, entry)` in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Entry)> {
        self.entries.iter().map(|(k, e)| (k.as_str(), e))
    }

    /// The entry at `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.get(key)
    }

    /// Replaces the entries named in `overrides` (same nesting as a calibration file; leaves are
    /// bare values or `{ value = ..., source = "..." }`), recording `origin` as their source.
    /// Unknown keys are rejected with the nearest valid key.
    pub fn apply_overrides(
        &mut self,
        overrides: &toml::Table,
        origin: &str,
    ) -> Result<(), CalibrationError> {
        let mut flat = Vec::new();
        for (key, value) in overrides {
            flatten_override(key, value, &mut flat)?;
        }
        for (key, value, note) in flat {
            let Some(entry) = self.entries.get_mut(&key) else {
                return Err(CalibrationError::UnknownKey {
                    nearest: nearest_key(&key, self.entries.keys().map(String::as_str)),
                    key,
                });
            };
            entry.value = value;
            entry.source = Source::Override(match note {
                Some(note) => format!("{origin}: {note}"),
                None => origin.to_string(),
            });
        }
        Ok(())
    }
}

/// Reads a calibration file leaf `{ value = ..., source|derived = "..." }`, or recurses.
fn flatten_sourced(
    path: &str,
    value: &toml::Value,
    out: &mut BTreeMap<String, Entry>,
) -> Result<(), CalibrationError> {
    let toml::Value::Table(table) = value else {
        return Err(CalibrationError::Invalid {
            key: path.to_string(),
            reason: "expected `{ value = ..., source = \"...\" }` or a table of such entries"
                .to_string(),
        });
    };
    if !table.contains_key("value") {
        for (key, child) in table {
            flatten_sourced(&join(path, key), child, out)?;
        }
        return Ok(());
    }
    let value = table
        .get("value")
        .and_then(Value::from_toml)
        .ok_or_else(|| CalibrationError::Invalid {
            key: path.to_string(),
            reason: "`value` must be a number, boolean or string".to_string(),
        })?;
    let text = |name: &str| table.get(name).and_then(toml::Value::as_str);
    let source = match (text("source"), text("derived")) {
        (Some(s), None) if !s.trim().is_empty() => Source::Cited(s.to_string()),
        (None, Some(d)) if !d.trim().is_empty() => Source::Derived(d.to_string()),
        _ => {
            return Err(CalibrationError::Invalid {
                key: path.to_string(),
                reason: "needs exactly one non-empty `source` or `derived` string".to_string(),
            })
        }
    };
    if let Some(extra) = table
        .keys()
        .find(|k| !matches!(k.as_str(), "value" | "source" | "derived"))
    {
        return Err(CalibrationError::UnknownKey {
            key: join(path, extra),
            nearest: nearest_key(extra, ["value", "source", "derived"]),
        });
    }
    out.insert(path.to_string(), Entry { value, source });
    Ok(())
}

/// Reads an override leaf (a bare value, or `{ value = ..., source = "..." }`), or recurses.
fn flatten_override(
    path: &str,
    value: &toml::Value,
    out: &mut Vec<(String, Value, Option<String>)>,
) -> Result<(), CalibrationError> {
    if let Some(leaf) = Value::from_toml(value) {
        out.push((path.to_string(), leaf, None));
        return Ok(());
    }
    let toml::Value::Table(table) = value else {
        return Err(CalibrationError::Invalid {
            key: path.to_string(),
            reason: "override must be a number, boolean, string or table".to_string(),
        });
    };
    match table.get("value") {
        Some(inner) => {
            let leaf = Value::from_toml(inner).ok_or_else(|| CalibrationError::Invalid {
                key: path.to_string(),
                reason: "`value` must be a number, boolean or string".to_string(),
            })?;
            let note = table
                .get("source")
                .or_else(|| table.get("derived"))
                .and_then(toml::Value::as_str)
                .map(str::to_string);
            out.push((path.to_string(), leaf, note));
        }
        None => {
            for (key, child) in table {
                flatten_override(&join(path, key), child, out)?;
            }
        }
    }
    Ok(())
}

/// The candidate closest to `key` by edit distance (ties: the first in order).
pub fn nearest_key<'a>(key: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::damerau_levenshtein(key, candidate), candidate))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate.to_string())
}

/// Typed, key-naming access to an [`EntryTable`] while building a [`super::Calibration`]; records
/// which keys were read so that unread (unknown) keys can be rejected.
pub struct Reader<'a> {
    table: &'a EntryTable,
    read: BTreeSet<String>,
}

impl<'a> Reader<'a> {
    /// Starts reading `table`.
    pub fn new(table: &'a EntryTable) -> Reader<'a> {
        Reader {
            table,
            read: BTreeSet::new(),
        }
    }

    /// Whether any key starts with `prefix.` (an optional section is present).
    pub fn has_section(&self, prefix: &str) -> bool {
        let dotted = format!("{prefix}.");
        self.table.entries.keys().any(|k| k.starts_with(&dotted))
    }

    /// Whether `key` is present (for optional entries).
    pub fn has(&self, key: &str) -> bool {
        self.table.entries.contains_key(key)
    }

    fn value(&mut self, key: &str) -> Result<&'a Value, CalibrationError> {
        let entry = self
            .table
            .entries
            .get(key)
            .ok_or_else(|| CalibrationError::Missing {
                key: key.to_string(),
            })?;
        self.read.insert(key.to_string());
        Ok(&entry.value)
    }

    fn wrong_type(key: &str, expected: &'static str, found: &Value) -> CalibrationError {
        CalibrationError::WrongType {
            key: key.to_string(),
            expected,
            found: format!("{} {found}", found.type_name()),
        }
    }

    /// A non-negative whole number (a decimal with no fractional part is accepted).
    pub fn integer(&mut self, key: &str) -> Result<u64, CalibrationError> {
        let value = self.value(key)?;
        match value {
            Value::Integer(v) if *v >= 0 => Ok(*v as u64),
            Value::Float(v) if *v >= 0.0 && v.fract() == 0.0 && *v < u64::MAX as f64 => {
                Ok(*v as u64)
            }
            other => Err(Self::wrong_type(key, "non-negative integer", other)),
        }
    }

    /// A whole number that must fit in `u32` and be at least `min`.
    pub fn integer_u32(&mut self, key: &str, min: u32) -> Result<u32, CalibrationError> {
        let value = self.integer(key)?;
        match u32::try_from(value) {
            Ok(v) if v >= min => Ok(v),
            _ => Err(CalibrationError::Invalid {
                key: key.to_string(),
                reason: format!("must be between {min} and {}, got {value}", u32::MAX),
            }),
        }
    }

    /// A non-negative decimal number, as the nearest multiple of `1 / scale` (fixed point).
    pub fn fixed(&mut self, key: &str, scale: u64) -> Result<u64, CalibrationError> {
        let value = self.value(key)?;
        let decimal = match value {
            Value::Integer(v) if *v >= 0 => *v as f64,
            Value::Float(v) if v.is_finite() && *v >= 0.0 => *v,
            other => return Err(Self::wrong_type(key, "non-negative number", other)),
        };
        let scaled = (decimal * scale as f64).round();
        if scaled >= u64::MAX as f64 {
            return Err(CalibrationError::Invalid {
                key: key.to_string(),
                reason: format!("{decimal} is too large"),
            });
        }
        Ok(scaled as u64)
    }

    /// A fraction in (0, 1], in parts per million.
    pub fn fraction_ppm(&mut self, key: &str) -> Result<u32, CalibrationError> {
        let ppm = self.fixed(key, 1_000_000)?;
        if ppm == 0 || ppm > 1_000_000 {
            return Err(CalibrationError::Invalid {
                key: key.to_string(),
                reason: "must be a fraction greater than 0 and at most 1".to_string(),
            });
        }
        Ok(ppm as u32)
    }

    /// A flag.
    pub fn boolean(&mut self, key: &str) -> Result<bool, CalibrationError> {
        match self.value(key)? {
            Value::Bool(v) => Ok(*v),
            other => Err(Self::wrong_type(key, "boolean", other)),
        }
    }

    /// Fails with the first key that was never read: it is not part of the calibration schema.
    pub fn reject_unread(&self) -> Result<(), CalibrationError> {
        match self
            .table
            .entries
            .keys()
            .find(|key| !self.read.contains(*key))
        {
            Some(key) => Err(CalibrationError::UnknownKey {
                key: key.clone(),
                nearest: nearest_key(key, self.read.iter().map(String::as_str)),
            }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_key_by_edit_distance() {
        assert_eq!(
            nearest_key("cpu.max_clok_mhz", ["cpu.cores", "cpu.max_clock_mhz"]),
            Some("cpu.max_clock_mhz".to_string())
        );
    }

    #[test]
    fn flattening_requires_exactly_one_source() {
        let parse = |text: &str| EntryTable::from_toml(&text.parse().unwrap(), &[]);
        let ok =
            parse("[a]\nb = { value = 1, source = \"x\" }\nc = { value = 2.5, derived = \"y\" }")
                .unwrap();
        assert_eq!(ok.get("a.b").unwrap().value, Value::Integer(1));
        assert_eq!(ok.get("a.c").unwrap().source, Source::Derived("y".into()));
        assert!(parse("[a]\nb = { value = 1 }").is_err());
        assert!(parse("[a]\nb = { value = 1, source = \"x\", derived = \"y\" }").is_err());
        assert!(parse("[a]\nb = 3").is_err());
        let err = parse("[a]\nb = { value = 1, source = \"x\", sorce = \"z\" }").unwrap_err();
        assert!(err.to_string().contains("a.b.sorce"), "{err}");
    }
}
