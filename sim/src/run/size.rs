//! The size guard: a run's memory estimated from its scenario alone, before anything per chip,
//! stream or request is allocated, so that a run too large for the machine is refused with the
//! estimate and the largest size that would fit, instead of aborting on a failed allocation.
//!
//! The estimate adds the bytes of the structures a run keeps, each from the `size_of` of the
//! structure itself (nothing here is fitted to a measurement):
//! - per chip: the engine's per-resource arrays for the chip and its links (counted as
//!   [`LINKS_PER_CHIP`] link resources per chip), the recorder's operation counts, the chip's
//!   result and energy rows, and [`TOPOLOGY_BYTES_PER_CHIP`] for the wiring's tables;
//! - per request: the request, its record, its prompt and generated token ids, and one token
//!   record per generated token;
//! - the model, for a synthetic model in functional fidelity: its f32 weights while generated and
//!   the model file they become;
//! - per stream: its state, and the task graphs of the tokens it can have in flight (a prompt
//!   token's graph is built when the previous one's embedding finishes, so at most one per
//!   pipeline stage plus one, and never more than the prompt; each graph a compute task and a hop
//!   per chip of the replica, plus the gateway's hops), each task a slot of the engine's table
//!   (reserved at this size, so the table is not doubled as it grows).

use ruvsim_core::OpCounts;
use ruvsim_engine::engine::Engine;
use ruvsim_hw::energy::ChipEnergy;

use super::RunError;
use crate::cluster::{Timer, Work, REQUEST_BYTES, STREAM_BYTES};
use crate::result::{ChipResult, TokenRecord};
use crate::scenario::{Fidelity, ModelSpec, Scenario, ShapeSpec};
use crate::workload::{Arrivals, PromptSpec};
use ruvsim_core::ModelShape;

/// Link resources counted per chip: a chain or ring has one per chip, a tree fewer, a hypercube
/// of dimension d has d/2; the regular families at the sizes this guard matters for have at most
/// a handful, and a shared medium has one in all.
pub const LINKS_PER_CHIP: u64 = 4;

/// Allowance per chip for the topology's own tables (adjacency, link ends, route state). An
/// allowance, not a measurement: the families keep a few integers per chip and link.
pub const TOPOLOGY_BYTES_PER_CHIP: u64 = 64;

/// Prompt length assumed for a replayed workload, whose prompts are only known once its file is
/// read (the model's context bounds them in any case).
const REPLAY_PROMPT_TOKENS: u64 = 64;

/// A run's estimated memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SizeEstimate {
    /// Chips in the topology.
    pub chips: u64,
    /// Estimated bytes of the whole run.
    pub bytes: u64,
}

impl SizeEstimate {
    /// The largest chip count that fits `limit` bytes when the workload grows with the chips
    /// (the same requests and streams per chip), since every term grows linearly with them.
    pub fn largest_chips_within(&self, limit: u64) -> u64 {
        if self.bytes == 0 {
            return self.chips;
        }
        (u128::from(self.chips) * u128::from(limit) / u128::from(self.bytes)) as u64
    }
}

/// The workload's sizes that the estimate needs.
struct Load {
    /// Requests in the run.
    requests: u64,
    /// Longest prompt, in tokens.
    prompt: u64,
    /// Pipeline stages per replica.
    stages: u64,
    /// Streams that can hold a request at once.
    streams: u64,
    /// Tasks one token's graph creates: a compute task and a hop per chip of the replica, plus
    /// the gateway's hops.
    tasks_per_token: u64,
}

