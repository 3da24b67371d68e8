//! The figures a sweep records per design, by the names constraints and objectives use. Two are
//! known before simulating (`chips`, `cost_usd`: inputs, so a constraint on them prunes a design
//! without running it); the others come from the design's simulation (tier: simulated).

use serde::{Deserialize, Serialize};

use ruvsim_sim::result::RunResult;

/// A figure of a design, as constraints and objectives name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Chips in the cluster (input).
    Chips,
    /// Chips x the user's price of the design's variant, US dollars (input).
    CostUsd,
    /// Generated tokens per second over the makespan.
    ThroughputTokS,
    /// Throughput divided by the chips.
    TokSPerChip,
    /// Median time from a request's arrival to its first token, milliseconds.
    TtftP50Ms,
    /// 99th percentile of the same.
    TtftP99Ms,
    /// Median time between consecutive tokens of a request, milliseconds.
    InterTokenP50Ms,
    /// 99th percentile of the same.
    InterTokenP99Ms,
    /// Energy of all chips per generated token, millijoules.
    EnergyPerTokenMj,
    /// Average power of all chips over the run, watts.
    PowerW,
    /// The longest time from a chip stopping to its monitor declaring it failed, milliseconds
    /// (designs with faults whose chips stopped).
    DetectMaxMs,
    /// Heartbeats' share of the links' busy time, percent (designs with faults).
    HeartbeatLinkPct,
}

impl Metric {
    /// Every metric, in the order tables list them.
    pub const ALL: [Metric; 12] = [
        Metric::Chips,
        Metric::CostUsd,
        Metric::ThroughputTokS,
        Metric::TokSPerChip,
        Metric::TtftP50Ms,
        Metric::TtftP99Ms,
        Metric::InterTokenP50Ms,
        Metric::InterTokenP99Ms,
        Metric::EnergyPerTokenMj,
        Metric::PowerW,
        Metric::DetectMaxMs,
        Metric::HeartbeatLinkPct,
    ];

    /// The one spelling of the metric: in sweep files, CSV headers and JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Metric::Chips => "chips",
            Metric::CostUsd => "cost_usd",
            Metric::ThroughputTokS => "throughput_tok_s",
            Metric::TokSPerChip => "tok_s_per_chip",
            Metric::TtftP50Ms => "ttft_p50_ms",
            Metric::TtftP99Ms => "ttft_p99_ms",
            Metric::InterTokenP50Ms => "inter_token_p50_ms",
            Metric::InterTokenP99Ms => "inter_token_p99_ms",
            Metric::EnergyPerTokenMj => "energy_per_token_mj",
            Metric::PowerW => "power_w",
            Metric::DetectMaxMs => "detect_max_ms",
            Metric::HeartbeatLinkPct => "heartbeat_link_pct",
        }
    }

    /// What it is, with its unit, for chart axes and tables.
    pub const fn label(self) -> &'static str {
        match self {
            Metric::Chips => "chips",
            Metric::CostUsd => "cost (USD, user input)",
            Metric::ThroughputTokS => "throughput (tok/s)",
            Metric::TokSPerChip => "tok/s per chip",
            Metric::TtftP50Ms => "time to first token p50 (ms)",
            Metric::TtftP99Ms => "time to first token p99 (ms)",
            Metric::InterTokenP50Ms => "time between tokens p50 (ms)",
            Metric::InterTokenP99Ms => "time between tokens p99 (ms)",
            Metric::EnergyPerTokenMj => "energy per token (mJ)",
            Metric::PowerW => "average power (W)",
            Metric::DetectMaxMs => "time to detect a stopped chip, max (ms)",
            Metric::HeartbeatLinkPct => "heartbeats' share of link busy time (%)",
        }
    }

    /// Whether the figure is known before simulating (an input of the design).
    pub const fn is_input(self) -> bool {
        matches!(self, Metric::Chips | Metric::CostUsd)
    }

    /// The metric named `name`, or a message listing the valid names (with the nearest one).
    pub fn parse(name: &str) -> Result<Metric, String> {
        Metric::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
                let nearest = names
                    .iter()
                    .map(|n| (strsim::damerau_levenshtein(name, n), *n))
                    .min()
                    .filter(|(d, _)| *d <= name.len().max(3) / 2 + 1)
                    .map_or(String::new(), |(_, n)| format!(" (did you mean `{n}`?)"));
                format!(
                    "`{name}` is not a figure{nearest}; the figures are {}",
                    names.join(", ")
                )
            })
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The simulated figures of a design (tier: simulated).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Generated tokens per second over the makespan.
    pub throughput_tok_s: f64,
    /// Throughput per chip.
    pub tok_s_per_chip: f64,
    /// Time to first token, median, ms.
    pub ttft_p50_ms: f64,
    /// Time to first token, 99th percentile, ms.
    pub ttft_p99_ms: f64,
    /// Time between tokens, median, ms.
    pub inter_token_p50_ms: f64,
    /// Time between tokens, 99th percentile, ms.
    pub inter_token_p99_ms: f64,
    /// Energy per generated token, mJ (`None` without tokens).
    pub energy_per_token_mj: Option<f64>,
    /// Average power of all chips, W (`None` for an empty window).
    pub power_w: Option<f64>,
    /// Longest time from a chip stopping to its detection, ms (`None` when none stopped).
    #[serde(default)]
    pub detect_max_ms: Option<f64>,
    /// Heartbeats' share of the links' busy time, percent (`None` without faults or traffic).
    #[serde(default)]
    pub heartbeat_link_pct: Option<f64>,
    /// Requests that ended early (a lossy radio, a fault).
    pub requests_failed: u32,
    /// The busiest resource and why.
    pub bottleneck: String,
}

