//! [`Layout`]: one size's wiring as a projection lays it out (a wiring of chips with one host at
//! chip 0, or boards on a backbone), with the figures of the wiring that the scaling fit and the
//! capacity bound use, and [`describe`], a wiring in a few words.

use ruvsim_hw::backbone::BackboneConfig;
use ruvsim_topologies::TopologySpec;
use serde::{Deserialize, Serialize};

/// One size's wiring and where the replicas sit on it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    /// The wiring, ready to put in a scenario.
    pub spec: TopologySpec,
    /// The wiring in words (`ring of 640`, `groups (chain of 5) joined by hypercube of 64`).
    pub description: String,
    /// Chips.
    pub chips: u32,
    /// Replicas.
    pub replicas: u32,
    /// Most hops a hidden state takes from one stage's leader to the next stage's (0 with one
    /// stage).
    pub stage_hops: u32,
    /// Most hops between a stage's leader and one of its tensor ranks (0 with tensor width 1).
    pub tensor_hops: u32,
    /// Links at the gateway (1 on a shared medium: every transfer takes the one channel).
    pub gateway_ports: u32,
    /// Mean hops from a replica's last stage to the gateway (each generated token's trip).
    pub gateway_hops_mean: f64,
    /// Most hops from a replica's last stage to the gateway.
    pub gateway_hops_max: u32,
    /// Mean hops from the gateway to a replica's first stage (each prompt's trip).
    pub upload_hops_mean: f64,
    /// Replicas whose last stage is not the gateway chip (their tokens cross a gateway link).
    pub remote_deliveries: u32,
    /// Replicas whose first stage is not the gateway chip (their prompts cross a gateway link).
    pub remote_uploads: u32,
    /// Whether all transfers share one medium.
    pub shared_medium: bool,
    /// The backbone the boards' gateways sit on, with the hosts (`None`: one host at chip 0 of
    /// a wiring of chips). With a backbone, `gateway_ports` counts the elements every replica
    /// shares (the radio channels in use, or on Ethernet the hosts) and the gateway figures are
    /// each board's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backbone: Option<BackboneConfig>,
}

/// A wiring in a few words.
pub fn describe(spec: &TopologySpec) -> String {
    let chips = spec.chips().unwrap_or(0);
    match spec {
        TopologySpec::Mesh2d { dims: [a, b] } => format!("mesh {a}x{b}"),
        TopologySpec::Torus2d { dims: [a, b] } => format!("torus {a}x{b}"),
        TopologySpec::Torus3d { dims: [a, b, c] } => format!("torus {a}x{b}x{c}"),
        TopologySpec::Tree { arity, .. } => format!("{arity}-ary tree of {chips}"),
        TopologySpec::Hierarchical { group, top, .. } => {
            format!("groups ({}) joined by {}", describe(group), describe(top))
        }
        other => format!("{} of {chips}", other.kind()),
    }
}
