//! [`recommend`]: the best topology that can actually be built for a chip count and link kind.
//!
//! # How candidates are ranked
//!
//! Every family is tried in its best shape for the chip count (the most square mesh or torus,
//! the most cubic 3-D torus, binary/ternary/quaternary trees, and chains of 2 to 8 chips whose
//! heads are joined by each of the other families). A candidate is **buildable** when no chip
//! needs more ports than the link kind offers and it uses a shared medium only if allowed
//! (see [`crate::ports`] for the port model). Buildable candidates are ranked, lowest first, by:
//!
//! 1. `uniform_traffic_rounds = max(diameter, ceil(chips / (2 * bisection)))`: a lower bound on
//!    the transmission rounds for every chip to send one message to a random chip. The first
//!    term is latency (the longest route); the second is capacity (about half the messages must
//!    cross the bisection, which carries `bisection` of them per round). A bus has bisection 1,
//!    so it ranks as a chain of its size would on capacity.
//! 2. mean hops (average latency);
//! 3. ports per chip (fewer is cheaper to wire and leaves ports spare);
//! 4. links (fewer cables);
//! 5. chips (with [`ChipCount::AtLeast`], fewer surplus chips);
//! 6. the order in which candidates are generated (chain, ring, star, bus, hypercube, mesh2d,
//!    torus2d, torus3d, trees, then hierarchical), so ties always resolve the same way.
//!
//! The ranking assumes a chip can drive all its ports at once; a star's hub or a shared radio
//! that cannot is a contention the simulator measures, not this estimate.

use serde::{Deserialize, Serialize};

use crate::error::{Result, TopologyError};
use crate::metrics::Metrics;
use crate::ports::PortBudget;
use crate::spec::TopologySpec;
use crate::topology::Topology;

/// How many chips the cluster must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChipCount {
    /// Exactly this many.
    Exact(u32),
    /// At least this many; a topology may use more to take a better shape.
    AtLeast(u32),
}

impl ChipCount {
    /// The number asked for.
    pub fn requested(self) -> u32 {
        match self {
            ChipCount::Exact(n) | ChipCount::AtLeast(n) => n,
        }
    }
}

/// What the hardware allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraints {
    /// The link kind wiring the chips (every level, unless `gateway_links` is given).
    pub links: PortBudget,
    /// A second link kind joining the gateways of hierarchical candidates (e.g. SPI chains whose
    /// heads talk over ESP-NOW). `None`: hierarchical candidates wire both levels with `links`,
    /// so a gateway's ports add up.
    pub gateway_links: Option<PortBudget>,
}

/// One buildable topology with its figures and the reasons for its rank.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// The description, ready to put in a scenario.
    pub spec: TopologySpec,
    /// Its metrics.
    pub metrics: Metrics,
    /// Ports the busiest chip needs (all levels together).
    pub ports_per_chip: u32,
    /// The first ranking key (see the module docs).
    pub uniform_traffic_rounds: u64,
    /// Human-readable reasons: diameter, bisection, links, ports.
    pub reasons: Vec<String>,
}

/// A candidate that cannot be built, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejection {
    /// The description.
    pub spec: TopologySpec,
    /// Why it cannot be built.
    pub reason: String,
}

/// The result of [`recommend`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    /// The best buildable topology.
    pub best: Candidate,
    /// Every buildable candidate, best first (`ranked[0] == best`).
    pub ranked: Vec<Candidate>,
    /// Candidates that cannot be built with these links.
    pub rejected: Vec<Rejection>,
}

/// Largest group of a hierarchical candidate.
const MAX_GROUP_CHIPS: u32 = 8;

