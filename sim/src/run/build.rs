//! Building a run: everything the cluster process needs before its first event, checked and
//! owned in one [`BuiltRun`] (the model, the calibration, the wiring, the requests, the plan).

use std::sync::Arc;

use ruvsim_core::{synthetic_model, Model, SamplerConfig};
use ruvsim_engine::rng::Probability;
use ruvsim_hw::backbone::{Backbone, BackboneConfig, EthernetNic};
use ruvsim_hw::calibration::Calibration;
use ruvsim_hw::chip::{CpuSetup, KernelKind};
use ruvsim_hw::firmware::FirmwareProfile;
use ruvsim_hw::link::LinkModel;
use ruvsim_topologies::{LinkKind, Topology};

use super::faults::fault_setup;
use super::{RunError, RunOptions};
use crate::cluster::{
    BackboneLayout, ClusterSetup, ExpertModels, FaultSetup, Gateway, MoeSetup, Speculation,
};
use crate::model_source::{prepare, resolve, ModelError, PreparedModel};
use crate::plan::{plan, MoeRequest, Plan, PlanRequest};
use crate::progress::{self, Progress, RunPhase};
use crate::record_volume::Records;
use crate::scenario::{
    ClusterSpec, Fidelity, LoadedScenario, MoeSpec, RouterSpec, Scenario, SpeculativeSpec,
};
use crate::workload::{build_requests, Arrivals, Request};

/// Most timeline spans a run records unless told otherwise.
pub const DEFAULT_TIMELINE_LIMIT: usize = 200_000;

/// A run ready to execute: the scenario's settings resolved against the command line, the model
/// prepared, the cluster wired and planned, the requests drawn. The cluster process borrows from
/// it; [`super::summary`] turns it and the execution into a result.
pub struct BuiltRun<'s> {
    /// The scenario.
    pub loaded: &'s LoadedScenario,
    /// The seed in force (the command line's or the scenario's).
    pub seed: u64,
    /// The fidelity in force.
    pub fidelity: Fidelity,
    /// The target model (and draft), with their bytes in functional fidelity.
    pub prepared: PreparedModel,
    /// The chips' calibration.
    pub calibration: Calibration,
    /// The chips' CPU settings.
    pub cpu: CpuSetup,
    /// The wiring.
    pub topology: Topology,
    /// The link model of every link.
    pub link: LinkModel,
    /// Whether every link shares one medium (a bus, or ESP-NOW's one radio channel).
    pub shared_medium: bool,
    /// The backbone joining the groups' gateways and the hosts, when the topology has one.
    pub backbone: Option<BackboneLayout>,
    /// The requests, in arrival order (taken by the execution).
    pub requests: Vec<Request>,
    /// Token choice.
    pub sampler: SamplerConfig,
    /// Closed-loop concurrency, or `None` for open-loop arrivals.
    pub concurrency: Option<u32>,
    /// The plan: which chip holds what.
    pub plan: Plan,
    /// Speculative decoding settings.
    pub speculation: Option<Speculation>,
    /// Mixture-of-experts settings.
    pub moe: Option<MoeSetup>,
    /// Faults and fail-over.
    pub faults: Option<FaultSetup>,
    /// The experts' synthetic model files, in functional fidelity.
    pub expert_bytes: Vec<Vec<u8>>,
    /// Where the hosts are attached.
    pub gateway: Gateway,
    /// Most timeline spans to record.
    pub timeline_limit: usize,
    /// How much of the run is kept.
    pub records: Records,
    /// The progress counter, when a caller watches one.
    pub progress: Option<Arc<Progress>>,
}

/// The models a functional run executes, parsed zero-copy from a [`BuiltRun`]'s bytes.
pub struct RunModels<'m> {
    /// The target model.
    pub target: Option<Model<'m>>,
    /// The speculative draft.
    pub draft: Option<Model<'m>>,
    /// The experts and the router.
    pub experts: Option<ExpertModels<'m>>,
}

/// Checks that the scenario's firmware profile can run its model and split: the llama2.c profile
/// is `run.c`'s f32 loop over whole layers.
fn check_firmware(scenario: &Scenario, prepared: &PreparedModel) -> Result<(), RunError> {
    let FirmwareProfile::Llama2c(firmware) = scenario.firmware else {
        return Ok(());
    };
    firmware
        .validate()
        .map_err(|e| RunError::Invalid(e.to_string()))?;
    let invalid = |what: String| {
        RunError::Invalid(format!(
            "firmware.profile = \"llama2c\" is llama2.c's f32 loop over whole layers: {what} \
             (use profile = \"core\" for ruvsim's own kernels)"
        ))
    };
    if prepared.config.precision != ruvsim_core::Precision::F32 {
        return Err(invalid(format!(
            "model.precision is \"{}\", valid: \"f32\"",
            prepared.config.precision
        )));
    }
    if scenario.parallelism.tensor != 1 {
        return Err(invalid(format!(
            "parallelism.tensor = {}, valid: 1",
            scenario.parallelism.tensor
        )));
    }
    if scenario.moe.is_some() {
        return Err(invalid("[moe] is not part of it".into()));
    }
    Ok(())
}

