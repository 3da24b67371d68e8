//! Partitioned execution: the pieces of the forward pass as the chips of a cluster run them.
//!
//! [`embed`] one token; [`attention_heads`] and [`ffn_units`] compute a shard of a layer's heads or
//! feed-forward units into partial sums; [`reduce_partials`] combines partial sums of different
//! shards; [`add_partial`] adds the combined sum to the residual stream (once); [`run_layers`]
//! runs whole layers; [`classify`] computes a slice of the logits. [`forward`] is just their
//! composition, so any partition computes exactly what the unsplit pass computes.
//!
//! Every function adds what it did to an [`OpCounts`]; [`crate::predict()`] gives the same counts in
//! closed form.

mod attend;
mod float;
mod int;
mod simd;

use crate::error::ExecError;
use crate::format::TensorKind;
use crate::model::Model;
use crate::ops::OpCounts;
use crate::vectors::{PartialMut, PartialRef, VecMut, VecRef};
use crate::workspace::{check_unit_alignment, Span, Workspace};

use simd::with_host_simd;

/// The two blocks of a layer whose shards produce partial sums.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Block {
    /// Attention, whose output projection is `wo`.
    Attention,
    /// Feed-forward, whose down projection is `w2`.
    Ffn,
}

impl Block {
    /// The projection whose outputs the block's partial sums are.
    pub fn projection(self) -> TensorKind {
        match self {
            Block::Attention => TensorKind::Wo,
            Block::Ffn => TensorKind::W2,
        }
    }
}

const Q16: &str = "Q16.16";
const F32: &str = "f32";

/// The representation vectors of `model` use.
fn representation(model: &Model) -> &'static str {
    if model.config().precision.is_integer() {
        Q16
    } else {
        F32
    }
}

fn check_len(what: &'static str, expected: usize, found: usize) -> Result<(), ExecError> {
    if expected == found {
        Ok(())
    } else {
        Err(ExecError::Length {
            what,
            expected,
            found,
        })
    }
}

fn wrong(model: &Model, what: &'static str) -> ExecError {
    ExecError::Representation {
        what,
        expected: representation(model),
    }
}

/// Checks that `ws` was made for `model`'s configuration, `layer` is held and `pos` fits.
fn check_workspace(model: &Model, ws: &Workspace, layer: u32, pos: u32) -> Result<(), ExecError> {
    if ws.config != *model.config() {
        return Err(ExecError::ConfigMismatch);
    }
    Span::new(layer, layer + 1).require_in(ws.shard.layers, "layer")?;
    if pos >= ws.context_len {
        return Err(ExecError::Position {
            pos,
            context_len: ws.context_len,
        });
    }
    Ok(())
}

/// Writes token `token`'s embedding into `out` (`dim` elements).
pub fn embed(
    model: &Model,
    token: u32,
    out: VecMut,
    counts: &mut OpCounts,
) -> Result<(), ExecError> {
    let config = model.config();
    if token >= config.shape.vocab_size {
        return Err(ExecError::Token {
            token,
            vocab_size: config.shape.vocab_size,
        });
    }
    check_len("hidden state", config.shape.dim as usize, out.len())?;
    match (config.precision.is_integer(), out) {
        (true, VecMut::Q16(out)) => int::embed(model, token, out, counts),
        (false, VecMut::F32(out)) => {
            float::embed(model, token, out, counts);
            Ok(())
        }
        _ => Err(wrong(model, "hidden state")),
    }
}

/// Query heads `heads` of `layer` for the token at `pos`, from the hidden state `x`: computes
/// and caches their keys and values (those of the key/value heads they use), attends, and adds
/// their share of the output projection to `partial` (`dim` elements).
///
/// Integer models: `partial` holds exact sums; shards may start from zero and be combined with
/// [`reduce_partials`] in any grouping. f32 models: `partial` holds running sums that the next
/// shard (in head order) continues; that chain equals the unsplit pass bit for bit.
#[allow(clippy::too_many_arguments)]
pub fn attention_heads(
    model: &Model,
    ws: &mut Workspace,
    layer: u32,
    heads: Span,
    pos: u32,
    x: VecRef,
    partial: PartialMut,
    counts: &mut OpCounts,
) -> Result<(), ExecError> {
    check_workspace(model, ws, layer, pos)?;
    let config = model.config();
    heads.check("heads", config.shape.n_heads)?;
    heads.require_in(ws.shard.heads, "heads")?;
    let dim = config.shape.dim as usize;
    check_len("hidden state", dim, x.len())?;
    check_len("partial sums", dim, partial.len())?;
    if heads.is_empty() {
        return Ok(());
    }
    let pools = ws.scratch.reborrow();
    match (x, partial) {
        (VecRef::Q16(x), PartialMut::Exact(p)) if config.precision.is_integer() => with_host_simd(
            #[inline(always)]
            || int::attention(model, &mut ws.kv, pools, layer, heads, pos, x, p, counts),
        ),
        (VecRef::F32(x), PartialMut::F32(p)) if !config.precision.is_integer() => {
            float::attention(model, &mut ws.kv, pools, layer, heads, pos, x, p, counts)
        }
        _ => Err(wrong(model, "hidden state and partial sums")),
    }
}

