//! Scaling models of throughput against size, fitted to the simulated sizes, chosen by their
//! residuals and checked on a held-back size.
//!
//! With `R` replicas, `N` chips, `h` the mean hops from a replica's last stage to the gateway
//! and `g` the gateway's links (1 on a shared medium), the candidate models of throughput `T`:
//!
//! | model | formula | meaning |
//! |---|---|---|
//! | linear | `T = a R` | independent copies: every replica adds the same |
//! | power law | `T = k N^p` | a straight line in log-log, no mechanism assumed |
//! | contention | `1/T = a/R + c` | copies sharing one bottleneck of capacity `1/c` tok/s (the gateway's links) |
//! | network | `R/T = a + b h + c R/g` | time per token per replica grows with the distance to the gateway (`b` per hop) and with the gateway's load per link (`c`) |
//!
//! Whatever the model, a prediction never exceeds the size's gateway capacity bound
//! ([`crate::project::bound`]): the figure used is the lower of the two, and residuals and the
//! held-back error are measured on that figure.
//!
//! Every model is fitted by least squares on relative residuals (`predicted/simulated - 1`, or
//! the log for the power law), so small and large sizes weigh alike. A model whose fitted terms
//! have no physical meaning (a negative time or capacity) is not used. The model with the smallest
//! residual per degree of freedom, `sqrt(sum r^2 / (n - parameters))`, on every simulated size
//! but the largest is chosen; its relative error on that held-back largest size is the stated
//! error; it is then refitted on all sizes to project.

use serde::{Deserialize, Serialize};

use crate::project::lstsq::{solve, LstsqError};

/// A size as the models see it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SizeFeatures {
    /// Replicas `R`.
    pub replicas: f64,
    /// Chips `N`.
    pub chips: f64,
    /// Mean hops from a replica's last stage to the gateway, `h`.
    pub gateway_hops: f64,
    /// Links at the gateway, `g` (1 on a shared medium).
    pub gateway_ports: f64,
    /// The gateway's capacity bound, tok/s (infinite when there is none): no prediction
    /// exceeds it.
    pub capacity: f64,
}

/// A simulated size: its features and its simulated throughput (tok/s).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Observation {
    /// The size.
    pub size: SizeFeatures,
    /// Simulated throughput, tok/s.
    pub throughput: f64,
}

/// The scaling models (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// `T = a R`.
    Linear,
    /// `T = k N^p`.
    PowerLaw,
    /// `1/T = a/R + c`.
    Contention,
    /// `R/T = a + b h + c R/g`.
    Network,
}

impl ModelKind {
    /// Every model, simplest first (ties in residual go to the simpler).
    pub const ALL: [ModelKind; 4] = [
        ModelKind::Linear,
        ModelKind::PowerLaw,
        ModelKind::Contention,
        ModelKind::Network,
    ];

    /// The model's name.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Linear => "linear in replicas",
            ModelKind::PowerLaw => "power law in chips",
            ModelKind::Contention => "replicas sharing a gateway bottleneck",
            ModelKind::Network => "replicas with gateway distance and gateway load",
        }
    }

    /// The formula, with `T` throughput, `R` replicas, `N` chips, `h` gateway hops, `g` gateway
    /// links.
    pub fn formula(self) -> &'static str {
        match self {
            ModelKind::Linear => "T = a*R",
            ModelKind::PowerLaw => "T = k*N^p",
            ModelKind::Contention => "1/T = a/R + c",
            ModelKind::Network => "R/T = a + b*h + c*R/g",
        }
    }

    /// Names and units of the parameters, in order.
    pub fn parameters(self) -> &'static [(&'static str, &'static str)] {
        match self {
            ModelKind::Linear => &[("a", "tok/s per replica")],
            ModelKind::PowerLaw => &[("k", "tok/s"), ("p", "exponent")],
            ModelKind::Contention => &[("a", "s per token per replica"), ("c", "s per token")],
            ModelKind::Network => &[
                ("a", "s per token per replica"),
                ("b", "s per token per replica per hop"),
                ("c", "s per token per gateway link"),
            ],
        }
    }

    /// One least-squares row for `point`: the design row and the target, chosen so the residual
    /// is the relative error (or, for the power law, the log error).
    fn row(self, point: &Observation) -> (Vec<f64>, f64) {
        let s = point.size;
        let t = point.throughput;
        match self {
            ModelKind::Linear => (vec![s.replicas / t], 1.0),
            ModelKind::PowerLaw => (vec![1.0, s.chips.ln()], t.ln()),
            ModelKind::Contention => (vec![t / s.replicas, t], 1.0),
            ModelKind::Network => (
                vec![
                    t / s.replicas,
                    s.gateway_hops * t / s.replicas,
                    t / s.gateway_ports,
                ],
                1.0,
            ),
        }
    }

    /// Why fitted parameters have no physical meaning, if they do not: the first term of the
    /// other models is one replica's time per token alone (positive), the rest add time
    /// (non-negative); the power law's are any real numbers.
    fn unphysical(self, params: &[f64]) -> Option<String> {
        if params.iter().any(|p| !p.is_finite()) {
            return Some("a parameter is not finite".into());
        }
        if self == ModelKind::PowerLaw {
            return None;
        }
        let names = self.parameters();
        params.iter().enumerate().find_map(|(i, &p)| {
            let (bad, wanted) = if i == 0 {
                (p <= 0.0, "positive")
            } else {
                (p < 0.0, "non-negative")
            };
            bad.then(|| {
                format!(
                    "fitted {} = {p:.3e} {} must be {wanted}: the simulated sizes do not show \
                     that effect, and extrapolating it would diverge",
                    names[i].0, names[i].1
                )
            })
        })
    }
}

