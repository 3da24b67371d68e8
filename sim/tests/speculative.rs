//! Speculative decoding: the tokens are plain greedy decoding's, acceptance is measured from the
//! real draft and target, and the timing follows the acceptance.

use ruvsim_core::ModelShape;
use ruvsim_sim::result::RunResult;
use ruvsim_sim::run::{simulate, RunOptions};
use ruvsim_sim::scenario::{parse, Fidelity, LoadedScenario};

fn scenario(model: &str, speculative: &str, chips: u32, pipeline: u32) -> LoadedScenario {
    let text = format!(
        r#"
[scenario]
name = "speculative"
seed = 1

{model}

[cluster]
variant = "esp32s3"
topology = {{ kind = "chain", chips = {chips} }}
link = {{ kind = "spi", clock_mhz = 40, lines = 1, mode = "polling_dma" }}
memory = {{ psram_bytes = 8388608 }}

[parallelism]
pipeline = {pipeline}

[workload]
arrivals = {{ kind = "closed_loop", concurrency = 1 }}
requests = 2
prompt = {{ tokens = [1, 200, 31, 7] }}
new_tokens = 24

{speculative}
"#
    );
    LoadedScenario {
        scenario: parse("speculative.toml", &text).unwrap_or_else(|e| panic!("{e}")),
        file: "speculative.toml".into(),
        dir: ".".into(),
    }
}

const SYNTHETIC: &str = r#"[model]
source = "synthetic"
shape = { dim = 64, hidden_dim = 128, n_layers = 4, n_heads = 4, n_kv_heads = 2, vocab_size = 256, seq_len = 128, shared_classifier = false }
seed = 3
precision = "int8""#;

