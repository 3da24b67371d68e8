//! Fault invariants over random fault schedules: every request ends completed or failed with a
//! cause, nothing computes on a chip while it is hung or after it crashed, no transfer reaches or
//! leaves a chip after it crashed, nothing crosses a link while it is down, the crashes counted
//! are the crashes that happened while work remained, every chip declared failed had stopped or
//! is counted as declared while running, and energy is accounted over the span of the work.

use proptest::prelude::*;
use ruvsim_engine::time::{Duration, Time};
use ruvsim_sim::result::{Outcome, RunResult};
use ruvsim_sim::run::{simulate, RunOptions};
use ruvsim_sim::scenario::{parse, LoadedScenario};
use std::collections::BTreeSet;

/// Chips of the pipeline; a spare, when there is one, is chip 5.
const STAGES: u32 = 5;
/// Tokens each request generates.
const NEW_TOKENS: u32 = 12;

/// One scheduled fault.
#[derive(Clone, Debug)]
enum Fault {
    Crash { chip: u32, at_ms: f64 },
    Hang { chip: u32, at_ms: f64, for_ms: f64 },
    LinkDown { from: u32, at_ms: f64, for_ms: f64 },
}

impl Fault {
    fn toml(&self) -> String {
        match *self {
            Fault::Crash { chip, at_ms } => {
                format!("{{ kind = \"crash\", chip = {chip}, at_ms = {at_ms:?} }}")
            }
            Fault::Hang {
                chip,
                at_ms,
                for_ms,
            } => format!(
                "{{ kind = \"hang\", chip = {chip}, at_ms = {at_ms:?}, for_ms = {for_ms:?} }}"
            ),
            Fault::LinkDown {
                from,
                at_ms,
                for_ms,
            } => format!(
                "{{ kind = \"link_down\", from = {from}, to = {}, at_ms = {at_ms:?}, for_ms = {for_ms:?} }}",
                from + 1
            ),
        }
    }
}

fn fault() -> impl Strategy<Value = Fault> {
    let at = 0.1f64..30.0;
    // Hangs up to 40 ms: with the silence since the last heartbeat before it, a long one can
    // pass the 50 ms heartbeat timeout and get the hung chip declared failed.
    let length = 0.1f64..40.0;
    prop_oneof![
        (0..=STAGES, at.clone()).prop_map(|(chip, at_ms)| Fault::Crash { chip, at_ms }),
        (0..=STAGES, at.clone(), length.clone()).prop_map(|(chip, at_ms, for_ms)| Fault::Hang {
            chip,
            at_ms,
            for_ms
        }),
        (0..STAGES - 1, at, length).prop_map(|(from, at_ms, for_ms)| Fault::LinkDown {
            from,
            at_ms,
            for_ms
        }),
    ]
}

