//! The planner: which chip holds which part of the model, whether it fits, and what it costs.
//!
//! A cluster runs `replicas` identical copies of a pipeline of `pipeline` stages; each stage is a
//! tensor group of `tensor` chips that share the stage's heads and feed-forward units. Chip ids
//! follow that nesting: `replica * chips_per_replica + stage * tensor + rank`.
//!
//! Layers are split into contiguous stages balanced by predicted time per token (the embedding
//! on the first stage, the classifier and sampling on the last), under each chip's memory budget.
//! A plan that does not fit fails with the chip, the bytes over, and what would fit.

use ruvsim_core::{
    footprint, predict, Block, ModelConfig, Op, OpCounts, SamplerConfig, Shard, Span, FFN_GROUP,
};
use serde::{Deserialize, Serialize};

use crate::balance::balance_layers;
use ruvsim_engine::time::Duration;
use ruvsim_hw::calibration::Calibration;
use ruvsim_hw::chip::{step_time, CpuSetup};
use ruvsim_hw::memory::{place, Footprint, MemoryError, MemorySetup, Placement};

/// What the planner needs to know.
#[derive(Clone, Debug)]
pub struct PlanRequest<'a> {
    /// The model's shape and precision.
    pub config: ModelConfig,
    /// Pipeline stages per replica.
    pub pipeline: u32,
    /// Chips per stage.
    pub tensor: u32,
    /// Replicas.
    pub replicas: u32,
    /// Explicit layers per stage, instead of the balanced split.
    pub layers_per_stage: Option<&'a [u32]>,
    /// Chips in the topology (must equal pipeline x tensor x replicas).
    pub chips: u32,
    /// Streams each replica serves at once (each needs its own KV cache).
    pub streams_per_replica: u32,
    /// Positions the KV cache holds per stream.
    pub context_len: u32,
    /// How tokens are chosen (priced on the last stage's leader).
    pub sampler: SamplerConfig,
    /// The chips' calibration.
    pub calibration: &'a Calibration,
    /// CPU settings.
    pub cpu: CpuSetup,
    /// Memory fitted on each board.
    pub memory: &'a MemorySetup,
    /// A speculative draft model, run whole on one extra chip per replica.
    pub draft: Option<ModelConfig>,
    /// Spare chips after every replica's chips, idle until one takes over a failed chip.
    pub spares: u32,
    /// Mixture of experts: the stage's feed-forward blocks are experts on their own chips.
    pub moe: Option<MoeRequest>,
}

/// Mixture-of-experts settings the planner needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoeRequest {
    /// Expert chips per replica (each holds one expert's feed-forward blocks of every layer).
    pub experts: u32,
    /// Experts each token visits per layer.
    pub top_k: u32,
}

impl MoeRequest {
    /// Bytes of the router: one int8 row of `dim` weights per expert and layer.
    pub fn router_bytes(&self, config: &ModelConfig) -> u64 {
        u64::from(self.experts) * u64::from(config.shape.dim) * u64::from(config.shape.n_layers)
    }
}

/// The expert chips of a mixture-of-experts plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MoePlan {
    /// Experts per replica and experts per token.
    pub request: MoeRequest,
    /// What each expert chip holds (every expert has the same shape).
    pub chip: ChipPlan,
}

/// One chip of a replica.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChipPlan {
    /// Pipeline stage.
    pub stage: u32,
    /// Rank in the stage's tensor group (0 is the leader, which combines partial sums).
    pub rank: u32,
    /// The part of the model it holds.
    pub shard: Shard,
    /// Bytes it holds (KV cache for every stream it serves).
    pub footprint: Footprint,
    /// Where those bytes live.
    pub placement: Placement,
    /// Predicted busy time per token at the middle of the context.
    pub token_time: Duration,
}

