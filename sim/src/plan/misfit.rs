//! When a plan does not fit: the errors that say which chip, by how many bytes, and the changes
//! of one setting (more stages, a wider tensor group, a lower precision, external memory) that
//! would make it fit.

use ruvsim_core::{ModelConfig, Precision, Span, FFN_GROUP};
use thiserror::Error;

use super::{try_plan, PlanRequest};
use ruvsim_hw::chip::ChipError;
use ruvsim_hw::memory::{BudgetExceeded, MemoryError, MemorySetup};

/// Why no plan could be made.
#[derive(Debug, Error)]
pub enum PlanError {
    /// The parallelism does not use exactly the topology's chips.
    #[error(
        "the topology has {chips} chips but parallelism uses {needed} ((pipeline {pipeline} x \
         tensor {tensor}{}{}) x replicas {replicas}{}); make them equal",
        if *.draft { " + 1 draft chip" } else { "" },
        if *.experts > 0 { format!(" + {experts} expert chips") } else { String::new() },
        if *.spares > 0 { format!(" + {spares} spares") } else { String::new() }
    )]
    ChipCount {
        /// Chips in the topology.
        chips: u32,
        /// Chips the parallelism needs.
        needed: u64,
        /// Pipeline stages.
        pipeline: u32,
        /// Tensor width.
        tensor: u32,
        /// Replicas.
        replicas: u32,
        /// Whether each replica has a draft chip.
        draft: bool,
        /// Expert chips per replica.
        experts: u32,
        /// Spare chips.
        spares: u32,
    },
    /// A parallelism setting is impossible for the model.
    #[error("parallelism.{key} = {value}: {reason}")]
    Parallelism {
        /// The key.
        key: &'static str,
        /// Its value.
        value: u32,
        /// What would be valid.
        reason: String,
    },
    /// Some chip cannot hold its part of the model.
    #[error(transparent)]
    DoesNotFit(Box<DoesNotFit>),
    /// The memory or CPU setup is invalid for the variant.
    #[error(transparent)]
    Memory(MemoryError),
    /// A compute time could not be priced.
    #[error(transparent)]
    Chip(#[from] ChipError),
    /// The core rejected a shard or operation.
    #[error("core: {0}")]
    Core(#[from] ruvsim_core::ExecError),
}

/// A chip that cannot hold its part of the model, with the changes that would fit.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "the model does not fit: chip {chip} (stage {stage}, rank {rank}, layers {layers}) needs \
     {needed} bytes for its {item} but at most {budget} bytes are available in {region}, \
     {over} bytes over.{}",
    suggestions_text(.suggestions)
)]
pub struct DoesNotFit {
    /// Chip id within the replica.
    pub chip: u32,
    /// Its stage.
    pub stage: u32,
    /// Its rank.
    pub rank: u32,
    /// Its layers, as `a..b`.
    pub layers: String,
    /// What did not fit (weights, KV cache, activations).
    pub item: String,
    /// The region with the most room.
    pub region: String,
    /// Bytes needed.
    pub needed: u64,
    /// Bytes available.
    pub budget: u64,
    /// Bytes over.
    pub over: u64,
    /// Changes that would fit.
    pub suggestions: Vec<String>,
}

fn suggestions_text(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        " No change of pipeline depth, tensor width, precision or PSRAM makes it fit.".into()
    } else {
        format!(" What would fit: {}.", suggestions.join("; or "))
    }
}

/// A chip that did not fit, before suggestions are added.
pub(super) struct Misfit {
    /// The chip.
    pub chip: u32,
    /// Its pipeline stage.
    pub stage: u32,
    /// Its rank in the stage's tensor group.
    pub rank: u32,
    /// The layers it holds.
    pub layers: Span,
    /// What exceeds its budget, and by how much.
    pub over: BudgetExceeded,
}

/// Turns a misfit into an error with the changes that would fit.
pub(super) fn explain(request: &PlanRequest, misfit: Misfit) -> PlanError {
    PlanError::DoesNotFit(Box::new(DoesNotFit {
        chip: misfit.chip,
        stage: misfit.stage,
        rank: misfit.rank,
        layers: if misfit.stage == request.pipeline {
            format!(
                "{}..{} of the speculative draft",
                misfit.layers.start, misfit.layers.end
            )
        } else {
            format!("{}..{}", misfit.layers.start, misfit.layers.end)
        },
        item: misfit.over.item.name().to_string(),
        region: misfit.over.region.name().to_string(),
        needed: misfit.over.needed,
        budget: misfit.over.budget,
        over: misfit.over.over,
        suggestions: suggestions(request),
    }))
}

fn fits(request: &PlanRequest) -> bool {
    matches!(try_plan(request), Ok(Ok(_)))
}

/// Changes of one setting that make the plan fit, cheapest first.
fn suggestions(request: &PlanRequest) -> Vec<String> {
    let mut found = Vec::new();
    let chips_per_replica = |p: u32, t: u32| p * t;
    if let Some(p) = (request.pipeline + 1..=request.config.shape.n_layers).find(|&p| {
        fits(&PlanRequest {
            pipeline: p,
            layers_per_stage: None,
            ..request.clone()
        })
    }) {
        found.push(format!(
            "pipeline = {p} ({} chips per replica)",
            chips_per_replica(p, request.tensor)
        ));
    }
    let max_tensor = request
        .config
        .shape
        .n_heads
        .min(request.config.shape.hidden_dim.div_ceil(FFN_GROUP));
    if let Some(t) = (request.tensor + 1..=max_tensor).find(|&t| {
        fits(&PlanRequest {
            tensor: t,
            ..request.clone()
        })
    }) {
        found.push(format!(
            "tensor = {t} ({} chips per replica)",
            chips_per_replica(request.pipeline, t)
        ));
    }
    let lower = match request.config.precision {
        Precision::F32 => &[Precision::Int8, Precision::Int4, Precision::Binary][..],
        Precision::Int8 => &[Precision::Int4, Precision::Binary][..],
        Precision::Int4 => &[Precision::Binary][..],
        Precision::Binary => &[][..],
    };
    if let Some(&precision) = lower.iter().find(|&&precision| {
        fits(&PlanRequest {
            config: ModelConfig {
                precision,
                ..request.config
            },
            ..request.clone()
        })
    }) {
        found.push(format!("precision = \"{}\"", precision.name()));
    }
    if let Some(psram) = request.calibration.memory.psram {
        let mut bytes = 1u64 << 20;
        while bytes <= psram.max_bytes {
            if bytes > request.memory.psram_bytes {
                let memory = MemorySetup {
                    psram_bytes: bytes,
                    ..request.memory.clone()
                };
                if fits(&PlanRequest {
                    memory: &memory,
                    ..request.clone()
                }) {
                    found.push(format!(
                        "{} MiB of PSRAM per chip (cluster.memory.psram_bytes = {bytes}; weights then \
                         stream from PSRAM every token)",
                        bytes >> 20
                    ));
                    break;
                }
            }
            bytes *= 2;
        }
    }
    found
}
