//! Chain (pipeline): chips `0 - 1 - ... - (n-1)`, link `i` joins `i` and `i + 1`.

use super::Family;
use crate::link::LinkEnds;
use crate::metrics::{Bisection, Distances, Metrics};

/// A chain of `chips` chips.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chain {
    chips: u32,
}

impl Chain {
    /// A chain; `chips >= 1` is checked by the description.
    pub(crate) fn new(chips: u32) -> Self {
        Chain { chips }
    }
}

impl Family for Chain {
    fn chips(&self) -> u32 {
        self.chips
    }

    fn push_neighbors(&self, node: u32, out: &mut Vec<u32>) {
        if node > 0 {
            out.push(node - 1);
        }
        if node + 1 < self.chips {
            out.push(node + 1);
        }
    }

    fn step(&self, from: u32, to: u32) -> u32 {
        if to > from {
            from + 1
        } else {
            from - 1
        }
    }

    fn distance(&self, from: u32, to: u32) -> u32 {
        from.abs_diff(to)
    }

    fn ports(&self, node: u32) -> u32 {
        u32::from(node > 0) + u32::from(node + 1 < self.chips)
    }

    fn max_ports(&self) -> u32 {
        (self.chips - 1).min(2)
    }

    fn port_total(&self) -> u64 {
        2 * u64::from(self.links())
    }

    fn links(&self) -> u32 {
        self.chips - 1
    }

    fn link_between(&self, a: u32, b: u32) -> Option<u32> {
        (a.abs_diff(b) == 1).then_some(a.min(b))
    }

    fn link_ends(&self, link: u32) -> LinkEnds {
        LinkEnds::Pair(link, link + 1)
    }

    fn shared_medium(&self) -> bool {
        false
    }

    /// Diameter `n - 1`; hop sum over ordered pairs `(n^3 - n) / 3`; bisection 1 (one link
    /// joins the two halves of a chain).
    fn metrics(&self) -> Metrics {
        let n = u128::from(self.chips);
        let distances = Distances {
            diameter: self.chips - 1,
            total_hops: ((n * n * n - n) / 3) as f64,
        };
        Metrics::exact(
            self,
            distances,
            Bisection::exact(u64::from(self.chips >= 2)),
        )
    }

    fn distances_from(&self, node: u32) -> (u32, u64) {
        let left = u64::from(node);
        let right = u64::from(self.chips - 1 - node);
        let ecc = node.max(self.chips - 1 - node);
        (ecc, (left * (left + 1) + right * (right + 1)) / 2)
    }
}
