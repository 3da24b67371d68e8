//! A sweep's result: one row per design (simulated, infeasible with the reason, or pruned with
//! the constraint that ruled it out), the Pareto frontier over the objectives among the designs
//! that meet every constraint, and the best design per objective. [`SweepResult::assemble`]
//! derives the frontier and the best designs from the rows, for a whole run, a shard and a merge
//! alike, so a merge of shards is exactly the result of one run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sweep::constraint::Constraint;
use crate::sweep::error::SweepError;
use crate::sweep::metric::{Figures, Metric};
use crate::sweep::objective::Objective;
use crate::sweep::pareto::{frontier, Point};
use crate::sweep::shard::Shard;
use crate::sweep::spec::{self, Sweep};

/// What became of a design.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Simulated event by event: its figures are tier `simulated`.
    Simulated,
    /// Could not be built or does not fit (the planner's or validator's reason is recorded).
    Infeasible,
    /// Not simulated: a constraint on its inputs (chips, cost) already rules it out.
    Pruned,
}

impl Status {
    /// The one spelling, in the CSV and the page.
    pub const fn name(self) -> &'static str {
        match self {
            Status::Simulated => "simulated",
            Status::Infeasible => "infeasible",
            Status::Pruned => "pruned",
        }
    }
}

/// One design's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DesignRow {
    /// The design's id (its index in the axes' product).
    pub id: u64,
    /// Its value of each axis, as labels, in axis order.
    pub values: Vec<String>,
    /// What became of it.
    pub status: Status,
    /// Why it is infeasible or pruned.
    pub reason: Option<String>,
    /// Chips in the cluster, when the topology is valid.
    pub chips: Option<u32>,
    /// Chips x the user's price, when a price is given.
    pub cost_usd: Option<f64>,
    /// The simulated figures.
    pub figures: Option<Figures>,
    /// The constraints it fails (a pruned design's input constraints, a simulated design's
    /// others).
    pub failed_constraints: Vec<Constraint>,
    /// Whether it is on the Pareto frontier.
    pub pareto: bool,
}

impl DesignRow {
    /// The design's value of a figure, when it has one.
    pub fn value(&self, metric: Metric) -> Option<f64> {
        match metric {
            Metric::Chips => self.chips.map(f64::from),
            Metric::CostUsd => self.cost_usd,
            other => self.figures.as_ref().and_then(|f| f.get(other)),
        }
    }

    /// Simulated and failing no constraint: a candidate for the frontier.
    pub fn meets_constraints(&self) -> bool {
        self.status == Status::Simulated && self.failed_constraints.is_empty()
    }
}

/// One axis as the outputs list it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AxisSummary {
    /// The dotted scenario key.
    pub key: String,
    /// Its values' labels.
    pub values: Vec<String>,
}

/// What the sweep was: everything but the rows, identical in every shard of one sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepHeader {
    /// The sweep's name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// The sweep file's name (its last path component).
    pub sweep_file: String,
    /// The sweep file's text, verbatim: with `base_text` any design can be rebuilt.
    pub sweep_text: String,
    /// The base scenario file's text, when the base is a file.
    pub base_text: Option<String>,
    /// The axes.
    pub axes: Vec<AxisSummary>,
    /// The derived keys, in words.
    pub derive: Vec<String>,
    /// The constraints.
    pub constraints: Vec<Constraint>,
    /// The objectives.
    pub objectives: Vec<Objective>,
    /// Price per chip by variant, US dollars.
    pub prices_usd: BTreeMap<String, f64>,
    /// Where the prices come from.
    pub cost_source: String,
    /// The rule by which designs are pruned without simulating.
    pub prune_rule: String,
    /// Designs in the whole sweep.
    pub total_designs: u64,
}

/// The pruning rule, as the outputs state it.
pub const PRUNE_RULE: &str = "a design is not simulated when a constraint on chips or cost_usd \
    fails: both are known from the design before simulating, so no simulated figure could make \
    it meet every constraint; a design whose plan does not fit stops at the plan, before any \
    event is simulated";

impl SweepHeader {
    /// The header of `sweep`.
    pub fn of(sweep: &Sweep) -> SweepHeader {
        SweepHeader {
            name: sweep.name().to_string(),
            description: sweep.spec.sweep.description.clone(),
            sweep_file: std::path::Path::new(&sweep.file)
                .file_name()
                .map_or_else(|| sweep.file.clone(), |n| n.to_string_lossy().into_owned()),
            sweep_text: sweep.text.clone(),
            base_text: sweep.base_text.clone(),
            axes: sweep
                .axes
                .iter()
                .map(|a| AxisSummary {
                    key: a.key.clone(),
                    values: a.labels(),
                })
                .collect(),
            derive: sweep.spec.derive.iter().map(|d| d.describe()).collect(),
            constraints: sweep.constraints.clone(),
            objectives: sweep.objectives.clone(),
            prices_usd: sweep
                .prices
                .iter()
                .map(|(v, p)| (v.name().to_string(), *p))
                .collect(),
            cost_source: sweep.cost_source.clone(),
            prune_rule: PRUNE_RULE.to_string(),
            total_designs: sweep.total,
        }
    }

