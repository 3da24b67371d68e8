//! Comparing a run's figures with the baseline: what changed, by how much, and whether it is a
//! regression (worse beyond the tolerance), an improvement, or a change within the tolerance.

use std::cmp::Ordering;

use super::baseline::{Better, Figure, Value, FIGURES};

/// What a change means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Exactly the recorded value.
    Unchanged,
    /// Better than recorded (passes; `--update` records it).
    Improved,
    /// Worse than recorded, but by no more than the tolerance (passes).
    WithinTolerance,
    /// Worse than recorded beyond the tolerance (fails).
    Regressed,
    /// No value recorded yet (fails until `--update` records one).
    NotRecorded,
}

impl Verdict {
    /// The word printed in the table.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Unchanged => "unchanged",
            Verdict::Improved => "improved",
            Verdict::WithinTolerance => "worse, within tolerance",
            Verdict::Regressed => "REGRESSED",
            Verdict::NotRecorded => "not recorded",
        }
    }

    /// Whether this verdict makes `ruvsim regress` fail.
    pub fn fails(self) -> bool {
        matches!(self, Verdict::Regressed | Verdict::NotRecorded)
    }
}

/// One figure of one scenario, compared.
#[derive(Clone, Copy, Debug)]
pub struct Change {
    /// The figure.
    pub figure: &'static Figure,
    /// What the baseline holds.
    pub recorded: Option<Value>,
    /// What the run gave.
    pub now: Value,
    /// The relative change in percent (`None` when the recorded value is missing or zero).
    pub percent: Option<f64>,
    /// What it means.
    pub verdict: Verdict,
}

/// Orders two values of the same figure (whole numbers exactly).
fn order(a: Value, b: Value) -> Ordering {
    match (a, b) {
        (Value::Whole(a), Value::Whole(b)) => a.cmp(&b),
        (a, b) => a.as_f64().total_cmp(&b.as_f64()),
    }
}

/// Compares every figure of a run (`now`, in [`FIGURES`] order) with the recorded ones;
/// `tolerance_pct` is how much worse (in percent of the recorded value) still passes.
pub fn compare(recorded: &[Option<Value>], now: &[Value], tolerance_pct: f64) -> Vec<Change> {
    FIGURES
        .iter()
        .zip(recorded)
        .zip(now)
        .map(|((figure, &recorded), &now)| {
            let Some(old) = recorded else {
                return Change {
                    figure,
                    recorded,
                    now,
                    percent: None,
                    verdict: Verdict::NotRecorded,
                };
            };
            let percent = (old.as_f64() != 0.0)
                .then(|| (now.as_f64() - old.as_f64()) / old.as_f64().abs() * 100.0);
            let ordering = order(now, old);
            let worse = match figure.better {
                Better::Higher => ordering == Ordering::Less,
                Better::Lower => ordering == Ordering::Greater,
            };
            let verdict = if ordering == Ordering::Equal {
                Verdict::Unchanged
            } else if !worse {
                Verdict::Improved
            } else if percent.is_some_and(|p| p.abs() <= tolerance_pct) {
                Verdict::WithinTolerance
            } else {
                Verdict::Regressed
            };
            Change {
                figure,
                recorded,
                now,
                percent,
                verdict,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded() -> Vec<Option<Value>> {
        vec![
            Some(Value::Real(100.0)),
            Some(Value::Whole(1_000)),
            Some(Value::Whole(1_000)),
            Some(Value::Whole(1_000)),
            Some(Value::Whole(1_000)),
            Some(Value::Whole(0)),
        ]
    }

    fn now(throughput: f64, ttft: u64, failed: u64) -> Vec<Value> {
        vec![
            Value::Real(throughput),
            Value::Whole(ttft),
            Value::Whole(1_000),
            Value::Whole(1_000),
            Value::Whole(1_000),
            Value::Whole(failed),
        ]
    }

    fn verdicts(changes: &[Change]) -> Vec<Verdict> {
        changes.iter().map(|c| c.verdict).collect()
    }

    #[test]
    fn identical_figures_are_unchanged() {
        let changes = compare(&recorded(), &now(100.0, 1_000, 0), 0.0);
        assert!(changes.iter().all(|c| c.verdict == Verdict::Unchanged));
    }

    #[test]
    fn direction_decides_regression_or_improvement() {
        let changes = compare(&recorded(), &now(99.0, 900, 0), 0.0);
        assert_eq!(changes[0].verdict, Verdict::Regressed);
        assert_eq!(changes[0].percent, Some(-1.0));
        assert_eq!(changes[1].verdict, Verdict::Improved);
        let changes = compare(&recorded(), &now(101.0, 1_001, 0), 0.0);
        assert_eq!(changes[0].verdict, Verdict::Improved);
        assert_eq!(changes[1].verdict, Verdict::Regressed);
    }

    #[test]
    fn tolerance_lets_small_losses_pass() {
        let changes = compare(&recorded(), &now(99.0, 1_010, 0), 1.0);
        assert_eq!(
            verdicts(&changes)[..2],
            [Verdict::WithinTolerance, Verdict::WithinTolerance]
        );
        let changes = compare(&recorded(), &now(98.9, 1_011, 0), 1.0);
        assert_eq!(
            verdicts(&changes)[..2],
            [Verdict::Regressed, Verdict::Regressed]
        );
    }

    #[test]
    fn any_rise_from_zero_is_a_regression() {
        let changes = compare(&recorded(), &now(100.0, 1_000, 1), 50.0);
        assert_eq!(changes[5].verdict, Verdict::Regressed);
        assert_eq!(changes[5].percent, None);
    }

    #[test]
    fn missing_values_fail_until_recorded() {
        let mut old = recorded();
        old[2] = None;
        let changes = compare(&old, &now(100.0, 1_000, 0), 0.0);
        assert_eq!(changes[2].verdict, Verdict::NotRecorded);
        assert!(changes[2].verdict.fails());
    }
}
