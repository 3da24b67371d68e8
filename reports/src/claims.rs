//! The claims check: what the reference documents claim for a kind of setup, beside ruvsim's
//! simulated figure for the scenario at hand.
//!
//! The documents' multi-chip figures are closed-form arithmetic on guessed constants, so every
//! claim here is labelled `claimed` (whatever the document calls it), never measured. A claim
//! applies to a result by a [`Rule`] on the result's plan and cluster. A speed-up claim needs a
//! baseline (a standalone run of the same model on one chip of the same variant); [`check`] shows
//! a number only when such a baseline is given, and otherwise says how to get one.

use ruvsim_hw::tier::Tier;
use ruvsim_sim::result::RunResult;

use crate::format;

/// Tier label of every claim: stated in a document, not measured nor simulated by ruvsim.
pub const CLAIMED: &str = "claimed";

/// The main reference document.
const README: &str = "ruvllm-esp32-README.md";
/// The flashable project's document.
const FLASH_README: &str = "ruvllm-esp32-flash-README.md";

/// What a claim is about, and so which of ruvsim's figures it is set beside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    /// Generated tokens per second (ruvsim: `summary.throughput_tok_s`).
    Throughput,
    /// Throughput over a single chip's (ruvsim: throughput over a standalone baseline run's).
    Speedup,
    /// Milliseconds per generated token (ruvsim: mean inter-token latency).
    TokenTime,
    /// Average electrical power of the whole setup in watts (ruvsim: `energy.average_power_nw`).
    Power,
    /// Generated tokens per joule, i.e. tokens per second per watt (ruvsim: tokens generated
    /// over `energy.total_nj`).
    TokensPerJoule,
}

impl Quantity {
    /// Unit label.
    pub fn unit(self) -> &'static str {
        match self {
            Quantity::Throughput => "tok/s",
            Quantity::Speedup => "x",
            Quantity::TokenTime => "ms/token",
            Quantity::Power => "W",
            Quantity::TokensPerJoule => "tok/J",
        }
    }
}

/// When a claim applies to a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// One chip on its own; of this variant when one is named (display name, `ESP32-S3`).
    Standalone {
        /// Required variant, or any.
        variant: Option<&'static str>,
    },
    /// One pipeline (one replica, tensor width 1, no speculative draft) of more than one stage;
    /// of exactly `stages` stages when given.
    Pipeline {
        /// Required stage count, or any above one.
        stages: Option<u32>,
    },
    /// One tensor-parallel group (one replica, one stage, width above one, no speculative draft).
    Tensor,
    /// A run with speculative decoding (a draft chip per replica).
    Speculative,
    /// A run with mixture-of-experts expert chips.
    Moe,
    /// Any cluster of exactly this many chips.
    Chips(u32),
}

/// Where a claim is stated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Source {
    /// The document (in the project's reference folder).
    pub document: &'static str,
    /// Its section (heading path).
    pub section: &'static str,
    /// How the document itself labels the figure.
    pub label: &'static str,
}

/// One claim of a reference document.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Claim {
    /// Stable identifier.
    pub id: &'static str,
    /// The setup the claim is about, in the document's words.
    pub setup: &'static str,
    /// Chips in that setup.
    pub chips: u32,
    /// What is claimed.
    pub quantity: Quantity,
    /// The claimed value (the low end of a range).
    pub low: f64,
    /// The high end of a claimed range (`low` for a single value).
    pub high: f64,
    /// Where it is stated.
    pub source: Source,
    /// When it applies to a ruvsim result.
    pub rule: Rule,
}

