//! Trace throughput: parsing a merged synthetic trace (lines per second) and fitting the
//! calibration to it (NNLS over its phase equations).
//!
//! The trace is the simulator's own run of `traces/synthetic/single-int8.toml` with 8 requests of
//! 64 tokens, written as a synthetic trace (about 5,200 lines).
//! Run: `cargo bench -p ruvsim-traces --bench traces`.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ruvsim_core::trace::ClockSource;
use ruvsim_sim::run::{simulate, RunOptions};
use ruvsim_sim::scenario::load;
use ruvsim_traces::calibrate::fit;
use ruvsim_traces::matching::scenario_checksums;
use ruvsim_traces::parse_trace;
use ruvsim_traces::write::write_synthetic;

fn synthetic_trace() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("synthetic/single-int8.toml");
    let mut loaded = load(&path).expect("reference scenario");
    loaded.scenario.workload.requests = 8;
    loaded.scenario.workload.new_tokens = 64;
    let options = RunOptions {
        timeline_limit: Some(usize::MAX),
        ..RunOptions::default()
    };
    let result = simulate(&loaded, &options).expect("simulates");
    let checksum = scenario_checksums(&loaded, None).expect("checksum")[0];
    write_synthetic(&result, &loaded, checksum, ClockSource::Ccount).expect("writes")
}

fn traces(c: &mut Criterion) {
    let text = synthetic_trace();
    let lines = text.lines().count() as u64;
    let mut group = c.benchmark_group("traces");
    group.throughput(Throughput::Elements(lines));
    group.bench_function("parse", |b| {
        b.iter(|| parse_trace(black_box(&text), "bench").expect("parses"))
    });
    let trace = parse_trace(&text, "bench").expect("parses");
    let traces = [trace];
    group.bench_function("fit", |b| {
        b.iter(|| fit(black_box(&traces), None).expect("fits"))
    });
    group.finish();
}

criterion_group!(benches, traces);
criterion_main!(benches);