/// Feed-forward units `units` of `layer` from the hidden state `x`: adds their share of the
/// down projection to `partial`. Integer models need `units` aligned to
/// [`crate::FFN_GROUP`]; partial sums behave as in [`attention_heads`].
pub fn ffn_units(
    model: &Model,
    ws: &mut Workspace,
    layer: u32,
    units: Span,
    x: VecRef,
    partial: PartialMut,
    counts: &mut OpCounts,
) -> Result<(), ExecError> {
    check_workspace(model, ws, layer, 0)?;
    let config = model.config();
    units.check("feed-forward units", config.shape.hidden_dim)?;
    units.require_in(ws.shard.ffn_units, "feed-forward units")?;
    check_unit_alignment(config, units)?;
    let dim = config.shape.dim as usize;
    check_len("hidden state", dim, x.len())?;
    check_len("partial sums", dim, partial.len())?;
    if units.is_empty() {
        return Ok(());
    }
    let pools = ws.scratch.reborrow();
    match (x, partial) {
        (VecRef::Q16(x), PartialMut::Exact(p)) if config.precision.is_integer() => with_host_simd(
            #[inline(always)]
            || int::ffn(model, pools, layer, units, x, p, counts),
        ),
        (VecRef::F32(x), PartialMut::F32(p)) if !config.precision.is_integer() => {
            float::ffn(model, pools, layer, units, x, p, counts)
        }
        _ => Err(wrong(model, "hidden state and partial sums")),
    }
}

/// Adds partial sums `from` into `into` (the reduction between shards). Integer sums are exact,
/// so any order and grouping gives the same result.
pub fn reduce_partials(
    model: &Model,
    into: PartialMut,
    from: PartialRef,
    counts: &mut OpCounts,
) -> Result<(), ExecError> {
    let dim = model.config().shape.dim as usize;
    check_len("partial sums", dim, into.len())?;
    match (into, from) {
        (PartialMut::Exact(into), PartialRef::Exact(from)) => {
            check_len("partial sums", dim, from.len())?;
            for (a, &b) in into.iter_mut().zip(from) {
                *a = a
                    .checked_add(b)
                    .ok_or(ExecError::Overflow { stage: "reduction" })?;
            }
        }
        (PartialMut::F32(into), PartialRef::F32(from)) => {
            check_len("partial sums", dim, from.len())?;
            for (a, &b) in into.iter_mut().zip(from) {
                *a += b;
            }
        }
        _ => return Err(wrong(model, "partial sums")),
    }
    *counts += crate::counts::reduce(model.config());
    Ok(())
}

/// Adds the combined partial sums of `block` of `layer` to the residual stream `x` (once per
/// block, after every shard's contribution has been reduced into `partial`).
pub fn add_partial(
    model: &Model,
    layer: u32,
    block: Block,
    x: VecMut,
    partial: PartialRef,
    counts: &mut OpCounts,
) -> Result<(), ExecError> {
    let config = model.config();
    Span::new(layer, layer + 1).check("layer", config.shape.n_layers)?;
    let dim = config.shape.dim as usize;
    check_len("hidden state", dim, x.len())?;
    match (x, partial) {
        (VecMut::Q16(x), PartialRef::Exact(p)) if config.precision.is_integer() => {
            check_len("partial sums", dim, p.len())?;
            int::combine(model, layer, block, x, p, counts)
        }
        (VecMut::F32(x), PartialRef::F32(p)) if !config.precision.is_integer() => {
            check_len("partial sums", dim, p.len())?;
            float::combine(model, x, p, counts);
            Ok(())
        }
        _ => Err(wrong(model, "hidden state and partial sums")),
    }
}

