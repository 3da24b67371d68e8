//! A gossip study: every family, peer choice and size asked for, simulated over the seeds, with
//! rounds fitted against log2 n for each family and peer choice.

use serde::Serialize;

use super::{
    fit_log2, sweep_point, Family, GossipError, LogFit, PeerChoice, SweepPoint, SweepSpec,
};

/// Every point of a study and the fits (what `ruvsim gossip` reports).
#[derive(Clone, Debug, Serialize)]
pub struct GossipStudy {
    /// What the points share (the peer choice is the last one studied).
    pub spec: SweepSpec,
    /// The points, family by family, peer choice by peer choice, size by size.
    pub points: Vec<SweepPoint>,
    /// One fit per family and peer choice.
    pub fits: Vec<FitRow>,
}

/// Rounds against log2 n, for one family and peer choice.
#[derive(Clone, Debug, Serialize)]
pub struct FitRow {
    /// The family.
    pub family: Family,
    /// The peer choice.
    pub peers: PeerChoice,
    /// The fit, or `None` when too few sizes converged.
    pub fit: Option<LogFit>,
}

/// Simulates every combination of `families`, `peers` and `sizes` under `spec`, calling
/// `progress` after each point (for a host-side progress line; it cannot change the result).
pub fn run_study(
    families: &[Family],
    peers: &[PeerChoice],
    sizes: &[u32],
    mut spec: SweepSpec,
    mut progress: impl FnMut(&SweepPoint),
) -> Result<GossipStudy, GossipError> {
    let mut points = Vec::new();
    let mut fits = Vec::new();
    for &family in families {
        for &choice in peers {
            spec.config.peers = choice;
            let mut fitted = Vec::new();
            for &chips in sizes {
                let point = sweep_point(family, chips, &spec)?;
                progress(&point);
                if let Some(mean) = point.rounds_mean {
                    fitted.push((point.log2_chips, mean));
                }
                points.push(point);
            }
            fits.push(FitRow {
                family,
                peers: choice,
                fit: fit_log2(&fitted),
            });
        }
    }
    Ok(GossipStudy { spec, points, fits })
}
