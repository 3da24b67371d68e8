//! The sweep file: a base scenario, the axes varied over it, derived keys, constraints,
//! objectives and the user's chip prices, read and checked into a [`Sweep`].
//!
//! ```toml
//! [sweep]
//! name = "s3-pipelines"
//! base = "pipeline5.toml"          # relative to this file; or an inline [base] table
//! constraints = ["chips <= 64", "inter_token_p99_ms <= 50"]
//! objectives = ["min cost_usd", "max throughput_tok_s"]
//!
//! [cost]
//! price_usd = { esp32s3 = 4.0 }    # user input: the sweep invents no prices
//!
//! [[axis]]
//! key = "parallelism.pipeline"
//! range = { from = 1, to = 5 }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Table;

use ruvsim_hw::calibration::Variant;
use ruvsim_sim::toml_error::from_toml_str;

use crate::sweep::axis::{Axis, AxisSpec};
use crate::sweep::constraint::Constraint;
use crate::sweep::derive::DeriveSpec;
use crate::sweep::error::SweepError;
use crate::sweep::metric::Metric;
use crate::sweep::objective::Objective;

/// The whole sweep file, as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    /// Name, base, constraints and objectives.
    pub sweep: SweepMeta,
    /// The user's chip prices.
    #[serde(default)]
    pub cost: Option<CostSpec>,
    /// An inline base scenario (instead of `sweep.base`).
    #[serde(default)]
    pub base: Option<Table>,
    /// The axes, in order: the first varies slowest.
    #[serde(default)]
    pub axis: Vec<AxisSpec>,
    /// Derived keys, applied in order after the axes.
    #[serde(default)]
    pub derive: Vec<DeriveSpec>,
}

/// `[sweep]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepMeta {
    /// Short name: designs are named `<name>-<id>`, and the default output folder after it.
    pub name: String,
    /// One or two sentences for the report.
    #[serde(default)]
    pub description: String,
    /// The base scenario file, relative to the sweep file (or an inline `[base]` table).
    #[serde(default)]
    pub base: Option<String>,
    /// What a design must satisfy to count.
    #[serde(default)]
    pub constraints: Vec<String>,
    /// The figures traded off (at least one).
    #[serde(default)]
    pub objectives: Vec<String>,
}

/// `[cost]`: prices the user gives; cost = chips x the price of the design's variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostSpec {
    /// US dollars per chip, by variant name (`esp32s3 = 4.0`).
    pub price_usd: BTreeMap<String, f64>,
    /// Where the prices come from, for the report (default: user input).
    #[serde(default)]
    pub source: Option<String>,
}

/// A sweep read and checked: everything needed to build any design by its id.
#[derive(Clone, Debug, PartialEq)]
pub struct Sweep {
    /// The sweep file as named on the command line (for messages).
    pub file: String,
    /// The sweep file's text, verbatim (recorded in `sweep.json`, so any design can be rebuilt).
    pub text: String,
    /// The base scenario file's text, verbatim, when the base is a file.
    pub base_text: Option<String>,
    /// The folder the base scenario's relative paths (model files, calibration) resolve in.
    pub base_dir: PathBuf,
    /// The sweep file as written.
    pub spec: SweepFile,
    /// The base scenario as a value tree.
    pub base: Table,
    /// The axes.
    pub axes: Vec<Axis>,
    /// The constraints.
    pub constraints: Vec<Constraint>,
    /// The objectives.
    pub objectives: Vec<Objective>,
    /// Price per chip by variant, US dollars (user input).
    pub prices: BTreeMap<Variant, f64>,
    /// Where the prices come from.
    pub cost_source: String,
    /// Designs in the sweep: the product of the axes' value counts.
    pub total: u64,
}

impl Sweep {
    /// The sweep's name.
    pub fn name(&self) -> &str {
        &self.spec.sweep.name
    }

    /// Whether a figure is used by a constraint or an objective.
    pub fn uses(&self, metric: Metric) -> bool {
        self.constraints.iter().any(|c| c.metric() == Some(metric))
            || self.objectives.iter().any(|o| o.metric == metric)
    }
}

/// Reads a sweep file and its base scenario file.
pub fn load(path: &Path) -> Result<Sweep, SweepError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| SweepError::Read {
        file: file.clone(),
        source,
    })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    parse(&file, &text, &dir, None)
}

