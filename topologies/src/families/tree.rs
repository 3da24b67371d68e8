//! k-ary tree in heap order: chip 0 is the root, the children of chip `v` are
//! `k*v + 1 ..= k*v + k` (those below `chips`), so every level is full except possibly the last,
//! which fills from the left. Routes climb to the lowest common ancestor and descend (up/down
//! routing). Link `c - 1` joins chip `c` to its parent.

use super::Family;
use crate::link::LinkEnds;
use crate::metrics::{Bisection, Distances, Metrics};

/// A complete `arity`-ary tree of `chips` chips (`arity >= 2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tree {
    arity: u32,
    chips: u32,
}

impl Tree {
    /// A tree; `arity >= 2` and `chips >= 1` are checked by the description.
    pub(crate) fn new(arity: u32, chips: u32) -> Self {
        Tree { arity, chips }
    }

    /// Children per chip.
    pub fn arity(&self) -> u32 {
        self.arity
    }

    fn parent(&self, v: u32) -> u32 {
        (v - 1) / self.arity
    }

    /// First child id of `v` (may be `>= chips`), in u64 so it cannot overflow.
    fn first_child(&self, v: u64) -> u64 {
        u64::from(self.arity) * v + 1
    }

    /// The children of `v` that exist.
    fn children(&self, v: u32) -> std::ops::Range<u32> {
        let first = self.first_child(u64::from(v));
        let end = (first + u64::from(self.arity)).min(u64::from(self.chips));
        let first = first.min(end);
        // Both bounds are at most `chips`, so they fit in u32.
        first as u32..end as u32
    }

    fn depth(&self, mut v: u32) -> u32 {
        let mut depth = 0;
        while v > 0 {
            v = self.parent(v);
            depth += 1;
        }
        depth
    }

    /// Number of chips in the subtree rooted at `v`: at each level below `v` its descendants are
    /// a contiguous id range, clipped to the chips that exist.
    fn subtree_size(&self, v: u32) -> u64 {
        let last = u64::from(self.chips - 1);
        let (mut lo, mut hi) = (u64::from(v), u64::from(v));
        let mut size = 0;
        while lo <= last {
            let top = hi.min(last);
            size += top - lo + 1;
            lo = self.first_child(lo);
            hi = self.first_child(top) + u64::from(self.arity) - 1;
        }
        size
    }

    /// The ancestor of `v` at depth `target` (`target <= depth(v)`).
    fn ancestor_at(&self, mut v: u32, mut depth: u32, target: u32) -> u32 {
        while depth > target {
            v = self.parent(v);
            depth -= 1;
        }
        v
    }

    /// Sum over all non-root chips `v` of `s(v) * (n - s(v))`, where `s` is the subtree size:
    /// the number of unordered pairs whose route uses the link above `v`. At each depth the
    /// chips left of the last chip's ancestor have full subtrees, those right of it subtrees one
    /// level shorter, so each depth costs O(depth) work.
    fn unordered_hop_sum(&self) -> u128 {
        let n = u64::from(self.chips);
        let last = self.chips - 1;
        let height = self.depth(last);
        let k = u64::from(self.arity);
        let pair_count = |s: u64| u128::from(s) * u128::from(n - s);
        // full[h] = chips in a full subtree of height h (only heights below `height` occur).
        let mut full = vec![1u64];
        for h in 1..height as usize {
            full.push(full[h - 1] * k + 1);
        }
        let mut total = 0u128;
        let mut level_first = 0u64;
        for t in 1..=height {
            level_first = level_first * k + 1;
            let level_last = (level_first * k).min(n - 1);
            let pivot = self.ancestor_at(last, height, t);
            let before = u64::from(pivot) - level_first;
            let after = level_last - u64::from(pivot);
            let tall = full[(height - t) as usize];
            let short = if t < height {
                full[(height - t - 1) as usize]
            } else {
                0
            };
            total += u128::from(before) * pair_count(tall)
                + pair_count(self.subtree_size(pivot))
                + u128::from(after) * pair_count(short);
        }
        total
    }

