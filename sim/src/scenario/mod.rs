//! Scenarios: one cluster design and workload, as a TOML file describes it.
//!
//! A scenario has the tables `[scenario]`, `[model]`, `[cluster]`, `[parallelism]`, `[workload]`
//! and optionally `[calibration]`. Every key is documented in `docs/scenario-format.md`; unknown
//! keys are errors that name the nearest valid key, and nothing misspelt falls back to a default.

use std::path::{Path, PathBuf};

use ruvsim_core::{AttentionPattern, ModelShape, Precision};
use ruvsim_topologies::TopologySpec;
use serde::{Deserialize, Serialize};

use ruvsim_hw::calibration::Variant;
use ruvsim_hw::chip::KernelKind;
use ruvsim_hw::energy::EnergySpec;
use ruvsim_hw::firmware::FirmwareProfile;
pub mod gated;

use crate::toml_error::{from_toml_str, TomlError};
use crate::workload::WorkloadSpec;
use gated::GatedSpec;
use ruvsim_hw::backbone::BackboneConfig;
use ruvsim_hw::link::LinkConfig;
use ruvsim_hw::memory::MemorySetup;

/// A whole scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name, description, seed and fidelity.
    pub scenario: Meta,
    /// The model and its precision.
    pub model: ModelSpec,
    /// Chips, topology and links.
    pub cluster: ClusterSpec,
    /// How the model is split over the chips.
    #[serde(default)]
    pub parallelism: ParallelismSpec,
    /// Requests.
    pub workload: WorkloadSpec,
    /// Calibration overrides.
    #[serde(default)]
    pub calibration: CalibrationSpec,
    /// Speculative decoding with a draft model on its own chip per replica.
    #[serde(default)]
    pub speculative: Option<SpeculativeSpec>,
    /// Rest state between tasks and the battery, for the energy figures.
    #[serde(default)]
    pub energy: EnergySpec,
    /// An event-gated experiment (`ruvsim gated`): sensor events, a gate, a polling baseline.
    #[serde(default)]
    pub gated: Option<GatedSpec>,
    /// Faults, their detection and fail-over.
    #[serde(default)]
    pub faults: Option<FaultSpec>,
    /// Mixture of experts: feed-forward experts on their own chips, chosen per token by a router.
    #[serde(default)]
    pub moe: Option<MoeSpec>,
    /// What the chips' firmware does per token (default: ruvsim's own core).
    #[serde(default)]
    pub firmware: FirmwareProfile,
}

/// `[moe]`: the feed-forward block of every layer becomes `experts` experts, each on its own chip
/// per replica; an integer router on the coordinator chooses `top_k` of them per token and layer.
/// Expert and router weights are synthetic (from `seed`), whatever the model source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoeSpec {
    /// Experts (expert chips per replica).
    pub experts: u32,
    /// Experts each token visits per layer (default 1).
    #[serde(default = "one")]
    pub top_k: u32,
    /// Seed of the synthetic expert and router weights.
    #[serde(default)]
    pub seed: u64,
    /// How experts are chosen.
    #[serde(default)]
    pub router: RouterSpec,
}

/// The router: `"linear"` (an int8 linear layer on the hidden state, top-k of its outputs) or
/// `{ fixed = E }` (always expert E, for checking what one overloaded expert does).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RouterSpec {
    /// A linear layer of synthetic int8 weights.
    #[default]
    Linear,
    /// Always the given expert.
    Fixed(u32),
}

/// `[speculative]`: a draft model proposes `k` tokens, the target verifies them in one pass.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpeculativeSpec {
    /// Draft tokens proposed per round (at least 1).
    pub k: u32,
    /// How the draft is derived from the target's weights.
    #[serde(default)]
    pub draft: DraftSpec,
    /// Timing fidelity only: the assumed probability that each draft token is accepted (no
    /// computation runs, so acceptance cannot be measured; the report says it was assumed).
    #[serde(default)]
    pub acceptance: Option<f64>,
}

