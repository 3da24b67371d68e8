//! Traces end to end: what the core's tracer prints parses back; the simulator's own output,
//! written as a synthetic trace, verifies with zero error and calibrates back to the coefficients
//! it was simulated with; a perturbed coefficient is flagged and recovered; a trace of another
//! setup is refused with the difference named.

use ruvsim_core::trace::{Clock, ClockSource, Header, Origin, Tracer};
use ruvsim_core::Phase;
use ruvsim_core::{ModelConfig, Shard, Span};
use ruvsim_sim::result::RunResult;
use ruvsim_sim::run::{simulate, RunOptions};
use ruvsim_sim::scenario::{parse, LoadedScenario};
use ruvsim_traces::calibrate::{fit, Status};
use ruvsim_traces::matching::{check_matches, scenario_checksums};
use ruvsim_traces::verify::verify;
use ruvsim_traces::write::write_synthetic;
use ruvsim_traces::{parse_trace, Trace, TraceError};

const MODEL_INT8: &str = r#"
[model]
source = "synthetic"
shape = { dim = 64, hidden_dim = 128, n_layers = 4, n_heads = 4, n_kv_heads = 4, vocab_size = 256, seq_len = 128 }
seed = 11
precision = "int8"
"#;

const CPU: &str = r#"cpu = { clock_mhz = 240, cores_used = 2, kernel = "optimized" }"#;

fn scenario(body: &str) -> LoadedScenario {
    let text =
        format!("[scenario]\nname = \"trace-test\"\nseed = 5\nfidelity = \"timing\"\n{body}");
    LoadedScenario {
        scenario: parse("trace-test.toml", &text).unwrap_or_else(|e| panic!("{e}")),
        file: "trace-test.toml".into(),
        dir: ".".into(),
    }
}

fn workload(requests: u32, tokens: u32) -> String {
    format!(
        "[workload]\narrivals = {{ kind = \"closed_loop\", concurrency = 1 }}\nrequests = \
         {requests}\nprompt = {{ tokens = [1, 17, 42, 99] }}\nnew_tokens = {tokens}\n"
    )
}

/// One int8 board, everything in SRAM.
fn single(extra: &str) -> LoadedScenario {
    scenario(&format!(
        "{MODEL_INT8}[cluster]\nvariant = \"esp32s3\"\ntopology = {{ kind = \"chain\", chips = 1 }}\n\
         link = {{ kind = \"uart\", baud = 115200 }}\n{CPU}\n{}{extra}",
        workload(2, 12)
    ))
}

/// Three int8 boards in an SPI chain, one pipeline stage each.
fn pipeline() -> LoadedScenario {
    scenario(&format!(
        "{MODEL_INT8}[cluster]\nvariant = \"esp32s3\"\ntopology = {{ kind = \"chain\", chips = 3 }}\n\
         link = {{ kind = \"spi\", clock_mhz = 40, lines = 2, mode = \"polling_dma\" }}\n{CPU}\n\
         [parallelism]\npipeline = 3\n{}",
        workload(1, 10)
    ))
}

/// The stories260K shape in f32 with its weights streamed from quad PSRAM.
fn psram_f32() -> LoadedScenario {
    scenario(&format!(
        "[model]\nsource = \"synthetic\"\nshape = \"stories260k\"\nseed = 3\nprecision = \"f32\"\n\
         [cluster]\nvariant = \"esp32s3\"\ntopology = {{ kind = \"chain\", chips = 1 }}\n\
         link = {{ kind = \"uart\", baud = 115200 }}\n{CPU}\n\
         memory = {{ psram_bytes = 2097152, psram_mode = \"quad\", psram_clock_mhz = 80 }}\n{}",
        workload(1, 24)
    ))
}

fn run(loaded: &LoadedScenario) -> RunResult {
    let options = RunOptions {
        timeline_limit: Some(usize::MAX),
        ..RunOptions::default()
    };
    simulate(loaded, &options).unwrap_or_else(|e| panic!("{e}"))
}

fn checksum(loaded: &LoadedScenario) -> u32 {
    scenario_checksums(loaded, None).unwrap()[0]
}

/// Simulates `loaded` and writes the run as a synthetic trace, parsed back.
fn synthetic(loaded: &LoadedScenario) -> (RunResult, Trace) {
    let result = run(loaded);
    let text = write_synthetic(&result, loaded, checksum(loaded), ClockSource::Ccount).unwrap();
    let trace = parse_trace(&text, "synthetic").unwrap_or_else(|e| panic!("{e}"));
    (result, trace)
}

