//! [`Topology`]: a built cluster wiring, with checked routing, link and metric queries.

pub(crate) mod hierarchical;

use crate::bisection::exhaustive_bisection;
use crate::error::{Result, TopologyError};
use crate::families::bus::Bus;
use crate::families::chain::Chain;
use crate::families::custom::Custom;
use crate::families::grid::Grid;
use crate::families::hypercube::Hypercube;
use crate::families::ring::Ring;
use crate::families::star::Star;
use crate::families::switched::Switched;
use crate::families::tree::Tree;
use crate::families::Family;
use crate::link::LinkEnds;
use crate::metrics::Metrics;
use crate::ports::PortBudget;
use crate::spanning::SpanningTree;
use hierarchical::Hierarchical;

/// A built topology. Regular families hold only their parameters (no per-chip memory) and answer
/// every query arithmetically; custom wirings hold a petgraph graph.
///
/// Build one from a [`crate::TopologySpec`]. Node ids are `0..chips()`, link ids
/// `0..link_count()`; both are stable for a given description, so per-chip and per-link state can
/// live in flat arrays.
#[derive(Debug, Clone)]
pub enum Topology {
    /// A chain (pipeline).
    Chain(Chain),
    /// One shared medium.
    Bus(Bus),
    /// A ring.
    Ring(Ring),
    /// A star around chip 0.
    Star(Star),
    /// A 2-D mesh, 2-D torus or 3-D torus.
    Grid(Grid),
    /// A hypercube.
    Hypercube(Hypercube),
    /// A k-ary tree.
    Tree(Tree),
    /// Chips on a switched network (a backbone), each one hop from every other.
    Switched(Switched),
    /// Groups of one topology joined by another.
    Hierarchical(Hierarchical),
    /// A user's edge list (boxed: it is the one family that holds a graph).
    Custom(Box<Custom>),
}

/// Runs `$body` with `$f` bound to the family inside `$topology`.
macro_rules! dispatch {
    ($topology:expr, $f:ident => $body:expr) => {
        match $topology {
            Topology::Chain($f) => $body,
            Topology::Bus($f) => $body,
            Topology::Ring($f) => $body,
            Topology::Star($f) => $body,
            Topology::Grid($f) => $body,
            Topology::Hypercube($f) => $body,
            Topology::Tree($f) => $body,
            Topology::Switched($f) => $body,
            Topology::Hierarchical($f) => $body,
            Topology::Custom($f) => $body,
        }
    };
}

impl Family for Topology {
    fn chips(&self) -> u32 {
        dispatch!(self, f => f.chips())
    }
    fn push_neighbors(&self, node: u32, out: &mut Vec<u32>) {
        dispatch!(self, f => f.push_neighbors(node, out))
    }
    fn step(&self, from: u32, to: u32) -> u32 {
        dispatch!(self, f => f.step(from, to))
    }
    fn distance(&self, from: u32, to: u32) -> u32 {
        dispatch!(self, f => f.distance(from, to))
    }
    fn ports(&self, node: u32) -> u32 {
        dispatch!(self, f => f.ports(node))
    }
    fn max_ports(&self) -> u32 {
        dispatch!(self, f => f.max_ports())
    }
    fn port_total(&self) -> u64 {
        dispatch!(self, f => f.port_total())
    }
    fn links(&self) -> u32 {
        dispatch!(self, f => f.links())
    }
    fn link_between(&self, a: u32, b: u32) -> Option<u32> {
        dispatch!(self, f => f.link_between(a, b))
    }
    fn link_ends(&self, link: u32) -> LinkEnds {
        dispatch!(self, f => f.link_ends(link))
    }
    fn shared_medium(&self) -> bool {
        dispatch!(self, f => f.shared_medium())
    }
    /// The family's metrics, with an inexact bisection replaced by an exhaustive search when the
    /// topology is small enough.
    fn metrics(&self) -> Metrics {
        let mut metrics = self.family_metrics();
        if !metrics.bisection_exact {
            if let Some(width) = exhaustive_bisection(self) {
                metrics.bisection_width = width;
                metrics.bisection_exact = true;
            }
        }
        metrics
    }
    fn distances_from(&self, node: u32) -> (u32, u64) {
        dispatch!(self, f => f.distances_from(node))
    }
    fn toward_root(&self, root: u32) -> (Vec<u32>, Vec<u32>) {
        dispatch!(self, f => f.toward_root(root))
    }
}

impl Topology {
    /// The family's own metrics (closed forms, graph search), before any exhaustive bisection.
    pub(crate) fn family_metrics(&self) -> Metrics {
        dispatch!(self, f => f.metrics())
    }

