//! Custom wiring: an edge list the user actually built, held as a petgraph graph.
//!
//! Link `i` is the `i`-th edge of the list. Routes are BFS shortest paths with the lowest-id tie
//! rule: the next hop from `v` toward `t` is the lowest-numbered neighbour of `v` that is one hop
//! closer to `t`. Up to [`ROUTE_TABLE_MAX_CHIPS`] chips every route is precomputed into a table;
//! above that each query runs one BFS (O(chips + links) time and memory), so a simulator routing
//! many messages to one destination should take [`crate::Topology::spanning_tree`] of that
//! destination once: its parent pointers are exactly these next hops.

use std::collections::{BTreeSet, VecDeque};

use petgraph::graph::{NodeIndex, UnGraph};
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

use super::Family;
use crate::error::{Result, TopologyError};
use crate::link::LinkEnds;
use crate::metrics::{Bisection, Distances, Metrics};

/// Largest custom topology whose routes are precomputed (a table of `chips^2` entries).
pub const ROUTE_TABLE_MAX_CHIPS: u32 = 1024;
/// Largest custom topology whose metrics come from an all-pairs search; above, sampled.
pub const EXACT_METRICS_MAX_CHIPS: u32 = 4096;
/// BFS sources used to estimate the metrics of a larger custom topology.
pub const METRICS_SAMPLES: u64 = 64;
/// Seed of the ChaCha stream that picks the sampled sources (fixed: same wiring, same estimate).
const METRICS_SEED: u64 = 0x7275_7673_696d_0001;

/// One edge of a custom wiring as written by the user, with where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SourceEdge {
    /// Line number in a file (1-based) or index in an inline list (0-based).
    pub index: usize,
    /// First end.
    pub a: u32,
    /// Second end.
    pub b: u32,
}

/// Parses an edge-list file: one edge per line as two node ids separated by whitespace or a
/// comma; `#` starts a comment; blank lines are ignored.
pub(crate) fn parse_edge_list(text: &str, origin: &str) -> Result<Vec<SourceEdge>> {
    let mut edges = Vec::new();
    for (number, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let syntax = || TopologyError::EdgeSyntax {
            origin: origin.to_string(),
            line: number + 1,
            text: raw.to_string(),
        };
        let ids: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|t| !t.is_empty())
            .collect();
        let [a, b] = ids.as_slice() else {
            return Err(syntax());
        };
        let a = a.parse().map_err(|_| syntax())?;
        let b = b.parse().map_err(|_| syntax())?;
        edges.push(SourceEdge {
            index: number + 1,
            a,
            b,
        });
    }
    Ok(edges)
}

/// Precomputed next hops and hop counts, indexed `[to * chips + from]`.
#[derive(Debug, Clone)]
struct RouteTable {
    next: Vec<u32>,
    hops: Vec<u32>,
}

/// Result of one BFS toward a root: next hop toward the root and hop count, per chip.
struct Bfs {
    parent: Vec<u32>,
    depth: Vec<u32>,
    /// Chips in the order BFS reached them.
    order: Vec<u32>,
}

/// A connected custom wiring.
#[derive(Debug, Clone)]
pub struct Custom {
    graph: UnGraph<(), ()>,
    /// Neighbours of chip `v` are `targets[offsets[v]..offsets[v + 1]]`, ascending.
    offsets: Vec<u32>,
    targets: Vec<u32>,
    routes: Option<RouteTable>,
}

