//! 2-D mesh, 2-D torus and 3-D torus: chips on a grid of 2 or 3 dimensions, with or without
//! wrap-around links.
//!
//! Chip id `x + d0 * (y + d1 * z)` sits at coordinates `(x, y, z)`; dimension 0 varies fastest.
//! Routes are dimension-ordered: fix dimension 0 first, then 1, then 2. On a torus each
//! dimension goes the shorter way round, going upward when both ways are equally long (the ring
//! tie rule of [`super::ring`]).
//!
//! Link ids come in one block per dimension. A link along dimension `k` is named by its lower
//! end (the chip it leaves going upward): on a torus the block has one link per chip (id =
//! block start + chip); on a mesh the top layer of dimension `k` has no upward link, so the
//! chip's coordinate `k` counts in `0..d_k - 1` instead of `0..d_k`.

use super::ring::{ring_goes_up, ring_hop_sum};
use super::Family;
use crate::link::LinkEnds;
use crate::metrics::{Bisection, Distances, Metrics};

/// Largest number of dimensions.
const MAX_DIMS: usize = 3;

/// A mesh or torus of 2 or 3 dimensions. Torus sides are at least 3 (so that the two ways round
/// are distinct links); mesh sides at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    dims: [u32; MAX_DIMS],
    /// Distance in ids between neighbours along each dimension.
    strides: [u32; MAX_DIMS],
    /// First link id of each dimension's block.
    link_starts: [u32; MAX_DIMS],
    ndims: usize,
    wrap: bool,
    chips: u32,
    links: u32,
}

impl Grid {
    /// A grid with the given sides; the description checks the sizes and that chips and links
    /// fit in `u32`.
    pub(crate) fn new(sides: &[u32], wrap: bool) -> Self {
        let mut dims = [1; MAX_DIMS];
        dims[..sides.len()].copy_from_slice(sides);
        let mut strides = [0; MAX_DIMS];
        let mut link_starts = [0; MAX_DIMS];
        let mut stride = 1u32;
        let mut links = 0u32;
        let chips: u32 = sides.iter().product();
        for k in 0..sides.len() {
            strides[k] = stride;
            stride *= dims[k];
            link_starts[k] = links;
            links += links_along(chips, dims[k], wrap);
        }
        Grid {
            dims,
            strides,
            link_starts,
            ndims: sides.len(),
            wrap,
            chips,
            links,
        }
    }

    /// The sides of the grid.
    pub fn dims(&self) -> &[u32] {
        &self.dims[..self.ndims]
    }

    /// Whether the grid wraps around (a torus).
    pub fn wraps(&self) -> bool {
        self.wrap
    }

    /// Coordinate of `node` along dimension `k`.
    fn coord(&self, node: u32, k: usize) -> u32 {
        (node / self.strides[k]) % self.dims[k]
    }

    /// The chip one step up (`up`) or down dimension `k` from `node`, if any.
    fn neighbor(&self, node: u32, k: usize, up: bool) -> Option<u32> {
        let c = self.coord(node, k);
        let (d, s) = (self.dims[k], self.strides[k]);
        match (up, self.wrap) {
            (true, _) if c + 1 < d => Some(node + s),
            (true, true) => Some(node - c * s),
            (false, _) if c > 0 => Some(node - s),
            (false, true) => Some(node + (d - 1) * s),
            _ => None,
        }
    }

    /// Hops along one dimension between coordinates `a` and `b`.
    fn axis_distance(&self, k: usize, a: u32, b: u32) -> u32 {
        if self.wrap {
            let up = if b >= a { b - a } else { self.dims[k] - a + b };
            up.min(self.dims[k] - up)
        } else {
            a.abs_diff(b)
        }
    }

    /// The dimension along which `a` and `b` are neighbours, and the lower end of the link.
    fn link_axis(&self, a: u32, b: u32) -> Option<(usize, u32)> {
        (0..self.ndims).find_map(|k| {
            if self.neighbor(a, k, true) == Some(b) {
                Some((k, a))
            } else if self.neighbor(b, k, true) == Some(a) {
                Some((k, b))
            } else {
                None
            }
        })
    }

    /// Sides sorted from largest to smallest, ignoring sides of 1.
    fn sorted_sides(&self) -> Vec<u32> {
        let mut sides: Vec<u32> = self.dims().iter().copied().filter(|&d| d > 1).collect();
        sides.sort_unstable_by(|a, b| b.cmp(a));
        sides
    }
}

/// Links along one dimension of side `d` in a grid of `chips` chips.
fn links_along(chips: u32, d: u32, wrap: bool) -> u32 {
    if wrap {
        chips
    } else {
        chips / d * (d - 1)
    }
}

/// Sum over ordered pairs of a path of `d` chips of the hop count: `(d^3 - d) / 3`.
fn path_hop_sum(d: u32) -> u128 {
    let d = u128::from(d);
    (d * d * d - d) / 3
}

