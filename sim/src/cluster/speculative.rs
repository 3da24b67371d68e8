//! Speculative decoding: a draft model on its own chip proposes `k` tokens one by one; the target
//! pipeline verifies all of them (and the token before them) in one pass of `k + 1` positions; the
//! longest prefix of proposals the target agrees with is accepted, plus the target's own next
//! token. With greedy choice the tokens are exactly those of plain greedy decoding.
//!
//! The key/value caches need no explicit rollback: a cache entry is written at its position before
//! it is read, so entries of rejected proposals are simply overwritten when those positions are
//! computed again (which is why speculation requires full causal attention, whose cache is not a
//! ring buffer).

use rand_chacha::ChaCha8Rng;
use ruvsim_core::ModelConfig;
use serde::{Deserialize, Serialize};

use crate::rng::{bernoulli, Probability};

/// Speculative decoding settings of a run.
#[derive(Clone, Copy, Debug)]
pub struct Speculation {
    /// Draft tokens per round.
    pub k: u32,
    /// The draft model's configuration.
    pub draft: ModelConfig,
    /// Timing fidelity: the assumed acceptance probability of each draft token.
    pub acceptance: Option<Probability>,
}

/// One round of a stream: the draft proposes, then the target verifies.
#[derive(Clone, Debug, Default)]
pub(super) struct Round {
    /// Tokens the draft proposes this round (`k`, or fewer near the end of the request).
    pub k: u32,
    /// Position of the round's first input (the last chosen token).
    pub pos: u32,
    /// That token.
    pub last: u32,
    /// Draft steps finished so far.
    pub drafted: u32,
    /// Proposed tokens (functional fidelity).
    pub proposals: Vec<u32>,
    /// Verification positions finished so far.
    pub verified: u32,
}

impl Round {
    /// Inputs of the `k + 1` verification positions: the last token, then the proposals.
    pub fn verify_inputs(&self) -> Vec<u32> {
        let mut inputs = Vec::with_capacity(self.k as usize + 1);
        inputs.push(self.last);
        inputs.extend(self.proposals.iter().copied());
        inputs.resize(self.k as usize + 1, 0);
        inputs
    }
}

/// How many leading proposals the target's choices confirm.
pub(super) fn measured_acceptance(proposals: &[u32], target: &[u32]) -> u32 {
    proposals
        .iter()
        .zip(target)
        .take_while(|(proposed, chosen)| proposed == chosen)
        .count() as u32
}

/// Timing fidelity: leading proposals accepted, each with probability `p`.
pub(super) fn assumed_acceptance(k: u32, p: Probability, rng: &mut ChaCha8Rng) -> u32 {
    (0..k).take_while(|_| bernoulli(rng, p)).count() as u32
}

/// Totals of a run's speculation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SpeculationStats {
    /// Draft tokens per round.
    pub k: u32,
    /// Verification rounds.
    pub rounds: u64,
    /// Draft tokens proposed.
    pub proposed: u64,
    /// Draft tokens accepted.
    pub accepted: u64,
    /// Tokens emitted by rounds (accepted plus the target's own, capped by the budget).
    pub emitted: u64,
    /// `true` when acceptance was measured from the real models (functional fidelity); `false`
    /// when it was the scenario's assumption (timing fidelity).
    pub measured: bool,
}

impl SpeculationStats {
    /// Accepted / proposed.
    pub fn acceptance_rate(&self) -> f64 {
        if self.proposed == 0 {
            0.0
        } else {
            self.accepted as f64 / self.proposed as f64
        }
    }

    /// Tokens emitted per verification pass.
    pub fn tokens_per_round(&self) -> f64 {
        if self.rounds == 0 {
            0.0
        } else {
            self.emitted as f64 / self.rounds as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream, Purpose};

    #[test]
    fn acceptance_is_the_agreeing_prefix() {
        assert_eq!(measured_acceptance(&[1, 2, 3], &[1, 2, 3, 4]), 3);
        assert_eq!(measured_acceptance(&[1, 9, 3], &[1, 2, 3, 4]), 1);
        assert_eq!(measured_acceptance(&[7, 2, 3], &[1, 2, 3, 4]), 0);
    }

    #[test]
    fn assumed_acceptance_extremes() {
        let mut rng = stream(1, Purpose::Speculation, 0);
        let all = Probability::new(1.0).unwrap();
        let none = Probability::new(0.0).unwrap();
        assert_eq!(assumed_acceptance(4, all, &mut rng), 4);
        assert_eq!(assumed_acceptance(4, none, &mut rng), 0);
    }
}
