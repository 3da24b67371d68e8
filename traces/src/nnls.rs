//! Non-negative least squares (Lawson and Hanson, *Solving Least Squares Problems*, 1974, ch. 23)
//! and a rank test, for fitting calibration coefficients that cannot be negative.
//!
//! Sub-problems are solved by Householder QR on the passive columns (never the normal equations,
//! which square the condition number). Callers scale columns to comparable norms first.

use thiserror::Error;

/// A dense row-major matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    rows: usize,
    cols: usize,
    data: Vec<f64>,
}

impl Matrix {
    /// A matrix from its rows (all of the same length).
    pub fn from_rows(rows: &[Vec<f64>], cols: usize) -> Result<Matrix, NnlsError> {
        let mut data = Vec::with_capacity(rows.len() * cols);
        for (i, row) in rows.iter().enumerate() {
            if row.len() != cols {
                return Err(NnlsError::Shape(format!(
                    "row {i} has {} entries, expected {cols}",
                    row.len()
                )));
            }
            if let Some(v) = row.iter().find(|v| !v.is_finite()) {
                return Err(NnlsError::Shape(format!("row {i} holds {v}")));
            }
            data.extend_from_slice(row);
        }
        Ok(Matrix {
            rows: rows.len(),
            cols,
            data,
        })
    }

    /// Rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Entry `(i, j)`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.cols + j]
    }

    /// `A x`.
    pub fn times(&self, x: &[f64]) -> Vec<f64> {
        (0..self.rows)
            .map(|i| (0..self.cols).map(|j| self.get(i, j) * x[j]).sum())
            .collect()
    }

    /// `A^T v`.
    fn transposed_times(&self, v: &[f64]) -> Vec<f64> {
        (0..self.cols)
            .map(|j| (0..self.rows).map(|i| self.get(i, j) * v[i]).sum())
            .collect()
    }

    /// Euclidean norm of column `j`.
    pub fn column_norm(&self, j: usize) -> f64 {
        (0..self.rows)
            .map(|i| self.get(i, j).powi(2))
            .sum::<f64>()
            .sqrt()
    }
}

/// Why a fit could not be made.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum NnlsError {
    /// Inconsistent sizes or non-finite entries.
    #[error("least-squares input: {0}")]
    Shape(String),
    /// The iteration limit was reached (it is three times the column count; Lawson and Hanson
    /// show termination, so this means a numerical breakdown).
    #[error("non-negative least squares did not converge in {0} iterations")]
    NoConvergence(usize),
}

/// Least squares `min |A_S s - b|` over the columns `subset`, by Householder QR. Returns the
/// coefficients of the subset, in its order.
fn subset_least_squares(a: &Matrix, subset: &[usize], b: &[f64]) -> Vec<f64> {
    let (m, n) = (a.rows, subset.len());
    let mut r: Vec<Vec<f64>> = subset
        .iter()
        .map(|&j| (0..m).map(|i| a.get(i, j)).collect())
        .collect();
    let mut y = b.to_vec();
    for k in 0..n.min(m) {
        let norm = r[k][k..].iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm == 0.0 {
            continue;
        }
        let alpha = if r[k][k] > 0.0 { -norm } else { norm };
        let mut v: Vec<f64> = r[k][k..].to_vec();
        v[0] -= alpha;
        let vnorm2: f64 = v.iter().map(|x| x * x).sum();
        if vnorm2 == 0.0 {
            continue;
        }
        let reflect = |column: &mut [f64]| {
            let dot: f64 = v.iter().zip(column.iter()).map(|(a, b)| a * b).sum();
            let factor = 2.0 * dot / vnorm2;
            for (c, vi) in column.iter_mut().zip(&v) {
                *c -= factor * vi;
            }
        };
        for column in r.iter_mut().skip(k) {
            reflect(&mut column[k..]);
        }
        reflect(&mut y[k..]);
    }
    let mut s = vec![0.0; n];
    let scale = r
        .iter()
        .enumerate()
        .map(|(k, c)| c.get(k).copied().unwrap_or(0.0).abs())
        .fold(0.0, f64::max);
    for k in (0..n.min(m)).rev() {
        let diagonal = r[k][k];
        if diagonal.abs() <= scale * 1e-12 {
            continue;
        }
        let tail: f64 = ((k + 1)..n).map(|j| r[j][k] * s[j]).sum();
        s[k] = (y[k] - tail) / diagonal;
    }
    s
}

