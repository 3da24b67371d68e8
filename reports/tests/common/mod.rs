//! Small scenarios and their results for the report tests (a synthetic int8 model on ESP32-S3
//! chips joined by SPI, as in the simulator's own tests). Each test file uses a different subset.
#![allow(dead_code)]

use std::path::PathBuf;

use ruvsim_sim::result::RunResult;
use ruvsim_sim::run::{simulate, RunOptions};
use ruvsim_sim::scenario::{parse, Fidelity, LoadedScenario};

const MODEL: &str = r#"
[model]
source = "synthetic"
shape = { dim = 64, hidden_dim = 128, n_layers = 5, n_heads = 4, n_kv_heads = 4, vocab_size = 256, seq_len = 128 }
seed = 11
precision = "int8"
"#;

/// A scenario of `chips` chips in `topology`, split by `parallelism` (TOML lines), serving
/// `concurrency` closed-loop clients `requests` requests of `new_tokens` tokens each.
pub fn scenario(
    chips: u32,
    topology: &str,
    parallelism: &str,
    concurrency: u32,
    requests: u32,
    new_tokens: u32,
) -> LoadedScenario {
    let text = format!(
        "[scenario]\nname = \"test <scenario> & co\"\ndescription = \"A report test run\"\nseed = 5\n\
         {MODEL}[cluster]\nvariant = \"esp32s3\"\ntopology = {{ kind = \"{topology}\", chips = {chips} }}\n\
         link = {{ kind = \"spi\", clock_mhz = 40, lines = 1, mode = \"polling_dma\" }}\n\
         [parallelism]\n{parallelism}\n[workload]\narrivals = {{ kind = \"closed_loop\", concurrency = {concurrency} }}\n\
         requests = {requests}\nprompt = {{ tokens = [1, 17, 42, 99] }}\nnew_tokens = {new_tokens}\n"
    );
    LoadedScenario {
        scenario: parse("test.toml", &text).unwrap_or_else(|e| panic!("{e}")),
        file: "test.toml".into(),
        dir: ".".into(),
    }
}

/// Runs a scenario.
pub fn run(loaded: &LoadedScenario, fidelity: Fidelity) -> RunResult {
    simulate(
        loaded,
        &RunOptions {
            fidelity: Some(fidelity),
            ..RunOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// A 5-stage pipeline on a chain, 3 clients, 6 requests of 12 tokens, functional.
pub fn pipeline5() -> RunResult {
    run(
        &scenario(5, "chain", "pipeline = 5", 3, 6, 12),
        Fidelity::Functional,
    )
}

/// A 4-wide tensor group on a chain, one request, timing fidelity.
pub fn tensor4() -> RunResult {
    run(
        &scenario(4, "chain", "tensor = 4", 1, 1, 8),
        Fidelity::Timing,
    )
}

/// One chip alone, one request.
pub fn standalone() -> RunResult {
    run(
        &scenario(1, "chain", "pipeline = 1", 1, 2, 8),
        Fidelity::Functional,
    )
}

/// A fresh, empty folder under the test target's scratch space.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