const fn claim(
    id: &'static str,
    setup: &'static str,
    chips: u32,
    quantity: Quantity,
    (low, high): (f64, f64),
    (document, section, label): (&'static str, &'static str, &'static str),
    rule: Rule,
) -> Claim {
    Claim {
        id,
        setup,
        chips,
        quantity,
        low,
        high,
        source: Source {
            document,
            section,
            label,
        },
        rule,
    }
}

const SCALING: &str = "Massive Scale (100 to 1 Million+ Chips) > Scaling Performance";
const MODES: &str = "Federation (Multi-Chip Clusters) > Federation Modes";
const COMBINED: &str = "Federation (Multi-Chip Clusters) > Combined Performance (5 ESP32 Chips)";
const SINGLE: &str = "Performance > Single-Chip Token Generation Speed";
const DOLLARS_PER_WATT: &str = "Cost & Intelligence Analysis > Hardware Cost Efficiency ($/Watt)";
const TOKENS_PER_WATT: &str =
    "Cost & Intelligence Analysis > Intelligence Efficiency (Tokens/Watt)";
const UNLABELLED: &str = "no tier given";
const PROJECTION: &str = "projection (no tier given)";

/// Every claim ruvsim checks, with its document and section.
pub static CLAIMS: &[Claim] = &[
    claim(
        "single-esp32-236",
        "1 ESP32, 50 KB model",
        1,
        Quantity::Throughput,
        (236.0, 236.0),
        (README, SINGLE, UNLABELLED),
        Rule::Standalone {
            variant: Some("ESP32"),
        },
    ),
    claim(
        "single-esp32s2-5000",
        "1 ESP32-S2, 12 KB model",
        1,
        Quantity::Throughput,
        (5000.0, 5000.0),
        (README, SINGLE, UNLABELLED),
        Rule::Standalone {
            variant: Some("ESP32-S2"),
        },
    ),
    claim(
        "single-esp32s3-4000",
        "1 ESP32-S3, 50 KB model",
        1,
        Quantity::Throughput,
        (4000.0, 4000.0),
        (README, SINGLE, UNLABELLED),
        Rule::Standalone {
            variant: Some("ESP32-S3"),
        },
    ),
    claim(
        "single-esp32c3-2800",
        "1 ESP32-C3, 30 KB model",
        1,
        Quantity::Throughput,
        (2800.0, 2800.0),
        (README, SINGLE, UNLABELLED),
        Rule::Standalone {
            variant: Some("ESP32-C3"),
        },
    ),
    claim(
        "single-esp32s3-measured-20-50",
        "1 ESP32-S3 @ 240 MHz, ~260K-parameter INT8 model",
        1,
        Quantity::Throughput,
        (20.0, 50.0),
        (
            README,
            "Benchmark Methodology > Tier 1: On-Device Measured",
            "on-device measured (no trace published)",
        ),
        Rule::Standalone {
            variant: Some("ESP32-S3"),
        },
    ),
    claim(
        "single-standard-200-250",
        "1 chip, standard decoding",
        1,
        Quantity::Throughput,
        (200.0, 250.0),
        (
            FLASH_README,
            "Memory & Performance > Throughput",
            "simulated (host)",
        ),
        Rule::Standalone { variant: None },
    ),
    claim(
        "single-esp32-4ms",
        "1 ESP32 @ 240 MHz",
        1,
        Quantity::TokenTime,
        (4.0, 4.0),
        (
            FLASH_README,
            "Memory & Performance > Performance Benchmarks",
            UNLABELLED,
        ),
        Rule::Standalone {
            variant: Some("ESP32"),
        },
    ),
    claim(
        "single-esp32s3-2ms",
        "1 ESP32-S3 (SIMD)",
        1,
        Quantity::TokenTime,
        (2.0, 2.0),
        (
            FLASH_README,
            "Memory & Performance > Performance Benchmarks",
            UNLABELLED,
        ),
        Rule::Standalone {
            variant: Some("ESP32-S3"),
        },
    ),
    claim(
        "pipeline-4.2x",
        "5-chip pipeline",
        5,
        Quantity::Speedup,
        (4.2, 4.2),
        (README, MODES, UNLABELLED),
        Rule::Pipeline { stages: None },
    ),
    claim(
        "pipeline-1003",
        "5 ESP32 chips, pipeline",
        5,
        Quantity::Throughput,
        (1003.0, 1003.0),
        (README, COMBINED, UNLABELLED),
        Rule::Pipeline { stages: Some(5) },
    ),
    claim(
        "pipeline-80-200",
        "5-chip pipeline",
        5,
        Quantity::Throughput,
        (80.0, 200.0),
        (
            README,
            "Performance > Realistic Expectations",
            "simulated (host)",
        ),
        Rule::Pipeline { stages: Some(5) },
    ),
    claim(
        "tensor-3.5x",
        "5-chip tensor parallel",
        5,
        Quantity::Speedup,
        (3.5, 3.5),
        (README, MODES, UNLABELLED),
        Rule::Tensor,
    ),
    claim(
        "speculative-2.5x",
        "5-chip speculative decoding",
        5,
        Quantity::Speedup,
        (2.5, 2.5),
        (README, MODES, UNLABELLED),
        Rule::Speculative,
    ),
    claim(
        "moe-4.5x",
        "5-chip mixture of experts",
        5,
        Quantity::Speedup,
        (4.5, 4.5),
        (README, MODES, UNLABELLED),
        Rule::Moe,
    ),
    claim(
        "combined-48x",
        "5 ESP32 chips: pipeline + sparse attention + binary embeddings + speculative",
        5,
        Quantity::Speedup,
        (48.0, 48.0),
        (README, COMBINED, UNLABELLED),
        Rule::Chips(5),
    ),
    claim(
        "combined-11434",
        "5 ESP32 chips: pipeline + sparse attention + binary embeddings + speculative",
        5,
        Quantity::Throughput,
        (11434.0, 11434.0),
        (README, COMBINED, UNLABELLED),
        Rule::Chips(5),
    ),
    claim(
        "scaling-5",
        "5 chips, pipeline",
        5,
        Quantity::Throughput,
        (531.0, 531.0),
        (README, SCALING, PROJECTION),
        Rule::Chips(5),
    ),
    claim(
        "scaling-100",
        "100 chips, hierarchical",
        100,
        Quantity::Throughput,
        (53_000.0, 53_000.0),
        (README, SCALING, PROJECTION),
        Rule::Chips(100),
    ),
    claim(
        "cost-256",
        "256 ESP32 chips, 100M-parameter model",
        256,
        Quantity::Throughput,
        (88_244.0, 88_244.0),
        (README, TOKENS_PER_WATT, UNLABELLED),
        Rule::Chips(256),
    ),
    claim(
        "scaling-1000",
        "1,000 chips, hierarchical",
        1000,
        Quantity::Throughput,
        (67_000.0, 67_000.0),
        (README, SCALING, PROJECTION),
        Rule::Chips(1000),
    ),
    claim(
        "scaling-10000",
        "10,000 chips, hierarchical",
        10_000,
        Quantity::Throughput,
        (28_000.0, 28_000.0),
        (README, SCALING, PROJECTION),
        Rule::Chips(10_000),
    ),
    claim(
        "scaling-100000",
        "100,000 chips, hypercube",
        100_000,
        Quantity::Throughput,
        (105_000.0, 105_000.0),
        (README, SCALING, PROJECTION),
        Rule::Chips(100_000),
    ),
    claim(
        "scaling-1000000",
        "1,000,000 chips, hypercube",
        1_000_000,
        Quantity::Throughput,
        (93_000.0, 93_000.0),
        (README, SCALING, PROJECTION),
        Rule::Chips(1_000_000),
    ),
    claim(
        "power-1-chip",
        "1 ESP32",
        1,
        Quantity::Power,
        (0.5, 0.5),
        (README, DOLLARS_PER_WATT, UNLABELLED),
        Rule::Standalone { variant: None },
    ),
    claim(
        "tokens-per-joule-1-chip",
        "1 ESP32, 50K model",
        1,
        Quantity::TokensPerJoule,
        (472.0, 472.0),
        (README, TOKENS_PER_WATT, UNLABELLED),
        Rule::Standalone { variant: None },
    ),
    claim(
        "power-5-chips",
        "5 ESP32 chips",
        5,
        Quantity::Power,
        (2.5, 2.5),
        (README, SCALING, PROJECTION),
        Rule::Chips(5),
    ),
    claim(
        "tokens-per-joule-5-chips",
        "5 ESP32 chips, 500K model",
        5,
        Quantity::TokensPerJoule,
        (4574.0, 4574.0),
        (README, TOKENS_PER_WATT, UNLABELLED),
        Rule::Chips(5),
    ),
    claim(
        "power-100-chips",
        "100 chips, hierarchical",
        100,
        Quantity::Power,
        (50.0, 50.0),
        (README, SCALING, PROJECTION),
        Rule::Chips(100),
    ),
    claim(
        "power-256-chips",
        "256 ESP32 chips",
        256,
        Quantity::Power,
        (130.0, 130.0),
        (README, DOLLARS_PER_WATT, UNLABELLED),
        Rule::Chips(256),
    ),
    claim(
        "tokens-per-joule-256-chips",
        "256 ESP32 chips, 100M-parameter model",
        256,
        Quantity::TokensPerJoule,
        (679.0, 679.0),
        (README, TOKENS_PER_WATT, UNLABELLED),
        Rule::Chips(256),
    ),
    claim(
        "power-1000-chips",
        "1,000 chips, hierarchical",
        1000,
        Quantity::Power,
        (512.0, 512.0),
        (README, SCALING, PROJECTION),
        Rule::Chips(1000),
    ),
    claim(
        "power-10000-chips",
        "10,000 chips, hierarchical",
        10_000,
        Quantity::Power,
        (5_000.0, 5_000.0),
        (README, SCALING, PROJECTION),
        Rule::Chips(10_000),
    ),
    claim(
        "power-100000-chips",
        "100,000 chips, hypercube",
        100_000,
        Quantity::Power,
        (50_000.0, 50_000.0),
        (README, SCALING, PROJECTION),
        Rule::Chips(100_000),
    ),
    claim(
        "power-1000000-chips",
        "1,000,000 chips, hypercube",
        1_000_000,
        Quantity::Power,
        (500_000.0, 500_000.0),
        (README, SCALING, PROJECTION),
        Rule::Chips(1_000_000),
    ),
];

impl Claim {
    /// The claimed value in words (`4.2x`, `20-50 tok/s`).
    pub fn value_text(&self) -> String {
        let unit = self.quantity.unit();
        let sep = if unit == "x" { "" } else { " " };
        if self.low == self.high {
            format!("{}{sep}{unit}", format::short(self.low))
        } else {
            format!(
                "{}-{}{sep}{unit}",
                format::short(self.low),
                format::short(self.high)
            )
        }
    }
}

/// How far a run's chip count may be from a claim's and still answer it (the difference is stated
/// with the figure): 1,024 chips answer a claim for 1,000, 1,048,580 one for 1,000,000.
pub const SIZE_TOLERANCE: f64 = 0.05;

/// Whether `chips` is within [`SIZE_TOLERANCE`] of `claimed`.
fn near_size(chips: u32, claimed: u32) -> bool {
    (f64::from(chips) - f64::from(claimed)).abs() <= SIZE_TOLERANCE * f64::from(claimed)
}

impl Rule {
    /// `None` when the rule holds for `result`, otherwise why not.
    pub fn mismatch(&self, result: &RunResult) -> Option<String> {
        let plan = &result.plan;
        let chips = result.cluster.chips;
        let single_replica = plan.replicas == 1 && plan.draft.is_none();
        match *self {
            Rule::Standalone { variant } => {
                if chips != 1 {
                    Some(format!("a single-chip claim; this run has {chips} chips"))
                } else {
                    variant.filter(|v| *v != result.cluster.variant).map(|v| {
                        format!(
                            "a claim for the {v}; this run uses the {}",
                            result.cluster.variant
                        )
                    })
                }
            }
            Rule::Pipeline { stages } => {
                if !(single_replica && plan.tensor == 1 && plan.pipeline > 1) {
                    Some(format!("a pipeline claim; this run is {}", layout(result)))
                } else {
                    stages
                        .filter(|&s| s != plan.pipeline)
                        .map(|s| format!("a claim for {s} stages; this run has {}", plan.pipeline))
                }
            }
            Rule::Tensor => (!(single_replica && plan.pipeline == 1 && plan.tensor > 1))
                .then(|| format!("a tensor-parallel claim; this run is {}", layout(result))),
            Rule::Speculative => plan.draft.is_none().then(|| {
                "a speculative-decoding claim; this run does not use speculative decoding".into()
            }),
            Rule::Moe => plan
                .moe
                .is_none()
                .then(|| "a mixture-of-experts claim; this run has no expert chips".into()),
            Rule::Chips(n) => (!near_size(chips, n)).then(|| {
                format!(
                    "a claim for {} chips; this run has {} (more than {} away)",
                    format::grouped(n.into()),
                    format::grouped(chips.into()),
                    format::percent(SIZE_TOLERANCE)
                )
            }),
        }
    }
}

/// The run's parallelism in words (`pipeline 5 x tensor 1 x replicas 1, with a draft chip`).
fn layout(result: &RunResult) -> String {
    let p = &result.plan;
    format!(
        "pipeline {} x tensor {} x replicas {}{}",
        p.pipeline,
        p.tensor,
        format::grouped(p.replicas.into()),
        if p.draft.is_some() {
            ", with a speculative draft chip per replica"
        } else {
            ""
        }
    )
}

/// ruvsim's side of one claim.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// The claim is about another kind of setup.
    DoesNotApply(String),
    /// ruvsim's figure for this run, beside the claim.
    Compared {
        /// ruvsim's value, in the claim's unit.
        value: f64,
        /// Its tier.
        tier: Tier,
        /// What ruvsim's figure is (`throughput over the makespan`).
        basis: String,
        /// Differences between the claim's setup and this run worth knowing.
        caveats: Vec<String>,
    },
    /// The claim applies but ruvsim's figure needs a baseline run (or the data is missing).
    NoFigure(String),
}