/// A whole plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Pipeline stages per replica.
    pub pipeline: u32,
    /// Chips per stage.
    pub tensor: u32,
    /// Replicas.
    pub replicas: u32,
    /// Streams each replica serves at once.
    pub streams_per_replica: u32,
    /// Positions each stream's KV cache holds.
    pub context_len: u32,
    /// Layers of each stage.
    pub stages: Vec<Span>,
    /// The chips of one replica, index `stage * tensor + rank` (every replica is the same).
    pub chips: Vec<ChipPlan>,
    /// The speculative draft's chip (one per replica, after every replica's chips), if any.
    pub draft: Option<DraftPlan>,
    /// Spare chips, after the draft and expert chips.
    #[serde(default)]
    pub spares: u32,
    /// Mixture-of-experts expert chips (per replica, after the draft chips), if any.
    #[serde(default)]
    pub moe: Option<MoePlan>,
}

/// The chip that runs a replica's speculative draft model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DraftPlan {
    /// The draft model's configuration.
    pub config: ModelConfig,
    /// What the draft chip holds (the whole draft model), its bytes and time per token.
    pub chip: ChipPlan,
}

impl Plan {
    /// Chips per replica.
    pub fn chips_per_replica(&self) -> u32 {
        self.pipeline * self.tensor
    }

    /// The global chip id of `(replica, stage, rank)`.
    pub fn chip_id(&self, replica: u32, stage: u32, rank: u32) -> u32 {
        replica * self.chips_per_replica() + stage * self.tensor + rank
    }

    /// Chips running the target model (every replica's pipeline).
    pub fn target_chips(&self) -> u32 {
        self.replicas * self.chips_per_replica()
    }

    /// The draft chip of `replica`, when the plan has a draft.
    pub fn draft_chip(&self, replica: u32) -> Option<u32> {
        self.draft.as_ref().map(|_| self.target_chips() + replica)
    }

    /// Draft chips (one per replica when the plan speculates).
    pub fn draft_chips(&self) -> u32 {
        self.draft.as_ref().map_or(0, |_| self.replicas)
    }

    /// Experts per replica (0 without mixture of experts).
    pub fn experts(&self) -> u32 {
        self.moe.as_ref().map_or(0, |m| m.request.experts)
    }

    /// Expert `expert` of `replica`, when the plan has experts.
    pub fn expert_chip(&self, replica: u32, expert: u32) -> u32 {
        self.target_chips() + self.draft_chips() + replica * self.experts() + expert
    }

    /// Whether `chip` is a speculative draft chip.
    pub fn is_draft(&self, chip: u32) -> bool {
        chip >= self.target_chips() && chip < self.target_chips() + self.draft_chips()
    }

    /// The expert index of `chip`, if it is an expert chip.
    pub fn expert_of(&self, chip: u32) -> Option<u32> {
        let first = self.target_chips() + self.draft_chips();
        let count = self.replicas * self.experts();
        (chip >= first && chip < first + count).then(|| (chip - first) % self.experts())
    }

    /// Chips with a part of the model (targets, drafts, experts; spares come after them).
    pub fn working_chips(&self) -> u32 {
        self.target_chips() + self.draft_chips() + self.replicas * self.experts()
    }

    /// The replica `chip` (a target, draft or expert chip) serves.
    pub fn replica_of(&self, chip: u32) -> u32 {
        let targets = self.target_chips();
        if chip < targets {
            chip / self.chips_per_replica()
        } else if chip < targets + self.draft_chips() {
            chip - targets
        } else {
            (chip - targets - self.draft_chips()) / self.experts().max(1)
        }
    }

    /// The plan of global chip `chip`.
    pub fn chip(&self, chip: u32) -> &ChipPlan {
        match (&self.draft, &self.moe) {
            (Some(draft), _) if self.is_draft(chip) => &draft.chip,
            (_, Some(moe)) if self.expert_of(chip).is_some() => &moe.chip,
            _ => &self.chips[(chip % self.chips_per_replica()) as usize],
        }
    }
}

