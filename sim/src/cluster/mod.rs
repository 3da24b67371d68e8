//! The cluster as a [`Process`]: requests become tokens, tokens become tasks on chips and links.
//!
//! Each token of a stream is a small task graph over the plan: embed on the first stage's leader,
//! each stage's layers (one task per stage, or per layer and block when a tensor group shares the
//! work, with the hidden state broadcast to the ranks and their partial sums gathered back to the
//! leader), the classifier and sampling on the last stage, and the hidden state sent from stage to
//! stage over the topology's routes, hop by hop. Decoding is sequential: the next token's graph is
//! built when sampling has chosen it (and it has travelled back to the first stage), so a single
//! stream never overlaps its tokens; prompt tokens need no sampling and flow through the pipeline
//! back to back.

mod faults;
mod functional;
mod kernel;
mod moe;
mod speculative;

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rand_chacha::rand_core::Rng;
use rand_chacha::ChaCha8Rng;
use ruvsim_core::{Block, ExecError, Model, ModelConfig, OpCounts, SamplerConfig, Span};
use ruvsim_topologies::Topology;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use faults::Faults;
pub use faults::{FaultSetup, FaultStats, ScheduledFault};
pub use functional::ExpertModels;
pub use functional::Functional;
pub use kernel::Kernel;
use moe::{MoeQueue, MoeToken};
pub use moe::{MoeSetup, MoeStats};
use speculative::{assumed_acceptance, measured_acceptance, Round};
pub use speculative::{Speculation, SpeculationStats};

use crate::calibration::Calibration;
use crate::chip::{step_time, ChipError, CpuSetup};
use crate::engine::{Engine, EngineError, Process, TaskRef};
use crate::link::{DeliveryOutcome, LinkError, LinkModel};
use crate::memory::MemorySetup;
use crate::plan::Plan;
use crate::rng::{self, Purpose};
use crate::time::{Duration, Time};
use crate::workload::Request;

/// Why a simulation step failed.
#[derive(Debug, Error)]
pub enum SimError {
    /// The core refused an operation.
    #[error("core: {0}")]
    Core(#[from] ExecError),
    /// A compute time could not be priced.
    #[error(transparent)]
    Chip(#[from] ChipError),
    /// A transfer could not be priced.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// The topology refused a route.
    #[error("topology: {0}")]
    Topology(#[from] ruvsim_topologies::TopologyError),
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A broken invariant of the simulator itself.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<SimError> for EngineError {
    fn from(error: SimError) -> EngineError {
        match error {
            SimError::Engine(inner) => inner,
            other => EngineError::Process(other.to_string()),
        }
    }
}

/// How a request ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Every requested token was generated.
    Completed,
    /// The request stopped early.
    Failed {
        /// Why.
        reason: String,
    },
}

/// What happened to one request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// Request id.
    pub id: u32,
    /// When it arrived (closed loop: when its client issued it).
    pub arrival: Time,
    /// When a stream took it.
    pub start: Time,
    /// When its first token was chosen.
    pub first_token: Option<Time>,
    /// When it ended.
    pub end: Time,
    /// Replica that served it.
    pub replica: u32,
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Tokens generated.
    pub generated: u32,
    /// Generated token ids (functional fidelity only).
    pub tokens: Vec<u32>,
    /// How it ended.
    pub outcome: Outcome,
}

/// One generated token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Request id.
    pub request: u32,
    /// Index among the request's generated tokens.
    pub index: u32,
    /// Context position of the input that produced it.
    pub pos: u32,
    /// Pipeline stages it passed.
    pub stages: u32,
    /// When its computation could begin (request start, or the previous token's choice).
    pub start: Time,
    /// When it was chosen.
    pub end: Time,
}

/// What a task does.
#[derive(Clone, Copy, Debug)]
pub enum Work {
    /// Compute on a chip.
    Compute {
        /// Stream (global slot id).
        stream: u32,
        /// Chip id.
        chip: u32,
        /// The kernel.
        kernel: Kernel,
        /// Token position.
        pos: u32,
        /// Functional flight of the token.
        flight: u32,
        /// Whether this task ends the token's graph.
        last: bool,
    },
    /// One hop of a message over a link.
    Hop {
        /// Stream.
        stream: u32,
        /// Link id (or the shared radio channel).
        link: u32,
        /// Sending and receiving chip of this hop.
        ends: [u32; 2],
        /// Message bytes.
        bytes: u32,
        /// On the last hop of a generated token's way to the gateway: the token's record.
        deliver: Option<u32>,
    },
    /// A spare takes over a failed chip's role: loads its weights from flash and rebuilds the
    /// key/value caches of the requests in flight.
    Recover {
        /// The role.
        chip: u32,
        /// Load plus rebuild time.
        duration: Duration,
        /// When the failed chip stopped.
        stopped: Time,
    },
}

/// Timer events.
#[derive(Clone, Copy, Debug)]
pub enum Timer {
    /// An open-loop request arrives.
    Arrival(u32),
    /// A chip (role) crashes.
    Crash(u32),
    /// A chip (role) hangs for a while.
    Hang(u32, Duration),
    /// The link between two chips goes down for a while.
    LinkDown(u32, u32, Duration),
    /// A resource (chip role or link) is back in service.
    Resume(u32),
    /// The monitor declares a chip (role) that stopped at the given time failed.
    Detect(u32, Time),
}

/// A span on the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineSpan {
    /// Engine resource (chips first, then links).
    pub resource: u32,
    /// Start.
    pub start: Time,
    /// Duration.
    pub duration: Duration,
    /// Stream.
    pub stream: u32,
    /// Compute kernel, or `None` for a transfer.
    pub kernel: Option<Kernel>,
    /// Transfer bytes (0 for compute).
    pub bytes: u32,
    /// Context position of the token a compute span works on (`None` for a transfer).
    #[serde(default)]
    pub pos: Option<u32>,
    /// Sending and receiving chip of a transfer hop (`None` for compute).
    #[serde(default)]
    pub hop: Option<[u32; 2]>,
}

