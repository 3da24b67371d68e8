//! Mixture of experts: each layer's feed-forward block is `experts` experts on their own chips.
//! The coordinator (the replica's only stage) runs attention and an integer router that picks
//! `top_k` experts per token and layer; the hidden state travels to each chosen expert, whose
//! output travels back, and the coordinator adds their average to the residual stream.
//!
//! Which experts a token needs is known only once the router has run, so a token's graph is
//! built layer by layer as it goes. The tokens of a prompt go through one after another (each
//! layer's key/value entries must be written in position order).
//!
//! In functional fidelity the router is real (synthetic int8 weights, so the choices carry no
//! meaning but the load they put on each expert is what the weights give); in timing fidelity
//! each choice is drawn uniformly from a seeded stream, and the result says so.

use ruvsim_core::Phase;
use std::collections::VecDeque;

use rand_chacha::rand_core::Rng;
use rand_chacha::ChaCha8Rng;

use super::{Cluster, Kernel, SimError, TaskRef, Timer, TokenGraph, Work};
use crate::result::stats::MoeStats;
use ruvsim_engine::engine::Engine;
use ruvsim_engine::rng::{self, Purpose};

/// Mixture-of-experts settings of a run.
#[derive(Clone, Copy, Debug)]
pub struct MoeSetup {
    /// Experts per replica.
    pub experts: u32,
    /// Experts per token and layer.
    pub top_k: u32,
    /// A fixed choice (always this expert and the next ones) instead of the router.
    pub fixed: Option<u32>,
    /// Seed of the synthetic expert and router weights.
    pub seed: u64,
}

/// Mixture-of-experts state of a run: the expert load, each stream's token in flight and queued
/// prompt tokens, and the seeded stream that draws experts in timing fidelity.
pub(super) struct MoeState {
    /// Expert load, when the plan has experts.
    pub stats: Option<MoeStats>,
    /// Per stream: prompt tokens still to go.
    pub queues: Vec<MoeQueue>,
    /// Per stream: whether a token is on its way through the experts.
    pub busy: Vec<bool>,
    /// Per stream: the token on its way.
    pub tokens: Vec<Option<MoeToken>>,
    /// Uniform expert draws (timing fidelity).
    pub routing_rng: ChaCha8Rng,
}

impl MoeState {
    /// The state for `streams` streams; `functional` says whether the router runs.
    pub fn new(setup: Option<MoeSetup>, functional: bool, streams: usize, seed: u64) -> MoeState {
        MoeState {
            stats: setup.map(|m| MoeStats {
                experts: m.experts,
                top_k: m.top_k,
                routing: match (m.fixed, functional) {
                    (Some(_), _) => "fixed".into(),
                    (None, true) => "router".into(),
                    (None, false) => "uniform draws (timing fidelity: no model runs)".into(),
                },
                visits: vec![0; m.experts as usize],
            }),
            queues: vec![MoeQueue::default(); streams],
            busy: vec![false; streams],
            tokens: vec![None; streams],
            routing_rng: rng::stream(seed, Purpose::Routing, 0),
        }
    }
}

/// A token on its way through a mixture-of-experts replica.
#[derive(Clone, Copy, Debug)]
pub(super) struct MoeToken {
    pub pos: u32,
    pub flight: u32,
    pub sample: bool,
}

/// Per-stream mixture-of-experts state: the prompt tokens still to go, one at a time.
#[derive(Clone, Debug, Default)]
pub(super) struct MoeQueue {
    pub waiting: VecDeque<(u32, u32, bool)>,
}

impl Cluster<'_, '_> {
    /// Starts token `token` at `pos` of `stream` on its replica's coordinator (prompt tokens
    /// queue behind the one in flight).
    pub(super) fn schedule_moe_token(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        stream: u32,
        pos: u32,
        token: u32,
        sample: bool,
        after: &[TaskRef],
    ) -> Result<(), SimError> {
        let queue = &mut self.moe.queues[stream as usize];
        if self.moe.busy[stream as usize] {
            queue.waiting.push_back((pos, token, sample));
            return Ok(());
        }
        self.moe.busy[stream as usize] = true;
        let flight = match self.functional.as_mut() {
            Some(functional) => functional.new_flight(token),
            None => 0,
        };
        let replica = self.streams[stream as usize].replica;
        let coordinator = self.leader(replica, 0);
        let ctx = TokenGraph {
            stream,
            pos,
            flight,
        };
        let embed = self.compute(
            engine,
            &ctx,
            coordinator,
            Kernel::Phase(Phase::Embed),
            false,
            after,
        )?;
        self.moe.tokens[stream as usize] = Some(MoeToken {
            pos,
            flight,
            sample,
        });
        self.moe_attention(engine, stream, 0, &[embed])
    }

