//! DOT export of small topologies, and `recommend` under realistic port budgets.

use ruvsim_topologies::{
    recommend, ChipCount, Constraints, LinkKind, PortBudget, TopologyError, TopologySpec, Variant,
};

#[test]
fn dot_export_draws_small_topologies_and_refuses_large_ones() {
    let ring = TopologySpec::Ring { chips: 4 }.build().unwrap();
    let dot = ring.to_dot().unwrap();
    assert!(dot.starts_with("graph ring {"));
    assert!(dot.contains("c3 [label=\"3\"];"));
    assert!(dot.contains("c0 -- c3 [label=\"3\"];"));
    assert_eq!(dot.matches(" -- ").count(), 4);

    let bus = TopologySpec::Bus { chips: 3 }.build().unwrap();
    let dot = bus.to_dot().unwrap();
    assert!(dot.contains("bus0 [shape=box"));
    assert_eq!(dot.matches("bus0 -- c").count(), 3);

    let hier = TopologySpec::Hierarchical {
        group: Box::new(TopologySpec::Chain { chips: 2 }),
        top: Box::new(TopologySpec::Chain { chips: 3 }),
        gateway: 0,
    }
    .build()
    .unwrap();
    assert_eq!(
        hier.to_dot().unwrap().matches("subgraph cluster_").count(),
        3
    );

    let big = TopologySpec::Hypercube {
        chips: None,
        dimension: Some(11),
    }
    .build()
    .unwrap();
    assert!(matches!(
        big.to_dot(),
        Err(TopologyError::TooLargeForGraph { chips: 2048, .. })
    ));
}

fn constraints(links: PortBudget) -> Constraints {
    Constraints {
        links,
        gateway_links: None,
    }
}

#[test]
fn spi_chips_get_a_ring_not_a_hypercube() {
    let spi = Variant::Esp32S3.port_budget(LinkKind::Spi);
    assert_eq!(
        spi,
        PortBudget {
            ports_per_chip: 2,
            shared_medium: false
        }
    );
    let rec = recommend(ChipCount::Exact(100), &constraints(spi)).unwrap();
    assert_eq!(rec.best.spec, TopologySpec::Ring { chips: 100 });
    assert!(rec.ranked.iter().all(|c| c.ports_per_chip <= 2));
    assert!(rec
        .rejected
        .iter()
        .any(|r| matches!(r.spec, TopologySpec::Torus3d { .. }) && r.reason.contains("6 ports")));
    assert!(rec.best.reasons.iter().any(|r| r.contains("diameter 50")));
}

#[test]
fn ranking_is_sorted_deterministic_and_buildable() {
    let esp_now = Variant::Esp32C3.port_budget(LinkKind::EspNow);
    for count in [
        ChipCount::Exact(1000),
        ChipCount::AtLeast(1000),
        ChipCount::Exact(64),
    ] {
        let a = recommend(count, &constraints(esp_now)).unwrap();
        let b = recommend(count, &constraints(esp_now)).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.ranked[0], a.best);
        for pair in a.ranked.windows(2) {
            assert!(pair[0].uniform_traffic_rounds <= pair[1].uniform_traffic_rounds);
        }
        for c in &a.ranked {
            assert!(c.ports_per_chip <= 20);
            let built = c.spec.build().unwrap();
            assert!(built.check_ports(esp_now).is_ok());
            match count {
                ChipCount::Exact(n) => assert_eq!(built.chips(), n),
                ChipCount::AtLeast(n) => assert!(built.chips() >= n),
            }
        }
    }
    // At least 1000 chips with 20 ports: the 1024-chip hypercube (diameter 10, bisection 512).
    let best = recommend(ChipCount::AtLeast(1000), &constraints(esp_now))
        .unwrap()
        .best;
    assert_eq!(
        best.spec,
        TopologySpec::Hypercube {
            chips: Some(1024),
            dimension: None
        }
    );
}

#[test]
fn gateway_links_let_chains_of_spi_chips_join_by_another_kind() {
    let spi = Variant::Esp32S3.port_budget(LinkKind::Spi);
    let esp_now = Variant::Esp32S3.port_budget(LinkKind::EspNow);
    let rec = recommend(
        ChipCount::Exact(160),
        &Constraints {
            links: spi,
            gateway_links: Some(esp_now),
        },
    )
    .unwrap();
    assert_eq!(rec.best.spec.kind(), "hierarchical");
    let TopologySpec::Hierarchical { group, .. } = &rec.best.spec else {
        unreachable!()
    };
    assert!(matches!(**group, TopologySpec::Chain { .. }));
}

#[test]
fn nothing_buildable_is_an_error_with_reasons() {
    let one_port = PortBudget {
        ports_per_chip: 1,
        shared_medium: false,
    };
    let err = recommend(ChipCount::Exact(10), &constraints(one_port)).unwrap_err();
    assert!(matches!(
        err,
        TopologyError::NothingBuildable { chips: 10, .. }
    ));
    assert!(err.to_string().contains("ring"), "{err}");
    // With a shared medium allowed, one port is enough for a bus.
    let shared = PortBudget {
        ports_per_chip: 1,
        shared_medium: true,
    };
    let rec = recommend(ChipCount::Exact(10), &constraints(shared)).unwrap();
    assert_eq!(rec.best.spec, TopologySpec::Bus { chips: 10 });
    assert!(recommend(ChipCount::Exact(0), &constraints(shared)).is_err());
}

#[test]
fn port_table_follows_soc_caps() {
    let expected = [
        (Variant::Esp32, 2, 3),
        (Variant::Esp32S2, 2, 2),
        (Variant::Esp32S3, 2, 3),
        (Variant::Esp32C3, 1, 2),
        (Variant::Esp32C6, 1, 2),
    ];
    for (chip, spi, uart) in expected {
        assert_eq!(
            chip.port_budget(LinkKind::Spi).ports_per_chip,
            spi,
            "{chip:?}"
        );
        assert_eq!(
            chip.port_budget(LinkKind::Uart).ports_per_chip,
            uart,
            "{chip:?}"
        );
        assert_eq!(chip.port_budget(LinkKind::EspNow).ports_per_chip, 20);
    }
    // A 17-dimensional hypercube is not wired with SPI.
    let cube = TopologySpec::Hypercube {
        chips: None,
        dimension: Some(17),
    }
    .build()
    .unwrap();
    assert!(matches!(
        cube.check_ports(Variant::Esp32.port_budget(LinkKind::Spi)),
        Err(TopologyError::TooManyPorts {
            needed: 17,
            available: 2
        })
    ));
}
