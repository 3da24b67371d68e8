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

mod backbone;
mod faults;
mod free;
mod functional;
mod gateway;
mod graph;
mod heartbeat;
mod moe;
mod pricing;
mod recorder;
mod recovery;
mod requests;
mod routes;
mod speculative;
mod token_log;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use rand_chacha::ChaCha8Rng;
use ruvsim_core::Phase;
use ruvsim_core::{ExecError, Model, ModelConfig, OpCounts, SamplerConfig};
use ruvsim_topologies::Topology;
use thiserror::Error;

pub use backbone::BackboneLayout;
use faults::Faults;
pub use faults::{FaultSetup, ScheduledFault};
use free::FreeStreams;
pub use functional::ExpertModels;
pub use functional::Functional;
pub use gateway::Gateway;
use graph::TokenGraph;
pub use moe::MoeSetup;
use moe::MoeState;
use recorder::Recorder;
use routes::LiveRoutes;
pub use speculative::Speculation;
use speculative::{Round, SpeculativeState};
use token_log::TokenLog;

use crate::kernel::Kernel;
use crate::plan::Plan;
use crate::progress::Progress;
use crate::result::records::{Outcome, RequestRecord, StreamedSummary, TimelineSpan, TokenRecord};
use crate::result::stats::{FaultStats, MoeStats, SpeculationStats};
use crate::workload::Request;
use ruvsim_engine::engine::{Engine, EngineError, Process, TaskRef};
use ruvsim_engine::time::{Duration, Time};
use ruvsim_hw::backbone::Route;
use ruvsim_hw::calibration::Calibration;
use ruvsim_hw::chip::{ChipError, CpuSetup};
use ruvsim_hw::firmware::{FirmwareError, FirmwareProfile};
use ruvsim_hw::link::{LinkError, LinkModel};
use ruvsim_hw::memory::MemorySetup;
use ruvsim_hw::phases::PhaseTimes;

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
    /// The firmware profile cannot price a task.
    #[error(transparent)]
    Firmware(#[from] FirmwareError),
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
    /// One leg of a message over the backbone (a gateway's interface, a host's switch port, a
    /// radio channel), priced when it was added.
    Backbone {
        /// Stream.
        stream: u32,
        /// The element's link id (a resource after the chips).
        link: u32,
        /// The gateway chips at the two ends of the message (the same chip twice for a host).
        ends: [u32; 2],
        /// Message bytes.
        bytes: u32,
        /// On the last leg of a generated token's way to its host: the token's record.
        deliver: Option<u32>,
        /// Which way the message crosses the backbone.
        route: Route,
        /// Which of the route's legs this is (its element, busy time and latency follow).
        leg: u8,
    },
    /// A chip's CPU woken to send a heartbeat (by its timer) or to take one in (by its link).
    HeartbeatWake {
        /// The sender's role.
        role: u32,
        /// The physical chip woken.
        chip: u32,
        /// The watching chip.
        to: u32,
        /// When the sender sent it.
        sent: Time,
        /// Whether this is the watcher taking it in (else the sender sending it).
        received: bool,
    },
    /// One hop of a heartbeat toward the chip that watches its sender.
    Heartbeat {
        /// The sender's role.
        role: u32,
        /// Link id (or the shared radio channel).
        link: u32,
        /// Sending and receiving chip of this hop.
        ends: [u32; 2],
        /// The watching chip, where the heartbeat is heard.
        to: u32,
        /// When the sender sent it (with the role, it names the heartbeat).
        sent: Time,
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

impl Work {
    /// Whether the task serves heartbeats (not the workload: it neither opens nor closes the
    /// run's window).
    fn is_heartbeat(&self) -> bool {
        matches!(self, Work::Heartbeat { .. } | Work::HeartbeatWake { .. })
    }
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
    /// Every chip in service sends a heartbeat, and every watcher checks the chips it watches.
    Heartbeat,
    /// A heartbeat wake that preempted a running task is over (its key).
    HeartbeatWoken(u32),
}

/// Bytes the cluster keeps per stream: its state and its dispatch entries.
pub const STREAM_BYTES: usize = std::mem::size_of::<Stream>() + std::mem::size_of::<bool>();

/// Bytes the cluster keeps per request: the request, its record, failure cause and end flag.
pub const REQUEST_BYTES: usize = std::mem::size_of::<Request>()
    + std::mem::size_of::<Option<RequestRecord>>()
    + std::mem::size_of::<Option<String>>()
    + std::mem::size_of::<bool>();

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
    round: Option<Box<Round>>,
    /// A token the draft still has to take into its context before the next round.
    draft_catch_up: Option<u32>,
    /// Assumed-acceptance draws (timing-fidelity speculation).
    acceptance_rng: Option<Box<ChaCha8Rng>>,
    /// The last emitted token (functional fidelity), the next input.
    chosen_last: Option<u32>,
    /// Where the time of the token in progress went so far (its tasks on every chip).
    phases: PhaseTimes,
    /// Prompt tokens whose graphs are built so far.
    prefilled: u32,
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
    /// Where the hosts are: prompts travel from a replica's host chip to its first stage, and
    /// every generated token travels back to it. [`Gateway::None`]: requests appear at the first
    /// stage and tokens count when chosen.
    pub gateway: Gateway,
    /// Record at most this many timeline spans.
    pub timeline_limit: usize,
    /// Counts generated tokens for a progress indicator (never read by the simulation).
    pub progress: Option<Arc<Progress>>,
    /// Speculative decoding, when the plan has a draft chip per replica.
    pub speculation: Option<Speculation>,
    /// Faults and fail-over.
    pub faults: Option<FaultSetup>,
    /// Mixture of experts, when the plan has expert chips.
    pub moe: Option<MoeSetup>,
    /// What the chips' firmware does per token.
    pub firmware: FirmwareProfile,
    /// The backbone joining the groups' gateways and the hosts, when the topology has one.
    pub backbone: Option<BackboneLayout>,
    /// Whether every generated token's record is kept (else they are streamed: counted and timed
    /// as they arrive, nothing kept per token).
    pub keep_tokens: bool,
}

/// The simulated cluster.
pub struct Cluster<'a, 'm> {
    setup: ClusterSetup<'a>,
    /// The target model's executor, in functional fidelity.
    functional: Option<Functional<'m>>,
    /// Speculative decoding: the draft's executor and the totals.
    speculative: SpeculativeState<'m>,
    /// Fault state, when the scenario has faults.
    faults: Option<Faults>,
    /// Mixture-of-experts routing and queues.
    moe: MoeState,
    /// Chips in the topology.
    chips: u32,
    /// The workload, in id order.
    requests: Vec<Request>,
    /// Per request: what happened to it, once a stream took it.
    records: Vec<Option<RequestRecord>>,
    /// Why each request failed, once something it needed was lost.
    failures: Vec<Option<String>>,
    /// Whether each request has ended.
    ended: Vec<bool>,
    /// Requests ended so far.
    ended_count: usize,
    /// Every resource was taken out of service when the workload ended (runs with faults).
    closed: bool,
    /// When the first task started, if any did (a spare's recovery can start before the first
    /// request arrives).
    first_work: Option<Time>,
    /// When the last task ended: the end of the work the cluster did (a fault timer that fires
    /// later does no work and does not lengthen the run).
    last_work: Time,
    /// Arrived requests waiting for a free stream.
    pending: VecDeque<u32>,
    /// The next closed-loop request to issue.
    next_request: u32,
    /// Every stream of every replica.
    streams: Vec<Stream>,
    /// Which streams are free, ordered for dispatch.
    free: FreeStreams,
    /// Per stream and chip role: the stream's last task there, which its next one follows.
    order: Vec<Option<TaskRef>>,
    /// Per ESP-NOW link: its packet-loss stream.
    link_rngs: BTreeMap<u32, ChaCha8Rng>,
    /// Generated tokens: their records, or streamed statistics.
    tokens: TokenLog,
    /// Counts, link traffic and the timeline.
    recorder: Recorder,
    /// Next-hop tables over the live chips, once a chip has crashed.
    live_routes: LiveRoutes,
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
        let speculative = SpeculativeState {
            draft,
            stats: setup.speculation.map(|s| SpeculationStats {
                k: s.k,
                measured: s.acceptance.is_none(),
                ..SpeculationStats::default()
            }),
        };
        let link_resources = if setup.shared_medium {
            1
        } else {
            setup.topology.link_count()
        } + setup
            .backbone
            .as_ref()
            .map_or(0, BackboneLayout::extra_resources);
        let stream_count = plan.replicas * plan.streams_per_replica;
        let request_count = requests.len();
        let streams = (0..stream_count)
            .map(|s| Stream {
                replica: s / plan.streams_per_replica,
                ..Stream::default()
            })
            .collect();
        let faults = setup
            .faults
            .clone()
            .map(|fault_setup| Faults::new(fault_setup, plan.working_chips(), plan.spares));
        let moe = MoeState::new(
            setup.moe,
            functional.is_some(),
            stream_count as usize,
            setup.seed,
        );
        Ok(Cluster {
            functional,
            speculative,
            faults,
            moe,
            chips,
            records: vec![None; requests.len()],
            failures: vec![None; requests.len()],
            ended: vec![false; requests.len()],
            ended_count: 0,
            closed: false,
            first_work: None,
            last_work: Time::ZERO,
            requests,
            pending: VecDeque::new(),
            next_request: 0,
            streams,
            free: FreeStreams::new(plan.replicas, plan.streams_per_replica),
            order: vec![
                None;
                (stream_count * (plan.chips_per_replica() + 1 + plan.experts())) as usize
            ],
            link_rngs: BTreeMap::new(),
            tokens: TokenLog::new(setup.keep_tokens, request_count),
            recorder: Recorder::new(chips, link_resources, setup.timeline_limit),
            live_routes: LiveRoutes::default(),
            setup,
        })
    }

    /// Engine resources: chips, then links (or the one shared medium).
    pub fn resources(&self) -> u32 {
        self.chips + self.recorder.links()
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

    /// Everything recorded; fails if a request never ended.
    pub fn into_output(self) -> Result<ClusterOutput, SimError> {
        let fault_stats = self.fault_stats();
        let (tokens, streamed) = self.tokens.into_parts();
        let mut requests = Vec::with_capacity(self.records.len());
        for (id, record) in self.records.into_iter().enumerate() {
            let record = record.ok_or_else(|| {
                SimError::Internal(format!("request {id} never started (the run ended early)"))
            })?;
            requests.push(record);
        }
        Ok(ClusterOutput {
            requests,
            tokens,
            streamed,
            link_bytes: self.recorder.link_bytes,
            link_messages: self.recorder.link_messages,
            chip_counts: self.recorder.counts,
            timeline: self.recorder.timeline,
            timeline_dropped: self.recorder.timeline_dropped,
            speculation: self.speculative.stats,
            moe: self.moe.stats,
            faults: fault_stats,
            first_work: self.first_work,
            last_work: self.last_work,
        })
    }
}

/// Everything a cluster run produced.
pub struct ClusterOutput {
    /// Requests in id order.
    pub requests: Vec<RequestRecord>,
    /// Generated tokens in the order they were chosen (empty when they were streamed).
    pub tokens: Vec<TokenRecord>,
    /// The tokens' count and inter-token distribution, when they were streamed instead of kept.
    pub streamed: Option<StreamedSummary>,
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
    /// When the first task started, if any did.
    pub first_work: Option<Time>,
    /// When the last task ended.
    pub last_work: Time,
}

impl Process for Cluster<'_, '_> {
    type Task = Work;
    type Error = SimError;
    type Timer = Timer;

    fn start(&mut self, task: &Work, now: Time) -> Result<Duration, SimError> {
        // Heartbeats are not the workload's work: they neither open nor close the run's window.
        if !task.is_heartbeat() {
            self.first_work.get_or_insert(now);
        }
        self.price(task, now)
    }

    fn latency(&self, task: &Work) -> Duration {
        match *task {
            // A leg that cannot be priced failed in `start` already, which stops the run.
            Work::Backbone {
                route, leg, bytes, ..
            } => self
                .backbone_leg(route, leg, bytes)
                .map_or(Duration::ZERO, |l| l.latency),
            _ => Duration::ZERO,
        }
    }

    fn finish(
        &mut self,
        task: Work,
        now: Time,
        engine: &mut Engine<Work, Timer>,
    ) -> Result<(), SimError> {
        if !task.is_heartbeat() {
            self.last_work = self.last_work.max(now);
        }
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
                pos,
                kernel: Kernel::Phase(Phase::Embed),
                ..
            } => self.embedded(engine, stream, pos)?,
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
                if let Some(draft) = self.speculative.draft.as_mut() {
                    draft.end_flight(flight);
                }
                if sample {
                    self.draft_step_done(engine, stream)?;
                }
            }
            Work::Hop {
                deliver: Some(index),
                ..
            }
            | Work::Backbone {
                deliver: Some(index),
                ..
            } => self.deliver(engine, index, now)?,
            Work::Recover { stopped, .. } => self.on_recovered(stopped, now),
            Work::Heartbeat {
                role,
                ends,
                to,
                sent,
                ..
            } => self.heartbeat_hop_done(engine, role, ends, to, sent)?,
            Work::HeartbeatWake {
                role,
                chip,
                to,
                sent,
                received,
            } => self.heartbeat_woken(engine, role, chip, to, sent, received, now)?,
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
            Timer::Resume(resource) => self.on_resume(engine, resource, now)?,
            Timer::Heartbeat => self.on_heartbeat_tick(engine, now)?,
            Timer::HeartbeatWoken(key) => self.on_heartbeat_woken(engine, key, now)?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
