//! Attention patterns: which cached positions a query at position `pos` attends to.
//!
//! [`attended_positions`] is the single source of truth: the attention kernels iterate it, and
//! [`attended_count`] (used by [`crate::predict()`]) is its closed form, tested to agree.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

use crate::config::AttentionPattern;

/// An ascending arithmetic progression of positions.
#[derive(Clone, Debug)]
struct Progression {
    next: u32,
    step: u32,
    remaining: u32,
}

impl Progression {
    fn empty() -> Self {
        Progression {
            next: 0,
            step: 1,
            remaining: 0,
        }
    }

    /// Every position in `start..end` (`start <= end`).
    fn span(start: u32, end: u32) -> Self {
        Progression {
            next: start,
            step: 1,
            remaining: end - start,
        }
    }

    fn next(&mut self) -> Option<u32> {
        if self.remaining == 0 {
            return None;
        }
        let value = self.next;
        self.remaining -= 1;
        if self.remaining > 0 {
            self.next += self.step;
        }
        Some(value)
    }
}

/// Sequential random sampling (Knuth's algorithm S) of `needed` distinct positions from
/// `next..end`, ascending, with one ChaCha draw per candidate examined.
#[derive(Clone, Debug)]
struct Selection {
    rng: ChaCha8Rng,
    next: u32,
    end: u32,
    needed: u32,
}

impl Selection {
    fn next(&mut self) -> Option<u32> {
        while self.needed > 0 && self.next < self.end {
            let candidate = self.next;
            self.next += 1;
            let remaining = u64::from(self.end - candidate);
            let draw = u64::from(self.rng.next_u32());
            if (draw * remaining) >> 32 < u64::from(self.needed) {
                self.needed -= 1;
                return Some(candidate);
            }
        }
        None
    }
}

/// Iterator over the positions attended from one query position, ascending and distinct; it
/// always ends with the query position itself. Allocation-free.
#[derive(Clone, Debug)]
pub struct AttendedPositions {
    first: Progression,
    middle: Option<Selection>,
    last: Progression,
}

impl Iterator for AttendedPositions {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        if let Some(position) = self.first.next() {
            return Some(position);
        }
        if let Some(position) = self.middle.as_mut().and_then(Selection::next) {
            return Some(position);
        }
        self.last.next()
    }
}

/// The ChaCha stream that picks BigBird's random positions for query position `pos`.
fn bigbird_rng(seed: u64, pos: u32) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..12].copy_from_slice(&pos.to_le_bytes());
    ChaCha8Rng::from_seed(key)
}

/// Start of the window of the last `window` positions ending at `pos` (window >= 1).
fn window_start(pos: u32, window: u32) -> u32 {
    (pos + 1).saturating_sub(window)
}

/// Number of multiples of `stride` in `0..end`.
fn multiples_below(end: u32, stride: u32) -> u32 {
    if end == 0 {
        0
    } else {
        (end - 1) / stride + 1
    }
}

/// Number of positions of a dilated pattern: `window` positions `dilation` apart ending at `pos`.
fn dilated_count(pos: u32, window: u32, dilation: u32) -> u32 {
    window.min(pos / dilation + 1)
}

/// BigBird's segments: end of the global prefix, start of the local window.
fn bigbird_bounds(pos: u32, global: u32, window: u32) -> (u32, u32) {
    let global_end = global.min(pos + 1);
    (global_end, window_start(pos, window).max(global_end))
}

/// The positions a query at `pos` attends to under `pattern` (which must be valid, see
/// [`AttentionPattern::validate`]).
pub fn attended_positions(pattern: &AttentionPattern, pos: u32) -> AttendedPositions {
    let (first, middle, last) = match *pattern {
        AttentionPattern::Full => (Progression::empty(), None, Progression::span(0, pos + 1)),
        AttentionPattern::SlidingWindow { window } => (
            Progression::empty(),
            None,
            Progression::span(window_start(pos, window), pos + 1),
        ),
        AttentionPattern::Strided { stride, local } => {
            let local_start = window_start(pos, local);
            let multiples = Progression {
                next: 0,
                step: stride,
                remaining: multiples_below(local_start, stride),
            };
            (multiples, None, Progression::span(local_start, pos + 1))
        }
        AttentionPattern::Dilated { window, dilation } => {
            let count = dilated_count(pos, window, dilation);
            let progression = Progression {
                next: pos - (count - 1) * dilation,
                step: dilation,
                remaining: count,
            };
            (Progression::empty(), None, progression)
        }
        AttentionPattern::BigBird {
            global,
            window,
            random,
            seed,
        } => {
            let (global_end, local_start) = bigbird_bounds(pos, global, window);
            let selection = Selection {
                rng: bigbird_rng(seed, pos),
                next: global_end,
                end: local_start,
                needed: random.min(local_start - global_end),
            };
            (
                Progression {
                    next: 0,
                    step: 1,
                    remaining: global_end,
                },
                Some(selection),
                Progression::span(local_start, pos + 1),
            )
        }
    };
    AttendedPositions {
        first,
        middle,
        last,
    }
}

