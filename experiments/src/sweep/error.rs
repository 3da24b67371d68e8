//! Why a sweep could not be read, expanded, run or merged. Every message names the file and the
//! key (or design) at fault and what would be valid, so bad input never ends in a panic.

use ruvsim_sim::toml_error::TomlError;

/// A sweep that cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A file could not be read.
    #[error("cannot read {file}: {source}")]
    Read {
        /// The file.
        file: String,
        /// The system's reason.
        source: std::io::Error,
    },
    /// The sweep file's syntax, an unknown key, or a value of the wrong type.
    #[error(transparent)]
    Toml(#[from] TomlError),
    /// A key of the sweep file holds a value the sweep cannot use.
    #[error("{file}: {key}: {message}")]
    Invalid {
        /// The sweep file.
        file: String,
        /// The key at fault (`axis[2].range`, `constraints[0]`).
        key: String,
        /// What is wrong and what would be valid.
        message: String,
    },
    /// The base scenario with one design's axis values is not a valid scenario (a value of the
    /// wrong type, a misspelt key): the sweep file is at fault, not the design.
    #[error("{file}: design {id} ({values}) is not a valid scenario: {message}")]
    Design {
        /// The sweep file.
        file: String,
        /// The design's id.
        id: u64,
        /// Its axis values, `key = value` joined by commas.
        values: String,
        /// The scenario parser's or the sweep's message.
        message: String,
    },
    /// More designs than the budget allows.
    #[error(
        "{file}: this run would simulate {designs} designs (of {total} in the sweep), more than \
         the budget of {budget}; narrow an axis, split the sweep with --shard K/N, or raise \
         --budget-designs"
    )]
    Budget {
        /// The sweep file.
        file: String,
        /// Designs this run would simulate.
        designs: u64,
        /// Designs in the whole sweep.
        total: u64,
        /// The budget.
        budget: u64,
    },
    /// The worker threads could not be started.
    #[error("cannot start {threads} worker threads: {reason}")]
    Threads {
        /// Threads asked for.
        threads: usize,
        /// The system's reason.
        reason: String,
    },
    /// Shard outputs that do not make up one sweep.
    #[error("cannot merge: {0}")]
    Merge(String),
}

impl SweepError {
    /// An [`SweepError::Invalid`] for `file` and `key`.
    pub fn invalid(file: &str, key: impl Into<String>, message: impl Into<String>) -> SweepError {
        SweepError::Invalid {
            file: file.to_string(),
            key: key.into(),
            message: message.into(),
        }
    }
}
