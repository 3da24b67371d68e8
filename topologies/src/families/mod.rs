//! One module per topology family, all behind the crate-internal [`Family`] trait (the
//! hierarchical family, a topology of topologies, lives with [`crate::Topology`]).
//!
//! Every method of [`Family`] assumes its node and link arguments are valid (in range, distinct
//! where stated): [`crate::Topology`] checks them once and then dispatches here, so the families
//! stay arithmetic and allocation-free on the query path.

pub(crate) mod bus;
pub(crate) mod chain;
pub(crate) mod custom;
pub(crate) mod grid;
pub(crate) mod hypercube;
pub(crate) mod ring;
pub(crate) mod star;
pub(crate) mod switched;
pub(crate) mod tree;

use crate::link::LinkEnds;
use crate::metrics::{Bisection, Distances, Metrics};

/// The operations every topology family provides. Node ids are `0..chips()`, link ids are
/// `0..links()`.
pub(crate) trait Family {
    /// Number of chips.
    fn chips(&self) -> u32;
    /// Appends the nodes one transmission away from `node`, in ascending order.
    fn push_neighbors(&self, node: u32, out: &mut Vec<u32>);
    /// The neighbour of `from` on the deterministic route toward `to` (`from != to`).
    fn step(&self, from: u32, to: u32) -> u32;
    /// Length in hops of the deterministic route from `from` to `to`.
    fn distance(&self, from: u32, to: u32) -> u32;
    /// Ports `node` uses (point-to-point links attached, or 1 per shared medium it sits on).
    fn ports(&self, node: u32) -> u32;
    /// The largest [`Family::ports`] over all nodes.
    fn max_ports(&self) -> u32;
    /// The sum of [`Family::ports`] over all nodes.
    fn port_total(&self) -> u64;
    /// Number of links (a shared medium counts once).
    fn links(&self) -> u32;
    /// The link joining `a` and `b` (`a != b`), if they are neighbours.
    fn link_between(&self, a: u32, b: u32) -> Option<u32>;
    /// The nodes attached to `link`.
    fn link_ends(&self, link: u32) -> LinkEnds;
    /// Whether any link is a shared medium.
    fn shared_medium(&self) -> bool;
    /// Node/link counts, degrees, diameter, mean hops and bisection width.
    fn metrics(&self) -> Metrics;

    /// Eccentricity of `node` and the sum of its hop counts to every node. The default walks
    /// every node with [`Family::distance`]: O(chips) time, no allocation.
    fn distances_from(&self, node: u32) -> (u32, u64) {
        (0..self.chips()).fold((0, 0), |(ecc, sum), other| {
            let d = self.distance(node, other);
            (ecc.max(d), sum + u64::from(d))
        })
    }

    /// For every node, its next hop toward `root` (the root maps to itself) and its hop count to
    /// `root`. The default asks [`Family::step`] and [`Family::distance`] once per node.
    fn toward_root(&self, root: u32) -> (Vec<u32>, Vec<u32>) {
        let n = self.chips();
        let parent = (0..n)
            .map(|v| if v == root { root } else { self.step(v, root) })
            .collect();
        let depth = (0..n).map(|v| self.distance(v, root)).collect();
        (parent, depth)
    }
}

/// Metrics built from a family's own figures.
impl Metrics {
    /// Metrics of a family whose figures are all exact (closed forms or exhaustive search),
    /// except possibly the bisection.
    pub(crate) fn exact(
        family: &impl Family,
        distances: Distances,
        bisection: Bisection,
    ) -> Metrics {
        Metrics::from_parts(family, distances, bisection, None)
    }

    /// Metrics from their parts; `samples` is `Some` when the distances are estimated.
    pub(crate) fn from_parts(
        family: &impl Family,
        distances: Distances,
        bisection: Bisection,
        samples: Option<u64>,
    ) -> Metrics {
        let chips = family.chips();
        let n = f64::from(chips);
        let pairs = n * (n - 1.0);
        Metrics {
            chips,
            links: family.links(),
            max_degree: family.max_ports(),
            mean_degree: family.port_total() as f64 / n,
            diameter: distances.diameter,
            mean_hops: if chips > 1 {
                distances.total_hops / pairs
            } else {
                0.0
            },
            bisection_width: bisection.width,
            exact: samples.is_none(),
            samples,
            bisection_exact: bisection.exact,
        }
    }
}
