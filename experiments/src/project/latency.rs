//! Latency per token at projected sizes.
//!
//! In a closed loop with `S` streams per replica, each stream receives `T / (S R)` tokens per
//! second while it generates, so the time between its tokens is `S R / T` when it never waits
//! and more when it does (for its prompt to arrive, or for its tokens to queue at the
//! gateway). The model `p50 = k R / T` fits the factor `k` (seconds-per-token times streams,
//! times the share of time a stream generates) to the simulated sizes and takes `T` from the
//! throughput projection, so a projected latency inherits the throughput's mechanism. Its error
//! is measured the same way as throughput's: fitted without the largest simulated size, with
//! that size's throughput predicted too, and compared with its simulated p50.

use serde::{Deserialize, Serialize};

use crate::project::lstsq::solve;
use crate::project::row::Row;

/// The fitted latency factor and its error on the held-back size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatencyFit {
    /// `k` in `p50 [ms] = k R / T`, refitted on every simulated size.
    pub k: f64,
    /// Relative error of the prediction at the held-back (largest) size, fitted without it and
    /// fed the throughput predicted there.
    pub held_back_error: f64,
}

impl LatencyFit {
    /// Fits `k` to `rows` (simulated, ascending; the last held back); `held_back_throughput` is
    /// the throughput model's prediction at the held-back size. Fails when a size has no time
    /// between tokens (one token per request) or too few sizes.
    pub fn fit(rows: &[Row], held_back_throughput: f64) -> Result<LatencyFit, String> {
        let Some((held, fitted_on)) = rows.split_last() else {
            return Err("no simulated size".into());
        };
        if rows.iter().any(|r| r.latency_p50_ms <= 0.0) {
            return Err("a request generates one token, so there is no time between tokens".into());
        }
        let fitted = fit_k(fitted_on)?;
        let predicted = fitted * f64::from(held.replicas) / held_back_throughput;
        Ok(LatencyFit {
            k: fit_k(rows)?,
            held_back_error: predicted / held.latency_p50_ms - 1.0,
        })
    }

    /// Predicted p50 time between tokens, ms, at `replicas` replicas and `throughput` tok/s.
    pub fn predict(&self, replicas: f64, throughput: f64) -> f64 {
        self.k * replicas / throughput
    }
}

/// `k` minimising the relative residuals `k R / (T p50) - 1`.
fn fit_k(rows: &[Row]) -> Result<f64, String> {
    let equations: Vec<(Vec<f64>, f64)> = rows
        .iter()
        .map(|r| {
            (
                vec![f64::from(r.replicas) / (r.throughput_tok_s * r.latency_p50_ms)],
                1.0,
            )
        })
        .collect();
    solve(&equations)
        .map(|k| k[0])
        .map_err(|e| format!("latency factor: {e:?}"))
}