/// Runs whole layers `layers` on the hidden state `x` at `pos` (the workspace's shard must hold
/// every head and unit of them).
pub fn run_layers(
    model: &Model,
    ws: &mut Workspace,
    layers: Span,
    pos: u32,
    mut x: VecMut,
    counts: &mut OpCounts,
) -> Result<(), ExecError> {
    let config = *model.config();
    layers.check("layers", config.shape.n_layers)?;
    layers.require_in(ws.shard.layers, "layers")?;
    let heads = Span::new(0, config.shape.n_heads);
    let units = Span::new(0, config.shape.hidden_dim);
    heads.require_in(ws.shard.heads, "heads")?;
    units.require_in(ws.shard.ffn_units, "feed-forward units")?;
    let dim = config.shape.dim as usize;
    for layer in layers.start..layers.end {
        for block in [Block::Attention, Block::Ffn] {
            // The partial-sum vector sits at the front of the scratch; the block carves the rest.
            let mut scratch = ws.scratch.reborrow();
            let mut partial = if config.precision.is_integer() {
                PartialMut::Exact(scratch.take_i64(dim)?)
            } else {
                PartialMut::F32(scratch.take_f32(dim)?)
            };
            partial.clear();
            let mut block_ws = Workspace {
                config: ws.config,
                shard: ws.shard,
                context_len: ws.context_len,
                kv: ws.kv.reborrow(),
                scratch,
            };
            match block {
                Block::Attention => attention_heads(
                    model,
                    &mut block_ws,
                    layer,
                    heads,
                    pos,
                    x.as_ref(),
                    partial.reborrow(),
                    counts,
                )?,
                Block::Ffn => ffn_units(
                    model,
                    &mut block_ws,
                    layer,
                    units,
                    x.as_ref(),
                    partial.reborrow(),
                    counts,
                )?,
            }
            add_partial(model, layer, block, x.reborrow(), partial.as_ref(), counts)?;
        }
    }
    Ok(())
}

/// Final RMSNorm of `x` and the classifier rows `vocab`, written to `logits` (`vocab.len()`
/// elements).
pub fn classify(
    model: &Model,
    ws: &mut Workspace,
    vocab: Span,
    x: VecRef,
    logits: VecMut,
    counts: &mut OpCounts,
) -> Result<(), ExecError> {
    if ws.config != *model.config() {
        return Err(ExecError::ConfigMismatch);
    }
    let config = model.config();
    vocab.check("vocabulary rows", config.shape.vocab_size)?;
    vocab.require_in(ws.shard.vocab, "vocabulary rows")?;
    check_len("hidden state", config.shape.dim as usize, x.len())?;
    check_len("logits", vocab.len() as usize, logits.len())?;
    if vocab.is_empty() {
        return Ok(());
    }
    let pools = ws.scratch.reborrow();
    match (x, logits) {
        (VecRef::Q16(x), VecMut::Q16(l)) if config.precision.is_integer() => with_host_simd(
            #[inline(always)]
            || int::classify(model, pools, vocab, x, l, counts),
        ),
        (VecRef::F32(x), VecMut::F32(l)) if !config.precision.is_integer() => {
            float::classify(model, pools, vocab, x, l, counts)
        }
        _ => Err(wrong(model, "hidden state and logits")),
    }
}

/// The whole forward pass for `token` at `pos`: embedding, every layer, every logit. `x`
/// (`dim` elements) is the hidden state scratch, `logits` gets `vocab_size` elements; the
/// workspace must hold the whole model ([`crate::Shard::whole`]).
pub fn forward(
    model: &Model,
    ws: &mut Workspace,
    token: u32,
    pos: u32,
    mut x: VecMut,
    logits: VecMut,
    counts: &mut OpCounts,
) -> Result<(), ExecError> {
    let config = *model.config();
    if !ws.shard.embedding {
        return Err(ExecError::NotInShard {
            what: "embedding",
            start: 0,
            end: config.shape.vocab_size,
        });
    }
    embed(model, token, x.reborrow(), counts)?;
    run_layers(
        model,
        ws,
        Span::new(0, config.shape.n_layers),
        pos,
        x.reborrow(),
        counts,
    )?;
    classify(
        model,
        ws,
        Span::new(0, config.shape.vocab_size),
        x.as_ref(),
        logits,
        counts,
    )
}
