//! Ring: chips `0..n` in a cycle, link `i` joins `i` and `(i + 1) mod n`. Routes take the shorter
//! way round; when both ways are equally long (even `n`, opposite chips) they go upward
//! (increasing ids, wrapping).

use super::Family;
use crate::link::LinkEnds;
use crate::metrics::{Bisection, Distances, Metrics};

/// A ring of `chips >= 3` chips.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ring {
    chips: u32,
}

impl Ring {
    /// A ring; `chips >= 3` is checked by the description.
    pub(crate) fn new(chips: u32) -> Self {
        Ring { chips }
    }

    /// Hops from `from` to `to` going upward (increasing ids, wrapping).
    fn upward(&self, from: u32, to: u32) -> u32 {
        if to >= from {
            to - from
        } else {
            self.chips - from + to
        }
    }
}

/// Whether a route `upward` hops up a ring of `size` goes up (the shorter way; ties go up).
pub(crate) fn ring_goes_up(upward: u32, size: u32) -> bool {
    u64::from(upward) * 2 <= u64::from(size)
}

/// Sum over ordered pairs of one ring of `size` chips of the hop count: `size * floor(size^2 / 4)`.
pub(crate) fn ring_hop_sum(size: u32) -> u128 {
    let d = u128::from(size);
    d * (d * d / 4)
}

impl Family for Ring {
    fn chips(&self) -> u32 {
        self.chips
    }

    fn push_neighbors(&self, node: u32, out: &mut Vec<u32>) {
        let down = if node == 0 { self.chips - 1 } else { node - 1 };
        let up = if node + 1 == self.chips { 0 } else { node + 1 };
        out.push(down.min(up));
        out.push(down.max(up));
    }

    fn step(&self, from: u32, to: u32) -> u32 {
        if ring_goes_up(self.upward(from, to), self.chips) {
            if from + 1 == self.chips {
                0
            } else {
                from + 1
            }
        } else if from == 0 {
            self.chips - 1
        } else {
            from - 1
        }
    }

    fn distance(&self, from: u32, to: u32) -> u32 {
        let up = self.upward(from, to);
        up.min(self.chips - up)
    }

    fn ports(&self, _node: u32) -> u32 {
        2
    }

    fn max_ports(&self) -> u32 {
        2
    }

    fn port_total(&self) -> u64 {
        2 * u64::from(self.chips)
    }

    fn links(&self) -> u32 {
        self.chips
    }

    fn link_between(&self, a: u32, b: u32) -> Option<u32> {
        if self.upward(a, b) == 1 {
            Some(a)
        } else if self.upward(b, a) == 1 {
            Some(b)
        } else {
            None
        }
    }

    fn link_ends(&self, link: u32) -> LinkEnds {
        LinkEnds::pair(link, (link + 1) % self.chips)
    }

    fn shared_medium(&self) -> bool {
        false
    }

    /// Diameter `floor(n / 2)`; hop sum `n * floor(n^2 / 4)`; bisection 2 (any balanced cut of
    /// a cycle crosses it at least twice, and cutting it into two arcs crosses exactly twice).
    fn metrics(&self) -> Metrics {
        let distances = Distances {
            diameter: self.chips / 2,
            total_hops: ring_hop_sum(self.chips) as f64,
        };
        Metrics::exact(self, distances, Bisection::exact(2))
    }

    fn distances_from(&self, _node: u32) -> (u32, u64) {
        let n = u64::from(self.chips);
        (self.chips / 2, n * n / 4)
    }
}
