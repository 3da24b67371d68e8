//! Descriptions: the TOML form of every kind parses and builds; invalid descriptions give clear
//! errors; queries with bad ids are errors, not panics.

use ruvsim_topologies::{LinkEnds, Topology, TopologyError, TopologySpec};

#[derive(serde::Deserialize)]
struct Scenario {
    topology: TopologySpec,
}

fn parse(toml_text: &str) -> Result<TopologySpec, toml::de::Error> {
    toml::from_str::<Scenario>(toml_text).map(|s| s.topology)
}

fn build_toml(toml_text: &str) -> Result<Topology, TopologyError> {
    parse(toml_text).expect("valid TOML").build()
}

#[test]
fn every_documented_kind_parses_and_builds() {
    let cases = [
        (r#"topology = { kind = "chain", chips = 5 }"#, 5),
        (r#"topology = { kind = "bus", chips = 8 }"#, 8),
        (r#"topology = { kind = "ring", chips = 8 }"#, 8),
        (r#"topology = { kind = "star", chips = 8 }"#, 8),
        (r#"topology = { kind = "mesh2d", dims = [4, 4] }"#, 16),
        (r#"topology = { kind = "torus2d", dims = [8, 8] }"#, 64),
        (
            r#"topology = { kind = "torus3d", dims = [16, 16, 16] }"#,
            4096,
        ),
        (r#"topology = { kind = "hypercube", dimension = 10 }"#, 1024),
        (r#"topology = { kind = "hypercube", chips = 1024 }"#, 1024),
        (r#"topology = { kind = "tree", arity = 2, chips = 15 }"#, 15),
        (
            r#"topology = { kind = "hierarchical", gateway = 0, group = { kind = "chain", chips = 5 }, top = { kind = "hypercube", dimension = 4 } }"#,
            80,
        ),
        (
            r#"topology = { kind = "custom", chips = 4, edges = [[0, 1], [1, 2], [2, 3], [3, 0]] }"#,
            4,
        ),
    ];
    for (text, chips) in cases {
        let spec = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(spec.chips().unwrap(), chips, "{text}");
        let topology = spec.build().unwrap();
        assert_eq!(topology.chips(), chips);
        assert_eq!(topology.kind(), spec.kind());
        // Round trip through TOML.
        let back = toml::to_string(&ScenarioOut {
            topology: spec.clone(),
        })
        .unwrap();
        assert_eq!(parse(&back).unwrap(), spec);
    }
}

#[derive(serde::Serialize)]
struct ScenarioOut {
    topology: TopologySpec,
}

#[test]
fn unknown_keys_and_kinds_are_rejected() {
    assert!(parse(r#"topology = { kind = "ring", chips = 8, speed = 3 }"#).is_err());
    assert!(parse(r#"topology = { kind = "moebius", chips = 8 }"#).is_err());
    assert!(parse(r#"topology = { kind = "torus3d", dims = [4, 4] }"#).is_err());
}

#[test]
fn invalid_descriptions_give_clear_errors() {
    let err = build_toml(r#"topology = { kind = "hypercube", chips = 100 }"#).unwrap_err();
    assert!(matches!(
        err,
        TopologyError::HypercubeNotPowerOfTwo {
            chips: 100,
            below: 64,
            above: 128
        }
    ));
    assert!(err.to_string().contains("power of two"));

    let err = build_toml(r#"topology = { kind = "torus3d", dims = [16, 0, 16] }"#).unwrap_err();
    assert!(err.to_string().contains("dims[1]"), "{err}");

    let err = build_toml(r#"topology = { kind = "torus2d", dims = [2, 8] }"#).unwrap_err();
    assert!(
        matches!(err, TopologyError::TooSmall { min: 3, got: 2, .. }),
        "{err}"
    );

    for text in [
        r#"topology = { kind = "chain", chips = 0 }"#,
        r#"topology = { kind = "ring", chips = 2 }"#,
        r#"topology = { kind = "bus", chips = 1 }"#,
        r#"topology = { kind = "tree", arity = 1, chips = 5 }"#,
        r#"topology = { kind = "hypercube" }"#,
        r#"topology = { kind = "hypercube", chips = 8, dimension = 3 }"#,
        r#"topology = { kind = "hypercube", dimension = 32 }"#,
        r#"topology = { kind = "torus3d", dims = [4096, 4096, 4096] }"#,
        r#"topology = { kind = "hierarchical", gateway = 5, group = { kind = "chain", chips = 5 }, top = { kind = "ring", chips = 4 } }"#,
        r#"topology = { kind = "custom", chips = 3 }"#,
    ] {
        assert!(build_toml(text).is_err(), "{text} should be rejected");
    }
}

#[test]
fn custom_wiring_errors_name_the_problem() {
    let custom = |chips, edges: Vec<[u32; 2]>| {
        TopologySpec::Custom {
            chips,
            edges: Some(edges),
            file: None,
        }
        .build()
    };
    let err = custom(3, vec![[0, 1], [1, 7]]).unwrap_err();
    assert!(
        matches!(
            err,
            TopologyError::UnknownNode {
                node: 7,
                chips: 3,
                index: 1,
                ..
            }
        ),
        "{err}"
    );
    let err = custom(3, vec![[0, 1], [2, 2]]).unwrap_err();
    assert!(
        matches!(err, TopologyError::SelfLoop { node: 2, .. }),
        "{err}"
    );
    let err = custom(3, vec![[0, 1], [1, 2], [2, 1]]).unwrap_err();
    assert!(
        matches!(err, TopologyError::DuplicateEdge { a: 2, b: 1, .. }),
        "{err}"
    );
    let err = custom(4, vec![[0, 1], [2, 3]]).unwrap_err();
    assert!(
        matches!(
            err,
            TopologyError::Disconnected {
                unreachable: 2,
                components: 2
            }
        ),
        "{err}"
    );
}

#[test]
fn custom_wiring_from_a_file() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("topologies-spec-test");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("square.edges"),
        "# a square with one diagonal\n0 1\n1,2\n\n2 3  # comment\n3 0\n0 2\n",
    )
    .unwrap();
    std::fs::write(dir.join("bad.edges"), "0 1\n1 two\n").unwrap();
    std::fs::write(dir.join("unknown.edges"), "0 1\n1 9\n").unwrap();

    let spec =
        parse(r#"topology = { kind = "custom", chips = 4, file = "square.edges" }"#).unwrap();
    let square = spec.build_relative_to(&dir).unwrap();
    assert_eq!(square.link_count(), 5);
    assert_eq!(square.link_ends(4).unwrap(), LinkEnds::Pair(0, 2));
    assert_eq!(square.hops(1, 3).unwrap(), 2);
    // 1 -> 3: neighbours 0 and 2 are both one hop from 3; the lowest id wins.
    assert_eq!(square.next_hop(1, 3).unwrap(), Some(0));

    let bad = parse(r#"topology = { kind = "custom", chips = 4, file = "bad.edges" }"#).unwrap();
    let err = bad.build_relative_to(&dir).unwrap_err();
    assert!(
        matches!(err, TopologyError::EdgeSyntax { line: 2, .. }),
        "{err}"
    );
    let unknown =
        parse(r#"topology = { kind = "custom", chips = 4, file = "unknown.edges" }"#).unwrap();
    let err = unknown.build_relative_to(&dir).unwrap_err();
    assert!(
        matches!(
            err,
            TopologyError::UnknownNode {
                index: 2,
                node: 9,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("unknown.edges"), "{err}");
    let missing =
        parse(r#"topology = { kind = "custom", chips = 4, file = "nope.edges" }"#).unwrap();
    assert!(matches!(
        missing.build_relative_to(&dir),
        Err(TopologyError::Io { .. })
    ));
}

#[test]
fn bad_ids_are_errors_not_panics() {
    let ring = TopologySpec::Ring { chips: 6 }.build().unwrap();
    assert!(matches!(
        ring.next_hop(0, 6),
        Err(TopologyError::NodeOutOfRange { node: 6, chips: 6 })
    ));
    assert!(ring.hops(9, 0).is_err());
    assert!(ring.route(0, 99).is_err());
    assert!(ring.neighbors(6).is_err());
    assert!(ring.spanning_tree(6).is_err());
    assert!(matches!(
        ring.link_id(0, 3),
        Err(TopologyError::NotAdjacent { a: 0, b: 3 })
    ));
    assert!(ring.link_id(2, 2).is_err());
    assert!(matches!(
        ring.link_ends(6),
        Err(TopologyError::LinkOutOfRange { link: 6, links: 6 })
    ));
    assert_eq!(ring.next_hop(4, 4).unwrap(), None);
    assert_eq!(ring.route(4, 4).unwrap(), vec![4]);
}

#[test]
fn the_bus_is_one_shared_link() {
    let bus = TopologySpec::Bus { chips: 5 }.build().unwrap();
    assert!(bus.is_shared_medium());
    assert_eq!(bus.link_count(), 1);
    assert_eq!(bus.link_id(1, 4).unwrap(), 0);
    assert_eq!(bus.hops(1, 4).unwrap(), 1);
    assert_eq!(bus.max_degree(), 1);
    assert_eq!(
        bus.link_ends(0).unwrap(),
        LinkEnds::Shared {
            first: 0,
            stride: 1,
            count: 5
        }
    );
    // A bus joining the heads of 3-chip chains: members are every third chip.
    let heads = TopologySpec::Hierarchical {
        group: Box::new(TopologySpec::Chain { chips: 3 }),
        top: Box::new(TopologySpec::Bus { chips: 4 }),
        gateway: 0,
    }
    .build()
    .unwrap();
    assert!(heads.is_shared_medium());
    let medium = heads.link_id(0, 9).unwrap();
    assert_eq!(
        heads
            .link_ends(medium)
            .unwrap()
            .members()
            .collect::<Vec<_>>(),
        vec![0, 3, 6, 9]
    );
    assert!(heads.as_hierarchical().unwrap().is_top_link(medium));
    assert!(!TopologySpec::Ring { chips: 4 }
        .build()
        .unwrap()
        .is_shared_medium());
}

#[test]
fn routing_conventions_are_documented_behaviour() {
    // Torus tie: opposite on an even ring goes upward (increasing coordinate, wrapping).
    let torus = TopologySpec::Torus2d { dims: [4, 3] }.build().unwrap();
    assert_eq!(torus.next_hop(3, 1).unwrap(), Some(0));
    assert_eq!(torus.next_hop(0, 2).unwrap(), Some(1));
    // Dimension order: x first.
    assert_eq!(torus.route(0, 5).unwrap(), vec![0, 1, 5]);
    // Hypercube: lowest differing bit first.
    let cube = TopologySpec::Hypercube {
        chips: Some(16),
        dimension: None,
    }
    .build()
    .unwrap();
    assert_eq!(cube.route(0b0000, 0b1010).unwrap(), vec![0, 0b0010, 0b1010]);
    // Tree: up to the common ancestor, then down.
    let tree = TopologySpec::Tree {
        arity: 2,
        chips: 15,
    }
    .build()
    .unwrap();
    assert_eq!(tree.route(7, 6).unwrap(), vec![7, 3, 1, 0, 2, 6]);
    // Hierarchical: via both gateways.
    let h = TopologySpec::Hierarchical {
        group: Box::new(TopologySpec::Chain { chips: 3 }),
        top: Box::new(TopologySpec::Ring { chips: 4 }),
        gateway: 1,
    }
    .build()
    .unwrap();
    assert_eq!(h.route(0, 11).unwrap(), vec![0, 1, 10, 11]);
}
