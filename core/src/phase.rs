//! The phases of partitioned execution: what one chip computes in one step of a token. The
//! simulator schedules them as tasks and the trace format records them, so both name them with
//! this one type.

use crate::exec::Block;
use crate::workspace::Span;

/// One phase of partitioned execution, as the engine runs it (`crate::exec`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Phase {
    /// [`crate::embed`].
    Embed,
    /// [`crate::run_layers`] over whole layers.
    Layers(Span),
    /// [`crate::attention_heads`]: query heads `heads` of `layer`.
    Attention {
        /// The layer.
        layer: u32,
        /// The heads.
        heads: Span,
    },
    /// [`crate::ffn_units`]: feed-forward units `units` of `layer`.
    Ffn {
        /// The layer.
        layer: u32,
        /// The units.
        units: Span,
    },
    /// A tensor group's leader reducing `ranks` partial sums of `block` and adding them to the
    /// residual ([`crate::reduce_partials`], [`crate::add_partial`]).
    Combine {
        /// The layer.
        layer: u32,
        /// The block.
        block: Block,
        /// Ranks in the group.
        ranks: u32,
    },
    /// [`crate::classify`]: final norm and classifier rows `vocab`.
    Classify(Span),
    /// Choosing the next token ([`crate::Sampler`]).
    Sample,
}
