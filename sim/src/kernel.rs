//! What a chip computes in one task, and its predicted operation counts.

use ruvsim_core::{
    predict, Block, ExecError, ModelConfig, Op, OpCounts, Phase, SamplerConfig, Span,
};
use serde::{Deserialize, Serialize};

/// One compute task's work, in the core's partitioned operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kernel {
    /// Mixture of experts, coordinator: every attention head of `layer` added to the residual
    /// stream, then the router over `experts` choosing `top_k` (`experts` is 0 for a fixed choice,
    /// which computes nothing).
    MoeAttention {
        /// The layer.
        layer: u32,
        /// Experts the router scores.
        experts: u32,
        /// Experts it chooses.
        top_k: u32,
    },
    /// Mixture of experts: expert `expert`'s feed-forward block of `layer`, into partial-sum slot
    /// `slot` of the token.
    Expert {
        /// The layer.
        layer: u32,
        /// The expert.
        expert: u32,
        /// Which of the token's chosen experts this is.
        slot: u32,
    },
    /// Mixture of experts, coordinator: the chosen experts' outputs, averaged, added to the
    /// residual stream.
    MoeCombine {
        /// The layer.
        layer: u32,
        /// Experts chosen.
        top_k: u32,
    },
    /// The whole model on one chip for one token: embed and every layer, then (with `sample`)
    /// the classifier and the token choice. A speculative draft chip runs this.
    Forward {
        /// Whether the classifier runs and a token is chosen.
        sample: bool,
    },
    /// One phase of partitioned execution, as the core runs it and the trace format records it
    /// (serialised as the phase itself).
    #[serde(untagged)]
    Phase(Phase),
}

impl Kernel {
    /// The core phase this kernel is, as traces record it. `None` for a speculative draft's whole
    /// forward pass, which firmware traces as its separate phases, and for the mixture-of-experts
    /// kernels, which the trace format has no phases for yet.
    pub fn phase(&self) -> Option<Phase> {
        match *self {
            Kernel::Phase(phase) => Some(phase),
            _ => None,
        }
    }

    /// The closed-form operation counts of this kernel for the token at `pos`.
    pub fn predict(
        &self,
        config: &ModelConfig,
        sampler: SamplerConfig,
        pos: u32,
    ) -> Result<OpCounts, ExecError> {
        Ok(match *self {
            Kernel::Phase(Phase::Embed) => predict(config, &Op::Embed, pos)?,
            Kernel::Phase(Phase::Layers(layers)) => predict(config, &Op::Layers { layers }, pos)?,
            Kernel::Phase(Phase::Attention { layer, heads }) => {
                predict(config, &Op::AttentionHeads { layer, heads }, pos)?
            }
            Kernel::Phase(Phase::Ffn { layer, units }) => {
                predict(config, &Op::FfnUnits { layer, units }, pos)?
            }
            Kernel::Phase(Phase::Combine {
                layer,
                block,
                ranks,
            }) => {
                let mut counts = predict(config, &Op::AddPartial { layer, block }, pos)?;
                let reduce = predict(config, &Op::ReducePartials, pos)?;
                for _ in 1..ranks {
                    counts += reduce;
                }
                counts
            }
            Kernel::Phase(Phase::Classify(vocab)) => predict(config, &Op::Classify { vocab }, pos)?,
            Kernel::Phase(Phase::Sample) => predict(config, &Op::Sample(sampler), pos)?,
            Kernel::MoeAttention {
                layer,
                experts,
                top_k,
            } => {
                let heads = Span::new(0, config.shape.n_heads);
                predict(config, &Op::AttentionHeads { layer, heads }, pos)?
                    + predict(
                        config,
                        &Op::AddPartial {
                            layer,
                            block: Block::Attention,
                        },
                        pos,
                    )?
                    + router_counts(config, experts, top_k)
            }
            Kernel::Expert { layer, .. } => {
                let units = Span::new(0, config.shape.hidden_dim);
                predict(config, &Op::FfnUnits { layer, units }, pos)?
            }
            Kernel::MoeCombine { layer, top_k } => {
                let add = predict(
                    config,
                    &Op::AddPartial {
                        layer,
                        block: Block::Ffn,
                    },
                    pos,
                )?;
                let mut counts = OpCounts::default();
                for _ in 0..top_k {
                    counts += add;
                }
                counts.elementwise += averaging_ops(config, top_k);
                counts
            }
            Kernel::Forward { sample } => {
                let layers = Span::new(0, config.shape.n_layers);
                let mut counts = predict(config, &Op::Embed, pos)?
                    + predict(config, &Op::Layers { layers }, pos)?;
                if sample {
                    let vocab = Span::new(0, config.shape.vocab_size);
                    counts += predict(config, &Op::Classify { vocab }, pos)?
                        + predict(config, &Op::Sample(sampler), pos)?;
                }
                counts
            }
        })
    }

    /// A short label for timelines.
    pub fn label(&self) -> String {
        match *self {
            Kernel::Phase(Phase::Embed) => "embed".into(),
            Kernel::Phase(Phase::Layers(l)) => format!("layers {}..{}", l.start, l.end),
            Kernel::Phase(Phase::Attention { layer, heads }) => {
                format!("L{layer} attention heads {}..{}", heads.start, heads.end)
            }
            Kernel::Phase(Phase::Ffn { layer, units }) => {
                format!("L{layer} ffn units {}..{}", units.start, units.end)
            }
            Kernel::Phase(Phase::Combine { layer, block, .. }) => {
                format!("L{layer} combine {block:?}")
            }
            Kernel::Phase(Phase::Classify(v)) => format!("classify {}..{}", v.start, v.end),
            Kernel::Phase(Phase::Sample) => "sample".into(),
            Kernel::MoeAttention { layer, .. } => format!("L{layer} attention + router"),
            Kernel::Expert { layer, expert, .. } => format!("L{layer} expert {expert}"),
            Kernel::MoeCombine { layer, .. } => format!("L{layer} combine experts"),
            Kernel::Forward { sample: true } => "draft token".into(),
            Kernel::Forward { sample: false } => "draft context".into(),
        }
    }
}

/// Operation counts of the integer router: quantise the hidden state to int8, one int8 dot
/// product of `dim` per expert, then `top_k` scans over the expert scores.
pub fn router_counts(config: &ModelConfig, experts: u32, top_k: u32) -> OpCounts {
    if experts == 0 {
        // A fixed choice computes nothing.
        return OpCounts::default();
    }
    let dim = u64::from(config.shape.dim);
    let experts = u64::from(experts);
    OpCounts {
        mac_i8: experts * dim,
        elementwise: dim + experts * u64::from(top_k),
        weight_bytes: experts * dim,
        ..OpCounts::default()
    }
}

/// Element-wise operations of averaging `top_k` expert outputs (one division per element and
/// expert; none for a single expert).
pub fn averaging_ops(config: &ModelConfig, top_k: u32) -> u64 {
    if top_k > 1 {
        u64::from(config.shape.dim) * u64::from(top_k)
    } else {
        0
    }
}
