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

use super::{Cluster, Functional, Kernel, SimError, TaskRef, Timer, TokenGraph, Work, TOKEN_BYTES};
use crate::result::stats::SpeculationStats;
use ruvsim_engine::engine::Engine;
use ruvsim_engine::rng::{bernoulli, Probability};
use ruvsim_engine::time::Time;

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

/// Speculative decoding state of a run: the draft model's executor (functional fidelity) and the
/// totals.
pub(super) struct SpeculativeState<'m> {
    /// The draft's executor.
    pub draft: Option<Functional<'m>>,
    /// Totals, when speculation runs.
    pub stats: Option<SpeculationStats>,
}

impl Cluster<'_, '_> {
    /// Adds a draft-model forward pass for `stream`'s token `token` at `pos` on its draft chip.
    pub(super) fn draft_task(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        stream: u32,
        pos: u32,
        token: u32,
        sample: bool,
        after: &[TaskRef],
    ) -> Result<TaskRef, SimError> {
        let replica = self.streams[stream as usize].replica;
        let chip = self
            .setup
            .plan
            .draft_chip(replica)
            .ok_or_else(|| SimError::Internal("draft task without a draft chip".into()))?;
        let flight = match self.speculative.draft.as_mut() {
            Some(draft) => draft.new_flight(token),
            None => 0,
        };
        let ctx = TokenGraph {
            stream,
            pos,
            flight,
        };
        self.compute(engine, &ctx, chip, Kernel::Forward { sample }, false, after)
    }

    /// Starts a speculative round: the draft proposes after token `last` at position `pos`.
    pub(super) fn start_round(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        stream: u32,
        pos: u32,
        last: u32,
        after: &[TaskRef],
    ) -> Result<(), SimError> {
        let mut after = after.to_vec();
        if let Some(token) = self.streams[stream as usize].draft_catch_up.take() {
            // Every proposal was accepted last round: the draft has not yet seen its own last one.
            after = vec![self.draft_task(engine, stream, pos - 1, token, false, &after)?];
        }
        // Proposing more than the request still needs would only be thrown away.
        let state = &self.streams[stream as usize];
        let remaining = state
            .request
            .map_or(0, |id| self.requests[id as usize].new_tokens)
            .saturating_sub(state.generated);
        let k = self
            .setup
            .speculation
            .map_or(0, |s| s.k)
            .min(remaining.saturating_sub(1));
        self.streams[stream as usize].round = Some(Box::new(Round {
            k,
            pos,
            last,
            ..Round::default()
        }));
        if k == 0 {
            return self.verify_round(engine, stream, &after);
        }
        self.draft_task(engine, stream, pos, last, true, &after)?;
        Ok(())
    }

    /// A draft step of `stream` finished: propose the next, or send the proposals to verify.
    pub(super) fn draft_step_done(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        stream: u32,
    ) -> Result<(), SimError> {
        let Some(round) = self.streams[stream as usize].round.as_mut() else {
            return Ok(());
        };
        round.drafted += 1;
        let round = round.clone();
        if round.drafted < round.k {
            let input = round.proposals.last().copied().unwrap_or(0);
            self.draft_task(engine, stream, round.pos + round.drafted, input, true, &[])?;
            return Ok(());
        }
        let replica = self.streams[stream as usize].replica;
        let draft_chip = self
            .setup
            .plan
            .draft_chip(replica)
            .ok_or_else(|| SimError::Internal("round without a draft chip".into()))?;
        let first_leader = self.leader(replica, 0);
        let bytes = TOKEN_BYTES * round.k;
        let after = self.send_marked(engine, stream, draft_chip, first_leader, bytes, &[], None)?;
        self.verify_round(engine, stream, &after)
    }

    /// The target runs the round's `k + 1` positions through its pipeline.
    pub(super) fn verify_round(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        stream: u32,
        after: &[TaskRef],
    ) -> Result<(), SimError> {
        let round = self.streams[stream as usize]
            .round
            .clone()
            .ok_or_else(|| SimError::Internal(format!("stream {stream} has no round")))?;
        for (i, token) in round.verify_inputs().into_iter().enumerate() {
            let pos = round.pos + i as u32;
            self.schedule_token(engine, stream, pos, token, true, after)?;
        }
        Ok(())
    }

    /// Every verification position of `stream`'s round is done: accept, emit, go on.
    pub(super) fn resolve_round(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        stream: u32,
        now: Time,
    ) -> Result<(), SimError> {
        let speculation = self
            .setup
            .speculation
            .ok_or_else(|| SimError::Internal("round without speculation".into()))?;
        let state = &mut self.streams[stream as usize];
        let round = state
            .round
            .take()
            .ok_or_else(|| SimError::Internal(format!("stream {stream} has no round")))?;
        let k = round.k;
        let accepted = match (speculation.acceptance, state.acceptance_rng.as_mut()) {
            (Some(p), Some(rng)) => assumed_acceptance(k, p, rng),
            _ => measured_acceptance(&round.proposals, &state.chosen),
        };
        // The draft's context misses its own last proposal only when every proposal stood.
        state.draft_catch_up =
            (k > 0 && accepted == k).then(|| round.proposals.last().copied().unwrap_or(0));
        let remaining = self.requests[state.request.unwrap_or(0) as usize]
            .new_tokens
            .saturating_sub(state.generated);
        let emitted = (accepted + 1).min(remaining);
        if let Some(stats) = self.speculative.stats.as_mut() {
            stats.rounds += 1;
            stats.proposed += u64::from(k);
            stats.accepted += u64::from(accepted);
            stats.emitted += u64::from(emitted);
        }
        if self.emit(engine, stream, emitted, round.pos, now)? {
            return Ok(());
        }
        let next = self.streams[stream as usize].chosen_last.unwrap_or(0);
        let replica = self.streams[stream as usize].replica;
        let plan = self.setup.plan;
        let last_leader = self.leader(replica, plan.pipeline - 1);
        let draft_chip = plan
            .draft_chip(replica)
            .ok_or_else(|| SimError::Internal("round without a draft chip".into()))?;
        let after = self.send_marked(
            engine,
            stream,
            last_leader,
            draft_chip,
            TOKEN_BYTES * emitted,
            &[],
            None,
        )?;
        self.start_round(engine, stream, round.pos + emitted, next, &after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruvsim_engine::rng::{stream, Purpose};

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
