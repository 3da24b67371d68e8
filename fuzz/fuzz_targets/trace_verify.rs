//! A trace file verified against the simulation of a fixed five-chip pipeline.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use ruvsim_sim::result::RunResult;
use ruvsim_sim::run::{simulate, RunOptions};
use ruvsim_sim::scenario::{parse, LoadedScenario};

const SCENARIO: &str = include_str!("../../scenarios/pipeline5.toml");

fn result() -> &'static RunResult {
    static RESULT: OnceLock<RunResult> = OnceLock::new();
    RESULT.get_or_init(|| {
        let loaded = LoadedScenario {
            scenario: parse("pipeline5.toml", SCENARIO).expect("the library scenario parses"),
            file: "pipeline5.toml".into(),
            dir: ".".into(),
        };
        simulate(&loaded, &RunOptions::default()).expect("the library scenario runs")
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(trace) = ruvsim_traces::parse_trace(text, "fuzz") {
            let _ = ruvsim_traces::verify::verify(&trace, result(), 10.0);
        }
    }
});
