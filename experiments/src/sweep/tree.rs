//! A scenario as a TOML value tree, edited at dotted paths (`cluster.cpu.clock_mhz`). Axes and
//! derived keys write into the tree and the normal scenario parser reads the result, so every
//! scenario key can be swept and every value is validated the way a scenario file is.

use toml::{Table, Value};

/// Checks a dotted key's spelling: segments of letters, digits and `_`, none empty. Whether the
/// key exists in the scenario format is left to the scenario parser, which names the nearest
/// valid key.
pub fn check_key(key: &str) -> Result<(), String> {
    let valid = |segment: &str| {
        !segment.is_empty()
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if key.split('.').all(valid) {
        Ok(())
    } else {
        Err(format!(
            "`{key}` is not a dotted scenario key: write table and key names joined by dots, \
             such as `cluster.variant` or `cluster.cpu.clock_mhz`"
        ))
    }
}

/// Sets `key` (dotted) to `value`, creating missing tables on the way. Fails when a segment on
/// the way holds a value that is not a table.
pub fn set(table: &mut Table, key: &str, value: Value) -> Result<(), String> {
    let mut segments: Vec<&str> = key.split('.').collect();
    let Some(last) = segments.pop() else {
        return Err("an empty key cannot be set".into());
    };
    let mut current = table;
    let mut path = String::new();
    for segment in segments {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(segment);
        let entry = current
            .entry(segment.to_string())
            .or_insert_with(|| Value::Table(Table::new()));
        current = match entry {
            Value::Table(inner) => inner,
            other => {
                return Err(format!(
                    "`{path}` holds {} {}, not a table, so `{key}` cannot be set inside it; \
                     sweep `{path}` itself instead",
                    article(other.type_str()),
                    other.type_str()
                ))
            }
        };
    }
    current.insert(last.to_string(), value);
    Ok(())
}

/// The value at `key` (dotted), if every segment exists.
pub fn get<'t>(table: &'t Table, key: &str) -> Option<&'t Value> {
    let mut segments = key.split('.');
    let mut value = table.get(segments.next()?)?;
    for segment in segments {
        value = value.as_table()?.get(segment)?;
    }
    Some(value)
}

/// A value as a table cell or file-name part: a string without its quotes, anything else in
/// inline TOML (`40`, `{ kind = "spi", clock_mhz = 40 }`).
pub fn label(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// `a` or `an` before a TOML type name.
fn article(type_name: &str) -> &'static str {
    if type_name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> Table {
        text.parse().unwrap()
    }

    #[test]
    fn set_replaces_and_creates_tables() {
        let mut t = tree("[cluster]\nvariant = \"esp32s3\"\n");
        set(&mut t, "cluster.variant", Value::from("esp32")).unwrap();
        set(&mut t, "cluster.cpu.clock_mhz", Value::from(160)).unwrap();
        assert_eq!(get(&t, "cluster.variant"), Some(&Value::from("esp32")));
        assert_eq!(get(&t, "cluster.cpu.clock_mhz"), Some(&Value::from(160)));
        assert_eq!(get(&t, "cluster.cpu.cores_used"), None);
    }

    #[test]
    fn set_refuses_to_descend_into_a_value() {
        let mut t = tree("[cluster]\nvariant = \"esp32s3\"\n");
        let err = set(&mut t, "cluster.variant.name", Value::from(1)).unwrap_err();
        assert!(err.contains("`cluster.variant` holds a string"), "{err}");
    }

    #[test]
    fn keys_are_checked_for_spelling_only() {
        assert!(check_key("cluster.cpu.clock_mhz").is_ok());
        assert!(check_key("cluster..variant").is_err());
        assert!(check_key("cluster variant").is_err());
        assert!(check_key("").is_err());
    }

    #[test]
    fn labels_drop_string_quotes_only() {
        assert_eq!(label(&Value::from("int8")), "int8");
        assert_eq!(label(&Value::from(40)), "40");
        let link = tree("link = { kind = \"spi\", clock_mhz = 40 }");
        let text = label(&link["link"]);
        assert!(text.contains("kind = \"spi\""), "{text}");
    }
}