/// How many positions [`attended_positions`] yields, in closed form.
pub fn attended_count(pattern: &AttentionPattern, pos: u32) -> u32 {
    match *pattern {
        AttentionPattern::Full => pos + 1,
        AttentionPattern::SlidingWindow { window } => pos + 1 - window_start(pos, window),
        AttentionPattern::Strided { stride, local } => {
            let local_start = window_start(pos, local);
            multiples_below(local_start, stride) + pos + 1 - local_start
        }
        AttentionPattern::Dilated { window, dilation } => dilated_count(pos, window, dilation),
        AttentionPattern::BigBird {
            global,
            window,
            random,
            ..
        } => {
            let (global_end, local_start) = bigbird_bounds(pos, global, window);
            global_end + random.min(local_start - global_end) + pos + 1 - local_start
        }
    }
}

/// Number of key/value cache slots a context of `context_len` positions needs under `pattern`.
///
/// Patterns that only look back a bounded distance (sliding window, dilated) keep a ring buffer
/// of that many positions; the others keep every position.
pub fn kv_slots(pattern: &AttentionPattern, context_len: u32) -> u32 {
    let span = match *pattern {
        AttentionPattern::SlidingWindow { window } => u64::from(window),
        AttentionPattern::Dilated { window, dilation } => {
            (u64::from(window) - 1) * u64::from(dilation) + 1
        }
        AttentionPattern::Full
        | AttentionPattern::Strided { .. }
        | AttentionPattern::BigBird { .. } => u64::from(context_len),
    };
    span.min(u64::from(context_len)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pattern_strategy() -> impl Strategy<Value = AttentionPattern> {
        prop_oneof![
            Just(AttentionPattern::Full),
            (1u32..20).prop_map(|window| AttentionPattern::SlidingWindow { window }),
            (1u32..9, 1u32..9)
                .prop_map(|(stride, local)| AttentionPattern::Strided { stride, local }),
            (1u32..9, 1u32..5)
                .prop_map(|(window, dilation)| AttentionPattern::Dilated { window, dilation }),
            (0u32..5, 1u32..6, 0u32..6, any::<u64>()).prop_map(|(global, window, random, seed)| {
                AttentionPattern::BigBird {
                    global,
                    window,
                    random,
                    seed,
                }
            }),
        ]
    }

    proptest! {
        #[test]
        fn positions_are_ascending_distinct_causal_and_counted(
            pattern in pattern_strategy(),
            pos in 0u32..200,
        ) {
            let positions: std::vec::Vec<u32> = attended_positions(&pattern, pos).collect();
            prop_assert_eq!(positions.len() as u32, attended_count(&pattern, pos));
            prop_assert_eq!(positions.last().copied(), Some(pos));
            prop_assert!(positions.windows(2).all(|w| w[0] < w[1]));
            let slots = kv_slots(&pattern, 200);
            prop_assert!(positions.iter().all(|&t| pos - t < slots));
        }
    }

    #[test]
    fn patterns_match_their_definitions() {
        let collect = |p: AttentionPattern, pos| -> std::vec::Vec<u32> {
            attended_positions(&p, pos).collect()
        };
        assert_eq!(collect(AttentionPattern::Full, 3), [0, 1, 2, 3]);
        assert_eq!(
            collect(AttentionPattern::SlidingWindow { window: 3 }, 10),
            [8, 9, 10]
        );
        assert_eq!(
            collect(
                AttentionPattern::Strided {
                    stride: 4,
                    local: 2
                },
                10
            ),
            [0, 4, 8, 9, 10]
        );
        assert_eq!(
            collect(
                AttentionPattern::Dilated {
                    window: 3,
                    dilation: 4
                },
                10
            ),
            [2, 6, 10]
        );
        let bigbird = AttentionPattern::BigBird {
            global: 2,
            window: 2,
            random: 3,
            seed: 7,
        };
        let positions = collect(bigbird, 20);
        assert_eq!(positions.len(), 7);
        assert_eq!(&positions[..2], &[0, 1]);
        assert_eq!(&positions[5..], &[19, 20]);
        assert_eq!(positions, collect(bigbird, 20), "seeded, so repeatable");
    }
}
