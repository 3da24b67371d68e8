//! What a link joins: two chips (point-to-point) or every chip on a shared medium.

use serde::Serialize;

/// The chips attached to one link.
///
/// Shared media (a bus) list their members as an arithmetic progression so that a medium
/// shared by a million chips is still described in O(1) memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LinkEnds {
    /// A point-to-point link between two chips, lower id first.
    Pair(u32, u32),
    /// A shared medium whose members are `first, first + stride, ..., first + (count-1)*stride`.
    Shared {
        /// Lowest member.
        first: u32,
        /// Distance between consecutive members.
        stride: u32,
        /// Number of members.
        count: u32,
    },
}

impl LinkEnds {
    /// A point-to-point link, ends ordered so the lower id comes first.
    pub(crate) fn pair(a: u32, b: u32) -> Self {
        LinkEnds::Pair(a.min(b), a.max(b))
    }

    /// Whether this link is a shared medium.
    pub fn is_shared(&self) -> bool {
        matches!(self, LinkEnds::Shared { .. })
    }

    /// Every chip attached to the link, in ascending order.
    pub fn members(&self) -> impl Iterator<Item = u32> + '_ {
        let (first, stride, count) = match *self {
            LinkEnds::Pair(a, b) => (a, b - a, 2),
            LinkEnds::Shared {
                first,
                stride,
                count,
            } => (first, stride, count),
        };
        (0..count).map(move |i| first + i * stride)
    }

    /// The same link with every member id `x` renumbered to `x * scale + offset` (how a group's
    /// or the top level's links appear inside a hierarchical topology).
    pub(crate) fn affine(self, scale: u32, offset: u32) -> Self {
        match self {
            LinkEnds::Pair(a, b) => LinkEnds::Pair(a * scale + offset, b * scale + offset),
            LinkEnds::Shared {
                first,
                stride,
                count,
            } => LinkEnds::Shared {
                first: first * scale + offset,
                stride: stride * scale,
                count,
            },
        }
    }
}
