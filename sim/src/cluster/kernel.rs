//! What a chip computes in one task, and its predicted operation counts.

use ruvsim_core::{predict, Block, ExecError, ModelConfig, Op, OpCounts, SamplerConfig, Span};
use serde::{Deserialize, Serialize};

/// One compute task's work, in the core's partitioned operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kernel {
    /// Embed the token (first stage's leader).
    Embed,
    /// Whole layers (a stage of width 1).
    Layers(Span),
    /// A shard of one layer's attention heads, into the rank's partial sums.
    Attention {
        /// The layer.
        layer: u32,
        /// The rank's heads.
        heads: Span,
    },
    /// A shard of one layer's feed-forward units, into the rank's partial sums.
    Ffn {
        /// The layer.
        layer: u32,
        /// The rank's units.
        units: Span,
    },
    /// Leader: reduce the other ranks' partial sums into its own and add them to the residual.
    Combine {
        /// The layer.
        layer: u32,
        /// Which block's partial sums.
        block: Block,
        /// Ranks in the tensor group.
        ranks: u32,
    },
    /// Final norm and a slice of the classifier rows.
    Classify(Span),
    /// Choose the next token (last stage's leader).
    Sample,
    /// The whole model on one chip for one token: embed and every layer, then (with `sample`)
    /// the classifier and the token choice. A speculative draft chip runs this.
    Forward {
        /// Whether the classifier runs and a token is chosen.
        sample: bool,
    },
}

impl Kernel {
    /// The closed-form operation counts of this kernel for the token at `pos`.
    pub fn predict(
        &self,
        config: &ModelConfig,
        sampler: SamplerConfig,
        pos: u32,
    ) -> Result<OpCounts, ExecError> {
        Ok(match *self {
            Kernel::Embed => predict(config, &Op::Embed, pos)?,
            Kernel::Layers(layers) => predict(config, &Op::Layers { layers }, pos)?,
            Kernel::Attention { layer, heads } => {
                predict(config, &Op::AttentionHeads { layer, heads }, pos)?
            }
            Kernel::Ffn { layer, units } => predict(config, &Op::FfnUnits { layer, units }, pos)?,
            Kernel::Combine {
                layer,
                block,
                ranks,
            } => {
                let mut counts = predict(config, &Op::AddPartial { layer, block }, pos)?;
                let reduce = predict(config, &Op::ReducePartials, pos)?;
                for _ in 1..ranks {
                    counts += reduce;
                }
                counts
            }
            Kernel::Classify(vocab) => predict(config, &Op::Classify { vocab }, pos)?,
            Kernel::Sample => predict(config, &Op::Sample(sampler), pos)?,
            Kernel::Forward { sample } => {
                let layers = Span::new(0, config.n_layers);
                let mut counts = predict(config, &Op::Embed, pos)?
                    + predict(config, &Op::Layers { layers }, pos)?;
                if sample {
                    let vocab = Span::new(0, config.vocab_size);
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
            Kernel::Embed => "embed".into(),
            Kernel::Layers(l) => format!("layers {}..{}", l.start, l.end),
            Kernel::Attention { layer, heads } => {
                format!("L{layer} attention heads {}..{}", heads.start, heads.end)
            }
            Kernel::Ffn { layer, units } => {
                format!("L{layer} ffn units {}..{}", units.start, units.end)
            }
            Kernel::Combine { layer, block, .. } => format!("L{layer} combine {block:?}"),
            Kernel::Classify(v) => format!("classify {}..{}", v.start, v.end),
            Kernel::Sample => "sample".into(),
            Kernel::Forward { sample: true } => "draft token".into(),
            Kernel::Forward { sample: false } => "draft context".into(),
        }
    }
}