/// Per-stream state.
#[derive(Clone, Debug, Default)]
struct Stream {
    replica: u32,
    request: Option<u32>,
    generated: u32,
    token_start: Time,
    /// Tokens the target chose and that are not yet emitted (functional fidelity).
    chosen: Vec<u32>,
    /// The speculative round in progress.
    round: Option<Round>,
    /// A token the draft still has to take into its context before the next round.
    draft_catch_up: Option<u32>,
    /// Assumed-acceptance draws (timing-fidelity speculation).
    acceptance_rng: Option<ChaCha8Rng>,
    /// The last emitted token (functional fidelity), the next input.
    chosen_last: Option<u32>,
}

/// Settings of a cluster run that are not in the plan.
pub struct ClusterSetup<'a> {
    /// Model configuration.
    pub config: ModelConfig,
    /// The plan.
    pub plan: &'a Plan,
    /// Topology the plan is laid on.
    pub topology: &'a Topology,
    /// Link model of every link.
    pub link: LinkModel,
    /// Whether every link shares one medium (ESP-NOW: one radio channel).
    pub shared_medium: bool,
    /// Calibration of the chips.
    pub calibration: &'a Calibration,
    /// CPU settings.
    pub cpu: CpuSetup,
    /// Memory fitted.
    pub memory: &'a MemorySetup,
    /// Token choice.
    pub sampler: SamplerConfig,
    /// Scenario seed.
    pub seed: u64,
    /// Closed-loop concurrency, or `None` for open-loop arrivals.
    pub concurrency: Option<u32>,
    /// The chip a host is attached to: prompts travel from it to their replica's first stage, and
    /// every generated token travels back to it. `None`: requests appear at the first stage and
    /// tokens count when chosen.
    pub gateway: Option<u32>,
    /// Record at most this many timeline spans.
    pub timeline_limit: usize,
    /// Counts generated tokens for a progress indicator (never read by the simulation).
    pub progress: Option<Arc<AtomicU64>>,
    /// Speculative decoding, when the plan has a draft chip per replica.
    pub speculation: Option<Speculation>,
    /// Faults and fail-over.
    pub faults: Option<FaultSetup>,
    /// Mixture of experts, when the plan has expert chips.
    pub moe: Option<MoeSetup>,
}

/// The simulated cluster.
pub struct Cluster<'a, 'm> {
    setup: ClusterSetup<'a>,
    functional: Option<Functional<'m>>,
    draft: Option<Functional<'m>>,
    speculation_stats: Option<SpeculationStats>,
    faults: Option<Faults>,
    moe_stats: Option<MoeStats>,
    moe_queues: Vec<MoeQueue>,
    moe_busy: Vec<bool>,
    moe_tokens: Vec<Option<MoeToken>>,
    routing_rng: ChaCha8Rng,
    chips: u32,
    requests: Vec<Request>,
    records: Vec<Option<RequestRecord>>,
    /// Why each request failed, once something it needed was lost.
    failures: Vec<Option<String>>,
    /// Whether each request has ended.
    ended: Vec<bool>,
    pending: VecDeque<u32>,
    next_request: u32,
    streams: Vec<Stream>,
    order: Vec<Option<TaskRef>>,
    link_rngs: BTreeMap<u32, ChaCha8Rng>,
    link_bytes: Vec<u64>,
    link_messages: Vec<u64>,
    counts: Vec<OpCounts>,
    tokens: Vec<TokenRecord>,
    timeline: Vec<TimelineSpan>,
    timeline_dropped: u64,
}