    /// Adds the coordinator's attention-and-router task of `layer` for the stream's token.
    fn moe_attention(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        stream: u32,
        layer: u32,
        after: &[TaskRef],
    ) -> Result<(), SimError> {
        let (token, setup) = self.moe_context(stream)?;
        let replica = self.streams[stream as usize].replica;
        let coordinator = self.leader(replica, 0);
        let ctx = TokenGraph {
            stream,
            pos: token.pos,
            flight: token.flight,
        };
        let kernel = Kernel::MoeAttention {
            layer,
            experts: if setup.fixed.is_some() {
                0
            } else {
                setup.experts
            },
            top_k: setup.top_k,
        };
        self.compute(engine, &ctx, coordinator, kernel, false, after)?;
        Ok(())
    }

    fn moe_context(&self, stream: u32) -> Result<(MoeToken, MoeSetup), SimError> {
        let token = self.moe.tokens[stream as usize]
            .ok_or_else(|| SimError::Internal(format!("stream {stream} has no expert token")))?;
        let setup = self
            .setup
            .moe
            .ok_or_else(|| SimError::Internal("expert token without experts".into()))?;
        Ok((token, setup))
    }

    /// The router of `layer` has chosen: send the hidden state to each chosen expert, and gather
    /// their outputs back on the coordinator.
    pub(super) fn moe_routed(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        stream: u32,
        layer: u32,
    ) -> Result<(), SimError> {
        let (token, setup) = self.moe_context(stream)?;
        let chosen: Vec<u32> = match (self.functional.as_ref(), setup.fixed) {
            (Some(functional), _) => functional.chosen_experts(token.flight),
            (None, Some(first)) => (0..setup.top_k)
                .map(|i| (first + i) % setup.experts)
                .collect(),
            (None, None) => self.draw_experts(setup),
        };
        let config = self.setup.config;
        let hidden_bytes = config.shape.dim * 4;
        let partial_bytes = config.shape.dim * if config.precision.is_integer() { 8 } else { 4 };
        let replica = self.streams[stream as usize].replica;
        let coordinator = self.leader(replica, 0);
        let ctx = TokenGraph {
            stream,
            pos: token.pos,
            flight: token.flight,
        };
        let mut parts = Vec::with_capacity(chosen.len());
        for (slot, &expert) in chosen.iter().enumerate() {
            if let Some(stats) = self.moe.stats.as_mut() {
                stats.visits[expert as usize] += 1;
            }
            let chip = self.setup.plan.expert_chip(replica, expert);
            let input = self.send(engine, &ctx, coordinator, chip, hidden_bytes, &[])?;
            let kernel = Kernel::Expert {
                layer,
                expert,
                slot: slot as u32,
            };
            let task = self.compute(engine, &ctx, chip, kernel, false, &input)?;
            parts.extend(self.send(engine, &ctx, chip, coordinator, partial_bytes, &[task])?);
        }
        let combine = Kernel::MoeCombine {
            layer,
            top_k: setup.top_k,
        };
        self.compute(engine, &ctx, coordinator, combine, false, &parts)?;
        Ok(())
    }

    /// Timing fidelity: `top_k` distinct experts drawn uniformly.
    fn draw_experts(&mut self, setup: MoeSetup) -> Vec<u32> {
        let mut chosen = Vec::with_capacity(setup.top_k as usize);
        while chosen.len() < setup.top_k as usize {
            let expert = (self.moe.routing_rng.next_u64() % u64::from(setup.experts)) as u32;
            if !chosen.contains(&expert) {
                chosen.push(expert);
            }
        }
        chosen
    }

    /// The experts' outputs of `layer` are in: the next layer, or the classifier, or the end of
    /// a prompt token (and the next one starts).
    pub(super) fn moe_combined(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        stream: u32,
        layer: u32,
        now: ruvsim_engine::time::Time,
    ) -> Result<(), SimError> {
        let (token, _) = self.moe_context(stream)?;
        if layer + 1 < self.setup.config.shape.n_layers {
            return self.moe_attention(engine, stream, layer + 1, &[]);
        }
        let replica = self.streams[stream as usize].replica;
        let coordinator = self.leader(replica, 0);
        let ctx = TokenGraph {
            stream,
            pos: token.pos,
            flight: token.flight,
        };
        self.moe.tokens[stream as usize] = None;
        self.moe.busy[stream as usize] = false;
        if token.sample {
            let vocab = ruvsim_core::Span::new(0, self.setup.config.shape.vocab_size);
            let classify = self.compute(
                engine,
                &ctx,
                coordinator,
                Kernel::Phase(Phase::Classify(vocab)),
                false,
                &[],
            )?;
            self.compute(
                engine,
                &ctx,
                coordinator,
                Kernel::Phase(Phase::Sample),
                true,
                &[classify],
            )?;
        } else {
            self.token_done(engine, stream, token.pos, token.flight, false, now)?;
        }
        if let Some((pos, token, sample)) = self.moe.queues[stream as usize].waiting.pop_front() {
            self.schedule_moe_token(engine, stream, pos, token, sample, &[])?;
        }
        Ok(())
    }
}