    /// The description kind this topology was built from (`"torus3d"`, `"custom"`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Topology::Chain(_) => "chain",
            Topology::Bus(_) => "bus",
            Topology::Ring(_) => "ring",
            Topology::Star(_) => "star",
            Topology::Grid(g) => match (g.wraps(), g.dims().len()) {
                (false, _) => "mesh2d",
                (true, 2) => "torus2d",
                (true, _) => "torus3d",
            },
            Topology::Hypercube(_) => "hypercube",
            Topology::Tree(_) => "tree",
            Topology::Switched(_) => "switched",
            Topology::Hierarchical(_) => "hierarchical",
            Topology::Custom(_) => "custom",
        }
    }

    /// Number of chips; node ids are `0..chips()`.
    pub fn chips(&self) -> u32 {
        Family::chips(self)
    }

    /// Number of links; link ids are `0..link_count()`. A shared medium counts as one link.
    pub fn link_count(&self) -> u32 {
        Family::links(self)
    }

    fn check_node(&self, node: u32) -> Result<()> {
        let chips = self.chips();
        if node < chips {
            Ok(())
        } else {
            Err(TopologyError::NodeOutOfRange { node, chips })
        }
    }

    /// The chips one transmission away from `node`, ascending. On a shared bus that is every
    /// other chip.
    pub fn neighbors(&self, node: u32) -> Result<Vec<u32>> {
        self.check_node(node)?;
        let mut out = Vec::new();
        self.push_neighbors(node, &mut out);
        Ok(out)
    }

    /// The next chip on the route from `from` to `to`, or `None` when `from == to`. The same pair
    /// always gets the same answer; following it from any chip reaches `to` in
    /// [`Topology::hops`] steps. O(1) memory for the regular families.
    #[inline]
    pub fn next_hop(&self, from: u32, to: u32) -> Result<Option<u32>> {
        self.check_node(from)?;
        self.check_node(to)?;
        Ok((from != to).then(|| self.step(from, to)))
    }

    /// Length of the route from `from` to `to` in hops (transmissions). O(1) memory for the
    /// regular families.
    #[inline]
    pub fn hops(&self, from: u32, to: u32) -> Result<u32> {
        self.check_node(from)?;
        self.check_node(to)?;
        Ok(self.distance(from, to))
    }

    /// The whole route, `from` first and `to` last (just `[from]` when they are equal).
    pub fn route(&self, from: u32, to: u32) -> Result<Vec<u32>> {
        let hops = self.hops(from, to)?;
        let mut path = Vec::with_capacity(hops as usize + 1);
        path.push(from);
        let mut at = from;
        while at != to {
            at = self.step(at, to);
            path.push(at);
        }
        Ok(path)
    }

    /// Ports `node` uses: one per point-to-point link attached, one per shared medium it sits on.
    pub fn degree(&self, node: u32) -> Result<u32> {
        self.check_node(node)?;
        Ok(self.ports(node))
    }

    /// Ports the busiest chip uses: what the link kind must offer per chip to build this wiring.
    pub fn max_degree(&self) -> u32 {
        self.max_ports()
    }

    /// Whether some link is a shared medium (a bus), on which the simulator must arbitrate
    /// between senders: a transmission occupies the whole medium.
    pub fn is_shared_medium(&self) -> bool {
        self.shared_medium()
    }

    /// The id of the link joining neighbours `a` and `b` (the same for both orders; on a bus,
    /// the medium). Computed arithmetically for the regular families.
    #[inline]
    pub fn link_id(&self, a: u32, b: u32) -> Result<u32> {
        self.check_node(a)?;
        self.check_node(b)?;
        if a == b {
            return Err(TopologyError::NotAdjacent { a, b });
        }
        self.link_between(a, b)
            .ok_or(TopologyError::NotAdjacent { a, b })
    }

    /// The chips `link` joins.
    pub fn link_ends(&self, link: u32) -> Result<LinkEnds> {
        let links = self.link_count();
        if link < links {
            Ok(Family::link_ends(self, link))
        } else {
            Err(TopologyError::LinkOutOfRange { link, links })
        }
    }

    /// The tree of routes toward `root`: every chip's parent is its [`Topology::next_hop`] toward
    /// `root`, so its depth is its hop count to `root` and the tree's height is the root's
    /// eccentricity. Use it for both directions: a broadcast flows from the root down
    /// ([`SpanningTree::broadcast_order`]), a reduction or result gathering flows up
    /// ([`SpanningTree::reduction_order`]) over the same links.
    pub fn spanning_tree(&self, root: u32) -> Result<SpanningTree> {
        self.check_node(root)?;
        let (parent, depth) = self.toward_root(root);
        Ok(SpanningTree::from_parents(root, parent, depth))
    }

    /// Node and link counts, degrees, diameter, mean hops and bisection width: closed forms for
    /// the regular families, graph search for custom wirings (sampled when large), and an
    /// exhaustive bisection search up to
    /// [`crate::bisection::EXHAUSTIVE_BISECTION_MAX_CHIPS`] chips wherever the
    /// closed form is only a bound.
    pub fn metrics(&self) -> Metrics {
        Family::metrics(self)
    }

    /// Whether a link kind offering `budget` can build this wiring: enough ports on every chip,
    /// and a shared medium only if the kind allows one.
    pub fn check_ports(&self, budget: PortBudget) -> Result<()> {
        let needed = self.max_degree();
        if needed > budget.ports_per_chip {
            return Err(TopologyError::TooManyPorts {
                needed,
                available: budget.ports_per_chip,
            });
        }
        if self.is_shared_medium() && !budget.shared_medium {
            return Err(TopologyError::SharedMediumNotAllowed);
        }
        Ok(())
    }

    /// The hierarchical structure, if this is a hierarchical topology (to check each level
    /// against its own link kind).
    pub fn as_hierarchical(&self) -> Option<&Hierarchical> {
        match self {
            Topology::Hierarchical(h) => Some(h),
            _ => None,
        }
    }
}
