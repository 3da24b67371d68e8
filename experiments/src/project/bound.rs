//! The gateway's capacity: a closed-form upper bound on throughput at any size.
//!
//! Every generated token ends its trip on a link into the gateway, and every request's prompt
//! starts on a link out of it. On point-to-point links a message occupies one of the gateway's
//! `g` links for its transfer time, so even with the load spread perfectly over them,
//! `T <= g / (t_token * f_token + t_prompt * f_prompt / new_tokens)`, with `f` the share of
//! replicas whose stage is not the gateway chip itself. On a shared medium every hop of those
//! messages takes the one channel, so `T <= 1 / (h_token * t_token + h_prompt * t_prompt /
//! new_tokens)` with `h` the mean hops. Any other traffic on those links only lowers the real
//! figure, so this is a bound, not an estimate: projected throughput is the fitted model's
//! figure or this bound, whichever is lower (the operational-law bottleneck bound of queueing
//! analysis). A design on a backbone has no single gateway: its bound is the backbone's
//! ([`crate::project::backbone::capacity`]).

use serde::{Deserialize, Serialize};

use crate::project::backbone;
use crate::project::error::ProjectError;
use crate::project::wiring::Layout;
use ruvsim_hw::calibration::Calibration;
use ruvsim_hw::link::LinkModel;
use ruvsim_sim::run::{calibration_for, RunError, RunOptions};
use ruvsim_sim::scenario::LoadedScenario;

/// Bytes of one token id on a link, as the cluster sends generated tokens and prompts.
pub const TOKEN_BYTES: u64 = ruvsim_sim::cluster::TOKEN_BYTES as u64;

/// How long one link is busy with the gateway's messages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GatewayTraffic {
    /// Seconds to carry one generated token over one link.
    pub token_s: f64,
    /// Seconds to carry one prompt over one link.
    pub prompt_s: f64,
    /// Tokens generated per request (prompts are amortised over them).
    pub new_tokens: u32,
    /// Bytes of one prompt.
    pub prompt_bytes: u64,
    /// The chips' calibration, to price a backbone's messages.
    #[serde(skip)]
    pub calibration: Option<Calibration>,
}

impl GatewayTraffic {
    /// The link times of `loaded`'s link with its calibration, for prompts of `prompt_tokens`.
    pub fn of(
        loaded: &LoadedScenario,
        options: &RunOptions,
        prompt_tokens: u32,
    ) -> Result<GatewayTraffic, ProjectError> {
        let calibration = calibration_for(loaded, options).map_err(base_error(loaded))?;
        let link = LinkModel::new(&loaded.scenario.cluster.link, &calibration, &calibration)
            .map_err(|e| base_error(loaded)(RunError::Link(e)))?;
        let time = |bytes: u64| {
            link.transfer_time(bytes)
                .map(|t| t.total.as_secs_f64())
                .map_err(|e| base_error(loaded)(RunError::Link(e)))
        };
        Ok(GatewayTraffic {
            token_s: time(TOKEN_BYTES)?,
            prompt_s: time(TOKEN_BYTES * u64::from(prompt_tokens))?,
            new_tokens: loaded.scenario.workload.new_tokens.max(1),
            prompt_bytes: TOKEN_BYTES * u64::from(prompt_tokens),
            calibration: Some(calibration),
        })
    }

    /// The bound on throughput (tok/s) at `layout`, or `None` when no message crosses a link
    /// (a single chip serving its own host).
    pub fn bound(&self, layout: &Layout) -> Option<f64> {
        if let Some(config) = &layout.backbone {
            return backbone::capacity(
                layout,
                config,
                self.calibration.as_ref()?,
                self.prompt_bytes,
                self.new_tokens,
            );
        }
        let replicas = f64::from(layout.replicas);
        let per_request = 1.0 / f64::from(self.new_tokens);
        let busy_per_token = if layout.shared_medium {
            layout.gateway_hops_mean * self.token_s
                + layout.upload_hops_mean * self.prompt_s * per_request
        } else {
            (f64::from(layout.remote_deliveries) * self.token_s
                + f64::from(layout.remote_uploads) * self.prompt_s * per_request)
                / replicas
                / f64::from(layout.gateway_ports)
        };
        (busy_per_token > 0.0).then(|| 1.0 / busy_per_token)
    }
}

/// Maps a failure to price the base design's link to the base design's error.
fn base_error(loaded: &LoadedScenario) -> impl Fn(RunError) -> ProjectError + '_ {
    move |source| ProjectError::BaseDoesNotRun {
        base: loaded.file.clone(),
        source,
    }
}
