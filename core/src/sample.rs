//! Choosing the next token from logits: greedy argmax (ties to the lowest index), or sampling
//! with temperature, top-k and top-p from a seeded ChaCha stream, all in integer arithmetic so
//! that a seed gives the same tokens on every target. Costs are data-independent, so
//! [`crate::predict()`] counts them exactly.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use thiserror::Error;

use crate::fixed::{exp2_neg_q30, LOG2E_Q30};
use crate::ops::OpCounts;
use crate::vectors::VecRef;

/// How to choose tokens. All parameters are integers so the choice is bit-exact everywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SamplerConfig {
    /// Softmax temperature in Q16.16; 0 means greedy argmax.
    pub temperature_q16: u32,
    /// Sample among the `top_k` most likely tokens only; 0 means the whole vocabulary.
    pub top_k: u32,
    /// Nucleus: keep the smallest prefix of the top-k candidates whose probability reaches
    /// `top_p_q16 / 65536`; 65536 keeps them all. Below 65536 it needs `top_k > 0`.
    pub top_p_q16: u32,
}

impl SamplerConfig {
    /// Greedy decoding.
    pub const GREEDY: SamplerConfig = SamplerConfig {
        temperature_q16: 0,
        top_k: 0,
        top_p_q16: 1 << 16,
    };

    /// Checks the parameters against a vocabulary size.
    pub fn validate(&self, vocab_size: u32) -> Result<(), SampleError> {
        if self.top_k > vocab_size {
            return Err(SampleError::TopK {
                top_k: self.top_k,
                vocab_size,
            });
        }
        if self.top_p_q16 == 0 || self.top_p_q16 > 1 << 16 {
            return Err(SampleError::TopP(self.top_p_q16));
        }
        if self.top_p_q16 < 1 << 16 && self.top_k == 0 && self.temperature_q16 > 0 {
            return Err(SampleError::TopPWithoutTopK);
        }
        Ok(())
    }
}

/// Why a token could not be chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum SampleError {
    /// `top_k` exceeds the vocabulary.
    #[error("top_k {top_k} exceeds the vocabulary size {vocab_size}")]
    TopK {
        /// The asked k.
        top_k: u32,
        /// The vocabulary size.
        vocab_size: u32,
    },
    /// `top_p` is not in `1..=65536`.
    #[error("top_p {0}/65536 is not in (0, 1]")]
    TopP(u32),
    /// Nucleus sampling needs a top-k candidate list.
    #[error("top_p below 1 needs top_k > 0")]
    TopPWithoutTopK,
    /// No logits to choose from.
    #[error("no logits")]
    Empty,
    /// The logits vector is not the vocabulary size.
    #[error("{found} logits for a vocabulary of {expected}")]
    Length {
        /// Vocabulary size.
        expected: u32,
        /// Logits given.
        found: usize,
    },
    /// An f32 logit is NaN or too large for Q16.16.
    #[error("logit {index} is not finite or beyond +-32768")]
    Logit {
        /// Its index.
        index: u32,
    },
}

/// A token chooser with its own seeded random stream.
#[derive(Clone, Debug)]
pub struct Sampler {
    config: SamplerConfig,
    rng: ChaCha8Rng,
}

/// Logit `i` as Q16.16 (f32 logits rounded; they were checked by [`check_logits`]).
fn logit_q16(logits: &VecRef, i: usize) -> i32 {
    match logits {
        VecRef::Q16(l) => l[i],
        VecRef::F32(l) => libm::roundf(l[i] * 65536.0) as i32,
    }
}

fn check_logits(logits: &VecRef) -> Result<(), SampleError> {
    if logits.is_empty() {
        return Err(SampleError::Empty);
    }
    if let VecRef::F32(l) = logits {
        if let Some(index) = l.iter().position(|v| !v.is_finite() || v.abs() >= 32768.0) {
            return Err(SampleError::Logit {
                index: index as u32,
            });
        }
    }
    Ok(())
}

/// The index of the largest logit, the lowest index among equals.
pub fn argmax(logits: VecRef, counts: &mut OpCounts) -> Result<u32, SampleError> {
    check_logits(&logits)?;
    let best = match logits {
        VecRef::Q16(l) => first_max(l.iter().map(|&v| i64::from(v))),
        VecRef::F32(l) => {
            let mut best = 0;
            for (i, &v) in l.iter().enumerate() {
                if v > l[best] {
                    best = i;
                }
            }
            best
        }
    };
    counts.elementwise += logits.len() as u64;
    Ok(best as u32)
}

fn first_max(values: impl Iterator<Item = i64>) -> usize {
    let mut best = (i64::MIN, 0);
    for (i, v) in values.enumerate() {
        if v > best.0 {
            best = (v, i);
        }
    }
    best.1
}

/// Candidate order: larger logit first, lower index among equals.
fn ranks_before(a: (i32, usize), b: (i32, usize)) -> bool {
    a.0 > b.0 || (a.0 == b.0 && a.1 < b.1)
}

