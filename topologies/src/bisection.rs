//! Exact bisection width by exhaustive search over balanced cuts, for very small topologies.

use crate::families::Family;

/// Largest chip count for which [`exhaustive_bisection`] searches (C(20, 10) = 184,756 cuts).
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
    let limit = if n % 2 == 0 { 1u32 << (n - 1) } else { 1 << n };
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
