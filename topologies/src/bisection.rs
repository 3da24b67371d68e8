//! Exact bisection width by exhaustive search over balanced cuts, for very small topologies.

use crate::families::Family;

/// Largest chip count for which the exhaustive bisection search runs (C(20, 10) = 184,756 cuts),
/// replacing closed-form upper bounds in [`crate::Topology::metrics`].
pub const EXHAUSTIVE_BISECTION_MAX_CHIPS: u32 = 20;

/// The fewest links crossing a cut into `floor(n/2)` and `ceil(n/2)` chips, trying every such
/// cut; a link crosses when it has members on both sides (a shared medium counts once). `None`
/// above [`EXHAUSTIVE_BISECTION_MAX_CHIPS`] chips.
pub(crate) fn exhaustive_bisection(topology: &impl Family) -> Option<u64> {
    let n = topology.chips();
    if n > EXHAUSTIVE_BISECTION_MAX_CHIPS {
        return None;
    }
    if n < 2 {
        return Some(0);
    }
    let masks: Vec<u32> = (0..topology.links())
        .map(|l| topology.link_ends(l).members().fold(0, |m, v| m | 1 << v))
        .collect();
    let all = (1u32 << n) - 1;
    let half = n / 2;
    // With an even count both sides have n/2 chips, so fixing the top chip outside the
    // enumerated side visits each cut once.
    let limit = if n.is_multiple_of(2) {
        1u32 << (n - 1)
    } else {
        1 << n
    };
    let mut best = u64::MAX;
    let mut side = (1u32 << half) - 1;
    while side < limit {
        let crossing = masks
            .iter()
            .filter(|&&m| m & side != 0 && m & !side & all != 0)
            .count() as u64;
        best = best.min(crossing);
        side = next_same_popcount(side);
    }
    Some(best)
}

/// The next larger integer with as many set bits as `x` (Gosper's hack); `x != 0`.
fn next_same_popcount(x: u32) -> u32 {
    let lowest = x & x.wrapping_neg();
    let ripple = x.wrapping_add(lowest);
    ripple | (((x ^ ripple) >> 2) / lowest)
}

#[cfg(test)]
mod tests {
    use super::exhaustive_bisection;
    use crate::TopologySpec;

    /// Where a family's closed form is only an upper bound (trees, hierarchical, tori with an odd
    /// largest side), the bound must never be below the exhaustive minimum, and where it claims
    /// to be exact it must equal it.
    #[test]
    fn closed_form_bisections_bound_the_exhaustive_minimum() {
        let mut specs = Vec::new();
        for arity in 2..=4 {
            for chips in 1..=20 {
                specs.push(TopologySpec::Tree { arity, chips });
            }
        }
        for dims in [[3, 3], [3, 4], [3, 5], [4, 4], [5, 4], [5, 3], [6, 3]] {
            specs.push(TopologySpec::Torus2d { dims });
            specs.push(TopologySpec::Mesh2d { dims });
        }
        let groups = [
            TopologySpec::Chain { chips: 3 },
            TopologySpec::Star { chips: 4 },
            TopologySpec::Bus { chips: 2 },
            TopologySpec::Ring { chips: 4 },
        ];
        let tops = [
            TopologySpec::Chain { chips: 3 },
            TopologySpec::Ring { chips: 5 },
            TopologySpec::Hypercube {
                chips: None,
                dimension: Some(2),
            },
            TopologySpec::Bus { chips: 4 },
        ];
        for group in &groups {
            for top in &tops {
                for gateway in [0, 1] {
                    specs.push(TopologySpec::Hierarchical {
                        group: Box::new(group.clone()),
                        top: Box::new(top.clone()),
                        gateway,
                    });
                }
            }
        }
        for spec in specs {
            let topology = spec.build().expect("valid spec");
            let Some(exact) = exhaustive_bisection(&topology) else {
                continue;
            };
            let closed = topology.family_metrics();
            if closed.bisection_exact {
                assert_eq!(closed.bisection_width, exact, "{spec:?}");
            } else {
                assert!(
                    closed.bisection_width >= exact,
                    "{spec:?}: bound {} < {exact}",
                    closed.bisection_width
                );
            }
        }
    }
}
