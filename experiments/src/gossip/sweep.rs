//! Gossip against cluster size: one topology family at several sizes, several seeds each, and a
//! fit of rounds against log2 n to set beside the claimed O(log n).

use ruvsim_topologies::{LinkKind, Topology, TopologySpec};
use serde::{Deserialize, Serialize};

use super::{simulate_gossip, GossipConfig, GossipError, GossipMode, GossipSetup, PeerChoice};
use ruvsim_engine::time::Duration;
use ruvsim_hw::calibration::{Calibration, Variant};
use ruvsim_hw::link::{LinkConfig, LinkModel};
use ruvsim_hw::tier::Tier;

/// A topology family that scales to large clusters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Hypercube: log2 n links per chip.
    Hypercube,
    /// 3-D torus: 6 links per chip.
    Torus3d,
    /// 2-D torus: 4 links per chip.
    Torus2d,
}

/// The `family` topology of `chips` chips. Sizes are powers of two; a torus splits the exponent
/// over its sides as evenly as possible (65,536 = 64 x 32 x 32), each side at least 4.
pub fn family_topology(family: Family, chips: u32) -> Result<TopologySpec, GossipError> {
    let bits = chips.trailing_zeros();
    let dimensions: u32 = match family {
        Family::Hypercube => 1,
        Family::Torus3d => 3,
        Family::Torus2d => 2,
    };
    if !chips.is_power_of_two() || bits < 2 * dimensions {
        return Err(GossipError::Invalid(format!(
            "{} sizes are powers of two from {} (got {chips})",
            family.name(),
            1u64 << (2 * dimensions)
        )));
    }
    let side = |i: u32| 1u32 << (bits / dimensions + u32::from(i < bits % dimensions));
    Ok(match family {
        Family::Hypercube => TopologySpec::Hypercube {
            chips: Some(u64::from(chips)),
            dimension: None,
        },
        Family::Torus3d => TopologySpec::Torus3d {
            dims: [side(0), side(1), side(2)],
        },
        Family::Torus2d => TopologySpec::Torus2d {
            dims: [side(0), side(1)],
        },
    })
}

/// A link from its scenario spelling, as an inline table: `{ kind = "spi", clock_mhz = 40,
/// lines = 2, mode = "polling_dma" }` (see `docs/scenario-format.md`).
pub fn parse_link(text: &str) -> Result<LinkConfig, GossipError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Wrapper {
        link: LinkConfig,
    }
    ruvsim_sim::toml_error::from_toml_str::<Wrapper>("--link", &format!("link = {text}"))
        .map(|w| w.link)
        .map_err(|e| GossipError::Invalid(e.to_string()))
}

/// What a sweep point shares with the others.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepSpec {
    /// Chip variant (for link limits and port counts).
    pub variant: Variant,
    /// Link settings.
    pub link: LinkConfig,
    /// Protocol settings.
    pub config: GossipConfig,
    /// One run per seed.
    pub seeds: Vec<u64>,
    /// The failed chip.
    pub failed: u32,
}

/// Whether the chips have the ports the topology needs on this link kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortCheck {
    /// Links the busiest chip needs.
    pub needed: u32,
    /// Ports of the link kind per chip.
    pub available: u32,
    /// Whether the wiring can be built.
    pub buildable: bool,
}

/// One seed's run at a sweep point.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepRun {
    /// The seed.
    pub seed: u64,
    /// Whether every live chip learned of the failure.
    pub converged: bool,
    /// Rounds until then (or rounds run).
    pub rounds: u32,
    /// Time until then.
    pub time: Option<Duration>,
    /// Messages sent.
    pub messages: u64,
    /// Link transfers.
    pub transfers: u64,
    /// Messages lost.
    pub lost: u64,
    /// Engine events.
    pub events: u64,
    /// Live chips informed by the end of each round.
    pub spread: Vec<u32>,
}

/// One family and size over every seed (tier: simulated).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// `simulated`.
    pub tier: Tier,
    /// Topology family.
    pub family: Family,
    /// Peer choice.
    pub peers: PeerChoice,
    /// Push or push-pull.
    pub mode: GossipMode,
    /// Chips.
    pub chips: u32,
    /// log2 of the chips.
    pub log2_chips: f64,
    /// Longest route in hops: neighbour gossip cannot converge in fewer rounds.
    pub diameter: u32,
    /// Mean route length in hops: what one random-peer message costs in transfers.
    pub mean_hops: f64,
    /// Ports.
    pub ports: PortCheck,
    /// Every seed's run.
    pub runs: Vec<SweepRun>,
    /// Mean rounds over the converged runs.
    pub rounds_mean: Option<f64>,
    /// Fewest rounds.
    pub rounds_min: Option<u32>,
    /// Most rounds.
    pub rounds_max: Option<u32>,
    /// Mean time to convergence.
    pub time_mean: Option<Duration>,
}

