//! Objectives: the figures a sweep trades off, each to be minimised or maximised, written
//! `"min cost_usd"`, `"max throughput_tok_s"` (or `minimise` / `maximise`, `minimize` /
//! `maximize`). The Pareto frontier ([`crate::sweep::pareto`]) is taken over them.

use std::fmt;

use crate::sweep::metric::Metric;

/// Which way is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Goal {
    /// Smaller is better.
    Min,
    /// Larger is better.
    Max,
}

impl Goal {
    /// Whether `a` is strictly better than `b`.
    pub fn better(self, a: f64, b: f64) -> bool {
        match self {
            Goal::Min => a < b,
            Goal::Max => a > b,
        }
    }
}

/// One objective.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Objective {
    /// The figure.
    pub metric: Metric,
    /// Which way is better.
    pub goal: Goal,
}

impl Objective {
    /// Parses `min <figure>` or `max <figure>`; the error says what would be valid.
    pub fn parse(text: &str) -> Result<Objective, String> {
        let mut words = text.split_whitespace();
        let goal = match words.next() {
            Some("min" | "minimise" | "minimize") => Goal::Min,
            Some("max" | "maximise" | "maximize") => Goal::Max,
            _ => {
                return Err(format!(
                    "`{text}` is not an objective: write `min <figure>` or `max <figure>`, for \
                     example `min cost_usd` or `max throughput_tok_s`"
                ))
            }
        };
        let (Some(name), None) = (words.next(), words.next()) else {
            return Err(format!(
                "`{text}` is not an objective: write one figure after `min` or `max`"
            ));
        };
        Ok(Objective {
            metric: Metric::parse(name)?,
            goal,
        })
    }
}

impl fmt::Display for Objective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let goal = match self.goal {
            Goal::Min => "min",
            Goal::Max => "max",
        };
        write!(f, "{goal} {}", self.metric)
    }
}

/// Written as its text (`max throughput_tok_s`), in `sweep.json`.
impl serde::Serialize for Objective {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Read from its text, as the sweep file writes it.
impl<'de> serde::Deserialize<'de> for Objective {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Objective, D::Error> {
        let text = String::deserialize(deserializer)?;
        Objective::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_spellings() {
        let o = Objective::parse("maximise throughput_tok_s").unwrap();
        assert_eq!(o.goal, Goal::Max);
        assert_eq!(o.metric, Metric::ThroughputTokS);
        assert_eq!(o.to_string(), "max throughput_tok_s");
        assert_eq!(Objective::parse("min cost_usd").unwrap().goal, Goal::Min);
        assert!(Goal::Min.better(1.0, 2.0) && Goal::Max.better(2.0, 1.0));
        assert!(!Goal::Min.better(1.0, 1.0));
    }

    #[test]
    fn bad_objectives_say_what_would_be_valid() {
        assert!(Objective::parse("cheapest")
            .unwrap_err()
            .contains("min <figure>"));
        assert!(Objective::parse("min").unwrap_err().contains("one figure"));
        assert!(Objective::parse("min a b")
            .unwrap_err()
            .contains("one figure"));
        assert!(Objective::parse("min cost")
            .unwrap_err()
            .contains("cost_usd"));
    }
}