/// Everything a cluster run produced.
pub struct ClusterOutput {
    /// Requests in id order.
    pub requests: Vec<RequestRecord>,
    /// Generated tokens in the order they were chosen.
    pub tokens: Vec<TokenRecord>,
    /// Bytes carried per link resource.
    pub link_bytes: Vec<u64>,
    /// Messages (hops) per link resource.
    pub link_messages: Vec<u64>,
    /// Operation counts per chip.
    pub chip_counts: Vec<OpCounts>,
    /// Recorded timeline spans.
    pub timeline: Vec<TimelineSpan>,
    /// Spans not recorded because of the limit.
    pub timeline_dropped: u64,
    /// Speculative decoding totals, when speculation ran.
    pub speculation: Option<SpeculationStats>,
    /// What faults did, when the scenario has any.
    pub faults: Option<FaultStats>,
    /// Expert load, when the plan has experts.
    pub moe: Option<MoeStats>,
}

impl<'a, 'm> Cluster<'a, 'm> {
    /// A cluster that will serve `requests`; `model` present means functional fidelity, and
    /// `draft_model` runs on the draft chips when the plan has them.
    pub fn new(
        setup: ClusterSetup<'a>,
        model: Option<Model<'m>>,
        draft_model: Option<Model<'m>>,
        experts: Option<ExpertModels<'m>>,
        requests: Vec<Request>,
    ) -> Result<Cluster<'a, 'm>, SimError> {
        let plan = setup.plan;
        let chips = setup.topology.chips();
        let functional = match (model, experts) {
            (Some(model), Some(experts)) => {
                Some(Functional::new(model, plan)?.with_experts(experts, plan)?)
            }
            (Some(model), None) => Some(Functional::new(model, plan)?),
            (None, _) => None,
        };
        if setup.moe.is_some() != plan.moe.is_some() {
            return Err(SimError::Internal(
                "experts need expert chips in the plan, and expert chips need experts".into(),
            ));
        }
        if setup.speculation.is_some() != plan.draft.is_some() {
            return Err(SimError::Internal(
                "speculation needs a draft chip in the plan, and a draft chip needs speculation"
                    .into(),
            ));
        }
        let draft = match (draft_model, &plan.draft) {
            (Some(model), Some(draft)) => {
                // The draft chips form replicas of a one-chip "pipeline" of their own.
                let draft_plan = Plan {
                    pipeline: 1,
                    tensor: 1,
                    stages: vec![ruvsim_core::Span::new(0, draft.config.n_layers)],
                    chips: vec![draft.chip.clone()],
                    draft: None,
                    ..plan.clone()
                };
                Some(Functional::new(model, &draft_plan)?)
            }
            _ => None,
        };
        let speculation_stats = setup.speculation.map(|s| SpeculationStats {
            k: s.k,
            measured: s.acceptance.is_none(),
            ..SpeculationStats::default()
        });
        let link_resources = if setup.shared_medium {
            1
        } else {
            setup.topology.link_count()
        };
        let stream_count = plan.replicas * plan.streams_per_replica;
        let streams = (0..stream_count)
            .map(|s| Stream {
                replica: s / plan.streams_per_replica,
                ..Stream::default()
            })
            .collect();
        let faults = setup.faults.clone().map(|fault_setup| {
            Faults::new(
                fault_setup,
                plan.working_chips(),
                plan.spares,
                plan.replicas,
            )
        });
        let moe_stats = setup.moe.map(|m| MoeStats {
            experts: m.experts,
            top_k: m.top_k,
            routing: match (m.fixed, functional.is_some()) {
                (Some(_), _) => "fixed".into(),
                (None, true) => "router".into(),
                (None, false) => "uniform draws (timing fidelity: no model runs)".into(),
            },
            visits: vec![0; m.experts as usize],
        });
        let stream_total = (plan.replicas * plan.streams_per_replica) as usize;
        Ok(Cluster {
            functional,
            draft,
            speculation_stats,
            faults,
            moe_stats,
            moe_queues: vec![MoeQueue::default(); stream_total],
            moe_busy: vec![false; stream_total],
            moe_tokens: vec![None; stream_total],
            routing_rng: rng::stream(setup.seed, Purpose::Routing, 0),
            chips,
            records: vec![None; requests.len()],
            failures: vec![None; requests.len()],
            ended: vec![false; requests.len()],
            requests,
            pending: VecDeque::new(),
            next_request: 0,
            streams,
            order: vec![
                None;
                (stream_count * (plan.chips_per_replica() + 1 + plan.experts())) as usize
            ],
            link_rngs: BTreeMap::new(),
            link_bytes: vec![0; link_resources as usize],
            link_messages: vec![0; link_resources as usize],
            counts: vec![OpCounts::default(); chips as usize],
            tokens: Vec::new(),
            timeline: Vec::new(),
            timeline_dropped: 0,
            setup,
        })
    }

