//! Every scenario in `scenarios/` runs to the end: each request completes (or, on a lossy radio,
//! fails with a reason), tokens are conserved, and each scenario shows what its comments say it
//! shows. Scenarios that need the real model skip with a printed reason when `RUVSIM_MODEL_DIR`
//! is unset (and fail instead when `RUVSIM_REQUIRE_ALL=1`). The folder's sweep files
//! (`sweep-*.toml`, for `ruvsim sweep`) are not scenarios: each design of theirs is checked to be
//! one, and a shard of each runs.

use std::path::{Path, PathBuf};

use ruvsim_core::model_dir;
use ruvsim_hw::memory::Region;
use ruvsim_sim::result::Outcome;
use ruvsim_sim::result::RunResult;
use ruvsim_sim::run::{simulate, RunOptions};
use ruvsim_sim::scenario::{load, Fidelity, LoadedScenario, ModelSpec};

/// The scenario library, relative to the package root. `library_lists_every_scenario` keeps it
/// equal to the folder's content.
const LIBRARY: [&str; 21] = [
    "espnow-mesh.toml",
    "event-gated.toml",
    "failover-pipeline.toml",
    "hybrid-64.toml",
    "hypercube-1024.toml",
    "moe5.toml",
    "pipeline5-one-stream.toml",
    "pipeline5.toml",
    "scale-ethernet-100k.toml",
    "scale-ethernet-1m.toml",
    "sdcard-streaming.toml",
    "speculative5.toml",
    "standalone-esp32.toml",
    "standalone-esp32c3.toml",
    "standalone-esp32c6.toml",
    "standalone-esp32s2.toml",
    "standalone-esp32s3.toml",
    "stories260k-s3-psram.toml",
    "tensor5.toml",
    "torus3d-4096.toml",
    "uart-chain-c3.toml",
];

/// The library's sweep files: `sweep-*.toml` in `scenarios/`, kept equal to the folder's content
/// by `library_lists_every_scenario`.
const SWEEPS: [&str; 2] = ["sweep-5-to-64.toml", "sweep-heartbeat.toml"];

/// Whether a file of `scenarios/` is a sweep file rather than a scenario.
fn is_sweep(name: &str) -> bool {
    name.starts_with("sweep-")
}

fn scenario_path(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(file)
}

fn load_scenario(file: &str) -> LoadedScenario {
    load(&scenario_path(file)).unwrap_or_else(|e| panic!("{e}"))
}

/// Whether the scenario reads model files (rather than generating synthetic weights).
fn needs_model_files(loaded: &LoadedScenario) -> bool {
    !matches!(loaded.scenario.model, ModelSpec::Synthetic { .. })
}

/// Runs a library scenario as `ruvsim run` would (its own fidelity and seed), or `None` when it
/// needs the real model and the model directory is not set.
fn run(file: &str) -> Option<RunResult> {
    let loaded = load_scenario(file);
    let model_dir = if needs_model_files(&loaded) {
        match model_dir::locate() {
            Ok(Some(dir)) => Some(dir),
            Ok(None) => {
                println!("skipping {file}: it needs the real model files");
                return None;
            }
            Err(reason) => panic!("{file}: {reason}"),
        }
    } else {
        None
    };
    let options = RunOptions {
        model_dir,
        ..RunOptions::default()
    };
    let started = std::time::Instant::now();
    let result = simulate(&loaded, &options).unwrap_or_else(|e| panic!("{file}: {e}"));
    println!(
        "{file}: {:.3} tok/s, {} events, {:.1} s on this host",
        result.summary.throughput_tok_s,
        result.summary.events,
        started.elapsed().as_secs_f64()
    );
    check_conservation(file, &loaded, &result);
    Some(result)
}

/// Every request ended; completed ones generated exactly their tokens; failures say why.
fn check_conservation(file: &str, loaded: &LoadedScenario, result: &RunResult) {
    let workload = &loaded.scenario.workload;
    let summary = &result.summary;
    assert_eq!(result.requests.len() as u32, workload.requests, "{file}");
    assert_eq!(
        summary.requests_completed + summary.requests_failed,
        workload.requests,
        "{file}"
    );
    let mut generated = 0;
    for request in &result.requests {
        match &request.outcome {
            Outcome::Completed => assert_eq!(request.generated, workload.new_tokens, "{file}"),
            Outcome::Failed { reason } => assert!(!reason.is_empty(), "{file}"),
        }
        generated += u64::from(request.generated);
    }
    assert_eq!(summary.tokens_generated, generated, "{file}");
    assert!(summary.throughput_tok_s > 0.0, "{file}");
}

