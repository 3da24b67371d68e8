//! Hierarchical: `G` groups, each wired internally as one topology (the *group*), whose gateway
//! chips are wired together as another topology (the *top*) — e.g. 5-chip SPI chains whose heads
//! form a hypercube.
//!
//! Chip `l` of group `g` has id `g * m + l` (`m` chips per group); group `g`'s gateway is chip
//! `gateway` of that group. Routes between groups go from the source to its group's gateway,
//! along the top topology's route between the gateways, then down to the destination. Because a
//! group touches the rest of the cluster only through its gateway, every path between groups
//! passes both gateways, so these routes are shortest paths when the group's and the top's are.
//!
//! Link ids: group `g`'s links are `g * L + i` (`L` links per group, `i` the group's own link
//! id); the top's links follow, `G * L + j`.

use super::Topology;
use crate::families::Family;
use crate::link::LinkEnds;
use crate::metrics::{Bisection, Distances, Metrics};

/// Groups of one topology joined through gateways by another.
#[derive(Debug, Clone)]
pub struct Hierarchical {
    group: Box<Topology>,
    top: Box<Topology>,
    gateway: u32,
    group_chips: u32,
    group_links: u32,
}

impl Hierarchical {
    /// Joins `top.chips()` copies of `group` through chip `gateway` of each; the description
    /// checks the gateway and that chips and links fit in `u32`.
    pub(crate) fn new(group: Topology, top: Topology, gateway: u32) -> Self {
        Hierarchical {
            group_chips: group.chips(),
            group_links: group.link_count(),
            group: Box::new(group),
            top: Box::new(top),
            gateway,
        }
    }

    /// The topology inside each group.
    pub fn group(&self) -> &Topology {
        &self.group
    }

    /// The topology joining the gateways (its node `g` is group `g`'s gateway).
    pub fn top(&self) -> &Topology {
        &self.top
    }

    /// Number of groups.
    pub fn groups(&self) -> u32 {
        self.top.chips()
    }

    /// Chips per group.
    pub fn group_chips(&self) -> u32 {
        self.group_chips
    }

    /// The group `node` belongs to.
    pub fn group_of(&self, node: u32) -> u32 {
        node / self.group_chips
    }

    /// The gateway chip of group `group`.
    pub fn gateway_of(&self, group: u32) -> u32 {
        group * self.group_chips + self.gateway
    }

    /// Whether `link` belongs to the top level (joins two gateways) rather than to a group.
    pub fn is_top_link(&self, link: u32) -> bool {
        link >= self.top_links_start()
    }

    /// Link id of the top level's link 0 (the top's link `j` is this plus `j`).
    pub fn top_links_start(&self) -> u32 {
        self.groups() * self.group_links
    }

    /// `(group, chip within the group)` of `node`.
    fn split(&self, node: u32) -> (u32, u32) {
        (node / self.group_chips, node % self.group_chips)
    }
}

impl Family for Hierarchical {
    fn chips(&self) -> u32 {
        self.groups() * self.group_chips
    }

    fn push_neighbors(&self, node: u32, out: &mut Vec<u32>) {
        let (g, l) = self.split(node);
        let start = out.len();
        self.group.push_neighbors(l, out);
        for v in &mut out[start..] {
            *v += g * self.group_chips;
        }
        if l == self.gateway {
            let top_start = out.len();
            self.top.push_neighbors(g, out);
            for v in &mut out[top_start..] {
                *v = *v * self.group_chips + self.gateway;
            }
        }
        out[start..].sort_unstable();
    }

    fn step(&self, from: u32, to: u32) -> u32 {
        let (g1, l1) = self.split(from);
        let (g2, l2) = self.split(to);
        let base = g1 * self.group_chips;
        if g1 == g2 {
            base + self.group.step(l1, l2)
        } else if l1 != self.gateway {
            base + self.group.step(l1, self.gateway)
        } else {
            self.gateway_of(self.top.step(g1, g2))
        }
    }

    fn distance(&self, from: u32, to: u32) -> u32 {
        let (g1, l1) = self.split(from);
        let (g2, l2) = self.split(to);
        if g1 == g2 {
            self.group.distance(l1, l2)
        } else {
            self.group.distance(l1, self.gateway)
                + self.top.distance(g1, g2)
                + self.group.distance(self.gateway, l2)
        }
    }

    fn ports(&self, node: u32) -> u32 {
        let (g, l) = self.split(node);
        let top = if l == self.gateway {
            self.top.ports(g)
        } else {
            0
        };
        self.group.ports(l) + top
    }

    fn max_ports(&self) -> u32 {
        self.group
            .max_ports()
            .max(self.group.ports(self.gateway) + self.top.max_ports())
    }

    fn port_total(&self) -> u64 {
        u64::from(self.groups()) * self.group.port_total() + self.top.port_total()
    }

    fn links(&self) -> u32 {
        self.top_links_start() + self.top.link_count()
    }

    fn link_between(&self, a: u32, b: u32) -> Option<u32> {
        let (g1, l1) = self.split(a);
        let (g2, l2) = self.split(b);
        if g1 == g2 {
            self.group
                .link_between(l1, l2)
                .map(|i| g1 * self.group_links + i)
        } else if l1 == self.gateway && l2 == self.gateway {
            self.top
                .link_between(g1, g2)
                .map(|j| self.top_links_start() + j)
        } else {
            None
        }
    }

    fn link_ends(&self, link: u32) -> LinkEnds {
        if self.is_top_link(link) {
            Family::link_ends(&*self.top, link - self.top_links_start())
                .affine(self.group_chips, self.gateway)
        } else {
            let g = link / self.group_links;
            Family::link_ends(&*self.group, link % self.group_links).affine(1, g * self.group_chips)
        }
    }

    fn shared_medium(&self) -> bool {
        self.group.shared_medium() || self.top.shared_medium()
    }

    /// With `G` groups of `m` chips, `e` the gateway's eccentricity and `D` its hop sum inside a
    /// group: diameter `max(group diameter, 2e + top diameter)`; hop sum
    /// `G * S_group + G(G-1) * 2m * D + m^2 * S_top`. Bisection (an upper bound): with `G` even,
    /// the top's balanced cut keeps whole groups on each side; with `G` odd, one group on the
    /// larger side also gives its non-gateway half (of a balanced cut of the group) to the other
    /// side, adding the group's bisection.
    fn metrics(&self) -> Metrics {
        let group = self.group.metrics();
        let top = self.top.metrics();
        let groups = self.groups();
        let (g, m) = (f64::from(groups), f64::from(self.group_chips));
        let (gateway_ecc, gateway_sum) = self.group.distances_from(self.gateway);
        let diameter = if groups == 1 {
            group.diameter
        } else {
            group.diameter.max(2 * gateway_ecc + top.diameter)
        };
        let total_hops = g * group.total_hops()
            + g * (g - 1.0) * 2.0 * m * gateway_sum as f64
            + m * m * top.total_hops();
        let width = if groups.is_multiple_of(2) {
            top.bisection_width
        } else {
            top.bisection_width + group.bisection_width
        };
        let samples = match (group.samples, top.samples) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0).max(b.unwrap_or(0))),
        };
        Metrics::from_parts(
            self,
            Distances {
                diameter,
                total_hops,
            },
            Bisection::upper_bound(width),
            samples,
        )
    }
}
