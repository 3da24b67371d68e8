//! [`TopologySpec`]: the small serde description a scenario uses to name a topology, and its
//! validation into a built [`Topology`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Result, TopologyError};
use crate::families::bus::Bus;
use crate::families::chain::Chain;
use crate::families::custom::{parse_edge_list, Custom, SourceEdge};
use crate::families::grid::Grid;
use crate::families::hypercube::Hypercube;
use crate::families::ring::Ring;
use crate::families::star::Star;
use crate::families::switched::Switched;
use crate::families::tree::Tree;
use crate::topology::hierarchical::Hierarchical;
use crate::topology::Topology;

/// A topology description, as written in a scenario's TOML (see the crate docs for every kind).
///
/// Building it ([`TopologySpec::build`]) checks it: zero sizes, non-power-of-two hypercubes,
/// torus sides below 3, unknown custom nodes, self-loops and the like are errors, never clamped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TopologySpec {
    /// `{ kind = "chain", chips = 5 }`: a pipeline.
    Chain {
        /// Chips, at least 1.
        chips: u32,
    },
    /// `{ kind = "bus", chips = 8 }`: one shared medium.
    Bus {
        /// Chips, at least 2.
        chips: u32,
    },
    /// `{ kind = "ring", chips = 8 }`.
    Ring {
        /// Chips, at least 3.
        chips: u32,
    },
    /// `{ kind = "star", chips = 8 }`: chip 0 is the hub.
    Star {
        /// Chips (hub included), at least 1.
        chips: u32,
    },
    /// `{ kind = "mesh2d", dims = [4, 4] }`.
    Mesh2d {
        /// Sides, each at least 1.
        dims: [u32; 2],
    },
    /// `{ kind = "torus2d", dims = [8, 8] }`.
    Torus2d {
        /// Sides, each at least 3.
        dims: [u32; 2],
    },
    /// `{ kind = "torus3d", dims = [16, 16, 16] }`.
    Torus3d {
        /// Sides, each at least 3.
        dims: [u32; 3],
    },
    /// `{ kind = "hypercube", dimension = 10 }` or `{ kind = "hypercube", chips = 1024 }`.
    Hypercube {
        /// Chips, a power of two (give this or `dimension`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        chips: Option<u64>,
        /// Dimension `d` (chips = `2^d`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dimension: Option<u32>,
    },
    /// `{ kind = "tree", arity = 2, chips = 15 }`: a complete k-ary tree in heap order.
    Tree {
        /// Children per chip, at least 2.
        arity: u32,
        /// Chips, at least 1.
        chips: u32,
    },
    /// `{ kind = "switched", chips = 64 }`: chips on a switched network (a backbone), each one
    /// hop from every other; the top level of a `hierarchical` topology whose gateways sit on the
    /// scenario's `cluster.backbone`.
    Switched {
        /// Chips, at least 1.
        chips: u32,
    },
    /// `{ kind = "hierarchical", group = { kind = "chain", chips = 5 }, top = { kind =
    /// "hypercube", dimension = 4 }, gateway = 0 }`: `top.chips()` groups.
    Hierarchical {
        /// The wiring inside each group.
        group: Box<TopologySpec>,
        /// The wiring between the groups' gateways.
        top: Box<TopologySpec>,
        /// Which chip of each group is its gateway (default 0).
        #[serde(default)]
        gateway: u32,
    },
    /// `{ kind = "custom", chips = 4, edges = [[0, 1], [1, 2], [2, 3]] }` or
    /// `{ kind = "custom", chips = 4, file = "wiring.edges" }`.
    Custom {
        /// Chips; edges may name `0..chips`.
        chips: u32,
        /// Inline edge list (give this or `file`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        edges: Option<Vec<[u32; 2]>>,
        /// Edge-list file, one `a b` pair per line, `#` comments (give this or `edges`).
        /// Relative paths resolve against the directory given to
        /// [`TopologySpec::build_relative_to`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file: Option<PathBuf>,
    },
}

/// Checks that a size field is not zero. `what` names the field; it is only formatted on error,
/// so checking a valid description allocates nothing.
fn nonzero(kind: &'static str, what: impl Fn() -> String, value: u64) -> Result<()> {
    if value == 0 {
        Err(TopologyError::Zero { kind, what: what() })
    } else {
        Ok(())
    }
}

