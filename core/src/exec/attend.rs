//! Integer attention of query heads over one key/value head's cached positions: exact scores,
//! the integer softmax, and the probability-weighted sum of the int8 values.
//!
//! The query heads of a key/value group share that head's cache entries, so [`CachedHead`] finds
//! them (and the largest value step) once and each query head then makes three passes over the
//! attended positions: scores, softmax weights, weighted values.

use crate::fixed::{exp2_neg_q30, PROB_FRAC};
use crate::kernels::dot_lanes;
use crate::workspace::KvCache;

/// Fractional bits of an attention value weight (probability times value step, relative to the
/// head's largest value step).
pub(super) const VALUE_WEIGHT_FRAC: u32 = 15;

/// Value columns summed together in registers by [`CachedHead::weighted_values`].
const VALUE_CHUNK: usize = 8;

/// One key/value head's cache entries at the attended positions of a layer.
pub(super) struct CachedHead<'c> {
    keys: &'c [i8],
    values: &'c [i8],
    key_steps: &'c [u32],
    value_steps: &'c [u32],
    head_size: usize,
    /// Entry of the first position of this (layer, key/value head).
    base: usize,
    /// Each attended position's entry offset from `base`.
    offsets: &'c [u32],
    /// Largest value step over the attended positions (0 when every value is zero).
    pub max_step: u32,
}

impl<'c> CachedHead<'c> {
    /// The entries of `kv_head` of `layer` at the positions `offsets` give (see
    /// [`KvCache::head_entries`]).
    #[inline(always)]
    pub fn new(kv: &'c KvCache, layer: u32, kv_head: u32, offsets: &'c [u32]) -> Self {
        let base = kv.head_entries(layer, kv_head).0;
        let value_steps: &[u32] = kv.value_steps;
        let max_step = offsets
            .iter()
            .map(|&offset| value_steps[base + offset as usize])
            .max()
            .unwrap_or(0);
        CachedHead {
            keys: kv.keys_i8,
            values: kv.values_i8,
            key_steps: kv.key_steps,
            value_steps,
            head_size: kv.head_size,
            base,
            offsets,
            max_step,
        }
    }

    /// Cache entries of the attended positions, in order.
    #[inline(always)]
    fn entries(&self) -> impl Iterator<Item = usize> + '_ {
        self.offsets
            .iter()
            .map(move |&offset| self.base + offset as usize)
    }

    /// Writes each position's score as an exact product, `dot(query, key_t) * step(key_t)` (the
    /// query step is common to all), and returns the largest.
    #[inline(always)]
    pub fn scores(&self, query: &[i8], scores: &mut [i64]) -> i64 {
        let hs = self.head_size;
        let mut max = i64::MIN;
        for (score, entry) in scores.iter_mut().zip(self.entries()) {
            let key = &self.keys[entry * hs..(entry + 1) * hs];
            *score = i64::from(dot_lanes(query, key, i16::from)) * i64::from(self.key_steps[entry]);
            max = max.max(*score);
        }
        max
    }

    /// Replaces scores by their value weights: softmax probabilities (exp2 of the Q16 log2-domain
    /// distance to `max`, Q30, normalised to Q20 through one reciprocal) times each position's
    /// value step relative to [`Self::max_step`], in Q15. `factor` converts a score distance to
    /// the exp2 argument in Q60 (query step times log2(e) / sqrt(head_size)). Needs
    /// `max_step > 0`.
    #[inline(always)]
    pub fn value_weights(&self, scores: &mut [i64], max: i64, factor: u128) {
        let mut sum = 0u64;
        for score in scores.iter_mut() {
            let distance = (max - *score) as u64;
            // Beyond 2^64 the weight is zero anyway (exp2_neg_q30 is 0 past 41), so the
            // conversion's fallback changes no result.
            let z = u64::try_from((u128::from(distance) * factor) >> 60).unwrap_or(u64::MAX);
            let weight = exp2_neg_q30(z);
            *score = i64::from(weight);
            sum += u64::from(weight);
        }
        // sum >= 2^30 (the maximum's weight).
        let reciprocal = (1u64 << 63) / sum;
        let norm_shift = 63 - PROB_FRAC;
        // p * step <= 2^20 * max_step, so p * step * (2^40 / max_step) <= 2^60; the weights sum
        // to at most about 2^15, so the weighted sum of int8 values stays well inside i32.
        let step_reciprocal = (1u64 << 40) / u64::from(self.max_step);
        let weight_shift = 40 + PROB_FRAC - VALUE_WEIGHT_FRAC;
        for (score, entry) in scores.iter_mut().zip(self.entries()) {
            let p = (*score as u64 * reciprocal + (1 << (norm_shift - 1))) >> norm_shift;
            let scaled = p * u64::from(self.value_steps[entry]) * step_reciprocal;
            *score = ((scaled + (1 << (weight_shift - 1))) >> weight_shift) as i64;
        }
    }

    /// `out[j] = sum_t weight_t * value_t[j]` over the attended positions, in `i32`. Columns are
    /// summed [`VALUE_CHUNK`] at a time in registers, one pass over the positions per chunk.
    #[inline(always)]
    pub fn weighted_values(&self, weights: &[i64], out: &mut [i32]) {
        let mut chunks = out.chunks_exact_mut(VALUE_CHUNK);
        let mut column = 0;
        for chunk in &mut chunks {
            let sums: [i32; VALUE_CHUNK] = self.column_sums(weights, column);
            chunk.copy_from_slice(&sums);
            column += VALUE_CHUNK;
        }
        for slot in chunks.into_remainder() {
            [*slot] = self.column_sums(weights, column);
            column += 1;
        }
    }

    /// Weighted sums of the `N` value columns from `column`.
    #[inline(always)]
    fn column_sums<const N: usize>(&self, weights: &[i64], column: usize) -> [i32; N] {
        let hs = self.head_size;
        let mut sums = [0i32; N];
        for (&weight, entry) in weights.iter().zip(self.entries()) {
            let start = entry * hs + column;
            for (sum, &v) in sums.iter_mut().zip(&self.values[start..start + N]) {
                *sum += weight as i32 * i32::from(v);
            }
        }
        sums
    }
}
