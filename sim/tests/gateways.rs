//! Hosts per group: a hierarchical cluster with a host on every board serves each replica from
//! its own board, so no token crosses the top-level links, and the cluster is faster than the
//! same cluster served through one host chip; the key is refused where it cannot apply.

use ruvsim_sim::result::RunResult;
use ruvsim_sim::run::{simulate, RunOptions};
use ruvsim_sim::scenario::{parse, LoadedScenario};

/// Four boards of a five-chip UART chain, one pipeline5 replica per board, boards chained
/// through chip 4 of each; `hosts` is the `[cluster]` line that attaches the hosts.
fn boards(hosts: &str, topology: &str) -> LoadedScenario {
    let text = format!(
        r#"
[scenario]
name = "gateways"
seed = 1
fidelity = "timing"
[model]
source = "synthetic"
shape = "stories260k"
precision = "int8"
[cluster]
variant = "esp32s3"
topology = {topology}
link = {{ kind = "uart", baud = 2000000 }}
{hosts}
[parallelism]
pipeline = 5
replicas = 4
[workload]
arrivals = {{ kind = "closed_loop", concurrency = 8 }}
requests = 16
prompt = {{ length = 4 }}
new_tokens = 8
"#
    );
    LoadedScenario {
        scenario: parse("gateways.toml", &text).unwrap_or_else(|e| panic!("{e}")),
        file: "gateways.toml".into(),
        dir: ".".into(),
    }
}

const HIERARCHICAL: &str = r#"{ kind = "hierarchical", gateway = 4, group = { kind = "chain", chips = 5 }, top = { kind = "chain", chips = 4 } }"#;

fn run(loaded: &LoadedScenario) -> Result<RunResult, String> {
    simulate(loaded, &RunOptions::default()).map_err(|e| e.to_string())
}

/// Bytes carried by the links that join boards (the top chain's links come after the boards').
fn top_link_bytes(result: &RunResult) -> u64 {
    result
        .links
        .iter()
        .filter(|l| l.pair.is_some_and(|[a, b]| a / 5 != b / 5))
        .map(|l| l.bytes)
        .sum()
}

#[test]
fn a_host_per_board_keeps_traffic_on_the_board_and_beats_one_host() {
    let per_group = run(&boards("gateway_per_group = true", HIERARCHICAL)).unwrap();
    let one = run(&boards("gateway = 4", HIERARCHICAL)).unwrap();
    assert_eq!(per_group.summary.requests_completed, 16);
    assert_eq!(one.summary.requests_completed, 16);
    assert_eq!(top_link_bytes(&per_group), 0);
    assert!(
        top_link_bytes(&one) > 0,
        "one host: boards 1-3 reach it over the top chain"
    );
    assert!(
        per_group.summary.throughput_tok_s > one.summary.throughput_tok_s,
        "{} <= {}",
        per_group.summary.throughput_tok_s,
        one.summary.throughput_tok_s
    );
}

#[test]
fn per_group_hosts_need_groups_and_exclude_a_single_gateway() {
    let chain = boards(
        "gateway_per_group = true",
        r#"{ kind = "chain", chips = 20 }"#,
    );
    let err = run(&chain).unwrap_err();
    assert!(
        err.contains("gateway_per_group") && err.contains("hierarchical"),
        "{err}"
    );
    let both = boards("gateway = 4\ngateway_per_group = true", HIERARCHICAL);
    let err = run(&both).unwrap_err();
    assert!(err.contains("give one of them"), "{err}");
}
