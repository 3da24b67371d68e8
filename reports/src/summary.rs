//! The headline figures of a run as rows of (figure, value, unit, tier): the report's summary
//! table, `summary.csv`, and the command line's terminal table and `--json` output.

use ruvsim_engine::stats::Distribution;
use ruvsim_engine::time::{Duration, PS_PER_MS};
use ruvsim_hw::tier::Tier;
use ruvsim_sim::result::RunResult;
use serde::Serialize;

use crate::format;

/// Unit of a summary figure, as written in the `unit` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A whole number of things (requests, tokens, events).
    Count,
    /// Generated tokens per second.
    TokPerS,
    /// Milliseconds.
    Ms,
    /// Seconds.
    S,
    /// A fraction of the run's makespan, between 0 and 1.
    Fraction,
    /// Joules.
    J,
    /// Millijoules.
    MilliJ,
    /// Milliwatts.
    MilliW,
    /// Hours.
    Hours,
}

impl Unit {
    /// The label written in tables and CSV files.
    pub fn label(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::TokPerS => "tok/s",
            Unit::Ms => "ms",
            Unit::S => "s",
            Unit::Fraction => "fraction",
            Unit::J => "J",
            Unit::MilliJ => "mJ",
            Unit::MilliW => "mW",
            Unit::Hours => "h",
        }
    }
}

/// One headline figure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SummaryRow {
    /// What it is, in words; stable across versions (`throughput`, `inter-token latency p99`).
    pub figure: String,
    /// Its value in `unit`.
    pub value: f64,
    /// Its unit.
    pub unit: Unit,
    /// Where it comes from.
    pub tier: Tier,
}

impl SummaryRow {
    /// A row of `value` in `unit` with its tier.
    pub fn new(figure: &str, value: f64, unit: Unit, tier: Tier) -> SummaryRow {
        SummaryRow {
            figure: figure.to_string(),
            value,
            unit,
            tier,
        }
    }

    /// The value written for people: counts as integers, times to the microsecond, rates and
    /// The value and unit as a reader sees them: durations in the unit that suits their size
    /// (µs below a millisecond, ms below ten seconds, s below ten minutes, then min or h, with
    /// four significant digits), fractions as percentages of the makespan, counts and rates with
    /// thousands separators. The CSV keeps [`SummaryRow::value`] in [`Unit::label`] instead.
    pub fn display(&self) -> (String, &'static str) {
        match self.unit {
            Unit::Count => (format::grouped(self.value as u64), "count"),
            Unit::TokPerS => (format::number(self.value), "tok/s"),
            Unit::Ms => format::scaled_seconds(self.value / 1_000.0),
            Unit::S => format::scaled_seconds(self.value),
            Unit::Fraction => (format::percent(self.value), "of makespan"),
            Unit::J | Unit::MilliJ | Unit::MilliW | Unit::Hours => {
                (format::significant(self.value), self.unit.label())
            }
        }
    }
}

/// Milliseconds of a duration as a real number.
fn ms(duration: Duration) -> f64 {
    duration.as_ps() as f64 / PS_PER_MS as f64
}

/// The headline figures of `result`, in a fixed order, each with the result's tier.
pub fn summary_rows(result: &RunResult) -> Vec<SummaryRow> {
    let s = &result.summary;
    let tier = result.tier;
    let row = |figure: &str, value: f64, unit: Unit| SummaryRow::new(figure, value, unit, tier);
    let mut rows = vec![
        row("throughput", s.throughput_tok_s, Unit::TokPerS),
        row("tokens generated", s.tokens_generated as f64, Unit::Count),
        row("prompt tokens", s.prompt_tokens as f64, Unit::Count),
        row(
            "requests completed",
            f64::from(s.requests_completed),
            Unit::Count,
        ),
        row("requests failed", f64::from(s.requests_failed), Unit::Count),
        row("makespan", s.makespan.as_secs_f64(), Unit::S),
    ];
    let distributions: [(&str, &Distribution); 4] = [
        ("time to first token", &s.time_to_first_token),
        ("inter-token latency", &s.inter_token_latency),
        ("request latency", &s.request_latency),
        ("queue wait", &s.queue_wait),
    ];
    for (name, d) in distributions {
        if d.count == 0 {
            continue;
        }
        rows.push(row(&format!("{name} mean"), ms(d.mean), Unit::Ms));
        for (label, value) in [("p50", d.p50), ("p90", d.p90), ("p99", d.p99)] {
            rows.push(row(&format!("{name} {label}"), ms(value), Unit::Ms));
        }
    }
    rows.push(row(
        "busiest resource utilisation",
        result.bottleneck.utilisation,
        Unit::Fraction,
    ));
    rows.push(row("engine events", s.events as f64, Unit::Count));
    rows.extend(speculation_rows(result));
    rows.extend(moe_rows(result));
    rows.extend(fault_rows(result));
    rows.extend(energy_rows(result));
    rows
}

