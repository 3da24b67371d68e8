//! End-to-end checks of the simulator on small scenarios: determinism, conservation and the
//! physics a user relies on.

use ruvsim_sim::plan::PlanError;
use ruvsim_sim::result::RunResult;
use ruvsim_sim::run::{simulate, RunError, RunOptions};
use ruvsim_sim::scenario::{parse, Fidelity, LoadedScenario};

/// A small int8 model that fits one ESP32-S3 on its own.
const SMALL_MODEL: &str = r#"
[model]
source = "synthetic"
shape = { dim = 64, hidden_dim = 128, n_layers = 5, n_heads = 4, n_kv_heads = 4, vocab_size = 256, seq_len = 128 }
seed = 11
precision = "int8"
"#;

fn scenario(body: &str) -> LoadedScenario {
    let text = format!("[scenario]\nname = \"test\"\nseed = 5\n{body}");
    LoadedScenario {
        scenario: parse("test.toml", &text).unwrap_or_else(|e| panic!("{e}")),
        file: "test.toml".into(),
        dir: ".".into(),
    }
}

fn cluster(chips: u32, link: &str) -> String {
    format!(
        "[cluster]\nvariant = \"esp32s3\"\ntopology = {{ kind = \"chain\", chips = {chips} }}\nlink = {link}\n"
    )
}

const SPI: &str = r#"{ kind = "spi", clock_mhz = 40, lines = 1, mode = "polling_dma" }"#;

fn workload(concurrency: u32, requests: u32, new_tokens: u32) -> String {
    format!(
        "[workload]\narrivals = {{ kind = \"closed_loop\", concurrency = {concurrency} }}\nrequests = {requests}\nprompt = {{ tokens = [1, 17, 42, 99] }}\nnew_tokens = {new_tokens}\n"
    )
}

fn pipeline(stages: u32, concurrency: u32, requests: u32) -> LoadedScenario {
    pipeline_generating(stages, concurrency, requests, 12)
}

fn pipeline_generating(
    stages: u32,
    concurrency: u32,
    requests: u32,
    tokens: u32,
) -> LoadedScenario {
    scenario(&format!(
        "{SMALL_MODEL}{}[parallelism]\npipeline = {stages}\n{}",
        cluster(stages, SPI),
        workload(concurrency, requests, tokens)
    ))
}

