//! Functional fidelity: the chips really run the core on the model's weights.
//!
//! Each chip keeps, per stream it serves, a workspace with the key/value cache of its shard. The
//! values a token carries between chips (hidden state, partial sums of each rank, logits) live in
//! a *flight*: one per token in flight, so tokens of a pipelined prompt never share buffers.

use ruvsim_core::{
    add_partial, attention_heads, classify, embed, ffn_units, reduce_partials, run_layers,
    ExecError, Model, OpCounts, OwnedWorkspace, Partial, Sampler, SamplerConfig, Span, Vector,
};

use super::kernel::Kernel;
use super::SimError;
use crate::plan::Plan;

/// The values one token carries through the cluster.
struct Flight {
    hidden: Vector,
    partials: Vec<Partial>,
    logits: Vector,
    token: u32,
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
        })
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
            hidden: Vector::zeros(precision, config.dim as usize),
            partials: (0..self.tensor)
                .map(|_| Partial::zeros(precision, config.dim as usize))
                .collect(),
            logits: Vector::zeros(precision, config.vocab_size as usize),
            token,
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
    /// returns the operation counts, and the chosen token for [`Kernel::Sample`].
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
            Kernel::Embed => embed(model, f.token, f.hidden.as_mut(), &mut counts)?,
            Kernel::Layers(layers) => {
                let mut ws = self.workspaces[index].workspace()?;
                run_layers(model, &mut ws, layers, pos, f.hidden.as_mut(), &mut counts)?;
            }
            Kernel::Attention { layer, heads } => {
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
            Kernel::Ffn { layer, units } => {
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
            Kernel::Combine { layer, block, .. } => {
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
            Kernel::Classify(vocab) => {
                let mut ws = self.workspaces[index].workspace()?;
                let slice = slice_mut(&mut f.logits, vocab);
                classify(model, &mut ws, vocab, f.hidden.as_ref(), slice, &mut counts)?;
            }
            Kernel::Forward { sample } => {
                let config = *model.config();
                let mut ws = self.workspaces[index].workspace()?;
                embed(model, f.token, f.hidden.as_mut(), &mut counts)?;
                let layers = Span::new(0, config.n_layers);
                run_layers(model, &mut ws, layers, pos, f.hidden.as_mut(), &mut counts)?;
                if sample {
                    let vocab = Span::new(0, config.vocab_size);
                    classify(
                        model,
                        &mut ws,
                        vocab,
                        f.hidden.as_ref(),
                        f.logits.as_mut(),
                        &mut counts,
                    )?;
                    let sampler = self.samplers[stream as usize].as_mut().ok_or_else(|| {
                        SimError::Internal(format!("stream {stream} drafts without a request"))
                    })?;
                    sampled = Some(
                        sampler
                            .sample(f.logits.as_ref(), &mut counts)
                            .map_err(ExecError::from)?,
                    );
                }
            }
            Kernel::Sample => {
                let sampler = self.samplers[stream as usize].as_mut().ok_or_else(|| {
                    SimError::Internal(format!("stream {stream} samples without a request"))
                })?;
                sampled = Some(
                    sampler
                        .sample(f.logits.as_ref(), &mut counts)
                        .map_err(ExecError::from)?,
                );
            }
        }
        Ok((counts, sampled))
    }
}

/// The mutable view of `vocab` rows of a logits vector.
fn slice_mut(logits: &mut Vector, vocab: Span) -> ruvsim_core::VecMut<'_> {
    let range = vocab.start as usize..vocab.end as usize;
    match logits {
        Vector::Q16(v) => ruvsim_core::VecMut::Q16(&mut v[range]),
        Vector::F32(v) => ruvsim_core::VecMut::F32(&mut v[range]),
    }
}
