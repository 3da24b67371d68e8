//! The wiring of each size: which topology, how the replicas' pipelines sit on it, and the
//! figures of the wiring that the scaling fit uses (the gateway's ports and its distance to the
//! replicas).
//!
//! Chip ids follow the plan: `replica * chips_per_replica + stage * tensor + rank`, so a
//! replica's chips are consecutive ids. `auto` takes the link kind's port budget for the variant
//! and asks [`recommend`] for every buildable wiring of exactly the size's chips (hierarchical
//! candidates included: chains whose heads are joined by another family, which with groups of
//! `chips_per_replica` chips are exactly the replicas' pipelines). Among those it takes the
//! best-ranked one on which a stage transfer is 1 hop (and a tensor gather as short as any),
//! falling back to the best-ranked one when none is, and says how many hops a stage transfer
//! takes. A forced family considers only that family, flat or as the top of hierarchical
//! groups of one replica each.

use std::str::FromStr;

use ruvsim_topologies::{recommend, ChipCount, Constraints, Topology, TopologySpec};

use crate::project::backbone::{self, BackboneKind};
use crate::project::base::{BaseDesign, GATEWAY_CHIP};
use crate::project::error::ProjectError;
use crate::project::wiring::{describe, Layout};

/// Families `--topology` may force.
pub const FAMILIES: [&str; 10] = [
    "chain",
    "ring",
    "star",
    "bus",
    "mesh2d",
    "torus2d",
    "torus3d",
    "hypercube",
    "tree",
    "hierarchical",
];

/// How each size's topology is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopologyChoice {
    /// The best design: [`choose`] takes the best buildable wiring of chips with one host at
    /// chip 0 (see the module docs); a projection also tries every backbone and keeps the
    /// design with the highest throughput.
    Auto,
    /// One family of [`FAMILIES`], sized for each size's chips.
    Family(&'static str),
    /// Every replica on a board of its own, the boards on this backbone.
    Backbone(BackboneKind),
}

impl TopologyChoice {
    /// `auto` or the family name.
    pub fn label(self) -> &'static str {
        match self {
            TopologyChoice::Auto => "auto",
            TopologyChoice::Family(kind) => kind,
            TopologyChoice::Backbone(kind) => kind.name(),
        }
    }
}

impl FromStr for TopologyChoice {
    type Err = ProjectError;