#[test]
fn what_the_core_prints_parses_back_among_other_log_lines() {
    struct Counter(u64);
    impl Clock for Counter {
        fn now(&mut self) -> u64 {
            self.0 += 1_000;
            self.0
        }
    }
    let config: ModelConfig = run(&single("")).model.config;
    let header = Header {
        board: "s3-a",
        chip: 0,
        variant: "esp32s3",
        clock_mhz: 240,
        cores: 2,
        kernel: "optimized",
        clock: ClockSource::EspTimer,
        origin: Origin::Measured,
        source: None,
        model_crc32: 0xdead_beef,
        config,
        partition: Shard::whole(&config),
        extra: &[("weights", "sram"), ("kv", "sram")],
    };
    let mut tracer = Tracer::new(Counter(0), String::new());
    tracer.header(&header).unwrap();
    for pos in 0..3 {
        tracer.token_start(0, pos).unwrap();
        for phase in [
            Phase::Embed,
            Phase::Layers(Span::new(0, 4)),
            Phase::Classify(Span::new(0, 256)),
            Phase::Sample,
        ] {
            tracer.phase(phase, pos, || ()).unwrap();
        }
        tracer.token_end(0, pos, Some(7)).unwrap();
    }
    let (_, text) = tracer.into_parts();
    // As an ESP-IDF console shows it: log prefixes, colour codes, and other components' lines.
    let log: String = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let noise = if i % 3 == 0 {
                "I (5) wifi: sta connected\n"
            } else {
                ""
            };
            format!("{noise}\u{1b}[0;32mI ({}) {line}\u{1b}[0m\n", 100 + i)
        })
        .collect();
    let trace = parse_trace(&log, "console").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(trace.boards.len(), 1);
    assert!(trace.skipped_lines > 0);
    let board = &trace.boards[0];
    assert_eq!(board.header.board, "s3-a");
    assert_eq!(board.header.config, config);
    assert_eq!(board.header.model_crc32, 0xdead_beef);
    assert_eq!(board.phases.len(), 12);
    assert_eq!(board.tokens.len(), 3);
    // Every phase lasted exactly one clock step of 1,000 us.
    assert!(board
        .phases
        .iter()
        .all(|p| p.duration.as_ps() == 1_000 * 1_000_000));
    assert_eq!(board.tokens[2].token, Some(7));
    assert_eq!(board.phases[5].phase, Phase::Layers(Span::new(0, 4)));

    // The JSON-lines form of the same records reads the same.
    let json: String = text
        .lines()
        .map(|line| json_line(line.trim_start_matches("ruvtrace:").trim()))
        .collect();
    let from_json = parse_trace(&json, "json").unwrap_or_else(|e| panic!("{e}\n{json}"));
    let timing = |b: &ruvsim_traces::BoardTrace| -> Vec<_> {
        b.phases
            .iter()
            .map(|p| (p.phase, p.pos, p.start, p.duration))
            .collect()
    };
    assert_eq!(timing(&from_json.boards[0]), timing(board));
    let without_line = |b: &ruvsim_traces::BoardTrace| ruvsim_traces::BoardHeader {
        line: 0,
        ..b.header.clone()
    };
    assert_eq!(without_line(&from_json.boards[0]), without_line(board));
}

/// A text record as a JSON object (kind, optional phase word, fields as strings).
fn json_line(record: &str) -> String {
    let mut words = record.split(' ');
    let mut map = serde_json::Map::new();
    map.insert("kind".into(), words.next().unwrap().into());
    for word in words {
        match word.split_once('=') {
            Some((k, v)) => map.insert(k.into(), v.trim_matches('"').into()),
            None => map.insert("phase".into(), word.into()),
        };
    }
    format!("{}\n", serde_json::Value::Object(map))
}

#[test]
fn bad_and_truncated_lines_are_each_reported_with_their_number() {
    let (_, trace_text) = {
        let loaded = single("");
        let result = run(&loaded);
        let text = write_synthetic(&result, &loaded, 1, ClockSource::Ccount).unwrap();
        (result, text)
    };
    let mut lines: Vec<String> = trace_text.lines().map(str::to_string).collect();
    lines[6] = "ruvtrace: PS warp p=0 t=1".into();
    lines[8] = "ruvtrace: TS p=zero t=1".into();
    // Cut the trace in the middle of a phase.
    let cut = lines.iter().rposition(|l| l.contains(" PS ")).unwrap();
    let text = lines[..=cut].join("\n");
    let err = parse_trace(&text, "bad.trace").unwrap_err();
    let TraceError::Lines { issues, .. } = &err else {
        panic!("{err}");
    };
    let message = err.to_string();
    assert!(
        issues
            .iter()
            .any(|i| i.line == 7 && i.reason.contains("unknown phase `warp`")),
        "{message}"
    );
    assert!(
        issues
            .iter()
            .any(|i| i.line == 9 && i.reason.contains("`p` = `zero`")),
        "{message}"
    );
    assert!(
        issues
            .iter()
            .any(|i| i.line == cut + 1 && i.reason.contains("never ends")),
        "{message}"
    );
    assert!(parse_trace("I (1) boot: nothing here\n", "empty").is_err());
}

