//! The f32 forward pass, operation for operation as llama2.c's `run.c` computes it (index-order
//! sums, no fused multiply-add, `libm` for the transcendental functions), so it is deterministic.

use crate::counts;
use crate::error::ExecError;
use crate::format::TensorKind;
use crate::kernels::{matvec_f32, matvec_f32_accumulate, stored_f32};
use crate::model::Model;
use crate::ops::OpCounts;
use crate::pattern::attended_positions;
use crate::workspace::{Buffers, KvCache, Span};

/// Copies token `token`'s embedding row.
pub(super) fn embed(model: &Model, token: u32, out: &mut [f32], counts: &mut OpCounts) {
    let m = model.matrix(TensorKind::TokenEmbedding, 0);
    for (j, slot) in out.iter_mut().enumerate() {
        *slot = stored_f32(&m, token, j);
    }
    *counts += counts::embed(model.config());
}

/// llama2.c's RMSNorm: `o = w * (x / sqrt(mean(x^2) + 1e-5))`.
fn rmsnorm(x: &[f32], weights: impl Iterator<Item = f32>, out: &mut [f32]) {
    let mut ss = 0.0f32;
    for &v in x {
        ss += v * v;
    }
    ss /= x.len() as f32;
    ss += 1e-5;
    ss = 1.0 / libm::sqrtf(ss);
    for ((o, &v), w) in out.iter_mut().zip(x).zip(weights) {
        *o = w * (ss * v);
    }
}

fn block_input<'p>(
    model: &Model,
    pools: &mut Buffers<'p>,
    norm: TensorKind,
    layer: u32,
    x: &[f32],
    counts: &mut OpCounts,
) -> Result<&'p mut [f32], ExecError> {
    let normalised = pools.take_f32(model.config().shape.dim as usize)?;
    rmsnorm(x, model.norm_f32(norm, layer), normalised);
    *counts += counts::block_input(model.config());
    Ok(normalised)
}

/// Rotates consecutive pairs of every head in `values` by the position's angles.
fn rope(values: &mut [f32], head_size: usize, pos: u32) {
    for head in values.chunks_exact_mut(head_size) {
        for (pair, v) in head.chunks_exact_mut(2).enumerate() {
            let head_dim = (2 * pair) as f32;
            let freq = 1.0 / libm::powf(10000.0, head_dim / head_size as f32);
            let val = pos as f32 * freq;
            let (fcr, fci) = (libm::cosf(val), libm::sinf(val));
            let (v0, v1) = (v[0], v[1]);
            v[0] = v0 * fcr - v1 * fci;
            v[1] = v0 * fci + v1 * fcr;
        }
    }
}

fn softmax(x: &mut [f32]) {
    let mut max = x[0];
    for &v in &x[1..] {
        if v > max {
            max = v;
        }
    }
    let mut sum = 0.0f32;
    for v in x.iter_mut() {
        *v = libm::expf(*v - max);
        sum += *v;
    }
    for v in x.iter_mut() {
        *v /= sum;
    }
}

