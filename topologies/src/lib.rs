//! ruvsim-topologies: how chips are wired and how a message finds its way.
//!
//! A scenario names its cluster wiring with a small description, [`TopologySpec`]; building it
//! gives a [`Topology`] that answers routing questions (`next_hop`, `route`, `hops`,
//! `neighbors`), names links with stable ids (`link_id`, `link_ends`) so a simulator can keep
//! per-link state in flat arrays, builds broadcast/reduction trees ([`Topology::spanning_tree`]),
//! and reports [`Metrics`]. [`recommend()`] picks the best wiring that the chips' ports can build.
//!
//! # Descriptions (TOML)
//!
//! ```toml
//! topology = { kind = "chain", chips = 5 }            # pipeline 0-1-2-3-4
//! topology = { kind = "bus", chips = 8 }              # one shared medium, >= 2 chips
//! topology = { kind = "ring", chips = 8 }             # >= 3 chips
//! topology = { kind = "star", chips = 8 }             # chip 0 is the hub
//! topology = { kind = "mesh2d", dims = [4, 4] }       # sides >= 1
//! topology = { kind = "torus2d", dims = [8, 8] }      # sides >= 3
//! topology = { kind = "torus3d", dims = [16, 16, 16] }
//! topology = { kind = "hypercube", dimension = 10 }   # or chips = 1024 (a power of two)
//! topology = { kind = "tree", arity = 2, chips = 15 } # complete k-ary tree, arity >= 2
//! topology = { kind = "hierarchical", gateway = 0, group = { kind = "chain", chips = 5 }, top = { kind = "hypercube", dimension = 4 } }
//! topology = { kind = "custom", chips = 4, edges = [[0, 1], [1, 2], [2, 3], [3, 0]] }
//! topology = { kind = "custom", chips = 4, file = "wiring.edges" }  # lines "a b", '#' comments
//! ```
//!
//! Unknown keys are rejected. Invalid descriptions — a hypercube of 100 chips, a zero side, a
//! torus side below 3, a custom edge naming an unknown chip, a self-loop, a duplicate edge, a
//! disconnected wiring — are [`TopologyError`]s that say what would be valid.
//!
//! # Routing
//!
//! Routes are deterministic shortest paths. Regular families route arithmetically without
//! materialising a graph (O(1) memory per query, no allocation): dimension order for meshes,
//! tori and hypercubes (lowest dimension or bit first; around a torus ring the shorter way,
//! upward on a tie), up/down for trees, via group gateways for hierarchical topologies. Custom
//! wirings use BFS shortest paths over a petgraph graph with the lowest-id tie rule.
//!
//! On a shared bus one transmission reaches any chip: every pair is 1 hop apart and all
//! transmissions use link 0, the medium; [`Topology::is_shared_medium`] tells the simulator to
//! arbitrate. Ports: each point-to-point link uses one port on each end, a shared medium one port
//! per chip (see [`ports`]).

#![warn(missing_docs)]

pub mod bisection;
pub mod error;
mod families;
pub mod graph;
pub mod link;
pub mod metrics;
pub mod ports;
pub mod recommend;
pub mod spanning;
pub mod spec;
pub mod topology;

pub use error::{Result, TopologyError};
pub use families::bus::Bus;
pub use families::chain::Chain;
pub use families::custom::Custom;
pub use families::grid::Grid;
pub use families::hypercube::Hypercube;
pub use families::ring::Ring;
pub use families::star::Star;
pub use families::tree::Tree;
pub use link::LinkEnds;
pub use metrics::Metrics;
pub use ports::{LinkKind, PortBudget, UnknownVariant, Variant};
pub use recommend::{recommend, Candidate, ChipCount, Constraints, Recommendation, Rejection};
pub use spanning::SpanningTree;
pub use spec::TopologySpec;
pub use topology::hierarchical::Hierarchical;
pub use topology::Topology;
