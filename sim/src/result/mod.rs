//! The result of one run: every figure the reports show, each with its tier.

use ruvsim_core::{ModelConfig, OpCounts};
use serde::{Deserialize, Serialize};

pub mod records;
pub mod stats;

use crate::plan::Plan;
use crate::scenario::Fidelity;
pub use records::{Outcome, RequestRecord, StreamedSummary, TimelineSpan, TokenRecord};
use ruvsim_engine::stats::Distribution;

use crate::record_volume::Records;
use ruvsim_engine::time::{Duration, Time};
use ruvsim_hw::energy::EnergyResult;
use ruvsim_hw::memory::{Footprint, Placement};
use ruvsim_hw::tier::Tier;
pub use stats::{FaultEvent, FaultStats, Handover, MoeStats, SpeculationStats};

/// Everything one simulated run produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// Scenario name.
    pub scenario: String,
    /// Scenario description.
    pub description: String,
    /// Seed of the run.
    pub seed: u64,
    /// How much was really computed.
    pub fidelity: Fidelity,
    /// The tier of every figure in this result (`simulated`).
    pub tier: Tier,
    /// The model.
    pub model: ModelSummary,
    /// The cluster.
    pub cluster: ClusterSummary,
    /// Who holds what.
    pub plan: Plan,
    /// Headline figures.
    pub summary: Summary,
    /// How much of the run was kept: with [`Records::Summary`], `tokens` is empty and the
    /// inter-token figures come from a histogram. Written only when it is the summary.
    #[serde(default, skip_serializing_if = "Records::is_all")]
    pub records: Records,
    /// Every request.
    pub requests: Vec<RequestRecord>,
    /// Every generated token.
    pub tokens: Vec<TokenRecord>,
    /// Per chip.
    pub chips: Vec<ChipResult>,
    /// Per link (or the one shared medium).
    pub links: Vec<LinkResult>,
    /// The busiest resource and why.
    pub bottleneck: Bottleneck,
    /// Energy per chip and in total, average power and battery life.
    pub energy: EnergyResult,
    /// Generated text per request (functional fidelity with a tokenizer).
    pub texts: Vec<Option<String>>,
    /// The calibration used: every entry with its value and source.
    pub calibration: Vec<CalibrationEntry>,
    /// Compute and transfer spans, for the timeline.
    pub timeline: Vec<TimelineSpan>,
    /// Spans left out of `timeline` because of its size limit.
    pub timeline_dropped: u64,
    /// Speculative decoding totals (acceptance measured in functional fidelity, assumed in
    /// timing fidelity), when the scenario speculates.
    #[serde(default)]
    pub speculation: Option<SpeculationStats>,
    /// What faults did (detection, fail-over, recomputation), when the scenario has faults.
    #[serde(default)]
    pub faults: Option<FaultStats>,
    /// Mixture-of-experts load per expert, when the plan has experts.
    #[serde(default)]
    pub moe: Option<MoeStats>,
}

/// The model a run used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    /// Where it came from (`synthetic stories260k seed 7`, a file path, ...).
    pub source: String,
    /// Its configuration.
    pub config: ModelConfig,
    /// Size of the model in the ruvsim format (timing fidelity: weights of the whole model by the
    /// core's footprint).
    pub weight_bytes: u64,
    /// Whether the weights are random (synthetic): text and acceptance from them mean nothing.
    pub synthetic: bool,
}

/// The cluster a run used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterSummary {
    /// Chip variant.
    pub variant: String,
    /// Chips.
    pub chips: u32,
    /// Topology kind.
    pub topology: String,
    /// Links (1 for a shared medium).
    pub links: u32,
    /// Link kind and settings, as described.
    pub link: String,
    /// CPU clock.
    pub clock_mhz: u32,
    /// Cores used.
    pub cores_used: u32,
    /// Kernel implementation.
    pub kernel: String,
}

/// Headline figures (all simulated).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Requests that generated every token.
    pub requests_completed: u32,
    /// Requests that ended early.
    pub requests_failed: u32,
    /// Prompt tokens processed.
    pub prompt_tokens: u64,
    /// Tokens generated.
    pub tokens_generated: u64,
    /// From the first arrival to the last token.
    pub makespan: Duration,
    /// Generated tokens per second over the makespan.
    pub throughput_tok_s: f64,
    /// Arrival to first token.
    pub time_to_first_token: Distribution,
    /// Between consecutive tokens of a request.
    pub inter_token_latency: Distribution,
    /// Whether the inter-token figures were streamed into a histogram (percentiles within 0.1%)
    /// rather than computed from every token record.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inter_token_streamed: bool,
    /// Arrival to end.
    pub request_latency: Distribution,
    /// Arrival to start (waiting for a free stream).
    pub queue_wait: Distribution,
    /// Events the engine processed.
    pub events: u64,
}