/// A claim with ruvsim's verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimCheck {
    /// The claim.
    pub claim: &'static Claim,
    /// ruvsim's side.
    pub verdict: Verdict,
}

impl ClaimCheck {
    /// The claim over ruvsim's figure (`(low, high)` for a range), when both are comparable.
    pub fn ratio(&self) -> Option<(f64, f64)> {
        match self.verdict {
            Verdict::Compared { value, .. } if value > 0.0 => {
                Some((self.claim.low / value, self.claim.high / value))
            }
            _ => None,
        }
    }
}

impl Quantity {
    /// Whether a smaller value is the better one (times and power).
    pub fn lower_is_better(self) -> bool {
        matches!(self, Quantity::TokenTime | Quantity::Power)
    }
}

/// Every claim in [`CLAIMS`] checked against `result`; speed-ups use `baseline` when given (a
/// standalone run of the same model on one chip of the same variant).
pub fn check(result: &RunResult, baseline: Option<&RunResult>) -> Vec<ClaimCheck> {
    CLAIMS
        .iter()
        .map(|claim| ClaimCheck {
            claim,
            verdict: match claim.rule.mismatch(result) {
                Some(reason) => Verdict::DoesNotApply(reason),
                None => figure(claim, result, baseline),
            },
        })
        .collect()
}

