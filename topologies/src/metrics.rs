//! Graph metrics: what a topology costs (links, ports) and what it gives (diameter, mean hops,
//! bisection width), with an honest marker of how each number was obtained.

use serde::{Deserialize, Serialize};

/// Size and quality figures of a topology.
///
/// Regular families fill this from closed forms at any size. Custom wirings are computed exactly
/// over the graph when small and estimated from sampled sources when large; `exact` and
/// `samples` say which. Degrees count ports: a chip on a shared medium uses one port for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Number of chips.
    pub chips: u32,
    /// Number of links (a shared medium counts once).
    pub links: u32,
    /// Ports used by the busiest chip.
    pub max_degree: u32,
    /// Ports used per chip, on average.
    pub mean_degree: f64,
    /// Largest hop count between two chips (a lower bound when sampled).
    pub diameter: u32,
    /// Mean hop count over ordered pairs of distinct chips (0 for a single chip).
    pub mean_hops: f64,
    /// Fewest links whose removal splits the chips into halves of `floor(n/2)` and `ceil(n/2)`
    /// (a shared medium counts as one link). An upper bound when `bisection_exact` is false.
    pub bisection_width: u64,
    /// Whether `diameter` and `mean_hops` are exact (closed form or all-pairs search).
    pub exact: bool,
    /// How many BFS sources the estimate used, when `exact` is false.
    pub samples: Option<u64>,
    /// Whether `bisection_width` is exact; otherwise it is the size of a constructed balanced
    /// cut, an upper bound.
    pub bisection_exact: bool,
}

/// Hop-distance figures of a topology: diameter and the sum of hop counts over ordered pairs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Distances {
    /// Largest hop count.
    pub diameter: u32,
    /// Sum of hop counts over all ordered pairs of distinct chips.
    pub total_hops: f64,
}

/// A bisection width and whether it is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bisection {
    /// Links crossing the cut.
    pub width: u64,
    /// Exact, or an upper bound from a constructed cut.
    pub exact: bool,
}

impl Bisection {
    /// A width known to be the minimum.
    pub fn exact(width: u64) -> Self {
        Bisection { width, exact: true }
    }
    /// A width achieved by a constructed cut, not proven minimal.
    pub fn upper_bound(width: u64) -> Self {
        Bisection {
            width,
            exact: false,
        }
    }
}

impl Metrics {
    /// The sum of hop counts over ordered pairs, recovered from the mean.
    pub(crate) fn total_hops(&self) -> f64 {
        let n = f64::from(self.chips);
        self.mean_hops * n * (n - 1.0)
    }
}
