//! A run that keeps only its summary keeps no token record: its tokens are counted and their
//! inter-token gaps gathered into a histogram as they arrive. Every other figure is the same as
//! with every record kept, and the inter-token percentiles are within 0.1%.

use ruvsim_sim::record_volume::Records;
use ruvsim_sim::run::{simulate, RunOptions};
use ruvsim_sim::scenario::{parse, LoadedScenario};

const SCENARIO: &str = r#"[scenario]
name = "streamed"
fidelity = "timing"
[model]
source = "synthetic"
shape = "stories260k"
seed = 7
precision = "int8"
[cluster]
variant = "esp32s3"
topology = { kind = "hierarchical", gateway = 0, group = { kind = "chain", chips = 5 }, top = { kind = "switched", chips = 6 } }
link = { kind = "spi", clock_mhz = 40, lines = 2, mode = "polling_dma" }
backbone = { kind = "ethernet", nic = "w5500", groups_per_host = 2 }
[parallelism]
pipeline = 5
replicas = 6
streams_per_replica = 2
[workload]
arrivals = { kind = "closed_loop", concurrency = 12 }
requests = 30
prompt = { length = 3 }
new_tokens = 9
"#;

#[test]
fn a_summary_run_streams_its_tokens_and_agrees_with_a_full_one() {
    let loaded = LoadedScenario {
        scenario: parse("streamed.toml", SCENARIO).unwrap_or_else(|e| panic!("{e}")),
        file: "streamed.toml".into(),
        dir: ".".into(),
    };
    let run = |records| {
        let options = RunOptions {
            records: Some(records),
            ..RunOptions::default()
        };
        simulate(&loaded, &options).unwrap_or_else(|e| panic!("{e}"))
    };
    let all = run(Records::All);
    let summary = run(Records::Summary);
    assert_eq!(summary.records, Records::Summary);
    assert!(summary.tokens.is_empty(), "no token record is kept");
    assert!(summary.summary.inter_token_streamed);
    assert!(!all.summary.inter_token_streamed);
    let (a, s) = (&all.summary, &summary.summary);
    assert_eq!(a.tokens_generated, 30 * 9);
    assert_eq!(
        (a.tokens_generated, a.makespan, a.requests_completed),
        (s.tokens_generated, s.makespan, s.requests_completed)
    );
    assert_eq!(a.time_to_first_token, s.time_to_first_token);
    assert_eq!(a.request_latency, s.request_latency);
    let (ai, si) = (a.inter_token_latency, s.inter_token_latency);
    assert_eq!(
        (ai.count, ai.min, ai.mean, ai.max),
        (si.count, si.min, si.mean, si.max)
    );
    for (x, y) in [(ai.p50, si.p50), (ai.p90, si.p90), (ai.p99, si.p99)] {
        let error = (x.as_ps() as f64 - y.as_ps() as f64).abs() / x.as_ps() as f64;
        assert!(error <= 1e-3, "{x:?} vs {y:?}");
    }
}
