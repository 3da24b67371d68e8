//! Whole-scenario simulation speed in timing fidelity: a 5-chip SPI pipeline and 1,024 chips as
//! 256 replicas of a 4-stage pipeline on a binary tree of UART links (3 UARTs per chip). Throughput is reported in engine events per
//! second (each run's event count is fixed, so criterion's elements/s is events/s).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ruvsim_sim::run::{simulate, RunOptions};
use ruvsim_sim::scenario::{parse, LoadedScenario};

const MODEL: &str = r#"
[model]
source = "synthetic"
shape = "stories260k"
precision = "int8"
"#;

fn scenario(name: &str, cluster: &str, parallelism: &str, workload: &str) -> LoadedScenario {
    let text = format!(
        "[scenario]\nname = \"{name}\"\nfidelity = \"timing\"\n{MODEL}{cluster}{parallelism}{workload}"
    );
    LoadedScenario {
        scenario: parse(name, &text).expect("benchmark scenario parses"),
        file: name.into(),
        dir: ".".into(),
    }
}

fn pipeline5() -> LoadedScenario {
    scenario(
        "pipeline5",
        "[cluster]\nvariant = \"esp32s3\"\ntopology = { kind = \"chain\", chips = 5 }\n\
         link = { kind = \"spi\", clock_mhz = 40, lines = 1, mode = \"polling_dma\" }\n",
        "[parallelism]\npipeline = 5\n",
        "[workload]\narrivals = { kind = \"closed_loop\", concurrency = 5 }\nrequests = 20\n\
         prompt = { length = 16 }\nnew_tokens = 64\n",
    )
}

fn replicas1024() -> LoadedScenario {
    scenario(
        "replicas1024",
        "[cluster]\nvariant = \"esp32s3\"\ntopology = { kind = \"tree\", arity = 2, chips = 1024 }\n\
         link = { kind = \"uart\", baud = 5000000 }\ngateway = 0\n",
        "[parallelism]\npipeline = 4\nreplicas = 256\n",
        "[workload]\narrivals = { kind = \"closed_loop\", concurrency = 1024 }\nrequests = 1024\n\
         prompt = { length = 8 }\nnew_tokens = 16\n",
    )
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("scenario");
    group.sample_size(10);
    for (name, loaded) in [("pipeline5", pipeline5()), ("replicas1024", replicas1024())] {
        let events = simulate(&loaded, &RunOptions::default())
            .expect("benchmark scenario runs")
            .summary
            .events;
        group.throughput(Throughput::Elements(events));
        group.bench_function(name, |b| {
            b.iter(|| black_box(simulate(&loaded, &RunOptions::default()).expect("runs")))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
