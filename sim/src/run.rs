//! One run, end to end: scenario -> model -> plan -> event simulation -> [`RunResult`].

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use ruvsim_core::{footprint, synthetic_model, Model, Shard};
use thiserror::Error;

use crate::cluster::{
    Cluster, ClusterSetup, ExpertModels, FaultSetup, MoeSetup, RequestRecord, SimError, Speculation,
};
use crate::model_source::{prepare, resolve, ModelError, PreparedModel};
use crate::plan::{plan, MoeRequest, Plan, PlanError, PlanRequest};
use crate::result::{
    summarise, Bottleneck, CalibrationEntry, ChipKind, ChipResult, ClusterSummary, LinkResult,
    ModelSummary, RunResult,
};
use crate::scenario::{
    ClusterSpec, Fidelity, LoadedScenario, MoeSpec, RouterSpec, Scenario, SpeculativeSpec,
};
use crate::workload::{build_requests, Arrivals, WorkloadError};
use ruvsim_engine::engine::Engine;
use ruvsim_engine::rng::Probability;
use ruvsim_engine::time::{Duration, Time};
use ruvsim_hw::calibration::{Calibration, CalibrationError};
use ruvsim_hw::chip::{CpuSetup, KernelKind};
use ruvsim_hw::energy::{self, EnergyError, EnergyInput};
use ruvsim_hw::link::{LinkConfig, LinkError, LinkModel};
use ruvsim_hw::memory::Placement;
use ruvsim_hw::tier::Tier;
use ruvsim_topologies::LinkKind;

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
    /// A counter the run adds every generated token to, for a progress indicator on another
    /// thread (write-only: the simulation never reads it, so it cannot affect results).
    pub progress: Option<Arc<AtomicU64>>,
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
    /// A file named by the scenario could not be read.
    #[error("cannot read {file}: {reason}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
}

/// The calibration of a scenario: built-in table, scenario file and overrides, command-line file.
pub fn calibration_for(
    loaded: &LoadedScenario,
    options: &RunOptions,
) -> Result<Calibration, RunError> {
    let spec = &loaded.scenario;
    let mut calibration = Calibration::builtin(spec.cluster.variant);
    if let Some(file) = &spec.calibration.file {
        let path = loaded.dir.join(file);
        apply_file(&mut calibration, &path)?;
    }
    if let Some(overrides) = &spec.calibration.overrides {
        calibration.apply_override_table(
            overrides,
            &format!("{} [calibration.overrides]", loaded.file),
        )?;
    }
    if let Some(path) = &options.calibration_file {
        apply_file(&mut calibration, path)?;
    }
    Ok(calibration)
}

fn apply_file(calibration: &mut Calibration, path: &std::path::Path) -> Result<(), RunError> {
    let text = std::fs::read_to_string(path).map_err(|e| RunError::Read {
        file: path.display().to_string(),
        reason: e.to_string(),
    })?;
    calibration.apply_overrides(&text, &path.display().to_string())?;
    Ok(())
}

/// The CPU setup of a scenario's chips: its `cpu` settings, defaulting to the variant's default
/// clock, all cores and optimised kernels.
pub fn cpu_setup(cluster: &ClusterSpec, calibration: &Calibration) -> CpuSetup {
    let cpu_spec = cluster.cpu.unwrap_or_default();
    CpuSetup {
        clock_mhz: cpu_spec
            .clock_mhz
            .unwrap_or(calibration.cpu.default_clock_mhz),
        cores_used: cpu_spec.cores_used.unwrap_or(calibration.cpu.cores),
        kernel: cpu_spec.kernel.unwrap_or(KernelKind::Optimized),
    }
}