    /// The sweep again, from the texts recorded here (no file is read), to rebuild any design.
    pub fn sweep(&self) -> Result<Sweep, SweepError> {
        spec::parse(
            &self.sweep_file,
            &self.sweep_text,
            std::path::Path::new("."),
            self.base_text.clone(),
        )
    }
}

/// The best design for one objective among those meeting every constraint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Best {
    /// The objective.
    pub objective: Objective,
    /// The design (the lowest id among equals).
    pub id: u64,
    /// Its value.
    pub value: f64,
}

/// A sweep's (or one shard's) result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepResult {
    /// What the sweep was.
    pub header: SweepHeader,
    /// The shard these rows are, or `None` for the whole sweep.
    pub shard: Option<Shard>,
    /// One row per design, by id.
    pub rows: Vec<DesignRow>,
    /// Ids of the Pareto-optimal designs, ascending.
    pub frontier: Vec<u64>,
    /// The best design per objective, in objective order (none when no design qualifies).
    pub best: Vec<Best>,
}

impl SweepResult {
    /// The result of `rows` (sorted by id here): marks the Pareto frontier over the objectives
    /// among the rows meeting every constraint and picks the best design per objective.
    pub fn assemble(
        header: SweepHeader,
        shard: Option<Shard>,
        mut rows: Vec<DesignRow>,
    ) -> SweepResult {
        rows.sort_by_key(|r| r.id);
        let objectives = &header.objectives;
        let points: Vec<Point> = rows
            .iter()
            .filter(|r| r.meets_constraints())
            .filter_map(|r| {
                let values: Option<Vec<f64>> =
                    objectives.iter().map(|o| r.value(o.metric)).collect();
                values.map(|values| Point { id: r.id, values })
            })
            .collect();
        let goals: Vec<_> = objectives.iter().map(|o| o.goal).collect();
        let frontier = frontier(&points, &goals);
        for row in &mut rows {
            row.pareto = frontier.binary_search(&row.id).is_ok();
        }
        let best = objectives
            .iter()
            .enumerate()
            .filter_map(|(i, &objective)| {
                points
                    .iter()
                    .filter(|p| p.values[i].is_finite())
                    .reduce(|a, b| {
                        if objective.goal.better(b.values[i], a.values[i]) {
                            b
                        } else {
                            a
                        }
                    })
                    .map(|p| Best {
                        objective,
                        id: p.id,
                        value: p.values[i],
                    })
            })
            .collect();
        SweepResult {
            header,
            shard,
            rows,
            frontier,
            best,
        }
    }

    /// The row of design `id`.
    pub fn row(&self, id: u64) -> Option<&DesignRow> {
        self.rows
            .binary_search_by_key(&id, |r| r.id)
            .ok()
            .map(|i| &self.rows[i])
    }

    /// How many rows have `status`.
    pub fn count(&self, status: Status) -> usize {
        self.rows.iter().filter(|r| r.status == status).count()
    }
}

/// Combines the results of every shard of one sweep (`names` label them in messages) into the
/// result one run of the whole sweep gives.
pub fn merge(parts: Vec<(String, SweepResult)>) -> Result<SweepResult, SweepError> {
    let fail = |m: String| Err(SweepError::Merge(m));
    let Some((first_name, first)) = parts.first() else {
        return fail("no shard outputs given".into());
    };
    let header = first.header.clone();
    let mut shards: Vec<(String, Shard, Vec<DesignRow>)> = Vec::with_capacity(parts.len());
    for (name, part) in parts.iter() {
        let Some(shard) = part.shard else {
            return fail(format!("{name} holds a whole sweep, not a shard"));
        };
        if part.header != header {
            return fail(format!(
                "{name} and {first_name} come from different sweeps (their sweep files, base \
                 scenarios or prices differ)"
            ));
        }
        if let Some((other, theirs, _)) = shards.iter().find(|(_, s, _)| s.count != shard.count) {
            return fail(format!(
                "{name} is shard {shard} but {other} is shard {theirs}: shards of one split are \
                 merged"
            ));
        }
        if let Some((other, _, _)) = shards.iter().find(|(_, s, _)| *s == shard) {
            return fail(format!("{name} and {other} are both shard {shard}"));
        }
        if let Some(stray) = part.rows.iter().find(|r| !shard.contains(r.id)) {
            return fail(format!(
                "{name} is shard {shard} but holds design {}, which is not in it",
                stray.id
            ));
        }
        shards.push((name.clone(), shard, part.rows.clone()));
    }
    let count = shards[0].1.count;
    let missing: Vec<String> = (1..=count)
        .filter(|&k| !shards.iter().any(|(_, s, _)| s.index == k))
        .map(|k| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        return fail(format!("shard(s) {} missing", missing.join(", ")));
    }
    let mut rows: Vec<DesignRow> = shards.into_iter().flat_map(|(_, _, rows)| rows).collect();
    rows.sort_by_key(|r| r.id);
    if rows.len() as u64 != header.total_designs
        || rows.iter().enumerate().any(|(i, r)| r.id != i as u64)
    {
        return fail(format!(
            "the shards hold {} rows, not one for each of the sweep's {} designs",
            rows.len(),
            header.total_designs
        ));
    }
    Ok(SweepResult::assemble(header, None, rows))
}