    /// Engine resources: chips, then links (or the one shared medium).
    pub fn resources(&self) -> u32 {
        self.chips + self.link_bytes.len() as u32
    }

    /// Queues the workload's first requests (closed loop) or arrival timers (open loop).
    pub fn prime(&mut self, engine: &mut Engine<Work, Timer>) -> Result<(), SimError> {
        match self.setup.concurrency {
            Some(concurrency) => {
                let first = concurrency.min(self.requests.len() as u32);
                for _ in 0..first {
                    self.issue_next(Time::ZERO);
                }
                self.dispatch(engine, Time::ZERO)?;
            }
            None => {
                for request in &self.requests {
                    let at = request.arrival.ok_or_else(|| {
                        SimError::Internal(format!(
                            "open-loop request {} has no arrival",
                            request.id
                        ))
                    })?;
                    engine.set_timer(at, Timer::Arrival(request.id))?;
                }
            }
        }
        self.schedule_faults(engine)?;
        Ok(())
    }

    /// Closed loop: the next client request enters the queue at `now`.
    fn issue_next(&mut self, now: Time) {
        if (self.next_request as usize) < self.requests.len() {
            let id = self.next_request;
            self.next_request += 1;
            self.requests[id as usize].arrival = Some(now);
            self.pending.push_back(id);
        }
    }

    /// Gives waiting requests to free streams: the replica with most free streams first.
    fn dispatch(&mut self, engine: &mut Engine<Work, Timer>, now: Time) -> Result<(), SimError> {
        self.fail_unservable(now)?;
        while let Some(&id) = self.pending.front() {
            let Some(stream) = self.free_stream() else {
                break;
            };
            self.pending.pop_front();
            self.admit(engine, id, stream, now)?;
        }
        Ok(())
    }

    fn free_stream(&self) -> Option<u32> {
        let per = self.setup.plan.streams_per_replica as usize;
        self.streams
            .chunks(per)
            .enumerate()
            .map(|(replica, streams)| {
                let free = if self.replica_alive(replica) {
                    streams.iter().filter(|s| s.request.is_none()).count()
                } else {
                    0
                };
                (free, std::cmp::Reverse(replica))
            })
            .filter(|&(free, _)| free > 0)
            .max()
            .and_then(|(_, std::cmp::Reverse(replica))| {
                let base = replica * per;
                (base..base + per)
                    .find(|&s| self.streams[s].request.is_none())
                    .map(|s| s as u32)
            })
    }

    /// Starts request `id` on `stream`: its whole prompt enters the pipeline.
    fn admit(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        id: u32,
        stream: u32,
        now: Time,
    ) -> Result<(), SimError> {
        let request = self.requests[id as usize].clone();
        let replica = self.streams[stream as usize].replica;
        self.streams[stream as usize] = Stream {
            replica,
            request: Some(id),
            token_start: now,
            acceptance_rng: self
                .setup
                .speculation
                .and_then(|s| s.acceptance)
                .map(|_| rng::stream(self.setup.seed, Purpose::Speculation, u64::from(id))),
            ..Stream::default()
        };
        self.records[id as usize] = Some(RequestRecord {
            id,
            arrival: request.arrival.unwrap_or(now),
            start: now,
            first_token: None,
            end: now,
            replica,
            prompt_tokens: request.prompt.len() as u32,
            generated: 0,
            tokens: Vec::new(),
            outcome: Outcome::Completed,
        });
        if let Some(functional) = self.functional.as_mut() {
            let seed = rng::stream(self.setup.seed, Purpose::Sampling, u64::from(id)).next_u64();
            functional.start_request(stream, self.setup.sampler, seed);
        }
        if let Some(draft) = self.draft.as_mut() {
            draft.start_request(stream, self.setup.sampler, 0);
        }
        let uploaded = match self.setup.gateway {
            Some(gateway) => {
                let bytes = 4 * request.prompt.len() as u32;
                let first = self.leader(replica, 0);
                self.send_marked(engine, stream, gateway, first, bytes, &[], None)?
            }
            None => Vec::new(),
        };
        let last = request.prompt.len() - 1;
        for (pos, &token) in request.prompt.iter().enumerate() {
            self.schedule_token(engine, stream, pos as u32, token, pos == last, &uploaded)?;
        }
        if let Some(draft_chip) = self.setup.plan.draft_chip(replica) {
            // The draft takes the prompt into its own context, next to the target's prefill.
            let first = self.leader(replica, 0);
            let bytes = 4 * request.prompt.len() as u32;
            let mut after =
                self.send_marked(engine, stream, first, draft_chip, bytes, &uploaded, None)?;
            for (pos, &token) in request.prompt.iter().enumerate() {
                after = vec![self.draft_task(engine, stream, pos as u32, token, false, &after)?];
            }
        }
        Ok(())
    }