impl Custom {
    /// Builds and checks a wiring of `chips` chips from its edges: every node must exist, no
    /// self-loops, no duplicate edges, and the result must be connected.
    pub(crate) fn new(chips: u32, edges: &[SourceEdge], origin: &str) -> Result<Self> {
        let mut seen = BTreeSet::new();
        let mut graph = UnGraph::with_capacity(chips as usize, edges.len());
        for _ in 0..chips {
            graph.add_node(());
        }
        for e in edges {
            if let Some(node) = [e.a, e.b].into_iter().find(|&v| v >= chips) {
                return Err(TopologyError::UnknownNode {
                    origin: origin.to_string(),
                    index: e.index,
                    a: e.a,
                    b: e.b,
                    node,
                    chips,
                });
            }
            if e.a == e.b {
                return Err(TopologyError::SelfLoop {
                    origin: origin.to_string(),
                    index: e.index,
                    node: e.a,
                });
            }
            if !seen.insert((e.a.min(e.b), e.a.max(e.b))) {
                return Err(TopologyError::DuplicateEdge {
                    origin: origin.to_string(),
                    index: e.index,
                    a: e.a,
                    b: e.b,
                });
            }
            graph.add_edge(
                NodeIndex::new(e.a as usize),
                NodeIndex::new(e.b as usize),
                (),
            );
        }
        if u32::try_from(graph.edge_count()).is_err() {
            return Err(TopologyError::TooLarge {
                kind: "custom",
                what: "links",
                count: graph.edge_count() as u128,
                max: u64::from(u32::MAX),
            });
        }
        let (offsets, targets) = sorted_adjacency(&graph);
        let mut custom = Custom {
            graph,
            offsets,
            targets,
            routes: None,
        };
        let components = petgraph::algo::connected_components(&custom.graph);
        if components > 1 {
            let bfs = custom.bfs(0);
            let unreachable = (0..chips)
                .find(|&v| bfs.depth[v as usize] == u32::MAX)
                .unwrap_or(0);
            return Err(TopologyError::Disconnected {
                unreachable,
                components,
            });
        }
        if chips <= ROUTE_TABLE_MAX_CHIPS {
            custom.routes = Some(custom.route_table());
        }
        Ok(custom)
    }

    /// The petgraph graph: node index = chip id, edge index = link id.
    pub fn graph(&self) -> &UnGraph<(), ()> {
        &self.graph
    }

    fn neighbors_of(&self, v: u32) -> &[u32] {
        &self.targets[self.offsets[v as usize] as usize..self.offsets[v as usize + 1] as usize]
    }

    /// BFS from `root`; each chip's parent is its lowest-id neighbour one hop closer to `root`.
    /// Unreached chips keep depth `u32::MAX`.
    fn bfs(&self, root: u32) -> Bfs {
        let n = self.chips() as usize;
        let mut depth = vec![u32::MAX; n];
        let mut parent = vec![u32::MAX; n];
        let mut order = Vec::with_capacity(n);
        let mut queue = VecDeque::from([root]);
        depth[root as usize] = 0;
        parent[root as usize] = root;
        while let Some(v) = queue.pop_front() {
            order.push(v);
            for &u in self.neighbors_of(v) {
                if depth[u as usize] == u32::MAX {
                    depth[u as usize] = depth[v as usize] + 1;
                    queue.push_back(u);
                }
            }
        }
        for &v in &order[1..] {
            let closer = depth[v as usize] - 1;
            parent[v as usize] = self
                .neighbors_of(v)
                .iter()
                .copied()
                .find(|&u| depth[u as usize] == closer)
                .unwrap_or(root);
        }
        Bfs {
            parent,
            depth,
            order,
        }
    }

    fn route_table(&self) -> RouteTable {
        let n = self.chips() as usize;
        let mut next = Vec::with_capacity(n * n);
        let mut hops = Vec::with_capacity(n * n);
        for to in 0..self.chips() {
            let bfs = self.bfs(to);
            next.extend(bfs.parent);
            hops.extend(bfs.depth);
        }
        RouteTable { next, hops }
    }

    /// Balanced cut by BFS order from a peripheral chip (the last chip reached from chip 0): the
    /// first `floor(n/2)` chips reached form one half. An upper bound on the bisection width.
    fn bfs_order_bisection(&self) -> u64 {
        let far = *self.bfs(0).order.last().unwrap_or(&0);
        let order = self.bfs(far).order;
        let mut side = vec![false; order.len()];
        for &v in &order[..order.len() / 2] {
            side[v as usize] = true;
        }
        self.graph
            .edge_indices()
            .filter_map(|e| self.graph.edge_endpoints(e))
            .filter(|(a, b)| side[a.index()] != side[b.index()])
            .count() as u64
    }

    /// Diameter and hop sum from BFS over `sources` (all chips: exact).
    fn distances_over(&self, sources: impl Iterator<Item = u32>) -> (u32, f64, u64) {
        let (mut diameter, mut total, mut count) = (0, 0.0, 0);
        for s in sources {
            let (ecc, sum) = self.distances_from(s);
            diameter = diameter.max(ecc);
            total += sum as f64;
            count += 1;
        }
        (diameter, total, count)
    }

