//! `ruvsim gated`: runs a scenario's event-gated experiment (a gate waking the model on sensor
//! events, against a model polling on a timer) and prints or writes a small report: markdown,
//! CSV and JSON, every figure with its tier, beside the reference documents' "107x" claim.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{anyhow, Context};
use clap::Args;
use ruvsim_engine::time::Duration;
use ruvsim_experiments::gated::{run_gated, GatedResult, ModeResult};

use crate::cli::simulation::{self, ScenarioOverrides};

/// Where the reference documents make the claim this experiment answers.
const CLAIM: &str =
    "The reference README (ruvllm-esp32-README.md) claims \"SNN-Gated Architecture \
    (107x Energy Savings)\": \"4.7mW with SNN gating (107x savings vs always-on 500mW)\", and a \
    benchmark of 1,000 always-on invocations (50,000,000 uJ) against 9 gated ones (467,260 uJ); \
    its own projections table lists \"SNN energy gating: 10-100x savings ... not measured\".";

/// Arguments of `ruvsim gated`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    ruvsim gated scenarios/event-gated.toml\n  \
    ruvsim gated scenarios/event-gated.toml --seed 2 --out /tmp/gated\n  \
    ruvsim gated scenarios/event-gated.toml --json")]
pub struct GatedArgs {
    /// A scenario with a [gated] table (see scenarios/event-gated.toml).
    #[arg(value_name = "SCENARIO.toml")]
    scenario: PathBuf,
    /// Folder for report.md, gated.csv and gated.json (nothing is written without it).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    #[command(flatten)]
    overrides: ScenarioOverrides,
    /// Print the whole result as JSON on stdout instead of the markdown report.
    #[arg(long)]
    json: bool,
}

/// Runs the experiment and prints (and optionally writes) its report.
pub fn run(args: &GatedArgs) -> anyhow::Result<()> {
    let loaded = simulation::load(&args.scenario)?;
    let options = args.overrides.run_options();
    let result = run_gated(&loaded, &options).map_err(|e| anyhow!("{}: {e}", loaded.file))?;
    let report = markdown(&result);
    let json = serde_json::to_string_pretty(&result)?;
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        for (name, text) in [
            ("report.md", report.as_str()),
            ("gated.csv", &csv(&result)),
            ("gated.json", &json),
        ] {
            let path = out.join(name);
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    if args.json {
        println!("{json}");
    } else {
        print!("{report}");
        if let Some(out) = &args.out {
            println!("\nwritten: {}", out.display());
        }
    }
    Ok(())
}

/// One row of the comparison: a figure for the gated model and both polling baselines.
struct Row {
    figure: &'static str,
    gated: String,
    polling: String,
    polling_asleep: String,
    unit: &'static str,
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

fn millijoules(nj: u64) -> String {
    format!("{:.3}", nj as f64 * 1e-6)
}

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

/// The report as markdown.
fn markdown(result: &GatedResult) -> String {
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
fn csv(result: &GatedResult) -> String {
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
