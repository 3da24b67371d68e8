//! Heartbeats are traffic: they occupy links and wake CPUs (so they cost time and energy), and a
//! chip is declared failed from the heartbeats its watcher actually missed: a shorter period
//! detects sooner, and heartbeats lost at a link that is down can get a running chip declared.

use ruvsim_engine::time::Duration;
use ruvsim_sim::result::RunResult;
use ruvsim_sim::run::{simulate, RunOptions};
use ruvsim_sim::scenario::{parse, LoadedScenario};

/// A five-stage pipeline of ESP32-S3 on SPI: a chain of five, or a ring of six with a spare.
fn scenario(faults: &str) -> LoadedScenario {
    let chips = if faults.contains("spares") { 6 } else { 5 };
    let kind = if chips > 5 { "ring" } else { "chain" };
    scenario_on(kind, chips, faults)
}

/// The same pipeline on `chips` chips wired as `kind`.
fn scenario_on(kind: &str, chips: u32, faults: &str) -> LoadedScenario {
    let text = format!(
        r#"[scenario]
name = "heartbeats"
fidelity = "timing"
[model]
source = "synthetic"
shape = {{ dim = 64, hidden_dim = 128, n_layers = 5, n_heads = 4, n_kv_heads = 4, vocab_size = 256, seq_len = 128 }}
seed = 11
precision = "int8"
[cluster]
variant = "esp32s3"
topology = {{ kind = "{kind}", chips = {chips} }}
link = {{ kind = "spi", clock_mhz = 40, lines = 1, mode = "polling_dma" }}
[parallelism]
pipeline = 5
[workload]
arrivals = {{ kind = "closed_loop", concurrency = 1 }}
requests = 3
prompt = {{ tokens = [1, 2, 3, 4] }}
new_tokens = 20
{faults}
"#
    );
    LoadedScenario {
        scenario: parse("heartbeats.toml", &text).unwrap_or_else(|e| panic!("{e}")),
        file: "heartbeats.toml".into(),
        dir: ".".into(),
    }
}

fn run(faults: &str) -> RunResult {
    run_loaded(&scenario(faults))
}