/// Makes a plan, or explains why none fits.
pub fn plan(request: &PlanRequest) -> Result<Plan, PlanError> {
    let per_replica = u64::from(request.pipeline) * u64::from(request.tensor)
        + u64::from(request.draft.is_some());
    let experts = request.moe.map_or(0, |m| u64::from(m.experts));
    let needed = (per_replica + experts) * u64::from(request.replicas) + u64::from(request.spares);
    if needed != u64::from(request.chips) {
        return Err(PlanError::ChipCount {
            chips: request.chips,
            needed,
            pipeline: request.pipeline,
            tensor: request.tensor,
            replicas: request.replicas,
            draft: request.draft.is_some(),
            experts: experts as u32,
            spares: request.spares,
        });
    }
    request
        .memory
        .validate(request.calibration)
        .map_err(PlanError::Memory)?;
    request.cpu.validate(request.calibration)?;
    match try_plan(request)? {
        Ok(plan) => Ok(plan),
        Err(misfit) => Err(explain(request, misfit)),
    }
}

/// Plans with the request as it is: `Ok(Err(misfit))` when some chip does not fit.
fn try_plan(request: &PlanRequest) -> Result<Result<Plan, Misfit>, PlanError> {
    let config = &request.config;
    check_parallelism(request)?;
    let stages = match request.layers_per_stage {
        Some(counts) => explicit_stages(request, counts)?,
        None => {
            let mut first_error = None;
            let balanced =
                balance_layers(config.shape.n_layers, request.pipeline, |stage, layers| {
                    let span = Span::new(layers.start, layers.end);
                    match stage_chips(request, stage, span) {
                        Ok(Ok(chips)) => chips.iter().map(|c| c.token_time.as_ps()).max(),
                        Ok(Err(_)) => None,
                        Err(error) => {
                            first_error.get_or_insert(error);
                            None
                        }
                    }
                });
            if let Some(error) = first_error {
                return Err(error);
            }
            match balanced {
                Some(ranges) => ranges
                    .into_iter()
                    .map(|r| Span::new(r.start, r.end))
                    .collect(),
                None => even_stages(config.shape.n_layers, request.pipeline),
            }
        }
    };
    let mut chips = Vec::with_capacity((request.pipeline * request.tensor) as usize);
    for (stage, &layers) in stages.iter().enumerate() {
        match stage_chips(request, stage as u32, layers)? {
            Ok(stage_plan) => chips.extend(stage_plan),
            Err(misfit) => return Ok(Err(misfit)),
        }
    }
    let draft = match request.draft {
        Some(config) => match draft_chip(request, config)? {
            Ok(chip) => Some(DraftPlan { config, chip }),
            Err(misfit) => return Ok(Err(misfit)),
        },
        None => None,
    };
    Ok(Ok(Plan {
        pipeline: request.pipeline,
        tensor: request.tensor,
        replicas: request.replicas,
        streams_per_replica: request.streams_per_replica,
        context_len: request.context_len,
        stages,
        chips,
        draft,
        spares: request.spares,
        moe: match request.moe {
            Some(moe) => match expert_chip(request)? {
                Ok(chip) => Some(MoePlan { request: moe, chip }),
                Err(misfit) => return Ok(Err(misfit)),
            },
            None => None,
        },
    }))
}

fn check_parallelism(request: &PlanRequest) -> Result<(), PlanError> {
    let config = &request.config;
    let invalid = |key, value, reason: String| PlanError::Parallelism { key, value, reason };
    for (key, value) in [
        ("pipeline", request.pipeline),
        ("tensor", request.tensor),
        ("replicas", request.replicas),
        ("streams_per_replica", request.streams_per_replica),
    ] {
        if value == 0 {
            return Err(invalid(key, value, "must be at least 1".into()));
        }
    }
    if request.pipeline > config.shape.n_layers {
        return Err(invalid(
            "pipeline",
            request.pipeline,
            format!(
                "the model has {} layers, so at most {} stages",
                config.shape.n_layers, config.shape.n_layers
            ),
        ));
    }
    let unit_groups = config.shape.hidden_dim.div_ceil(FFN_GROUP);
    let max_tensor = config
        .shape
        .n_heads
        .min(unit_groups)
        .min(config.shape.vocab_size);
    if request.tensor > max_tensor {
        return Err(invalid(
            "tensor",
            request.tensor,
            format!(
                "a stage splits {} heads and {} feed-forward groups of {FFN_GROUP} units, so at \
                 most {max_tensor} chips per stage",
                config.shape.n_heads, unit_groups
            ),
        ));
    }
    Ok(())
}