/// Query heads `heads` of `layer` at `pos`; adds their output projection to the running sums in
/// `partial`.
#[allow(clippy::too_many_arguments)]
pub(super) fn attention(
    model: &Model,
    kv: &mut KvCache,
    mut pools: Buffers,
    layer: u32,
    heads: Span,
    pos: u32,
    x: &[f32],
    partial: &mut [f32],
    counts: &mut OpCounts,
) -> Result<(), ExecError> {
    let config = model.config();
    let hs = config.shape.head_size();
    let head_size = hs as usize;
    let group = config.shape.kv_group();
    let kv_heads = Span::new(heads.start / group, heads.end.div_ceil(group));
    let (n_q, n_kv) = (
        heads.len() as usize * head_size,
        kv_heads.len() as usize * head_size,
    );

    let input = block_input(model, &mut pools, TensorKind::RmsAtt, layer, x, counts)?;
    let q = pools.take_f32(n_q)?;
    let k = pools.take_f32(n_kv)?;
    let v = pools.take_f32(n_kv)?;
    let rows = |span: Span| span.start * hs..span.end * hs;
    matvec_f32(
        &model.matrix(TensorKind::Wq, layer),
        rows(heads),
        input,
        q,
        counts,
    );
    matvec_f32(
        &model.matrix(TensorKind::Wk, layer),
        rows(kv_heads),
        input,
        k,
        counts,
    );
    matvec_f32(
        &model.matrix(TensorKind::Wv, layer),
        rows(kv_heads),
        input,
        v,
        counts,
    );
    rope(q, head_size, pos);
    rope(k, head_size, pos);
    *counts += counts::rope(config, u64::from(heads.len()), u64::from(kv_heads.len()));

    for (i, kv_head) in (kv_heads.start..kv_heads.end).enumerate() {
        let entry = kv.entry(layer, pos, kv_head);
        let range = entry * head_size..(entry + 1) * head_size;
        let source = i * head_size..(i + 1) * head_size;
        kv.keys_f32[range.clone()].copy_from_slice(&k[source.clone()]);
        kv.values_f32[range].copy_from_slice(&v[source]);
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
    let scores = pools.take_f32(n)?;
    let attended = pools.take_f32(n_q)?;
    let scale = libm::sqrtf(head_size as f32);
    for (i, head) in (heads.start..heads.end).enumerate() {
        let base = kv.head_entries(layer, head / group).0;
        let query = &q[i * head_size..(i + 1) * head_size];
        for (score, &offset) in scores.iter_mut().zip(offsets) {
            let entry = base + offset as usize;
            let key = &kv.keys_f32[entry * head_size..(entry + 1) * head_size];
            let mut dot = 0.0f32;
            for (&a, &b) in query.iter().zip(key) {
                dot += a * b;
            }
            *score = dot / scale;
        }
        softmax(scores);
        let out = &mut attended[i * head_size..(i + 1) * head_size];
        out.iter_mut().for_each(|o| *o = 0.0);
        for (&a, &offset) in scores.iter().zip(offsets) {
            let entry = base + offset as usize;
            let value = &kv.values_f32[entry * head_size..(entry + 1) * head_size];
            for (o, &v) in out.iter_mut().zip(value) {
                *o += a * v;
            }
        }
        *counts += counts::attend(config, n as u64);
    }
    let wo = model.matrix(TensorKind::Wo, layer);
    matvec_f32_accumulate(&wo, heads.start * hs, attended, partial, counts);
    Ok(())
}

/// Feed-forward units `units` of `layer`; adds their down projection to the running sums.
pub(super) fn ffn(
    model: &Model,
    mut pools: Buffers,
    layer: u32,
    units: Span,
    x: &[f32],
    partial: &mut [f32],
    counts: &mut OpCounts,
) -> Result<(), ExecError> {
    let input = block_input(model, &mut pools, TensorKind::RmsFfn, layer, x, counts)?;
    let n = units.len() as usize;
    let gate = pools.take_f32(n)?;
    let up = pools.take_f32(n)?;
    let rows = units.start..units.end;
    matvec_f32(
        &model.matrix(TensorKind::W1, layer),
        rows.clone(),
        input,
        gate,
        counts,
    );
    matvec_f32(
        &model.matrix(TensorKind::W3, layer),
        rows,
        input,
        up,
        counts,
    );
    for (g, &u) in gate.iter_mut().zip(up.iter()) {
        let mut val = *g;
        val *= 1.0 / (1.0 + libm::expf(-val));
        val *= u;
        *g = val;
    }
    *counts += counts::swiglu(n as u64);
    let w2 = model.matrix(TensorKind::W2, layer);
    matvec_f32_accumulate(&w2, units.start, gate, partial, counts);
    Ok(())
}

/// Adds the combined running sums to the residual stream.
pub(super) fn combine(model: &Model, x: &mut [f32], partial: &[f32], counts: &mut OpCounts) {
    for (slot, &p) in x.iter_mut().zip(partial) {
        *slot += p;
    }
    *counts += counts::combine(model.config());
}

/// Final RMSNorm and classifier rows `vocab`.
pub(super) fn classify(
    model: &Model,
    mut pools: Buffers,
    vocab: Span,
    x: &[f32],
    logits: &mut [f32],
    counts: &mut OpCounts,
) -> Result<(), ExecError> {
    let input = block_input(model, &mut pools, TensorKind::RmsFinal, 0, x, counts)?;
    matvec_f32(
        &model.classifier(),
        vocab.start..vocab.end,
        input,
        logits,
        counts,
    );
    Ok(())
}
