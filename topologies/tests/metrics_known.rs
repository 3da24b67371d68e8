//! Closed-form metrics at sizes beyond brute force: diameter and mean hops against a full graph
//! search at medium sizes, bisection widths against published closed forms at large sizes, and
//! sampled estimates for large custom wirings.

mod common;

use common::{all_pairs, check_metrics};
use ruvsim_topologies::{Topology, TopologySpec};

fn build(spec: TopologySpec) -> Topology {
    spec.build().expect("valid spec")
}

fn hypercube(dimension: u32) -> TopologySpec {
    TopologySpec::Hypercube {
        chips: None,
        dimension: Some(dimension),
    }
}

#[test]
fn closed_forms_match_graph_search_at_medium_sizes() {
    let specs = [
        hypercube(8),
        TopologySpec::Torus3d { dims: [6, 5, 7] },
        TopologySpec::Torus2d { dims: [9, 12] },
        TopologySpec::Mesh2d { dims: [13, 7] },
        TopologySpec::Tree {
            arity: 3,
            chips: 200,
        },
        TopologySpec::Tree {
            arity: 2,
            chips: 127,
        },
        TopologySpec::Ring { chips: 101 },
        TopologySpec::Chain { chips: 50 },
        TopologySpec::Star { chips: 60 },
        TopologySpec::Bus { chips: 40 },
        TopologySpec::Hierarchical {
            group: Box::new(TopologySpec::Chain { chips: 5 }),
            top: Box::new(hypercube(4)),
            gateway: 0,
        },
        TopologySpec::Hierarchical {
            group: Box::new(TopologySpec::Ring { chips: 4 }),
            top: Box::new(TopologySpec::Torus2d { dims: [3, 4] }),
            gateway: 2,
        },
    ];
    for spec in specs {
        let topology = build(spec);
        let graph = topology.to_graph().unwrap();
        check_metrics(&topology, &graph, &all_pairs(&graph));
    }
}

/// Published closed forms: hypercube `2^(d-1)`; k-ary n-cube torus with an even largest side
/// `2 n / a`; 2-D mesh `a x b` (a >= b) `b` if `a` even else `b + 1`; ring 2; star `floor(n/2)`.
#[test]
fn bisection_widths_match_known_closed_forms() {
    let cases = [
        (hypercube(20), 1 << 19),
        (TopologySpec::Torus3d { dims: [16, 16, 16] }, 2 * 256),
        (
            TopologySpec::Torus3d {
                dims: [100, 100, 100],
            },
            2 * 10_000,
        ),
        (TopologySpec::Torus2d { dims: [8, 6] }, 12),
        (TopologySpec::Mesh2d { dims: [8, 5] }, 5),
        (TopologySpec::Mesh2d { dims: [9, 5] }, 6),
        (TopologySpec::Mesh2d { dims: [1000, 1] }, 1),
        (TopologySpec::Ring { chips: 1_000_001 }, 2),
        (TopologySpec::Star { chips: 101 }, 50),
    ];
    for (spec, width) in cases {
        let metrics = build(spec.clone()).metrics();
        assert!(metrics.bisection_exact, "{spec:?}");
        assert_eq!(metrics.bisection_width, width, "{spec:?}");
    }
}

#[test]
fn large_regular_metrics_come_from_closed_forms() {
    let torus = build(TopologySpec::Torus3d {
        dims: [100, 100, 100],
    })
    .metrics();
    assert_eq!(
        (torus.chips, torus.links, torus.max_degree),
        (1_000_000, 3_000_000, 6)
    );
    assert_eq!(torus.diameter, 150);
    // Mean ring distance of an even ring of 100: 100 * 2500 / (100 * 99) per axis pair, summed
    // over three axes and rescaled to ordered pairs of distinct chips.
    let n = 1e6_f64;
    let expected = 3.0 * (n / 100.0) * (n / 100.0) * 100.0 * 2500.0 / (n * (n - 1.0));
    assert!((torus.mean_hops - expected).abs() < 1e-9);

    let cube = build(hypercube(20)).metrics();
    assert_eq!(
        (cube.diameter, cube.max_degree, cube.links),
        (20, 20, 20 << 19)
    );
    assert!((cube.mean_hops - 10.0 * n_of(20) / (n_of(20) - 1.0)).abs() < 1e-9);

    // Binary tree of 10^6 chips: height 19; the last level (from id 524287) reaches the root's
    // second subtree (from id 524287 + 2^18), so the diameter is 19 + 19.
    let tree = build(TopologySpec::Tree {
        arity: 2,
        chips: 1_000_000,
    })
    .metrics();
    assert_eq!(tree.diameter, 38);
    assert_eq!(tree.links, 999_999);
}

fn n_of(dimension: u32) -> f64 {
    f64::from(1u32 << dimension)
}

#[test]
fn large_custom_metrics_are_sampled_and_say_so() {
    let chips = 5000u32;
    let edges = (0..chips).map(|v| [v, (v + 1) % chips]).collect();
    let custom = build(TopologySpec::Custom {
        chips,
        edges: Some(edges),
        file: None,
    });
    let metrics = custom.metrics();
    let ring = build(TopologySpec::Ring { chips }).metrics();
    assert!(!metrics.exact);
    assert_eq!(metrics.samples, Some(64));
    // Every chip of a ring sees the same distances, so the sampled figures are the true ones.
    assert_eq!(metrics.diameter, ring.diameter);
    assert!((metrics.mean_hops - ring.mean_hops).abs() < 1e-9);
    assert!(!metrics.bisection_exact);
    assert_eq!(metrics.bisection_width, 2);
    // Routing without a table still follows BFS shortest paths.
    assert_eq!(custom.hops(0, 2500).unwrap(), 2500);
    assert_eq!(custom.next_hop(0, 2500).unwrap(), Some(1));
    assert_eq!(custom.next_hop(0, 2501).unwrap(), Some(chips - 1));
}

#[test]
fn metrics_serialise_with_their_exactness_markers() {
    let json = serde_json::to_string(&build(TopologySpec::Ring { chips: 8 }).metrics()).unwrap();
    assert!(json.contains("\"exact\":true"));
    assert!(json.contains("\"samples\":null"));
    assert!(json.contains("\"bisection_exact\":true"));
}
