//! Derived keys: a scenario key set from other keys of the same design, for values that must
//! move together. The chips of a chain or ring must equal pipeline x tensor x replicas, and a
//! closed-loop workload usually scales with the replicas, so a sweep writes
//!
//! ```toml
//! [[derive]]
//! key = "cluster.topology.chips"
//! product = ["parallelism.pipeline", "parallelism.tensor", "parallelism.replicas"]
//! ```
//!
//! The value is the product of the listed factors: integers, or dotted keys whose integer value
//! is read from the design (the base scenario with the design's axis values and the earlier
//! derived keys). Derived keys are applied in the order the file lists them.

use serde::{Deserialize, Serialize};
use toml::{Table, Value};

use crate::sweep::tree::{check_key, get, set};

/// One `[[derive]]` table of a sweep file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeriveSpec {
    /// The dotted scenario key to set.
    pub key: String,
    /// The factors: integers or dotted keys.
    pub product: Vec<Factor>,
}

/// One factor of a product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, expecting = "an integer or a dotted scenario key in quotes")]
pub enum Factor {
    /// A constant.
    Constant(i64),
    /// The integer value of a key of the design.
    Key(String),
}

impl DeriveSpec {
    /// Checks the key and the factors' keys for spelling, and that there is a factor; the error
    /// is the message for this table.
    pub fn check(&self) -> Result<(), String> {
        check_key(&self.key)?;
        if self.product.is_empty() {
            return Err("`product` needs at least one factor".into());
        }
        for factor in &self.product {
            if let Factor::Key(key) = factor {
                check_key(key)?;
            }
        }
        Ok(())
    }

    /// The rule in words: `cluster.topology.chips = parallelism.pipeline x 2`.
    pub fn describe(&self) -> String {
        let factors: Vec<String> = self
            .product
            .iter()
            .map(|f| match f {
                Factor::Constant(n) => n.to_string(),
                Factor::Key(key) => key.clone(),
            })
            .collect();
        format!("{} = {}", self.key, factors.join(" x "))
    }

    /// Sets the key in `design` to the product of its factors read from `design`.
    pub fn apply(&self, design: &mut Table) -> Result<(), String> {
        let mut product: i64 = 1;
        for factor in &self.product {
            let value = match factor {
                Factor::Constant(n) => *n,
                Factor::Key(key) => match get(design, key) {
                    Some(Value::Integer(n)) => *n,
                    Some(other) => {
                        return Err(format!(
                            "derive {}: `{key}` is {}, not an integer",
                            self.key, other
                        ))
                    }
                    None => {
                        return Err(format!(
                            "derive {}: `{key}` is not set by the base scenario, an axis or an \
                             earlier derive; set it in the base scenario",
                            self.key
                        ))
                    }
                },
            };
            product = product.checked_mul(value).ok_or_else(|| {
                format!(
                    "derive {}: the product overflows a 64-bit integer",
                    self.key
                )
            })?;
        }
        set(design, &self.key, Value::Integer(product))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> DeriveSpec {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn chips_are_the_product_of_the_partition() {
        let mut design: Table =
            "[parallelism]\npipeline = 5\ntensor = 2\nreplicas = 3\n[cluster]\ntopology = { kind = \"chain\", chips = 1 }"
                .parse()
                .unwrap();
        let chips = rule(
            "key = \"cluster.topology.chips\"\nproduct = [\"parallelism.pipeline\", \"parallelism.tensor\", \"parallelism.replicas\"]",
        );
        chips.check().unwrap();
        chips.apply(&mut design).unwrap();
        assert_eq!(
            get(&design, "cluster.topology.chips"),
            Some(&Value::Integer(30))
        );
        let twice = rule("key = \"workload.requests\"\nproduct = [\"parallelism.replicas\", 2]");
        twice.apply(&mut design).unwrap();
        assert_eq!(get(&design, "workload.requests"), Some(&Value::Integer(6)));
        assert_eq!(
            twice.describe(),
            "workload.requests = parallelism.replicas x 2"
        );
    }

    #[test]
    fn missing_or_non_integer_factors_are_named() {
        let mut design: Table = "[cluster]\nvariant = \"esp32\"".parse().unwrap();
        let err = rule("key = \"a.b\"\nproduct = [\"parallelism.tensor\"]")
            .apply(&mut design)
            .unwrap_err();
        assert!(err.contains("`parallelism.tensor` is not set"), "{err}");
        let err = rule("key = \"a.b\"\nproduct = [\"cluster.variant\"]")
            .apply(&mut design)
            .unwrap_err();
        assert!(err.contains("not an integer"), "{err}");
        assert!(rule("key = \"a\"\nproduct = []").check().is_err());
    }
}
