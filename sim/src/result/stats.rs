//! Totals of a run's optional mechanisms: faults, mixture of experts, speculative decoding (all
//! simulated).

use serde::{Deserialize, Serialize};

use ruvsim_engine::stats::Distribution;
use ruvsim_engine::time::{Duration, Time};

/// What happened at one moment of a fault scenario, for the timeline and the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultEvent {
    /// When.
    pub at: Time,
    /// `crash`, `hang`, `link down`, `detected` or `fail-over`.
    pub kind: String,
    /// The physical chip (for a link outage, its lower end).
    pub chip: u32,
    /// The event in words (`chip 2 crashed`, `spare chip 5 takes over chip 2's role`).
    pub detail: String,
}

/// A spare taking over a role: the work of the role up to then was the failed chip's, the rest
/// the spare's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handover {
    /// The role (the failed chip's id in the plan).
    pub role: u32,
    /// The physical chip that took it over.
    pub spare: u32,
    /// When.
    pub at: Time,
    /// The role's busy time up to then.
    pub busy_before: Duration,
    /// The role's tasks up to then.
    pub tasks_before: u64,
}

/// What faults did to a run (all simulated).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultStats {
    /// Chips that crashed (scheduled or drawn from the mean time between failures).
    pub crashes: u32,
    /// Hangs of chips in service.
    pub hangs: u32,
    /// Link outages.
    pub link_outages: u32,
    /// Fail-overs to a spare.
    pub failovers: u32,
    /// Spares fitted.
    pub spares: u32,
    /// Requests whose work was recomputed after a fail-over.
    pub requests_retried: u32,
    /// Requests failed by a fault.
    pub requests_failed: u32,
    /// Token positions recomputed to rebuild key/value caches.
    pub tokens_recomputed: u64,
    /// Retransmissions on every link: a wired link's after a lost message and its ack timeout,
    /// an ESP-NOW link's after a lost packet.
    pub retransmissions: u64,
    /// Messages to or from a chip that had crashed and not yet been replaced (queued on a link
    /// before the crash, or sent before the fail-over): they never crossed a link to or from it
    /// (a dead chip forwards nothing); their content is taken as recomputed by the recovery.
    #[serde(default)]
    pub stranded_messages: u64,
    /// Heartbeat messages sent (each over every hop of its route).
    #[serde(default)]
    pub heartbeats_sent: u64,
    /// Heartbeats lost on the way: at a link that was down, a chip out of service, on a lossy
    /// link, or with no live route.
    #[serde(default)]
    pub heartbeats_lost: u64,
    /// Heartbeat bytes carried, summed over hops.
    #[serde(default)]
    pub heartbeat_bytes: u64,
    /// Link time the heartbeats occupied, summed over hops.
    #[serde(default)]
    pub heartbeat_link_time: Duration,
    /// Chips declared failed while running (their heartbeats were lost, not the chip).
    #[serde(default)]
    pub false_detections: u32,
    /// From a stop (a crash or the start of a hang) to its detection.
    pub time_to_detect: Distribution,
    /// From a crash to the spare being ready.
    pub time_to_recover: Distribution,
    /// Crashes, hangs, link outages, detections and fail-overs, in time order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<FaultEvent>,
    /// Every spare that took over a role, with the role's work up to then.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub handovers: Vec<Handover>,
}

/// Expert load of a run (all simulated).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MoeStats {
    /// Experts per replica.
    pub experts: u32,
    /// Experts per token and layer.
    pub top_k: u32,
    /// How experts were chosen: `router` (the model's own int8 router), `fixed`, or
    /// `uniform draws` (timing fidelity: no model runs).
    pub routing: String,
    /// Token-layer visits per expert index (summed over replicas).
    pub visits: Vec<u64>,
}

impl MoeStats {
    /// The busiest expert's share of the visits divided by a perfectly even share (1.0 is
    /// perfectly balanced; `experts` means one expert took everything).
    pub fn imbalance(&self) -> f64 {
        let total: u64 = self.visits.iter().sum();
        let max = self.visits.iter().copied().max().unwrap_or(0);
        if total == 0 {
            0.0
        } else {
            max as f64 * self.visits.len() as f64 / total as f64
        }
    }
}

/// Totals of a run's speculation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SpeculationStats {
    /// Draft tokens per round.
    pub k: u32,
    /// Verification rounds.
    pub rounds: u64,
    /// Draft tokens proposed.
    pub proposed: u64,
    /// Draft tokens accepted.
    pub accepted: u64,
    /// Tokens emitted by rounds (accepted plus the target's own, capped by the budget).
    pub emitted: u64,
    /// `true` when acceptance was measured from the real models (functional fidelity); `false`
    /// when it was the scenario's assumption (timing fidelity).
    pub measured: bool,
}

impl SpeculationStats {
    /// Accepted / proposed.
    pub fn acceptance_rate(&self) -> f64 {
        if self.proposed == 0 {
            0.0
        } else {
            self.accepted as f64 / self.proposed as f64
        }
    }

    /// Tokens emitted per verification pass.
    pub fn tokens_per_round(&self) -> f64 {
        if self.rounds == 0 {
            0.0
        } else {
            self.emitted as f64 / self.rounds as f64
        }
    }
}
