//! One size of a projection: its headline figures with their tier, and what a simulated size's
//! run recorded.

use serde::{Deserialize, Serialize};

use crate::project::wiring::Layout;
use ruvsim_engine::time::PS_PER_MS;
use ruvsim_hw::tier::Tier;
use ruvsim_sim::result::RunResult;

/// One size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Chips.
    pub chips: u32,
    /// Replicas.
    pub replicas: u32,
    /// The wiring and where the replicas sit on it.
    pub layout: Layout,
    /// Generated tokens per second delivered to the gateway.
    pub throughput_tok_s: f64,
    /// Median time between consecutive tokens of a request, as the gateway receives them, ms.
    pub latency_p50_ms: f64,
    /// `throughput / chips`.
    pub tok_s_per_chip: f64,
    /// The gateway's capacity bound at this size, tok/s (`None`: no message crosses a link).
    pub capacity_tok_s: Option<f64>,
    /// Whether a projected throughput is the capacity bound rather than the model's figure.
    pub capped: bool,
    /// `simulated` or `projected`.
    pub tier: Tier,
    /// Stated relative error of a projected throughput (`None` when simulated).
    pub throughput_error: Option<f64>,
    /// Stated relative error of a projected latency (`None` when simulated or not fitted).
    pub latency_error: Option<f64>,
    /// `chips x price` when a price was given.
    pub cost_usd: Option<f64>,
    /// Details of a simulated run (`None` when projected).
    pub simulated: Option<SimulatedFigures>,
}

impl Row {
    /// The range a projected throughput is stated within: the held-back error either side,
    /// never above the gateway's capacity bound (a hard limit no design of this layout can
    /// pass) nor below zero. `None` for a simulated row.
    pub fn throughput_band(&self) -> Option<(f64, f64)> {
        let error = self.throughput_error?;
        let low = (self.throughput_tok_s * (1.0 - error)).max(0.0);
        let high = self.throughput_tok_s * (1.0 + error);
        Some((
            low,
            self.capacity_tok_s.map_or(high, |bound| high.min(bound)),
        ))
    }
}

/// What a simulated size's run recorded, beyond the headline figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimulatedFigures {
    /// Tokens generated.
    pub tokens: u64,
    /// Requests completed.
    pub requests_completed: u32,
    /// Requests that failed.
    pub requests_failed: u32,
    /// Makespan, ms.
    pub makespan_ms: f64,
    /// Events the engine processed.
    pub events: u64,
    /// The busiest resource.
    pub bottleneck: String,
    /// Its utilisation.
    pub bottleneck_utilisation: f64,
}

impl SimulatedFigures {
    /// The figures of a run.
    pub fn of(result: &RunResult) -> SimulatedFigures {
        let s = &result.summary;
        SimulatedFigures {
            tokens: s.tokens_generated,
            requests_completed: s.requests_completed,
            requests_failed: s.requests_failed,
            makespan_ms: s.makespan.as_ps() as f64 / PS_PER_MS as f64,
            events: s.events,
            bottleneck: result.bottleneck.resource.clone(),
            bottleneck_utilisation: result.bottleneck.utilisation,
        }
    }
}
