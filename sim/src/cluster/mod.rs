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
mod records;
mod requests;
mod speculative;

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use rand_chacha::ChaCha8Rng;
use ruvsim_core::Phase;
use ruvsim_core::{Block, ExecError, Model, ModelConfig, OpCounts, SamplerConfig, Span};
use ruvsim_topologies::Topology;
use thiserror::Error;

use faults::Faults;
pub use faults::{FaultSetup, FaultStats, ScheduledFault};
pub use functional::ExpertModels;
pub use functional::Functional;
pub use kernel::Kernel;
use moe::{MoeQueue, MoeToken};
pub use moe::{MoeSetup, MoeStats};
pub use records::{ClusterOutput, Outcome, RequestRecord, TimelineSpan, TokenRecord};
use speculative::Round;
pub use speculative::{Speculation, SpeculationStats};

use crate::plan::Plan;
use crate::workload::Request;
use ruvsim_engine::engine::{Engine, EngineError, Process, TaskRef};
use ruvsim_engine::rng::{self, Purpose};
use ruvsim_engine::time::{Duration, Time};
use ruvsim_hw::calibration::Calibration;
use ruvsim_hw::chip::{step_time, ChipError, CpuSetup};
use ruvsim_hw::link::{DeliveryOutcome, LinkError, LinkModel};
use ruvsim_hw::memory::MemorySetup;

/// Bytes of one token id on a link: prompts, chosen tokens and draft proposals travel as these.
pub const TOKEN_BYTES: u32 = 4;

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
                    stages: vec![ruvsim_core::Span::new(0, draft.config.shape.n_layers)],
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
    type Error = SimError;
    type Timer = Timer;

    fn start(&mut self, task: &Work, now: Time) -> Result<Duration, SimError> {
        self.price(task, now)
    }

    fn finish(
        &mut self,
        task: Work,
        now: Time,
        engine: &mut Engine<Work, Timer>,
    ) -> Result<(), SimError> {
        match task {
            Work::Compute {
                stream,
                pos,
                flight,
                last: true,
                kernel,
                ..
            } => self.token_done(
                engine,
                stream,
                pos,
                flight,
                kernel == Kernel::Phase(Phase::Sample),
                now,
            )?,
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
    ) -> Result<(), SimError> {
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