/// `[faults]`: what fails when, how it is noticed, and what takes over.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Heartbeats every chip sends to a monitor.
    #[serde(default)]
    pub heartbeat: HeartbeatSpec,
    /// Spare chips (the topology's last chips) that take over a failed chip's part.
    #[serde(default)]
    pub spares: u32,
    /// What happens to requests on a replica that lost a chip.
    #[serde(default)]
    pub policy: FailurePolicy,
    /// Scheduled faults.
    #[serde(default)]
    pub events: Vec<FaultEvent>,
    /// Random crashes: mean time between failures of one chip, in hours (seeded).
    #[serde(default)]
    pub mtbf_hours: Option<f64>,
    /// Wired links: probability that a message is lost (then resent after `ack_timeout_ms`).
    #[serde(default)]
    pub message_loss: f64,
    /// Wired links: how long a sender waits for an acknowledgement before resending.
    #[serde(default = "default_ack_timeout_ms")]
    pub ack_timeout_ms: f64,
    /// Wired links: transmissions of a message before it is given up.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
}

fn default_ack_timeout_ms() -> f64 {
    1.0
}

fn default_attempts() -> u32 {
    3
}

/// Heartbeat settings: every chip sends a heartbeat message of `bytes` to its monitor chip every
/// `period_ms`, over the links; a monitor declares a chip failed at the first of its checks (also
/// every `period_ms`) at which it has heard nothing from it for more than `timeout_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatSpec {
    /// Heartbeat and check period.
    pub period_ms: f64,
    /// Silence after which a chip is declared failed.
    pub timeout_ms: f64,
    /// Bytes of one heartbeat message on a link.
    #[serde(default = "default_heartbeat_bytes")]
    pub bytes: u32,
}

/// A heartbeat's payload: the sender's chip id and a sequence number, 4 bytes each.
fn default_heartbeat_bytes() -> u32 {
    8
}

impl Default for HeartbeatSpec {
    fn default() -> Self {
        HeartbeatSpec {
            period_ms: 10.0,
            timeout_ms: 50.0,
            bytes: default_heartbeat_bytes(),
        }
    }
}

/// What happens to the requests of a replica that lost a chip.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailurePolicy {
    /// A spare takes over and the requests continue (the lost work is recomputed); without a
    /// spare they fail.
    #[default]
    Retry,
    /// The requests fail with the cause, spare or not (a spare still takes over for new ones).
    Fail,
}

/// One scheduled fault.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultEvent {
    /// The chip stops for good.
    Crash {
        /// Chip id.
        chip: u32,
        /// When, in milliseconds from the start.
        at_ms: f64,
    },
    /// The chip stops for a while (longer than the heartbeat timeout counts as a crash).
    Hang {
        /// Chip id.
        chip: u32,
        /// When.
        at_ms: f64,
        /// For how long.
        for_ms: f64,
    },
    /// The link between two neighbouring chips carries nothing for a while.
    LinkDown {
        /// One end.
        from: u32,
        /// The other end.
        to: u32,
        /// When.
        at_ms: f64,
        /// For how long.
        for_ms: f64,
    },
}

/// The draft: the target's own weights with fewer layers and/or a lower precision, or a model
/// file of its own.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftSpec {
    /// Keep the first `layers` layers (default: all).
    #[serde(default)]
    pub layers: Option<u32>,
    /// Precision of the draft (default: the target's).
    #[serde(default)]
    pub precision: Option<Precision>,
    /// A draft model of its own in the ruvsim format (any shape with the target's vocabulary),
    /// instead of one derived from the target; resolved like `model.path`.
    #[serde(default)]
    pub path: Option<String>,
}

/// `[scenario]`: what the scenario is called and how it is run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Short name; also the default output folder name.
    pub name: String,
    /// One or two sentences for the report.
    #[serde(default)]
    pub description: String,
    /// Seed of every random stream (synthetic weights use `model.seed`).
    #[serde(default)]
    pub seed: u64,
    /// `functional` runs the real inference on every chip; `timing` uses predicted operation
    /// counts only (for clusters too large to compute). Both give the same timing.
    #[serde(default)]
    pub fidelity: Fidelity,
}

/// How much of the computation a run really performs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fidelity {
    /// Chips run the core on the model's weights: tokens and text are real.
    #[default]
    Functional,
    /// Chips are charged the predicted operation counts; no weights are touched.
    Timing,
}

impl Fidelity {
    /// Every fidelity, in the order help texts list them.
    pub const ALL: [Fidelity; 2] = [Fidelity::Functional, Fidelity::Timing];

    /// The one spelling of a fidelity, in scenarios, baselines, reports and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Fidelity::Functional => "functional",
            Fidelity::Timing => "timing",
        }
    }
}

