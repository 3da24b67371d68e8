//! Property tests on every family at small sizes, all pairs: arithmetic routes are valid
//! shortest paths (against BFS/Dijkstra on the same topology built as a petgraph graph),
//! `next_hop` arrives, broadcast/reduction trees span every chip once with height equal to the
//! root's eccentricity, and the closed-form metrics equal the graph computation (bisection by
//! brute force up to 16 chips).

mod common;

use common::check_topology;
use proptest::prelude::*;
use ruvsim_topologies::TopologySpec;

fn check(spec: &TopologySpec) {
    check_topology(&spec.build().expect("valid small spec"));
}

/// A small spec of any non-composite family, for the levels of hierarchical topologies.
fn small_level() -> impl Strategy<Value = TopologySpec> {
    prop_oneof![
        (1u32..=4).prop_map(|chips| TopologySpec::Chain { chips }),
        (2u32..=3).prop_map(|chips| TopologySpec::Bus { chips }),
        (3u32..=5).prop_map(|chips| TopologySpec::Ring { chips }),
        (1u32..=4).prop_map(|chips| TopologySpec::Star { chips }),
        (1u32..=2, 1u32..=3).prop_map(|(a, b)| TopologySpec::Mesh2d { dims: [a, b] }),
        Just(TopologySpec::Torus2d { dims: [3, 3] }),
        (0u32..=2).prop_map(|d| TopologySpec::Hypercube {
            chips: None,
            dimension: Some(d)
        }),
        (2u32..=3, 1u32..=6).prop_map(|(arity, chips)| TopologySpec::Tree { arity, chips }),
    ]
}

/// A random connected wiring: a random spanning tree plus random extra edges (duplicates and
/// self-loops filtered out), listed in a shuffled-looking but deterministic order.
fn connected_custom() -> impl Strategy<Value = TopologySpec> {
    (2u32..=14)
        .prop_flat_map(|n| {
            (
                Just(n),
                proptest::collection::vec(any::<u32>(), (n - 1) as usize),
                proptest::collection::vec((0..n, 0..n), 0..(2 * n as usize)),
            )
        })
        .prop_map(|(n, parents, extra)| {
            let mut seen = std::collections::BTreeSet::new();
            let mut edges = Vec::new();
            let tree = (1..n).map(|v| (parents[v as usize - 1] % v, v));
            for (a, b) in tree.chain(extra) {
                if a != b && seen.insert((a.min(b), a.max(b))) {
                    edges.push([b, a]);
                }
            }
            TopologySpec::Custom {
                chips: n,
                edges: Some(edges),
                file: None,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn chain(chips in 1u32..=12) {
        check(&TopologySpec::Chain { chips });
    }

    #[test]
    fn bus(chips in 2u32..=10) {
        check(&TopologySpec::Bus { chips });
    }

    #[test]
    fn ring(chips in 3u32..=13) {
        check(&TopologySpec::Ring { chips });
    }

    #[test]
    fn star(chips in 1u32..=11) {
        check(&TopologySpec::Star { chips });
    }

    #[test]
    fn mesh2d(a in 1u32..=5, b in 1u32..=5) {
        check(&TopologySpec::Mesh2d { dims: [a, b] });
    }

    #[test]
    fn torus2d(a in 3u32..=6, b in 3u32..=5) {
        check(&TopologySpec::Torus2d { dims: [a, b] });
    }

    #[test]
    fn torus3d(a in 3u32..=4, b in 3u32..=4, c in 3u32..=4) {
        check(&TopologySpec::Torus3d { dims: [a, b, c] });
    }

    #[test]
    fn hypercube(dimension in 0u32..=5) {
        check(&TopologySpec::Hypercube { chips: None, dimension: Some(dimension) });
    }

    #[test]
    fn tree(arity in 2u32..=4, chips in 1u32..=24) {
        check(&TopologySpec::Tree { arity, chips });
    }

    #[test]
    fn hierarchical(group in small_level(), top in small_level(), gateway in any::<u32>()) {
        let group_chips = group.chips().unwrap();
        check(&TopologySpec::Hierarchical {
            group: Box::new(group),
            top: Box::new(top),
            gateway: gateway % group_chips,
        });
    }

    #[test]
    fn custom(spec in connected_custom()) {
        check(&spec);
    }
}