/// Runs the pipeline with `spares` spares under `faults`, which name chips of that cluster.
fn run(faults: &[Fault], policy: &str, spares: u32) -> RunResult {
    let chips = STAGES + spares;
    let events: Vec<String> = faults.iter().map(Fault::toml).collect();
    let text = format!(
        r#"[scenario]
name = "fault-properties"
fidelity = "timing"
[model]
source = "synthetic"
shape = {{ dim = 64, hidden_dim = 128, n_layers = 5, n_heads = 4, n_kv_heads = 4, vocab_size = 256, seq_len = 128 }}
seed = 11
precision = "int8"
[cluster]
variant = "esp32s3"
topology = {{ kind = "chain", chips = {chips} }}
link = {{ kind = "spi", clock_mhz = 40, lines = 1, mode = "polling_dma" }}
[parallelism]
pipeline = {STAGES}
[workload]
arrivals = {{ kind = "closed_loop", concurrency = 2 }}
requests = 4
prompt = {{ tokens = [1, 2, 3, 4] }}
new_tokens = {NEW_TOKENS}
[faults]
spares = {spares}
policy = "{policy}"
events = [{}]
"#,
        events.join(", ")
    );
    let loaded = LoadedScenario {
        scenario: parse("fault-properties.toml", &text).unwrap_or_else(|e| panic!("{e}")),
        file: "fault-properties.toml".into(),
        dir: ".".into(),
    };
    simulate(&loaded, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn fault_invariants_hold(
        faults in proptest::collection::vec(fault(), 0..6),
        retry in any::<bool>(),
        spares in 0u32..=1,
    ) {
        // Faults name chips of this cluster only.
        let faults: Vec<Fault> = faults
            .into_iter()
            .filter(|f| !matches!(f, Fault::Crash { chip, .. } | Fault::Hang { chip, .. } if *chip >= STAGES + spares))
            .collect();
        let result = run(&faults, if retry { "retry" } else { "fail" }, spares);
        // The scenario loader's conversion, so that the bounds match to the picosecond.
        let ps = |ms: f64| Duration::from_secs_f64(ms / 1000.0).unwrap().as_ps();
        let ms = |at_ms: f64| Time::from_ps(ps(at_ms));
        let until = |at_ms: f64, for_ms: f64| Time::from_ps(ps(at_ms) + ps(for_ms));

        // Every request ends, completed with all its tokens or failed with a cause.
        prop_assert_eq!(result.requests.len(), 4);
        for request in &result.requests {
            match &request.outcome {
                Outcome::Completed => prop_assert_eq!(request.generated, NEW_TOKENS),
                Outcome::Failed { reason } => prop_assert!(!reason.is_empty()),
            }
        }

        // Nothing crosses a link while it is down.
        for fault in &faults {
            if let Fault::LinkDown { from, at_ms, for_ms } = *fault {
                let (down, up) = (ms(at_ms), until(at_ms, for_ms));
                for span in &result.timeline {
                    let on_link = span.hop == Some([from, from + 1]) || span.hop == Some([from + 1, from]);
                    prop_assert!(
                        !(on_link && span.start >= down && span.start < up),
                        "a transfer started at {:?} on link {}-{} down from {:?} to {:?}",
                        span.start, from, from + 1, down, up
                    );
                }
            }
        }

        // A crashed chip forwards nothing: no transfer to or from it starts after its crash.
        for fault in &faults {
            if let Fault::Crash { chip, at_ms } = *fault {
                for span in &result.timeline {
                    let touches = span.hop.is_some_and(|ends| ends.contains(&chip));
                    prop_assert!(
                        !(touches && span.duration.as_ps() > 0 && span.start >= ms(at_ms)),
                        "a transfer to or from chip {} started at {:?}, after its crash at {:?}",
                        chip, span.start, ms(at_ms)
                    );
                }
            }
        }

        // Without a spare every chip keeps its role: nothing computes on it while it is hung or
        // after it crashed.
        if spares == 0 {
            for fault in &faults {
                let (chip, stop, resume) = match *fault {
                    Fault::Crash { chip, at_ms } => (chip, ms(at_ms), Time::MAX),
                    Fault::Hang { chip, at_ms, for_ms } => (chip, ms(at_ms), until(at_ms, for_ms)),
                    Fault::LinkDown { .. } => continue,
                };
                for span in result.timeline.iter().filter(|s| s.resource == chip && s.kernel.is_some()) {
                    prop_assert!(
                        !(span.start >= stop && span.start < resume),
                        "chip {} computed at {:?}, stopped from {:?} to {:?}",
                        chip, span.start, stop, resume
                    );
                }
            }
        }

        // A crash counts once per chip, and only while work remained.
        let first_arrival = result.requests.iter().map(|r| r.arrival).min().unwrap();
        let last_end = result.requests.iter().map(|r| r.end).max().unwrap();
        let crashed: BTreeSet<u32> = faults
            .iter()
            .filter_map(|f| match *f {
                Fault::Crash { chip, at_ms } if at_ms * 1e-3 < last_end.as_secs_f64() => Some(chip),
                _ => None,
            })
            .collect();
        let stats = result.faults.as_ref().unwrap();
        prop_assert_eq!(stats.crashes as usize, crashed.len());
        prop_assert!(stats.failovers <= stats.spares);

        // Every chip declared failed had stopped (crashed before, or hung at that moment), or
        // it is counted as declared while running; no heartbeat is lost that was not sent.
        let running_when_declared = stats
            .events
            .iter()
            .filter(|e| e.kind == "detected")
            .filter(|e| {
                !faults.iter().any(|f| match *f {
                    Fault::Crash { chip, at_ms } => chip == e.chip && ms(at_ms) <= e.at,
                    Fault::Hang { chip, at_ms, for_ms } => {
                        chip == e.chip && ms(at_ms) <= e.at && e.at < until(at_ms, for_ms)
                    }
                    Fault::LinkDown { .. } => false,
                })
            })
            .count();
        prop_assert_eq!(stats.false_detections as usize, running_when_declared);
        prop_assert!(stats.heartbeats_lost <= stats.heartbeats_sent);
        prop_assert!(stats.heartbeats_sent > 0);

        // Energy is accounted over the work: at least the requests' span, and exactly it when
        // every request completed.
        let span = last_end - first_arrival;
        prop_assert!(result.energy.window >= span);
        if result.summary.requests_failed == 0 {
            prop_assert_eq!(result.energy.window, span);
        }
    }
}
