//! A scenario file: parsed, then planned and simulated in timing fidelity when it is small (at
//! most 64 chips, 8 requests of 16 new tokens), under a 256 MB memory limit the size guard
//! enforces before anything is allocated.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ruvsim_sim::run::{simulate, RunOptions};
use ruvsim_sim::scenario::{parse, Fidelity, LoadedScenario};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(scenario) = parse("fuzz.toml", text) else {
        return;
    };
    let small = scenario.cluster.topology.chips().is_ok_and(|c| c <= 64)
        && scenario.workload.requests <= 8
        && scenario.workload.new_tokens <= 16;
    if !small {
        return;
    }
    let loaded = LoadedScenario {
        scenario,
        file: "fuzz.toml".into(),
        dir: std::env::temp_dir(),
    };
    let options = RunOptions {
        fidelity: Some(Fidelity::Timing),
        timeline_limit: Some(0),
        memory_limit: Some(256 << 20),
        ..RunOptions::default()
    };
    let _ = simulate(&loaded, &options);
});
