//! Balancing a pipeline: contiguous layer ranges per stage that minimise the slowest stage.

use std::ops::Range;

/// Splits layers `0..n_layers` into `stages` contiguous, non-empty ranges that minimise the largest
/// stage cost, where `cost(stage, layers)` prices a stage holding `layers` (embedding and classifier
/// extras included by the caller for the first and last stage) or returns `None` when that range
/// does not fit on the stage's chips.
///
/// Exact dynamic programme over split points, O(stages x n_layers^2) calls of `cost`. Among splits
/// with the same largest cost it keeps the one found first, with split points as early as possible,
/// so the answer is deterministic. Returns `None` when no split fits (or `stages` is 0 or exceeds
/// `n_layers`).
pub fn balance_layers<F>(n_layers: u32, stages: u32, mut cost: F) -> Option<Vec<Range<u32>>>
where
    F: FnMut(u32, Range<u32>) -> Option<u64>,
{
    if stages == 0 || stages > n_layers {
        return None;
    }
    let n = n_layers as usize;
    let s_count = stages as usize;
    // best[s][l]: smallest achievable max cost placing layers 0..l on stages 0..=s.
    let mut best = vec![vec![None::<u64>; n + 1]; s_count];
    let mut split = vec![vec![0usize; n + 1]; s_count];
    for (l, slot) in best[0].iter_mut().enumerate().skip(1) {
        *slot = cost(0, 0..l as u32);
    }
    for s in 1..s_count {
        for l in (s + 1)..=n {
            let mut chosen: Option<(u64, usize)> = None;
            for (k, before) in best[s - 1].iter().enumerate().take(l).skip(s) {
                let Some(before) = *before else {
                    continue;
                };
                let Some(here) = cost(s as u32, k as u32..l as u32) else {
                    continue;
                };
                let worst = before.max(here);
                if chosen.is_none_or(|(c, _)| worst < c) {
                    chosen = Some((worst, k));
                }
            }
            if let Some((c, k)) = chosen {
                best[s][l] = Some(c);
                split[s][l] = k;
            }
        }
    }
    best[s_count - 1][n]?;
    let mut ranges = vec![0..0; s_count];
    let mut end = n;
    for s in (0..s_count).rev() {
        let start = if s == 0 { 0 } else { split[s][end] };
        ranges[s] = start as u32..end as u32;
        end = start;
    }
    Some(ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uniform(_: u32, layers: Range<u32>) -> Option<u64> {
        Some(u64::from(layers.end - layers.start))
    }

    #[test]
    fn uniform_layers_split_evenly() {
        let ranges = balance_layers(10, 5, uniform).unwrap();
        assert_eq!(ranges, vec![0..2, 2..4, 4..6, 6..8, 8..10]);
    }

    #[test]
    fn extra_cost_on_the_last_stage_moves_layers_forward() {
        // The last stage also runs a classifier worth three layers.
        let ranges = balance_layers(9, 3, |stage, layers| {
            let extra = if stage == 2 { 3 } else { 0 };
            Some(u64::from(layers.end - layers.start) + extra)
        })
        .unwrap();
        assert_eq!(ranges, vec![0..4, 4..8, 8..9]);
    }

    #[test]
    fn memory_limit_is_respected() {
        // No stage may hold more than two layers: 5 layers over 2 stages cannot fit.
        let fits = |_: u32, layers: Range<u32>| (layers.end - layers.start <= 2).then_some(1);
        assert_eq!(balance_layers(5, 2, fits), None);
        assert_eq!(balance_layers(4, 2, fits), Some(vec![0..2, 2..4]));
    }

    #[test]
    fn impossible_stage_counts() {
        assert_eq!(balance_layers(3, 0, uniform), None);
        assert_eq!(balance_layers(3, 4, uniform), None);
        assert_eq!(balance_layers(3, 3, uniform), Some(vec![0..1, 1..2, 2..3]));
    }
}