/// Parses a model file that [`prepare`] produced, naming it in the error.
fn parse_model<'m>(bytes: &'m [u8], file: &str) -> Result<Model<'m>, RunError> {
    Model::parse(bytes).map_err(|e| {
        RunError::Model(ModelError::Format {
            file: file.to_string(),
            reason: e.to_string(),
        })
    })
}

/// Resolves, checks and prepares everything a run of `loaded` needs.
pub fn build<'s>(
    loaded: &'s LoadedScenario,
    options: &RunOptions,
) -> Result<BuiltRun<'s>, RunError> {
    let scenario = &loaded.scenario;
    let progress = options.progress.as_deref();
    progress::enter(progress, RunPhase::Model);
    let seed = options.seed.unwrap_or(scenario.scenario.seed);
    let fidelity = options.fidelity.unwrap_or(scenario.scenario.fidelity);
    if let Some(limit) = options.memory_limit {
        super::size::check(scenario, fidelity, limit)?;
    }
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
    progress::enter(progress, RunPhase::Wiring);
    let topology = cluster_spec.topology.build_relative_to(&loaded.dir)?;
    let kind = cluster_spec.link.kind();
    topology.check_ports(cluster_spec.variant.port_budget(kind))?;
    let link = LinkModel::new(&cluster_spec.link, &calibration, &calibration)?;
    // A fault scenario's message loss applies to radio packets too, on top of the link's own.
    let link = match &scenario.faults {
        Some(faults) if faults.message_loss > 0.0 => {
            let extra = Probability::new(faults.message_loss).map_err(|e| {
                RunError::Invalid(format!(
                    "faults.message_loss = {}: {e}",
                    faults.message_loss
                ))
            })?;
            link.with_extra_loss(extra)?
        }
        _ => link,
    };
    let backbone = backbone_setup(cluster_spec, &topology, &calibration)?;
    let gateway = gateway_setup(cluster_spec, &topology, backbone.is_some())?;

    progress::enter(progress, RunPhase::Requests);
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
    check_firmware(scenario, &prepared)?;
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

    let faults = match &scenario.faults {
        Some(spec) => Some(fault_setup(spec, &topology).map_err(RunError::Invalid)?),
        None => None,
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
    let topology_chips = topology.chips();
    Ok(BuiltRun {
        loaded,
        seed,
        fidelity,
        shared_medium: topology.is_shared_medium() || kind == LinkKind::EspNow,
        backbone,
        prepared,
        calibration,
        cpu,
        topology,
        link,
        requests,
        sampler,
        concurrency,
        plan,
        speculation,
        moe,
        faults,
        expert_bytes,
        gateway,
        timeline_limit: options.timeline_limit.unwrap_or(DEFAULT_TIMELINE_LIMIT),
        records: options
            .records
            .unwrap_or(Records::automatic(topology_chips)),
        progress: options.progress.clone(),
    })
}

/// The backbone of `cluster`, which must be a hierarchical topology whose top level is
/// `switched` (and a switched level needs a backbone).
fn backbone_setup(
    cluster: &ClusterSpec,
    topology: &Topology,
    calibration: &Calibration,
) -> Result<Option<BackboneLayout>, RunError> {
    let switched_top = match topology.as_hierarchical() {
        Some(h) => h.top().kind() == "switched",
        None => false,
    };
    let Some(config) = &cluster.backbone else {
        if switched_top || topology.kind() == "switched" {
            return Err(RunError::Invalid(
                "a `switched` topology level is a backbone: give cluster.backbone (kind = \
                 \"ethernet\", \"wifi\" or \"espnow\") to say what network it is"
                    .into(),
            ));
        }
        return Ok(None);
    };
    let hierarchical = topology.as_hierarchical().filter(|_| switched_top).ok_or_else(|| {
        RunError::Invalid(format!(
            "cluster.backbone joins the gateways of groups: it needs topology = {{ kind = \
             \"hierarchical\", group = {{ ... }}, top = {{ kind = \"switched\", chips = GROUPS }} }}, \
             but the topology is a {}",
            topology.kind()
        ))
    })?;
    if cluster.gateway.is_some() || cluster.gateway_per_group {
        return Err(RunError::Invalid(
            "with cluster.backbone the hosts are on the backbone (one per groups_per_host \
             groups, each reaching its groups' gateway chips); remove cluster.gateway and \
             cluster.gateway_per_group"
                .into(),
        ));
    }
    if cluster.link.kind() == LinkKind::EspNow {
        return Err(RunError::Invalid(
            "cluster.backbone joins groups wired by SPI or UART; these groups are wired by \
             ESP-NOW, which shares the radio the backbone would use"
                .into(),
        ));
    }
    if let (BackboneConfig::Ethernet(e), LinkKind::Spi) = (config, cluster.link.kind()) {
        let spi_hosts = cluster.variant.port_budget(LinkKind::Spi).ports_per_chip;
        let wired = hierarchical.group().degree(hierarchical.gateway_of(0))?;
        if e.nic == EthernetNic::W5500 && wired + 1 > spi_hosts {
            return Err(RunError::Invalid(format!(
                "the W5500 takes one of the gateway chip's {spi_hosts} SPI hosts, and the group \
                 wiring already uses {wired} there; choose a gateway with fewer SPI links \
                 (topology.gateway), wire the groups by UART, or use nic = \"emac\" on esp32"
            )));
        }
    }
    let backbone = Backbone::new(config, calibration)
        .map_err(|e| RunError::Invalid(format!("cluster.{e}")))?;
    Ok(Some(BackboneLayout {
        backbone,
        group_chips: hierarchical.group_chips(),
        groups: hierarchical.groups(),
        first_attachment: hierarchical.top_links_start(),
        first_extra: topology.link_count(),
    }))
}