#[test]
fn library_lists_every_scenario() {
    let mut found: Vec<String> = std::fs::read_dir(scenario_path(""))
        .expect("read scenarios/")
        .map(|entry| entry.expect("directory entry").file_name())
        .filter_map(|name| name.to_str().map(str::to_string))
        .filter(|name| name.ends_with(".toml"))
        .collect();
    found.sort();
    let mut listed: Vec<String> = LIBRARY
        .iter()
        .chain(&SWEEPS)
        .map(|s| s.to_string())
        .collect();
    listed.sort();
    assert_eq!(
        found, listed,
        "add new scenarios to LIBRARY and sweep files to SWEEPS (and a test)"
    );
    assert!(LIBRARY.iter().all(|name| !is_sweep(name)));
    assert!(SWEEPS.iter().all(|name| is_sweep(name)));
}

#[test]
fn library_sweeps_build_every_design_and_a_shard_runs() {
    for file in SWEEPS {
        let sweep =
            ruvsim_experiments::sweep::load(&scenario_path(file)).unwrap_or_else(|e| panic!("{e}"));
        for id in 0..sweep.total {
            ruvsim_experiments::sweep::design::scenario(&sweep, id)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let shard = ruvsim_experiments::sweep::Shard {
            index: 1,
            count: 40,
        };
        let options = ruvsim_experiments::sweep::SweepOptions {
            threads: 1,
            shard: Some(shard),
            budget_designs: ruvsim_experiments::sweep::DEFAULT_BUDGET_DESIGNS,
            run_options: RunOptions::default(),
        };
        let progress = ruvsim_experiments::sweep::SweepProgress::default();
        let result = ruvsim_experiments::sweep::run(&sweep, &options, &progress)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(
            result.rows.iter().any(|r| r.meets_constraints()),
            "{file}: no design of shard {shard} meets the constraints"
        );
        println!(
            "{file}: {} designs; shard {shard}: {} rows, {} on its frontier",
            sweep.total,
            result.rows.len(),
            result.frontier.len()
        );
    }
}

#[test]
fn sweep_5_to_64_spans_three_variants_two_precisions_and_5_to_64_chips() {
    let sweep = ruvsim_experiments::sweep::load(&scenario_path("sweep-5-to-64.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(sweep.total >= 500, "{} designs", sweep.total);
    let axis = |key: &str| {
        sweep
            .axes
            .iter()
            .find(|a| a.key == key)
            .unwrap_or_else(|| panic!("no axis {key}"))
            .labels()
    };
    assert_eq!(axis("cluster.variant"), ["esp32s3", "esp32c3", "esp32"]);
    assert_eq!(axis("model.precision"), ["int8", "int4"]);
    let constraints: Vec<String> = sweep.constraints.iter().map(|c| c.to_string()).collect();
    assert!(constraints.contains(&"chips >= 5".to_string()));
    assert!(constraints.contains(&"chips <= 64".to_string()));
    let mut sizes = std::collections::BTreeSet::new();
    for id in 0..sweep.total {
        let loaded = ruvsim_experiments::sweep::design::scenario(&sweep, id).unwrap();
        assert_eq!(loaded.scenario.scenario.fidelity, Fidelity::Timing);
        let p = &loaded.scenario.parallelism;
        let chips = loaded.scenario.cluster.topology.chips().unwrap();
        assert_eq!(chips, p.pipeline * p.tensor * p.replicas);
        if (5..=64).contains(&chips) {
            sizes.insert(chips);
        }
    }
    assert_eq!(sizes.first(), Some(&5));
    assert_eq!(sizes.last(), Some(&64));
}

/// Where chip 0 keeps its weights and KV cache.
fn placement(result: &RunResult) -> (Region, Region) {
    let placement = &result.chips[0].placement;
    (placement.weights, placement.kv_cache)
}

/// The busiest resource is the shared radio channel (ESP-NOW scenarios).
fn radio_bound(file: &str, result: &RunResult) {
    assert!(
        result.bottleneck.resource.contains("shared medium"),
        "{file}: {}",
        result.bottleneck.explanation
    );
}

/// The throughput of one ESP32-S3 running the model alone, the yardstick of the S3 clusters.
fn standalone_s3_throughput() -> f64 {
    run("standalone-esp32s3.toml")
        .expect("synthetic")
        .summary
        .throughput_tok_s
}

#[test]
fn pipeline5_fills_only_with_concurrent_streams() {
    let (Some(filled), Some(single)) = (run("pipeline5.toml"), run("pipeline5-one-stream.toml"))
    else {
        return;
    };
    let speedup = filled.summary.throughput_tok_s / single.summary.throughput_tok_s;
    assert!(
        speedup > 3.0,
        "5 streams over 5 stages: {speedup:.2}x one stream"
    );
    // One stream: every chip waits for the others most of the time.
    assert!(
        single.chips.iter().all(|c| c.utilisation < 0.3),
        "{}",
        single.bottleneck.explanation
    );
    assert!(single.bottleneck.explanation.contains("sequential"));
    assert!(filled.bottleneck.utilisation > 0.8);
}

#[test]
fn event_gated_runs_one_wake_up() {
    let Some(result) = run("event-gated.toml") else {
        return;
    };
    assert_eq!(result.summary.requests_completed, 1);
}

#[test]
fn standalone_variants_fit_as_their_comments_say() {
    let expected = [
        ("standalone-esp32.toml", Region::Sram, Region::Sram),
        ("standalone-esp32s2.toml", Region::Psram, Region::Sram),
        ("standalone-esp32s3.toml", Region::Sram, Region::Psram),
        ("standalone-esp32c3.toml", Region::Sram, Region::Sram),
        ("standalone-esp32c6.toml", Region::Sram, Region::Sram),
    ];
    let mut throughput = Vec::new();
    for (file, weights, kv_cache) in expected {
        let result = run(file).expect("synthetic");
        assert_eq!(placement(&result), (weights, kv_cache), "{file}");
        assert_eq!(result.cluster.chips, 1, "{file}");
        throughput.push((file, result.summary.throughput_tok_s));
    }
    // The S3's SIMD kernels make it the fastest of the five.
    let fastest = throughput
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .expect("five runs");
    assert_eq!(fastest.0, "standalone-esp32s3.toml", "{throughput:?}");
}

#[test]
fn tensor5_chooses_one_chips_tokens_but_slower() {
    let (Some(split), Some(alone)) = (run("tensor5.toml"), run("standalone-esp32s3.toml")) else {
        return;
    };
    // Same weights, same seeded prompt, greedy choice, exact integer partial sums.
    let split_tokens = &split.requests[0].tokens;
    assert_eq!(split_tokens.len(), 16);
    assert_eq!(split_tokens[..], alone.requests[0].tokens[..16]);
    assert!(
        split.summary.inter_token_latency.p50 > alone.summary.inter_token_latency.p50,
        "transfers cost more than the compute they save on this model"
    );
    assert!(split.bottleneck.resource.starts_with("link"));
}

#[test]
fn uart_chain_c3_holds_int8_over_five_chips() {
    let Some(result) = run("uart-chain-c3.toml") else {
        return;
    };
    assert_eq!(result.plan.pipeline, 5);
    assert!(result
        .chips
        .iter()
        .all(|c| c.placement.weights == Region::Sram));
    assert!(
        result.links.iter().all(|l| l.bytes > 0),
        "every UART hop is used"
    );
}

#[test]
fn espnow_mesh_loses_packets_and_says_so() {
    let Some(result) = run("espnow-mesh.toml") else {
        return;
    };
    radio_bound("espnow-mesh.toml", &result);
    assert!(
        result.summary.requests_failed > 0,
        "10% loss with 3 attempts"
    );
    assert!(result.summary.requests_completed > 0);
    for request in &result.requests {
        if let Outcome::Failed { reason } = &request.outcome {
            assert!(reason.contains("lost"), "{reason}");
        }
    }
}

#[test]
fn radio_clusters_are_bound_by_the_shared_channel() {
    let single_chip = standalone_s3_throughput();
    for file in ["hybrid-64.toml", "hypercube-1024.toml", "torus3d-4096.toml"] {
        let Some(result) = run(file) else {
            return;
        };
        radio_bound(file, &result);
        assert_eq!(result.summary.requests_failed, 0, "{file}: lossless radio");
        assert!(
            result.summary.throughput_tok_s < single_chip,
            "{file}: {} tok/s vs one chip's {single_chip}",
            result.summary.throughput_tok_s
        );
    }
}

#[test]
fn large_clusters_run_at_timing_fidelity() {
    for (file, chips) in [("hypercube-1024.toml", 1024), ("torus3d-4096.toml", 4096)] {
        let Some(result) = run(file) else {
            return;
        };
        assert_eq!(result.fidelity, Fidelity::Timing, "{file}");
        assert_eq!(result.cluster.chips, chips, "{file}");
    }
}

/// The scaling scenarios run every chip event by event. They take seconds in a release build and
/// minutes in a debug one, so debug test runs skip them (`cargo test --release` runs them).
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "a million simulated chips: run with cargo test --release"
)]
fn scale_scenarios_simulate_every_chip_at_timing_fidelity() {
    for (file, chips) in [
        ("scale-ethernet-100k.toml", 100_000),
        ("scale-ethernet-1m.toml", 1_048_580),
    ] {
        let Some(result) = run(file) else {
            return;
        };
        assert_eq!(result.fidelity, Fidelity::Timing, "{file}");
        assert_eq!(result.cluster.chips, chips, "{file}");
        assert_eq!(result.summary.requests_failed, 0, "{file}");
        // Every replica served its one client: the chips are busy in every replica.
        let idle = result.chips.iter().filter(|c| c.tasks == 0).count();
        assert_eq!(idle, 0, "{file}: {idle} chips never ran a task");
    }
}

/// What llama2.c's `run.c` prints for stories260K at temperature 0, as published in llama2.c's
/// `doc/stories260K.md` (the beginning).
const LLAMA2C_GREEDY: &str = "Once upon a time, there was a little girl named Lily. She loved \
to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it \
was too high.\nLily's mom said, \"Lily, let's go to the park.\"";

#[test]
fn stories260k_on_s3_psram_matches_llama2c_and_is_bound_by_psram() {
    let Some(result) = run("stories260k-s3-psram.toml") else {
        return;
    };
    assert_eq!(placement(&result).0, Region::Psram);
    let text = result.texts[0].as_deref().expect("a tokenizer gives text");
    let full = format!("Once upon a time{text}");
    assert!(
        LLAMA2C_GREEDY.starts_with(&full) || full.starts_with(LLAMA2C_GREEDY),
        "greedy stories260K text differs from llama2.c's: {full:?}"
    );
    // About 1 MB of f32 weights stream through a 64 KB cache every token: line fills, not
    // arithmetic, take most of each generated token's time.
    for token in result.tokens.iter().skip(1) {
        let total = token.phases.total().unwrap();
        assert!(
            token.phases.memory * 2 > total,
            "memory {:?} of {total:?}",
            token.phases.memory
        );
    }
}

#[test]
fn the_llama2c_profile_times_functional_and_timing_runs_alike() {
    let Some(functional) = run("stories260k-s3-psram.toml") else {
        return;
    };
    let loaded = load_scenario("stories260k-s3-psram.toml");
    let options = RunOptions {
        model_dir: model_dir::locate().ok().flatten(),
        fidelity: Some(Fidelity::Timing),
        ..RunOptions::default()
    };
    let timing = simulate(&loaded, &options).unwrap();
    let times = |r: &RunResult| -> Vec<_> { r.tokens.iter().map(|t| (t.end, t.phases)).collect() };
    assert_eq!(times(&functional), times(&timing));
}

#[test]
fn sdcard_streaming_reads_weights_from_the_card() {
    let Some(result) = run("sdcard-streaming.toml") else {
        return;
    };
    assert_eq!(placement(&result).0, Region::SdCard);
    assert!(result.chips[0].placement.sd_used > 40_000_000);
    assert!(
        result.summary.throughput_tok_s < 1.0,
        "{} tok/s",
        result.summary.throughput_tok_s
    );
}

#[test]
fn baseline_lists_every_library_scenario() {
    let text = std::fs::read_to_string(scenario_path("baseline.csv")).expect("read baseline");
    for file in LIBRARY {
        assert!(
            text.lines()
                .any(|line| line.starts_with(&format!("{file},"))),
            "scenarios/baseline.csv has no row for {file}"
        );
    }
}

#[test]
fn speculative5_measures_acceptance_and_keeps_greedy_tokens() {
    let result = run("speculative5.toml").expect("synthetic: always runs");
    let stats = result.speculation.expect("the scenario speculates");
    assert!(stats.measured, "functional runs measure acceptance");
    assert!(stats.rounds > 0 && stats.proposed > 0);
    println!(
        "speculative5: acceptance {:.1}%, {:.2} tokens per verification pass",
        100.0 * stats.acceptance_rate(),
        stats.tokens_per_round()
    );
    // The same cluster without speculation chooses the same tokens (greedy).
    let mut plain = load_scenario("speculative5.toml");
    plain.scenario.speculative = None;
    plain.scenario.cluster.topology = ruvsim_topologies::TopologySpec::Chain { chips: 4 };
    let plain = simulate(&plain, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let tokens = |r: &RunResult| {
        r.requests
            .iter()
            .map(|q| q.tokens.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(tokens(&plain), tokens(&result));
}

#[test]
fn failover_pipeline_recovers_on_its_spare() {
    let result = run("failover-pipeline.toml").expect("synthetic: always runs");
    let faults = result.faults.expect("the scenario has faults");
    assert_eq!(faults.crashes, 1);
    assert_eq!(faults.failovers, 1);
    assert_eq!(
        result.summary.requests_failed, 0,
        "the spare serves every request"
    );
    assert!(faults.requests_retried > 0 && faults.tokens_recomputed > 0);
    assert!(faults.time_to_recover.max > faults.time_to_detect.max);
}

#[test]
fn moe5_spreads_tokens_over_its_experts() {
    let result = run("moe5.toml").expect("synthetic: always runs");
    let stats = result.moe.expect("the scenario has experts");
    assert_eq!(stats.visits.len(), 4);
    assert!(stats.visits.iter().sum::<u64>() > 0);
    println!(
        "moe5: visits per expert {:?}, imbalance {:.2}",
        stats.visits,
        stats.imbalance()
    );
}
