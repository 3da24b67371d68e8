//! Routing throughput on the largest regular topologies: `next_hop` and `hops` queries on a
//! 2^20-chip hypercube and a 100x100x100 torus, over a fixed pseudo-random list of pairs
//! (ChaCha, fixed seed). Also prints the size of each built topology (no per-chip memory).
//!
//! Run: `cargo bench -p ruvsim-topologies --bench routing`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use ruvsim_topologies::{Topology, TopologySpec};

/// Pairs per benchmark iteration.
const PAIRS: usize = 4096;

fn pairs(chips: u32) -> Vec<(u32, u32)> {
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    let mut pick = || ((u64::from(rng.next_u32()) * u64::from(chips)) >> 32) as u32;
    (0..PAIRS).map(|_| (pick(), pick())).collect()
}

fn bench_topology(c: &mut Criterion, name: &str, spec: TopologySpec) {
    let topology: Topology = spec.build().expect("valid spec");
    eprintln!(
        "{name}: {} chips, {} links, size_of::<Topology>() = {} bytes (no per-chip allocation)",
        topology.chips(),
        topology.link_count(),
        std::mem::size_of_val(&topology)
    );
    let pairs = pairs(topology.chips());
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(PAIRS as u64));
    group.bench_function("next_hop", |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for &(from, to) in &pairs {
                if let Ok(Some(next)) = topology.next_hop(black_box(from), black_box(to)) {
                    sum += u64::from(next);
                }
            }
            sum
        })
    });
    group.bench_function("hops", |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for &(from, to) in &pairs {
                sum += u64::from(topology.hops(black_box(from), black_box(to)).unwrap_or(0));
            }
            sum
        })
    });
    group.finish();
}

fn routing(c: &mut Criterion) {
    bench_topology(
        c,
        "hypercube_2^20",
        TopologySpec::Hypercube {
            chips: None,
            dimension: Some(20),
        },
    );
    bench_topology(
        c,
        "torus3d_100x100x100",
        TopologySpec::Torus3d {
            dims: [100, 100, 100],
        },
    );
}

criterion_group!(benches, routing);
criterion_main!(benches);
