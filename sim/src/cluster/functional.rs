//! Functional fidelity: the chips really run the core on the model's weights.
//!
//! Each chip keeps, per stream it serves, a workspace with the key/value cache of its shard. The
//! values a token carries between chips (hidden state, partial sums of each rank, logits) live in
//! a *flight*: one per token in flight, so tokens of a pipelined prompt never share buffers.

use ruvsim_core::Phase;
use ruvsim_core::{
    add_partial, attention_heads, classify, embed, ffn_units, reduce_partials, run_layers,
    ExecError, Model, OpCounts, OwnedWorkspace, Partial, Sampler, SamplerConfig, Span, Vector,
};

use super::SimError;
use crate::kernel::Kernel;
use crate::plan::Plan;

/// The values one token carries through the cluster.
struct Flight {
    hidden: Vector,
    partials: Vec<Partial>,
    logits: Vector,
    token: u32,
    /// Mixture of experts: the experts chosen for the current layer.
    experts: Vec<u32>,
}

/// Mixture-of-experts weights: one model per expert (only its feed-forward blocks are used) and
/// the router's int8 weights, `[layer][expert][dim]`.
pub struct ExpertModels<'m> {
    /// The experts.
    pub models: Vec<Model<'m>>,
    /// The router.
    pub router: Vec<i8>,
    /// A fixed choice instead of the router: always this expert (and the next ones for top-k).
    pub fixed: Option<u32>,
}

/// The real computation of every chip of a cluster.
pub struct Functional<'m> {
    model: Model<'m>,
    tensor: u32,
    chips_per_replica: u32,
    streams_per_replica: u32,
    /// Per (replica, stream, local chip): the chip's workspace for that stream.
    workspaces: Vec<OwnedWorkspace>,
    flights: Vec<Option<Flight>>,
    free_flights: Vec<u32>,
    samplers: Vec<Option<Sampler>>,
    experts: Option<(ExpertModels<'m>, Vec<OwnedWorkspace>)>,
    /// Partial-sum slots per flight (tensor ranks, or chosen experts).
    slots: u32,
}

impl<'m> Functional<'m> {
    /// Workspaces for every chip and stream of `plan`.
    pub fn new(model: Model<'m>, plan: &Plan) -> Result<Functional<'m>, ExecError> {
        let config = *model.config();
        let streams = plan.replicas * plan.streams_per_replica;
        let mut workspaces = Vec::new();
        for _stream in 0..streams {
            for chip in &plan.chips {
                workspaces.push(OwnedWorkspace::new(&config, &chip.shard, plan.context_len)?);
            }
        }
        Ok(Functional {
            model,
            tensor: plan.tensor,
            chips_per_replica: plan.chips_per_replica(),
            streams_per_replica: plan.streams_per_replica,
            workspaces,
            flights: Vec::new(),
            free_flights: Vec::new(),
            samplers: (0..streams).map(|_| None).collect(),
            experts: None,
            slots: plan.tensor,
        })
    }

    /// Adds the experts of a mixture-of-experts plan (`plan.moe` must be set).
    pub fn with_experts(
        mut self,
        experts: ExpertModels<'m>,
        plan: &Plan,
    ) -> Result<Functional<'m>, SimError> {
        let moe = plan.moe.as_ref().ok_or_else(|| {
            SimError::Internal("experts without a mixture-of-experts plan".into())
        })?;
        let config = *self.model.config();
        let workspaces = experts
            .models
            .iter()
            .map(|_| OwnedWorkspace::new(&config, &moe.chip.shard, plan.context_len))
            .collect::<Result<Vec<_>, _>>()?;
        self.slots = moe.request.top_k;
        self.experts = Some((experts, workspaces));
        Ok(self)
    }

    /// Chooses the experts of `flight`'s current layer: the router's `top_k` highest int8 scores of
    /// the hidden state (ties: the lower expert), or the fixed choice. Adds the router's work.
    fn route(&mut self, flight: u32, layer: u32, counts: &mut OpCounts) -> Result<(), SimError> {
        let config = *self.model.config();
        let dim = config.shape.dim as usize;
        let top_k = self.slots;
        let Some((experts, _)) = &self.experts else {
            return Err(SimError::Internal("routing without experts".into()));
        };
        let count = experts.models.len();
        let f = self.flights[flight as usize]
            .as_mut()
            .ok_or_else(|| SimError::Internal(format!("token flight {flight} is not in flight")))?;
        if let Some(first) = experts.fixed {
            f.experts = (0..top_k).map(|i| (first + i) % count as u32).collect();
            return Ok(());
        }
        let q16: Vec<i32> = match &f.hidden {
            Vector::Q16(v) => v.clone(),
            // f32 hidden states go to Q16.16 with a fixed rounding, then the same integer path.
            Vector::F32(v) => v.iter().map(|&x| (x * 65536.0).round() as i32).collect(),
        };
        let mut q = vec![0i8; dim];
        ruvsim_core::fixed::quantize_i8(&q16, &mut q);
        let rows =
            &experts.router[layer as usize * count * dim..(layer as usize + 1) * count * dim];
        let mut scores: Vec<(i32, u32)> = rows
            .chunks_exact(dim)
            .enumerate()
            .map(|(e, w)| {
                let dot: i32 = w
                    .iter()
                    .zip(&q)
                    .map(|(&a, &b)| i32::from(a) * i32::from(b))
                    .sum();
                (dot, e as u32)
            })
            .collect();
        scores.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let chosen: Vec<u32> = scores
            .iter()
            .take(top_k as usize)
            .map(|&(_, e)| e)
            .collect();
        *counts += crate::kernel::router_counts(&config, count as u32, top_k);
        f.experts = chosen;
        Ok(())
    }