    /// Adds a draft-model forward pass for `stream`'s token `token` at `pos` on its draft chip.
    fn draft_task(
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
        let flight = match self.draft.as_mut() {
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

    /// Whether `chip` is a speculative draft chip.
    fn is_draft_chip(&self, chip: u32) -> bool {
        self.setup.plan.is_draft(chip)
    }

    fn leader(&self, replica: u32, stage: u32) -> u32 {
        self.setup.plan.chip_id(replica, stage, 0)
    }

    /// Builds the task graph of one token of `stream` at `pos` with input `token`.
    fn schedule_token(
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
        let hidden_bytes = config.dim * 4;
        let partial_bytes = config.dim * if config.precision.is_integer() { 8 } else { 4 };
        let tensor = plan.tensor;
        let stages = plan.stages.len() as u32;
        let ctx = TokenGraph {
            stream,
            pos,
            flight,
        };
        let first = self.leader(replica, 0);
        let mut current = vec![self.compute(engine, &ctx, first, Kernel::Embed, false, after)?];
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
                let task =
                    self.compute(engine, &ctx, leader, Kernel::Layers(layers), last, &current)?;
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
                            Block::Attention => Kernel::Attention {
                                layer,
                                heads: shard.heads,
                            },
                            Block::Ffn => Kernel::Ffn {
                                layer,
                                units: shard.ffn_units,
                            },
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
                    let combine = Kernel::Combine {
                        layer,
                        block,
                        ranks: tensor,
                    };
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
                let task =
                    self.compute(engine, &ctx, chip, Kernel::Classify(vocab), false, &input)?;
                parts.extend(self.send(engine, &ctx, chip, leader, vocab.len() * 4, &[task])?);
            }
            self.compute(engine, &ctx, leader, Kernel::Sample, true, &parts)?;
        }
        Ok(())
    }

