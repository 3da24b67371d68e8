//! Faults: nothing is lost silently, fail-over to a spare completes every request after a
//! recovery time that follows the flash-bandwidth arithmetic, and without a spare the requests
//! that needed the chip fail with the cause.

use ruvsim_hw::calibration::{Calibration, Variant};
use ruvsim_hw::memory::{read_time, MemorySetup, Region};
use ruvsim_sim::result::Outcome;
use ruvsim_sim::result::RunResult;
use ruvsim_sim::run::{simulate, RunOptions};
use ruvsim_sim::scenario::{parse, LoadedScenario};

const MODEL: &str = r#"[model]
source = "synthetic"
shape = { dim = 64, hidden_dim = 128, n_layers = 5, n_heads = 4, n_kv_heads = 4, vocab_size = 256, seq_len = 128 }
seed = 11
precision = "int8""#;

/// A five-stage pipeline on `chips` chips: a chain of five, or, with spares, a ring, so that a
/// spare (after chip 4) can be reached when a chip of the pipeline has crashed.
fn scenario(chips: u32, workload: &str, faults: &str, dir: &std::path::Path) -> LoadedScenario {
    let kind = if chips > 5 { "ring" } else { "chain" };
    let text = format!(
        r#"[scenario]
name = "faults"
fidelity = "timing"
{MODEL}
[cluster]
variant = "esp32s3"
topology = {{ kind = "{kind}", chips = {chips} }}
link = {{ kind = "spi", clock_mhz = 40, lines = 1, mode = "polling_dma" }}
[parallelism]
pipeline = 5
{workload}
{faults}
"#
    );
    LoadedScenario {
        scenario: parse("faults.toml", &text).unwrap_or_else(|e| panic!("{e}")),
        file: "faults.toml".into(),
        dir: dir.to_path_buf(),
    }
}

const CLOSED: &str = r#"[workload]
arrivals = { kind = "closed_loop", concurrency = 1 }
requests = 3
prompt = { tokens = [1, 2, 3, 4] }
new_tokens = 20"#;