/// Minimises `|A x - b|` subject to `x >= 0` (Lawson-Hanson active set).
pub fn nnls(a: &Matrix, b: &[f64]) -> Result<Vec<f64>, NnlsError> {
    if b.len() != a.rows {
        return Err(NnlsError::Shape(format!(
            "{} right-hand sides for {} rows",
            b.len(),
            a.rows
        )));
    }
    let n = a.cols;
    let mut x = vec![0.0; n];
    let mut passive = vec![false; n];
    let gradient_scale = (0..n).map(|j| a.column_norm(j)).fold(0.0, f64::max)
        * b.iter().map(|v| v * v).sum::<f64>().sqrt();
    let tolerance = 1e-12 * gradient_scale.max(f64::MIN_POSITIVE);
    let limit = 3 * n.max(1);
    let mut iterations = 0;
    loop {
        let residual: Vec<f64> = b.iter().zip(a.times(&x)).map(|(b, ax)| b - ax).collect();
        let w = a.transposed_times(&residual);
        let candidate = (0..n)
            .filter(|&j| !passive[j] && w[j] > tolerance)
            .max_by(|&i, &j| w[i].total_cmp(&w[j]));
        let Some(entering) = candidate else {
            return Ok(x);
        };
        iterations += 1;
        if iterations > limit {
            return Err(NnlsError::NoConvergence(limit));
        }
        passive[entering] = true;
        loop {
            let subset: Vec<usize> = (0..n).filter(|&j| passive[j]).collect();
            let solution = subset_least_squares(a, &subset, b);
            let mut z = vec![0.0; n];
            for (&j, &value) in subset.iter().zip(&solution) {
                z[j] = value;
            }
            if subset.iter().all(|&j| z[j] > 0.0) {
                x = z;
                break;
            }
            let (alpha, leaving) = subset
                .iter()
                .filter(|&&j| z[j] <= 0.0)
                .map(|&j| (x[j] / (x[j] - z[j]), j))
                .fold((f64::INFINITY, entering), |best, next| {
                    if next.0 < best.0 {
                        next
                    } else {
                        best
                    }
                });
            for j in 0..n {
                x[j] += alpha * (z[j] - x[j]);
            }
            x[leaving] = 0.0;
            for &j in &subset {
                if x[j] <= 0.0 {
                    x[j] = 0.0;
                    passive[j] = false;
                }
            }
            if !passive.iter().any(|&p| p) {
                break;
            }
        }
    }
}

