//! Broadcast and reduction trees: a spanning tree rooted at one chip, in flat arrays.

use serde::Serialize;

/// A spanning tree rooted at one chip: every chip appears exactly once, with its parent (one
/// link closer to the root) and depth.
///
/// A broadcast sends from each chip to its children in [`SpanningTree::broadcast_order`] (root
/// first, by depth then id); a reduction sends each chip's partial result to its parent in
/// [`SpanningTree::reduction_order`] (deepest first), so every chip has heard from all its
/// children before it sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpanningTree {
    root: u32,
    parent: Vec<u32>,
    depth: Vec<u32>,
    /// Chips by (depth, id).
    order: Vec<u32>,
    /// Children of chip `v` are `children[child_start[v]..child_start[v + 1]]`, ascending.
    child_start: Vec<u32>,
    children: Vec<u32>,
}

impl SpanningTree {
    /// Builds the tree from each chip's parent (the root is its own parent) and depth.
    pub(crate) fn from_parents(root: u32, parent: Vec<u32>, depth: Vec<u32>) -> Self {
        let n = parent.len();
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_by_key(|&v| (depth[v as usize], v));
        let mut child_start = vec![0u32; n + 1];
        for (v, &p) in parent.iter().enumerate() {
            if v as u32 != root {
                child_start[p as usize + 1] += 1;
            }
        }
        for v in 0..n {
            child_start[v + 1] += child_start[v];
        }
        let mut fill = child_start.clone();
        let mut children = vec![0u32; n.saturating_sub(1)];
        for (v, &p) in parent.iter().enumerate() {
            if v as u32 != root {
                children[fill[p as usize] as usize] = v as u32;
                fill[p as usize] += 1;
            }
        }
        SpanningTree {
            root,
            parent,
            depth,
            order,
            child_start,
            children,
        }
    }

    /// The root chip.
    pub fn root(&self) -> u32 {
        self.root
    }

    /// Number of chips in the tree.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// Whether the tree is empty (never, for a built topology).
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// The parent of `node` (`None` for the root or an unknown chip).
    pub fn parent(&self, node: u32) -> Option<u32> {
        let p = *self.parent.get(node as usize)?;
        (node != self.root).then_some(p)
    }

    /// The children of `node`, ascending (empty for an unknown chip).
    pub fn children(&self, node: u32) -> &[u32] {
        match (
            self.child_start.get(node as usize),
            self.child_start.get(node as usize + 1),
        ) {
            (Some(&a), Some(&b)) => &self.children[a as usize..b as usize],
            _ => &[],
        }
    }

    /// Hops from `node` to the root (`None` for an unknown chip).
    pub fn depth(&self, node: u32) -> Option<u32> {
        self.depth.get(node as usize).copied()
    }

    /// The largest depth: rounds a broadcast needs when each chip sends to its children at once.
    pub fn height(&self) -> u32 {
        self.depth.iter().copied().max().unwrap_or(0)
    }

    /// Chips from the root outward, by depth then id.
    pub fn broadcast_order(&self) -> &[u32] {
        &self.order
    }

    /// Chips from the deepest inward, ending with the root.
    pub fn reduction_order(&self) -> impl Iterator<Item = u32> + '_ {
        self.order.iter().rev().copied()
    }
}