fn run(loaded: &LoadedScenario) -> RunResult {
    simulate(loaded, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn ended(result: &RunResult) -> u32 {
    result.summary.requests_completed + result.summary.requests_failed
}

#[test]
fn a_crash_without_a_spare_fails_the_requests_with_the_cause() {
    let faults = "[faults]\nevents = [{ kind = \"crash\", chip = 2, at_ms = 1.0 }]";
    let result = run(&scenario(5, CLOSED, faults, std::path::Path::new(".")));
    assert_eq!(ended(&result), 3, "every request ends");
    assert_eq!(result.summary.requests_failed, 3);
    let reasons: Vec<&str> = result
        .requests
        .iter()
        .map(|r| match &r.outcome {
            Outcome::Failed { reason } => reason.as_str(),
            Outcome::Completed => "",
        })
        .collect();
    assert!(
        reasons[0].contains("chip 2 stopped at 1.000 ms"),
        "{}",
        reasons[0]
    );
    assert!(reasons[0].contains("no spare"), "{}", reasons[0]);
    assert!(reasons[1].contains("no replica is left"), "{}", reasons[1]);
    let stats = result.faults.unwrap();
    assert_eq!(
        (stats.crashes, stats.failovers, stats.requests_failed),
        (1, 0, 3)
    );
    // Detection: last heartbeat at 0 ms, silent past 50 ms at the 60 ms check.
    assert_eq!(stats.time_to_detect.p50.as_ps(), 59_000_000_000);
}

#[test]
fn a_spare_takes_over_after_detection_and_a_flash_load() {
    let dir = std::env::temp_dir().join(format!("ruvsim-faults-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("arrivals.txt"), "100000\n100500\n").unwrap();
    let workload = r#"[workload]
arrivals = { kind = "replay", file = "arrivals.txt" }
requests = 2
prompt = { tokens = [1, 2, 3, 4] }
new_tokens = 20"#;
    let faults = "[faults]\nspares = 1\nevents = [{ kind = \"crash\", chip = 2, at_ms = 1.0 }]";
    let result = run(&scenario(6, workload, faults, &dir));
    assert_eq!(
        result.summary.requests_completed, 2,
        "the spare serves every request"
    );
    let stats = result.faults.clone().unwrap();
    assert_eq!(stats.failovers, 1);
    assert_eq!(stats.tokens_recomputed, 0, "no request was in flight");
    // Recovery = detection + the spare reading chip 2's weights from flash, plus the heartbeat
    // wakes that interrupt it (a few, of 2,855 cycles at 240 MHz each).
    let weights = result.plan.chips[2].footprint.weights_bytes;
    let calibration = Calibration::builtin(Variant::Esp32S3);
    let load = read_time(
        Region::Flash,
        weights,
        &MemorySetup::default(),
        &calibration,
    )
    .unwrap();
    let wake_ps = calibration.firmware.task_wake * 1_000_000 / 1_000 / 240;
    let recovering = stats.time_to_recover.p50.as_ps() - stats.time_to_detect.p50.as_ps();
    let interrupted = recovering - load.as_ps();
    assert!(
        interrupted <= 4 * (wake_ps + 1),
        "{recovering} ps = {load:?} + {interrupted} ps"
    );
    assert!(load.as_ps() > 0);
    // The spare (chip 5) now holds chip 2's part: traffic reaches it.
    assert!(result.links.iter().any(|l| l.ends == "4-5" && l.bytes > 0));
}

#[test]
fn requests_in_flight_are_retried_on_the_spare() {
    let faults = "[faults]\nspares = 1\nevents = [{ kind = \"crash\", chip = 1, at_ms = 3.0 }]";
    let result = run(&scenario(6, CLOSED, faults, std::path::Path::new(".")));
    assert_eq!(result.summary.requests_completed, 3);
    let stats = result.faults.unwrap();
    assert_eq!(stats.requests_retried, 1);
    assert!(
        stats.tokens_recomputed >= 4,
        "the prompt at least: {stats:?}"
    );
    assert!(stats.time_to_recover.p50 > stats.time_to_detect.p50);
}

#[test]
fn a_short_hang_and_a_link_outage_delay_but_lose_nothing() {
    let here = std::path::Path::new(".");
    let clean = run(&scenario(5, CLOSED, "", here));
    let hang = run(&scenario(
        5,
        CLOSED,
        "[faults]\nevents = [{ kind = \"hang\", chip = 3, at_ms = 2.0, for_ms = 20.0 }]",
        here,
    ));
    let link = run(&scenario(
        5,
        CLOSED,
        "[faults]\nevents = [{ kind = \"link_down\", from = 1, to = 2, at_ms = 2.0, for_ms = 20.0 }]",
        here,
    ));
    for result in [&hang, &link] {
        assert_eq!(result.summary.requests_completed, 3);
        assert!(result.summary.makespan > clean.summary.makespan);
    }
    assert_eq!(hang.faults.as_ref().unwrap().hangs, 1);
    assert_eq!(link.faults.as_ref().unwrap().link_outages, 1);
}

#[test]
fn lost_messages_are_resent_or_fail_the_request() {
    let here = std::path::Path::new(".");
    let lossy = run(&scenario(
        5,
        CLOSED,
        "[faults]\nmessage_loss = 0.2\nmax_attempts = 10",
        here,
    ));
    assert_eq!(lossy.summary.requests_completed, 3);
    assert!(lossy.faults.unwrap().retransmissions > 0);
    // Every transmission is lost: the first request's message, and every heartbeat, so that the
    // monitor declares the silent chips failed while they run, and the later requests fail for it.
    let dead = run(&scenario(5, CLOSED, "[faults]\nmessage_loss = 1.0", here));
    assert_eq!(dead.summary.requests_failed, 3);
    let reasons: Vec<&str> = dead
        .requests
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Failed { reason } => Some(reason.as_str()),
            _ => None,
        })
        .collect();
    assert!(reasons[0].contains("lost on link"), "{reasons:?}");
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("declared failed at 60.000 ms while running")),
        "{reasons:?}"
    );
    let stats = dead.faults.as_ref().unwrap();
    assert!(
        stats.heartbeats_lost > 0 && stats.false_detections > 0,
        "{stats:?}"
    );
}