/// Checks that a field reaches a minimum.
fn at_least(
    kind: &'static str,
    what: impl Fn() -> String,
    value: u64,
    min: u64,
    hint: &'static str,
) -> Result<()> {
    nonzero(kind, &what, value)?;
    if value < min {
        Err(TopologyError::TooSmall {
            kind,
            what: what(),
            min,
            got: value,
            hint,
        })
    } else {
        Ok(())
    }
}

/// The name of a plain field, for [`nonzero`] and [`at_least`].
fn field(name: &'static str) -> impl Fn() -> String {
    move || name.to_string()
}

/// Converts a count to `u32`, or names it as too large.
fn fits(kind: &'static str, what: &'static str, count: u128) -> Result<u32> {
    u32::try_from(count).map_err(|_| TopologyError::TooLarge {
        kind,
        what,
        count,
        max: u64::from(u32::MAX),
    })
}

/// Checks grid sides and returns the chip count.
fn grid_chips(kind: &'static str, dims: &[u32], wrap: bool) -> Result<u32> {
    for (i, &d) in dims.iter().enumerate() {
        let what = || format!("dims[{i}]");
        if wrap {
            at_least(
                kind,
                what,
                u64::from(d),
                3,
                "a torus side needs 3 chips to wrap; use mesh2d",
            )?;
        } else {
            nonzero(kind, what, u64::from(d))?;
        }
    }
    let chips = fits(kind, "chips", dims.iter().map(|&d| u128::from(d)).product())?;
    let links: u128 = dims
        .iter()
        .map(|&d| {
            if wrap {
                u128::from(chips)
            } else {
                u128::from(chips / d * (d - 1))
            }
        })
        .sum();
    fits(kind, "links", links)?;
    Ok(chips)
}

/// The hypercube dimension of a description that gives `chips` or `dimension`.
fn hypercube_dimension(chips: Option<u64>, dimension: Option<u32>) -> Result<u32> {
    let d = match (chips, dimension) {
        (Some(c), None) => {
            nonzero("hypercube", field("chips"), c)?;
            if !c.is_power_of_two() {
                let above = c.checked_next_power_of_two().unwrap_or(u64::MAX);
                return Err(TopologyError::HypercubeNotPowerOfTwo {
                    chips: c,
                    below: above / 2,
                    above,
                });
            }
            c.trailing_zeros()
        }
        (None, Some(d)) => d,
        _ => return Err(TopologyError::HypercubeSize),
    };
    fits("hypercube", "chips", 1u128 << d.min(127))?;
    fits("hypercube", "links", u128::from(d) << d.saturating_sub(1))?;
    Ok(d)
}

