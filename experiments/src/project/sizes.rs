//! The size family: which replica counts are simulated and which are projected.
//!
//! Simulated: 1, 2, 4, ... replicas up to an eighth of the largest simulated size (at least up
//! to 4), then that largest size: the target when it fits within the simulation limit, else the
//! limit. The cost of a family is so about 1.25 times its largest run, and the largest size,
//! held back from the scaling fit, checks an extrapolation of 8 times or more. Projected: the
//! doublings beyond the limit up to the target, and the target.

/// Replica counts of a projection, ascending within each list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SizeFamily {
    /// Sizes simulated event by event.
    pub simulated: Vec<u32>,
    /// Sizes projected from the fit.
    pub projected: Vec<u32>,
}

/// The family for `target` replicas when at most `max_sim` replicas are simulated (both at
/// least 1).
pub fn family(target: u32, max_sim: u32) -> SizeFamily {
    let sim_top = target.min(max_sim);
    let small = (sim_top / 8).max(4.min(sim_top));
    let mut simulated: Vec<u32> = doublings().take_while(|&r| r <= small).collect();
    if simulated.last() != Some(&sim_top) {
        simulated.push(sim_top);
    }
    let mut projected = Vec::new();
    if target > max_sim {
        projected.extend(
            doublings()
                .skip_while(|&r| r <= max_sim)
                .take_while(|&r| r < target),
        );
        projected.push(target);
    }
    SizeFamily {
        simulated,
        projected,
    }
}

/// 1, 2, 4, ... up to the largest power of two in `u32`.
fn doublings() -> impl Iterator<Item = u32> {
    (0..u32::BITS).map(|bit| 1u32 << bit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_within_the_limit_is_only_simulated() {
        let f = family(6, 128);
        assert_eq!(f.simulated, vec![1, 2, 4, 6]);
        assert!(f.projected.is_empty());
        let f = family(8, 8);
        assert_eq!(f.simulated, vec![1, 2, 4, 8]);
        assert!(f.projected.is_empty());
        // Doublings up to an eighth of the target, then the target.
        let f = family(20_000, 1_000_000);
        assert_eq!(f.simulated.len(), 13);
        assert_eq!(f.simulated[11..], [2_048, 20_000]);
        assert!(f.projected.is_empty());
    }

    #[test]
    fn beyond_the_limit_doublings_then_the_target_are_projected() {
        let f = family(20_000, 100);
        assert_eq!(f.simulated, vec![1, 2, 4, 8, 100]);
        assert_eq!(f.projected.first(), Some(&128));
        assert_eq!(f.projected.last(), Some(&20_000));
        assert_eq!(f.projected[f.projected.len() - 2], 16_384);
    }

    #[test]
    fn huge_targets_do_not_overflow() {
        let f = family(u32::MAX, 1);
        assert_eq!(f.simulated, vec![1]);
        assert_eq!(f.projected.len(), 32);
        assert_eq!(f.projected.last(), Some(&u32::MAX));
    }
}