impl std::fmt::Display for Fidelity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A fidelity name that is neither `functional` nor `timing`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("fidelity `{0}` is not one of: functional, timing")]
pub struct UnknownFidelity(pub String);

impl std::str::FromStr for Fidelity {
    type Err = UnknownFidelity;

    /// Parses [`Fidelity::name`]'s spelling.
    fn from_str(name: &str) -> Result<Fidelity, UnknownFidelity> {
        Fidelity::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| UnknownFidelity(name.to_string()))
    }
}

/// A model shape: a named preset or explicit dimensions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "a shape: a preset name (stories260k, stories15m, stories42m, stories110m) or { dim, \
                 hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len, shared_classifier }"
)]
pub enum ShapeSpec {
    /// A preset name: `stories260k`, `stories15m`, `stories42m`, `stories110m`.
    Preset(String),
    /// Explicit dimensions.
    Custom(ModelShape),
}

/// `[model]`: where the weights come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case", deny_unknown_fields)]
pub enum ModelSpec {
    /// Weights generated from a seed (no file needed).
    Synthetic {
        /// The shape.
        shape: ShapeSpec,
        /// Seed of the weights.
        #[serde(default)]
        seed: u64,
        /// Precision of the weight matrices.
        precision: Precision,
        /// Attention pattern (default full causal).
        #[serde(default = "full_attention")]
        attention: AttentionPattern,
    },
    /// A model in the ruvsim format (`ruvsim model import` writes one).
    File {
        /// Path, relative to the model directory (`--model-dir`, `RUVSIM_MODEL_DIR`) or the
        /// scenario's folder.
        path: String,
        /// Optional llama2.c tokenizer for text prompts and output.
        #[serde(default)]
        tokenizer: Option<String>,
    },
    /// A llama2.c checkpoint, quantised when loaded.
    Llama2c {
        /// Checkpoint path (as for `file`).
        path: String,
        /// Optional llama2.c tokenizer.
        #[serde(default)]
        tokenizer: Option<String>,
        /// Precision to quantise to.
        precision: Precision,
        /// Attention pattern (default full causal).
        #[serde(default = "full_attention")]
        attention: AttentionPattern,
    },
}

fn full_attention() -> AttentionPattern {
    AttentionPattern::Full
}

/// `[cluster]`: the chips and how they are connected.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    /// Chip variant of every chip.
    pub variant: Variant,
    /// How the chips are wired (its size is the chip count).
    pub topology: TopologySpec,
    /// The link kind and its settings.
    pub link: LinkConfig,
    /// CPU settings (default: the variant's default clock, all cores, optimised kernels).
    #[serde(default)]
    pub cpu: Option<CpuSpec>,
    /// Memory fitted on each board (default: no PSRAM, no flash model partition, no SD card).
    #[serde(default)]
    pub memory: MemorySetup,
    /// The chip a host is attached to: prompts travel from it and generated tokens back to it over
    /// the topology (default: none; requests appear at each replica's first stage).
    #[serde(default)]
    pub gateway: Option<u32>,
    /// A host on every group of a hierarchical topology, attached to the group's gateway chip:
    /// each replica's prompts and tokens go to the host of the group holding its first stage
    /// (default false; exclusive with `gateway`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gateway_per_group: bool,
    /// The network joining the groups' gateways and the hosts (Ethernet, Wi-Fi or ESP-NOW), for a
    /// hierarchical topology whose top level is `switched`; the hosts are on it, one per
    /// `groups_per_host` groups (default: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backbone: Option<BackboneConfig>,
}

/// CPU settings, each optional.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpuSpec {
    /// Clock in MHz (default: the variant's default).
    #[serde(default)]
    pub clock_mhz: Option<u32>,
    /// Cores used for model work (default: all).
    #[serde(default)]
    pub cores_used: Option<u32>,
    /// `plain_c` or `optimized` (default `optimized`).
    #[serde(default)]
    pub kernel: Option<KernelKind>,
}

/// `[parallelism]`: pipeline depth x tensor width x replicas.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParallelismSpec {
    /// Pipeline stages per replica (contiguous layers per stage).
    #[serde(default = "one")]
    pub pipeline: u32,
    /// Chips per stage sharing heads and feed-forward units (tensor parallel).
    #[serde(default = "one")]
    pub tensor: u32,
    /// Independent copies of the pipeline, each serving its own streams.
    #[serde(default = "one")]
    pub replicas: u32,
    /// Layers per stage, overriding the balanced split (must sum to the model's layers).
    #[serde(default)]
    pub layers_per_stage: Option<Vec<u32>>,
    /// Streams a replica serves at once (default: the closed-loop concurrency spread over the
    /// replicas, or 1 for open-loop arrivals). Each stream needs its own KV cache.
    #[serde(default)]
    pub streams_per_replica: Option<u32>,
}

