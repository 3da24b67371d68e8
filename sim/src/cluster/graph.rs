//! A token as a task graph: embed on the first stage's leader, each stage's layers (or, in a
//! tensor group, each layer's attention and feed-forward shards with the hidden state broadcast
//! to the ranks and their partial sums gathered back), the classifier and sampling on the last
//! stage, and the hidden state carried from stage to stage hop by hop along the topology's
//! routes. A stream's tasks on one chip follow each other in order.

use ruvsim_core::{Block, Phase, Span};
use ruvsim_engine::engine::{Engine, TaskRef};

use super::{Cluster, SimError, Timer, Work};
use crate::kernel::Kernel;

/// Which token a graph is being built for.
pub(super) struct TokenGraph {
    /// The stream.
    pub stream: u32,
    /// The context position of the token's input.
    pub pos: u32,
    /// The functional executor's flight of this token (0 in timing fidelity).
    pub flight: u32,
}

impl Cluster<'_, '_> {
    /// Whether `chip` is a speculative draft chip.
    pub(super) fn is_draft_chip(&self, chip: u32) -> bool {
        self.setup.plan.is_draft(chip)
    }

    pub(super) fn leader(&self, replica: u32, stage: u32) -> u32 {
        self.setup.plan.chip_id(replica, stage, 0)
    }

    /// Builds the task graph of one token of `stream` at `pos` with input `token`.
    pub(super) fn schedule_token(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        stream: u32,
        pos: u32,
        token: u32,
        sample: bool,
        after: &[TaskRef],
    ) -> Result<(), SimError> {
        if self.setup.moe.is_some() {
            return self.schedule_moe_token(engine, stream, pos, token, sample, after);
        }
        let plan = self.setup.plan;
        let config = self.setup.config;
        let replica = self.streams[stream as usize].replica;
        let flight = match self.functional.as_mut() {
            Some(functional) => functional.new_flight(token),
            None => 0,
        };
        let hidden_bytes = config.shape.dim * 4;
        let partial_bytes = config.shape.dim * if config.precision.is_integer() { 8 } else { 4 };
        let tensor = plan.tensor;
        let stages = plan.stages.len() as u32;
        let ctx = TokenGraph {
            stream,
            pos,
            flight,
        };
        let first = self.leader(replica, 0);
        let mut current = vec![self.compute(
            engine,
            &ctx,
            first,
            Kernel::Phase(Phase::Embed),
            false,
            after,
        )?];
        for stage in 0..stages {
            let leader = self.leader(replica, stage);
            if stage > 0 {
                let from = self.leader(replica, stage - 1);
                current = self.send(engine, &ctx, from, leader, hidden_bytes, &current)?;
            }
            let layers = plan.stages[stage as usize];
            let final_stage = stage + 1 == stages;
            if tensor == 1 {
                let last = final_stage && !sample;
                let task = self.compute(
                    engine,
                    &ctx,
                    leader,
                    Kernel::Phase(Phase::Layers(layers)),
                    last,
                    &current,
                )?;
                current = vec![task];
                continue;
            }
            for layer in layers.start..layers.end {
                for block in [Block::Attention, Block::Ffn] {
                    let mut parts = Vec::with_capacity(tensor as usize);
                    for rank in 0..tensor {
                        let chip = plan.chip_id(replica, stage, rank);
                        let shard = &plan.chip(chip).shard;
                        let kernel = match block {
                            Block::Attention => Kernel::Phase(Phase::Attention {
                                layer,
                                heads: shard.heads,
                            }),
                            Block::Ffn => Kernel::Phase(Phase::Ffn {
                                layer,
                                units: shard.ffn_units,
                            }),
                        };
                        let input =
                            self.send(engine, &ctx, leader, chip, hidden_bytes, &current)?;
                        let task = self.compute(engine, &ctx, chip, kernel, false, &input)?;
                        parts.extend(self.send(
                            engine,
                            &ctx,
                            chip,
                            leader,
                            partial_bytes,
                            &[task],
                        )?);
                    }
                    let last =
                        final_stage && !sample && layer + 1 == layers.end && block == Block::Ffn;
                    let combine = Kernel::Phase(Phase::Combine {
                        layer,
                        block,
                        ranks: tensor,
                    });
                    current = vec![self.compute(engine, &ctx, leader, combine, last, &parts)?];
                }
            }
        }
        if sample {
            let leader = self.leader(replica, stages - 1);
            let mut parts = Vec::with_capacity(tensor as usize);
            for rank in 0..tensor {
                let chip = plan.chip_id(replica, stages - 1, rank);
                let vocab: Span = plan.chip(chip).shard.vocab;
                let input = self.send(engine, &ctx, leader, chip, hidden_bytes, &current)?;
                let task = self.compute(
                    engine,
                    &ctx,
                    chip,
                    Kernel::Phase(Phase::Classify(vocab)),
                    false,
                    &input,
                )?;
                parts.extend(self.send(engine, &ctx, chip, leader, vocab.len() * 4, &[task])?);
            }
            self.compute(
                engine,
                &ctx,
                leader,
                Kernel::Phase(Phase::Sample),
                true,
                &parts,
            )?;
        }
        Ok(())
    }

