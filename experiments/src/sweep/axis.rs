//! Axes: the scenario keys a sweep varies and the values each takes, written as a list
//! (`values = ["esp32s3", "esp32"]`, any TOML value) or an integer range
//! (`range = { from = 1, to = 8, step = 1 }`, both ends included).

use serde::{Deserialize, Serialize};
use toml::Value;

use crate::sweep::tree::{check_key, label};

/// One `[[axis]]` table of a sweep file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AxisSpec {
    /// The dotted scenario key (`parallelism.pipeline`, `cluster.link`).
    pub key: String,
    /// The values, in order.
    #[serde(default)]
    pub values: Option<Vec<Value>>,
    /// Or an integer range.
    #[serde(default)]
    pub range: Option<RangeSpec>,
}

/// `{ from, to, step }`: the integers `from, from + step, ...` up to and including `to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeSpec {
    /// First value.
    pub from: i64,
    /// Last value (included when the steps land on it).
    pub to: i64,
    /// Distance between values (default 1, at least 1).
    #[serde(default = "one")]
    pub step: i64,
}

fn one() -> i64 {
    1
}

/// Most values one axis may take: a larger axis is almost surely a typo in a range.
pub const MAX_AXIS_VALUES: u64 = 1_000_000;

/// An axis ready to expand: its key and its values.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The dotted scenario key.
    pub key: String,
    /// The values, in order; a design's value index is a position here.
    pub values: Vec<Value>,
}

impl Axis {
    /// Checks a spec (key spelling, exactly one of `values` and `range`, a non-empty, finite
    /// range) and lists its values. The error is the message for the axis's key.
    pub fn from_spec(spec: &AxisSpec) -> Result<Axis, String> {
        check_key(&spec.key)?;
        let values = match (&spec.values, &spec.range) {
            (Some(values), None) => values.clone(),
            (None, Some(range)) => range_values(range)?,
            (Some(_), Some(_)) => {
                return Err(
                    "give either `values = [...]` or `range = { from, to, step }`, not \
                            both"
                        .into(),
                )
            }
            (None, None) => {
                return Err("an axis needs `values = [...]` or `range = { from, to, step }`".into())
            }
        };
        if values.is_empty() {
            return Err("an axis needs at least one value".into());
        }
        Ok(Axis {
            key: spec.key.clone(),
            values,
        })
    }

    /// Every value's label (strings without quotes, other values as inline TOML).
    pub fn labels(&self) -> Vec<String> {
        self.values.iter().map(label).collect()
    }
}

/// The integers of a range, or why it has none.
fn range_values(range: &RangeSpec) -> Result<Vec<Value>, String> {
    let RangeSpec { from, to, step } = *range;
    if step < 1 {
        return Err(format!("range step is {step}; it must be at least 1"));
    }
    if from > to {
        return Err(format!(
            "range from = {from} is above to = {to}; write the smaller end first"
        ));
    }
    let count = (i128::from(to) - i128::from(from)) / i128::from(step) + 1;
    if count > i128::from(MAX_AXIS_VALUES) {
        return Err(format!(
            "range has {count} values, more than {MAX_AXIS_VALUES}; use a larger step"
        ));
    }
    Ok((0..count as i64)
        .map(|i| Value::Integer(from + i * step))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> AxisSpec {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn ranges_include_both_ends_on_the_step() {
        let axis = Axis::from_spec(&spec(
            "key = \"parallelism.pipeline\"\nrange = { from = 1, to = 5, step = 2 }",
        ))
        .unwrap();
        assert_eq!(axis.labels(), ["1", "3", "5"]);
        let axis = Axis::from_spec(&spec("key = \"a.b\"\nrange = { from = 2, to = 4 }")).unwrap();
        assert_eq!(axis.labels(), ["2", "3", "4"]);
    }

    #[test]
    fn lists_keep_any_value_in_order() {
        let axis = Axis::from_spec(&spec(
            "key = \"cluster.link\"\nvalues = [\"b\", { kind = \"uart\" }, 3]",
        ))
        .unwrap();
        assert_eq!(axis.values.len(), 3);
        assert_eq!(axis.labels()[0], "b");
    }

    #[test]
    fn bad_axes_say_what_would_be_valid() {
        let err = |text: &str| Axis::from_spec(&spec(text)).unwrap_err();
        assert!(err("key = \"a\"").contains("needs `values"));
        assert!(err("key = \"a\"\nvalues = []").contains("at least one"));
        assert!(err("key = \"a\"\nrange = { from = 3, to = 1 }").contains("smaller end"));
        assert!(err("key = \"a\"\nrange = { from = 1, to = 3, step = 0 }").contains("step"));
        assert!(
            err("key = \"a\"\nvalues = [1]\nrange = { from = 1, to = 2 }").contains("not both")
        );
        assert!(err("key = \"a b\"\nvalues = [1]").contains("dotted"));
        assert!(err("key = \"a\"\nrange = { from = 0, to = 9000000000 }").contains("larger step"));
    }
}
