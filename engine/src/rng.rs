//! Seeded random streams, one per purpose and entity, and the draws the simulator needs.
//!
//! A scenario has one `u64` seed. Every consumer of randomness (arrivals, link loss, faults, ...)
//! gets its own ChaCha8 stream from [`stream`], derived from `(seed, purpose, entity)`, so adding a
//! chip, a link or a new kind of random draw never shifts the numbers any other consumer sees.
//!
//! Derivation (fixed; changing it changes every simulated result):
//! 1. the 32-byte ChaCha20 key is the seed in little-endian order followed by 24 zero bytes;
//! 2. with that key and stream id = the purpose's [`Purpose::id`], the first 32 bytes of ChaCha20
//!    output are the *purpose key* (a pseudo-random function of seed and purpose);
//! 3. the returned generator is ChaCha8 keyed with the purpose key, on stream id = `entity`.
//!
//! ChaCha's stream id selects one of 2^64 independent keystreams per key, so different entities
//! are independent by construction of the cipher, and different purposes or seeds use unrelated
//! keys. Everything is integer arithmetic in the cipher, so the streams are identical on every host.
//!
//! Draws: [`exponential`] (inter-arrival times in integer picoseconds, via `libm::log` on a 53-bit
//! uniform, so the result does not depend on the host's math library) and [`bernoulli`] (an exact
//! integer comparison against a 64-bit fixed-point [`Probability`]).

use rand_chacha::rand_core::{Rng, SeedableRng};
use rand_chacha::{ChaCha20Rng, ChaCha8Rng};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::time::Duration;

/// What a random stream is used for. The numeric ids are part of the stream derivation: never
/// renumber them, only add new ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Request arrival times of a workload.
    Arrivals,
    /// Message loss on a link.
    LinkLoss,
    /// Chip and link faults.
    Faults,
    /// Token sampling in generation.
    Sampling,
    /// Gossip / membership protocol choices.
    Gossip,
    /// Prompt and request-shape choices of a workload.
    Workload,
    /// Synthetic model weights.
    SyntheticModel,
    /// Latency jitter of links.
    Jitter,
    /// Assumed acceptance of draft tokens in timing-fidelity speculative decoding.
    Speculation,
    /// Expert choice of a mixture-of-experts router (weights, or timing-fidelity draws).
    Routing,
}

impl Purpose {
    /// Every purpose, in id order.
    pub const ALL: [Purpose; 10] = [
        Purpose::Arrivals,
        Purpose::LinkLoss,
        Purpose::Faults,
        Purpose::Sampling,
        Purpose::Gossip,
        Purpose::Workload,
        Purpose::SyntheticModel,
        Purpose::Jitter,
        Purpose::Speculation,
        Purpose::Routing,
    ];

    /// The stable numeric id used in stream derivation.
    pub const fn id(self) -> u64 {
        match self {
            Purpose::Arrivals => 1,
            Purpose::LinkLoss => 2,
            Purpose::Faults => 3,
            Purpose::Sampling => 4,
            Purpose::Gossip => 5,
            Purpose::Workload => 6,
            Purpose::SyntheticModel => 7,
            Purpose::Jitter => 8,
            Purpose::Speculation => 9,
            Purpose::Routing => 10,
        }
    }
}

/// The random stream for `purpose` and `entity` (a chip id, link id, request id, ...) under the
/// scenario `seed`. Same inputs, same stream, on every host.
pub fn stream(seed: u64, purpose: Purpose, entity: u64) -> ChaCha8Rng {
    let mut root_key = [0u8; 32];
    root_key[..8].copy_from_slice(&seed.to_le_bytes());
    let mut root = ChaCha20Rng::from_seed(root_key);
    root.set_stream(purpose.id());
    let mut purpose_key = [0u8; 32];
    root.fill_bytes(&mut purpose_key);
    let mut rng = ChaCha8Rng::from_seed(purpose_key);
    rng.set_stream(entity);
    rng
}

/// Why a random draw could not be made.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RngError {
    /// A probability outside [0, 1] or not a number.
    #[error("probability must be between 0 and 1, got {0}")]
    InvalidProbability(f64),
    /// The mean of an exponential draw is so large that a sample could overflow simulated time.
    #[error("exponential mean {mean} is too large: samples could exceed the time range")]
    MeanTooLarge {
        /// The requested mean.
        mean: Duration,
    },
}