impl Load {
    fn of(scenario: &Scenario) -> Load {
        let workload = &scenario.workload;
        let requests = u64::from(workload.requests);
        let prompt = match &workload.prompt {
            PromptSpec::Length { length } => u64::from(*length),
            PromptSpec::Tokens { tokens } => tokens.len() as u64,
            // At most one token per byte of text, plus the BOS token.
            PromptSpec::Text { text } => text.len() as u64 + 1,
        };
        let prompt = match workload.arrivals {
            Arrivals::Replay { .. } => REPLAY_PROMPT_TOKENS,
            _ => prompt,
        };
        let streams = match workload.arrivals {
            Arrivals::ClosedLoop { concurrency } => u64::from(concurrency).min(requests),
            _ => requests,
        };
        let parallelism = &scenario.parallelism;
        let chips_per_replica = u64::from(parallelism.pipeline) * u64::from(parallelism.tensor);
        Load {
            requests,
            prompt,
            stages: u64::from(parallelism.pipeline),
            streams,
            tasks_per_token: 2 * chips_per_replica + 2,
        }
    }

    /// Tasks pending at once when every stream has as many tokens in flight as it can.
    fn pending_tasks(&self) -> u64 {
        let in_flight = self.prompt.min(self.stages + 1).max(1);
        self.streams
            .saturating_mul(in_flight)
            .saturating_mul(self.tasks_per_token)
    }
}

/// Tasks pending at once when every stream of `scenario` has as many tokens in flight as it can:
/// the engine's slot table is reserved for this many.
pub fn pending_tasks(scenario: &Scenario) -> u64 {
    Load::of(scenario).pending_tasks()
}

/// Bytes the host holds for a synthetic model in functional fidelity: its f32 weights while they
/// are generated, and the model file they become (at most 4 bytes per weight). A model read from a
/// file is bounded by that file instead.
fn model_bytes(scenario: &Scenario, fidelity: Fidelity) -> u64 {
    let (ModelSpec::Synthetic { shape, .. }, Fidelity::Functional) = (&scenario.model, fidelity)
    else {
        return 0;
    };
    let shape = match shape {
        ShapeSpec::Preset(name) => match ModelShape::preset(name) {
            Some(shape) => shape,
            None => return 0,
        },
        ShapeSpec::Custom(shape) => *shape,
    };
    let (d, h, kv) = (
        u64::from(shape.dim),
        u64::from(shape.hidden_dim),
        u64::from(shape.dim) * u64::from(shape.n_kv_heads) / u64::from(shape.n_heads.max(1)),
    );
    let per_layer = (2 * d)
        .saturating_add(2 * d * d)
        .saturating_add(2 * kv * d)
        .saturating_add(3 * h * d);
    let classifiers = if shape.shared_classifier { 1 } else { 2 };
    let weights = u64::from(shape.n_layers)
        .saturating_mul(per_layer)
        .saturating_add(classifiers * u64::from(shape.vocab_size).saturating_mul(d))
        .saturating_add(d);
    weights.saturating_mul(8)
}

/// Estimates the memory of `scenario`'s run at `fidelity` from its sizes alone.
pub fn estimate(scenario: &Scenario, fidelity: Fidelity) -> Result<SizeEstimate, RunError> {
    let chips = u64::from(scenario.cluster.topology.chips()?);
    let load = Load::of(scenario);
    let new_tokens = u64::from(scenario.workload.new_tokens);
    let parallelism = &scenario.parallelism;
    let chips_per_replica = u64::from(parallelism.pipeline) * u64::from(parallelism.tensor);
    let task = Engine::<Work, Timer>::TASK_BYTES as u64;
    let resource = Engine::<Work, Timer>::RESOURCE_BYTES as u64;
    let per_chip = resource * (1 + LINKS_PER_CHIP)
        + 16 * LINKS_PER_CHIP // bytes and messages per link
        + std::mem::size_of::<OpCounts>() as u64
        + std::mem::size_of::<ChipResult>() as u64
        + std::mem::size_of::<ChipEnergy>() as u64
        + TOPOLOGY_BYTES_PER_CHIP;
    let per_request = REQUEST_BYTES as u64
        + 4 * (load.prompt + new_tokens)
        + new_tokens * std::mem::size_of::<TokenRecord>() as u64;
    let per_stream = STREAM_BYTES as u64 + 12 * (chips_per_replica + 1); // last task per role
    let bytes = chips
        .saturating_mul(per_chip)
        .saturating_add(load.requests.saturating_mul(per_request))
        .saturating_add(load.streams.saturating_mul(per_stream))
        .saturating_add(load.pending_tasks().saturating_mul(task))
        .saturating_add(model_bytes(scenario, fidelity));
    Ok(SizeEstimate { chips, bytes })
}