/// The best buildable topology for `chips` under `constraints`, with the ranking explained in
/// the module docs. Deterministic: the same inputs give the same answer.
pub fn recommend(chips: ChipCount, constraints: &Constraints) -> Result<Recommendation> {
    let requested = chips.requested();
    if requested == 0 {
        return Err(TopologyError::Zero {
            kind: "recommend",
            what: "chips".to_string(),
        });
    }
    let mut ranked = Vec::new();
    let mut rejected = Vec::new();
    for spec in candidates(chips, true) {
        let Ok(topology) = spec.build() else {
            // Shapes are generated valid; one that overflows the id space is not a candidate.
            continue;
        };
        match buildable(&topology, constraints) {
            Ok(()) => ranked.push(candidate(spec, &topology, requested, constraints)),
            Err(e) => rejected.push(Rejection {
                spec,
                reason: e.to_string(),
            }),
        }
    }
    ranked.sort_by(|a, b| {
        a.uniform_traffic_rounds
            .cmp(&b.uniform_traffic_rounds)
            .then(a.metrics.mean_hops.total_cmp(&b.metrics.mean_hops))
            .then(a.ports_per_chip.cmp(&b.ports_per_chip))
            .then(a.metrics.links.cmp(&b.metrics.links))
            .then(a.metrics.chips.cmp(&b.metrics.chips))
    });
    let Some(best) = ranked.first().cloned() else {
        let reasons = rejected
            .iter()
            .map(|r| format!("{}: {}", r.spec.kind(), r.reason))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(TopologyError::NothingBuildable {
            chips: requested,
            reasons,
        });
    };
    Ok(Recommendation {
        best,
        ranked,
        rejected,
    })
}

/// Whether the links can build `topology`, level by level for hierarchical ones when a gateway
/// link kind is given.
fn buildable(topology: &Topology, constraints: &Constraints) -> Result<()> {
    match (topology.as_hierarchical(), constraints.gateway_links) {
        (Some(h), Some(gateway_links)) => {
            h.group().check_ports(constraints.links)?;
            h.top().check_ports(gateway_links)
        }
        _ => topology.check_ports(constraints.links),
    }
}

fn candidate(
    spec: TopologySpec,
    topology: &Topology,
    requested: u32,
    constraints: &Constraints,
) -> Candidate {
    let metrics = topology.metrics();
    let capacity_rounds = if metrics.bisection_width == 0 {
        0
    } else {
        u64::from(metrics.chips).div_ceil(2 * metrics.bisection_width)
    };
    let rounds = u64::from(metrics.diameter).max(capacity_rounds);
    let estimate = if metrics.exact { "" } else { " (estimate)" };
    let bound = if metrics.bisection_exact {
        "exact"
    } else {
        "upper bound"
    };
    let mut reasons = vec![
        format!(
            "diameter {} hops, mean {:.2} hops{estimate}",
            metrics.diameter, metrics.mean_hops
        ),
        format!("bisection width {} links ({bound})", metrics.bisection_width),
        port_reason(topology, &metrics, constraints),
        format!(
            "uniform traffic needs at least {rounds} rounds = max(diameter {}, chips / (2 x bisection) = {capacity_rounds})",
            metrics.diameter
        ),
    ];
    if metrics.chips > requested {
        reasons.push(format!(
            "uses {} chips, {} more than asked, to take this shape",
            metrics.chips,
            metrics.chips - requested
        ));
    }
    if topology.is_shared_medium() {
        reasons.push("shared medium: one transmission at a time on it".to_string());
    }
    Candidate {
        spec,
        ports_per_chip: metrics.max_degree,
        uniform_traffic_rounds: rounds,
        metrics,
        reasons,
    }
}

/// Links needed and ports used against what the link kinds offer (per level when the gateways
/// have their own link kind).
fn port_reason(topology: &Topology, metrics: &Metrics, constraints: &Constraints) -> String {
    match (topology.as_hierarchical(), constraints.gateway_links) {
        (Some(h), Some(gateway_links)) => format!(
            "{} links; group chips use up to {} of {} ports, gateways {} of {} gateway-link ports",
            metrics.links,
            h.group().max_degree(),
            constraints.links.ports_per_chip,
            h.top().max_degree(),
            gateway_links.ports_per_chip
        ),
        _ => format!(
            "{} links, {} ports on the busiest chip (link kind offers {})",
            metrics.links, metrics.max_degree, constraints.links.ports_per_chip
        ),
    }
}