/// Runs a scenario.
pub fn simulate(loaded: &LoadedScenario, options: &RunOptions) -> Result<RunResult, RunError> {
    let scenario = &loaded.scenario;
    let seed = options.seed.unwrap_or(scenario.scenario.seed);
    let fidelity = options.fidelity.unwrap_or(scenario.scenario.fidelity);
    let functional = fidelity == Fidelity::Functional;
    let speculative = scenario.speculative.as_ref();
    let prepared = prepare(
        &scenario.model,
        speculative.map(|s| &s.draft),
        functional,
        options.model_dir.as_deref(),
        &loaded.dir,
    )?;
    let config = prepared.config;
    let calibration = calibration_for(loaded, options)?;
    let cluster_spec = &scenario.cluster;
    let cpu = cpu_setup(cluster_spec, &calibration);
    let topology = cluster_spec.topology.build_relative_to(&loaded.dir)?;
    let kind = cluster_spec.link.kind();
    topology.check_ports(cluster_spec.variant.port_budget(kind))?;
    let link = LinkModel::new(&cluster_spec.link, &calibration, &calibration)?;
    if let Some(gateway) = cluster_spec.gateway {
        if gateway >= topology.chips() {
            return Err(RunError::Invalid(format!(
                "cluster.gateway = {gateway} is not a chip of this {}-chip topology (valid: 0..={})",
                topology.chips(),
                topology.chips() - 1
            )));
        }
    }

    let workload = &scenario.workload;
    let replay_text = match &workload.arrivals {
        Arrivals::Replay { file } => {
            let path = resolve(file, None, &loaded.dir)?;
            Some(std::fs::read_to_string(&path).map_err(|e| RunError::Read {
                file: path.display().to_string(),
                reason: e.to_string(),
            })?)
        }
        _ => None,
    };
    let requests = build_requests(
        workload,
        seed,
        config.shape.vocab_size,
        config.shape.seq_len,
        prepared.tokenizer.as_ref(),
        replay_text.as_deref(),
    )?;
    let sampler = workload.sampling.to_sampler(config.shape.vocab_size)?;
    let parallelism = &scenario.parallelism;
    let concurrency = match workload.arrivals {
        Arrivals::ClosedLoop { concurrency } => Some(concurrency),
        _ => None,
    };
    let streams_per_replica = parallelism
        .streams_per_replica
        .unwrap_or(match concurrency {
            Some(c) => c.div_ceil(parallelism.replicas.max(1)),
            None => 1,
        });
    let context_len = requests
        .iter()
        .map(|r| r.prompt.len() as u32 + r.new_tokens)
        .max()
        .unwrap_or(1);
    let moe = match &scenario.moe {
        Some(spec) => Some(moe_setup(spec, scenario)?),
        None => None,
    };
    let speculation = match speculative {
        Some(spec) => Some(speculation_setup(spec, &prepared, &sampler, fidelity)?),
        None => None,
    };
    let plan = plan(&PlanRequest {
        config,
        pipeline: parallelism.pipeline,
        tensor: parallelism.tensor,
        replicas: parallelism.replicas,
        layers_per_stage: parallelism.layers_per_stage.as_deref(),
        chips: topology.chips(),
        streams_per_replica,
        context_len,
        sampler,
        calibration: &calibration,
        cpu,
        memory: &cluster_spec.memory,
        draft: speculation.map(|s| s.draft),
        spares: scenario.faults.as_ref().map_or(0, |f| f.spares),
        moe: moe.map(|m| MoeRequest {
            experts: m.experts,
            top_k: m.top_k,
        }),
    })?;

    let model = match &prepared.bytes {
        Some(bytes) if functional => Some(Model::parse(bytes).map_err(|e| {
            RunError::Model(ModelError::Format {
                file: prepared.source.clone(),
                reason: e.to_string(),
            })
        })?),
        _ => None,
    };
    let shared_medium = topology.is_shared_medium() || kind == LinkKind::EspNow;
    let setup = ClusterSetup {
        config,
        plan: &plan,
        topology: &topology,
        link,
        shared_medium,
        calibration: &calibration,
        cpu,
        memory: &cluster_spec.memory,
        sampler,
        seed,
        concurrency,
        speculation,
        moe,
        faults: match &scenario.faults {
            Some(spec) => {
                Some(FaultSetup::from_spec(spec, topology.chips()).map_err(RunError::Invalid)?)
            }
            None => None,
        },
        gateway: cluster_spec.gateway,
        timeline_limit: options.timeline_limit.unwrap_or(200_000),
        progress: options.progress.clone(),
    };
    let draft_model = match prepared.draft.as_ref().and_then(|d| d.bytes.as_ref()) {
        Some(bytes) if functional => Some(Model::parse(bytes).map_err(|e| {
            RunError::Model(ModelError::Format {
                file: "speculative draft".into(),
                reason: e.to_string(),
            })
        })?),
        _ => None,
    };
    // Expert weights are synthetic whatever the model source (the scenario format says so).
    let expert_bytes = match moe {
        Some(m) if functional => (0..m.experts)
            .map(|e| {
                synthetic_model(&config, m.seed.wrapping_add(1 + u64::from(e)))
                    .map_err(|e| RunError::Invalid(format!("moe: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
    let experts = match moe {
        Some(m) if functional => Some(ExpertModels {
            models: expert_bytes
                .iter()
                .map(|bytes| {
                    Model::parse(bytes).map_err(|e| RunError::Invalid(format!("moe: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?,
            router: router_weights(&config, &m),
            fixed: m.fixed,
        }),
        _ => None,
    };
    let mut cluster = Cluster::new(setup, model, draft_model, experts, requests)?;
    let mut engine = Engine::new(cluster.resources());
    cluster.prime(&mut engine)?;
    engine.run(&mut cluster, Time::MAX)?;
    let events = engine.events();
    let usage = engine.usage().to_vec();
    let last_event = engine.now();
    let output = cluster.into_output()?;

    let summary = summarise(&output.requests, &output.tokens, events);
    let makespan = summary.makespan;
    let utilisation = |busy: Duration| {
        if makespan == Duration::ZERO {
            0.0
        } else {
            busy.as_secs_f64() / makespan.as_secs_f64()
        }
    };
    let chip_count = topology.chips();
    let chips: Vec<ChipResult> = (0..chip_count)
        .map(|chip| {
            let kind = if chip >= plan.working_chips() {
                ChipKind::Spare
            } else if plan.is_draft(chip) {
                ChipKind::Draft
            } else if plan.expert_of(chip).is_some() {
                ChipKind::Expert
            } else {
                ChipKind::Target
            };
            let role = plan.chip(chip.min(plan.working_chips() - 1));
            let (footprint, placement) = match kind {
                ChipKind::Spare => (
                    Default::default(),
                    Placement::empty(role.placement.sram_budget),
                ),
                _ => (role.footprint, role.placement),
            };
            ChipResult {
                chip,
                kind,
                replica: plan.replica_of(chip.min(plan.working_chips() - 1)),
                stage: role.stage,
                rank: role.rank,
                busy: usage[chip as usize].busy,
                utilisation: utilisation(usage[chip as usize].busy),
                tasks: usage[chip as usize].tasks,
                counts: output.chip_counts[chip as usize],
                footprint,
                placement,
            }
        })
        .collect();
    let links: Vec<LinkResult> = output
        .link_bytes
        .iter()
        .enumerate()
        .map(|(link, &bytes)| {
            let resource = chip_count as usize + link;
            LinkResult {
                link: link as u32,
                ends: if shared_medium {
                    "shared medium".into()
                } else {
                    link_ends(&topology, link as u32)
                },
                pair: match topology.link_ends(link as u32) {
                    Ok(ruvsim_topologies::LinkEnds::Pair(a, b)) if !shared_medium => Some([a, b]),
                    _ => None,
                },
                bytes,
                messages: output.link_messages[link],
                busy: usage[resource].busy,
                utilisation: utilisation(usage[resource].busy),
            }
        })
        .collect();
    let busy: Vec<Duration> = chips.iter().map(|c| c.busy).collect();
    let energy = energy::account(&EnergyInput {
        calibration: &calibration,
        cpu: &cpu,
        spec: &scenario.energy,
        window: energy_window(&output.requests, last_event),
        busy: &busy,
        tokens: summary.tokens_generated,
    })?;
    let mut bottleneck = find_bottleneck(&chips, &links, &plan, concurrency);
    if let Some(stalls) = output.faults.as_ref().and_then(fault_stall) {
        bottleneck.explanation = format!("{stalls} {}", bottleneck.explanation);
    }
    let texts = output
        .requests
        .iter()
        .map(|r| {
            prepared
                .tokenizer
                .as_ref()
                .filter(|_| functional)
                .and_then(|t| t.decode(&r.tokens).ok())
        })
        .collect();
    Ok(RunResult {
        scenario: scenario.scenario.name.clone(),
        description: scenario.scenario.description.clone(),
        seed,
        fidelity,
        tier: Tier::Simulated,
        model: model_summary(&prepared)?,
        cluster: ClusterSummary {
            variant: cluster_spec.variant.display_name().into(),
            chips: chip_count,
            topology: topology.kind().into(),
            links: links.len() as u32,
            link: link_description(&cluster_spec.link),
            clock_mhz: cpu.clock_mhz,
            cores_used: cpu.cores_used,
            kernel: match cpu.kernel {
                KernelKind::PlainC => "plain C".into(),
                KernelKind::Optimized => "optimized".into(),
            },
        },
        plan,
        summary,
        requests: output.requests,
        tokens: output.tokens,
        chips,
        links,
        bottleneck,
        energy,
        texts,
        calibration: calibration
            .entries()
            .map(|(key, entry)| CalibrationEntry {
                key: key.to_string(),
                value: entry.value.to_string(),
                source: entry.source.to_string(),
            })
            .collect(),
        timeline: output.timeline,
        timeline_dropped: output.timeline_dropped,
        speculation: output.speculation,
        moe: output.moe,
        faults: output.faults,
    })
}

/// The span energy is accounted over: from the first arrival to the last event (a failed request's
/// last transfers can end after the last request does).
fn energy_window(requests: &[RequestRecord], last_event: Time) -> Duration {
    let start = requests
        .iter()
        .map(|r| r.arrival)
        .min()
        .unwrap_or(Time::ZERO);
    let end = requests.iter().map(|r| r.end).fold(last_event, Time::max);
    end.checked_duration_since(start).unwrap_or(Duration::ZERO)
}

/// Checks a `[moe]` table against the scenario and builds its settings.
fn moe_setup(spec: &MoeSpec, scenario: &Scenario) -> Result<MoeSetup, RunError> {
    let invalid = |message: String| RunError::Invalid(format!("moe.{message}"));
    if spec.experts == 0 {
        return Err(invalid("experts must be at least 1".into()));
    }
    if spec.top_k == 0 || spec.top_k > spec.experts {
        return Err(invalid(format!(
            "top_k = {} must be from 1 to experts = {}",
            spec.top_k, spec.experts
        )));
    }
    let p = &scenario.parallelism;
    if p.pipeline != 1 || p.tensor != 1 || scenario.speculative.is_some() {
        return Err(invalid(
            "experts: mixture of experts runs with parallelism.pipeline = 1 and tensor = 1 (the \
             coordinator chip holds attention and the router) and without [speculative]"
                .into(),
        ));
    }
    let fixed = match spec.router {
        RouterSpec::Linear => None,
        RouterSpec::Fixed(expert) if expert < spec.experts => Some(expert),
        RouterSpec::Fixed(expert) => {
            return Err(invalid(format!(
                "router = {{ fixed = {expert} }} names no expert (valid: 0..={})",
                spec.experts - 1
            )))
        }
    };
    Ok(MoeSetup {
        experts: spec.experts,
        top_k: spec.top_k,
        fixed,
        seed: spec.seed,
    })
}

/// The router's synthetic int8 weights, `[layer][expert][dim]`, from the `[moe]` seed.
fn router_weights(config: &ruvsim_core::ModelConfig, moe: &MoeSetup) -> Vec<i8> {
    use rand_chacha::rand_core::Rng;
    let mut stream = ruvsim_engine::rng::stream(moe.seed, ruvsim_engine::rng::Purpose::Routing, 1);
    let count = config.shape.n_layers as usize * moe.experts as usize * config.shape.dim as usize;
    (0..count).map(|_| stream.next_u32() as u8 as i8).collect()
}

/// Checks a `[speculative]` table against the run and builds its settings.
fn speculation_setup(
    spec: &SpeculativeSpec,
    prepared: &PreparedModel,
    sampler: &ruvsim_core::SamplerConfig,
    fidelity: Fidelity,
) -> Result<Speculation, RunError> {
    let invalid = |message: String| RunError::Invalid(format!("speculative.{message}"));
    if spec.k == 0 {
        return Err(invalid("k must be at least 1".into()));
    }
    if sampler.temperature_q16 != 0 {
        return Err(invalid(
            "k: speculative decoding here verifies greedily; set workload.sampling.temperature = 0"
                .into(),
        ));
    }
    if prepared.config.attention != ruvsim_core::AttentionPattern::Full {
        return Err(invalid(
            "k: speculative decoding needs full causal attention (a windowed pattern's cache is a \
             ring buffer that rejected proposals would overwrite)"
                .into(),
        ));
    }
    let draft = prepared
        .draft
        .as_ref()
        .ok_or_else(|| invalid("draft: no draft model was prepared".into()))?;
    let acceptance =
        match (fidelity, spec.acceptance) {
            (Fidelity::Timing, None) => return Err(invalid(
                "acceptance is needed in timing fidelity: no model runs, so acceptance cannot be \
                 measured; give the probability to assume (for example 0.7), or run functional"
                    .into(),
            )),
            (Fidelity::Timing, Some(p)) => {
                Some(Probability::new(p).map_err(|e| invalid(format!("acceptance = {p}: {e}")))?)
            }
            // Functional runs measure acceptance from the real models.
            (Fidelity::Functional, _) => None,
        };
    Ok(Speculation {
        k: spec.k,
        draft: draft.config,
        acceptance,
    })
}

fn model_summary(prepared: &PreparedModel) -> Result<ModelSummary, RunError> {
    let config = prepared.config;
    let weight_bytes = match &prepared.bytes {
        Some(bytes) => bytes.len() as u64,
        None => {
            footprint(&config, &Shard::whole(&config), 1)
                .map_err(|e| RunError::Sim(SimError::Core(e)))?
                .weight_bytes
        }
    };
    Ok(ModelSummary {
        source: format!("{} ({})", prepared.source, config.precision.name()),
        config,
        weight_bytes,
        synthetic: prepared.synthetic,
    })
}

fn link_ends(topology: &ruvsim_topologies::Topology, link: u32) -> String {
    match topology.link_ends(link) {
        Ok(ruvsim_topologies::LinkEnds::Pair(a, b)) => format!("{a}-{b}"),
        Ok(ruvsim_topologies::LinkEnds::Shared { count, .. }) => format!("shared by {count} chips"),
        Err(_) => "unknown".into(),
    }
}

fn link_description(link: &LinkConfig) -> String {
    match link {
        LinkConfig::Spi(spi) => format!(
            "SPI {} MHz, {} line(s), {}",
            spi.clock_mhz,
            spi.lines,
            match spi.mode {
                ruvsim_hw::link::SpiMode::InterruptDma => "interrupt + DMA",
                ruvsim_hw::link::SpiMode::InterruptCpu => "interrupt + CPU",
                ruvsim_hw::link::SpiMode::PollingDma => "polling + DMA",
                ruvsim_hw::link::SpiMode::PollingCpu => "polling + CPU",
            }
        ),
        LinkConfig::Uart(uart) => format!("UART {} baud", uart.baud),
        LinkConfig::EspNow(radio) => format!(
            "ESP-NOW {:?}, loss {}, up to {} attempts per packet",
            radio.version, radio.loss, radio.max_attempts
        ),
    }
}

/// The busiest resource, and why it limits the run.
/// What faults took from the run, in words, when a chip stopped.
fn fault_stall(faults: &crate::cluster::FaultStats) -> Option<String> {
    if faults.crashes == 0 && faults.hangs == 0 && faults.link_outages == 0 {
        return None;
    }
    let mut text = format!(
        "Faults stalled the run ({} crash(es), {} hang(s), {} link outage(s))",
        faults.crashes, faults.hangs, faults.link_outages
    );
    if faults.time_to_recover.count > 0 {
        text.push_str(&format!(
            ": a replica waited up to {:.1} ms from a crash to its spare taking over",
            faults.time_to_recover.max.as_secs_f64() * 1e3
        ));
    } else if faults.time_to_detect.count > 0 {
        text.push_str(&format!(
            ": a crash was declared after up to {:.1} ms and no spare took over",
            faults.time_to_detect.max.as_secs_f64() * 1e3
        ));
    }
    text.push('.');
    Some(text)
}

fn find_bottleneck(
    chips: &[ChipResult],
    links: &[LinkResult],
    plan: &Plan,
    concurrency: Option<u32>,
) -> Bottleneck {
    let busiest_chip = chips.iter().max_by(|a, b| {
        a.utilisation
            .total_cmp(&b.utilisation)
            .then(b.chip.cmp(&a.chip))
    });
    let busiest_link = links.iter().max_by(|a, b| {
        a.utilisation
            .total_cmp(&b.utilisation)
            .then(b.link.cmp(&a.link))
    });
    let (resource, utilisation, what) = match (busiest_chip, busiest_link) {
        (Some(c), Some(l)) if l.utilisation > c.utilisation => (
            format!("link {} ({})", l.link, l.ends),
            l.utilisation,
            format!(
                "it carries {} bytes in {} messages; transfers, not compute, set the pace",
                l.bytes, l.messages
            ),
        ),
        (Some(c), _) => {
            let layers = plan.chip(c.chip).shard.layers;
            let region = crate::plan::region_name(c.placement.weights);
            match c.kind {
                ChipKind::Draft => (
                    format!(
                        "chip {} (speculative draft of replica {})",
                        c.chip, c.replica
                    ),
                    c.utilisation,
                    format!(
                        "it runs the whole draft model ({} layers, weights in {region}), one \
                         proposal after another",
                        layers.end
                    ),
                ),
                ChipKind::Expert => (
                    format!(
                        "chip {} (expert {} of replica {})",
                        c.chip,
                        plan.expert_of(c.chip).unwrap_or(0),
                        c.replica
                    ),
                    c.utilisation,
                    format!(
                        "it holds an expert's feed-forward blocks with weights in {region}, and \
                         the router sends it more tokens than the others"
                    ),
                ),
                _ => (
                    format!("chip {} (stage {}, rank {})", c.chip, c.stage, c.rank),
                    c.utilisation,
                    format!(
                        "it holds layers {}..{} with weights in {region}",
                        layers.start, layers.end
                    ),
                ),
            }
        }
        (None, Some(l)) => (format!("link {}", l.link), l.utilisation, String::new()),
        (None, None) => ("none".into(), 0.0, String::new()),
    };
    let streams = plan.streams_per_replica;
    let explanation = if utilisation < 0.5 && plan.pipeline > 1 {
        format!(
            "No resource is saturated (the busiest, {resource}, is busy {:.0}% of the time): \
             decoding is sequential, so each stream's token must cross all {} stages before the \
             next can start, and {streams} stream(s) per replica{} cannot keep every stage busy. \
             More concurrent streams would raise throughput; a single stream cannot.",
            utilisation * 100.0,
            plan.pipeline,
            concurrency.map_or(String::new(), |c| match c {
                1 => " (1 client)".to_string(),
                c => format!(" ({c} clients)"),
            }),
        )
    } else {
        format!(
            "{resource} is busy {:.0}% of the run: {what}.",
            utilisation * 100.0
        )
    };
    Bottleneck {
        resource,
        utilisation,
        explanation,
    }
}
