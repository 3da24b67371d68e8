//! One run, end to end: scenario -> model -> plan -> event simulation -> [`RunResult`].
//!
//! [`simulate`] is three steps, one module each:
//! - [`build`]: resolve the scenario against the command line, prepare the model, wire and plan
//!   the cluster, draw the requests ([`BuiltRun`]);
//! - [`execute`]: run the cluster process on the event engine ([`Executed`]);
//! - [`summary`]: turn both into the [`RunResult`] every report reads.

pub mod build;
pub mod faults;
pub mod size;
pub mod summary;

use std::path::PathBuf;
use std::sync::Arc;

use crate::record_volume::Records;

use thiserror::Error;

use crate::cluster::{Cluster, ClusterOutput, SimError};
use crate::model_source::ModelError;
use crate::plan::PlanError;
use crate::progress::{self, Progress, RunPhase};
use crate::result::RunResult;
use crate::scenario::{Fidelity, LoadedScenario};
use crate::workload::WorkloadError;
use ruvsim_engine::engine::{Engine, ResourceUse};
use ruvsim_engine::time::Time;
use ruvsim_hw::calibration::CalibrationError;
use ruvsim_hw::energy::EnergyError;
use ruvsim_hw::link::LinkError;

pub use build::{build, calibration_for, cpu_setup, BuiltRun, DEFAULT_TIMELINE_LIMIT};

/// Options a command line adds to a scenario.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Replaces the scenario's seed.
    pub seed: Option<u64>,
    /// Replaces the scenario's fidelity.
    pub fidelity: Option<Fidelity>,
    /// Where model files are looked for first.
    pub model_dir: Option<PathBuf>,
    /// A calibration file applied after the scenario's own overrides.
    pub calibration_file: Option<PathBuf>,
    /// Most timeline spans to record (default 200,000).
    pub timeline_limit: Option<usize>,
    /// How much of the run to keep (default: [`Records::automatic`] for the cluster's chips).
    /// With [`Records::Summary`] no token record is kept: the inter-token distribution is
    /// streamed into a histogram.
    pub records: Option<Records>,
    /// Most bytes the run may use: a scenario whose estimate ([`size::estimate`]) exceeds it is
    /// refused before anything is allocated. `None`: no limit.
    pub memory_limit: Option<u64>,
    /// The run's phase and generated tokens, for a progress indicator on another thread
    /// (write-only: the simulation never reads it, so it cannot affect results).
    pub progress: Option<Arc<Progress>>,
}

/// Why a run failed.
#[derive(Debug, Error)]
pub enum RunError {
    /// The model could not be prepared.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The calibration could not be built.
    #[error("calibration: {0}")]
    Calibration(#[from] CalibrationError),
    /// The topology is invalid or cannot be wired.
    #[error("cluster.topology: {0}")]
    Topology(#[from] ruvsim_topologies::TopologyError),
    /// The link settings are invalid.
    #[error("cluster.link: {0}")]
    Link(#[from] LinkError),
    /// The workload is invalid.
    #[error(transparent)]
    Workload(#[from] WorkloadError),
    /// No plan fits.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The simulation failed.
    #[error("simulation: {0}")]
    Sim(#[from] SimError),
    /// The energy figures could not be computed.
    #[error("energy: {0}")]
    Energy(#[from] EnergyError),
    /// A setting is invalid.
    #[error("{0}")]
    Invalid(String),
    /// The run would not fit in memory.
    #[error(
        "the run needs an estimated {} for {chips} chips, more than the {} this machine can give \
         it; {} (see sim/src/run/size.rs for what the estimate counts)",
        gib(*estimate),
        gib(*limit),
        if *largest == 0 {
            "not even one chip fits with this workload and model: fewer requests, shorter prompts \
             or a smaller model would"
                .to_string()
        } else {
            format!("at most about {largest} chips fit with the same workload per chip")
        }
    )]
    TooLarge {
        /// Chips in the scenario.
        chips: u64,
        /// Estimated bytes.
        estimate: u64,
        /// Bytes available.
        limit: u64,
        /// The largest chip count that fits.
        largest: u64,
    },
    /// A file named by the scenario could not be read.
    #[error("cannot read {file}: {reason}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
}

/// `bytes` in GiB with one decimal, for messages.
fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30))
}

/// Runs a scenario: builds it, executes it, summarises it.
pub fn simulate(loaded: &LoadedScenario, options: &RunOptions) -> Result<RunResult, RunError> {
    let mut run = build(loaded, options)?;
    let executed = execute(&mut run)?;
    progress::enter(run.progress.as_deref(), RunPhase::Summarising);
    summary::summarise_run(run, executed)
}

/// What the event simulation of a run produced, before it is summarised.
pub struct Executed {
    /// The cluster process's records.
    pub output: ClusterOutput,
    /// Busy time and task count per resource (chips, then links).
    pub usage: Vec<ResourceUse>,
    /// Events processed.
    pub events: u64,
}

/// Runs the cluster process of a built run on the event engine until no event is left.
pub fn execute(run: &mut BuiltRun<'_>) -> Result<Executed, RunError> {
    progress::enter(run.progress.as_deref(), RunPhase::Cluster);
    let requests = std::mem::take(&mut run.requests);
    let models = run.models()?;
    let mut cluster = Cluster::new(
        run.cluster_setup(),
        models.target,
        models.draft,
        models.experts,
        requests,
    )?;
    let mut engine = Engine::new(cluster.resources());
    let pending = size::pending_tasks(&run.loaded.scenario);
    engine.reserve_tasks(usize::try_from(pending).unwrap_or(usize::MAX));
    cluster.prime(&mut engine)?;
    progress::enter(run.progress.as_deref(), RunPhase::Simulating);
    engine.run(&mut cluster, Time::MAX)?;
    Ok(Executed {
        events: engine.events(),
        usage: engine.usage().to_vec(),
        output: cluster.into_output()?,
    })
}
