//! Linear least squares for the scaling fits: a few columns, a handful of rows, solved by
//! modified Gram-Schmidt QR so that collinear columns are detected instead of producing
//! meaningless parameters.

/// Relative size below which a column is taken as a combination of the earlier ones.
const COLLINEAR: f64 = 1e-9;

/// Why a least-squares problem has no unique solution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LstsqError {
    /// Fewer rows than parameters.
    TooFewRows {
        /// Rows given.
        rows: usize,
        /// Parameters wanted.
        parameters: usize,
    },
    /// Column `column` is (numerically) a combination of the earlier columns.
    Collinear {
        /// The column.
        column: usize,
    },
    /// A value is not finite.
    NotFinite,
}

/// The `beta` minimising `|X beta - y|^2`, where `rows[i] = (X[i], y[i])`, every `X[i]` of the
/// same length.
pub fn solve(rows: &[(Vec<f64>, f64)]) -> Result<Vec<f64>, LstsqError> {
    let parameters = rows.first().map_or(0, |(x, _)| x.len());
    if rows.len() < parameters || parameters == 0 {
        return Err(LstsqError::TooFewRows {
            rows: rows.len(),
            parameters,
        });
    }
    if rows
        .iter()
        .any(|(x, y)| !y.is_finite() || x.iter().any(|v| !v.is_finite()))
    {
        return Err(LstsqError::NotFinite);
    }
    // Columns of X, orthonormalised in place into Q; R upper triangular.
    let mut q: Vec<Vec<f64>> = (0..parameters)
        .map(|j| rows.iter().map(|(x, _)| x[j]).collect())
        .collect();
    let mut r = vec![vec![0.0; parameters]; parameters];
    for j in 0..parameters {
        let original = norm(&q[j]);
        for i in 0..j {
            let projection = dot(&q[i], &q[j]);
            r[i][j] = projection;
            let (done, rest) = q.split_at_mut(j);
            for (v, qi) in rest[0].iter_mut().zip(&done[i]) {
                *v -= projection * qi;
            }
        }
        let remaining = norm(&q[j]);
        if original == 0.0 || remaining <= COLLINEAR * original {
            return Err(LstsqError::Collinear { column: j });
        }
        r[j][j] = remaining;
        q[j].iter_mut().for_each(|v| *v /= remaining);
    }
    let y: Vec<f64> = rows.iter().map(|(_, y)| *y).collect();
    let qty: Vec<f64> = q.iter().map(|column| dot(column, &y)).collect();
    let mut beta = vec![0.0; parameters];
    for j in (0..parameters).rev() {
        let known: f64 = (j + 1..parameters).map(|k| r[j][k] * beta[k]).sum();
        beta[j] = (qty[j] - known) / r[j][j];
    }
    Ok(beta)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_an_exact_line() {
        let rows: Vec<(Vec<f64>, f64)> = (0..5)
            .map(|i| {
                let x = f64::from(i);
                (vec![1.0, x], 3.0 - 0.5 * x)
            })
            .collect();
        let beta = solve(&rows).unwrap();
        assert!(
            (beta[0] - 3.0).abs() < 1e-12 && (beta[1] + 0.5).abs() < 1e-12,
            "{beta:?}"
        );
    }

    #[test]
    fn least_squares_of_an_inconsistent_system() {
        // y = c fitted to 1, 2, 6: the mean.
        let rows = vec![(vec![1.0], 1.0), (vec![1.0], 2.0), (vec![1.0], 6.0)];
        assert!((solve(&rows).unwrap()[0] - 3.0).abs() < 1e-12);
    }

    #[test]
    fn collinear_columns_and_short_systems_are_refused() {
        let rows = vec![
            (vec![1.0, 2.0], 1.0),
            (vec![2.0, 4.0], 2.0),
            (vec![3.0, 6.0], 2.0),
        ];
        assert_eq!(solve(&rows), Err(LstsqError::Collinear { column: 1 }));
        assert!(matches!(
            solve(&[(vec![1.0, 2.0], 1.0)]),
            Err(LstsqError::TooFewRows { .. })
        ));
        assert_eq!(solve(&[(vec![f64::NAN], 1.0)]), Err(LstsqError::NotFinite));
    }
}
