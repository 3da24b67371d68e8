//! Hypercube of dimension `d`: `2^d` chips, chip `v` wired to `v ^ (1 << k)` for each bit `k`.
//! Routes fix differing bits from the lowest up (dimension order). The link across bit `k`
//! between `v` and `v ^ (1 << k)` has id `k * 2^(d-1) + (v with bit k removed)`.

use super::Family;
use crate::link::LinkEnds;
use crate::metrics::{Bisection, Distances, Metrics};

/// A hypercube of dimension `dimension <= 31`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hypercube {
    dimension: u32,
}

impl Hypercube {
    /// A hypercube; the description checks that chips and links fit in `u32`.
    pub(crate) fn new(dimension: u32) -> Self {
        Hypercube { dimension }
    }

    /// The dimension `d` (chips = `2^d`).
    pub fn dimension(&self) -> u32 {
        self.dimension
    }

    /// Links per bit: `2^(d-1)`.
    fn links_per_bit(&self) -> u32 {
        (1u32 << self.dimension) >> 1
    }
}

impl Family for Hypercube {
    fn chips(&self) -> u32 {
        1u32 << self.dimension
    }

    fn push_neighbors(&self, node: u32, out: &mut Vec<u32>) {
        let start = out.len();
        out.extend((0..self.dimension).map(|k| node ^ (1 << k)));
        out[start..].sort_unstable();
    }

    fn step(&self, from: u32, to: u32) -> u32 {
        let diff = from ^ to;
        from ^ (diff & diff.wrapping_neg())
    }

    fn distance(&self, from: u32, to: u32) -> u32 {
        (from ^ to).count_ones()
    }

    fn ports(&self, _node: u32) -> u32 {
        self.dimension
    }

    fn max_ports(&self) -> u32 {
        self.dimension
    }

    fn port_total(&self) -> u64 {
        u64::from(self.dimension) << self.dimension
    }

    fn links(&self) -> u32 {
        self.dimension * self.links_per_bit()
    }

    fn link_between(&self, a: u32, b: u32) -> Option<u32> {
        let diff = a ^ b;
        if !diff.is_power_of_two() {
            return None;
        }
        let bit = diff.trailing_zeros();
        let low = a & ((1 << bit) - 1);
        let high = (a >> (bit + 1)) << bit;
        Some(bit * self.links_per_bit() + (high | low))
    }

    fn link_ends(&self, link: u32) -> LinkEnds {
        let bit = link / self.links_per_bit();
        let rest = link % self.links_per_bit();
        let low = rest & ((1 << bit) - 1);
        let high = (rest >> bit) << (bit + 1);
        let a = high | low;
        LinkEnds::Pair(a, a | (1 << bit))
    }

    fn shared_medium(&self) -> bool {
        false
    }

    /// Diameter `d`; hop sum `2^d * d * 2^(d-1)` (each chip sees `C(d, k)` chips at `k` hops);
    /// bisection `2^(d-1)`: cutting across one bit is optimal (the hypercube's edge-isoperimetric
    /// inequality).
    fn metrics(&self) -> Metrics {
        let d = u128::from(self.dimension);
        let n = 1u128 << self.dimension;
        let distances = Distances {
            diameter: self.dimension,
            total_hops: (n * d * n / 2) as f64,
        };
        Metrics::exact(
            self,
            distances,
            Bisection::exact(u64::from(self.links_per_bit())),
        )
    }

    fn distances_from(&self, _node: u32) -> (u32, u64) {
        let d = u64::from(self.dimension);
        (self.dimension, (d << self.dimension) / 2)
    }
}