fn explicit_stages(request: &PlanRequest, counts: &[u32]) -> Result<Vec<Span>, PlanError> {
    let n_layers = request.config.shape.n_layers;
    let total: u64 = counts.iter().map(|&c| u64::from(c)).sum();
    if counts.len() != request.pipeline as usize
        || total != u64::from(n_layers)
        || counts.contains(&0)
    {
        return Err(PlanError::Parallelism {
            key: "layers_per_stage",
            value: counts.len() as u32,
            reason: format!(
                "needs {} positive counts (one per stage) summing to the model's {n_layers} layers, \
                 got {counts:?}",
                request.pipeline
            ),
        });
    }
    let mut start = 0;
    Ok(counts
        .iter()
        .map(|&c| {
            let span = Span::new(start, start + c);
            start += c;
            span
        })
        .collect())
}

/// Layers spread as evenly as possible (earlier stages take the remainder).
fn even_stages(n_layers: u32, stages: u32) -> Vec<Span> {
    let mut start = 0;
    (0..stages)
        .map(|s| {
            let len = n_layers / stages + u32::from(s < n_layers % stages);
            let span = Span::new(start, start + len);
            start += len;
            span
        })
        .collect()
}

/// `count` items split into `parts` contiguous ranges of `granule`-sized groups, earlier parts
/// taking the remainder; the last range ends at `count`.
pub fn split_span(count: u32, parts: u32, granule: u32, part: u32) -> Span {
    let groups = count.div_ceil(granule);
    let start_group = part * (groups / parts) + part.min(groups % parts);
    let len = groups / parts + u32::from(part < groups % parts);
    Span::new(
        (start_group * granule).min(count),
        ((start_group + len) * granule).min(count),
    )
}

/// The shard of `(stage, rank)` holding `layers`.
pub fn shard_of(
    config: &ModelConfig,
    request_tensor: u32,
    last_stage: bool,
    first_stage: bool,
    rank: u32,
    layers: Span,
) -> Shard {
    let unit_granule = if config.precision.is_integer() {
        FFN_GROUP
    } else {
        1
    };
    Shard {
        embedding: first_stage && rank == 0,
        layers,
        heads: split_span(config.shape.n_heads, request_tensor, 1, rank),
        ffn_units: split_span(config.shape.hidden_dim, request_tensor, unit_granule, rank),
        vocab: if last_stage {
            split_span(config.shape.vocab_size, request_tensor, 1, rank)
        } else {
            Span::default()
        },
    }
}

/// The draft chip: the whole draft model, or the reason it does not fit.
fn draft_chip(
    request: &PlanRequest,
    config: ModelConfig,
) -> Result<Result<ChipPlan, Misfit>, PlanError> {
    let draft_request = PlanRequest {
        config,
        pipeline: 1,
        tensor: 1,
        draft: None,
        moe: None,
        layers_per_stage: None,
        ..request.clone()
    };
    let whole = Span::new(0, config.shape.n_layers);
    match stage_chips(&draft_request, 0, whole)? {
        Ok(mut chips) => Ok(Ok(chips.remove(0))),
        Err(misfit) => Ok(Err(Misfit {
            chip: request.pipeline * request.tensor,
            stage: request.pipeline,
            ..misfit
        })),
    }
}

