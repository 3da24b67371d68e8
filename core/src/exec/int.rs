//! The integer forward pass (int8, int4 and binary weights): Q16.16 activations, int8 quantised
//! inputs to every matrix product, integer RMSNorm, rotary embedding, softmax and SiLU.

use crate::config::Precision;
use crate::counts;
use crate::error::ExecError;
use crate::fixed::{
    quantize_i8, rotate_q16, round_shift_i128, round_shift_i64, silu_q16, sin_cos_q30, ACT_FRAC,
    LOG2E_Q30, RMS_EPS_Q32, STEP_FRAC,
};
use crate::format::TensorKind;
use crate::kernels::{
    build_planes, matvec_grouped, matvec_q16, requantize, stored_value, IntInput,
};
use crate::model::Model;
use crate::ops::OpCounts;
use crate::pattern::attended_positions;
use crate::workspace::{plane_words, Buffers, KvCache, Span, FFN_GROUP};

use super::attend::{CachedHead, VALUE_WEIGHT_FRAC};
use super::Block;

fn overflow(stage: &'static str) -> ExecError {
    ExecError::Overflow { stage }
}

/// Looks up token `token`'s embedding row as Q16.16.
pub(super) fn embed(
    model: &Model,
    token: u32,
    out: &mut [i32],
    counts: &mut OpCounts,
) -> Result<(), ExecError> {
    let m = model.matrix(TensorKind::TokenEmbedding, 0);
    let multiplier = i128::from(m.multiplier(token));
    let shift = m.scale_shift() as i32 - ACT_FRAC as i32;
    for (j, slot) in out.iter_mut().enumerate() {
        let scaled = i128::from(stored_value(&m, token, j)) * multiplier;
        let value = if shift >= 0 {
            round_shift_i128(scaled, shift as u32)
        } else {
            scaled << (-shift) as u32
        };
        *slot = i32::try_from(value).map_err(|_| overflow("embedding"))?;
    }
    *counts += counts::embed(model.config());
    Ok(())
}

/// Integer RMSNorm: `out = x * g / sqrt(mean(x^2) + eps)`, with the square root of the Q32 mean
/// square taken by `isqrt` and the division done once as an integer reciprocal.
#[inline(always)]
fn rmsnorm(
    x: &[i32],
    weights: impl Iterator<Item = i32>,
    out: &mut [i32],
) -> Result<(), ExecError> {
    let sum_squares: u128 = x
        .iter()
        .map(|&v| u128::from(v.unsigned_abs()) * u128::from(v.unsigned_abs()))
        .sum();
    // Mean of Q16 squares is Q32 and below 2^62; the root is Q16 and at least sqrt(eps).
    let mean = (sum_squares / x.len() as u128) as u64;
    let rms = (mean + RMS_EPS_Q32).isqrt();
    let inverse = (1i128 << 62) / i128::from(rms);
    for ((slot, &v), g) in out.iter_mut().zip(x).zip(weights) {
        let scaled = i128::from(i64::from(v) * i64::from(g)) * inverse;
        *slot = i32::try_from(round_shift_i128(scaled, 62)).map_err(|_| overflow("rmsnorm"))?;
    }
    Ok(())
}

/// The normalised input of a block (or of the classifier), quantised to int8: returns the input
/// and its step. Carves its buffers from `pools`.
#[inline(always)]
fn block_input<'p>(
    model: &Model,
    pools: &mut Buffers<'p>,
    norm: TensorKind,
    layer: u32,
    x: &[i32],
    counts: &mut OpCounts,
) -> Result<(IntInput<'p>, u32), ExecError> {
    let config = model.config();
    let dim = config.shape.dim as usize;
    let normalised = pools.take_i32(dim)?;
    rmsnorm(x, model.norm_q16(norm, layer), normalised)?;
    let q = pools.take_i8(dim)?;
    let step = quantize_i8(normalised, q);
    let planes = pools.take_u32(plane_words(config, dim))?;
    if config.precision == Precision::Binary {
        build_planes(q, planes);
    }
    *counts += counts::block_input(config);
    Ok((IntInput { q, planes }, step))
}

/// Quantises `x` in groups of `group` elements (one step each) and builds the XNOR planes of the
/// whole, for a grouped matrix product.
#[inline(always)]
fn grouped_input<'p>(
    model: &Model,
    pools: &mut Buffers<'p>,
    x: &[i32],
    group: usize,
    counts: &mut OpCounts,
) -> Result<(IntInput<'p>, &'p mut [u32]), ExecError> {
    let config = model.config();
    let q = pools.take_i8(x.len())?;
    let steps = pools.take_u32(x.len().div_ceil(group))?;
    for ((chunk, q_chunk), step) in x
        .chunks(group)
        .zip(q.chunks_mut(group))
        .zip(steps.iter_mut())
    {
        *step = quantize_i8(chunk, q_chunk);
    }
    let planes = pools.take_u32(plane_words(config, x.len()))?;
    if config.precision == Precision::Binary {
        build_planes(q, planes);
    }
    *counts += counts::quantize(config, x.len() as u64);
    Ok((IntInput { q, planes }, steps))
}