/// ruvsim's figure for an applicable claim.
fn figure(claim: &Claim, result: &RunResult, baseline: Option<&RunResult>) -> Verdict {
    let mut caveats = Vec::new();
    if claim.chips != result.cluster.chips {
        let difference = f64::from(result.cluster.chips) / f64::from(claim.chips) - 1.0;
        caveats.push(format!(
            "the claim is for {} chips, this run has {} ({} {})",
            format::grouped(claim.chips.into()),
            format::grouped(result.cluster.chips.into()),
            format::percent(difference.abs()),
            if difference > 0.0 { "more" } else { "fewer" }
        ));
    }
    let (value, tier, basis) = match claim.quantity {
        Quantity::Throughput => (
            result.summary.throughput_tok_s,
            result.tier,
            "generated tokens per second over the makespan".to_string(),
        ),
        Quantity::TokenTime => {
            let itl = &result.summary.inter_token_latency;
            if itl.count == 0 {
                return Verdict::NoFigure(
                    "no request generated two tokens, so there is no time per token".into(),
                );
            }
            (
                itl.mean.as_ps() as f64 / ruvsim_engine::time::PS_PER_MS as f64,
                result.tier,
                "mean inter-token latency".to_string(),
            )
        }
        Quantity::Power => match result.energy.average_power_nw {
            Some(nw) => (
                nw as f64 / 1e9,
                result.energy.tier,
                "average power of every chip over the run (links not modelled)".to_string(),
            ),
            None => return Verdict::NoFigure("the run's energy window is empty".into()),
        },
        Quantity::TokensPerJoule => {
            if result.energy.total_nj == 0 {
                return Verdict::NoFigure("the run used no energy".into());
            }
            (
                result.summary.tokens_generated as f64 / (result.energy.total_nj as f64 / 1e9),
                result.energy.tier,
                "tokens generated per joule of chip energy".to_string(),
            )
        }
        Quantity::Speedup => match baseline_mismatch(result, baseline) {
            Err(reason) => return Verdict::NoFigure(reason),
            Ok(base) => (
                result.summary.throughput_tok_s / base.summary.throughput_tok_s,
                result.tier.max(base.tier),
                format!(
                    "throughput over the standalone run's {} tok/s",
                    format::number(base.summary.throughput_tok_s)
                ),
            ),
        },
    };
    Verdict::Compared {
        value,
        tier,
        basis,
        caveats,
    }
}