/// Every family in its best shape for `chips`, in a fixed order; hierarchical combinations of
/// chains with each other family when `with_hierarchical`.
fn candidates(chips: ChipCount, with_hierarchical: bool) -> Vec<TopologySpec> {
    let n = chips.requested();
    let exact = matches!(chips, ChipCount::Exact(_));
    let mut out = vec![TopologySpec::Chain { chips: n }];
    if n >= 3 {
        out.push(TopologySpec::Ring { chips: n });
        out.push(TopologySpec::Star { chips: n });
    }
    if n >= 2 {
        out.push(TopologySpec::Bus { chips: n });
    }
    if n >= 4 {
        let cube = if exact {
            n.is_power_of_two().then_some(u64::from(n))
        } else {
            Some(u64::from(n).next_power_of_two())
        };
        if let Some(c) = cube {
            out.push(TopologySpec::Hypercube {
                chips: Some(c),
                dimension: None,
            });
        }
        if let Some([a, b]) = grid2(n, 2, exact) {
            out.push(TopologySpec::Mesh2d { dims: [a, b] });
        }
        if let Some([a, b]) = grid2(n, 3, exact) {
            out.push(TopologySpec::Torus2d { dims: [a, b] });
        }
        if let Some(dims) = torus3(n, exact) {
            out.push(TopologySpec::Torus3d { dims });
        }
        for arity in 2..=4 {
            out.push(TopologySpec::Tree { arity, chips: n });
        }
    }
    if with_hierarchical {
        for m in 2..=MAX_GROUP_CHIPS {
            let groups = if exact {
                if !n.is_multiple_of(m) {
                    continue;
                }
                ChipCount::Exact(n / m)
            } else {
                ChipCount::AtLeast(n.div_ceil(m))
            };
            if groups.requested() < 2 {
                continue;
            }
            for top in candidates(groups, false) {
                out.push(TopologySpec::Hierarchical {
                    group: Box::new(TopologySpec::Chain { chips: m }),
                    top: Box::new(top),
                    gateway: 0,
                });
            }
        }
    }
    out
}

/// The most square `[a, b]` (`a >= b >= min_side`) with `a * b == n` (exact) or the fewest chips
/// `>= n` (then most square).
fn grid2(n: u32, min_side: u32, exact: bool) -> Option<[u32; 2]> {
    let n64 = u64::from(n);
    let mut best: Option<(u64, u64, [u32; 2])> = None;
    for b in u64::from(min_side)..=n64.isqrt() + 1 {
        let a = if exact {
            if n64 % b != 0 {
                continue;
            }
            n64 / b
        } else {
            n64.div_ceil(b)
        };
        if a < b {
            continue;
        }
        let key = (a * b, a - b);
        let (Ok(a32), Ok(b32)) = (u32::try_from(a), u32::try_from(b)) else {
            continue;
        };
        if best.is_none_or(|(p, d, _)| key < (p, d)) {
            best = Some((key.0, key.1, [a32, b32]));
        }
    }
    best.map(|(_, _, dims)| dims)
}

/// The most cubic `[a, b, c]` (`a >= b >= c >= 3`) with `a * b * c == n` (exact) or the fewest
/// chips `>= n`, then the smallest diameter.
fn torus3(n: u32, exact: bool) -> Option<[u32; 3]> {
    let n64 = u64::from(n);
    let mut best: Option<((u64, u64), [u32; 3])> = None;
    let mut c = 3u64;
    while c * c * c <= n64 || (!exact && (c - 1) * (c - 1) * (c - 1) < n64) {
        if exact && n64 % c != 0 {
            c += 1;
            continue;
        }
        let rest = n64.div_ceil(c);
        for b in c..=rest.isqrt() + 1 {
            let a = if exact {
                if !rest.is_multiple_of(b) {
                    continue;
                }
                rest / b
            } else {
                rest.div_ceil(b)
            };
            if a < b {
                continue;
            }
            let key = (a * b * c, a / 2 + b / 2 + c / 2);
            let (Ok(a), Ok(b), Ok(c)) = (u32::try_from(a), u32::try_from(b), u32::try_from(c))
            else {
                continue;
            };
            if best.is_none_or(|(k, _)| key < k) {
                best = Some((key, [a, b, c]));
            }
        }
        c += 1;
    }
    best.map(|(_, dims)| dims)
}