/// log2(e) / sqrt(head_size) in Q30: converts score differences to `exp2` arguments.
fn score_to_log2_q30(head_size: u32) -> u64 {
    let inv_sqrt_q30 = ((1u64 << 60) / u64::from(head_size)).isqrt();
    (LOG2E_Q30 * inv_sqrt_q30) >> 30
}

/// Query heads `heads` of `layer` at position `pos`: writes their keys and values to the cache,
/// attends, and adds their output projection to `partial` (exact, unscaled; see
/// [`crate::PartialMut::Exact`]).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn attention(
    model: &Model,
    kv: &mut KvCache,
    mut pools: Buffers,
    layer: u32,
    heads: Span,
    pos: u32,
    x: &[i32],
    partial: &mut [i64],
    counts: &mut OpCounts,
) -> Result<(), ExecError> {
    let config = model.config();
    let head_size = config.shape.head_size() as usize;
    let group = config.shape.kv_group();
    let kv_heads = Span::new(heads.start / group, heads.end.div_ceil(group));
    let (n_q, n_kv) = (
        heads.len() as usize * head_size,
        kv_heads.len() as usize * head_size,
    );
    let hs = config.shape.head_size();

    let (input, step) = block_input(model, &mut pools, TensorKind::RmsAtt, layer, x, counts)?;
    let q = pools.take_i32(n_q)?;
    let k = pools.take_i32(n_kv)?;
    let v = pools.take_i32(n_kv)?;
    let rows = |span: Span| span.start * hs..span.end * hs;
    let wq = model.matrix(TensorKind::Wq, layer);
    matvec_q16(
        &wq,
        rows(heads),
        &input,
        step,
        q,
        counts,
        "query projection",
    )?;
    let wk = model.matrix(TensorKind::Wk, layer);
    matvec_q16(
        &wk,
        rows(kv_heads),
        &input,
        step,
        k,
        counts,
        "key projection",
    )?;
    let wv = model.matrix(TensorKind::Wv, layer);
    matvec_q16(
        &wv,
        rows(kv_heads),
        &input,
        step,
        v,
        counts,
        "value projection",
    )?;

    // Rotary embedding: sine and cosine of each frequency pair at this position.
    let rope = pools.take_i32(head_size)?;
    for (pair, sc) in rope.chunks_exact_mut(2).enumerate() {
        let (s, c) = sin_cos_q30(model.rope_phase(pair as u32).wrapping_mul(u64::from(pos)));
        sc[0] = s;
        sc[1] = c;
    }
    for head in q
        .chunks_exact_mut(head_size)
        .chain(k.chunks_exact_mut(head_size))
    {
        for (pair, sc) in head.chunks_exact_mut(2).zip(rope.chunks_exact(2)) {
            let (a, b) = rotate_q16(pair[0], pair[1], sc[0], sc[1]);
            pair[0] = i32::try_from(a).map_err(|_| overflow("rotary embedding"))?;
            pair[1] = i32::try_from(b).map_err(|_| overflow("rotary embedding"))?;
        }
    }
    *counts += counts::rope(config, u64::from(heads.len()), u64::from(kv_heads.len()));

    // Cache this position's keys and values, int8 with one step per head.
    for (i, kv_head) in (kv_heads.start..kv_heads.end).enumerate() {
        let entry = kv.entry(layer, pos, kv_head);
        let range = entry * head_size..(entry + 1) * head_size;
        let source = i * head_size..(i + 1) * head_size;
        kv.key_steps[entry] = quantize_i8(&k[source.clone()], &mut kv.keys_i8[range.clone()]);
        kv.value_steps[entry] = quantize_i8(&v[source], &mut kv.values_i8[range]);
    }
    *counts += counts::kv_write(config, u64::from(kv_heads.len()));

    // Each attended position as its cache offset from a (layer, key/value head)'s first entry,
    // the same for every head.
    let offsets = pools.take_u32(pos as usize + 1)?;
    let mut n = 0;
    for t in attended_positions(&config.attention, pos) {
        offsets[n] = (kv.slot(t) * kv.kv_heads.len() as usize) as u32;
        n += 1;
    }
    let offsets = &offsets[..n];

    let q8 = pools.take_i8(n_q)?;
    let scores = pools.take_i64(n)?;
    let out = pools.take_i32(head_size)?;
    let attended = pools.take_i32(n_q)?;
    let to_log2 = score_to_log2_q30(hs);
    let out_shift = VALUE_WEIGHT_FRAC + STEP_FRAC - ACT_FRAC;
    for kv_head in kv_heads.start..kv_heads.end {
        let cached = CachedHead::new(kv, layer, kv_head, offsets);
        let members = heads.start.max(kv_head * group)..heads.end.min((kv_head + 1) * group);
        for head in members {
            let i = (head - heads.start) as usize;
            let slice = i * head_size..(i + 1) * head_size;
            let q_step = quantize_i8(&q[slice.clone()], &mut q8[slice.clone()]);
            let max = cached.scores(&q8[slice.clone()], scores);
            if cached.max_step > 0 {
                cached.value_weights(scores, max, u128::from(u64::from(q_step) * to_log2));
                cached.weighted_values(scores, out);
            } else {
                out.iter_mut().for_each(|o| *o = 0);
            }
            for (slot, &o) in attended[slice].iter_mut().zip(out.iter()) {
                let value = round_shift_i64(i64::from(o) * i64::from(cached.max_step), out_shift);
                *slot = i32::try_from(value).map_err(|_| overflow("attention output"))?;
            }
            *counts += counts::attend(config, n as u64);
        }
    }

    let (output, steps) = grouped_input(model, &mut pools, attended, head_size, counts)?;
    let wo = model.matrix(TensorKind::Wo, layer);
    matvec_grouped(
        &wo,
        heads.start * hs,
        &output,
        head_size,
        steps,
        partial,
        counts,
    )
}