    /// Adds a compute task, ordered after the stream's previous task on the same chip.
    pub(super) fn compute(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        ctx: &TokenGraph,
        chip: u32,
        kernel: Kernel,
        last: bool,
        after: &[TaskRef],
    ) -> Result<TaskRef, SimError> {
        let plan = self.setup.plan;
        let per_replica = plan.chips_per_replica();
        let local = match plan.expert_of(chip) {
            Some(expert) => per_replica + 1 + expert,
            None if plan.is_draft(chip) => per_replica,
            None => chip % per_replica,
        };
        let slot = (ctx.stream * (per_replica + 1 + plan.experts()) + local) as usize;
        let mut deps: Vec<TaskRef> = after.to_vec();
        deps.extend(self.order[slot]);
        let work = Work::Compute {
            stream: ctx.stream,
            chip,
            kernel,
            pos: ctx.pos,
            flight: ctx.flight,
            last,
        };
        let task = engine.add_task(chip, work, &deps)?;
        self.order[slot] = Some(task);
        Ok(task)
    }

    /// Sends `bytes` from `from` to `to` along the topology's route, one hop task per link;
    /// returns the tasks the receiver must wait for (`after` itself when `from == to`).
    pub(super) fn send(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        ctx: &TokenGraph,
        from: u32,
        to: u32,
        bytes: u32,
        after: &[TaskRef],
    ) -> Result<Vec<TaskRef>, SimError> {
        self.send_marked(engine, ctx.stream, from, to, bytes, after, None)
    }

    /// [`Cluster::send`], marking the last hop as the delivery of token record `deliver`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn send_marked(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        stream: u32,
        from: u32,
        to: u32,
        bytes: u32,
        after: &[TaskRef],
        deliver: Option<u32>,
    ) -> Result<Vec<TaskRef>, SimError> {
        let (from, to) = (self.physical(from), self.physical(to));
        if from == to {
            return Ok(after.to_vec());
        }
        let mut current = after.to_vec();
        if self.is_dead(from) || self.is_dead(to) {
            // An end's chip crashed and its role awaits a spare: the role's work waits for the
            // recovery, which recomputes what the message carried; nothing crosses a link.
            if let Some(faults) = self.faults.as_mut() {
                faults.stats.stranded_messages += 1;
            }
            if let Some(index) = deliver {
                self.deliver(engine, index, engine.now())?;
            }
            return Ok(current);
        }
        let mut at = from;
        while at != to {
            let Some(next) = self.next_live(at, to)? else {
                // No live route: the message's request fails with the cause; the tasks that
                // wait for it run at no cost, and a token on its way to the host ends there.
                let cause = self.unreachable_cause(from, to);
                let request = match deliver {
                    Some(index) => self.tokens.request_of(index),
                    None => self.streams[stream as usize].request,
                };
                if let Some(id) = request {
                    self.failures[id as usize].get_or_insert(cause);
                    if let Some(faults) = self.faults.as_mut() {
                        faults.failed.insert(id);
                    }
                }
                if let Some(index) = deliver {
                    self.deliver(engine, index, engine.now())?;
                }
                return Ok(current);
            };
            let marked = if next == to { deliver } else { None };
            if self
                .setup
                .backbone
                .as_ref()
                .is_some_and(|b| b.crosses(at, next))
            {
                current =
                    self.send_between_groups(engine, stream, at, next, bytes, &current, marked)?;
                at = next;
                continue;
            }
            let link = self.link_between(at, next)?;
            let work = Work::Hop {
                stream,
                link,
                ends: [at, next],
                bytes,
                deliver: marked,
            };
            current = vec![engine.add_task(self.chips + link, work, &current)?];
            at = next;
        }
        Ok(current)
    }
}