fn run_loaded(loaded: &LoadedScenario) -> RunResult {
    simulate(loaded, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn link_busy(result: &RunResult) -> Duration {
    result
        .links
        .iter()
        .fold(Duration::ZERO, |sum, link| sum + link.busy)
}

fn ms(value: f64) -> Duration {
    Duration::from_secs_f64(value / 1e3).unwrap()
}

#[test]
fn heartbeats_occupy_the_links_and_wake_the_cpus() {
    let quiet = run("");
    let beating = run("[faults]\nheartbeat = { period_ms = 1.0, timeout_ms = 5.0, bytes = 16 }");
    let stats = beating.faults.as_ref().expect("fault statistics");
    assert!(stats.heartbeats_sent > 0);
    assert_eq!(stats.heartbeats_lost, 0);
    assert_eq!(stats.false_detections, 0);
    assert_eq!(stats.heartbeat_bytes % 16, 0, "16-byte heartbeats");
    assert!(stats.heartbeat_bytes >= 16 * stats.heartbeats_sent);
    assert!(stats.heartbeat_link_time > Duration::ZERO);
    // The links carried the workload's messages plus the heartbeats (one still on a link when the
    // run ends is cut there).
    let extra = link_busy(&beating) - link_busy(&quiet);
    assert!(
        extra > Duration::ZERO && extra <= stats.heartbeat_link_time,
        "{extra:?} {:?}",
        stats.heartbeat_link_time
    );
    // Every chip's CPU is woken to send and to take heartbeats in: more active time, more energy.
    let wakes = beating
        .timeline
        .iter()
        .filter(|s| s.heartbeat && s.hop.is_none())
        .count();
    assert!(wakes as u64 >= stats.heartbeats_sent, "{wakes}");
    assert!(beating.energy.total_nj > quiet.energy.total_nj);
    assert_eq!(beating.summary.requests_completed, 3);
    // Heartbeats stop with the workload: none starts after the run's window.
    let end = beating
        .requests
        .iter()
        .map(|r| r.end)
        .max()
        .expect("requests");
    assert!(beating
        .timeline
        .iter()
        .filter(|s| s.heartbeat)
        .all(|s| s.start <= end));
}

#[test]
fn detection_follows_the_heartbeats_missed() {
    let crash = "events = [{ kind = \"crash\", chip = 2, at_ms = 1.0 }]";
    let detect = |heartbeat: &str| {
        let result = run(&format!(
            "[faults]\nspares = 1\npolicy = \"retry\"\n{heartbeat}\n{crash}"
        ));
        assert_eq!(result.summary.requests_completed, 3);
        let stats = result.faults.expect("fault statistics");
        assert_eq!(stats.false_detections, 0);
        (stats.time_to_detect.max, stats.heartbeats_sent)
    };
    // Every 1 ms, 2 ms of silence: chip 2's last heartbeat left at 0 ms (its tick at 1 ms comes
    // after the crash); the watcher's checks at 2 ms (silent for just under 2 ms) let it be and
    // the one at 3 ms declares it: 2 ms after the crash.
    let (slow, slow_sent) = detect("heartbeat = { period_ms = 1.0, timeout_ms = 2.0 }");
    assert_eq!(slow, ms(2.0));
    // Every 0.5 ms, 1.2 ms: last heartbeat at 0.5 ms, heard just after; silent 1.48 ms at the
    // check at 2 ms: 1 ms after the crash, for about twice the heartbeats.
    let (fast, fast_sent) = detect("heartbeat = { period_ms = 0.5, timeout_ms = 1.2 }");
    assert_eq!(fast, ms(1.0));
    assert!(fast_sent > slow_sent * 3 / 2, "{fast_sent} vs {slow_sent}");
}

#[test]
fn heartbeats_lost_at_a_link_that_is_down_get_a_running_chip_declared() {
    // Chips 0 and 1 watch each other over link 0-1 of a chain, the only way between them; it is
    // down for 10 ms, far longer than the timeout, so one of them is declared failed while
    // running and the spare (chip 5, at the chain's end) takes its part.
    let outage = "[faults]\nspares = 1\npolicy = \"retry\"\n\
         heartbeat = { period_ms = 1.0, timeout_ms = 2.0 }\n\
         events = [{ kind = \"link_down\", from = 0, to = 1, at_ms = 1.0, for_ms = 10.0 }]";
    let result = run_loaded(&scenario_on("chain", 6, outage));
    let stats = result.faults.as_ref().expect("fault statistics");
    assert!(stats.heartbeats_lost > 0);
    assert_eq!(stats.false_detections, 1, "{:?}", stats.events);
    assert_eq!(stats.failovers, 1);
    assert_eq!(stats.crashes, 0);
    assert_eq!(stats.time_to_detect.count, 0, "no chip had stopped");
    assert!(stats
        .events
        .iter()
        .any(|e| e.detail.contains("declared failed while running")));
    assert_eq!(result.summary.requests_completed, 3);
    // On a ring the heartbeats (and the messages) go the other way round: nobody is declared.
    let ring = run_loaded(&scenario_on("ring", 6, outage));
    let stats = ring.faults.as_ref().expect("fault statistics");
    assert_eq!(stats.heartbeats_lost, 0);
    assert_eq!(stats.false_detections, 0);
    assert_eq!(ring.summary.requests_completed, 3);
    let around = ring
        .timeline
        .iter()
        .any(|s| !s.heartbeat && (s.hop == Some([0, 5]) || s.hop == Some([5, 0])));
    assert!(around, "workload messages go around the link that is down");
    // The same outage shorter than the timeout only delays.
    let short = run("[faults]\nspares = 1\npolicy = \"retry\"\n\
         heartbeat = { period_ms = 1.0, timeout_ms = 2.0 }\n\
         events = [{ kind = \"link_down\", from = 0, to = 1, at_ms = 1.0, for_ms = 0.5 }]");
    let stats = short.faults.as_ref().expect("fault statistics");
    assert_eq!(stats.false_detections, 0);
    assert_eq!(stats.failovers, 0);
    assert_eq!(short.summary.requests_completed, 3);
}

#[test]
fn a_period_shorter_than_a_tenth_of_a_millisecond_or_a_timeout_shorter_than_it_is_refused() {
    for (faults, key) in [
        (
            "[faults]\nheartbeat = { period_ms = 0.01, timeout_ms = 1.0 }",
            "faults.heartbeat.period_ms = 0.01: valid 0.1..=",
        ),
        (
            "[faults]\nheartbeat = { period_ms = 2.0, timeout_ms = 1.0 }",
            "faults.heartbeat.timeout_ms = 1: valid 2..=",
        ),
        (
            "[faults]\nheartbeat = { period_ms = 2.0, timeout_ms = 10.0, bytes = 0 }",
            "faults.heartbeat.bytes = 0: valid 1..=1024",
        ),
    ] {
        let err = simulate(&scenario(faults), &RunOptions::default())
            .err()
            .unwrap_or_else(|| panic!("{faults} was accepted"))
            .to_string();
        assert!(err.contains(key), "{faults}: {err}");
    }
}