/// A probability in 64-bit fixed point: `threshold / 2^64`, with 1 represented exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Probability {
    /// `None` means exactly 1; otherwise the probability is `threshold / 2^64`.
    threshold: Option<u64>,
}

impl Probability {
    /// Probability 0: never.
    pub const NEVER: Probability = Probability { threshold: Some(0) };
    /// Probability 1: always.
    pub const ALWAYS: Probability = Probability { threshold: None };

    /// Converts a decimal probability (from a scenario) to fixed point, rounding to the nearest
    /// multiple of 2^-64. Rejects values outside [0, 1] and NaN.
    pub fn new(p: f64) -> Result<Probability, RngError> {
        if !(0.0..=1.0).contains(&p) {
            return Err(RngError::InvalidProbability(p));
        }
        if p == 1.0 {
            return Ok(Probability::ALWAYS);
        }
        // p < 1, so p * 2^64 < 2^64 and rounding can reach at most 2^64 - 2048 (f64 spacing).
        Ok(Probability {
            threshold: Some((p * 18_446_744_073_709_551_616.0).round() as u64),
        })
    }

    /// The probability as a float, for reporting.
    pub fn as_f64(self) -> f64 {
        match self.threshold {
            None => 1.0,
            Some(t) => t as f64 / 18_446_744_073_709_551_616.0,
        }
    }
}

/// A Bernoulli trial: `true` with probability `p`. Consumes one `u64` from the stream.
pub fn bernoulli<R: Rng + ?Sized>(rng: &mut R, p: Probability) -> bool {
    let draw = rng.next_u64();
    match p.threshold {
        None => true,
        Some(threshold) => draw < threshold,
    }
}

/// A uniform draw in (0, 1] with 53 random bits (never 0, so its logarithm is finite).
fn uniform_open_closed<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    ((rng.next_u64() >> 11) + 1) as f64 * (1.0 / 9_007_199_254_740_992.0)
}

/// The largest value of `-ln(u)` for `u` in (0, 1] with 53 bits: `53 ln 2`, about 36.74.
const MAX_EXPONENTIAL_QUANTILE: f64 = 36.737;

/// An exponentially distributed duration with the given mean (Poisson inter-arrival times), rounded
/// to the nearest picosecond. Consumes one `u64` from the stream. Inversion sampling with
/// `libm::log`, which is pure Rust and gives the same result on every host.
pub fn exponential<R: Rng + ?Sized>(rng: &mut R, mean: Duration) -> Result<Duration, RngError> {
    let mean_ps = mean.as_ps() as f64;
    if mean_ps * MAX_EXPONENTIAL_QUANTILE >= u64::MAX as f64 {
        return Err(RngError::MeanTooLarge { mean });
    }
    let u = uniform_open_closed(rng);
    let sample = -libm::log(u) * mean_ps;
    Ok(Duration::from_ps(sample.round() as u64))
}

