//! Backbone designs of a base: each replica on a board of its own (its pipeline as a chain), the
//! boards' first chips on a backbone network with the hosts on it, as a large cluster is built
//! when a chip's few wired ports cannot reach thousands of chips. Gives the default backbone of
//! each kind for the base's chip variant, the layout of a size, and the backbone's capacity bound.

use ruvsim_hw::backbone::{
    Backbone, BackboneConfig, Element, EspNowBackboneConfig, EthernetConfig, EthernetNic, PhyRate,
    Route, WifiConfig,
};
use ruvsim_hw::calibration::{Calibration, Variant};
use ruvsim_topologies::TopologySpec;
use serde::{Deserialize, Serialize};

use crate::project::base::BaseDesign;
use crate::project::error::ProjectError;
use crate::project::wiring::{describe, Layout};

/// The kinds of backbone a projection considers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackboneKind {
    /// Switched Ethernet: the classic ESP32's EMAC, or a W5500 on other variants.
    Ethernet,
    /// Wi-Fi UDP through access points.
    Wifi,
    /// ESP-NOW to bridge hosts.
    Espnow,
}

impl BackboneKind {
    /// Every kind, in the order a tie between designs is broken.
    pub const ALL: [BackboneKind; 3] = [
        BackboneKind::Ethernet,
        BackboneKind::Wifi,
        BackboneKind::Espnow,
    ];

    /// The name `--topology` takes.
    pub fn name(self) -> &'static str {
        match self {
            BackboneKind::Ethernet => "ethernet",
            BackboneKind::Wifi => "wifi",
            BackboneKind::Espnow => "espnow",
        }
    }

    /// The backbone of this kind with its documented defaults, for gateways of `variant`: an
    /// EMAC on the classic ESP32 (the only variant with one), a W5500 at ESP-IDF's CI clock of
    /// 20 MHz elsewhere; a host per 47 boards (a 48-port switch) on Ethernet and Wi-Fi, a bridge
    /// per 20 boards on ESP-NOW (its peer limit); three channels on radio.
    pub fn config(self, variant: Variant) -> BackboneConfig {
        match self {
            BackboneKind::Ethernet => BackboneConfig::Ethernet(EthernetConfig {
                nic: if variant == Variant::Esp32 {
                    EthernetNic::Emac
                } else {
                    EthernetNic::W5500
                },
                spi_clock_mhz: 20.0,
                groups_per_host: 47,
                host_mbps: 1000.0,
                switch_latency_us: 5.0,
            }),
            BackboneKind::Wifi => BackboneConfig::Wifi(WifiConfig {
                rate: PhyRate::Mcs7Lgi,
                channels: 3,
                groups_per_ap: 30,
                groups_per_host: 47,
                host_mbps: 1000.0,
                switch_latency_us: 5.0,
            }),
            BackboneKind::Espnow => BackboneConfig::EspNow(EspNowBackboneConfig {
                rate: PhyRate::Dsss1Long,
                channels: 3,
                groups_per_host: 20,
            }),
        }
    }
}

/// `replicas` boards of one replica each on `backbone`.
pub fn layout(
    replicas: u32,
    base: &BaseDesign,
    backbone: &BackboneConfig,
) -> Result<Layout, ProjectError> {
    let cpr = base.chips_per_replica();
    let chips = u64::from(replicas) * u64::from(cpr);
    let chips = u32::try_from(chips).map_err(|_| ProjectError::TooLarge {
        what: "chips",
        value: chips,
    })?;
    let group = TopologySpec::Chain { chips: cpr };
    let spec = TopologySpec::Hierarchical {
        group: Box::new(group.clone()),
        top: Box::new(TopologySpec::Switched { chips: replicas }),
        gateway: 0,
    };
    // On a chain of the replica's chips every stage transfer is one hop, a tensor rank is at
    // most `tensor - 1` hops from its leader, and each token travels from the last stage's
    // leader back to chip 0, the board's gateway.
    let last_leader = (base.pipeline - 1) * base.tensor;
    let hosts = replicas.div_ceil(backbone.groups_per_host());
    // The elements every replica shares: the radio channels, or on Ethernet the hosts' ports.
    let shared = match backbone.channels_used(replicas, hosts) {
        0 => hosts,
        channels => channels,
    };
    Ok(Layout {
        description: format!("boards ({}) on {}", describe(&group), backbone.short()),
        chips,
        spec,
        replicas,
        stage_hops: u32::from(base.pipeline > 1),
        tensor_hops: base.tensor - 1,
        gateway_ports: shared,
        gateway_hops_mean: f64::from(last_leader),
        gateway_hops_max: last_leader,
        upload_hops_mean: 0.0,
        remote_deliveries: replicas,
        remote_uploads: replicas,
        shared_medium: false,
        backbone: Some(backbone.clone()),
    })
}

/// The backbone's capacity bound on throughput (tok/s) at `layout`: for each kind of element
/// (the gateways' interfaces, the hosts' ports in each direction, the radio channels), its count
/// divided by the time one generated token keeps one of them busy (its own message, and its
/// share of its request's prompt). Perfect spread over the elements is assumed, so the real
/// figure can only be lower (the operational-law bound).
pub fn capacity(
    layout: &Layout,
    backbone: &BackboneConfig,
    calibration: &Calibration,
    prompt_bytes: u64,
    new_tokens: u32,
) -> Option<f64> {
    let model = Backbone::new(backbone, calibration).ok()?;
    let token = model
        .legs(Route::ToHost, u64::from(ruvsim_sim::cluster::TOKEN_BYTES))
        .ok()?;
    let prompt = model.legs(Route::FromHost, prompt_bytes).ok()?;
    let per_request = 1.0 / f64::from(new_tokens.max(1));
    let groups = layout.replicas;
    let hosts = groups.div_ceil(backbone.groups_per_host());
    // ESP-NOW bridges send and receive through one software element.
    let both_ways = !model.hosts_on_switch();
    let classes: [(u32, &dyn Fn(Element) -> bool); 4] = [
        (groups, &|e| e == Element::Gateway),
        (hosts, &|e| {
            e == Element::Host { toward_host: true }
                || (both_ways && matches!(e, Element::Host { .. }))
        }),
        (hosts, &|e| {
            e == Element::Host { toward_host: false } && !both_ways
        }),
        (model.channels_used(groups, hosts), &|e| {
            e == Element::Channel
        }),
    ];
    classes
        .iter()
        .filter_map(|(count, is)| {
            let busy = token
                .iter()
                .filter(|l| is(l.element))
                .map(|l| l.busy.as_secs_f64())
                .sum::<f64>()
                + prompt
                    .iter()
                    .filter(|l| is(l.element))
                    .map(|l| l.busy.as_secs_f64())
                    .sum::<f64>()
                    * per_request;
            (busy > 0.0 && *count > 0).then(|| f64::from(*count) / busy)
        })
        .reduce(f64::min)
}
