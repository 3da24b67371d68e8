//! `[gated]`: the schema of an event-gated experiment (sensor events, the gate, the polling
//! baseline). The experiment itself is `ruvsim_experiments::gated`.

use serde::{Deserialize, Serialize};

use ruvsim_hw::energy::RestState;

/// `[gated]` in a scenario: the sensor events, the gate and the polling baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatedSpec {
    /// How long the device runs, in seconds.
    pub duration_s: f64,
    /// Where the sensor events come from.
    pub events: EventSource,
    /// How long an event stays observable, in milliseconds.
    pub event_duration_ms: f64,
    /// The always-on gate.
    pub gate: GateSpec,
    /// The always-on polling baseline.
    pub polling: PollingSpec,
}

/// Sensor events: a Poisson process or a replayed file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum EventSource {
    /// Independent events at `rate_per_hour` on average.
    Poisson {
        /// Mean events per hour (greater than 0).
        rate_per_hour: f64,
    },
    /// Event times replayed from a file: microseconds from the start, one per line, ascending,
    /// `#` starts a comment (the workload replay format). Relative to the scenario's folder.
    Replay {
        /// The file.
        file: String,
    },
}

/// `[gated.gate]`: the gate's frame rate, accuracy, size and (optionally) power.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateSpec {
    /// Time between the sensor frames the gate evaluates, in milliseconds.
    pub frame_period_ms: f64,
    /// Probability that the first frame seeing an event fires.
    pub detection: f64,
    /// Probability that a frame seeing no event fires.
    pub false_positive: f64,
    /// Synaptic weights the gate network evaluates per frame (int8 multiply-accumulates).
    #[serde(default = "default_synapses")]
    pub synapses: u64,
    /// Neurons updated per frame (leak, integrate, threshold: three integer operations each).
    #[serde(default = "default_neurons")]
    pub neurons: u64,
    /// The gate's own power in microwatts, replacing the derived default (for a gate on other
    /// silicon, say). The chips' light-sleep power is counted separately either way.
    #[serde(default)]
    pub power_uw: Option<f64>,
}

/// Default gate size: 16 input channels fully connected to 64 spiking neurons (an assumption
/// about the gate network, stated in every result; the documents give no size).
pub const DEFAULT_SYNAPSES: u64 = 16 * 64;
/// Default neuron count (see [`DEFAULT_SYNAPSES`]).
pub const DEFAULT_NEURONS: u64 = 64;

fn default_synapses() -> u64 {
    DEFAULT_SYNAPSES
}

fn default_neurons() -> u64 {
    DEFAULT_NEURONS
}

/// `[gated.polling]`: the always-on baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollingSpec {
    /// Time between polls, in milliseconds (at least one inference long).
    pub interval_ms: f64,
    /// Power state between polls (default `idle`: always on).
    #[serde(default)]
    pub between_polls: RestState,
}