/// The hosts of `cluster`: one chip (`gateway`, checked against the topology), one per group
/// (`gateway_per_group`, which needs a hierarchical topology; implied by a backbone), or none.
fn gateway_setup(
    cluster: &ClusterSpec,
    topology: &Topology,
    backbone: bool,
) -> Result<Gateway, RunError> {
    let per_group = cluster.gateway_per_group || backbone;
    match (cluster.gateway, per_group) {
        (Some(_), true) => Err(RunError::Invalid(
            "cluster.gateway and cluster.gateway_per_group = true name two different host \
             attachments; give one of them"
                .into(),
        )),
        (Some(gateway), false) if gateway >= topology.chips() => Err(RunError::Invalid(format!(
            "cluster.gateway = {gateway} is not a chip of this {}-chip topology (valid: 0..={})",
            topology.chips(),
            topology.chips() - 1
        ))),
        (Some(gateway), false) => Ok(Gateway::Chip(gateway)),
        (None, true) => match topology.as_hierarchical() {
            Some(hierarchical) => Ok(Gateway::PerGroup {
                group_chips: hierarchical.group_chips(),
                offset: hierarchical.gateway_of(0),
            }),
            None => Err(RunError::Invalid(format!(
                "cluster.gateway_per_group = true needs groups, but the topology is a {} \
                 (valid: kind = \"hierarchical\"; or give one chip with cluster.gateway)",
                topology.kind()
            ))),
        },
        (None, false) => Ok(Gateway::None),
    }
}

impl BuiltRun<'_> {
    /// Whether the chips run the real inference.
    pub fn functional(&self) -> bool {
        self.fidelity == Fidelity::Functional
    }

    /// The cluster process's settings, borrowing from this run.
    pub fn cluster_setup(&self) -> ClusterSetup<'_> {
        let cluster = &self.loaded.scenario.cluster;
        ClusterSetup {
            config: self.prepared.config,
            plan: &self.plan,
            topology: &self.topology,
            link: self.link,
            shared_medium: self.shared_medium,
            calibration: &self.calibration,
            cpu: self.cpu,
            memory: &cluster.memory,
            sampler: self.sampler,
            seed: self.seed,
            concurrency: self.concurrency,
            speculation: self.speculation,
            moe: self.moe,
            faults: self.faults.clone(),
            gateway: self.gateway,
            timeline_limit: self.timeline_limit,
            keep_tokens: self.records == Records::All,
            progress: self.progress.clone(),
            firmware: self.loaded.scenario.firmware,
            backbone: self.backbone.clone(),
        }
    }

    /// The models a functional run executes (none in timing fidelity).
    pub fn models(&self) -> Result<RunModels<'_>, RunError> {
        let functional = self.functional();
        let target = match &self.prepared.bytes {
            Some(bytes) if functional => Some(parse_model(bytes, &self.prepared.source)?),
            _ => None,
        };
        let draft = match self.prepared.draft.as_ref().and_then(|d| d.bytes.as_ref()) {
            Some(bytes) if functional => Some(parse_model(bytes, "speculative draft")?),
            _ => None,
        };
        let experts = match self.moe {
            Some(m) if functional => Some(ExpertModels {
                models: self
                    .expert_bytes
                    .iter()
                    .map(|bytes| {
                        Model::parse(bytes).map_err(|e| RunError::Invalid(format!("moe: {e}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                router: router_weights(&self.prepared.config, &m),
                fixed: m.fixed,
            }),
            _ => None,
        };
        Ok(RunModels {
            target,
            draft,
            experts,
        })
    }
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
