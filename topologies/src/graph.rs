//! Materialising a topology: a petgraph graph (for checks and graph algorithms) and a Graphviz
//! DOT drawing (for reports). Both refuse large topologies instead of exhausting memory.

use std::fmt::Write;

use petgraph::graph::{NodeIndex, UnGraph};

use crate::error::{Result, TopologyError};
use crate::families::Family;
use crate::link::LinkEnds;
use crate::topology::Topology;

/// Largest topology [`Topology::to_graph`] materialises.
pub const GRAPH_MAX_CHIPS: u32 = 1 << 16;
/// Largest topology [`Topology::to_dot`] draws.
pub const DOT_MAX_CHIPS: u32 = 1024;

impl Topology {
    /// The topology as a petgraph graph: node index = chip id, node weight = chip id; one edge
    /// per pair of neighbours, weighted with the link id. A shared medium becomes a complete
    /// graph whose edges all carry the medium's id (every pair is one transmission apart).
    pub fn to_graph(&self) -> Result<UnGraph<u32, u32>> {
        let chips = self.chips();
        if chips > GRAPH_MAX_CHIPS {
            return Err(TopologyError::TooLargeForGraph {
                what: "graph",
                chips,
                limit: GRAPH_MAX_CHIPS,
            });
        }
        let mut graph = UnGraph::with_capacity(chips as usize, self.link_count() as usize);
        for v in 0..chips {
            graph.add_node(v);
        }
        for link in 0..self.link_count() {
            let ends = Family::link_ends(self, link);
            let members: Vec<u32> = ends.members().collect();
            for (i, &a) in members.iter().enumerate() {
                for &b in &members[i + 1..] {
                    graph.add_edge(NodeIndex::new(a as usize), NodeIndex::new(b as usize), link);
                }
            }
        }
        Ok(graph)
    }

    /// A Graphviz DOT drawing: one node per chip (`c<id>`), one edge per point-to-point link
    /// labelled with its id, and a box per shared medium (`bus<id>`) wired to its members.
    /// Hierarchical topologies draw each group as a cluster.
    pub fn to_dot(&self) -> Result<String> {
        let chips = self.chips();
        if chips > DOT_MAX_CHIPS {
            return Err(TopologyError::TooLargeForGraph {
                what: "DOT export",
                chips,
                limit: DOT_MAX_CHIPS,
            });
        }
        let mut dot = String::new();
        // Writing to a String cannot fail.
        let _ = writeln!(dot, "graph {} {{", self.kind());
        let _ = writeln!(dot, "  node [shape=circle];");
        match self.as_hierarchical() {
            Some(h) => {
                for g in 0..h.groups() {
                    let _ = writeln!(dot, "  subgraph cluster_{g} {{");
                    let _ = writeln!(dot, "    label=\"group {g}\";");
                    for v in g * h.group_chips()..(g + 1) * h.group_chips() {
                        let _ = writeln!(dot, "    c{v} [label=\"{v}\"];");
                    }
                    let _ = writeln!(dot, "  }}");
                }
            }
            None => {
                for v in 0..chips {
                    let _ = writeln!(dot, "  c{v} [label=\"{v}\"];");
                }
            }
        }
        for link in 0..self.link_count() {
            match Family::link_ends(self, link) {
                LinkEnds::Pair(a, b) => {
                    let _ = writeln!(dot, "  c{a} -- c{b} [label=\"{link}\"];");
                }
                shared @ LinkEnds::Shared { .. } => {
                    let _ = writeln!(dot, "  bus{link} [shape=box, label=\"bus {link}\"];");
                    for v in shared.members() {
                        let _ = writeln!(dot, "  bus{link} -- c{v};");
                    }
                }
            }
        }
        dot.push_str("}\n");
        Ok(dot)
    }
}