/// Refuses `scenario` when its estimated memory exceeds `limit` bytes, naming the estimate, the
/// limit and the largest chip count that would fit.
pub fn check(
    scenario: &Scenario,
    fidelity: Fidelity,
    limit: u64,
) -> Result<SizeEstimate, RunError> {
    let estimate = estimate(scenario, fidelity)?;
    if estimate.bytes > limit {
        return Err(RunError::TooLarge {
            chips: estimate.chips,
            estimate: estimate.bytes,
            limit,
            largest: estimate.largest_chips_within(limit),
        });
    }
    Ok(estimate)
}

#[cfg(test)]
mod tests {
    use super::{check, estimate};
    use crate::run::RunError;
    use crate::scenario::parse;
    use crate::scenario::Fidelity;

    fn chain(chips: u32, requests: u32) -> crate::scenario::Scenario {
        let text = format!(
            r#"
[scenario]
name = "size"
seed = 1
fidelity = "timing"
[model]
source = "synthetic"
shape = "stories260k"
precision = "int8"
[cluster]
variant = "esp32s3"
topology = {{ kind = "chain", chips = {chips} }}
link = {{ kind = "spi", clock_mhz = 40, lines = 1, mode = "polling_dma" }}
[parallelism]
replicas = {chips}
[workload]
arrivals = {{ kind = "closed_loop", concurrency = {requests} }}
requests = {requests}
prompt = {{ length = 8 }}
new_tokens = 8
"#
        );
        parse("size.toml", &text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn estimate_grows_linearly_with_chips_and_requests() {
        let small = estimate(&chain(1_000, 1_000), Fidelity::Timing).unwrap();
        let large = estimate(&chain(1_000_000, 1_000_000), Fidelity::Timing).unwrap();
        assert_eq!(large.bytes, small.bytes * 1_000);
        assert_eq!(large.chips, 1_000_000);
    }

    #[test]
    fn a_billion_chip_chain_is_refused_with_the_estimate_and_what_fits() {
        let limit = 24 << 30;
        match check(
            &chain(1_000_000_000, 1_000_000_000),
            Fidelity::Timing,
            limit,
        ) {
            Err(RunError::TooLarge {
                chips,
                estimate,
                limit: l,
                largest,
            }) => {
                assert_eq!(chips, 1_000_000_000);
                assert!(estimate > limit);
                assert_eq!(l, limit);
                assert!(largest > 0 && largest < chips);
                // The largest size fits, and a size well above it does not.
                let fits = check(
                    &chain(largest as u32, largest as u32),
                    Fidelity::Timing,
                    limit,
                );
                assert!(fits.is_ok(), "{largest} chips should fit");
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }

    #[test]
    fn a_huge_synthetic_model_is_refused_in_functional_fidelity_only() {
        let mut scenario = chain(3, 1);
        scenario.model = parse(
            "m.toml",
            "[scenario]\nname = \"m\"\n[model]\nsource = \"synthetic\"\nshape = { dim = 65536, \
             hidden_dim = 65536, n_layers = 4096, n_heads = 2, n_kv_heads = 2, vocab_size = 1024, \
             seq_len = 64 }\nprecision = \"int8\"\n[cluster]\nvariant = \"esp32s3\"\n\
             topology = { kind = \"chain\", chips = 3 }\nlink = { kind = \"uart\", baud = 115200 }\n\
             [workload]\narrivals = { kind = \"closed_loop\", concurrency = 1 }\nrequests = 1\n\
             prompt = { length = 4 }\nnew_tokens = 4\n",
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .model;
        let limit = 16 << 30;
        assert!(check(&scenario, Fidelity::Timing, limit).is_ok());
        let err = check(&scenario, Fidelity::Functional, limit).unwrap_err();
        assert!(err.to_string().contains("not even one chip fits"), "{err}");
    }
}