#[test]
fn the_simulators_own_trace_verifies_with_zero_error() {
    for loaded in [single(""), pipeline()] {
        let (result, trace) = synthetic(&loaded);
        check_matches(&trace, &loaded, &result, &[checksum(&loaded)]).unwrap();
        let v = verify(&trace, &result, 1.0);
        assert!(v.passed, "{:#?}", v.comparisons);
        assert!(v.measured_tier.starts_with("synthetic"));
        // Only the cycle counter's resolution separates the two sides: each phase's start and
        // end are read to the cycle, so the durations differ by at most one cycle.
        let cycle_ps = 1_000_000 / 240 + 1;
        for m in &v.phases {
            let error = m.measured.as_ps().abs_diff(m.simulated.as_ps());
            assert!(error <= cycle_ps, "{} at {}: {error} ps", m.label, m.pos);
        }
        let scopes: Vec<&str> = v.comparisons.iter().map(|c| c.scope.as_str()).collect();
        for scope in ["phase", "chip", "token latency", "throughput"] {
            assert!(scopes.contains(&scope), "{scopes:?}");
        }
        assert_eq!(
            v.phases.len(),
            result
                .timeline
                .iter()
                .filter(|s| s.kernel.is_some())
                .count()
        );
    }
    let (result, trace) = synthetic(&pipeline());
    let v = verify(&trace, &result, 1.0);
    assert!(v.comparisons.iter().any(|c| c.scope == "link"));
    assert!(!v.transfers.is_empty());
}

#[test]
fn calibrate_recovers_the_coefficients_a_trace_was_simulated_with() {
    let expect = |fit: &ruvsim_traces::calibrate::Fit, key: &str, truth: f64| {
        let c = fit
            .coefficient(key)
            .unwrap_or_else(|| panic!("{key} not in the fit"));
        assert_eq!(c.status, Status::Fitted, "{key}: {:?}", c);
        let error = (c.value - truth).abs() / truth;
        assert!(error < 0.01, "{key}: fitted {} vs {truth}", c.value);
    };
    let (_, trace) = synthetic(&single(""));
    let fitted = fit(&[trace], None).unwrap();
    expect(&fitted, "cycles.optimized.mac_i8", 1.326);
    expect(&fitted, "cycles.optimized.elementwise_int", 3.025);
    expect(&fitted, "cycles.optimized.attn_mac_int", 1.326);
    expect(&fitted, "cycles.optimized.lut", 43.39);
    // Only the cycle counter's resolution (one cycle of a ~100-cycle embedding) is left over.
    assert!(fitted.residual_rms_pct < 0.5, "{fitted:#?}");
    // An int8 model does no f32 work: the traces say nothing about its cost.
    let f32_cost = fitted.coefficient("cycles.optimized.mac_f32").unwrap();
    assert_eq!(f32_cost.status, Status::NoSignal);
    assert!(!fitted.to_toml().contains("\nmac_f32 ="));

    let (_, trace) = synthetic(&psram_f32());
    let fitted = fit(&[trace], None).unwrap();
    expect(&fitted, "cycles.optimized.mac_f32", 1.6875);
    expect(&fitted, "memory.psram.quad.efficiency", 0.7561);

    let (_, trace) = synthetic(&pipeline());
    let fitted = fit(&[trace], None).unwrap();
    expect(&fitted, "links.spi.overhead_us.polling_dma", 11.0);
    let written = fitted.to_toml();
    let mut calibration = ruvsim_hw::calibration::Calibration::builtin(fitted.variant);
    calibration
        .apply_overrides(&written, "fitted.toml")
        .unwrap_or_else(|e| panic!("{e}\n{written}"));
    let entry = calibration.entry("cycles.optimized.mac_i8").unwrap();
    assert!(entry
        .source
        .to_string()
        .contains("fitted by ruvsim calibrate from synthetic"));
}

#[test]
fn a_perturbed_coefficient_is_flagged_by_verify_and_recovered_by_calibrate() {
    let perturbed = 1.326 * 1.3;
    let changed = single(&format!(
        "[calibration.overrides]\n\"cycles.optimized.mac_i8\" = {perturbed}\n"
    ));
    let (_, trace) = synthetic(&changed);
    let reference = single("");
    let result = run(&reference);
    let v = verify(&trace, &result, 1.0);
    assert!(!v.passed);
    let phase = |name: &str| {
        v.comparisons
            .iter()
            .find(|c| c.scope == "phase" && c.name == name)
            .unwrap_or_else(|| panic!("no row for {name}"))
    };
    // Matrix products live in the layers and the classifier; embedding and sampling have none.
    assert!(!phase("layers").within && phase("layers").stats.mape_pct > 10.0);
    assert!(!phase("classify").within);
    assert!(phase("embed").within && phase("sample").within);
    let fitted = fit(&[trace], None).unwrap();
    let c = fitted.coefficient("cycles.optimized.mac_i8").unwrap();
    assert!((c.value - perturbed).abs() / perturbed < 0.01, "{c:?}");
}

