//! The Pareto frontier: the designs no other design beats on every objective at once.
//!
//! A design dominates another when it is at least as good on every objective and strictly
//! better on one. The points are sorted best-first on the objectives in order (then by id), so
//! any point's dominators come before it; each point is compared only with the frontier found so
//! far, which holds a dominator of every dominated point seen (dominance is transitive). That
//! makes the cost the number of points times the frontier's size rather than its square.
//! Designs with equal objective values dominate neither one another: both stay.

use std::cmp::Ordering;

use crate::sweep::objective::Goal;

/// One candidate: a design id and its objective values, in the order of the goals.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// The design.
    pub id: u64,
    /// Its value of each objective (finite).
    pub values: Vec<f64>,
}

/// Whether `a` dominates `b` under `goals`.
pub fn dominates(a: &[f64], b: &[f64], goals: &[Goal]) -> bool {
    let mut strictly = false;
    for ((&x, &y), &goal) in a.iter().zip(b).zip(goals) {
        if goal.better(y, x) {
            return false;
        }
        strictly |= goal.better(x, y);
    }
    strictly
}

/// The ids of the non-dominated points, ascending. Points with a non-finite value are left out.
pub fn frontier(points: &[Point], goals: &[Goal]) -> Vec<u64> {
    let mut order: Vec<&Point> = points
        .iter()
        .filter(|p| p.values.len() == goals.len() && p.values.iter().all(|v| v.is_finite()))
        .collect();
    order.sort_by(|a, b| best_first(a, b, goals));
    let mut front: Vec<&Point> = Vec::new();
    for point in order {
        if !front
            .iter()
            .any(|f| dominates(&f.values, &point.values, goals))
        {
            front.push(point);
        }
    }
    let mut ids: Vec<u64> = front.iter().map(|p| p.id).collect();
    ids.sort_unstable();
    ids
}

/// Lexicographic order on the objectives, better first, then by id.
fn best_first(a: &Point, b: &Point, goals: &[Goal]) -> Ordering {
    for ((&x, &y), &goal) in a.values.iter().zip(&b.values).zip(goals) {
        let order = match goal {
            Goal::Min => x.total_cmp(&y),
            Goal::Max => y.total_cmp(&x),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    a.id.cmp(&b.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(id: u64, values: &[f64]) -> Point {
        Point {
            id,
            values: values.to_vec(),
        }
    }

    /// The quadratic definition, to check the sorted algorithm against.
    fn brute_force(points: &[Point], goals: &[Goal]) -> Vec<u64> {
        points
            .iter()
            .filter(|a| {
                !points
                    .iter()
                    .any(|b| dominates(&b.values, &a.values, goals))
            })
            .map(|a| a.id)
            .collect()
    }

    #[test]
    fn hand_checked_cost_against_throughput() {
        // (cost USD, tok/s): minimise cost, maximise throughput.
        //  0: (20, 100) frontier: cheapest
        //  1: (40, 300) frontier
        //  2: (40, 250) dominated by 1 (same cost, slower)
        //  3: (60, 280) dominated by 1 (dearer and slower)
        //  4: (80, 500) frontier: fastest
        //  5: (80, 500) frontier: equal to 4, neither dominates
        //  6: (100, 450) dominated by 4
        //  7: (20, 90) dominated by 0
        let points = [
            p(0, &[20.0, 100.0]),
            p(1, &[40.0, 300.0]),
            p(2, &[40.0, 250.0]),
            p(3, &[60.0, 280.0]),
            p(4, &[80.0, 500.0]),
            p(5, &[80.0, 500.0]),
            p(6, &[100.0, 450.0]),
            p(7, &[20.0, 90.0]),
        ];
        let goals = [Goal::Min, Goal::Max];
        assert_eq!(frontier(&points, &goals), vec![0, 1, 4, 5]);
    }

    #[test]
    fn hand_checked_three_objectives() {
        // (cost, energy per token, tok/s): min, min, max.
        //  0: (10, 5, 100) frontier: cheapest
        //  1: (30, 1, 100) frontier: least energy
        //  2: (30, 2, 100) dominated by 1
        //  3: (50, 3, 400) frontier: fastest
        //  4: (50, 3, 399) dominated by 3
        //  5: (f64::NAN, ...) left out
        let points = [
            p(0, &[10.0, 5.0, 100.0]),
            p(1, &[30.0, 1.0, 100.0]),
            p(2, &[30.0, 2.0, 100.0]),
            p(3, &[50.0, 3.0, 400.0]),
            p(4, &[50.0, 3.0, 399.0]),
            p(5, &[f64::NAN, 0.0, 1000.0]),
        ];
        let goals = [Goal::Min, Goal::Min, Goal::Max];
        assert_eq!(frontier(&points, &goals), vec![0, 1, 3]);
    }

    #[test]
    fn a_single_objective_keeps_only_the_best() {
        let points = [p(3, &[2.0]), p(1, &[1.0]), p(2, &[1.0])];
        assert_eq!(frontier(&points, &[Goal::Min]), vec![1, 2]);
        assert_eq!(frontier(&points, &[Goal::Max]), vec![3]);
        assert!(frontier(&[], &[Goal::Max]).is_empty());
    }

    #[test]
    fn agrees_with_the_definition_on_a_grid_of_ties() {
        // Deterministic pseudo-random points on a small grid, so ties are frequent.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 6) as f64
        };
        let points: Vec<Point> = (0..300)
            .map(|id| p(id, &[next(), next(), next()]))
            .collect();
        for goals in [
            [Goal::Min, Goal::Max, Goal::Min],
            [Goal::Max, Goal::Max, Goal::Max],
        ] {
            assert_eq!(frontier(&points, &goals), brute_force(&points, &goals));
        }
    }
}