/// The best candidate strictly after `previous` in candidate order (one pass over the logits).
fn next_candidate(logits: &VecRef, previous: Option<(i32, usize)>) -> (i32, usize) {
    let mut best: Option<(i32, usize)> = None;
    for i in 0..logits.len() {
        let c = (logit_q16(logits, i), i);
        let after = previous.is_none_or(|p| ranks_before(p, c));
        if after && best.is_none_or(|b| ranks_before(c, b)) {
            best = Some(c);
        }
    }
    // `previous` always leaves a candidate: callers ask for at most `len` of them.
    best.unwrap_or((i32::MIN, 0))
}

impl Sampler {
    /// A sampler for `config` with a ChaCha stream seeded by `seed`.
    pub fn new(config: SamplerConfig, seed: u64) -> Sampler {
        Sampler {
            config,
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// The sampler's parameters.
    pub fn config(&self) -> &SamplerConfig {
        &self.config
    }

    /// Chooses a token from the full vocabulary's logits.
    pub fn sample(&mut self, logits: VecRef, counts: &mut OpCounts) -> Result<u32, SampleError> {
        self.config.validate(logits.len() as u32)?;
        if self.config.temperature_q16 == 0 {
            return argmax(logits, counts);
        }
        check_logits(&logits)?;
        // z = (max - logit) * log2(e) / T in Q16 equals (difference * factor) >> 30.
        let factor = (LOG2E_Q30 << 16) / u64::from(self.config.temperature_q16);
        let weight = |max: i32, logit: i32| {
            let difference = (i64::from(max) - i64::from(logit)) as u64;
            let z = u64::try_from((u128::from(difference) * u128::from(factor)) >> 30)
                .unwrap_or(u64::MAX);
            u64::from(exp2_neg_q30(z))
        };
        let draw = self.rng.next_u64();
        let pick = |total: u64| ((u128::from(draw) * u128::from(total)) >> 64) as u64;
        let token = if self.config.top_k == 0 {
            sample_full(&logits, weight, pick)
        } else {
            sample_top_k(
                &logits,
                self.config.top_k,
                self.config.top_p_q16,
                weight,
                pick,
            )
        };
        *counts += sample_counts(&self.config, logits.len() as u32)?;
        Ok(token as u32)
    }
}

/// Softmax sampling over the whole vocabulary: three full passes (max, weights, scan), the scan
/// never stopping early.
fn sample_full(
    logits: &VecRef,
    weight: impl Fn(i32, i32) -> u64,
    pick: impl Fn(u64) -> u64,
) -> usize {
    let n = logits.len();
    let max = (0..n).map(|i| logit_q16(logits, i)).max().unwrap_or(0);
    let total: u64 = (0..n).map(|i| weight(max, logit_q16(logits, i))).sum();
    let target = pick(total);
    let mut cumulative = 0;
    let mut chosen = n - 1;
    let mut found = false;
    for i in 0..n {
        cumulative += weight(max, logit_q16(logits, i));
        if !found && cumulative > target {
            chosen = i;
            found = true;
        }
    }
    chosen
}

/// Sampling among the top `k` candidates (and their top-p prefix), each sweep being `k` passes
/// of [`next_candidate`].
fn sample_top_k(
    logits: &VecRef,
    k: u32,
    top_p_q16: u32,
    weight: impl Fn(i32, i32) -> u64,
    pick: impl Fn(u64) -> u64,
) -> usize {
    let sweep = |visit: &mut dyn FnMut(u32, (i32, usize), u64)| {
        let mut previous = None;
        let mut max = 0;
        for rank in 0..k {
            let candidate = next_candidate(logits, previous);
            if rank == 0 {
                max = candidate.0;
            }
            visit(rank, candidate, weight(max, candidate.0));
            previous = Some(candidate);
        }
    };
    let mut total = 0u64;
    sweep(&mut |_, _, w| total += w);
    // Keep the shortest prefix whose weight reaches top_p of the total.
    let mut kept = k;
    let mut kept_total = total;
    if top_p_q16 < 1 << 16 {
        let threshold = u128::from(total) * u128::from(top_p_q16);
        let mut cumulative = 0u64;
        let mut done = false;
        sweep(&mut |rank, _, w| {
            cumulative += w;
            if !done && (u128::from(cumulative) << 16) >= threshold {
                kept = rank + 1;
                kept_total = cumulative;
                done = true;
            }
        });
    }
    let target = pick(kept_total);
    let mut cumulative = 0u64;
    let mut chosen = None;
    sweep(&mut |rank, candidate, w| {
        cumulative += w;
        if chosen.is_none() && rank < kept && cumulative > target {
            chosen = Some(candidate.1);
        }
    });
    chosen.unwrap_or(0)
}

/// Counts of one [`Sampler::sample`] over `vocab_size` logits.
pub(crate) fn sample_counts(
    config: &SamplerConfig,
    vocab_size: u32,
) -> Result<OpCounts, SampleError> {
    config.validate(vocab_size)?;
    let v = u64::from(vocab_size);
    Ok(if config.temperature_q16 == 0 {
        OpCounts {
            elementwise: v,
            ..OpCounts::default()
        }
    } else if config.top_k == 0 {
        OpCounts {
            elementwise: 3 * v,
            lut: 2 * v,
            ..OpCounts::default()
        }
    } else {
        let sweeps = if config.top_p_q16 < 1 << 16 { 3 } else { 2 };
        let k = u64::from(config.top_k);
        OpCounts {
            elementwise: sweeps * k * v,
            lut: sweeps * k,
            ..OpCounts::default()
        }
    })
}
