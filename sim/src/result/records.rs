//! What a cluster run records: requests, generated tokens, timeline spans, and the totals it
//! hands back.

use ruvsim_engine::stats::Distribution;
use serde::{Deserialize, Serialize};

use crate::kernel::Kernel;
use ruvsim_engine::time::{Duration, Time};
use ruvsim_hw::phases::PhaseTimes;

/// How a request ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Every requested token was generated.
    Completed,
    /// The request stopped early.
    Failed {
        /// Why.
        reason: String,
    },
}

/// What happened to one request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// Request id.
    pub id: u32,
    /// When it arrived (closed loop: when its client issued it).
    pub arrival: Time,
    /// When a stream took it.
    pub start: Time,
    /// When its first token was chosen.
    pub first_token: Option<Time>,
    /// When it ended.
    pub end: Time,
    /// Replica that served it.
    pub replica: u32,
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Tokens generated.
    pub generated: u32,
    /// Generated token ids (functional fidelity only).
    pub tokens: Vec<u32>,
    /// How it ended.
    pub outcome: Outcome,
}

/// One generated token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Request id.
    pub request: u32,
    /// Index among the request's generated tokens.
    pub index: u32,
    /// Context position of the input that produced it.
    pub pos: u32,
    /// Pipeline stages it passed.
    pub stages: u32,
    /// When its computation could begin (request start, or the previous token's choice).
    pub start: Time,
    /// When it was chosen.
    pub end: Time,
    /// Where the time of its tasks went, summed over every chip (a prompt's positions count
    /// towards the first generated token, as a firmware's own timer would count them).
    #[serde(default)]
    pub phases: PhaseTimes,
}

/// [`TimelineSpan::stream`] of work that belongs to no stream: a spare's recovery (on a chip), a
/// heartbeat (on a link).
pub const NO_STREAM: u32 = u32::MAX;

/// A span on the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineSpan {
    /// Engine resource (chips first, then links).
    pub resource: u32,
    /// Start.
    pub start: Time,
    /// Duration.
    pub duration: Duration,
    /// Stream ([`NO_STREAM`] for a recovery or a heartbeat).
    pub stream: u32,
    /// Compute kernel, or `None` for a transfer.
    pub kernel: Option<Kernel>,
    /// Transfer bytes (0 for compute).
    pub bytes: u32,
    /// Context position of the token a compute span works on (`None` for a transfer).
    #[serde(default)]
    pub pos: Option<u32>,
    /// Sending and receiving chip of a transfer hop (`None` for compute).
    #[serde(default)]
    pub hop: Option<[u32; 2]>,
    /// Whether the span serves a heartbeat (a hop of one, or a CPU woken to send or take it in).
    #[serde(default)]
    pub heartbeat: bool,
}

/// What a run produced of its tokens when records were not kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamedSummary {
    /// Tokens generated.
    pub generated: u64,
    /// Time between consecutive tokens of a request, as their host receives them.
    pub inter_token: Distribution,
}