/// Feed-forward units `units` of `layer`: SwiGLU, then their down projection added to `partial`.
#[inline(always)]
pub(super) fn ffn(
    model: &Model,
    mut pools: Buffers,
    layer: u32,
    units: Span,
    x: &[i32],
    partial: &mut [i64],
    counts: &mut OpCounts,
) -> Result<(), ExecError> {
    let (input, step) = block_input(model, &mut pools, TensorKind::RmsFfn, layer, x, counts)?;
    let n = units.len() as usize;
    let gate = pools.take_i32(n)?;
    let up = pools.take_i32(n)?;
    let w1 = model.matrix(TensorKind::W1, layer);
    matvec_q16(
        &w1,
        units.start..units.end,
        &input,
        step,
        gate,
        counts,
        "gate projection",
    )?;
    let w3 = model.matrix(TensorKind::W3, layer);
    matvec_q16(
        &w3,
        units.start..units.end,
        &input,
        step,
        up,
        counts,
        "up projection",
    )?;
    for (g, &u) in gate.iter_mut().zip(up.iter()) {
        let product = round_shift_i64(i64::from(silu_q16(*g)) * i64::from(u), ACT_FRAC);
        *g = i32::try_from(product).map_err(|_| overflow("SwiGLU"))?;
    }
    *counts += counts::swiglu(n as u64);
    let (hidden, steps) = grouped_input(model, &mut pools, gate, FFN_GROUP as usize, counts)?;
    let w2 = model.matrix(TensorKind::W2, layer);
    matvec_grouped(
        &w2,
        units.start,
        &hidden,
        FFN_GROUP as usize,
        steps,
        partial,
        counts,
    )
}

/// Adds a combined partial sum, scaled by the projection's row scales, to the residual stream.
pub(super) fn combine(
    model: &Model,
    layer: u32,
    block: Block,
    x: &mut [i32],
    partial: &[i64],
    counts: &mut OpCounts,
) -> Result<(), ExecError> {
    let m = model.matrix(block.projection(), layer);
    for (row, (slot, &sum)) in x.iter_mut().zip(partial).enumerate() {
        let delta = requantize(sum, m.multiplier(row as u32), m.scale_shift(), "residual")?;
        *slot = slot.checked_add(delta).ok_or(overflow("residual"))?;
    }
    *counts += counts::combine(model.config());
    Ok(())
}

/// Final RMSNorm and classifier rows `vocab`: Q16.16 logits.
#[inline(always)]
pub(super) fn classify(
    model: &Model,
    mut pools: Buffers,
    vocab: Span,
    x: &[i32],
    logits: &mut [i32],
    counts: &mut OpCounts,
) -> Result<(), ExecError> {
    let (input, step) = block_input(model, &mut pools, TensorKind::RmsFinal, 0, x, counts)?;
    let m = model.classifier();
    matvec_q16(
        &m,
        vocab.start..vocab.end,
        &input,
        step,
        logits,
        counts,
        "classifier",
    )
}
