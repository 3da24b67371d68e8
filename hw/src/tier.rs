//! Tiers of numbers: where a figure comes from, so that no report mixes them up.

use core::fmt;

use serde::{Deserialize, Serialize};

/// Where a figure comes from. Every number ruvsim prints or writes carries one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Recorded on real hardware, or a published measurement with its source.
    Measured,
    /// Computed by this discrete-event simulation, event by event.
    Simulated,
    /// Extrapolated beyond what was simulated, or a closed-form model, with its fitted error.
    Projected,
}

impl Tier {
    /// The lower-case label used in reports and CSV files.
    pub fn label(self) -> &'static str {
        match self {
            Tier::Measured => "measured",
            Tier::Simulated => "simulated",
            Tier::Projected => "projected",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_through_serde() {
        for tier in [Tier::Measured, Tier::Simulated, Tier::Projected] {
            let json = serde_json::to_string(&tier).unwrap();
            assert_eq!(json, format!("\"{}\"", tier.label()));
            let back: Tier = serde_json::from_str(&json).unwrap();
            assert_eq!(back, tier);
        }
    }
}