/// The baseline when it is a standalone run of the same model and variant, otherwise what to do.
fn baseline_mismatch<'a>(
    result: &RunResult,
    baseline: Option<&'a RunResult>,
) -> Result<&'a RunResult, String> {
    let wanted = format!(
        "a speed-up needs a baseline: the same model on one {} alone",
        result.cluster.variant
    );
    let Some(base) = baseline else {
        return Err(format!("{wanted}; run the standalone scenario to compare"));
    };
    if base.cluster.chips != 1 {
        return Err(format!(
            "{wanted}, but the baseline given has {} chips",
            base.cluster.chips
        ));
    }
    if base.cluster.variant != result.cluster.variant || base.model.config != result.model.config {
        return Err(format!(
            "{wanted}, but the baseline given runs another model or variant"
        ));
    }
    if base.summary.throughput_tok_s <= 0.0 {
        return Err(format!("{wanted}, but the baseline generated no tokens"));
    }
    Ok(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_ranges_ordered() {
        let mut ids: Vec<&str> = CLAIMS.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CLAIMS.len());
        for c in CLAIMS {
            assert!(c.low <= c.high && c.low > 0.0, "{}", c.id);
        }
    }

    #[test]
    fn value_text_shows_ranges_and_units() {
        let find = |id| CLAIMS.iter().find(|c| c.id == id).unwrap();
        assert_eq!(find("pipeline-4.2x").value_text(), "4.2x");
        assert_eq!(
            find("single-esp32s3-measured-20-50").value_text(),
            "20-50 tok/s"
        );
        assert_eq!(find("combined-11434").value_text(), "11,434 tok/s");
    }

    /// A run answers a size claim within 5% of it: 1,024 chips the claim for 1,000, 1,048,580
    /// the one for 1,000,000, and 1,100 chips neither.
    #[test]
    fn size_claims_match_the_nearest_run_within_five_percent() {
        assert!(near_size(1_024, 1_000));
        assert!(near_size(1_048_580, 1_000_000));
        assert!(near_size(100_000, 100_000));
        assert!(!near_size(1_100, 1_000));
        assert!(!near_size(4_096, 1_000));
    }
}