fn run(loaded: &LoadedScenario, fidelity: Fidelity) -> RunResult {
    simulate(
        loaded,
        &RunOptions {
            fidelity: Some(fidelity),
            ..RunOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn tokens(result: &RunResult) -> Vec<Vec<u32>> {
    result.requests.iter().map(|r| r.tokens.clone()).collect()
}

#[test]
fn greedy_speculation_gives_plain_greedy_tokens() {
    let plain = run(&scenario(SYNTHETIC, "", 4, 4), Fidelity::Functional);
    let draft = "[speculative]\nk = 3\ndraft = { layers = 2, precision = \"int4\" }";
    let speculative = run(&scenario(SYNTHETIC, draft, 5, 4), Fidelity::Functional);
    assert_eq!(tokens(&plain), tokens(&speculative));
    assert!(tokens(&plain).iter().all(|t| t.len() == 24));
    let stats = speculative.speculation.expect("speculation ran");
    assert!(stats.measured);
    // Rounds propose k = 3 tokens, fewer at the end of a request (never more than it needs).
    assert!(stats.rounds > 0 && stats.proposed <= 3 * stats.rounds);
    assert!(stats.proposed > 2 * stats.rounds, "{stats:?}");
    assert_eq!(speculative.summary.tokens_generated, 48);
}

#[test]
fn a_draft_identical_to_the_target_is_always_accepted() {
    let result = run(
        &scenario(SYNTHETIC, "[speculative]\nk = 4", 5, 4),
        Fidelity::Functional,
    );
    let stats = result.speculation.unwrap();
    assert_eq!(stats.accepted, stats.proposed, "{stats:?}");
    assert_eq!(stats.acceptance_rate(), 1.0);
}

#[test]
fn timing_follows_the_assumed_acceptance() {
    let at = |p: f64| {
        let spec = format!("[speculative]\nk = 4\nacceptance = {p}");
        run(&scenario(SYNTHETIC, &spec, 5, 4), Fidelity::Timing)
    };
    let (none, all) = (at(0.0), at(1.0));
    let (s0, s1) = (none.speculation.unwrap(), all.speculation.unwrap());
    assert!(!s0.measured && !s1.measured);
    assert_eq!(s0.accepted, 0);
    assert_eq!(
        s0.tokens_per_round(),
        1.0,
        "nothing accepted: one token per pass"
    );
    assert_eq!(s1.accepted, s1.proposed);
    assert!(s1.tokens_per_round() > 4.0, "{s1:?}");
    assert!(all.summary.throughput_tok_s > 2.0 * none.summary.throughput_tok_s);
    assert_eq!(none.summary.tokens_generated, all.summary.tokens_generated);
}

#[test]
fn timing_speculation_needs_an_assumed_acceptance() {
    let loaded = scenario(SYNTHETIC, "[speculative]\nk = 2", 5, 4);
    let err = simulate(
        &loaded,
        &RunOptions {
            fidelity: Some(Fidelity::Timing),
            ..RunOptions::default()
        },
    )
    .expect_err("acceptance cannot be measured in timing fidelity");
    assert!(err.to_string().contains("speculative.acceptance"), "{err}");
}

#[test]
fn real_model_speculation_matches_plain_greedy() {
    let dir = match ruvsim_core::model_dir::locate() {
        Ok(Some(dir)) => dir,
        Ok(None) => return,
        Err(reason) => panic!("{reason}"),
    };
    let model = r#"[model]
source = "llama2c"
path = "stories260K.bin"
tokenizer = "tok512.bin"
precision = "int8""#;
    let options = RunOptions {
        model_dir: Some(dir),
        ..RunOptions::default()
    };
    let plain = simulate(&scenario(model, "", 4, 4), &options).unwrap();
    let draft = "[speculative]\nk = 4\ndraft = { precision = \"int4\" }";
    let speculative = simulate(&scenario(model, draft, 5, 4), &options).unwrap();
    assert_eq!(tokens(&plain), tokens(&speculative));
    let stats = speculative.speculation.unwrap();
    println!(
        "stories260K int8 target, int4 draft, k = 4: acceptance {:.1}%, {:.2} tokens per pass, \
         {:.1} vs {:.1} tok/s",
        100.0 * stats.acceptance_rate(),
        stats.tokens_per_round(),
        speculative.summary.throughput_tok_s,
        plain.summary.throughput_tok_s
    );
    assert!(
        stats.accepted > 0,
        "an int4 copy of the weights agrees with int8 often"
    );
}

#[test]
fn a_draft_that_always_disagrees_is_never_accepted_and_costs_time() {
    // The draft is the target with its classifier negated: its choice is the target's least
    // likely token, so no proposal can ever be accepted.
    let config = ruvsim_core::ModelConfig {
        shape: ModelShape {
            dim: 64,
            hidden_dim: 128,
            n_layers: 4,
            n_heads: 4,
            n_kv_heads: 2,
            vocab_size: 256,
            seq_len: 128,
            shared_classifier: false,
        },
        precision: ruvsim_core::Precision::Int8,
        attention: ruvsim_core::AttentionPattern::Full,
    };
    let mut weights = ruvsim_core::synthetic_weights(&config, 3).unwrap();
    if let Some(classifier) = weights.wcls.as_mut() {
        classifier.iter_mut().for_each(|w| *w = -*w);
    }
    let dir = std::env::temp_dir().join(format!("ruvsim-contrary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("contrary.ruvm"),
        ruvsim_core::encode_model(&config, &weights).unwrap(),
    )
    .unwrap();
    let mut contrary = scenario(
        SYNTHETIC,
        "[speculative]\nk = 3\ndraft = { path = \"contrary.ruvm\" }",
        5,
        4,
    );
    contrary.dir = dir;
    let result = run(&contrary, Fidelity::Functional);
    let stats = result.speculation.unwrap();
    assert_eq!(stats.accepted, 0, "{stats:?}");
    assert_eq!(stats.tokens_per_round(), 1.0);
    let plain = run(&scenario(SYNTHETIC, "", 4, 4), Fidelity::Functional);
    assert_eq!(
        tokens(&plain),
        tokens(&result),
        "the target's tokens all the same"
    );
    assert!(
        result.summary.throughput_tok_s < plain.summary.throughput_tok_s,
        "every rejected round costs a draft pass and a wider verification"
    );
}