/// An expert chip: one expert's feed-forward blocks of every layer, or the reason it does not fit.
fn expert_chip(request: &PlanRequest) -> Result<Result<ChipPlan, Misfit>, PlanError> {
    let config = &request.config;
    let layers = Span::new(0, config.shape.n_layers);
    let shard = Shard {
        embedding: false,
        layers,
        heads: Span::default(),
        ffn_units: Span::new(0, config.shape.hidden_dim),
        vocab: Span::default(),
    };
    let core_footprint = footprint(config, &shard, request.context_len)?;
    let footprint = Footprint {
        weights_bytes: core_footprint.weight_bytes,
        kv_cache_bytes: 0,
        activation_bytes: core_footprint.scratch_bytes,
    };
    let placement = match place(&footprint, request.memory, request.calibration) {
        Ok(placement) => placement,
        Err(MemoryError::OverBudget(over)) => {
            return Ok(Err(Misfit {
                chip: request.pipeline * request.tensor,
                stage: request.pipeline,
                rank: 0,
                layers,
                over,
            }))
        }
        Err(other) => return Err(PlanError::Memory(other)),
    };
    let mut counts = OpCounts::default();
    for layer in 0..config.shape.n_layers {
        let units = shard.ffn_units;
        counts += predict(config, &Op::FfnUnits { layer, units }, 0)?;
    }
    let timing = step_time(
        &counts,
        config.precision,
        &request.cpu,
        &placement,
        request.memory,
        request.calibration,
    )?;
    Ok(Ok(ChipPlan {
        stage: request.pipeline,
        rank: 0,
        shard,
        footprint,
        placement,
        token_time: timing.total,
    }))
}

/// The chips of one stage, or the first that does not fit.
fn stage_chips(
    request: &PlanRequest,
    stage: u32,
    layers: Span,
) -> Result<Result<Vec<ChipPlan>, Misfit>, PlanError> {
    let config = &request.config;
    let last = layers.end == config.shape.n_layers;
    let mut chips = Vec::with_capacity(request.tensor as usize);
    for rank in 0..request.tensor {
        let mut shard = shard_of(config, request.tensor, last, stage == 0, rank, layers);
        if request.moe.is_some() {
            // The feed-forward blocks live on the expert chips.
            shard.ffn_units = Span::default();
        }
        let core_footprint = footprint(config, &shard, request.context_len)?;
        let router_bytes = request.moe.map_or(0, |m| m.router_bytes(config));
        let footprint = Footprint {
            weights_bytes: core_footprint.weight_bytes + router_bytes,
            kv_cache_bytes: core_footprint.kv_bytes * u64::from(request.streams_per_replica),
            activation_bytes: core_footprint.scratch_bytes,
        };
        let placement = match place(&footprint, request.memory, request.calibration) {
            Ok(placement) => placement,
            Err(MemoryError::OverBudget(over)) => {
                return Ok(Err(Misfit {
                    chip: stage * request.tensor + rank,
                    stage,
                    rank,
                    layers,
                    over,
                }))
            }
            Err(other) => return Err(PlanError::Memory(other)),
        };
        let counts = token_counts(request, &shard, rank, request.context_len / 2)?;
        let timing = step_time(
            &counts,
            config.precision,
            &request.cpu,
            &placement,
            request.memory,
            request.calibration,
        )?;
        chips.push(ChipPlan {
            stage,
            rank,
            shard,
            footprint,
            placement,
            token_time: timing.total,
        });
    }
    Ok(Ok(chips))
}

/// Predicted operation counts of one token at `pos` on a chip holding `shard`.
fn token_counts(
    request: &PlanRequest,
    shard: &Shard,
    rank: u32,
    pos: u32,
) -> Result<OpCounts, PlanError> {
    let config = &request.config;
    let mut counts = OpCounts::default();
    if shard.embedding {
        counts += predict(config, &Op::Embed, pos)?;
    }
    for layer in shard.layers.start..shard.layers.end {
        counts += predict(
            config,
            &Op::AttentionHeads {
                layer,
                heads: shard.heads,
            },
            pos,
        )?;
        counts += predict(
            config,
            &Op::FfnUnits {
                layer,
                units: shard.ffn_units,
            },
            pos,
        )?;
        if rank == 0 {
            for block in [Block::Attention, Block::Ffn] {
                for _ in 1..request.tensor {
                    counts += predict(config, &Op::ReducePartials, pos)?;
                }
                counts += predict(config, &Op::AddPartial { layer, block }, pos)?;
            }
        }
    }
    if !shard.vocab.is_empty() {
        counts += predict(config, &Op::Classify { vocab: shard.vocab }, pos)?;
        if rank == 0 {
            counts += predict(config, &Op::Sample(request.sampler), pos)?;
        }
    }
    Ok(counts)
}

mod misfit;
#[cfg(test)]
mod tests;

use misfit::{explain, Misfit};
pub use misfit::{DoesNotFit, PlanError};