    /// The experts the router chose for `flight`'s current layer.
    pub fn chosen_experts(&self, flight: u32) -> Vec<u32> {
        self.flights
            .get(flight as usize)
            .and_then(Option::as_ref)
            .map_or_else(Vec::new, |f| f.experts.clone())
    }

    /// Starts a request on `stream`: a fresh sampler (the key/value cache is simply overwritten
    /// position by position).
    pub fn start_request(&mut self, stream: u32, sampler: SamplerConfig, seed: u64) {
        self.samplers[stream as usize] = Some(Sampler::new(sampler, seed));
    }

    /// A new flight carrying input token `token`.
    pub fn new_flight(&mut self, token: u32) -> u32 {
        let config = self.model.config();
        let precision = config.precision;
        let flight = Flight {
            hidden: Vector::zeros(precision, config.shape.dim as usize),
            partials: (0..self.slots)
                .map(|_| Partial::zeros(precision, config.shape.dim as usize))
                .collect(),
            logits: Vector::zeros(precision, config.shape.vocab_size as usize),
            token,
            experts: Vec::new(),
        };
        match self.free_flights.pop() {
            Some(id) => {
                self.flights[id as usize] = Some(flight);
                id
            }
            None => {
                self.flights.push(Some(flight));
                (self.flights.len() - 1) as u32
            }
        }
    }

    /// Releases a flight.
    pub fn end_flight(&mut self, flight: u32) {
        self.flights[flight as usize] = None;
        self.free_flights.push(flight);
    }

