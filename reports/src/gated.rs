//! The event-gated experiment's report: Markdown and CSV, every figure with its tier, beside the
//! reference documents' "107x" claim.

use std::fmt::Write as _;

use ruvsim_engine::time::Duration;
use ruvsim_experiments::gated::{GatedResult, ModeResult};

/// Where the reference documents make the claim this experiment answers.
const CLAIM: &str =
    "The reference README (ruvllm-esp32-README.md) claims \"SNN-Gated Architecture \
    (107x Energy Savings)\": \"4.7mW with SNN gating (107x savings vs always-on 500mW)\", and a \
    benchmark of 1,000 always-on invocations (50,000,000 uJ) against 9 gated ones (467,260 uJ); \
    its own projections table lists \"SNN energy gating: 10-100x savings ... not measured\".";

/// One row of the comparison: a figure for the gated model and both polling baselines.
struct Row {
    figure: &'static str,
    gated: String,
    polling: String,
    polling_asleep: String,
    unit: &'static str,
}

/// Milliseconds with three decimals.
fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

/// Millijoules with three decimals, from nanojoules.
fn millijoules(nj: u64) -> String {
    format!("{:.3}", nj as f64 * 1e-6)
}

/// Every figure of the comparison.
fn rows(result: &GatedResult) -> Vec<Row> {
    let outcome = &result.outcome;
    let row = |figure, unit, f: &dyn Fn(&ModeResult) -> String| Row {
        figure,
        gated: f(&outcome.gated),
        polling: f(&outcome.polling),
        polling_asleep: f(&outcome.polling_asleep),
        unit,
    };
    vec![
        row("inferences", "", &|m| m.inferences.to_string()),
        row("inferences serving an event", "", &|m| {
            m.useful_inferences.to_string()
        }),
        row("false wake-ups / empty polls", "", &|m| {
            m.wasted_inferences.to_string()
        }),
        row("events served", "", &|m| m.detected.to_string()),
        row("events missed", "", &|m| m.missed.to_string()),
        row("response time p50", "ms", &|m| ms(m.response_time.p50)),
        row("response time p99", "ms", &|m| ms(m.response_time.p99)),
        row("response time max", "ms", &|m| ms(m.response_time.max)),
        row("energy: inferences", "mJ", &|m| millijoules(m.inference_nj)),
        row("energy: chips between inferences", "mJ", &|m| {
            millijoules(m.rest_nj)
        }),
        row("energy: gate", "mJ", &|m| millijoules(m.gate_nj)),
        row("energy: total", "mJ", &|m| millijoules(m.total_nj)),
        row("average power", "mW", &|m| {
            format!("{:.4}", m.average_power_nw as f64 * 1e-6)
        }),
        row("battery life", "days", &|m| {
            m.battery_hours
                .map_or("-".into(), |h| format!("{:.1}", h / 24.0))
        }),
    ]
}

/// The experiment as a Markdown report: the setup, every figure for the gated model and both
/// polling baselines, the energy ratio, the claim beside it, and what is not modelled.
pub fn markdown(result: &GatedResult) -> String {
    let outcome = &result.outcome;
    let mut text = String::new();
    let mut line = |s: String| {
        text.push_str(&s);
        text.push('\n');
    };
    line(format!(
        "# {}: event-gated vs polling (tier: simulated)\n",
        result.scenario
    ));
    line(format!(
        "{} x {}, seed {}, {:.1} h: {} sensor events, each observable {} ms; gate frames every {} \
         ms (detection {}, false positive {} per empty frame); polls every {} ms.\n",
        result.chips,
        result.variant,
        result.seed,
        result.duration.as_secs_f64() / 3600.0,
        outcome.events,
        ms(result.event_duration),
        ms(result.frame_period),
        result.detection,
        result.false_positive,
        ms(result.poll_interval),
    ));
    line(format!(
        "- One wake-up: {} ms and {} mJ ({}).",
        ms(result.wake.latency),
        millijoules(result.wake.energy_nj),
        result.wake.how
    ));
    line(format!(
        "- Gate: {:.3} uW ({}).",
        result.gate.power_nw as f64 * 1e-3,
        result.gate.derivation
    ));
    line(format!(
        "- Asleep (gated, between inferences): {:.3} mW: {}.",
        result.asleep_power_nw as f64 * 1e-6,
        result.asleep
    ));
    line(format!(
        "- Between polls: {:.3} mW: {}.",
        result.polling_rest_power_nw as f64 * 1e-6,
        result.polling_rest
    ));
    line(format!("- Battery: {}.\n", result.battery));
    line(format!(
        "| figure | gated | polling ({}) | polling (light sleep) | unit | tier |",
        result.polling_rest_state
    ));
    line("|---|---:|---:|---:|---|---|".into());
    for row in rows(result) {
        line(format!(
            "| {} | {} | {} | {} | {} | simulated |",
            row.figure, row.gated, row.polling, row.polling_asleep, row.unit
        ));
    }
    line(String::new());
    match (outcome.energy_ratio, outcome.energy_ratio_asleep) {
        (Some(ratio), Some(asleep)) => line(format!(
            "**Energy ratio, polling / gated: {ratio:.1}x** with the polling chip {} between \
             polls, **{asleep:.1}x** with it in light sleep (simulated, over the same {:.1} h \
             and the same events).\n",
            result.polling_rest_state,
            outcome.window.as_secs_f64() / 3600.0
        )),
        _ => line("Energy ratio: undefined (the gated energy is zero).\n".into()),
    }
    line(CLAIM.into());
    line(String::new());
    line("Not modelled:".into());
    for item in &result.not_modelled {
        line(format!("- {item}"));
    }
    text
}

/// The comparison as CSV: `figure,gated,polling,polling_light_sleep,unit,tier`.
pub fn csv(result: &GatedResult) -> String {
    let mut text = String::from("figure,gated,polling,polling_light_sleep,unit,tier\n");
    for row in rows(result) {
        // Figures and units contain no commas or quotes.
        let _ = writeln!(
            text,
            "{},{},{},{},{},simulated",
            row.figure, row.gated, row.polling, row.polling_asleep, row.unit
        );
    }
    let outcome = &result.outcome;
    if let (Some(ratio), Some(asleep)) = (outcome.energy_ratio, outcome.energy_ratio_asleep) {
        let _ = writeln!(
            text,
            "energy ratio polling/gated,,{ratio:.4},{asleep:.4},x,simulated"
        );
    }
    text
}