/// Parses sweep text. The base scenario file is read from `dir` unless its text is given (as
/// when a design is rebuilt from `sweep.json`).
pub fn parse(
    file: &str,
    text: &str,
    dir: &Path,
    base_text: Option<String>,
) -> Result<Sweep, SweepError> {
    let spec: SweepFile = from_toml_str(file, text)?;
    let invalid = |key: &str, message: String| SweepError::invalid(file, key, message);
    if spec.sweep.name.trim().is_empty() {
        return Err(invalid("sweep.name", "give the sweep a name".into()));
    }
    let (base, base_text, base_dir) =
        match (&spec.sweep.base, &spec.base) {
            (Some(name), None) => {
                let path = dir.join(name);
                let base_file = path.display().to_string();
                let base_text = match base_text {
                    Some(given) => given,
                    None => std::fs::read_to_string(&path).map_err(|source| SweepError::Read {
                        file: format!("{base_file} (sweep.base in {file})"),
                        source,
                    })?,
                };
                let table: Table = from_toml_str(&base_file, &base_text)?;
                let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                (table, Some(base_text), base_dir)
            }
            (None, Some(table)) => (table.clone(), None, dir.to_path_buf()),
            (Some(_), Some(_)) => return Err(invalid(
                "base",
                "give the base scenario either as sweep.base = \"FILE\" or as an inline [base] \
                 table, not both"
                    .into(),
            )),
            (None, None) => {
                return Err(invalid(
                    "sweep.base",
                    "no base scenario: write base = \"FILE.toml\" under [sweep] (relative to this \
                 file) or an inline [base] table holding a scenario"
                        .into(),
                ))
            }
        };
    let mut axes: Vec<Axis> = Vec::with_capacity(spec.axis.len());
    for (i, axis_spec) in spec.axis.iter().enumerate() {
        let key = format!("axis[{i}] ({})", axis_spec.key);
        let axis = Axis::from_spec(axis_spec).map_err(|m| invalid(&key, m))?;
        if axes.iter().any(|a| a.key == axis.key) {
            return Err(invalid(
                &key,
                "this key is already an axis: merge the two lists".into(),
            ));
        }
        axes.push(axis);
    }
    for (i, rule) in spec.derive.iter().enumerate() {
        let key = format!("derive[{i}] ({})", rule.key);
        rule.check().map_err(|m| invalid(&key, m))?;
        if axes.iter().any(|a| a.key == rule.key) {
            return Err(invalid(
                &key,
                "this key is an axis: a key is either swept or derived".into(),
            ));
        }
    }
    let constraints = spec
        .sweep
        .constraints
        .iter()
        .enumerate()
        .map(|(i, c)| {
            Constraint::parse(c).map_err(|m| invalid(&format!("sweep.constraints[{i}]"), m))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let objectives = spec
        .sweep
        .objectives
        .iter()
        .enumerate()
        .map(|(i, o)| {
            Objective::parse(o).map_err(|m| invalid(&format!("sweep.objectives[{i}]"), m))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if objectives.is_empty() {
        return Err(invalid(
            "sweep.objectives",
            "a sweep needs at least one objective, such as objectives = [\"min cost_usd\", \"max \
             throughput_tok_s\"]"
                .into(),
        ));
    }
    for (i, o) in objectives.iter().enumerate() {
        if objectives[..i].iter().any(|p| p.metric == o.metric) {
            return Err(invalid(
                &format!("sweep.objectives[{i}]"),
                format!("{} is already an objective", o.metric),
            ));
        }
    }
    let (prices, cost_source) = prices(file, &spec)?;
    let total = axes
        .iter()
        .try_fold(1u64, |n, a| n.checked_mul(a.values.len() as u64));
    let Some(total) = total else {
        return Err(invalid(
            "axis",
            "the axes' product of value counts overflows a 64-bit count; narrow them".into(),
        ));
    };
    let sweep = Sweep {
        file: file.to_string(),
        text: text.to_string(),
        base_text,
        base_dir,
        spec,
        base,
        axes,
        constraints,
        objectives,
        prices,
        cost_source,
        total,
    };
    if sweep.uses(Metric::CostUsd) && sweep.prices.is_empty() {
        return Err(invalid(
            "cost.price_usd",
            "cost_usd is constrained or an objective, but no price is given: add [cost] with \
             price_usd = { esp32s3 = 4.0, ... } (US dollars per chip, by variant)"
                .into(),
        ));
    }
    Ok(sweep)
}

/// The `[cost]` table checked: variant names and finite, non-negative prices.
fn prices(file: &str, spec: &SweepFile) -> Result<(BTreeMap<Variant, f64>, String), SweepError> {
    let Some(cost) = &spec.cost else {
        return Ok((
            BTreeMap::new(),
            "no prices given: cost is not computed".into(),
        ));
    };
    let mut prices = BTreeMap::new();
    for (name, &price) in &cost.price_usd {
        let key = format!("cost.price_usd.{name}");
        let variant: Variant = name
            .parse()
            .map_err(|e| SweepError::invalid(file, &key, format!("{e}")))?;
        if !(price.is_finite() && price >= 0.0) {
            return Err(SweepError::invalid(
                file,
                &key,
                format!("{price} is not a price: give US dollars per chip, 0 or more"),
            ));
        }
        prices.insert(variant, price);
    }
    let source = cost
        .source
        .clone()
        .unwrap_or_else(|| "user input ([cost] price_usd in the sweep file)".into());
    Ok((prices, source))
}
