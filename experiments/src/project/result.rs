//! What a projection produced: one row per size with its tier, the fit and its error, and the
//! design that was scaled. Everything here is serde so reports and JSON output read it as is.

use serde::{Deserialize, Serialize};

use crate::project::base::BaseDesign;
use crate::project::fit::Selection;
use crate::project::latency::LatencyFit;
use crate::project::row::Row;
use ruvsim_sim::result::RunResult;

/// A whole projection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    /// The design scaled.
    pub base: BaseSummary,
    /// The target size asked for, in chips.
    pub chips_requested: u32,
    /// Whole replicas in the target size.
    pub target_replicas: u32,
    /// The simulation limit, in chips.
    pub max_sim_chips: u32,
    /// `auto` or the forced topology family or backbone.
    pub topology_choice: String,
    /// The design every size was laid out as: `auto` (the best wiring of chips with one host at
    /// chip 0), a forced family, or a backbone (`ethernet`, `wifi`, `espnow`).
    pub design: String,
    /// With `auto`: every design tried at the probe size and its figure, the chosen one marked.
    pub designs: Vec<DesignTrial>,
    /// Simulated sizes (ascending), then projected sizes (ascending).
    pub rows: Vec<Row>,
    /// Figures at the requested comparison sizes (simulated when that size was, else projected).
    pub comparisons: Vec<Row>,
    /// The scaling model, when one was fitted.
    pub fit: Option<FitReport>,
    /// Energy: `not modelled` (no figure is invented).
    pub energy: String,
    /// How cost is computed.
    pub cost: CostBasis,
    /// Sizes left out and other remarks.
    pub notes: Vec<String>,
}

/// One design `auto` tried before choosing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DesignTrial {
    /// `one host at chip 0`, `ethernet`, `wifi` or `espnow`.
    pub design: String,
    /// Its layout in words at the probe size.
    pub description: String,
    /// The probe size, chips.
    pub chips: u32,
    /// Its simulated throughput there, tok/s (`None` when it could not be built or run).
    pub throughput_tok_s: Option<f64>,
    /// Its busiest resource and how busy.
    pub bottleneck: String,
    /// Why it could not be built or run.
    pub refused: Option<String>,
    /// Whether it was chosen (the highest throughput).
    pub chosen: bool,
}

/// The scaling model and how well it predicted the held-back size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// The chosen throughput model and every candidate's figures.
    pub selection: Selection,
    /// The held-back (largest simulated) size, chips.
    pub held_back_chips: u32,
    /// Its simulated throughput, tok/s.
    pub held_back_simulated: f64,
    /// The latency model, when the runs have a time between tokens.
    pub latency: Option<LatencyFit>,
}

/// The design scaled, in words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaseSummary {
    /// Where it came from (`built-in pipeline5 design` or the scenario file).
    pub origin: String,
    /// Scenario name.
    pub name: String,
    /// The model and its precision.
    pub model: String,
    /// Chip variant.
    pub variant: String,
    /// Link kind and settings.
    pub link: String,
    /// Pipeline stages per replica.
    pub pipeline: u32,
    /// Chips per stage.
    pub tensor: u32,
    /// Chips per replica.
    pub chips_per_replica: u32,
    /// Streams each replica serves at once (closed-loop clients per replica).
    pub streams_per_replica: u32,
    /// Requests per replica in each run.
    pub requests_per_replica: u32,
    /// Prompt tokens per request.
    pub prompt_tokens: u32,
    /// Tokens generated per request.
    pub new_tokens: u32,
    /// The chip the host is attached to.
    pub gateway_chip: u32,
}

impl BaseSummary {
    /// The summary of `base`, with the model and link as the first run described them.
    pub fn new(base: &BaseDesign, first: &RunResult) -> BaseSummary {
        let requests = first.requests.len().max(1) as u64;
        BaseSummary {
            origin: base.origin.clone(),
            name: base.loaded.scenario.scenario.name.clone(),
            model: first.model.source.clone(),
            variant: first.cluster.variant.clone(),
            link: first.cluster.link.clone(),
            pipeline: base.pipeline,
            tensor: base.tensor,
            chips_per_replica: base.chips_per_replica(),
            streams_per_replica: base.streams_per_replica,
            requests_per_replica: base.requests_per_replica,
            prompt_tokens: (first.summary.prompt_tokens / requests) as u32,
            new_tokens: base.loaded.scenario.workload.new_tokens,
            gateway_chip: crate::project::base::GATEWAY_CHIP,
        }
    }
}

/// How cost is computed: chips x a price the user gives, or not at all.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostBasis {
    /// Price of one chip, US dollars.
    pub price_usd: Option<f64>,
    /// Where the price comes from.
    pub source: String,
}

impl CostBasis {
    /// The basis for an optional user-given price.
    pub fn new(price_usd: Option<f64>) -> CostBasis {
        CostBasis {
            price_usd,
            source: match price_usd {
                Some(_) => "user input (--chip-price-usd), chips x price".into(),
                None => "not computed: no chip price given (--chip-price-usd)".into(),
            },
        }
    }
}
