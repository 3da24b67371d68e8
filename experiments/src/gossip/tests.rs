use super::*;
use ruvsim_hw::calibration::{Calibration, Variant};
use ruvsim_hw::link::LinkConfig;
use ruvsim_topologies::TopologySpec;

fn spi() -> LinkModel {
    let config: LinkConfig =
        toml::from_str("kind = \"spi\"\nclock_mhz = 40\nlines = 2\nmode = \"polling_dma\"")
            .unwrap();
    let s3 = Calibration::builtin(Variant::Esp32S3);
    LinkModel::new(&config, &s3, &s3).unwrap()
}

fn run(topology: &Topology, config: GossipConfig, dead: &[u32], seed: u64) -> GossipRun {
    simulate_gossip(&GossipSetup {
        topology,
        link: spi(),
        shared_medium: false,
        config,
        failed: 0,
        dead,
        seed,
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

fn hypercube(dimension: u32) -> Topology {
    TopologySpec::Hypercube {
        chips: None,
        dimension: Some(dimension),
    }
    .build()
    .unwrap()
}

#[test]
fn reaches_every_live_chip_and_never_counts_a_dead_one() {
    let topology = hypercube(6);
    let dead = [5, 17, 40, 63];
    for peers in [PeerChoice::Neighbours, PeerChoice::Random] {
        for mode in [GossipMode::Push, GossipMode::PushPull] {
            let config = GossipConfig {
                peers,
                mode,
                ..GossipConfig::default()
            };
            let result = run(&topology, config, &dead, 1);
            assert_eq!(result.live, 64 - 5, "{peers:?} {mode:?}");
            assert!(result.converged, "{peers:?} {mode:?}");
            assert_eq!(result.informed, result.live);
            assert_eq!(result.spread.last(), Some(&result.live));
            assert_eq!(result.spread[0], 1, "the detector alone knows at first");
            assert_eq!(result.detector, 1, "lowest live neighbour of chip 0");
            assert!(result.spread.windows(2).all(|w| w[0] <= w[1]));
            assert!(result.lost > 0 || mode == GossipMode::Push || peers == PeerChoice::Neighbours);
        }
    }
}

#[test]
fn same_seed_same_rounds() {
    let topology = hypercube(8);
    let config = GossipConfig {
        peers: PeerChoice::Random,
        ..GossipConfig::default()
    };
    let a = run(&topology, config, &[], 7);
    assert_eq!(a, run(&topology, config, &[], 7));
    let others: Vec<GossipRun> = (8..12)
        .map(|seed| run(&topology, config, &[], seed))
        .collect();
    assert!(others
        .iter()
        .any(|b| b.messages != a.messages || b.time != a.time));
}

#[test]
fn neighbour_gossip_cannot_beat_the_distance() {
    // 6 x 6 x 6 torus: the farthest chip from the detector is 9 hops away, so push gossip to
    // neighbours needs at least 9 rounds (one hop per round at most).
    let topology = TopologySpec::Torus3d { dims: [6, 6, 6] }.build().unwrap();
    let config = GossipConfig {
        mode: GossipMode::Push,
        ..GossipConfig::default()
    };
    let result = run(&topology, config, &[], 3);
    let farthest = (0..216)
        .filter(|&c| c != 0)
        .map(|c| topology.hops(result.detector, c).unwrap())
        .max()
        .unwrap();
    assert_eq!(farthest, 9);
    assert!(result.converged);
    assert!(result.rounds >= farthest, "{} rounds", result.rounds);
    // A round's messages take microseconds on SPI, so the time is within the last round.
    let time = result.time.unwrap();
    let period = DEFAULT_PERIOD.as_ps();
    assert_eq!(time.as_ps() / period + 1, u64::from(result.rounds));
}

#[test]
fn an_isolated_chip_stops_the_run_at_max_rounds() {
    // Chip 63 of a 6-cube: all six neighbours dead, it can never hear.
    let topology = hypercube(6);
    let dead = [62, 61, 59, 55, 47, 31];
    let config = GossipConfig {
        max_rounds: 40,
        ..GossipConfig::default()
    };
    let result = run(&topology, config, &dead, 1);
    assert!(!result.converged);
    assert_eq!(result.rounds, 40);
    assert_eq!(result.informed, result.live - 1);
    assert_eq!(result.time, None);
}

#[test]
fn lossy_radio_counts_its_losses() {
    let topology = hypercube(5);
    let config: LinkConfig =
        toml::from_str("kind = \"espnow\"\nloss = 0.3\nmax_attempts = 1").unwrap();
    let s3 = Calibration::builtin(Variant::Esp32S3);
    let setup = GossipSetup {
        topology: &topology,
        link: LinkModel::new(&config, &s3, &s3).unwrap(),
        shared_medium: true,
        config: GossipConfig {
            period: Duration::from_secs(1),
            ..GossipConfig::default()
        },
        failed: 0,
        dead: &[],
        seed: 2,
    };
    let result = simulate_gossip(&setup).unwrap();
    assert!(result.converged);
    assert!(result.lost > 0);
    assert_eq!(result, simulate_gossip(&setup).unwrap());
}

#[test]
fn bad_settings_are_errors() {
    let topology = hypercube(3);
    let setup = |config, failed, dead: &'static [u32]| GossipSetup {
        topology: &topology,
        link: spi(),
        shared_medium: false,
        config,
        failed,
        dead,
        seed: 0,
    };
    let zero_fanout = GossipConfig {
        fanout: 0,
        ..GossipConfig::default()
    };
    assert!(simulate_gossip(&setup(zero_fanout, 0, &[])).is_err());
    assert!(simulate_gossip(&setup(GossipConfig::default(), 8, &[])).is_err());
    assert!(simulate_gossip(&setup(GossipConfig::default(), 0, &[1, 2, 4])).is_err());
}

#[test]
fn family_sizes_split_evenly() {
    assert_eq!(
        family_topology(Family::Torus3d, 65_536).unwrap(),
        TopologySpec::Torus3d { dims: [64, 32, 32] }
    );
    assert_eq!(
        family_topology(Family::Torus3d, 256).unwrap(),
        TopologySpec::Torus3d { dims: [8, 8, 4] }
    );
    assert_eq!(
        family_topology(Family::Torus2d, 2048).unwrap(),
        TopologySpec::Torus2d { dims: [64, 32] }
    );
    assert!(family_topology(Family::Hypercube, 1000).is_err());
    assert!(family_topology(Family::Torus3d, 32).is_err());
}

#[test]
fn log_fit_recovers_a_known_line() {
    let exact: Vec<(f64, f64)> = [8.0, 10.0, 12.0].iter().map(|&x| (x, 2.0 * x)).collect();
    let fit = fit_log2(&exact).unwrap();
    assert!((fit.c - 2.0).abs() < 1e-12 && (fit.b - 2.0).abs() < 1e-12 && fit.a.abs() < 1e-9);
    assert!(fit.c_max_relative_error < 1e-12);
    let affine = fit_log2(&[(8.0, 13.0), (10.0, 15.0), (12.0, 17.0)]).unwrap();
    assert!((affine.a - 5.0).abs() < 1e-9 && (affine.b - 1.0).abs() < 1e-12);
    assert!(affine.c_max_relative_error > 0.01);
    assert!(fit_log2(&[(8.0, 1.0)]).is_none());
}

#[test]
fn sweep_point_summarises_its_seeds() {
    let spec = SweepSpec {
        variant: Variant::Esp32S3,
        link: toml::from_str("kind = \"spi\"\nclock_mhz = 40\nlines = 2\nmode = \"polling_dma\"")
            .unwrap(),
        config: GossipConfig::default(),
        seeds: vec![1, 2, 3],
        failed: 0,
    };
    let point = sweep_point(Family::Hypercube, 256, &spec).unwrap();
    assert_eq!(point.runs.len(), 3);
    assert_eq!(point.diameter, 8);
    assert_eq!(point.ports.needed, 8);
    assert!(!point.ports.buildable, "an ESP32-S3 has no 8 SPI ports");
    let (min, max) = (point.rounds_min.unwrap(), point.rounds_max.unwrap());
    let mean = point.rounds_mean.unwrap();
    assert!(f64::from(min) <= mean && mean <= f64::from(max));
}

#[test]
fn links_parse_from_their_scenario_spelling() {
    let link = parse_link(r#"{ kind = "uart", baud = 2000000 }"#).unwrap();
    assert!(matches!(link, LinkConfig::Uart(ref uart) if uart.baud == 2_000_000));
    let error = parse_link(r#"{ kind = "uart", bud = 2000000 }"#).unwrap_err();
    assert!(error.to_string().contains("baud"), "{error}");
}