/// Columns the data cannot determine: all-zero columns, and columns that are (numerically) linear
/// combinations of others, found by QR with column pivoting on the column-normalised matrix.
/// Returns `(no_signal, dependent)`.
pub fn undetermined_columns(a: &Matrix) -> (Vec<usize>, Vec<usize>) {
    let norms: Vec<f64> = (0..a.cols).map(|j| a.column_norm(j)).collect();
    let no_signal: Vec<usize> = (0..a.cols).filter(|&j| norms[j] == 0.0).collect();
    let mut columns: Vec<(usize, Vec<f64>)> = (0..a.cols)
        .filter(|&j| norms[j] > 0.0)
        .map(|j| (j, (0..a.rows).map(|i| a.get(i, j) / norms[j]).collect()))
        .collect();
    let mut dependent = Vec::new();
    let mut basis: Vec<Vec<f64>> = Vec::new();
    // Gram-Schmidt (twice, for stability) picking the column with the largest remaining norm.
    while !columns.is_empty() {
        for (_, column) in columns.iter_mut() {
            for _ in 0..2 {
                for q in &basis {
                    let dot: f64 = q.iter().zip(column.iter()).map(|(a, b)| a * b).sum();
                    for (c, qi) in column.iter_mut().zip(q) {
                        *c -= dot * qi;
                    }
                }
            }
        }
        let (best, norm) = columns
            .iter()
            .enumerate()
            .map(|(i, (_, c))| (i, c.iter().map(|v| v * v).sum::<f64>().sqrt()))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, 0.0));
        if norm < 1e-9 {
            dependent.extend(columns.iter().map(|(j, _)| *j));
            break;
        }
        let (_, column) = columns.remove(best);
        basis.push(column.iter().map(|v| v / norm).collect());
    }
    dependent.sort_unstable();
    (no_signal, dependent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn matrix(rows: &[&[f64]]) -> Matrix {
        let rows: Vec<Vec<f64>> = rows.iter().map(|r| r.to_vec()).collect();
        Matrix::from_rows(&rows, rows[0].len()).unwrap()
    }

    #[test]
    fn recovers_an_exact_non_negative_solution() {
        let a = matrix(&[
            &[1.0, 2.0, 0.5],
            &[3.0, 1.0, 0.0],
            &[0.0, 4.0, 1.0],
            &[2.0, 2.0, 2.0],
        ]);
        let truth = [0.7, 1.3, 2.1];
        let x = nnls(&a, &a.times(&truth)).unwrap();
        for (x, t) in x.iter().zip(truth) {
            assert!((x - t).abs() < 1e-10, "{x} vs {t}");
        }
    }

    #[test]
    fn clamps_a_coefficient_the_data_would_make_negative() {
        // Unconstrained least squares gives x = (2, -1); the constrained optimum is (x0, 0).
        let a = matrix(&[&[1.0, 1.0], &[1.0, 2.0], &[1.0, 3.0]]);
        let b = [1.0, 0.0, -1.0];
        let x = nnls(&a, &b).unwrap();
        assert_eq!(x[1], 0.0);
        assert!((x[0] - 0.0).abs() < 1e-12, "{x:?}");
    }

    #[test]
    fn finds_zero_and_collinear_columns() {
        let a = matrix(&[
            &[1.0, 0.0, 2.0, 1.0],
            &[2.0, 0.0, 4.0, 0.0],
            &[3.0, 0.0, 6.0, 5.0],
        ]);
        let (zero, dependent) = undetermined_columns(&a);
        assert_eq!(zero, vec![1]);
        assert_eq!(dependent.len(), 1);
        assert!(dependent[0] == 0 || dependent[0] == 2);
    }

    #[test]
    fn rejects_bad_shapes() {
        assert!(Matrix::from_rows(&[vec![1.0], vec![1.0, 2.0]], 1).is_err());
        assert!(Matrix::from_rows(&[vec![f64::NAN]], 1).is_err());
        let a = matrix(&[&[1.0]]);
        assert!(nnls(&a, &[1.0, 2.0]).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The Karush-Kuhn-Tucker conditions of the solution: x >= 0, the gradient A^T(b - Ax)
        /// is ~0 where x > 0 and <= ~0 where x = 0.
        #[test]
        fn solutions_satisfy_the_optimality_conditions(
            entries in proptest::collection::vec(-5.0f64..5.0, 24),
            b in proptest::collection::vec(-5.0f64..5.0, 6),
        ) {
            let rows: Vec<Vec<f64>> = entries.chunks(4).map(<[f64]>::to_vec).collect();
            let a = Matrix::from_rows(&rows, 4).unwrap();
            let x = nnls(&a, &b).unwrap();
            let residual: Vec<f64> = b.iter().zip(a.times(&x)).map(|(b, ax)| b - ax).collect();
            let w = a.transposed_times(&residual);
            for j in 0..4 {
                prop_assert!(x[j] >= 0.0);
                if x[j] > 1e-9 {
                    prop_assert!(w[j].abs() < 1e-6, "w[{}] = {} at x = {:?}", j, w[j], x);
                } else {
                    prop_assert!(w[j] < 1e-6, "w[{}] = {} at x = {:?}", j, w[j], x);
                }
            }
        }
    }
}