    fn from_str(text: &str) -> Result<Self, ProjectError> {
        if text == "auto" {
            return Ok(TopologyChoice::Auto);
        }
        if let Some(kind) = BackboneKind::ALL.iter().find(|k| k.name() == text) {
            return Ok(TopologyChoice::Backbone(*kind));
        }
        FAMILIES
            .iter()
            .find(|&&kind| kind == text)
            .map(|&kind| TopologyChoice::Family(kind))
            .ok_or_else(|| ProjectError::UnknownTopology {
                given: text.to_string(),
                valid: FAMILIES
                    .iter()
                    .copied()
                    .chain(BackboneKind::ALL.map(BackboneKind::name))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// The layout of `replicas` copies of `base` under `choice`.
pub fn choose(
    replicas: u32,
    base: &BaseDesign,
    choice: TopologyChoice,
) -> Result<Layout, ProjectError> {
    if let TopologyChoice::Backbone(kind) = choice {
        return backbone::layout(replicas, base, &kind.config(base.variant()));
    }
    match candidates(replicas, base, choice) {
        Ok(specs) => pick(specs, replicas, base),
        Err(ProjectError::TopologyUnavailable {
            kind,
            chips,
            replicas,
            chips_per_replica,
            link,
            reason,
            ..
        }) => Err(ProjectError::TopologyUnavailable {
            works: sizes_that_work(kind, base, replicas),
            kind,
            chips,
            replicas,
            chips_per_replica,
            link,
            reason,
        }),
        Err(e) => Err(e),
    }
}

/// The buildable wirings of `replicas` copies under `choice`, best first; for a family that has
/// none, [`ProjectError::TopologyUnavailable`] with the reasons (and `works` left empty).
fn candidates(
    replicas: u32,
    base: &BaseDesign,
    choice: TopologyChoice,
) -> Result<Vec<TopologySpec>, ProjectError> {
    let chips = chips_of(replicas, base)?;
    let constraints = Constraints {
        links: base.port_budget(),
        gateway_links: None,
    };
    let link = base.link_name().to_string();
    let recommendation = recommend(ChipCount::Exact(chips), &constraints);
    let TopologyChoice::Family(kind) = choice else {
        return match recommendation {
            Ok(r) => Ok(r.ranked.into_iter().map(|c| c.spec).collect()),
            Err(e) => Err(ProjectError::NoTopology {
                chips,
                link,
                reason: e.to_string(),
            }),
        };
    };
    let cpr = base.chips_per_replica();
    let (ranked, reasons) = match recommendation {
        Ok(r) => (
            r.ranked
                .into_iter()
                .map(|c| c.spec)
                .filter(|s| in_family(s, kind, cpr))
                .collect::<Vec<_>>(),
            r.rejected
                .iter()
                .filter(|x| in_family(&x.spec, kind, cpr))
                .map(|x| format!("{}: {}", describe(&x.spec), x.reason))
                .collect::<Vec<_>>(),
        ),
        Err(e) => (Vec::new(), vec![e.to_string()]),
    };
    if !ranked.is_empty() {
        return Ok(ranked);
    }
    Err(ProjectError::TopologyUnavailable {
        kind,
        chips,
        replicas,
        chips_per_replica: cpr,
        link,
        reason: if reasons.is_empty() {
            format!("no {kind} shape has exactly {chips} chips")
        } else {
            reasons.join("; ")
        },
        works: String::new(),
    })
}

/// `replicas x chips_per_replica`, checked.
fn chips_of(replicas: u32, base: &BaseDesign) -> Result<u32, ProjectError> {
    let chips = u64::from(replicas) * u64::from(base.chips_per_replica());
    u32::try_from(chips).map_err(|_| ProjectError::TooLarge {
        what: "chips",
        value: chips,
    })
}

/// Whether `spec` belongs to `kind`: that family flat, or as the top of hierarchical groups that
/// are one replica's chain each (any hierarchical wiring for `hierarchical`).
fn in_family(spec: &TopologySpec, kind: &str, chips_per_replica: u32) -> bool {
    match spec {
        TopologySpec::Hierarchical { group, top, .. } => {
            kind == "hierarchical"
                || (top.kind() == kind
                    && **group
                        == TopologySpec::Chain {
                            chips: chips_per_replica,
                        })
        }
        other => other.kind() == kind,
    }
}

/// The doublings of the replica count, up to twice `around`, at which `kind` can be built, in
/// words for an error message.
fn sizes_that_work(kind: &'static str, base: &BaseDesign, around: u32) -> String {
    let limit = u64::from(around) * 2;
    let works: Vec<String> = (0..u32::BITS)
        .map(|bit| 1u64 << bit)
        .take_while(|&r| r <= limit)
        .filter_map(|r| u32::try_from(r).ok())
        .filter(|&r| candidates(r, base, TopologyChoice::Family(kind)).is_ok())
        .map(|r| {
            format!(
                "{} chips ({r} replicas)",
                u64::from(r) * u64::from(base.chips_per_replica())
            )
        })
        .collect();
    if works.is_empty() {
        format!("no size of 1, 2, 4, ... up to {limit} replicas can be built as {kind}; try --topology auto")
    } else {
        format!(
            "sizes of 1, 2, 4, ... replicas that would work: {}",
            works.join(", ")
        )
    }
}

/// Where the pipeline sits on one candidate: most hops per stage transfer and per tensor gather.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Placement {
    stage_hops: u32,
    tensor_hops: u32,
}

/// The first candidate (they come best first) with the shortest stage transfers, then tensor
/// gathers; stops at the first that reaches the shortest possible.
fn pick(
    candidates: Vec<TopologySpec>,
    replicas: u32,
    base: &BaseDesign,
) -> Result<Layout, ProjectError> {
    let ideal = Placement {
        stage_hops: u32::from(base.pipeline > 1),
        tensor_hops: u32::from(base.tensor > 1),
    };
    let mut best: Option<(Placement, TopologySpec, Topology)> = None;
    for spec in candidates {
        let Ok(topology) = spec.build() else {
            continue;
        };
        let bound = best.as_ref().map(|(p, _, _)| *p);
        let Some(placement) = placement(&topology, replicas, base, bound)? else {
            continue;
        };
        let reached = placement <= ideal;
        best = Some((placement, spec, topology));
        if reached {
            break;
        }
    }
    let (placement, spec, topology) = best.ok_or_else(|| ProjectError::NoTopology {
        chips: chips_of(replicas, base).unwrap_or(u32::MAX),
        link: base.link_name().to_string(),
        reason: "no candidate could be built".into(),
    })?;
    gateway_figures(spec, topology, replicas, placement, base)
}

/// The placement of the replicas on `topology`, or `None` as soon as it cannot beat `bound`.
fn placement(
    topology: &Topology,
    replicas: u32,
    base: &BaseDesign,
    bound: Option<Placement>,
) -> Result<Option<Placement>, ProjectError> {
    let cpr = base.chips_per_replica();
    let tensor = base.tensor;
    let leader = |r: u32, s: u32| r * cpr + s * tensor;
    let mut stage_hops = 0;
    for r in 0..replicas {
        for s in 1..base.pipeline {
            stage_hops = stage_hops.max(hops(topology, leader(r, s - 1), leader(r, s))?);
        }
        if bound.is_some_and(|b| stage_hops > b.stage_hops) {
            return Ok(None);
        }
    }
    let mut tensor_hops = 0;
    for r in 0..replicas {
        for s in 0..base.pipeline {
            for rank in 1..tensor {
                tensor_hops = tensor_hops.max(hops(topology, leader(r, s), leader(r, s) + rank)?);
            }
        }
        let so_far = Placement {
            stage_hops,
            tensor_hops,
        };
        if bound.is_some_and(|b| so_far >= b) {
            return Ok(None);
        }
    }
    Ok(Some(Placement {
        stage_hops,
        tensor_hops,
    }))
}

fn hops(topology: &Topology, a: u32, b: u32) -> Result<u32, ProjectError> {
    topology.hops(a, b).map_err(|e| ProjectError::NoTopology {
        chips: topology.chips(),
        link: String::new(),
        reason: e.to_string(),
    })
}

/// Completes a layout with the gateway's ports and its distance to every replica's first and
/// last stage.
fn gateway_figures(
    spec: TopologySpec,
    topology: Topology,
    replicas: u32,
    placement: Placement,
    base: &BaseDesign,
) -> Result<Layout, ProjectError> {
    let cpr = base.chips_per_replica();
    let last_stage = (base.pipeline - 1) * base.tensor;
    let mut deliveries = Trips::default();
    let mut uploads = Trips::default();
    for r in 0..replicas {
        deliveries.add(hops(&topology, r * cpr + last_stage, GATEWAY_CHIP)?);
        uploads.add(hops(&topology, GATEWAY_CHIP, r * cpr)?);
    }
    let shared_medium = topology.is_shared_medium() || base.link_is_shared_medium();
    let gateway_ports = if shared_medium {
        1
    } else {
        topology
            .degree(GATEWAY_CHIP)
            .map_err(|e| ProjectError::NoTopology {
                chips: topology.chips(),
                link: base.link_name().to_string(),
                reason: e.to_string(),
            })?
    };
    Ok(Layout {
        description: describe(&spec),
        chips: topology.chips(),
        spec,
        replicas,
        stage_hops: placement.stage_hops,
        tensor_hops: placement.tensor_hops,
        gateway_ports,
        gateway_hops_mean: deliveries.mean(replicas),
        gateway_hops_max: deliveries.max,
        upload_hops_mean: uploads.mean(replicas),
        remote_deliveries: deliveries.remote,
        remote_uploads: uploads.remote,
        shared_medium,
        backbone: None,
    })
}

/// Hop counts of one kind of trip to or from the gateway, one per replica.
#[derive(Default)]
struct Trips {
    total: u64,
    max: u32,
    remote: u32,
}

impl Trips {
    fn add(&mut self, hops: u32) {
        self.total += u64::from(hops);
        self.max = self.max.max(hops);
        self.remote += u32::from(hops > 0);
    }

    fn mean(&self, replicas: u32) -> f64 {
        self.total as f64 / f64::from(replicas)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruvsim_hw::link::{EspNowConfig, LinkConfig, UartConfig};

    fn base() -> BaseDesign {
        BaseDesign::builtin().unwrap()
    }

    #[test]
    fn auto_keeps_every_stage_transfer_to_one_hop() {
        for replicas in [1, 2, 4, 8, 64] {
            let layout = choose(replicas, &base(), TopologyChoice::Auto).unwrap();
            assert_eq!(layout.chips, replicas * 5);
            assert_eq!(layout.stage_hops, 1, "{}", layout.description);
            assert_eq!(layout.tensor_hops, 0);
            assert!(layout.gateway_ports >= 1);
        }
    }

    #[test]
    fn spi_with_two_ports_gives_a_ring_whose_distance_grows_with_size() {
        let small = choose(4, &base(), TopologyChoice::Auto).unwrap();
        let large = choose(64, &base(), TopologyChoice::Auto).unwrap();
        assert_eq!(large.spec.kind(), "ring", "{}", large.description);
        assert_eq!(large.gateway_ports, 2);
        assert!(large.gateway_hops_mean > 4.0 * small.gateway_hops_mean);
    }

    fn with_link(link: LinkConfig) -> BaseDesign {
        let mut base = base();
        base.loaded.scenario.cluster.link = link;
        base
    }

    #[test]
    fn a_forced_family_that_cannot_be_wired_says_which_sizes_work() {
        // UART offers three ports: a 5x2 mesh (10 chips) or a 2x2 mesh of replica groups (20)
        // can be wired, a mesh of 40 chips or of 8 groups needs four ports on some chip.
        let uart = with_link(LinkConfig::Uart(UartConfig { baud: 5_000_000 }));
        let err = choose(8, &uart, "mesh2d".parse().unwrap()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("topology mesh2d cannot be built for 40 chips"),
            "{text}"
        );
        assert!(
            text.contains("would work: 10 chips (2 replicas), 20 chips (4 replicas)"),
            "{text}"
        );
        let err = choose(8, &base(), "hypercube".parse().unwrap()).unwrap_err();
        assert!(err.to_string().contains("no size of 1, 2, 4"), "{err}");
    }

    #[test]
    fn a_forced_family_over_esp_now_is_built_as_asked() {
        let radio = with_link(LinkConfig::EspNow(EspNowConfig {
            version: Default::default(),
            loss: 0.0,
            max_attempts: 5,
        }));
        let layout = choose(8, &radio, "hypercube".parse().unwrap()).unwrap();
        assert_eq!(layout.spec.kind(), "hierarchical", "{}", layout.description);
        assert!(layout.shared_medium);
        assert_eq!(layout.gateway_ports, 1);
    }

    #[test]
    fn unknown_kinds_list_the_valid_ones() {
        let err = "hypercub".parse::<TopologyChoice>().unwrap_err();
        assert!(
            err.to_string().contains("valid: auto, chain, ring"),
            "{err}"
        );
    }
}