    /// Runs `kernel` of chip `chip` (global id) for `stream`'s token at `pos` in `flight`;
    /// returns the operation counts, and the chosen token for [`Kernel::Phase(Phase::Sample)`].
    pub fn run(
        &mut self,
        chip: u32,
        stream: u32,
        flight: u32,
        kernel: &Kernel,
        pos: u32,
    ) -> Result<(OpCounts, Option<u32>), SimError> {
        let local = chip % self.chips_per_replica;
        let rank = (local % self.tensor) as usize;
        let stream_in_replica = stream % self.streams_per_replica;
        let replica = chip / self.chips_per_replica;
        let index = ((replica * self.streams_per_replica + stream_in_replica)
            * self.chips_per_replica
            + local) as usize;
        let model = &self.model;
        let Some(f) = self
            .flights
            .get_mut(flight as usize)
            .and_then(Option::as_mut)
        else {
            return Err(SimError::Internal(format!(
                "token flight {flight} is not in flight"
            )));
        };
        let mut counts = OpCounts::default();
        let mut sampled = None;
        match *kernel {
            Kernel::Phase(Phase::Embed) => embed(model, f.token, f.hidden.as_mut(), &mut counts)?,
            Kernel::Phase(Phase::Layers(layers)) => {
                let mut ws = self.workspaces[index].workspace()?;
                run_layers(model, &mut ws, layers, pos, f.hidden.as_mut(), &mut counts)?;
            }
            Kernel::Phase(Phase::Attention { layer, heads }) => {
                let mut ws = self.workspaces[index].workspace()?;
                let mut partial = f.partials[rank].as_mut();
                partial.clear();
                attention_heads(
                    model,
                    &mut ws,
                    layer,
                    heads,
                    pos,
                    f.hidden.as_ref(),
                    partial,
                    &mut counts,
                )?;
            }
            Kernel::Phase(Phase::Ffn { layer, units }) => {
                let mut ws = self.workspaces[index].workspace()?;
                let mut partial = f.partials[rank].as_mut();
                partial.clear();
                ffn_units(
                    model,
                    &mut ws,
                    layer,
                    units,
                    f.hidden.as_ref(),
                    partial,
                    &mut counts,
                )?;
            }
            Kernel::Phase(Phase::Combine { layer, block, .. }) => {
                let (leader, others) = f.partials.split_at_mut(1);
                for other in others.iter() {
                    reduce_partials(model, leader[0].as_mut(), other.as_ref(), &mut counts)?;
                }
                add_partial(
                    model,
                    layer,
                    block,
                    f.hidden.as_mut(),
                    leader[0].as_ref(),
                    &mut counts,
                )?;
            }
            Kernel::Phase(Phase::Classify(vocab)) => {
                let mut ws = self.workspaces[index].workspace()?;
                let slice = slice_mut(&mut f.logits, vocab);
                classify(model, &mut ws, vocab, f.hidden.as_ref(), slice, &mut counts)?;
            }
            Kernel::MoeAttention { layer, .. } => {
                let config = *model.config();
                let mut ws = self.workspaces[index].workspace()?;
                let mut partial = f.partials[0].as_mut();
                partial.clear();
                let heads = Span::new(0, config.shape.n_heads);
                attention_heads(
                    model,
                    &mut ws,
                    layer,
                    heads,
                    pos,
                    f.hidden.as_ref(),
                    partial,
                    &mut counts,
                )?;
                let block = ruvsim_core::Block::Attention;
                add_partial(
                    model,
                    layer,
                    block,
                    f.hidden.as_mut(),
                    f.partials[0].as_ref(),
                    &mut counts,
                )?;
                self.route(flight, layer, &mut counts)?;
            }
            Kernel::Expert {
                layer,
                expert,
                slot,
            } => {
                let config = *model.config();
                let (experts, workspaces) = self
                    .experts
                    .as_mut()
                    .ok_or_else(|| SimError::Internal("expert kernel without experts".into()))?;
                let expert_model = &experts.models[expert as usize];
                let mut ws = workspaces[expert as usize].workspace()?;
                let mut partial = f.partials[slot as usize].as_mut();
                partial.clear();
                let units = Span::new(0, config.shape.hidden_dim);
                ffn_units(
                    expert_model,
                    &mut ws,
                    layer,
                    units,
                    f.hidden.as_ref(),
                    partial,
                    &mut counts,
                )?;
            }
            Kernel::MoeCombine { layer, top_k } => {
                let config = *model.config();
                let (experts, _) = self
                    .experts
                    .as_ref()
                    .ok_or_else(|| SimError::Internal("combine without experts".into()))?;
                for (slot, &expert) in f.experts.iter().enumerate() {
                    let partial = &mut f.partials[slot];
                    average(partial, top_k);
                    add_partial(
                        &experts.models[expert as usize],
                        layer,
                        ruvsim_core::Block::Ffn,
                        f.hidden.as_mut(),
                        partial.as_ref(),
                        &mut counts,
                    )?;
                }
                counts.elementwise += crate::kernel::averaging_ops(&config, top_k);
            }
            Kernel::Forward { sample } => {
                let config = *model.config();
                let mut ws = self.workspaces[index].workspace()?;
                embed(model, f.token, f.hidden.as_mut(), &mut counts)?;
                let layers = Span::new(0, config.shape.n_layers);
                run_layers(model, &mut ws, layers, pos, f.hidden.as_mut(), &mut counts)?;
                if sample {
                    let vocab = Span::new(0, config.shape.vocab_size);
                    classify(
                        model,
                        &mut ws,
                        vocab,
                        f.hidden.as_ref(),
                        f.logits.as_mut(),
                        &mut counts,
                    )?;
                    sampled = Some(choose(&mut self.samplers, stream, &f.logits, &mut counts)?);
                }
            }
            Kernel::Phase(Phase::Sample) => {
                sampled = Some(choose(&mut self.samplers, stream, &f.logits, &mut counts)?);
            }
        }
        Ok((counts, sampled))
    }
}

/// Chooses `stream`'s next token from `logits` with the sampler of its current request.
fn choose(
    samplers: &mut [Option<Sampler>],
    stream: u32,
    logits: &Vector,
    counts: &mut OpCounts,
) -> Result<u32, SimError> {
    let sampler = samplers[stream as usize].as_mut().ok_or_else(|| {
        SimError::Internal(format!("stream {stream} chooses a token without a request"))
    })?;
    Ok(sampler
        .sample(logits.as_ref(), counts)
        .map_err(ExecError::from)?)
}

/// The mutable view of `vocab` rows of a logits vector.
fn slice_mut(logits: &mut Vector, vocab: Span) -> ruvsim_core::VecMut<'_> {
    let range = vocab.start as usize..vocab.end as usize;
    match logits {
        Vector::Q16(v) => ruvsim_core::VecMut::Q16(&mut v[range]),
        Vector::F32(v) => ruvsim_core::VecMut::F32(&mut v[range]),
    }
}

/// Divides a partial sum by `k` (the equal weight of `k` chosen experts), rounding integer sums
/// to the nearest, ties away from zero.
fn average(partial: &mut Partial, k: u32) {
    if k <= 1 {
        return;
    }
    match partial {
        Partial::Exact(values) => {
            let k = i64::from(k);
            for v in values.iter_mut() {
                let half = if *v >= 0 { k / 2 } else { -(k / 2) };
                *v = (*v + half) / k;
            }
        }
        Partial::F32(values) => {
            let inverse = 1.0 / k as f32;
            for v in values.iter_mut() {
                *v *= inverse;
            }
        }
    }
}
