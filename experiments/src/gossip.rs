//! Gossip membership for large clusters: how many rounds, and how long, until every live chip
//! knows that a chip has failed.
//!
//! The reference documents claim "gossip protocol: O(log n) convergence". Here the protocol is
//! simulated message by message on the event engine ([`ruvsim_engine::engine`]), every hop of every
//! message occupying its link for the time the link model gives ([`ruvsim_hw::link`]):
//!
//! - Chip `failed` is dead from time 0, and its lowest-numbered live neighbour has detected it
//!   (the heartbeat timeout that detection takes is not part of the figure). Other chips may be
//!   dead too; a dead chip neither receives, relays nor counts.
//! - Every `period` a round starts. In `push` mode each informed live chip sends the rumour to
//!   `fanout` peers; in `push_pull` mode every live chip sends its digest to `fanout` peers and
//!   each peer replies with its own, so an uninformed chip also learns by asking an informed one.
//! - Peers are either topology neighbours (one hop per message) or chips drawn uniformly from the
//!   whole cluster, reached over the topology's routes hop by hop (relays forward without reading).
//!   A chip that knows of the failure no longer picks the failed chip; one that does not may pick
//!   it and lose that exchange. Peer choices come from one seeded ChaCha stream per chip.
//!
//! Default peers: **neighbours**. On wired links (SPI, UART) a chip can only talk to the chips it
//! is wired to, so neighbour gossip is what firmware does without a routing layer, and every
//! message costs exactly one transfer. Random peers are the textbook setting of the O(log n)
//! result; over a topology each such message costs as many transfers as the route has hops, and
//! loads relays' links. Both are simulated; the report shows both.
//!
//! Rounds are counted as gossip rounds started until the last live chip learned of the failure:
//! convergence at time `t` is `t / period + 1` rounds.

mod process;
mod study;
mod sweep;
#[cfg(test)]
mod tests;

use ruvsim_topologies::Topology;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use ruvsim_engine::engine::{Engine, EngineError};
use ruvsim_engine::time::{Duration, Time};
use ruvsim_hw::link::{LinkError, LinkModel};

pub use study::{run_study, FitRow, GossipStudy};
pub use sweep::{
    family_topology, fit_log2, parse_link, sweep_point, Family, LogFit, PortCheck, SweepPoint,
    SweepRun, SweepSpec,
};

/// What a gossip exchange does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GossipMode {
    /// Informed chips send the rumour; uninformed chips stay silent.
    Push,
    /// Every chip sends its digest and the peer replies with its own.
    #[default]
    PushPull,
}

/// How a chip picks its peers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerChoice {
    /// Its topology neighbours (one hop each).
    #[default]
    Neighbours,
    /// Any chip, uniformly, reached over the topology's routes.
    Random,
}

/// The one spelling of a setting's values on the command line and in reports: `ALL`, `name` and
/// `FromStr` for an enum of settings.
macro_rules! named_values {
    ($type:ident, $what:literal, [$($variant:ident => $name:literal),+ $(,)?]) => {
        impl $type {
            /// Every value, in the order help texts list them.
            pub const ALL: &'static [$type] = &[$($type::$variant),+];

            /// The value's name on the command line and in reports.
            pub fn name(self) -> &'static str {
                match self {
                    $($type::$variant => $name),+
                }
            }
        }

        impl std::str::FromStr for $type {
            type Err = GossipError;

            /// Parses [`Self::name`]'s spelling.
            fn from_str(name: &str) -> Result<$type, GossipError> {
                $type::ALL
                    .iter()
                    .copied()
                    .find(|value| value.name() == name)
                    .ok_or_else(|| {
                        let valid: Vec<&str> = $type::ALL.iter().map(|v| v.name()).collect();
                        GossipError::Invalid(format!(
                            "unknown {} `{name}`; valid: {}",
                            $what,
                            valid.join(", ")
                        ))
                    })
            }
        }
    };
}

named_values!(GossipMode, "gossip mode", [Push => "push", PushPull => "push-pull"]);
named_values!(PeerChoice, "peer choice", [Neighbours => "neighbours", Random => "random"]);
named_values!(
    Family,
    "topology family",
    [Hypercube => "hypercube", Torus3d => "torus3d", Torus2d => "torus2d"]
);

