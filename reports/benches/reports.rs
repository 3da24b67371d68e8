//! How long each report piece takes for a run of a 5-stage pipeline (ESP32-S3, SPI chain) and
//! for a wide run of 64 replicas of it (320 chips), timing fidelity.
//!
//! `cargo bench -p ruvsim-reports`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use ruvsim_reports::{csv, html, timeline, Records};
use ruvsim_sim::result::RunResult;
use ruvsim_sim::run::{simulate, RunOptions};
use ruvsim_sim::scenario::{parse, LoadedScenario};

/// A run of `replicas` five-stage pipelines serving `replicas * 2` clients.
fn run(replicas: u32) -> RunResult {
    let chips = replicas * 5;
    let text = format!(
        r#"
[scenario]
name = "bench"
seed = 5
fidelity = "timing"
[model]
source = "synthetic"
shape = {{ dim = 64, hidden_dim = 128, n_layers = 5, n_heads = 4, n_kv_heads = 4, vocab_size = 256, seq_len = 128 }}
seed = 11
precision = "int8"
[cluster]
variant = "esp32s3"
topology = {{ kind = "chain", chips = {chips} }}
link = {{ kind = "spi", clock_mhz = 40, lines = 1, mode = "polling_dma" }}
[parallelism]
pipeline = 5
replicas = {replicas}
[workload]
arrivals = {{ kind = "closed_loop", concurrency = {clients} }}
requests = {requests}
prompt = {{ tokens = [1, 17, 42, 99] }}
new_tokens = 24
"#,
        clients = replicas * 2,
        requests = replicas * 4,
    );
    let loaded = LoadedScenario {
        scenario: parse("bench.toml", &text).expect("bench scenario parses"),
        file: "bench.toml".into(),
        dir: ".".into(),
    };
    simulate(&loaded, &RunOptions::default()).expect("bench scenario runs")
}

fn pieces(c: &mut Criterion) {
    for (name, result) in [("pipeline5", run(1)), ("replicas64", run(64))] {
        let mut group = c.benchmark_group(name);
        group.sample_size(20);
        group.bench_function("html", |b| {
            b.iter(|| html::render(black_box(&result), Records::All))
        });
        group.bench_function("csv_all", |b| {
            b.iter(|| {
                let mut out = Vec::new();
                csv::write_summary(&result, &mut out).unwrap();
                csv::write_tokens(&result, &mut out).unwrap();
                csv::write_chips(&result, &mut out).unwrap();
                csv::write_links(&result, &mut out).unwrap();
                out
            })
        });
        group.bench_function("timeline", |b| {
            b.iter(|| {
                let mut out = Vec::new();
                timeline::write_chrome_trace(black_box(&result), &mut out).unwrap();
                out
            })
        });
        group.finish();
    }
}

criterion_group!(benches, pieces);
criterion_main!(benches);