/// What a chip does in the plan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChipKind {
    /// Holds a part of the target model.
    #[default]
    Target,
    /// Runs a replica's speculative draft model.
    Draft,
    /// Holds one mixture-of-experts expert of a replica.
    Expert,
    /// Idle until it takes over a failed chip (its work is then counted under that chip's id).
    Spare,
}

/// One chip's use.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChipResult {
    /// Chip id.
    pub chip: u32,
    /// Its part in the plan.
    #[serde(default)]
    pub kind: ChipKind,
    /// Replica.
    pub replica: u32,
    /// Stage.
    pub stage: u32,
    /// Rank in the stage.
    pub rank: u32,
    /// Time busy.
    pub busy: Duration,
    /// `busy / makespan`.
    pub utilisation: f64,
    /// Tasks run.
    pub tasks: u64,
    /// Operations performed.
    pub counts: OpCounts,
    /// Bytes held.
    pub footprint: Footprint,
    /// Where they live, and the SRAM budget.
    pub placement: Placement,
}

/// One link's use.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkResult {
    /// Link id.
    pub link: u32,
    /// Its ends, in words (`3-4`, or `shared medium`).
    pub ends: String,
    /// The two chips a point-to-point link joins (lower id first); `None` for a shared medium.
    pub pair: Option<[u32; 2]>,
    /// Bytes carried.
    pub bytes: u64,
    /// Messages (hops) carried.
    pub messages: u64,
    /// Time busy.
    pub busy: Duration,
    /// `busy / makespan`.
    pub utilisation: f64,
}

/// The resource with the highest utilisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bottleneck {
    /// `chip 3` or `link 2 (3-4)`.
    pub resource: String,
    /// Its utilisation.
    pub utilisation: f64,
    /// Why, in words.
    pub explanation: String,
}

/// A calibration entry as used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalibrationEntry {
    /// Dotted key.
    pub key: String,
    /// Value, as written.
    pub value: String,
    /// Citation, derivation, or override origin.
    pub source: String,
}

/// Builds the summary from the records.
pub fn summarise(requests: &[RequestRecord], tokens: &[TokenRecord], events: u64) -> Summary {
    let span = |a: Time, b: Time| b.checked_duration_since(a).unwrap_or(Duration::ZERO);
    let mut itl = Vec::new();
    let mut by_request: Vec<Vec<&TokenRecord>> = vec![Vec::new(); requests.len()];
    for token in tokens {
        if let Some(list) = by_request.get_mut(token.request as usize) {
            list.push(token);
        }
    }
    for list in &by_request {
        for pair in list.windows(2) {
            itl.push(span(pair[0].end, pair[1].end));
        }
    }
    summary_of(
        requests,
        tokens.len() as u64,
        Distribution::of(&itl),
        false,
        events,
    )
}

/// [`summarise`] for a run whose tokens were streamed: their count and inter-token distribution
/// were gathered as they arrived (percentiles within 0.1%).
pub fn summarise_streamed(
    requests: &[RequestRecord],
    streamed: &StreamedSummary,
    events: u64,
) -> Summary {
    summary_of(
        requests,
        streamed.generated,
        streamed.inter_token,
        true,
        events,
    )
}

/// The headline figures from the requests, the tokens generated and their inter-token
/// distribution.
fn summary_of(
    requests: &[RequestRecord],
    generated: u64,
    inter_token_latency: Distribution,
    inter_token_streamed: bool,
    events: u64,
) -> Summary {
    let start = requests
        .iter()
        .map(|r| r.arrival)
        .min()
        .unwrap_or(Time::ZERO);
    let end = requests.iter().map(|r| r.end).max().unwrap_or(Time::ZERO);
    let makespan = end.checked_duration_since(start).unwrap_or(Duration::ZERO);
    let span = |a: Time, b: Time| b.checked_duration_since(a).unwrap_or(Duration::ZERO);
    let ttft: Vec<Duration> = requests
        .iter()
        .filter_map(|r| r.first_token.map(|t| span(r.arrival, t)))
        .collect();
    let latency: Vec<Duration> = requests.iter().map(|r| span(r.arrival, r.end)).collect();
    let wait: Vec<Duration> = requests.iter().map(|r| span(r.arrival, r.start)).collect();
    let seconds = makespan.as_secs_f64();
    Summary {
        requests_completed: requests
            .iter()
            .filter(|r| r.outcome == Outcome::Completed)
            .count() as u32,
        requests_failed: requests
            .iter()
            .filter(|r| r.outcome != Outcome::Completed)
            .count() as u32,
        prompt_tokens: requests.iter().map(|r| u64::from(r.prompt_tokens)).sum(),
        tokens_generated: generated,
        makespan,
        throughput_tok_s: if seconds > 0.0 {
            generated as f64 / seconds
        } else {
            0.0
        },
        time_to_first_token: Distribution::of(&ttft),
        inter_token_latency,
        inter_token_streamed,
        request_latency: Distribution::of(&latency),
        queue_wait: Distribution::of(&wait),
        events,
    }
}
