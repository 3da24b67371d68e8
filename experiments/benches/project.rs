//! How long a projection takes, and where: the whole `project` call for the built-in design at
//! a small simulation limit (the part that grows with `--max-sim-chips` is simulation), one
//! simulated size of the default family (its largest, 640 chips), and choosing the wiring of a
//! million chips (recommend, placement check and gateway distances: the cost of a projected
//! size). Used to pick `DEFAULT_MAX_SIM_CHIPS` so `ruvsim project` stays well under a minute.
//! Run: `cargo bench -p ruvsim-experiments --bench project`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use ruvsim_experiments::project::layout::choose;
use ruvsim_experiments::project::{project, BaseDesign, ProjectRequest, TopologyChoice};
use ruvsim_sim::run::{simulate, RunOptions};
use ruvsim_sim::scenario::Fidelity;

fn request(chips: u32, max_sim_chips: u32) -> ProjectRequest {
    ProjectRequest {
        base: BaseDesign::builtin().expect("built-in design"),
        chips,
        max_sim_chips,
        topology: TopologyChoice::Auto,
        compare_at: vec![5, 100, 1000, 10_000, 100_000, 1_000_000],
        chip_price_usd: None,
        run_options: RunOptions::default(),
    }
}

fn whole_projection(c: &mut Criterion) {
    let request = request(100_000, 80);
    c.bench_function("project 100k chips, simulated up to 80", |b| {
        b.iter(|| project(black_box(&request), &mut |_| {}).expect("projection"))
    });
}

fn largest_default_size(c: &mut Criterion) {
    let base = BaseDesign::builtin().expect("built-in design");
    let replicas = 640 / base.chips_per_replica();
    let layout = choose(replicas, &base, TopologyChoice::Auto).expect("layout");
    let loaded = base.scenario_for(replicas, layout.spec).expect("scenario");
    let options = RunOptions {
        fidelity: Some(Fidelity::Timing),
        timeline_limit: Some(0),
        ..RunOptions::default()
    };
    let mut group = c.benchmark_group("simulate");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(60));
    group.bench_function("640 chips, default family's largest size", |b| {
        b.iter(|| simulate(black_box(&loaded), &options).expect("run"))
    });
    group.finish();
}

fn million_chip_layout(c: &mut Criterion) {
    let base = BaseDesign::builtin().expect("built-in design");
    let mut group = c.benchmark_group("layout");
    group.sample_size(10);
    group.bench_function("choose wiring of 1,000,000 chips", |b| {
        b.iter(|| choose(black_box(200_000), &base, TopologyChoice::Auto).expect("layout"))
    });
    group.finish();
}

criterion_group!(
    benches,
    whole_projection,
    largest_default_size,
    million_chip_layout
);
criterion_main!(benches);