/// Speculative decoding figures. Acceptance comes from the real draft and target in functional
/// fidelity, and from draws of the scenario's assumed probability in timing fidelity; the figure's
/// name says which.
fn speculation_rows(result: &RunResult) -> Vec<SummaryRow> {
    let Some(stats) = &result.speculation else {
        return Vec::new();
    };
    let row =
        |figure: &str, value: f64, unit: Unit| SummaryRow::new(figure, value, unit, result.tier);
    let acceptance = if stats.measured {
        "draft acceptance, from the models"
    } else {
        "draft acceptance, drawn from the assumed rate"
    };
    vec![
        row(acceptance, stats.acceptance_rate(), Unit::Fraction),
        row(
            "tokens per verification pass",
            stats.tokens_per_round(),
            Unit::Count,
        ),
        row("verification passes", stats.rounds as f64, Unit::Count),
    ]
}

/// Mixture-of-experts load: the busiest expert against an even share, and the busiest expert
/// chip's utilisation.
fn moe_rows(result: &RunResult) -> Vec<SummaryRow> {
    let Some(stats) = &result.moe else {
        return Vec::new();
    };
    let row =
        |figure: &str, value: f64, unit: Unit| SummaryRow::new(figure, value, unit, result.tier);
    let busiest = result
        .chips
        .iter()
        .filter(|c| c.kind == ruvsim_sim::result::ChipKind::Expert)
        .map(|c| c.utilisation)
        .fold(0.0, f64::max);
    vec![
        row(
            &format!("expert load imbalance ({})", stats.routing),
            stats.imbalance(),
            Unit::Count,
        ),
        row("busiest expert utilisation", busiest, Unit::Fraction),
    ]
}

/// What faults did: crashes, fail-overs, recomputation, detection and recovery times.
fn fault_rows(result: &RunResult) -> Vec<SummaryRow> {
    let Some(faults) = &result.faults else {
        return Vec::new();
    };
    let row =
        |figure: &str, value: f64, unit: Unit| SummaryRow::new(figure, value, unit, result.tier);
    let mut rows = vec![
        row("chip crashes", f64::from(faults.crashes), Unit::Count),
        row(
            "fail-overs to a spare",
            f64::from(faults.failovers),
            Unit::Count,
        ),
        row(
            "requests retried",
            f64::from(faults.requests_retried),
            Unit::Count,
        ),
        row(
            "requests failed by faults",
            f64::from(faults.requests_failed),
            Unit::Count,
        ),
        row(
            "token positions recomputed",
            faults.tokens_recomputed as f64,
            Unit::Count,
        ),
        row(
            "message retransmissions",
            faults.retransmissions as f64,
            Unit::Count,
        ),
        row(
            "messages stranded at a crashed chip",
            faults.stranded_messages as f64,
            Unit::Count,
        ),
    ];
    rows.extend([
        row(
            "heartbeats sent",
            faults.heartbeats_sent as f64,
            Unit::Count,
        ),
        row(
            "heartbeats lost",
            faults.heartbeats_lost as f64,
            Unit::Count,
        ),
        row(
            "link time spent on heartbeats",
            ms(faults.heartbeat_link_time),
            Unit::Ms,
        ),
        row(
            "chips declared failed while running",
            f64::from(faults.false_detections),
            Unit::Count,
        ),
    ]);
    if faults.time_to_detect.count > 0 {
        rows.push(row(
            "time to detect, max",
            ms(faults.time_to_detect.max),
            Unit::Ms,
        ));
    }
    if faults.time_to_recover.count > 0 {
        rows.push(row(
            "time to recover, max",
            ms(faults.time_to_recover.max),
            Unit::Ms,
        ));
    }
    rows
}

/// Energy figures, each with the energy result's own tier.
fn energy_rows(result: &RunResult) -> Vec<SummaryRow> {
    let e = &result.energy;
    let row = |figure: &str, value: f64, unit: Unit| SummaryRow::new(figure, value, unit, e.tier);
    let mut rows = vec![row("energy", e.total_nj as f64 / 1e9, Unit::J)];
    if let Some(nj) = e.per_token_nj {
        rows.push(row("energy per token", nj as f64 / 1e6, Unit::MilliJ));
    }
    if let Some(nw) = e.average_power_nw {
        rows.push(row("average power", nw as f64 / 1e6, Unit::MilliW));
    }
    if let Some(hours) = e.battery.cluster_hours {
        rows.push(row(
            "battery life (one battery for the cluster)",
            hours,
            Unit::Hours,
        ));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_values_follow_units() {
        let row = |value, unit| SummaryRow {
            figure: "x".into(),
            value,
            unit,
            tier: Tier::Simulated,
        };
        let shown = |value, unit| {
            let (value, unit) = row(value, unit).display();
            format!("{value} {unit}")
        };
        assert_eq!(shown(1234.0, Unit::Count), "1,234 count");
        assert_eq!(shown(1.23456, Unit::Ms), "1.235 ms");
        assert_eq!(shown(0.0421, Unit::Ms), "42.10 µs");
        assert_eq!(shown(222058.657, Unit::Ms), "222.1 s");
        assert_eq!(shown(2_220_586.57, Unit::Ms), "37.01 min");
        assert_eq!(shown(341_115.645, Unit::S), "94.75 h");
        assert_eq!(shown(0.875, Unit::Fraction), "87.5% of makespan");
        assert_eq!(shown(11434.2, Unit::TokPerS), "11,434 tok/s");
    }

    #[test]
    fn milliseconds_of_picoseconds() {
        assert_eq!(ms(Duration::from_ps(2_500_000_000)), 2.5);
    }
}