/// A fitted model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FittedModel {
    /// Which model.
    pub kind: ModelKind,
    /// Its parameters, in the order of [`ModelKind::parameters`].
    pub params: Vec<f64>,
}

impl FittedModel {
    /// Predicted throughput (tok/s) at `size`: the model's figure, or the size's capacity bound
    /// when that is lower.
    pub fn predict(&self, size: &SizeFeatures) -> f64 {
        self.model_figure(size).min(size.capacity)
    }

    /// The model's own figure at `size`, without the capacity bound.
    pub fn model_figure(&self, size: &SizeFeatures) -> f64 {
        let p = &self.params;
        match self.kind {
            ModelKind::Linear => p[0] * size.replicas,
            ModelKind::PowerLaw => p[0] * size.chips.powf(p[1]),
            ModelKind::Contention => 1.0 / (p[0] / size.replicas + p[1]),
            ModelKind::Network => {
                size.replicas
                    / (p[0] + p[1] * size.gateway_hops + p[2] * size.replicas / size.gateway_ports)
            }
        }
    }

    /// Relative error of the prediction at an observed size: `predicted / simulated - 1`.
    pub fn relative_error(&self, point: &Observation) -> f64 {
        self.predict(&point.size) / point.throughput - 1.0
    }
}

/// Fits `kind` to `points`, or says why it cannot be used.
pub fn fit(kind: ModelKind, points: &[Observation]) -> Result<FittedModel, String> {
    let rows: Vec<(Vec<f64>, f64)> = points.iter().map(|p| kind.row(p)).collect();
    let mut params = solve(&rows).map_err(|e| match e {
        LstsqError::TooFewRows { rows, parameters } => {
            format!("needs at least {parameters} sizes, has {rows}")
        }
        LstsqError::Collinear { column } => format!(
            "its term {} cannot be told apart from the others on these sizes",
            kind.parameters()[column].0
        ),
        LstsqError::NotFinite => "a simulated figure is not finite".into(),
    })?;
    if kind == ModelKind::PowerLaw {
        params[0] = params[0].exp();
    }
    match kind.unphysical(&params) {
        Some(reason) => Err(reason),
        None => Ok(FittedModel { kind, params }),
    }
}

/// How one candidate model did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CandidateFit {
    /// The model.
    pub kind: ModelKind,
    /// Relative residual per degree of freedom on the fitted sizes (`None`: not usable).
    pub residual: Option<f64>,
    /// Its relative error on the held-back size (`None`: not usable).
    pub held_back_error: Option<f64>,
    /// Why it is not usable, when it is not.
    pub rejected: Option<String>,
}

/// The chosen model, its check on the held-back size, and every candidate's figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// The chosen model, refitted on every simulated size.
    pub model: FittedModel,
    /// Its relative error on the held-back (largest) size when fitted without it.
    pub held_back_error: f64,
    /// Its prediction there, tok/s.
    pub held_back_predicted: f64,
    /// Every candidate, in [`ModelKind::ALL`] order.
    pub candidates: Vec<CandidateFit>,
}

/// Chooses and fits a model to `points` (ascending size, the last held back), or says why no
/// model can be: at least three sizes are needed (two to fit the one-parameter model with a
/// residual, one to check it).
pub fn select(points: &[Observation]) -> Result<Selection, String> {
    let Some((held, fitted_on)) = points.split_last() else {
        return Err("no simulated size".into());
    };
    let mut candidates = Vec::new();
    let mut usable: Vec<(f64, ModelKind, f64)> = Vec::new();
    for kind in ModelKind::ALL {
        let candidate = match judge(kind, fitted_on, held) {
            Ok((residual, model)) => {
                let error = model.relative_error(held);
                usable.push((residual, kind, model.predict(&held.size)));
                CandidateFit {
                    kind,
                    residual: Some(residual),
                    held_back_error: Some(error),
                    rejected: None,
                }
            }
            Err(reason) => CandidateFit {
                kind,
                residual: None,
                held_back_error: None,
                rejected: Some(reason),
            },
        };
        candidates.push(candidate);
    }
    // Stable sort: equal residuals keep the simpler model first.
    usable.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (_, kind, predicted) in usable {
        match fit(kind, points) {
            Ok(model) => {
                return Ok(Selection {
                    model,
                    held_back_error: predicted / held.throughput - 1.0,
                    held_back_predicted: predicted,
                    candidates,
                })
            }
            Err(reason) => {
                if let Some(c) = candidates.iter_mut().find(|c| c.kind == kind) {
                    c.rejected = Some(format!("refitted on every size: {reason}"));
                }
            }
        }
    }
    Err(format!(
        "no model fits {} simulated sizes: {}",
        points.len(),
        candidates
            .iter()
            .filter_map(|c| c
                .rejected
                .as_ref()
                .map(|r| format!("{}: {r}", c.kind.name())))
            .collect::<Vec<_>>()
            .join("; ")
    ))
}

