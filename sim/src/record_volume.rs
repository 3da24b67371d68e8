//! How much of a run is kept and written: every record (one per token, chip and link, the whole
//! result and the timeline), or the summary alone, which large runs need because their per-token
//! records grow to hundreds of megabytes. With the summary alone a run keeps no token records at
//! all: the inter-token distribution is gathered as the tokens arrive, in a histogram.

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Output volume of a run and its report folder.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Records {
    /// Every file: `report.html`, `summary.csv`, `tokens.csv`, `phases.csv`, `chips.csv`,
    /// `links.csv`, the whole `result.json` and `timeline.json`.
    #[default]
    All,
    /// `report.html`, `summary.csv` and a `result.json` without the per-request, per-token,
    /// per-chip, per-link and timeline arrays; no token records are kept while simulating.
    Summary,
}

impl Records {
    /// Every volume, in the order the command line lists them.
    pub const ALL: [Records; 2] = [Records::All, Records::Summary];

    /// Clusters larger than this many chips write [`Records::Summary`] unless told otherwise:
    /// at 16,384 chips the full folder is already 145 MB (measured on a hypercube of S3 replicas
    /// with eight tokens per chip), and it grows linearly with the chips.
    pub const AUTO_SUMMARY_ABOVE_CHIPS: u32 = 10_000;

    /// Whether this is [`Records::All`] (which a result's JSON leaves unsaid).
    pub fn is_all(&self) -> bool {
        *self == Records::All
    }

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Records::All => "all",
            Records::Summary => "summary",
        }
    }

    /// The volume used when none is asked for: the summary above
    /// [`Records::AUTO_SUMMARY_ABOVE_CHIPS`] chips, everything up to it.
    pub fn automatic(chips: u32) -> Records {
        if chips > Records::AUTO_SUMMARY_ABOVE_CHIPS {
            Records::Summary
        } else {
            Records::All
        }
    }

    /// The files this volume writes, in the order they are written.
    pub fn files(self) -> &'static [&'static str] {
        match self {
            Records::All => &[
                "report.html",
                "summary.csv",
                "tokens.csv",
                "phases.csv",
                "chips.csv",
                "links.csv",
                "result.json",
                "timeline.json",
            ],
            Records::Summary => &["report.html", "summary.csv", "result.json"],
        }
    }
}

/// A volume name that is not one of [`Records::ALL`].
#[derive(Debug, Error)]
#[error("unknown records volume {0:?}: expected all or summary")]
pub struct UnknownRecords(String);

impl FromStr for Records {
    type Err = UnknownRecords;

    fn from_str(name: &str) -> Result<Records, UnknownRecords> {
        Records::ALL
            .into_iter()
            .find(|r| r.name() == name)
            .ok_or_else(|| UnknownRecords(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::Records;

    #[test]
    fn automatic_volume_switches_above_the_threshold() {
        assert_eq!(Records::automatic(10_000), Records::All);
        assert_eq!(Records::automatic(10_001), Records::Summary);
    }

    #[test]
    fn names_parse_back_and_others_are_refused() {
        for records in Records::ALL {
            assert_eq!(records.name().parse::<Records>().ok(), Some(records));
        }
        let err = "some".parse::<Records>().unwrap_err().to_string();
        assert!(err.contains("all or summary"), "{err}");
    }

    #[test]
    fn summary_is_a_subset_of_all() {
        for file in Records::Summary.files() {
            assert!(Records::All.files().contains(file));
        }
    }
}