/// Runs `family` at `chips` chips once per seed.
pub fn sweep_point(
    family: Family,
    chips: u32,
    spec: &SweepSpec,
) -> Result<SweepPoint, GossipError> {
    let topology: Topology = family_topology(family, chips)?.build()?;
    let calibration = Calibration::builtin(spec.variant);
    let link = LinkModel::new(&spec.link, &calibration, &calibration)?;
    let kind = spec.link.kind();
    let budget = spec.variant.port_budget(kind);
    let shared_medium = topology.is_shared_medium() || kind == LinkKind::EspNow;
    let metrics = topology.metrics();
    let mut runs = Vec::with_capacity(spec.seeds.len());
    for &seed in &spec.seeds {
        let run = simulate_gossip(&GossipSetup {
            topology: &topology,
            link,
            shared_medium,
            config: spec.config,
            failed: spec.failed,
            dead: &[],
            seed,
        })?;
        runs.push(SweepRun {
            seed,
            converged: run.converged,
            rounds: run.rounds,
            time: run.time,
            messages: run.messages,
            transfers: run.transfers,
            lost: run.lost,
            events: run.events,
            spread: run.spread,
        });
    }
    let converged: Vec<&SweepRun> = runs.iter().filter(|r| r.converged).collect();
    let count = converged.len();
    let rounds_mean = (count > 0)
        .then(|| converged.iter().map(|r| f64::from(r.rounds)).sum::<f64>() / count as f64);
    let time_mean = (count > 0).then(|| {
        let total: u128 = converged
            .iter()
            .filter_map(|r| r.time)
            .map(|t| u128::from(t.as_ps()))
            .sum();
        Duration::from_ps((total / count as u128) as u64)
    });
    Ok(SweepPoint {
        tier: Tier::Simulated,
        family,
        peers: spec.config.peers,
        mode: spec.config.mode,
        chips,
        log2_chips: f64::from(chips).log2(),
        diameter: metrics.diameter,
        mean_hops: metrics.mean_hops,
        ports: PortCheck {
            needed: topology.max_degree(),
            available: budget.ports_per_chip,
            buildable: topology.check_ports(budget).is_ok(),
        },
        rounds_min: converged.iter().map(|r| r.rounds).min(),
        rounds_max: converged.iter().map(|r| r.rounds).max(),
        runs,
        rounds_mean,
        time_mean,
    })
}

/// Rounds against log2 n, least squares (tier: projected: a closed-form model of simulated
/// points, with its error on them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogFit {
    /// `projected`.
    pub tier: Tier,
    /// Points fitted.
    pub points: usize,
    /// `c` in `rounds = c x log2 n` (the claimed O(log n) shape, through the origin).
    pub c: f64,
    /// Largest relative error of `c x log2 n` on the points.
    pub c_max_relative_error: f64,
    /// `a` in `rounds = a + b x log2 n`.
    pub a: f64,
    /// `b` in `rounds = a + b x log2 n`.
    pub b: f64,
    /// Largest relative error of `a + b x log2 n` on the points.
    pub ab_max_relative_error: f64,
}

/// Fits `(log2 n, rounds)` points; `None` with fewer than two points or a single size.
pub fn fit_log2(points: &[(f64, f64)]) -> Option<LogFit> {
    let n = points.len() as f64;
    let sx: f64 = points.iter().map(|p| p.0).sum();
    let sy: f64 = points.iter().map(|p| p.1).sum();
    let sxx: f64 = points.iter().map(|p| p.0 * p.0).sum();
    let sxy: f64 = points.iter().map(|p| p.0 * p.1).sum();
    let spread = n * sxx - sx * sx;
    if points.len() < 2 || spread <= 0.0 || sxx <= 0.0 {
        return None;
    }
    let c = sxy / sxx;
    let b = (n * sxy - sx * sy) / spread;
    let a = (sy - b * sx) / n;
    let worst = |model: &dyn Fn(f64) -> f64| {
        points
            .iter()
            .map(|&(x, y)| ((model(x) - y) / y).abs())
            .fold(0.0, f64::max)
    };
    Some(LogFit {
        tier: Tier::Projected,
        points: points.len(),
        c,
        c_max_relative_error: worst(&|x| c * x),
        a,
        b,
        ab_max_relative_error: worst(&|x| a + b * x),
    })
}
