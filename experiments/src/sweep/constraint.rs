//! Constraints: what a design must satisfy to count, written as `"<figure> <op> <number>"`
//! (`"inter_token_p99_ms <= 50"`, `"throughput_tok_s >= 500"`, `"power_w <= 2.5"` for a power
//! budget) or `"fits"` (the design builds and its plan fits in the chips' memory, which every
//! design with figures does: it may be written to make a sweep's demand explicit).

use std::fmt;

use crate::sweep::metric::Metric;

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `>`
    Gt,
}

impl Op {
    /// Spellings, longest first so `<=` is not read as `<`.
    const ALL: [(&'static str, Op); 4] =
        [("<=", Op::Le), (">=", Op::Ge), ("<", Op::Lt), (">", Op::Gt)];

    fn symbol(self) -> &'static str {
        Op::ALL
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("?", |(s, _)| s)
    }

    fn holds(self, value: f64, limit: f64) -> bool {
        match self {
            Op::Le => value <= limit,
            Op::Ge => value >= limit,
            Op::Lt => value < limit,
            Op::Gt => value > limit,
        }
    }
}

/// One constraint of a sweep.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Constraint {
    /// The design builds and fits.
    Fits,
    /// A figure compared with a limit.
    Bound {
        /// The figure.
        metric: Metric,
        /// The comparison.
        op: Op,
        /// The limit, in the figure's unit.
        limit: f64,
    },
}

impl Constraint {
    /// Parses `fits` or `<figure> <op> <number>`; the error says what would be valid.
    pub fn parse(text: &str) -> Result<Constraint, String> {
        let trimmed = text.trim();
        if trimmed == "fits" {
            return Ok(Constraint::Fits);
        }
        let Some((at, symbol, op)) = Op::ALL
            .iter()
            .filter_map(|&(s, op)| trimmed.find(s).map(|at| (at, s, op)))
            .min_by_key(|&(at, s, _)| (at, std::cmp::Reverse(s.len())))
        else {
            return Err(format!(
                "`{text}` is not a constraint: write `fits` or `<figure> <op> <number>` with op \
                 one of <=, >=, <, >, for example `inter_token_p99_ms <= 50`"
            ));
        };
        let metric = Metric::parse(trimmed[..at].trim())?;
        let number = trimmed[at + symbol.len()..].trim();
        let limit: f64 = number
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| format!("`{number}` in `{text}` is not a finite number"))?;
        Ok(Constraint::Bound { metric, op, limit })
    }

    /// The figure it constrains (`None` for `fits`).
    pub fn metric(&self) -> Option<Metric> {
        match self {
            Constraint::Fits => None,
            Constraint::Bound { metric, .. } => Some(*metric),
        }
    }

    /// Whether a design with this value of the figure satisfies it; a missing figure (no price
    /// for cost, no tokens for energy) does not.
    pub fn holds(&self, value: Option<f64>) -> bool {
        match self {
            Constraint::Fits => true,
            Constraint::Bound { op, limit, .. } => value.is_some_and(|v| op.holds(v, *limit)),
        }
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Constraint::Fits => f.write_str("fits"),
            Constraint::Bound { metric, op, limit } => {
                write!(f, "{metric} {} {limit}", op.symbol())
            }
        }
    }
}

/// Written as its text (`inter_token_p99_ms <= 50`), in `sweep.json`.
impl serde::Serialize for Constraint {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Read from its text, as the sweep file writes it.
impl<'de> serde::Deserialize<'de> for Constraint {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Constraint, D::Error> {
        let text = String::deserialize(deserializer)?;
        Constraint::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bounds_and_fits() {
        assert_eq!(Constraint::parse(" fits "), Ok(Constraint::Fits));
        let c = Constraint::parse("inter_token_p99_ms <= 50").unwrap();
        assert_eq!(
            c,
            Constraint::Bound {
                metric: Metric::InterTokenP99Ms,
                op: Op::Le,
                limit: 50.0
            }
        );
        assert_eq!(c.to_string(), "inter_token_p99_ms <= 50");
        assert_eq!(
            Constraint::parse("chips>=5").unwrap().to_string(),
            "chips >= 5"
        );
        assert_eq!(
            Constraint::parse("power_w < 2.5").unwrap().to_string(),
            "power_w < 2.5"
        );
    }

    #[test]
    fn holds_compares_and_missing_values_fail() {
        let c = Constraint::parse("throughput_tok_s >= 500").unwrap();
        assert!(c.holds(Some(500.0)));
        assert!(!c.holds(Some(499.9)));
        assert!(!c.holds(None));
        assert!(Constraint::parse("chips > 4").unwrap().holds(Some(5.0)));
        assert!(!Constraint::parse("chips < 5").unwrap().holds(Some(5.0)));
    }

    #[test]
    fn bad_constraints_say_what_would_be_valid() {
        assert!(Constraint::parse("chips = 5")
            .unwrap_err()
            .contains("<figure> <op> <number>"));
        assert!(Constraint::parse("chipz <= 5")
            .unwrap_err()
            .contains("did you mean `chips`"));
        assert!(Constraint::parse("chips <= many")
            .unwrap_err()
            .contains("not a finite number"));
    }
}