/// Protocol settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GossipConfig {
    /// Push or push-pull.
    pub mode: GossipMode,
    /// Neighbours or random chips.
    pub peers: PeerChoice,
    /// Peers contacted per chip and round (at least 1).
    pub fanout: u32,
    /// Time between rounds (a protocol setting, not a hardware figure).
    pub period: Duration,
    /// Bytes of one gossip message.
    pub message_bytes: u32,
    /// Rounds after which a run that has not converged stops (and says so).
    pub max_rounds: u32,
}

/// Default round period: 10 ms, a protocol choice (it is long enough that a round's messages
/// finish within it on wired links; the time figures scale with it).
pub const DEFAULT_PERIOD: Duration = Duration::from_ms(10);
/// Default message size: 4-byte chip id + 4-byte incarnation number + 1 status byte + 1 type byte
/// + 2-byte round number (a minimal membership update, an assumption).
pub const DEFAULT_MESSAGE_BYTES: u32 = 12;

impl Default for GossipConfig {
    fn default() -> Self {
        GossipConfig {
            mode: GossipMode::PushPull,
            peers: PeerChoice::Neighbours,
            fanout: 1,
            period: DEFAULT_PERIOD,
            message_bytes: DEFAULT_MESSAGE_BYTES,
            max_rounds: 1_000,
        }
    }
}

/// One gossip run's inputs.
#[derive(Clone, Copy, Debug)]
pub struct GossipSetup<'a> {
    /// The wiring.
    pub topology: &'a Topology,
    /// The link model of every link.
    pub link: LinkModel,
    /// Whether all chips share one medium (a bus, or ESP-NOW): one transfer at a time in all.
    pub shared_medium: bool,
    /// The protocol.
    pub config: GossipConfig,
    /// The chip whose failure is spread.
    pub failed: u32,
    /// Other dead chips.
    pub dead: &'a [u32],
    /// Seed of the peer choices (and of ESP-NOW loss).
    pub seed: u64,
}

/// Why a gossip run could not be simulated.
#[derive(Debug, Error)]
pub enum GossipError {
    /// A setting is invalid.
    #[error("gossip: {0}")]
    Invalid(String),
    /// The topology refused a query.
    #[error("topology: {0}")]
    Topology(#[from] ruvsim_topologies::TopologyError),
    /// A transfer could not be timed.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A broken invariant of the gossip process itself.
    #[error("internal: {0}")]
    Internal(String),
}

/// What one gossip run produced (tier: simulated).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GossipRun {
    /// Chips in the topology.
    pub chips: u32,
    /// Live chips (all but the failed and other dead ones).
    pub live: u32,
    /// The failed chip.
    pub failed: u32,
    /// The live chip that detected the failure and starts the rumour.
    pub detector: u32,
    /// Whether every live chip learned of the failure within `max_rounds`.
    pub converged: bool,
    /// Rounds started until the last live chip knew (`max_rounds` if it never did).
    pub rounds: u32,
    /// When the last live chip learned of the failure.
    pub time: Option<Duration>,
    /// Live chips that knew at the end.
    pub informed: u32,
    /// Live chips that knew by the end of each round (index 0: the detector alone).
    pub spread: Vec<u32>,
    /// Gossip messages sent (requests, replies, pushes).
    pub messages: u64,
    /// Link transfers (hops) those messages took.
    pub transfers: u64,
    /// Messages lost: addressed to or routed through a dead chip, or lost on the radio.
    pub lost: u64,
    /// Events the engine processed.
    pub events: u64,
}

/// Simulates one gossip run.
pub fn simulate_gossip(setup: &GossipSetup) -> Result<GossipRun, GossipError> {
    let mut gossip = process::Gossip::new(setup)?;
    let mut engine = Engine::new(gossip.resources());
    engine.set_timer(Time::ZERO, process::Round(0))?;
    engine.run(&mut gossip, Time::MAX)?;
    Ok(gossip.into_run(engine.events()))
}
