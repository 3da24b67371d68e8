//! Mixture of experts: the router's choices put load on the experts, a router that always picks
//! one expert puts everything there, and every token still comes out.

use ruvsim_sim::result::RunResult;
use ruvsim_sim::run::{simulate, RunOptions};
use ruvsim_sim::scenario::{parse, Fidelity, LoadedScenario};

fn scenario(moe: &str, parallelism: &str) -> LoadedScenario {
    let text = format!(
        r#"[scenario]
name = "moe"
seed = 2

[model]
source = "synthetic"
shape = {{ dim = 64, hidden_dim = 128, n_layers = 3, n_heads = 4, n_kv_heads = 4, vocab_size = 256, seq_len = 64 }}
seed = 5
precision = "int8"

[cluster]
variant = "esp32s3"
topology = {{ kind = "ring", chips = 5 }}
link = {{ kind = "spi", clock_mhz = 40, lines = 2, mode = "polling_dma" }}

{parallelism}

[workload]
arrivals = {{ kind = "closed_loop", concurrency = 2 }}
requests = 3
prompt = {{ tokens = [1, 9, 77] }}
new_tokens = 10

{moe}
"#
    );
    LoadedScenario {
        scenario: parse("moe.toml", &text).unwrap_or_else(|e| panic!("{e}")),
        file: "moe.toml".into(),
        dir: ".".into(),
    }
}

fn run(loaded: &LoadedScenario, fidelity: Fidelity) -> RunResult {
    let options = RunOptions {
        fidelity: Some(fidelity),
        ..RunOptions::default()
    };
    simulate(loaded, &options).unwrap_or_else(|e| panic!("{e}"))
}

/// Token-layer visits: every prompt and generated token passes every layer, `top_k` experts each
/// (the last generated token is never fed back).
fn expected_visits(top_k: u64) -> u64 {
    let tokens_per_request = 3 + 10 - 1;
    3 * tokens_per_request * 3 * top_k
}

#[test]
fn the_router_spreads_tokens_over_experts_and_every_token_arrives() {
    let loaded = scenario("[moe]\nexperts = 4\ntop_k = 2\nseed = 9", "");
    let result = run(&loaded, Fidelity::Functional);
    assert_eq!(result.summary.requests_completed, 3);
    assert_eq!(result.summary.tokens_generated, 30);
    let stats = result.moe.clone().expect("experts ran");
    assert_eq!(stats.routing, "router");
    assert_eq!(stats.visits.iter().sum::<u64>(), expected_visits(2));
    // Every expert chip did the work of its visits, and only that.
    for (expert, &visits) in stats.visits.iter().enumerate() {
        let chip = &result.chips[1 + expert];
        assert_eq!(chip.tasks, visits, "expert {expert}");
    }
    let again = run(&loaded, Fidelity::Functional);
    assert_eq!(
        serde_json::to_vec(&result).unwrap(),
        serde_json::to_vec(&again).unwrap()
    );
}

#[test]
fn a_router_that_always_picks_one_expert_puts_all_load_there() {
    let result = run(
        &scenario("[moe]\nexperts = 4\nrouter = { fixed = 2 }", ""),
        Fidelity::Functional,
    );
    let stats = result.moe.unwrap();
    assert_eq!(stats.routing, "fixed");
    assert_eq!(stats.visits, vec![0, 0, expected_visits(1), 0]);
    assert_eq!(stats.imbalance(), 4.0);
    let busy: Vec<f64> = result.chips[1..5].iter().map(|c| c.utilisation).collect();
    assert!(
        busy[2] > 0.0 && busy[0] == 0.0 && busy[1] == 0.0 && busy[3] == 0.0,
        "{busy:?}"
    );
}

#[test]
fn timing_fidelity_draws_choices_and_says_so() {
    let result = run(
        &scenario("[moe]\nexperts = 4\ntop_k = 1", ""),
        Fidelity::Timing,
    );
    let stats = result.moe.unwrap();
    assert!(stats.routing.starts_with("uniform draws"));
    assert_eq!(stats.visits.iter().sum::<u64>(), expected_visits(1));
    assert!(stats.visits.iter().all(|&v| v > 0), "{:?}", stats.visits);
}

#[test]
fn experts_need_a_single_coordinator() {
    let loaded = scenario("[moe]\nexperts = 3", "[parallelism]\npipeline = 2");
    let err = simulate(&loaded, &RunOptions::default()).expect_err("pipeline with experts");
    assert!(err.to_string().contains("moe.experts"), "{err}");
    let loaded = scenario("[moe]\nexperts = 4\ntop_k = 5", "");
    let err = simulate(&loaded, &RunOptions::default()).expect_err("top_k above experts");
    assert!(err.to_string().contains("top_k = 5"), "{err}");
}