impl TopologySpec {
    /// The kind name, as written in TOML.
    pub fn kind(&self) -> &'static str {
        match self {
            TopologySpec::Chain { .. } => "chain",
            TopologySpec::Bus { .. } => "bus",
            TopologySpec::Ring { .. } => "ring",
            TopologySpec::Star { .. } => "star",
            TopologySpec::Mesh2d { .. } => "mesh2d",
            TopologySpec::Torus2d { .. } => "torus2d",
            TopologySpec::Torus3d { .. } => "torus3d",
            TopologySpec::Hypercube { .. } => "hypercube",
            TopologySpec::Tree { .. } => "tree",
            TopologySpec::Switched { .. } => "switched",
            TopologySpec::Hierarchical { .. } => "hierarchical",
            TopologySpec::Custom { .. } => "custom",
        }
    }

    /// Number of chips the description names, after checking its sizes (custom edges are only
    /// checked by [`TopologySpec::build`]).
    pub fn chips(&self) -> Result<u32> {
        match self {
            TopologySpec::Chain { chips }
            | TopologySpec::Star { chips }
            | TopologySpec::Switched { chips } => {
                nonzero(self.kind(), field("chips"), u64::from(*chips))?;
                Ok(*chips)
            }
            TopologySpec::Bus { chips } => {
                at_least(
                    "bus",
                    field("chips"),
                    u64::from(*chips),
                    2,
                    "a bus joins at least 2 chips",
                )?;
                Ok(*chips)
            }
            TopologySpec::Ring { chips } => {
                at_least(
                    "ring",
                    field("chips"),
                    u64::from(*chips),
                    3,
                    "use a chain for 1 or 2 chips",
                )?;
                Ok(*chips)
            }
            TopologySpec::Mesh2d { dims } => grid_chips("mesh2d", dims, false),
            TopologySpec::Torus2d { dims } => grid_chips("torus2d", dims, true),
            TopologySpec::Torus3d { dims } => grid_chips("torus3d", dims, true),
            TopologySpec::Hypercube { chips, dimension } => {
                Ok(1u32 << hypercube_dimension(*chips, *dimension)?)
            }
            TopologySpec::Tree { arity, chips } => {
                at_least(
                    "tree",
                    field("arity"),
                    u64::from(*arity),
                    2,
                    "use a chain for arity 1",
                )?;
                nonzero("tree", field("chips"), u64::from(*chips))?;
                Ok(*chips)
            }
            TopologySpec::Hierarchical { group, top, .. } => fits(
                "hierarchical",
                "chips",
                u128::from(group.chips()?) * u128::from(top.chips()?),
            ),
            TopologySpec::Custom { chips, .. } => {
                nonzero("custom", field("chips"), u64::from(*chips))?;
                Ok(*chips)
            }
        }
    }

    /// Ports the busiest chip needs (the wiring's degree; a shared medium counts one port), so a
    /// scenario can be refused before simulating when its link kind offers fewer. Builds the
    /// topology to find out, which costs nothing for the regular families; a custom `file` is
    /// read relative to the current directory.
    pub fn ports_per_chip(&self) -> Result<u32> {
        Ok(self.build()?.max_degree())
    }

    /// Checks the description and builds the topology; a custom `file` is read relative to the
    /// current directory.
    pub fn build(&self) -> Result<Topology> {
        self.build_relative_to(Path::new(""))
    }

    /// Checks the description and builds the topology; a relative custom `file` is read from
    /// `base` (a scenario's directory).
    pub fn build_relative_to(&self, base: &Path) -> Result<Topology> {
        let chips = self.chips()?;
        Ok(match self {
            TopologySpec::Chain { .. } => Topology::Chain(Chain::new(chips)),
            TopologySpec::Bus { .. } => Topology::Bus(Bus::new(chips)),
            TopologySpec::Ring { .. } => Topology::Ring(Ring::new(chips)),
            TopologySpec::Star { .. } => Topology::Star(Star::new(chips)),
            TopologySpec::Switched { .. } => Topology::Switched(Switched::new(chips)),
            TopologySpec::Mesh2d { dims } => Topology::Grid(Grid::new(dims, false)),
            TopologySpec::Torus2d { dims } => Topology::Grid(Grid::new(dims, true)),
            TopologySpec::Torus3d { dims } => Topology::Grid(Grid::new(dims, true)),
            TopologySpec::Hypercube { .. } => {
                Topology::Hypercube(Hypercube::new(chips.trailing_zeros()))
            }
            TopologySpec::Tree { arity, .. } => Topology::Tree(Tree::new(*arity, chips)),
            TopologySpec::Hierarchical {
                group,
                top,
                gateway,
            } => {
                let group = group.build_relative_to(base)?;
                let top = top.build_relative_to(base)?;
                if *gateway >= group.chips() {
                    return Err(TopologyError::GatewayOutOfRange {
                        gateway: *gateway,
                        group_chips: group.chips(),
                    });
                }
                fits(
                    "hierarchical",
                    "links",
                    u128::from(top.chips()) * u128::from(group.link_count())
                        + u128::from(top.link_count()),
                )?;
                Topology::Hierarchical(Hierarchical::new(group, top, *gateway))
            }
            TopologySpec::Custom { edges, file, .. } => {
                let (edges, origin) = match (edges, file) {
                    (Some(list), None) => (inline_edges(list), "inline edges".to_string()),
                    (None, Some(file)) => {
                        let path = base.join(file);
                        let text =
                            std::fs::read_to_string(&path).map_err(|source| TopologyError::Io {
                                path: path.clone(),
                                source,
                            })?;
                        let origin = path.display().to_string();
                        (parse_edge_list(&text, &origin)?, origin)
                    }
                    _ => return Err(TopologyError::CustomEdgeSource),
                };
                Topology::Custom(Box::new(Custom::new(chips, &edges, &origin)?))
            }
        })
    }
}

/// An inline edge list, each edge numbered by its 0-based position.
fn inline_edges(list: &[[u32; 2]]) -> Vec<SourceEdge> {
    list.iter()
        .enumerate()
        .map(|(index, &[a, b])| SourceEdge { index, a, b })
        .collect()
}