impl Figures {
    /// The figures of a run.
    pub fn of(result: &RunResult) -> Figures {
        let s = &result.summary;
        let ms = |d: ruvsim_engine::time::Duration| d.as_secs_f64() * 1e3;
        let chips = f64::from(result.cluster.chips.max(1));
        let faults = result.faults.as_ref();
        let link_busy: f64 = result.links.iter().map(|l| l.busy.as_secs_f64()).sum();
        Figures {
            throughput_tok_s: s.throughput_tok_s,
            tok_s_per_chip: s.throughput_tok_s / chips,
            ttft_p50_ms: ms(s.time_to_first_token.p50),
            ttft_p99_ms: ms(s.time_to_first_token.p99),
            inter_token_p50_ms: ms(s.inter_token_latency.p50),
            inter_token_p99_ms: ms(s.inter_token_latency.p99),
            energy_per_token_mj: result.energy.per_token_nj.map(|nj| nj as f64 / 1e6),
            power_w: result.energy.average_power_nw.map(|nw| nw as f64 / 1e9),
            detect_max_ms: faults
                .filter(|f| f.time_to_detect.count > 0)
                .map(|f| ms(f.time_to_detect.max)),
            heartbeat_link_pct: faults
                .filter(|_| link_busy > 0.0)
                .map(|f| f.heartbeat_link_time.as_secs_f64() / link_busy * 100.0),
            requests_failed: s.requests_failed,
            bottleneck: result.bottleneck.explanation.clone(),
        }
    }

    /// The value of a simulated metric (`None` for the inputs and for figures the run has not).
    pub fn get(&self, metric: Metric) -> Option<f64> {
        match metric {
            Metric::Chips | Metric::CostUsd => None,
            Metric::ThroughputTokS => Some(self.throughput_tok_s),
            Metric::TokSPerChip => Some(self.tok_s_per_chip),
            Metric::TtftP50Ms => Some(self.ttft_p50_ms),
            Metric::TtftP99Ms => Some(self.ttft_p99_ms),
            Metric::InterTokenP50Ms => Some(self.inter_token_p50_ms),
            Metric::InterTokenP99Ms => Some(self.inter_token_p99_ms),
            Metric::EnergyPerTokenMj => self.energy_per_token_mj,
            Metric::PowerW => self.power_w,
            Metric::DetectMaxMs => self.detect_max_ms,
            Metric::HeartbeatLinkPct => self.heartbeat_link_pct,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_misspellings_get_the_nearest() {
        for m in Metric::ALL {
            assert_eq!(Metric::parse(m.name()), Ok(m));
        }
        let err = Metric::parse("throughput_toks").unwrap_err();
        assert!(err.contains("did you mean `throughput_tok_s`"), "{err}");
        let err = Metric::parse("zzzzzzzzzz").unwrap_err();
        assert!(!err.contains("did you mean"), "{err}");
        assert!(err.contains("power_w"), "{err}");
    }

    #[test]
    fn only_chips_and_cost_are_inputs() {
        let inputs: Vec<Metric> = Metric::ALL.into_iter().filter(|m| m.is_input()).collect();
        assert_eq!(inputs, [Metric::Chips, Metric::CostUsd]);
    }
}