#[test]
fn functional_runs_keep_their_tokens_through_a_fail_over() {
    let here = std::path::Path::new(".");
    let functional = |faults: &str, chips: u32| {
        let mut loaded = scenario(chips, CLOSED, faults, here);
        loaded.scenario.scenario.fidelity = ruvsim_sim::scenario::Fidelity::Functional;
        run(&loaded)
    };
    let clean = functional("", 5);
    let failed_over = functional(
        "[faults]\nspares = 1\nevents = [{ kind = \"crash\", chip = 3, at_ms = 2.5 }, \
         { kind = \"hang\", chip = 1, at_ms = 4.0, for_ms = 5.0 }]",
        6,
    );
    assert_eq!(failed_over.summary.requests_completed, 3);
    let tokens = |r: &RunResult| {
        r.requests
            .iter()
            .map(|q| q.tokens.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        tokens(&clean),
        tokens(&failed_over),
        "interrupted kernels are not run twice"
    );
}

/// Six chips: the five-stage pipeline and one spare (chip 5).
const ONE_SPARE: &str = "[faults]\nspares = 1\n";

#[test]
fn a_spare_that_crashed_does_not_take_over() {
    let faults = format!(
        "{ONE_SPARE}events = [{{ kind = \"crash\", chip = 5, at_ms = 1.0 }}, \
         {{ kind = \"crash\", chip = 2, at_ms = 2.0 }}]"
    );
    let result = run(&scenario(6, CLOSED, &faults, std::path::Path::new(".")));
    let stats = result.faults.unwrap();
    assert_eq!((stats.crashes, stats.failovers), (2, 0));
    assert_eq!(result.summary.requests_failed, 3);
}

#[test]
fn a_chip_that_crashes_during_a_hang_stays_down() {
    let here = std::path::Path::new(".");
    let crash = "{ kind = \"crash\", chip = 2, at_ms = 5.0 }";
    let crash_only = run(&scenario(
        5,
        CLOSED,
        &format!("[faults]\nevents = [{crash}]"),
        here,
    ));
    let hang_then_crash = run(&scenario(
        5,
        CLOSED,
        &format!("[faults]\nevents = [{{ kind = \"hang\", chip = 2, at_ms = 2.0, for_ms = 20.0 }}, {crash}]"),
        here,
    ));
    // Hung from 2 ms and crashed at 5 ms, the chip computes nothing after 2 ms: no more tokens
    // than when it ran until the crash.
    assert!(
        hang_then_crash.summary.tokens_generated <= crash_only.summary.tokens_generated,
        "{} tokens with the hang, {} without",
        hang_then_crash.summary.tokens_generated,
        crash_only.summary.tokens_generated
    );
    assert_eq!(hang_then_crash.summary.requests_failed, 3);
}

#[test]
fn overlapping_hangs_end_with_the_last_of_them() {
    let here = std::path::Path::new(".");
    let long = "{ kind = \"hang\", chip = 3, at_ms = 2.0, for_ms = 20.0 }";
    let single = run(&scenario(
        5,
        CLOSED,
        &format!("[faults]\nevents = [{long}]"),
        here,
    ));
    let nested = run(&scenario(
        5,
        CLOSED,
        &format!("[faults]\nevents = [{long}, {{ kind = \"hang\", chip = 3, at_ms = 3.0, for_ms = 1.0 }}]"),
        here,
    ));
    assert_eq!(nested.faults.as_ref().unwrap().hangs, 2);
    assert_eq!(nested.summary.makespan, single.summary.makespan);
}

#[test]
fn a_fault_after_the_last_request_does_not_stretch_the_energy_window() {
    let here = std::path::Path::new(".");
    // The same heartbeats run in both (they cost each chip its CPU wakes): only the late faults
    // differ.
    let clean = run(&scenario(5, CLOSED, "[faults]", here));
    let late = run(&scenario(
        5,
        CLOSED,
        "[faults]\nevents = [{ kind = \"link_down\", from = 0, to = 1, at_ms = 1e6, for_ms = 1.0 }, \
         { kind = \"hang\", chip = 1, at_ms = 2e6, for_ms = 1.0 }]",
        here,
    ));
    assert_eq!(late.summary.makespan, clean.summary.makespan);
    assert_eq!(late.energy.per_token_nj, clean.energy.per_token_nj);
    assert!(late.energy.per_token_nj.is_some());
}

/// `faults.message_loss` loses ESP-NOW packets too (it was once ignored on radio links), and every
/// retransmission, on a radio as on a wire, is counted.
#[test]
fn message_loss_applies_to_radio_links_and_every_retransmission_is_counted() {
    let text = |message_loss: f64| {
        format!(
            r#"[scenario]
name = "radio-loss"
fidelity = "timing"
{MODEL}
[cluster]
variant = "esp32c3"
topology = {{ kind = "chain", chips = 5 }}
link = {{ kind = "espnow", loss = 0.0, max_attempts = 20 }}
[parallelism]
pipeline = 5
[workload]
arrivals = {{ kind = "closed_loop", concurrency = 1 }}
requests = 2
prompt = {{ tokens = [1, 2, 3] }}
new_tokens = 6
[faults]
message_loss = {message_loss}
# Each ESP-NOW packet costs milliseconds of the one shared channel: heartbeats every 10 ms from
# five chips, several hops each, would fill it and starve the monitor (the default settings
# declare running chips failed here); a slow heartbeat leaves the channel to the workload.
heartbeat = {{ period_ms = 500, timeout_ms = 5000 }}
"#
        )
    };
    let run_with = |loss: f64| {
        let loaded = LoadedScenario {
            scenario: parse("radio-loss.toml", &text(loss)).unwrap_or_else(|e| panic!("{e}")),
            file: "radio-loss.toml".into(),
            dir: ".".into(),
        };
        run(&loaded)
    };
    let clean = run_with(0.0);
    let lossy = run_with(0.3);
    let retransmissions = |r: &RunResult| r.faults.as_ref().map_or(0, |f| f.retransmissions);
    assert_eq!(retransmissions(&clean), 0);
    assert!(retransmissions(&lossy) > 0, "30% loss retransmits");
    assert_eq!(lossy.summary.requests_completed, 2);
    assert!(lossy.summary.makespan > clean.summary.makespan);
}

/// Random crashes are drawn per physical chip, spares included: under some seed the idle spare
/// fails first, so the first working chip to crash finds no spare (a crash with no fail-over,
/// which draws per role alone could never give: the first crash always had the spare).
#[test]
fn mtbf_crashes_are_drawn_for_spares_too() {
    let workload = r#"[workload]
arrivals = { kind = "closed_loop", concurrency = 1 }
requests = 40
prompt = { tokens = [1, 2, 3, 4] }
new_tokens = 40"#;
    let faults = "[faults]\nspares = 1\nmtbf_hours = 0.0003\nheartbeat = { period_ms = 1.0, timeout_ms = 2.0 }\n";
    let outcomes: Vec<(u32, u32)> = (1..=12u64)
        .map(|seed| {
            let mut loaded = scenario(6, workload, faults, std::path::Path::new("."));
            loaded.scenario.scenario.seed = seed;
            let result = run(&loaded);
            assert_eq!(ended(&result), 40, "every request ends");
            let stats = result.faults.expect("fault statistics");
            (stats.crashes, stats.failovers)
        })
        .collect();
    assert!(
        outcomes
            .iter()
            .any(|&(crashes, failovers)| crashes >= 2 && failovers == 0),
        "{outcomes:?}"
    );
}

/// Every request failed: the first as unreachable, any later one because no replica was left.
fn assert_unreachable_then_unservable(result: &RunResult) {
    let reasons: Vec<&str> = result
        .requests
        .iter()
        .map(|r| match &r.outcome {
            Outcome::Failed { reason } => reason.as_str(),
            other => panic!("request ended {other:?}"),
        })
        .collect();
    assert!(
        reasons[0].starts_with("unreachable: no live route"),
        "{reasons:?}"
    );
    assert!(
        reasons[1..]
            .iter()
            .all(|r| r.starts_with("unreachable") || r.starts_with("no replica is left")),
        "{reasons:?}"
    );
}

/// A crashed chip forwards nothing: on a ring of six with chip 2 crashing at 1 ms and a spare at
/// chip 5, no transfer to or from chip 2 starts after the crash (traffic goes 1-0-5 and 5-4-3),
/// and every request completes on the spare. On a chain the spare behind chip 2 is unreachable:
/// the requests fail with that cause.
#[test]
fn traffic_routes_around_a_crashed_chip_or_fails_as_unreachable() {
    let faults = "[faults]\nspares = 1\nheartbeat = { period_ms = 1.0, timeout_ms = 2.0 }\npolicy = \"retry\"\nevents = [{ kind = \"crash\", chip = 2, at_ms = 1.0 }]";
    let text = |topology: &str| {
        format!(
            r#"[scenario]
name = "live-routes"
fidelity = "timing"
{MODEL}
[cluster]
variant = "esp32s3"
topology = {{ kind = "{topology}", chips = 6 }}
link = {{ kind = "spi", clock_mhz = 40, lines = 1, mode = "polling_dma" }}
[parallelism]
pipeline = 5
{CLOSED}
{faults}
"#
        )
    };
    let load = |topology: &str| LoadedScenario {
        scenario: parse("live.toml", &text(topology)).unwrap_or_else(|e| panic!("{e}")),
        file: "live.toml".into(),
        dir: ".".into(),
    };
    let ring = run(&load("ring"));
    assert_eq!(ring.summary.requests_completed, 3);
    let crash = ruvsim_engine::time::Time::from_ps(1_000_000_000);
    let through_dead: Vec<_> = ring
        .timeline
        .iter()
        .filter(|s| s.hop.is_some_and(|ends| ends.contains(&2)))
        .filter(|s| s.duration.as_ps() > 0 && s.start >= crash)
        .collect();
    assert!(through_dead.is_empty(), "{through_dead:?}");
    let detour = ring
        .timeline
        .iter()
        .any(|s| s.hop == Some([0, 5]) || s.hop == Some([5, 0]));
    assert!(detour, "traffic reaches the spare through chip 0");
    // On the chain the crash cuts chips 3 and 4 (and the spare) off from chip 0, which watches
    // them: the request in flight fails as unreachable, the waiting ones for want of a replica.
    let chain = run(&load("chain"));
    assert_eq!(chain.summary.requests_completed, 0);
    assert_unreachable_then_unservable(&chain);
}

/// A spare that recovers before the first request arrives is inside the energy window, and a
/// chain whose spare sits behind the crashed chip fails its later requests as unreachable instead
/// of relaying through the dead chip.
#[test]
fn a_recovery_before_the_first_arrival_is_accounted_and_a_cut_chain_is_unreachable() {
    let dir = std::env::temp_dir().join(format!("ruvsim-faults-early-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("arrivals.txt"), "100000\n100500\n").unwrap();
    let workload = r#"[workload]
arrivals = { kind = "replay", file = "arrivals.txt" }
requests = 2
prompt = { tokens = [1, 2, 3, 4] }
new_tokens = 20"#;
    let text = format!(
        r#"[scenario]
name = "early"
fidelity = "timing"
{MODEL}
[cluster]
variant = "esp32s3"
topology = {{ kind = "chain", chips = 6 }}
link = {{ kind = "spi", clock_mhz = 40, lines = 1, mode = "polling_dma" }}
[parallelism]
pipeline = 5
{workload}
[faults]
spares = 1
events = [{{ kind = "crash", chip = 2, at_ms = 1.0 }}]
"#
    );
    let loaded = LoadedScenario {
        scenario: parse("early.toml", &text).unwrap_or_else(|e| panic!("{e}")),
        file: "early.toml".into(),
        dir: dir.clone(),
    };
    let result = run(&loaded);
    // Chip 0, which watches the others, hears nothing from the chips cut off behind the crash:
    // they are declared failed as unreachable before the first request arrives, and the requests
    // find no replica left.
    assert_eq!(result.summary.requests_failed, 2);
    assert!(result.requests.iter().all(|r| matches!(
        &r.outcome,
        Outcome::Failed { reason } if reason.starts_with("no replica is left")
    )));
    let stats = result.faults.as_ref().unwrap();
    assert_eq!(stats.false_detections, 2, "{:?}", stats.events);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Work is accounted to the physical chip that did it: after a fail-over the spare has its own
/// busy time, tasks and timeline track, the failed chip keeps only its work before the crash, and
/// the crash, its detection and the fail-over are logged in time order.
#[test]
fn a_spares_work_is_its_own_and_the_faults_are_logged() {
    let faults = "[faults]\nspares = 1\nheartbeat = { period_ms = 1.0, timeout_ms = 2.0 }\nevents = [{ kind = \"crash\", chip = 2, at_ms = 1.0 }]";
    let result = run(&scenario(6, CLOSED, faults, std::path::Path::new(".")));
    assert_eq!(result.summary.requests_completed, 3);
    let stats = result.faults.as_ref().unwrap();
    let kinds: Vec<&str> = stats.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["crash", "detected", "fail-over"]);
    assert!(stats.events.windows(2).all(|w| w[0].at <= w[1].at));
    assert_eq!(stats.handovers.len(), 1);
    let (failed, spare) = (&result.chips[2], &result.chips[5]);
    assert!(
        spare.tasks > 0 && spare.busy > failed.busy,
        "{spare:?} {failed:?}"
    );
    let crash = ruvsim_engine::time::Time::from_ps(1_000_000_000);
    assert!(result
        .timeline
        .iter()
        .filter(|s| s.resource == 2 && s.kernel.is_some())
        .all(|s| s.start < crash));
    assert!(result.timeline.iter().any(|s| s.resource == 5));
}
