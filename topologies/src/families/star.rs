//! Star: chip 0 is the hub, every other chip a leaf wired to it; link `i - 1` joins the hub and
//! leaf `i`. Leaf-to-leaf routes go through the hub.

use super::Family;
use crate::link::LinkEnds;
use crate::metrics::{Bisection, Distances, Metrics};

/// The hub's id.
const HUB: u32 = 0;

/// A star of `chips` chips (hub plus `chips - 1` leaves).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Star {
    chips: u32,
}

impl Star {
    /// A star; `chips >= 1` is checked by the description.
    pub(crate) fn new(chips: u32) -> Self {
        Star { chips }
    }
}

impl Family for Star {
    fn chips(&self) -> u32 {
        self.chips
    }

    fn push_neighbors(&self, node: u32, out: &mut Vec<u32>) {
        if node == HUB {
            out.extend(1..self.chips);
        } else {
            out.push(HUB);
        }
    }

    fn step(&self, from: u32, to: u32) -> u32 {
        if from == HUB {
            to
        } else {
            HUB
        }
    }

    fn distance(&self, from: u32, to: u32) -> u32 {
        if from == to {
            0
        } else if from == HUB || to == HUB {
            1
        } else {
            2
        }
    }

    fn ports(&self, node: u32) -> u32 {
        if node == HUB {
            self.chips - 1
        } else {
            1
        }
    }

    fn max_ports(&self) -> u32 {
        (self.chips - 1).max(u32::from(self.chips > 1))
    }

    fn port_total(&self) -> u64 {
        2 * u64::from(self.links())
    }

    fn links(&self) -> u32 {
        self.chips - 1
    }

    fn link_between(&self, a: u32, b: u32) -> Option<u32> {
        match (a, b) {
            (HUB, leaf) | (leaf, HUB) => Some(leaf - 1),
            _ => None,
        }
    }

    fn link_ends(&self, link: u32) -> LinkEnds {
        LinkEnds::Pair(HUB, link + 1)
    }

    fn shared_medium(&self) -> bool {
        false
    }

    /// Diameter 2 (1 for two chips); hop sum `2(n-1) + 2(n-1)(n-2)`; bisection `floor(n/2)`: the
    /// half without the hub has at least `floor(n/2)` leaves, each cut off by its own link.
    fn metrics(&self) -> Metrics {
        let n = u128::from(self.chips);
        let leaves = n.saturating_sub(1);
        let distances = Distances {
            diameter: self.chips.saturating_sub(1).min(2),
            total_hops: (2 * leaves + 2 * leaves * leaves.saturating_sub(1)) as f64,
        };
        Metrics::exact(self, distances, Bisection::exact(u64::from(self.chips / 2)))
    }

    fn distances_from(&self, node: u32) -> (u32, u64) {
        let leaves = u64::from(self.chips - 1);
        if node == HUB {
            (u32::from(self.chips > 1), leaves)
        } else {
            let ecc = if self.chips > 2 { 2 } else { 1 };
            (ecc, 1 + 2 * (leaves - 1))
        }
    }
}