    /// Adds a compute task, ordered after the stream's previous task on the same chip.
    fn compute(
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
    fn send(
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
    fn send_marked(
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
        let mut at = from;
        while at != to {
            let next =
                self.setup.topology.next_hop(at, to)?.ok_or_else(|| {
                    SimError::Internal(format!("no route from chip {at} to {to}"))
                })?;
            let link = if self.setup.shared_medium {
                0
            } else {
                self.setup.topology.link_id(at, next)?
            };
            let work = Work::Hop {
                stream,
                link,
                ends: [at, next],
                bytes,
                deliver: if next == to { deliver } else { None },
            };
            current = vec![engine.add_task(self.chips + link, work, &current)?];
            at = next;
        }
        Ok(current)
    }

    /// The time `work` occupies its resource; runs the kernel in functional fidelity.
    fn price(&mut self, work: &Work, now: Time) -> Result<Duration, SimError> {
        match *work {
            Work::Compute {
                stream,
                chip,
                kernel,
                pos,
                flight,
                ..
            } => {
                let request = self.streams[stream as usize].request;
                if request.is_some_and(|id| self.failures[id as usize].is_some()) {
                    return Ok(Duration::ZERO);
                }
                let restarted = self.take_interrupted(chip);
                let on_draft = self.is_draft_chip(chip);
                let (executor, executor_chip, config) = if on_draft {
                    let draft_config = self.setup.plan.draft.as_ref().map(|d| d.config);
                    let replica = chip - self.setup.plan.target_chips();
                    (
                        self.draft.as_mut(),
                        replica,
                        draft_config.unwrap_or(self.setup.config),
                    )
                } else {
                    (self.functional.as_mut(), chip, self.setup.config)
                };
                let counts = match executor {
                    Some(_) if restarted => kernel.predict(&config, self.setup.sampler, pos)?,
                    Some(executor) => {
                        let (counts, sampled) =
                            executor.run(executor_chip, stream, flight, &kernel, pos)?;
                        if let Some(token) = sampled {
                            self.sampled(stream, token, on_draft);
                        }
                        counts
                    }
                    None => kernel.predict(&config, self.setup.sampler, pos)?,
                };
                self.counts[chip as usize] += counts;
                let placement = &self.setup.plan.chip(chip).placement;
                let timing = step_time(
                    &counts,
                    config.precision,
                    &self.setup.cpu,
                    placement,
                    self.setup.memory,
                    self.setup.calibration,
                )?;
                self.record_span(TimelineSpan {
                    resource: chip,
                    start: now,
                    duration: timing.total,
                    stream,
                    kernel: Some(kernel),
                    bytes: 0,
                    pos: Some(pos),
                    hop: None,
                });
                Ok(timing.total)
            }
            Work::Recover { chip, duration, .. } => {
                self.record_span(TimelineSpan {
                    resource: chip,
                    start: now,
                    duration,
                    stream: u32::MAX,
                    kernel: None,
                    bytes: 0,
                    pos: None,
                    hop: None,
                });
                Ok(duration)
            }
            Work::Hop {
                stream,
                link,
                ends,
                bytes,
                deliver,
            } => {
                self.link_bytes[link as usize] += u64::from(bytes);
                self.link_messages[link as usize] += 1;
                let time = if matches!(self.setup.link, LinkModel::EspNow(_)) {
                    let seed = self.setup.seed;
                    let rng = self
                        .link_rngs
                        .entry(link)
                        .or_insert_with(|| rng::stream(seed, Purpose::LinkLoss, u64::from(link)));
                    let delivery = self
                        .setup
                        .link
                        .transfer_with_retries(u64::from(bytes), rng)?;
                    if let DeliveryOutcome::Failed { packet } = delivery.outcome {
                        let request = match deliver {
                            Some(index) => Some(self.tokens[index as usize].request),
                            None => self.streams[stream as usize].request,
                        };
                        let failure = request.map(|id| &mut self.failures[id as usize]);
                        failure.into_iter().for_each(|f| {
                            f.get_or_insert(format!(
                                "message of {bytes} bytes lost on link {link}: packet {packet} \
                                 was lost on every attempt ({} transmissions of the message)",
                                delivery.attempts
                            ));
                        });
                    }
                    delivery.time
                } else {
                    let transfer = self.setup.link.transfer_time(u64::from(bytes))?.total;
                    let (time, attempts, delivered) = self.wired_delivery(link, transfer);
                    if !delivered {
                        let request = match deliver {
                            Some(index) => Some(self.tokens[index as usize].request),
                            None => self.streams[stream as usize].request,
                        };
                        if let Some(id) = request {
                            self.failures[id as usize].get_or_insert(format!(
                                "message of {bytes} bytes lost on link {link} after {attempts} \
                                 transmissions"
                            ));
                        }
                    }
                    time
                };
                self.record_span(TimelineSpan {
                    resource: self.chips + link,
                    start: now,
                    duration: time,
                    stream,
                    kernel: None,
                    bytes,
                    pos: None,
                    hop: Some(ends),
                });
                Ok(time)
            }
        }
    }

    /// Remembers the token functional sampling chose for `stream` until its task finishes.
    fn sampled(&mut self, stream: u32, token: u32, by_draft: bool) {
        let state = &mut self.streams[stream as usize];
        match (&mut state.round, by_draft) {
            (Some(round), true) => round.proposals.push(token),
            _ => state.chosen.push(token),
        }
    }

    /// Keeps `span` on the timeline unless the limit is reached (then counts it as dropped).
    fn record_span(&mut self, span: TimelineSpan) {
        if self.timeline.len() < self.setup.timeline_limit {
            self.timeline.push(span);
        } else {
            self.timeline_dropped += 1;
        }
    }

    /// A token's last task finished at `now`.
    fn token_done(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        stream: u32,
        pos: u32,
        flight: u32,
        sampled: bool,
        now: Time,
    ) -> Result<(), SimError> {
        if let Some(functional) = self.functional.as_mut() {
            functional.end_flight(flight);
        }
        if !sampled {
            return Ok(());
        }
        let Some(id) = self.streams[stream as usize].request else {
            // The request failed (a fault) while this token was on its way.
            return Ok(());
        };
        if self.ended[id as usize] {
            return Ok(());
        }
        if let Some(reason) = self.failures[id as usize].clone() {
            return self.finish_request(engine, stream, id, now, Outcome::Failed { reason });
        }
        if let Some(round) = self.streams[stream as usize].round.as_mut() {
            round.verified += 1;
            if round.verified <= round.k {
                return Ok(());
            }
            return self.resolve_round(engine, stream, now);
        }
        if self.emit(engine, stream, 1, pos, now)? {
            return Ok(());
        }
        let next_input = self.streams[stream as usize].chosen_last.unwrap_or(0);
        let replica = self.streams[stream as usize].replica;
        let plan = self.setup.plan;
        let last_leader = self.leader(replica, plan.pipeline - 1);
        if let Some(draft_chip) = plan.draft_chip(replica) {
            // The draft learns the chosen token and starts proposing after it.
            let after = self.send_marked(engine, stream, last_leader, draft_chip, 4, &[], None)?;
            return self.start_round(engine, stream, pos + 1, next_input, &after);
        }
        // The chosen token travels back to the first stage, which embeds it.
        let ctx = TokenGraph {
            stream,
            pos: pos + 1,
            flight: 0,
        };
        let first_leader = self.leader(replica, 0);
        let after = self.send(engine, &ctx, last_leader, first_leader, 4, &[])?;
        self.schedule_token(engine, stream, pos + 1, next_input, true, &after)
    }

    /// Emits the stream's next `count` chosen tokens (the first chosen for input position `pos`)
    /// to its request at `now`: records them and sends them to the gateway. Returns whether the
    /// request has all its tokens (the stream is then free).
    fn emit(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        stream: u32,
        count: u32,
        pos: u32,
        now: Time,
    ) -> Result<bool, SimError> {
        let plan = self.setup.plan;
        let state = &mut self.streams[stream as usize];
        let id = state.request.ok_or_else(|| {
            SimError::Internal(format!("stream {stream} emits without a request"))
        })?;
        let wanted = self.requests[id as usize].new_tokens;
        let count = count.min(wanted - state.generated);
        let chosen: Vec<u32> = state.chosen.drain(..).collect();
        let start = state.token_start;
        let first_index = state.generated;
        state.generated += count;
        state.token_start = now;
        state.chosen_last = chosen
            .get(count as usize - 1)
            .copied()
            .or(state.chosen_last);
        let generated = state.generated;
        let replica = state.replica;
        let record = self.records[id as usize]
            .as_mut()
            .ok_or_else(|| SimError::Internal(format!("request {id} has no record")))?;
        record.generated = generated;
        record
            .tokens
            .extend(chosen.iter().take(count as usize).copied());
        let last_leader = self.leader(replica, plan.pipeline - 1);
        for i in 0..count {
            self.tokens.push(TokenRecord {
                request: id,
                index: first_index + i,
                pos: pos + i,
                stages: plan.pipeline,
                start,
                end: now,
            });
            let record_index = (self.tokens.len() - 1) as u32;
            if let Some(progress) = &self.setup.progress {
                progress.fetch_add(1, Ordering::Relaxed);
            }
            match self.setup.gateway {
                Some(gateway) if gateway != last_leader => {
                    self.send_marked(
                        engine,
                        stream,
                        last_leader,
                        gateway,
                        4,
                        &[],
                        Some(record_index),
                    )?;
                }
                _ => self.deliver(engine, record_index, now)?,
            }
        }
        if generated >= wanted {
            // The stream is free for the next request; the request ends when its last token
            // reaches the user.
            self.streams[stream as usize].request = None;
            self.dispatch(engine, now)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Starts a speculative round: the draft proposes after token `last` at position `pos`.
    fn start_round(
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
        self.streams[stream as usize].round = Some(Round {
            k,
            pos,
            last,
            ..Round::default()
        });
        if k == 0 {
            return self.verify_round(engine, stream, &after);
        }
        self.draft_task(engine, stream, pos, last, true, &after)?;
        Ok(())
    }

    /// A draft step of `stream` finished: propose the next, or send the proposals to verify.
    fn draft_step_done(
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
        let bytes = 4 * round.k;
        let after = self.send_marked(engine, stream, draft_chip, first_leader, bytes, &[], None)?;
        self.verify_round(engine, stream, &after)
    }

    /// The target runs the round's `k + 1` positions through its pipeline.
    fn verify_round(
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
    fn resolve_round(
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
        if let Some(stats) = self.speculation_stats.as_mut() {
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
            4 * emitted,
            &[],
            None,
        )?;
        self.start_round(engine, stream, round.pos + emitted, next, &after)
    }

    /// Token record `index` reached the user at `now`; its request ends with its last token.
    fn deliver(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        index: u32,
        now: Time,
    ) -> Result<(), SimError> {
        let token = &mut self.tokens[index as usize];
        token.end = now;
        let (id, position) = (token.request, token.index);
        let record = self.records[id as usize]
            .as_mut()
            .ok_or_else(|| SimError::Internal(format!("request {id} has no record")))?;
        if self.ended[id as usize] {
            // A token lost on its way has already failed the request.
            return Ok(());
        }
        if let Some(reason) = self.failures[id as usize].clone() {
            return self.end_request(engine, id, now, Outcome::Failed { reason });
        }
        record.first_token.get_or_insert(now);
        if position + 1 == self.requests[id as usize].new_tokens {
            self.end_request(engine, id, now, Outcome::Completed)?;
        }
        Ok(())
    }

    /// Ends a request that failed on `stream`, freeing the stream.
    fn finish_request(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        stream: u32,
        id: u32,
        now: Time,
        outcome: Outcome,
    ) -> Result<(), SimError> {
        self.streams[stream as usize].request = None;
        self.end_request(engine, id, now, outcome)
    }

    /// Records the end of request `id`; in a closed loop its client issues the next request.
    fn end_request(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        id: u32,
        now: Time,
        outcome: Outcome,
    ) -> Result<(), SimError> {
        if let Some(record) = self.records[id as usize].as_mut() {
            record.end = now;
            record.outcome = outcome;
        }
        self.ended[id as usize] = true;
        if self.setup.concurrency.is_some() {
            self.issue_next(now);
        }
        self.dispatch(engine, now)
    }

    /// Everything recorded; fails if a request never ended.
    pub fn into_output(self) -> Result<ClusterOutput, SimError> {
        let fault_stats = self.fault_stats();
        let mut requests = Vec::with_capacity(self.records.len());
        for (id, record) in self.records.into_iter().enumerate() {
            let record = record.ok_or_else(|| {
                SimError::Internal(format!("request {id} never started (the run ended early)"))
            })?;
            requests.push(record);
        }
        Ok(ClusterOutput {
            requests,
            tokens: self.tokens,
            link_bytes: self.link_bytes,
            link_messages: self.link_messages,
            chip_counts: self.counts,
            timeline: self.timeline,
            timeline_dropped: self.timeline_dropped,
            speculation: self.speculation_stats,
            moe: self.moe_stats,
            faults: fault_stats,
        })
    }
}

/// Which token a graph is being built for.
struct TokenGraph {
    stream: u32,
    pos: u32,
    flight: u32,
}

impl Process for Cluster<'_, '_> {
    type Task = Work;
    type Timer = Timer;

    fn start(&mut self, task: &Work, now: Time) -> Result<Duration, EngineError> {
        Ok(self.price(task, now)?)
    }

    fn finish(
        &mut self,
        task: Work,
        now: Time,
        engine: &mut Engine<Work, Timer>,
    ) -> Result<(), EngineError> {
        match task {
            Work::Compute {
                stream,
                pos,
                flight,
                last: true,
                kernel,
                ..
            } => self.token_done(engine, stream, pos, flight, kernel == Kernel::Sample, now)?,
            Work::Compute {
                stream,
                kernel: Kernel::MoeAttention { layer, .. },
                ..
            } => self.moe_routed(engine, stream, layer)?,
            Work::Compute {
                stream,
                kernel: Kernel::MoeCombine { layer, .. },
                ..
            } => self.moe_combined(engine, stream, layer, now)?,
            Work::Compute {
                stream,
                flight,
                kernel: Kernel::Forward { sample },
                ..
            } => {
                if let Some(draft) = self.draft.as_mut() {
                    draft.end_flight(flight);
                }
                if sample {
                    self.draft_step_done(engine, stream)?;
                }
            }
            Work::Hop {
                deliver: Some(index),
                ..
            } => self.deliver(engine, index, now)?,
            Work::Recover { stopped, .. } => self.on_recovered(stopped, now),
            _ => {}
        }
        Ok(())
    }

    fn timer(
        &mut self,
        timer: Timer,
        now: Time,
        engine: &mut Engine<Work, Timer>,
    ) -> Result<(), EngineError> {
        match timer {
            Timer::Arrival(id) => {
                self.pending.push_back(id);
                self.dispatch(engine, now)?;
            }
            Timer::Crash(chip) => self.on_crash(engine, chip, now)?,
            Timer::Hang(chip, length) => self.on_hang(engine, chip, length, now)?,
            Timer::LinkDown(from, to, length) => {
                self.on_link_down(engine, from, to, length, now)?
            }
            Timer::Resume(resource) => engine.unblock(resource, self)?,
            Timer::Detect(chip, stopped) => self.on_detect(engine, chip, stopped, now)?,
        }
        Ok(())
    }
}