    /// `METRICS_SAMPLES` distinct sources drawn from a fixed ChaCha stream, in ascending order.
    fn sampled_sources(&self) -> BTreeSet<u32> {
        let mut rng = ChaCha8Rng::seed_from_u64(METRICS_SEED);
        let n = u64::from(self.chips());
        let mut sources = BTreeSet::new();
        while (sources.len() as u64) < METRICS_SAMPLES.min(n) {
            let pick = (u128::from(rng.next_u64()) * u128::from(n)) >> 64;
            sources.insert(pick as u32);
        }
        sources
    }
}

/// Ascending neighbour lists of every node of `graph`, as offsets into one target array.
fn sorted_adjacency(graph: &UnGraph<(), ()>) -> (Vec<u32>, Vec<u32>) {
    let mut offsets = Vec::with_capacity(graph.node_count() + 1);
    let mut targets = Vec::with_capacity(2 * graph.edge_count());
    offsets.push(0);
    for v in graph.node_indices() {
        let start = targets.len();
        targets.extend(graph.neighbors(v).map(|u| u.index() as u32));
        targets[start..].sort_unstable();
        offsets.push(targets.len() as u32);
    }
    (offsets, targets)
}

impl Family for Custom {
    fn chips(&self) -> u32 {
        self.graph.node_count() as u32
    }

    fn push_neighbors(&self, node: u32, out: &mut Vec<u32>) {
        out.extend_from_slice(self.neighbors_of(node));
    }

    fn step(&self, from: u32, to: u32) -> u32 {
        match &self.routes {
            Some(table) => table.next[to as usize * self.chips() as usize + from as usize],
            None => self.bfs(to).parent[from as usize],
        }
    }

    fn distance(&self, from: u32, to: u32) -> u32 {
        match &self.routes {
            Some(table) => table.hops[to as usize * self.chips() as usize + from as usize],
            None => self.bfs(to).depth[from as usize],
        }
    }

    fn ports(&self, node: u32) -> u32 {
        self.neighbors_of(node).len() as u32
    }

    fn max_ports(&self) -> u32 {
        (0..self.chips()).map(|v| self.ports(v)).max().unwrap_or(0)
    }

    fn port_total(&self) -> u64 {
        2 * self.graph.edge_count() as u64
    }

    fn links(&self) -> u32 {
        self.graph.edge_count() as u32
    }

    fn link_between(&self, a: u32, b: u32) -> Option<u32> {
        self.graph
            .find_edge(NodeIndex::new(a as usize), NodeIndex::new(b as usize))
            .map(|e| e.index() as u32)
    }

    fn link_ends(&self, link: u32) -> LinkEnds {
        let (a, b) = self
            .graph
            .edge_endpoints(petgraph::graph::EdgeIndex::new(link as usize))
            .map_or((0, 0), |(a, b)| (a.index() as u32, b.index() as u32));
        LinkEnds::pair(a, b)
    }

    fn shared_medium(&self) -> bool {
        false
    }

    /// Up to [`EXACT_METRICS_MAX_CHIPS`] chips: BFS from every chip (exact). Above: BFS from
    /// [`METRICS_SAMPLES`] sampled chips; the diameter is then the largest eccentricity seen (a
    /// lower bound) and the mean hops the sampled mean. Bisection: a BFS-order cut (upper bound).
    fn metrics(&self) -> Metrics {
        let n = self.chips();
        let bisection = Bisection::upper_bound(self.bfs_order_bisection());
        if n <= EXACT_METRICS_MAX_CHIPS {
            let (diameter, total_hops, _) = self.distances_over(0..n);
            Metrics::exact(
                self,
                Distances {
                    diameter,
                    total_hops,
                },
                bisection,
            )
        } else {
            let (diameter, sampled_total, count) =
                self.distances_over(self.sampled_sources().into_iter());
            let total_hops = sampled_total / count as f64 * f64::from(n);
            Metrics::from_parts(
                self,
                Distances {
                    diameter,
                    total_hops,
                },
                bisection,
                Some(count),
            )
        }
    }

    fn distances_from(&self, node: u32) -> (u32, u64) {
        let depth = match &self.routes {
            Some(table) => {
                let n = self.chips() as usize;
                table.hops[node as usize * n..(node as usize + 1) * n].to_vec()
            }
            None => self.bfs(node).depth,
        };
        depth
            .iter()
            .fold((0, 0), |(ecc, sum), &d| (ecc.max(d), sum + u64::from(d)))
    }

    fn toward_root(&self, root: u32) -> (Vec<u32>, Vec<u32>) {
        let bfs = self.bfs(root);
        (bfs.parent, bfs.depth)
    }
}