#[test]
fn a_trace_of_another_setup_is_refused_with_the_difference_named() {
    let loaded = single("");
    let (_, trace) = synthetic(&loaded);
    // Another model file (other synthetic weights) and another partition (a 3-stage plan).
    let other_weights = scenario(&format!(
        "{}[cluster]\nvariant = \"esp32s3\"\ntopology = {{ kind = \"chain\", chips = 1 }}\n\
         link = {{ kind = \"uart\", baud = 115200 }}\n{CPU}\n{}",
        MODEL_INT8.replace("seed = 11", "seed = 12"),
        workload(2, 12)
    ));
    let result = run(&other_weights);
    let err = check_matches(&trace, &other_weights, &result, &[checksum(&other_weights)])
        .unwrap_err()
        .to_string();
    assert!(err.contains("model checksum"), "{err}");

    let staged = pipeline();
    let result = run(&staged);
    let err = check_matches(&trace, &staged, &result, &[checksum(&staged)])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("partition layers 0..4, the plan gives this chip 0..1")
            || err.contains("partition"),
        "{err}"
    );
    assert!(err.contains("vocabulary rows"), "{err}");
}

#[test]
fn a_summary_only_trace_compares_what_it_can_and_says_what_it_cannot() {
    let loaded = single("");
    let result = run(&loaded);
    let config = result.model.config;
    let text = format!(
        "ruvtrace: H v=1 board=pub chip=0 variant=esp32s3 clock_mhz=240 cores=2 kernel=optimized \
         origin=measured source=\"a published figure\"\n\
         ruvtrace: H model=crc32:{:08x} precision=int8 dim={} hidden={} layers={} heads={} \
         kv_heads={} vocab={} seq_len={} shared=1 attention=full\n\
         ruvtrace: H partition=embed,layers:0..4,heads:0..4,units:0..128,vocab:0..256\n\
         ruvtrace: S tok_s=1000\n",
        checksum(&loaded),
        config.shape.dim,
        config.shape.hidden_dim,
        config.shape.n_layers,
        config.shape.n_heads,
        config.shape.n_kv_heads,
        config.shape.vocab_size,
        config.shape.seq_len
    );
    let trace = parse_trace(&text, "summary.trace").unwrap_or_else(|e| panic!("{e}"));
    check_matches(&trace, &loaded, &result, &[checksum(&loaded)]).unwrap();
    let v = verify(&trace, &result, 5.0);
    assert_eq!(v.comparisons.len(), 1);
    assert_eq!(v.comparisons[0].scope, "summary");
    assert_eq!(v.measured_tier, "measured");
    assert!(
        v.not_compared
            .iter()
            .any(|n| n.contains("holds only a summary")),
        "{:?}",
        v.not_compared
    );
}

/// The synthetic reference traces in `traces/synthetic/` are the simulator's output for their
/// scenarios, byte for byte. Regenerate them with `RUVSIM_REGENERATE_TRACES=1`.
#[test]
fn reference_synthetic_traces_are_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("synthetic");
    let regenerate = std::env::var_os("RUVSIM_REGENERATE_TRACES").is_some_and(|v| v == "1");
    let cases = [
        ("single-int8.toml", None, "single-int8.trace"),
        (
            "single-int8.toml",
            Some(1.326 * 1.3),
            "single-int8-mac-i8-x1.3.trace",
        ),
        ("pipeline3-spi.toml", None, "pipeline3-spi.trace"),
    ];
    for (scenario_file, mac_i8, trace_file) in cases {
        let mut loaded = ruvsim_sim::scenario::load(&dir.join(scenario_file)).unwrap();
        // Paths in the header are the scenario's as named from the repository root.
        loaded.file = format!("traces/synthetic/{scenario_file}");
        if let Some(value) = mac_i8 {
            let overrides: toml::Table = format!("\"cycles.optimized.mac_i8\" = {value}")
                .parse()
                .unwrap();
            loaded.scenario.calibration.overrides = Some(overrides);
        }
        let result = run(&loaded);
        let text =
            write_synthetic(&result, &loaded, checksum(&loaded), ClockSource::Ccount).unwrap();
        let path = dir.join(trace_file);
        if regenerate {
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        let stored = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; regenerate with RUVSIM_REGENERATE_TRACES=1",
                path.display()
            )
        });
        assert!(
            stored == text,
            "{} is stale; regenerate with RUVSIM_REGENERATE_TRACES=1 cargo test -p ruvsim-traces \
             --test traces",
            path.display()
        );
        parse_trace(&stored, trace_file).unwrap();
    }
}
