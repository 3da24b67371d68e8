//! Reference computations for the tests, independent of the crate's routing code: the topology
//! is materialised as a petgraph graph (from its link list) and searched with petgraph's own
//! algorithms or brute force.

#![allow(dead_code)] // each test binary uses a different subset

use std::collections::BTreeSet;

use petgraph::algo::dijkstra;
use petgraph::graph::{NodeIndex, UnGraph};
use ruvsim_topologies::Topology;

/// All-pairs hop counts by Dijkstra with unit weights over the materialised graph.
pub fn all_pairs(graph: &UnGraph<u32, u32>) -> Vec<Vec<u32>> {
    let n = graph.node_count();
    (0..n)
        .map(|s| {
            let dist = dijkstra(graph, NodeIndex::new(s), None, |_| 1u32);
            (0..n)
                .map(|t| *dist.get(&NodeIndex::new(t)).expect("connected graph"))
                .collect()
        })
        .collect()
}

/// Fewest distinct links (edge weights) crossing a cut into `floor(n/2)` / `ceil(n/2)` chips,
/// by trying every subset of `floor(n/2)` chips.
pub fn brute_force_bisection(graph: &UnGraph<u32, u32>) -> u64 {
    let n = graph.node_count();
    assert!(n <= 16, "brute force is for very small graphs");
    let edges: Vec<(usize, usize, u32)> = graph
        .edge_indices()
        .map(|e| {
            let (a, b) = graph.edge_endpoints(e).unwrap();
            (a.index(), b.index(), graph[e])
        })
        .collect();
    let mut best = u64::MAX;
    for side in 0u32..(1 << n) {
        if side.count_ones() as usize != n / 2 {
            continue;
        }
        let crossing: BTreeSet<u32> = edges
            .iter()
            .filter(|(a, b, _)| (side >> a & 1) != (side >> b & 1))
            .map(|&(_, _, link)| link)
            .collect();
        best = best.min(crossing.len() as u64);
    }
    if n < 2 {
        0
    } else {
        best
    }
}