fn run(loaded: &LoadedScenario) -> RunResult {
    simulate(loaded, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn same_seed_gives_identical_bytes() {
    let loaded = pipeline(5, 2, 3);
    let a = serde_json::to_vec(&run(&loaded)).unwrap();
    let b = serde_json::to_vec(&run(&loaded)).unwrap();
    assert_eq!(a, b);
}

#[test]
fn seed_changes_only_what_is_random() {
    let loaded = pipeline(5, 1, 2);
    let a = run(&loaded);
    let b = simulate(
        &loaded,
        &RunOptions {
            seed: Some(99),
            ..RunOptions::default()
        },
    )
    .unwrap();
    // Fixed prompts, greedy choice, lossless links: nothing depends on the seed but the seed.
    assert_eq!(a.summary, b.summary);
    assert_eq!(a.tokens, b.tokens);
    assert_eq!(a.requests, b.requests);
    assert_ne!(a.seed, b.seed);

    // Poisson arrivals do depend on it.
    let poisson = |seed: u64| {
        let mut s = pipeline(5, 1, 4);
        s.scenario.workload.arrivals = ruvsim_sim::workload::Arrivals::Poisson { rate_per_s: 5.0 };
        simulate(
            &s,
            &RunOptions {
                seed: Some(seed),
                ..RunOptions::default()
            },
        )
        .unwrap()
    };
    assert_ne!(
        poisson(1).requests[1].arrival,
        poisson(2).requests[1].arrival
    );
}

#[test]
fn every_request_ends_and_tokens_are_conserved() {
    let result = run(&pipeline(5, 3, 7));
    assert_eq!(result.summary.requests_completed, 7);
    assert_eq!(result.summary.requests_failed, 0);
    assert_eq!(result.summary.tokens_generated, 7 * 12);
    for request in &result.requests {
        assert_eq!(request.generated, 12);
        assert_eq!(
            request.tokens.len(),
            12,
            "functional runs record real tokens"
        );
        assert!(request.first_token.is_some());
    }
    assert_eq!(result.tokens.len(), 7 * 12);
}

#[test]
fn utilisation_never_exceeds_one() {
    let result = run(&pipeline(5, 5, 10));
    for chip in &result.chips {
        assert!(
            chip.utilisation <= 1.0 + 1e-12,
            "chip {} at {}",
            chip.chip,
            chip.utilisation
        );
    }
    for link in &result.links {
        assert!(
            link.utilisation <= 1.0 + 1e-12,
            "link {} at {}",
            link.link,
            link.utilisation
        );
    }
}

#[test]
fn one_stream_over_a_pipeline_is_no_faster_than_one_chip() {
    let alone = run(&pipeline(1, 1, 2)).summary.throughput_tok_s;
    let piped = run(&pipeline(5, 1, 2)).summary.throughput_tok_s;
    assert!(
        piped <= alone,
        "one stream: 5-stage pipeline {piped:.1} tok/s vs one chip {alone:.1} tok/s"
    );
}

#[test]
fn concurrent_streams_fill_the_pipeline() {
    let single = run(&pipeline_generating(5, 1, 10, 60));
    // Every run does the same work, so none can finish before its busiest chip has done its
    // share: the speed-up over one stream is at most 1 / (that chip's utilisation in the
    // single-stream run).
    let busiest = |r: &RunResult| r.chips.iter().map(|c| c.utilisation).fold(0.0, f64::max);
    let bound = 1.0 / busiest(&single);
    assert!(bound > 4.0, "five balanced stages: bound {bound:.2}x");
    for (streams, fraction) in [(5, 0.75), (10, 0.9)] {
        let filled = run(&pipeline_generating(5, streams, 10, 60));
        let speedup = filled.summary.throughput_tok_s / single.summary.throughput_tok_s;
        println!("{streams} streams over 5 stages: {speedup:.2}x one stream (bound {bound:.2}x)");
        assert!(
            speedup <= bound * (1.0 + 1e-9),
            "{speedup:.2}x exceeds {bound:.2}x"
        );
        assert!(
            speedup >= fraction * bound,
            "{streams} streams over 5 stages: {speedup:.2}x one stream, bound {bound:.2}x"
        );
    }
}

#[test]
fn functional_and_timing_give_identical_timing() {
    let loaded = pipeline(5, 2, 3);
    let functional = run(&loaded);
    let timing = simulate(
        &loaded,
        &RunOptions {
            fidelity: Some(Fidelity::Timing),
            ..RunOptions::default()
        },
    )
    .unwrap();
    assert_eq!(functional.summary, timing.summary);
    assert_eq!(functional.tokens, timing.tokens);
    assert_eq!(functional.timeline, timing.timeline);
    let busy = |r: &RunResult| {
        r.chips
            .iter()
            .map(|c| (c.busy, c.counts))
            .collect::<Vec<_>>()
    };
    assert_eq!(busy(&functional), busy(&timing));
    assert!(timing.requests.iter().all(|r| r.tokens.is_empty()));
}

#[test]
fn tensor_parallel_runs_and_matches_unsplit_tokens() {
    let alone = run(&pipeline(1, 1, 1));
    let tensor = run(&scenario(&format!(
        "{SMALL_MODEL}{}[parallelism]\ntensor = 4\n{}",
        cluster(4, SPI),
        workload(1, 1, 12)
    )));
    assert_eq!(
        alone.requests[0].tokens, tensor.requests[0].tokens,
        "integer partial sums are exact, so every split chooses the same tokens"
    );
    assert!(tensor.links.iter().any(|l| l.bytes > 0));
}

#[test]
fn doubling_the_spi_clock_halves_only_the_data_phase() {
    let hop_times = |clock: u32| {
        let link =
            format!(r#"{{ kind = "spi", clock_mhz = {clock}, lines = 1, mode = "polling_dma" }}"#);
        let result = run(&scenario(&format!(
            "{SMALL_MODEL}{}[parallelism]\npipeline = 2\n{}",
            cluster(2, &link),
            workload(1, 1, 3)
        )));
        result
            .timeline
            .iter()
            .filter(|s| s.kernel.is_none() && s.bytes == 256)
            .map(|s| s.duration.as_ps())
            .next()
            .expect("a hidden-state transfer")
    };
    let (slow, fast, faster) = (hop_times(10), hop_times(20), hop_times(40));
    // total = overhead + data with data proportional to 1/clock, so each doubling saves half of
    // what the previous one saved, and what remains when the data phase is subtracted (the
    // per-transaction overhead) is the same at every clock.
    assert_eq!(slow - fast, 2 * (fast - faster), "{slow} {fast} {faster}");
    let overhead_at_20 = fast - (slow - fast);
    let overhead_at_40 = faster - (fast - faster);
    assert_eq!(overhead_at_20, overhead_at_40);
    assert!(overhead_at_40 > 0, "a transaction has a fixed cost");
}

#[test]
fn a_model_too_large_fails_with_the_budget_error() {
    let loaded = scenario(&format!(
        "[model]\nsource = \"synthetic\"\nshape = \"stories260k\"\nprecision = \"f32\"\n{}{}",
        cluster(1, SPI),
        workload(1, 1, 4)
    ));
    match simulate(&loaded, &RunOptions::default()) {
        Err(RunError::Plan(error @ PlanError::DoesNotFit(_))) => {
            let text = error.to_string();
            assert!(text.contains("bytes over"), "{text}");
            assert!(text.contains("What would fit"), "{text}");
        }
        Err(other) => panic!("expected the budget error, got {other}"),
        Ok(_) => panic!("f32 stories260K cannot fit one ESP32-S3's SRAM"),
    }
}

#[test]
fn a_gateway_adds_the_trip_to_the_host() {
    let without = run(&pipeline(5, 1, 2));
    let mut with = pipeline(5, 1, 2);
    with.scenario.cluster.gateway = Some(2);
    let with = run(&with);
    assert_eq!(
        with.summary.tokens_generated,
        without.summary.tokens_generated
    );
    assert!(with.summary.time_to_first_token.p50 > without.summary.time_to_first_token.p50);
    assert!(with.summary.makespan > without.summary.makespan);
    let mut bad = pipeline(5, 1, 2);
    bad.scenario.cluster.gateway = Some(5);
    let err = simulate(&bad, &RunOptions::default()).expect_err("gateway 5 is outside 0..=4");
    assert!(err.to_string().contains("cluster.gateway = 5"), "{err}");
}

#[test]
fn lossy_radio_fails_requests_with_the_cause_and_never_loses_them() {
    let radio = r#"{ kind = "espnow", loss = 0.6, max_attempts = 2 }"#;
    let loaded = scenario(&format!(
        "{SMALL_MODEL}[cluster]\nvariant = \"esp32s3\"\ntopology = {{ kind = \"chain\", chips = 5 }}\nlink = {radio}\n[parallelism]\npipeline = 5\n{}",
        workload(2, 6, 8)
    ));
    let result = run(&loaded);
    assert_eq!(result.requests.len(), 6);
    assert!(
        result.summary.requests_failed > 0,
        "60% loss with 2 attempts must lose something"
    );
    for request in &result.requests {
        if let ruvsim_sim::result::Outcome::Failed { reason } = &request.outcome {
            assert!(reason.contains("lost on link"), "{reason}");
        }
    }
    assert_eq!(
        result.summary.requests_completed + result.summary.requests_failed,
        6,
        "every request ends, completed or failed"
    );
}
