//! Why a projection could not be made.

use thiserror::Error;

use ruvsim_sim::run::RunError;
use ruvsim_sim::toml_error::TomlError;

/// Why a projection could not be made; every message says what would be valid.
#[derive(Debug, Error)]
pub enum ProjectError {
    /// The target size is below one chip or one replica.
    #[error(
        "--chips {chips} is smaller than one replica of the base design ({chips_per_replica} \
         chips: pipeline {pipeline} x tensor {tensor}); give at least {chips_per_replica}"
    )]
    TooFewChips {
        /// Chips asked for.
        chips: u32,
        /// Chips of one replica.
        chips_per_replica: u32,
        /// Pipeline stages per replica.
        pipeline: u32,
        /// Chips per stage.
        tensor: u32,
    },
    /// The base design's replica has no chips.
    #[error(
        "the base design ({base}) has pipeline {pipeline} x tensor {tensor} = 0 chips per \
         replica; parallelism.pipeline and parallelism.tensor must be at least 1"
    )]
    EmptyReplica {
        /// Where the base came from.
        base: String,
        /// Pipeline stages.
        pipeline: u32,
        /// Chips per stage.
        tensor: u32,
    },
    /// The simulation limit cannot hold one replica.
    #[error(
        "--max-sim-chips {max_sim_chips} is smaller than one replica of the base design \
         ({chips_per_replica} chips); give at least {chips_per_replica}"
    )]
    MaxSimTooSmall {
        /// The limit given.
        max_sim_chips: u32,
        /// Chips of one replica.
        chips_per_replica: u32,
    },
    /// Too few sizes were simulated to fit a scaling model and check it on a held-back point.
    #[error(
        "only {simulated} size(s) could be simulated up to {max_sim_chips} chips, but projecting \
         to {chips} chips needs at least {needed} (a fit and a held-back check); raise \
         --max-sim-chips to at least {suggested}"
    )]
    TooFewSizes {
        /// Sizes simulated.
        simulated: usize,
        /// Sizes needed.
        needed: usize,
        /// The simulation limit.
        max_sim_chips: u32,
        /// The target.
        chips: u32,
        /// A limit that would give enough sizes.
        suggested: u64,
    },
    /// No size the family was asked for could be wired, so nothing was simulated; raising the
    /// simulation limit would not help.
    #[error(
        "no size up to {max_sim_chips} chips could be wired, so nothing was simulated: {first}"
    )]
    NothingBuildable {
        /// The simulation limit.
        max_sim_chips: u32,
        /// Why the first size could not be wired, with the sizes and families that work.
        first: String,
    },
    /// The chip price is negative or not a number.
    #[error("--chip-price-usd {price} is not a price; give a non-negative number of dollars")]
    InvalidPrice {
        /// The price given.
        price: f64,
    },
    /// `--topology` names no known family.
    #[error("unknown topology kind `{given}`; valid: auto, {valid}")]
    UnknownTopology {
        /// What was given.
        given: String,
        /// The valid kinds.
        valid: String,
    },
    /// The forced topology family cannot be built for a size.
    #[error(
        "topology {kind} cannot be built for {chips} chips ({replicas} replicas of \
         {chips_per_replica}) with {link} links: {reason}; {works}"
    )]
    TopologyUnavailable {
        /// The family.
        kind: &'static str,
        /// Chips of the size.
        chips: u32,
        /// Replicas of the size.
        replicas: u32,
        /// Chips per replica.
        chips_per_replica: u32,
        /// The link kind.
        link: String,
        /// Why not.
        reason: String,
        /// Which sizes of the family would work, in words.
        works: String,
    },
    /// No topology at all can be built for a size with these links.
    #[error("no topology can be built for {chips} chips with {link} links: {reason}")]
    NoTopology {
        /// Chips of the size.
        chips: u32,
        /// The link kind.
        link: String,
        /// The topology crate's reasons.
        reason: String,
    },
    /// The base scenario could not be parsed.
    #[error(transparent)]
    BaseScenario(#[from] TomlError),
    /// The base design does not run as one replica (it does not fit, or a setting is invalid).
    #[error("the base design ({base}) does not run as one replica: {source}")]
    BaseDoesNotRun {
        /// Where the base came from.
        base: String,
        /// The simulator's reason.
        source: RunError,
    },
    /// A size failed to simulate.
    #[error("simulating {chips} chips ({replicas} replicas) failed: {source}")]
    Simulation {
        /// Chips of the size.
        chips: u32,
        /// Replicas of the size.
        replicas: u32,
        /// The simulator's reason.
        source: RunError,
    },
    /// A size is too large for the simulator's 32-bit chip, stream or request ids.
    #[error("{what} = {value} does not fit the simulator's 32-bit ids; use a smaller --chips")]
    TooLarge {
        /// What overflowed.
        what: &'static str,
        /// Its value.
        value: u64,
    },
}
