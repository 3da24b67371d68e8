//! The event-gated experiment end to end on `scenarios/event-gated.toml`: one simulated wake-up,
//! the derived gate power, and both architectures over a day of sensor events.

use std::path::Path;

use ruvsim_experiments::gated::{run_gated, GatedError};
use ruvsim_sim::run::RunOptions;
use ruvsim_sim::scenario::{load, LoadedScenario};

fn library_scenario() -> LoadedScenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/event-gated.toml");
    load(&path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn event_gated_scenario_runs_and_is_deterministic() {
    let loaded = library_scenario();
    let result = run_gated(&loaded, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let outcome = &result.outcome;
    // 30 events an hour for a day: 720 expected (standard deviation about 27).
    assert!(
        (600..=840).contains(&outcome.events),
        "{} events",
        outcome.events
    );
    let gated = &outcome.gated;
    let polling = &outcome.polling;
    assert_eq!(gated.detected + gated.missed, outcome.events);
    assert_eq!(polling.detected + polling.missed, outcome.events);
    // Polling once a second sees every 2-second event.
    assert_eq!(polling.missed, 0);
    assert_eq!(polling.inferences, 86_400);
    // A 95% gate misses about 5% of them.
    let missed_share = gated.missed as f64 / outcome.events as f64;
    assert!((0.01..0.10).contains(&missed_share), "{missed_share}");
    // One wake-up is an inference of tens of milliseconds at a few hundred mW.
    let latency = result.wake.latency.as_secs_f64();
    assert!((0.001..1.0).contains(&latency), "{latency} s");
    assert!(result.wake.how.starts_with("simulated"));
    assert!(result.gate.derivation.starts_with("derived"));
    assert!(gated.total_nj < polling.total_nj);
    let ratio = outcome.energy_ratio.unwrap();
    assert!(
        (ratio - polling.total_nj as f64 / gated.total_nj as f64).abs() < 1e-9,
        "{ratio}"
    );
    let again = run_gated(&loaded, &RunOptions::default()).unwrap();
    assert_eq!(
        serde_json::to_string(&result).unwrap(),
        serde_json::to_string(&again).unwrap()
    );
}

#[test]
fn a_scenario_without_gated_table_is_refused() {
    let mut loaded = library_scenario();
    loaded.scenario.gated = None;
    assert!(matches!(
        run_gated(&loaded, &RunOptions::default()),
        Err(GatedError::NoGatedTable { .. })
    ));
}

#[test]
fn a_replayed_event_after_the_end_is_an_error() {
    let dir = std::env::temp_dir().join(format!("ruvsim-gated-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("events.txt"), "# us\n1000000\n99000000000\n").unwrap();
    let mut loaded = library_scenario();
    loaded.dir = dir.clone();
    let gated = loaded.scenario.gated.as_mut().unwrap();
    gated.events = ruvsim_experiments::gated::EventSource::Replay {
        file: "events.txt".into(),
    };
    let error = run_gated(&loaded, &RunOptions::default()).unwrap_err();
    assert!(error.to_string().contains("not before the end"), "{error}");
    std::fs::remove_dir_all(&dir).ok();
}
