//! Parsing `--synthetic SHAPE`: the shape of a seeded synthetic model written as `key=value` pairs,
//! e.g. `dim=64,hidden=172,layers=5,heads=8,kv_heads=4,vocab=512,seq=512`.

use ruvsim_core::ModelShape;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use ruvsim_core::{AttentionPattern, ModelConfig, Precision};

/// The keys a shape must give, in the order the help text lists them.
const REQUIRED_KEYS: [&str; 7] = [
    "dim", "hidden", "layers", "heads", "kv_heads", "vocab", "seq",
];

/// The key that may be given: `shared=true|false`, whether the classifier shares the embedding.
/// The default is `false`: with random weights a shared classifier mostly predicts the input
/// token again, so generation from it degenerates into repetition.
const SHARED_KEY: &str = "shared";

/// A model shape from the command line: [`ModelShape`] in the `key=value` spelling above.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyntheticShape(pub ModelShape);

/// Why a `--synthetic` shape could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeError(String);

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (a shape is comma-separated key=value with keys {} and optionally {SHARED_KEY}=true|false)",
            self.0,
            REQUIRED_KEYS.join(", ")
        )
    }
}

impl std::error::Error for ShapeError {}

impl FromStr for SyntheticShape {
    type Err = ShapeError;

    fn from_str(text: &str) -> Result<Self, ShapeError> {
        let mut values = BTreeMap::new();
        for item in text.split(',').map(str::trim) {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| ShapeError(format!("`{item}` is not key=value")))?;
            let key = key.trim();
            if !REQUIRED_KEYS.contains(&key) && key != SHARED_KEY {
                return Err(ShapeError(format!("unknown key `{key}`")));
            }
            if values.insert(key, value.trim()).is_some() {
                return Err(ShapeError(format!("key `{key}` given twice")));
            }
        }
        let number = |key: &str| -> Result<u32, ShapeError> {
            let value = values
                .get(key)
                .ok_or_else(|| ShapeError(format!("missing key `{key}`")))?;
            match value.parse::<u32>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(ShapeError(format!(
                    "`{key}={value}` is not a positive integer"
                ))),
            }
        };
        let shared_classifier = match values.get(SHARED_KEY) {
            Some(&"true") => true,
            None | Some(&"false") => false,
            Some(other) => {
                return Err(ShapeError(format!(
                    "`{SHARED_KEY}={other}` is not true or false"
                )))
            }
        };
        Ok(SyntheticShape(ModelShape {
            dim: number("dim")?,
            hidden_dim: number("hidden")?,
            n_layers: number("layers")?,
            n_heads: number("heads")?,
            n_kv_heads: number("kv_heads")?,
            vocab_size: number("vocab")?,
            seq_len: number("seq")?,
            shared_classifier,
        }))
    }
}

impl fmt::Display for SyntheticShape {
    /// The canonical spelling, which parses back to the same shape.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shape = &self.0;
        write!(
            f,
            "dim={},hidden={},layers={},heads={},kv_heads={},vocab={},seq={},shared={}",
            shape.dim,
            shape.hidden_dim,
            shape.n_layers,
            shape.n_heads,
            shape.n_kv_heads,
            shape.vocab_size,
            shape.seq_len,
            shape.shared_classifier
        )
    }
}

impl SyntheticShape {
    /// The configuration of a model of this shape at `precision` with full attention.
    pub fn config(&self, precision: Precision) -> ModelConfig {
        ModelConfig {
            shape: self.0,
            precision,
            attention: AttentionPattern::Full,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORIES: &str = "dim=64,hidden=172,layers=5,heads=8,kv_heads=4,vocab=512,seq=512";

    #[test]
    fn parses_every_key_in_any_order() {
        let shape: SyntheticShape = STORIES.parse().unwrap();
        let config = shape.config(Precision::Int8);
        assert_eq!(
            (
                config.shape.dim,
                config.shape.hidden_dim,
                config.shape.n_layers,
                config.shape.n_heads,
                config.shape.n_kv_heads
            ),
            (64, 172, 5, 8, 4)
        );
        assert_eq!((config.shape.vocab_size, config.shape.seq_len), (512, 512));
        assert!(!config.shape.shared_classifier);
        assert_eq!(config.precision, Precision::Int8);
        let reordered: SyntheticShape =
            "seq=512, vocab=512,kv_heads=4,heads=8,layers=5,hidden=172,dim=64,shared=true"
                .parse()
                .unwrap();
        assert!(reordered.0.shared_classifier);
        assert_eq!(
            SyntheticShape(ModelShape {
                shared_classifier: false,
                ..reordered.0
            }),
            shape
        );
        assert_eq!(
            reordered.to_string().parse::<SyntheticShape>().unwrap(),
            reordered
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let cases = [
            ("dim=64", "missing key `hidden`"),
            ("dim=64,dim=32", "given twice"),
            ("dim=64,width=3", "unknown key `width`"),
            ("dim", "not key=value"),
            (
                &STORIES.replace("dim=64", "dim=0"),
                "`dim=0` is not a positive integer",
            ),
            (
                &STORIES.replace("seq=512", "seq=-1"),
                "`seq=-1` is not a positive integer",
            ),
            (&format!("{STORIES},shared=yes"), "not true or false"),
        ];
        for (text, expected) in cases {
            let message = text.parse::<SyntheticShape>().unwrap_err().to_string();
            assert!(message.contains(expected), "{text}: {message}");
            assert!(
                message.contains("kv_heads"),
                "lists the valid keys: {message}"
            );
        }
    }
}