fn one() -> u32 {
    1
}

impl Default for ParallelismSpec {
    fn default() -> Self {
        ParallelismSpec {
            pipeline: 1,
            tensor: 1,
            replicas: 1,
            layers_per_stage: None,
            streams_per_replica: None,
        }
    }
}

/// `[calibration]`: overrides of the built-in tables.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationSpec {
    /// A calibration file (as `ruvsim calibrate` writes), relative to the scenario's folder.
    #[serde(default)]
    pub file: Option<String>,
    /// Individual entries, by dotted key (for example `"cycles.optimized.mac_i8" = 0.7`).
    #[serde(default)]
    pub overrides: Option<toml::Table>,
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario {file}: {source}")]
    Read {
        /// The file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Syntax, an unknown key, or a value of the wrong type.
    #[error(transparent)]
    Toml(#[from] TomlError),
}

/// A parsed scenario with the folder its relative paths are resolved against.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadedScenario {
    /// The scenario.
    pub scenario: Scenario,
    /// The file it came from (for messages).
    pub file: String,
    /// Its folder.
    pub dir: PathBuf,
}

/// Reads and parses a scenario file.
pub fn load(path: &Path) -> Result<LoadedScenario, ScenarioError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        file: file.clone(),
        source,
    })?;
    let scenario = parse(&file, &text)?;
    Ok(LoadedScenario {
        scenario,
        file,
        dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
    })
}

/// Parses scenario text; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Scenario, TomlError> {
    from_toml_str(file, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{Arrivals, PromptSpec};

    const PIPELINE: &str = r#"
[scenario]
name = "p5"
seed = 3

[model]
source = "synthetic"
shape = "stories260k"
precision = "int8"

[cluster]
variant = "esp32s3"
topology = { kind = "chain", chips = 5 }
link = { kind = "spi", clock_mhz = 40, lines = 1, mode = "polling_dma" }

[parallelism]
pipeline = 5

[workload]
arrivals = { kind = "closed_loop", concurrency = 1 }
requests = 2
prompt = { length = 4 }
new_tokens = 8
"#;

    #[test]
    fn parses_a_pipeline_scenario() {
        let s = parse("p5.toml", PIPELINE).unwrap();
        assert_eq!(s.scenario.seed, 3);
        assert_eq!(s.scenario.fidelity, Fidelity::Functional);
        assert_eq!(s.parallelism.pipeline, 5);
        assert_eq!(s.cluster.variant, Variant::Esp32S3);
        assert_eq!(s.workload.arrivals, Arrivals::ClosedLoop { concurrency: 1 });
        assert_eq!(s.workload.prompt, PromptSpec::Length { length: 4 });
        assert!(matches!(
            s.model,
            ModelSpec::Synthetic {
                precision: Precision::Int8,
                attention: AttentionPattern::Full,
                ..
            }
        ));
    }

    #[test]
    fn misspelt_key_names_the_nearest_one() {
        let text = PIPELINE.replace("pipeline = 5", "pipline = 5");
        let err = parse("p5.toml", &text).unwrap_err();
        assert!(err.message.contains("did you mean `pipeline`?"), "{err}");
        assert_eq!(err.line, Some(17), "{err}");
    }

    #[test]
    fn bad_variant_lists_valid_ones() {
        let text = PIPELINE.replace("\"esp32s3\"", "\"esp32s4\"");
        let err = parse("p5.toml", &text).unwrap_err();
        assert!(err.message.contains("valid variants"), "{err}");
        assert_eq!(err.line, Some(12), "{err}");
    }

    #[test]
    fn attention_pattern_and_precision_spelling() {
        let text = PIPELINE.replace(
            "precision = \"int8\"",
            "precision = \"int4\"\nattention = { kind = \"sliding_window\", window = 32 }",
        );
        let s = parse("p5.toml", &text).unwrap();
        assert!(matches!(
            s.model,
            ModelSpec::Synthetic {
                precision: Precision::Int4,
                attention: AttentionPattern::SlidingWindow { window: 32 },
                ..
            }
        ));
    }
}
