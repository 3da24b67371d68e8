//! Switched: every chip has one attachment to a network that is not chip wiring (an Ethernet
//! switch, Wi-Fi access points, ESP-NOW channels) and reaches every other chip in one hop through
//! it. It is the top level of a `hierarchical` topology whose groups' gateways sit on a backbone;
//! the scenario's `cluster.backbone` says what the network is, and the simulator prices a hop
//! through it (the sender's interface, the network, the receiver's interface).
//!
//! Link `i` is chip `i`'s attachment, so a hop from `a` to `b` leaves through link `a` and
//! arrives through link `b`. An attachment uses the backbone's own interface (an EMAC, an
//! SPI-Ethernet chip, the radio), not one of the chip-link ports that a port budget counts, so
//! the family reports no ports.

use super::Family;
use crate::link::LinkEnds;
use crate::metrics::{Bisection, Distances, Metrics};

/// `chips` chips on one switched network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Switched {
    chips: u32,
}

impl Switched {
    /// A switched network; `chips >= 1` is checked by the description.
    pub(crate) fn new(chips: u32) -> Self {
        Switched { chips }
    }
}

impl Family for Switched {
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
        0
    }

    fn max_ports(&self) -> u32 {
        0
    }

    fn port_total(&self) -> u64 {
        0
    }

    fn links(&self) -> u32 {
        self.chips
    }

    /// The sender's attachment.
    fn link_between(&self, a: u32, _b: u32) -> Option<u32> {
        Some(a)
    }

    fn link_ends(&self, link: u32) -> LinkEnds {
        LinkEnds::Shared {
            first: link,
            stride: 1,
            count: 1,
        }
    }

    fn shared_medium(&self) -> bool {
        false
    }

    /// Diameter 1, mean hops 1; bisection `floor(n/2)`: a non-blocking switch carries every
    /// attachment at its own rate, so a cut separates the smaller half's attachments.
    fn metrics(&self) -> Metrics {
        let n = f64::from(self.chips);
        let distances = Distances {
            diameter: u32::from(self.chips > 1),
            total_hops: n * (n - 1.0),
        };
        Metrics::exact(self, distances, Bisection::exact(u64::from(self.chips / 2)))
    }

    fn distances_from(&self, _node: u32) -> (u32, u64) {
        (u32::from(self.chips > 1), u64::from(self.chips - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chip_is_one_hop_from_every_other_through_its_own_attachment() {
        let net = Switched::new(4);
        assert_eq!(net.step(0, 3), 3);
        assert_eq!(net.distance(1, 2), 1);
        assert_eq!(net.distance(2, 2), 0);
        assert_eq!(net.link_between(2, 0), Some(2));
        assert_eq!(net.links(), 4);
        assert_eq!(net.max_ports(), 0);
        let mut out = Vec::new();
        net.push_neighbors(1, &mut out);
        assert_eq!(out, vec![0, 2, 3]);
        let metrics = net.metrics();
        assert_eq!(metrics.diameter, 1);
        assert_eq!(metrics.bisection_width, 2);
        assert!((metrics.mean_hops - 1.0).abs() < 1e-12);
    }
}