/// Fits `kind` on `points` and returns its residual per degree of freedom, or why it is not
/// usable (including: no degree of freedom left to measure a residual).
fn judge(
    kind: ModelKind,
    points: &[Observation],
    held: &Observation,
) -> Result<(f64, FittedModel), String> {
    let parameters = kind.parameters().len();
    if points.len() <= parameters {
        return Err(format!(
            "needs more than {parameters} sizes besides the held-back one to measure a \
             residual, has {}",
            points.len()
        ));
    }
    let model = fit(kind, points)?;
    if !model.predict(&held.size).is_finite() {
        return Err("its prediction at the held-back size is not finite".into());
    }
    let squares: f64 = points.iter().map(|p| model.relative_error(p).powi(2)).sum();
    Ok(((squares / (points.len() - parameters) as f64).sqrt(), model))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(replicas: f64) -> SizeFeatures {
        SizeFeatures {
            replicas,
            chips: 5.0 * replicas,
            gateway_hops: 2.5 * replicas,
            gateway_ports: 2.0,
            capacity: f64::INFINITY,
        }
    }

    fn observe(model: &FittedModel, replicas: &[f64]) -> Vec<Observation> {
        replicas
            .iter()
            .map(|&r| Observation {
                size: size(r),
                throughput: model.predict(&size(r)),
            })
            .collect()
    }

    const SIZES: [f64; 6] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0];

    #[test]
    fn every_model_recovers_its_own_parameters() {
        for (kind, params) in [
            (ModelKind::Linear, vec![400.0]),
            (ModelKind::PowerLaw, vec![300.0, 0.8]),
            (ModelKind::Contention, vec![2.5e-3, 1.0e-5]),
        ] {
            let truth = FittedModel { kind, params };
            let got = fit(kind, &observe(&truth, &SIZES)).unwrap();
            for (g, t) in got.params.iter().zip(&truth.params) {
                assert!((g / t - 1.0).abs() < 1e-9, "{kind:?}: {got:?}");
            }
        }
    }

    #[test]
    fn saturating_data_chooses_contention_and_predicts_the_held_back_size() {
        let truth = FittedModel {
            kind: ModelKind::Contention,
            params: vec![2.5e-3, 1.0e-5],
        };
        let selection = select(&observe(&truth, &SIZES)).unwrap();
        assert!(
            matches!(
                selection.model.kind,
                ModelKind::Contention | ModelKind::Network
            ),
            "{selection:?}"
        );
        assert!(selection.held_back_error.abs() < 1e-6, "{selection:?}");
        let linear = &selection.candidates[0];
        assert!(linear.held_back_error.unwrap() > 0.05, "{linear:?}");
    }

    #[test]
    fn linear_data_rejects_a_negative_capacity_term() {
        // Throughput a little better than linear: the contention term would be negative.
        let points: Vec<Observation> = SIZES
            .iter()
            .map(|&r| Observation {
                size: size(r),
                throughput: 400.0 * r * (1.0 + 0.001 * r),
            })
            .collect();
        let selection = select(&points).unwrap();
        let contention = &selection.candidates[2];
        assert!(
            contention
                .rejected
                .as_deref()
                .unwrap_or("")
                .contains("must be non-negative"),
            "{contention:?}"
        );
    }

    #[test]
    fn predictions_never_exceed_the_capacity_bound() {
        let model = FittedModel {
            kind: ModelKind::Linear,
            params: vec![400.0],
        };
        let capped = SizeFeatures {
            capacity: 1000.0,
            ..size(8.0)
        };
        assert_eq!(model.model_figure(&capped), 3200.0);
        assert_eq!(model.predict(&capped), 1000.0);
        assert_eq!(model.predict(&size(2.0)), 800.0);
    }

    #[test]
    fn too_few_sizes_are_refused_with_the_reason() {
        let truth = FittedModel {
            kind: ModelKind::Linear,
            params: vec![400.0],
        };
        let err = select(&observe(&truth, &[1.0, 2.0])).unwrap_err();
        assert!(err.contains("needs more than 1 sizes"), "{err}");
        assert!(select(&observe(&truth, &[1.0, 2.0, 4.0])).is_ok());
    }

    #[test]
    fn collinear_terms_are_reported_not_solved() {
        // On a ring h grows with R and g is constant: the network model's terms coincide with
        // the contention model's.
        let truth = FittedModel {
            kind: ModelKind::Contention,
            params: vec![2.5e-3, 1.0e-5],
        };
        let selection = select(&observe(&truth, &SIZES)).unwrap();
        let network = &selection.candidates[3];
        assert!(
            network
                .rejected
                .as_deref()
                .unwrap_or("")
                .contains("cannot be told apart"),
            "{network:?}"
        );
    }
}
