//! Gossip membership at 65,536 chips: one whole simulated run (push-pull, fanout 1, SPI links)
//! per iteration, for a hypercube and a 3-D torus, each with neighbour peers and with random
//! routed peers. Throughput is engine events per second (each run's event count is fixed
//! by its seed).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ruvsim_experiments::gossip::{
    parse_link, sweep_point, Family, GossipConfig, PeerChoice, SweepSpec,
};
use ruvsim_hw::calibration::Variant;

const CHIPS: u32 = 65_536;

fn spec(peers: PeerChoice) -> SweepSpec {
    SweepSpec {
        variant: Variant::Esp32S3,
        link: parse_link(r#"{ kind = "spi", clock_mhz = 40, lines = 2, mode = "polling_dma" }"#)
            .expect("benchmark link parses"),
        config: GossipConfig {
            peers,
            ..GossipConfig::default()
        },
        seeds: vec![1],
        failed: 0,
    }
}

fn gossip_65536(c: &mut Criterion) {
    let mut group = c.benchmark_group("gossip_65536");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    for (name, family, peers) in [
        (
            "hypercube_neighbours",
            Family::Hypercube,
            PeerChoice::Neighbours,
        ),
        (
            "torus3d_neighbours",
            Family::Torus3d,
            PeerChoice::Neighbours,
        ),
        ("hypercube_random", Family::Hypercube, PeerChoice::Random),
        ("torus3d_random", Family::Torus3d, PeerChoice::Random),
    ] {
        let spec = spec(peers);
        let events = sweep_point(family, CHIPS, &spec).expect("gossip runs").runs[0].events;
        group.throughput(Throughput::Elements(events));
        group.bench_function(name, |b| {
            b.iter(|| sweep_point(black_box(family), CHIPS, &spec).expect("gossip runs"))
        });
    }
    group.finish();
}

criterion_group!(benches, gossip_65536);
criterion_main!(benches);