    /// Diameter: the deepest chip is the last one, at the tree's height `h`, in the subtree of
    /// the root's first child; the longest route joins it through the root to the deepest chip
    /// under another child of the root, at depth `h` if the last level reaches the second child's
    /// subtree and `h - 1` otherwise.
    fn diameter(&self) -> u32 {
        let height = self.depth(self.chips - 1);
        match self.chips {
            1 | 2 => self.chips - 1,
            _ => {
                let mut leftmost_under_second = 2u64;
                for _ in 1..height {
                    if leftmost_under_second >= u64::from(self.chips) {
                        break;
                    }
                    leftmost_under_second = self.first_child(leftmost_under_second);
                }
                let second = if leftmost_under_second < u64::from(self.chips) {
                    height
                } else {
                    height - 1
                };
                height + second
            }
        }
    }

    /// A balanced cut: walk down from the root cutting off whole subtrees that fit in the
    /// smaller half (largest first along the walk), descending into the first child that does
    /// not fit. Each cut-off subtree costs one link. Not always minimal: an upper bound.
    fn greedy_bisection(&self) -> u64 {
        let mut need = u64::from(self.chips / 2);
        let mut node = 0;
        let mut cuts = 0;
        while need > 0 {
            let mut descend = None;
            for child in self.children(node) {
                let size = self.subtree_size(child);
                if size <= need {
                    cuts += 1;
                    need -= size;
                    if need == 0 {
                        break;
                    }
                } else if descend.is_none() {
                    descend = Some(child);
                }
            }
            match descend {
                Some(child) if need > 0 => node = child,
                _ => break,
            }
        }
        cuts
    }
}

impl Family for Tree {
    fn chips(&self) -> u32 {
        self.chips
    }

    fn push_neighbors(&self, node: u32, out: &mut Vec<u32>) {
        if node > 0 {
            out.push(self.parent(node));
        }
        out.extend(self.children(node));
    }

    fn step(&self, from: u32, to: u32) -> u32 {
        // Climb from `to` toward the root; if we meet `from`, the chip just below it is the way
        // down. Ancestors have smaller ids, so stop once below `from`.
        let mut below = to;
        let mut v = to;
        while v > from {
            below = v;
            v = self.parent(v);
        }
        if v == from {
            below
        } else {
            self.parent(from)
        }
    }

    fn distance(&self, from: u32, to: u32) -> u32 {
        let (mut a, mut b, mut hops) = (from, to, 0);
        while a != b {
            if a > b {
                a = self.parent(a);
            } else {
                b = self.parent(b);
            }
            hops += 1;
        }
        hops
    }

    fn ports(&self, node: u32) -> u32 {
        u32::from(node > 0) + self.children(node).len() as u32
    }

    fn max_ports(&self) -> u32 {
        let root = self.ports(0);
        if self.chips > 1 {
            root.max(self.ports(1))
        } else {
            root
        }
    }

    fn port_total(&self) -> u64 {
        2 * u64::from(self.links())
    }

    fn links(&self) -> u32 {
        self.chips - 1
    }

    fn link_between(&self, a: u32, b: u32) -> Option<u32> {
        let (upper, lower) = (a.min(b), a.max(b));
        (self.parent(lower) == upper).then_some(lower - 1)
    }

    fn link_ends(&self, link: u32) -> LinkEnds {
        let child = link + 1;
        LinkEnds::Pair(self.parent(child), child)
    }

    fn shared_medium(&self) -> bool {
        false
    }

    /// Diameter and hop sum in closed form (see [`Tree::diameter`], [`Tree::unordered_hop_sum`]);
    /// bisection from [`Tree::greedy_bisection`], an upper bound.
    fn metrics(&self) -> Metrics {
        let distances = Distances {
            diameter: self.diameter(),
            total_hops: (2 * self.unordered_hop_sum()) as f64,
        };
        let bisection = if self.chips <= 2 {
            Bisection::exact(u64::from(self.chips / 2))
        } else {
            Bisection::upper_bound(self.greedy_bisection())
        };
        Metrics::exact(self, distances, bisection)
    }
}