/// Checks every routing, link, tree and metric property of a small topology against the
/// materialised graph. Panics with the topology's kind and the pair on the first mismatch.
pub fn check_topology(topology: &Topology) {
    let n = topology.chips();
    let kind = topology.kind();
    let graph = topology.to_graph().expect("small topology");
    let dist = all_pairs(&graph);

    // Neighbours (arithmetic) agree with the link list (materialised graph).
    for v in 0..n {
        let from_links: BTreeSet<u32> = graph
            .neighbors(NodeIndex::new(v as usize))
            .map(|u| u.index() as u32)
            .collect();
        let arithmetic = topology.neighbors(v).unwrap();
        assert!(
            arithmetic.windows(2).all(|w| w[0] < w[1]),
            "{kind}: neighbors of {v} not ascending"
        );
        assert_eq!(
            arithmetic,
            from_links.into_iter().collect::<Vec<_>>(),
            "{kind}: neighbors of {v}"
        );
    }

    // Link ids: symmetric, in range, their ends contain both chips; point-to-point links are
    // named by exactly one pair; degrees count the links a chip sits on.
    let mut pairs_per_link = vec![0u32; topology.link_count() as usize];
    let mut links_per_chip = vec![0u32; n as usize];
    for link in 0..topology.link_count() {
        for v in topology.link_ends(link).unwrap().members() {
            links_per_chip[v as usize] += 1;
        }
    }
    for a in 0..n {
        for &b in &topology.neighbors(a).unwrap() {
            let id = topology.link_id(a, b).unwrap();
            assert_eq!(
                id,
                topology.link_id(b, a).unwrap(),
                "{kind}: link id of {a}-{b}"
            );
            let ends = topology.link_ends(id).unwrap();
            let members: Vec<u32> = ends.members().collect();
            assert!(
                members.contains(&a) && members.contains(&b),
                "{kind}: ends of link {id}"
            );
            if a < b {
                pairs_per_link[id as usize] += 1;
            }
        }
        assert_eq!(
            topology.degree(a).unwrap(),
            links_per_chip[a as usize],
            "{kind}: degree of {a}"
        );
    }
    for link in 0..topology.link_count() {
        let ends = topology.link_ends(link).unwrap();
        if !ends.is_shared() {
            assert_eq!(
                pairs_per_link[link as usize], 1,
                "{kind}: link {link} named by one pair"
            );
        }
    }
    assert_eq!(
        topology.max_degree(),
        links_per_chip.iter().copied().max().unwrap_or(0),
        "{kind}: max degree"
    );

    // Routes: valid paths of shortest length; following next_hop arrives.
    for from in 0..n {
        for to in 0..n {
            let route = topology.route(from, to).unwrap();
            let hops = topology.hops(from, to).unwrap();
            assert_eq!(route.first(), Some(&from));
            assert_eq!(route.last(), Some(&to));
            assert_eq!(
                route.len() as u32 - 1,
                hops,
                "{kind}: route length {from}->{to}"
            );
            assert_eq!(
                hops, dist[from as usize][to as usize],
                "{kind}: shortest {from}->{to}"
            );
            for w in route.windows(2) {
                assert!(
                    topology.link_id(w[0], w[1]).is_ok(),
                    "{kind}: route {from}->{to} jumps {}->{}",
                    w[0],
                    w[1]
                );
            }
            let (mut at, mut steps) = (from, 0);
            while let Some(next) = topology.next_hop(at, to).unwrap() {
                at = next;
                steps += 1;
                assert!(steps <= n, "{kind}: next_hop loops on {from}->{to}");
            }
            assert_eq!(at, to);
        }
    }

    // Broadcast/reduction trees from every root.
    for root in 0..n {
        let tree = topology.spanning_tree(root).unwrap();
        let mut seen = vec![false; n as usize];
        for &v in tree.broadcast_order() {
            assert!(
                !seen[v as usize],
                "{kind}: chip {v} twice in tree of {root}"
            );
            seen[v as usize] = true;
            match tree.parent(v) {
                None => assert_eq!(v, root),
                Some(p) => {
                    assert!(topology.link_id(v, p).is_ok(), "{kind}: tree edge {v}-{p}");
                    assert!(tree.children(p).contains(&v));
                    assert_eq!(tree.depth(v), tree.depth(p).map(|d| d + 1));
                }
            }
            assert_eq!(tree.depth(v), Some(dist[root as usize][v as usize]));
        }
        assert!(
            seen.iter().all(|&s| s),
            "{kind}: tree of {root} misses a chip"
        );
        let children: usize = (0..n).map(|v| tree.children(v).len()).sum();
        assert_eq!(children, n as usize - 1);
        let eccentricity = dist[root as usize].iter().copied().max().unwrap_or(0);
        assert_eq!(
            tree.height(),
            eccentricity,
            "{kind}: tree height from {root}"
        );
        assert_eq!(tree.reduction_order().last(), Some(root));
    }

    check_metrics(topology, &graph, &dist);
}

/// Metrics against the graph: counts, degrees, diameter, mean hops, and (up to 16 chips) the
/// bisection width by brute force.
pub fn check_metrics(topology: &Topology, graph: &UnGraph<u32, u32>, dist: &[Vec<u32>]) {
    let kind = topology.kind();
    let n = topology.chips();
    let metrics = topology.metrics();
    assert!(metrics.exact, "{kind}: small metrics are exact");
    assert_eq!(metrics.chips, n);
    assert_eq!(metrics.links, topology.link_count());
    assert_eq!(metrics.max_degree, topology.max_degree());
    let port_sum: u32 = (0..n).map(|v| topology.degree(v).unwrap()).sum();
    assert!((metrics.mean_degree - f64::from(port_sum) / f64::from(n)).abs() < 1e-9);
    let diameter = dist.iter().flatten().copied().max().unwrap_or(0);
    assert_eq!(metrics.diameter, diameter, "{kind}: diameter");
    let total: u64 = dist.iter().flatten().map(|&d| u64::from(d)).sum();
    let mean = if n > 1 {
        total as f64 / (f64::from(n) * f64::from(n - 1))
    } else {
        0.0
    };
    assert!(
        (metrics.mean_hops - mean).abs() < 1e-9 * mean.max(1.0),
        "{kind}: mean hops {} vs {mean}",
        metrics.mean_hops
    );
    if n <= 16 {
        assert!(metrics.bisection_exact);
        assert_eq!(
            metrics.bisection_width,
            brute_force_bisection(graph),
            "{kind}: bisection"
        );
    }
}