/// An exponentially distributed duration with the given mean, or `None` when the draw falls at
/// or after `limit` (a crash after the simulated horizon simply does not happen in the run).
/// Consumes one `u64` from the stream, like [`exponential`], whatever the mean.
pub fn exponential_before<R: Rng + ?Sized>(
    rng: &mut R,
    mean: Duration,
    limit: Duration,
) -> Option<Duration> {
    let u = uniform_open_closed(rng);
    let sample = -libm::log(u) * mean.as_ps() as f64;
    (sample < limit.as_ps() as f64).then(|| Duration::from_ps(sample.round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_words(mut rng: ChaCha8Rng, n: usize) -> Vec<u64> {
        (0..n).map(|_| rng.next_u64()).collect()
    }

    #[test]
    fn same_inputs_give_the_same_stream() {
        let a = first_words(stream(42, Purpose::Arrivals, 7), 16);
        let b = first_words(stream(42, Purpose::Arrivals, 7), 16);
        assert_eq!(a, b);
    }

    #[test]
    fn purposes_entities_and_seeds_give_different_streams() {
        let mut seen = std::collections::BTreeSet::new();
        for seed in [0u64, 1, u64::MAX] {
            for purpose in Purpose::ALL {
                for entity in [0u64, 1, 2, 1 << 40] {
                    let words = first_words(stream(seed, purpose, entity), 4);
                    assert!(
                        seen.insert(words),
                        "stream collision at seed {seed} {purpose:?} entity {entity}"
                    );
                }
            }
        }
    }

    #[test]
    fn streams_are_statistically_independent() {
        // Bit agreement between two streams: 64 * 4096 bits, expected half equal; a correlated pair
        // would sit far from 50% (six standard deviations is about 0.6% here).
        let a = first_words(stream(9, Purpose::LinkLoss, 0), 4096);
        let b = first_words(stream(9, Purpose::LinkLoss, 1), 4096);
        let c = first_words(stream(9, Purpose::Faults, 0), 4096);
        for (x, y) in [(&a, &b), (&a, &c), (&b, &c)] {
            let equal_bits: u32 = x.iter().zip(y).map(|(p, q)| (!(p ^ q)).count_ones()).sum();
            let fraction = f64::from(equal_bits) / (64.0 * 4096.0);
            assert!((fraction - 0.5).abs() < 0.006, "bit agreement {fraction}");
        }
    }

    #[test]
    fn stream_derivation_is_pinned() {
        // Golden value: the first output of stream(1, Arrivals, 0). It changes only if the
        // derivation documented at the top of this module changes (which changes every result).
        // Regenerate by printing `stream(1, Purpose::Arrivals, 0).next_u64()`.
        let first = stream(1, Purpose::Arrivals, 0).next_u64();
        assert_eq!(
            first, GOLDEN_FIRST_WORD,
            "stream derivation changed: got {first:#x}"
        );
    }

    const GOLDEN_FIRST_WORD: u64 = 0xb9a1_f9cb_4298_e66e;

    #[test]
    fn probability_validation_and_extremes() {
        assert!(Probability::new(-0.1).is_err());
        assert!(Probability::new(1.5).is_err());
        assert!(Probability::new(f64::NAN).is_err());
        let mut rng = stream(3, Purpose::LinkLoss, 0);
        assert!((0..1000).all(|_| bernoulli(&mut rng, Probability::new(1.0).unwrap())));
        assert!((0..1000).all(|_| !bernoulli(&mut rng, Probability::new(0.0).unwrap())));
        assert_eq!(Probability::new(0.25).unwrap().as_f64(), 0.25);
    }

    #[test]
    fn bernoulli_frequency_matches_probability() {
        let mut rng = stream(5, Purpose::LinkLoss, 3);
        let p = Probability::new(0.3).unwrap();
        let hits = (0..20_000).filter(|_| bernoulli(&mut rng, p)).count();
        // Standard deviation sqrt(20000 * 0.21) = 65; allow six.
        assert!((hits as i64 - 6_000).abs() < 390, "hits {hits}");
    }

    #[test]
    fn exponential_mean_and_determinism() {
        let mean = Duration::from_us(100);
        let mut rng = stream(11, Purpose::Arrivals, 0);
        let samples: Vec<u64> = (0..20_000)
            .map(|_| exponential(&mut rng, mean).unwrap().as_ps())
            .collect();
        let average = samples.iter().map(|&s| s as f64).sum::<f64>() / samples.len() as f64;
        // Standard error of the mean: 100 us / sqrt(20000) = 0.71 us; allow six.
        assert!((average - 100e6).abs() < 4.3e6, "average {average} ps");
        let mut again = stream(11, Purpose::Arrivals, 0);
        assert_eq!(exponential(&mut again, mean).unwrap().as_ps(), samples[0]);
        assert!(exponential(&mut again, Duration::MAX).is_err());
    }

    #[test]
    fn draws_before_a_limit_match_the_plain_draws_and_drop_the_rest() {
        let mean = Duration::from_ms(5);
        let mut a = stream(9, Purpose::Faults, 0);
        let mut b = stream(9, Purpose::Faults, 0);
        for _ in 0..100 {
            let plain = exponential(&mut a, mean).unwrap();
            assert_eq!(exponential_before(&mut b, mean, Duration::MAX), Some(plain));
        }
        // A mean far beyond the time range: most draws fall after the limit, and each draw still
        // consumes exactly one word of the stream.
        let huge = Duration::from_ps(u64::MAX);
        let mut c = stream(9, Purpose::Faults, 1);
        let mut d = stream(9, Purpose::Faults, 1);
        let late = (0..100)
            .filter(|_| exponential_before(&mut c, huge, Duration::from_ps(u64::MAX / 2)).is_none())
            .count();
        assert!(late > 40, "{late}");
        for _ in 0..100 {
            d.next_u64();
        }
        assert_eq!(c.next_u64(), d.next_u64());
    }
}