/// Balanced-cut width of a grid with `sides` (largest first, no side of 1).
///
/// Two constructions, the smaller wins:
/// - an even side `d` is cut across its middle: `chips / d` links, twice that with wrap-around;
/// - the largest side `a`, if odd, is cut beside its middle layer and the middle layer (a grid of
///   the remaining sides) is itself bisected: `chips / a` (doubled with wrap) plus that layer's
///   width, which balances the halves to `floor(n/2)` and `ceil(n/2)`.
///
/// The result is the exact bisection width for 2-D meshes (Rolim, Sýkora, Vrťo 1995: `b` for an
/// `a x b` mesh, `a >= b`, with `a` even, else `b + 1`), for 1-D paths and rings, and for tori
/// whose largest side is even (`2 n / a`); see [`grid_bisection_exact`].
fn grid_bisection(sides: &[u32], wrap: bool) -> u64 {
    let chips: u64 = sides.iter().map(|&d| u64::from(d)).product();
    if chips <= 1 {
        return 0;
    }
    let per_cut = if wrap { 2 } else { 1 };
    let even_cuts = sides
        .iter()
        .filter(|&&d| d % 2 == 0)
        .map(|&d| per_cut * chips / u64::from(d));
    let odd_cut = (sides[0] % 2 == 1)
        .then(|| per_cut * chips / u64::from(sides[0]) + grid_bisection(&sides[1..], wrap));
    even_cuts.chain(odd_cut).min().unwrap_or(0)
}

/// Whether [`grid_bisection`] is known to be the minimum for these sides (largest first).
fn grid_bisection_exact(sides: &[u32], wrap: bool) -> bool {
    let largest_even = sides.first().is_none_or(|d| d % 2 == 0);
    sides.len() <= 1 || largest_even || (sides.len() == 2 && !wrap)
}

impl Family for Grid {
    fn chips(&self) -> u32 {
        self.chips
    }

    fn push_neighbors(&self, node: u32, out: &mut Vec<u32>) {
        let start = out.len();
        for k in 0..self.ndims {
            out.extend(self.neighbor(node, k, false));
            out.extend(self.neighbor(node, k, true));
        }
        out[start..].sort_unstable();
    }

    fn step(&self, from: u32, to: u32) -> u32 {
        for k in 0..self.ndims {
            let (a, b) = (self.coord(from, k), self.coord(to, k));
            if a == b {
                continue;
            }
            let up = if self.wrap {
                let upward = if b >= a { b - a } else { self.dims[k] - a + b };
                ring_goes_up(upward, self.dims[k])
            } else {
                b > a
            };
            if let Some(next) = self.neighbor(from, k, up) {
                return next;
            }
        }
        from
    }

    fn distance(&self, from: u32, to: u32) -> u32 {
        (0..self.ndims)
            .map(|k| self.axis_distance(k, self.coord(from, k), self.coord(to, k)))
            .sum()
    }

    fn ports(&self, node: u32) -> u32 {
        (0..self.ndims)
            .map(|k| {
                u32::from(self.neighbor(node, k, false).is_some())
                    + u32::from(self.neighbor(node, k, true).is_some())
            })
            .sum()
    }

    fn max_ports(&self) -> u32 {
        self.dims()
            .iter()
            .map(|&d| if self.wrap { 2 } else { (d - 1).min(2) })
            .sum()
    }

    fn port_total(&self) -> u64 {
        2 * u64::from(self.links)
    }

    fn links(&self) -> u32 {
        self.links
    }

    fn link_between(&self, a: u32, b: u32) -> Option<u32> {
        let (k, lower) = self.link_axis(a, b)?;
        let index = if self.wrap {
            lower
        } else {
            let s = self.strides[k];
            let low = lower % s;
            let high = lower / (s * self.dims[k]);
            low + s * (self.coord(lower, k) + (self.dims[k] - 1) * high)
        };
        Some(self.link_starts[k] + index)
    }

    fn link_ends(&self, link: u32) -> LinkEnds {
        let k = (0..self.ndims)
            .rev()
            .find(|&k| link >= self.link_starts[k])
            .unwrap_or(0);
        let index = link - self.link_starts[k];
        let lower = if self.wrap {
            index
        } else {
            let s = self.strides[k];
            let low = index % s;
            let c = (index / s) % (self.dims[k] - 1);
            let high = index / (s * (self.dims[k] - 1));
            low + s * (c + self.dims[k] * high)
        };
        let upper = self.neighbor(lower, k, true).unwrap_or(lower);
        LinkEnds::pair(lower, upper)
    }

    fn shared_medium(&self) -> bool {
        false
    }

    /// Diameter: the sum over dimensions of `d - 1` (mesh) or `floor(d/2)` (torus). Hop sum:
    /// distances add up per dimension, so it is `sum_k (n / d_k)^2 * S(d_k)` with `S` the hop sum
    /// of one path or ring. Bisection: see [`grid_bisection`].
    fn metrics(&self) -> Metrics {
        let n = u128::from(self.chips);
        let mut diameter = 0;
        let mut total = 0u128;
        for &d in self.dims() {
            let (axis_diameter, axis_sum) = if self.wrap {
                (d / 2, ring_hop_sum(d))
            } else {
                (d - 1, path_hop_sum(d))
            };
            let others = n / u128::from(d);
            diameter += axis_diameter;
            total += others * others * axis_sum;
        }
        let distances = Distances {
            diameter,
            total_hops: total as f64,
        };
        let sides = self.sorted_sides();
        let width = grid_bisection(&sides, self.wrap);
        let bisection = if grid_bisection_exact(&sides, self.wrap) {
            Bisection::exact(width)
        } else {
            Bisection::upper_bound(width)
        };
        Metrics::exact(self, distances, bisection)
    }
}
