//! Shared bus: one medium (an RS-485 line, an ESP-NOW broadcast channel) that every chip sits on.
//!
//! A hop is one transmission on the medium, and one transmission reaches any chip: every pair is
//! 1 hop apart and every chip neighbours every other. The medium is the single link 0 and each
//! chip uses one port on it. Because only one chip can transmit at a time, the simulator must
//! arbitrate: [`crate::Topology::is_shared_medium`] says so.

use super::Family;
use crate::link::LinkEnds;
use crate::metrics::{Bisection, Distances, Metrics};

/// The id of the one shared link.
const MEDIUM: u32 = 0;

/// A bus of `chips >= 2` chips.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bus {
    chips: u32,
}

impl Bus {
    /// A bus; `chips >= 2` is checked by the description.
    pub(crate) fn new(chips: u32) -> Self {
        Bus { chips }
    }
}

impl Family for Bus {
    fn chips(&self) -> u32 {
        self.chips
    }

    fn push_neighbors(&self, node: u32, out: &mut Vec<u32>) {
        out.extend((0..self.chips).filter(|&v| v != node));
    }

    fn step(&self, _from: u32, to: u32) -> u32 {
        to
    }

    fn distance(&self, from: u32, to: u32) -> u32 {
        u32::from(from != to)
    }

    fn ports(&self, _node: u32) -> u32 {
        1
    }

    fn max_ports(&self) -> u32 {
        1
    }

    fn port_total(&self) -> u64 {
        u64::from(self.chips)
    }

    fn links(&self) -> u32 {
        1
    }

    fn link_between(&self, _a: u32, _b: u32) -> Option<u32> {
        Some(MEDIUM)
    }

    fn link_ends(&self, _link: u32) -> LinkEnds {
        LinkEnds::Shared {
            first: 0,
            stride: 1,
            count: self.chips,
        }
    }

    fn shared_medium(&self) -> bool {
        true
    }

    /// Diameter 1, mean hops 1, bisection 1 (the medium is one link, crossed by any cut).
    fn metrics(&self) -> Metrics {
        let n = f64::from(self.chips);
        let distances = Distances {
            diameter: 1,
            total_hops: n * (n - 1.0),
        };
        Metrics::exact(self, distances, Bisection::exact(1))
    }

    fn distances_from(&self, _node: u32) -> (u32, u64) {
        (1, u64::from(self.chips - 1))
    }
}
