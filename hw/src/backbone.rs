//! Backbones: the networks that join the groups (boards) of a large cluster to their hosts and
//! to each other, as people wire them when a chip's few SPI and UART ports cannot.
//!
//! A scenario names one with a [`BackboneConfig`] (`backbone = { kind = "ethernet", nic =
//! "w5500", groups_per_host = 47 }`); [`Backbone::new`] checks it against the gateway chip's
//! calibration. The simulator then asks for the [`Leg`]s of a message: which element of the
//! network it occupies, for how long (`busy`), and how long after that it arrives at the next
//! element (`latency`, which occupies nothing). Three kinds:
//!
//! - **Ethernet**: each group's gateway has an Ethernet interface ([`EthernetNic`]: the classic
//!   ESP32's EMAC or a W5500 on SPI, see [`ethernet`]) on a port of a switch; each host has a port
//!   of `host_mbps`. A switch forwards store-and-forward: a frame leaves `switch_latency_us` after
//!   it was received whole (GarrettCom S14 manual: "5 microseconds plus the packet time at 100Mb";
//!   TI's CPSW: 1.3 us at 100 Mbit/s), and ports forward at wire speed (a non-blocking switch).
//!   A host's port is shared by every group it serves, in each direction.
//! - **Wi-Fi** (UDP through access points): `groups_per_ap` gateways associate with each access
//!   point; access point `a` uses channel `a mod channels`. Every frame is one exchange on its
//!   channel ([`airtime`]), and all access points on a channel share its air (they are taken to
//!   be within radio range of one another: one room or hall). At most three 2.4 GHz channels do
//!   not overlap (1, 6, 11). The access points reach the hosts over wired Ethernet as above.
//! - **ESP-NOW**: each host is a bridge chip on one channel, serving `groups_per_host` gateways
//!   (at most 20 peers per chip, `ESP_NOW_MAX_TOTAL_PEER_NUM`); host `h` uses channel
//!   `h mod channels`. A frame is one exchange on the channel at the configured PHY rate; the
//!   sender's software time per frame, 394 us, is derived from Espressif's shielded-box
//!   measurement (555 kbit/s of 250-byte packets at 1 Mbit/s is 3,604 us per packet, of which the
//!   exchange is 3,210 us). Espressif's open-air figure (214 kbit/s) implies a further ~5.7 ms per
//!   packet of deferral and retries in that environment, which this model does not include.
//!   Groups on different channels cannot exchange frames.

pub mod airtime;
pub mod ethernet;

use ruvsim_engine::time::{Duration, TimeError};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::calibration::{Calibration, Variant};
pub use airtime::PhyRate;
pub use ethernet::EthernetNic;
use ethernet::{Interface, GATEWAY_PORT_BPS};

/// ESP-NOW v1 payload per frame.
const ESPNOW_PAYLOAD_BYTES: u64 = 250;
/// ESP-NOW frame bytes around the payload: MAC header 24, category 1, OUI 3, random 4,
/// vendor element header 7, FCS 4 (ESP-IDF `esp_now.rst`).
const ESPNOW_FRAME_BYTES: u64 = 43;
/// ESP-NOW sender software time per frame, ns: 3,604,000 (250 B at 555 kbit/s in Espressif's
/// shielded box, ESP-FAQ) - 3,210,000 (the 1 Mbit/s unicast exchange).
const ESPNOW_SOFTWARE_NS: u64 = 394_000;
/// ESP-NOW peers per chip (`ESP_NOW_MAX_TOTAL_PEER_NUM`, `esp_now.h`).
const ESPNOW_MAX_PEERS: u32 = 20;
/// 802.11 data frame bytes around a UDP datagram: QoS data header 26, LLC/SNAP 8, IPv4 20,
/// UDP 8, FCS 4.
const WIFI_FRAME_BYTES: u64 = 66;
/// Non-overlapping 2.4 GHz channels (1, 6, 11: Microchip "802.11 Channels", Zyxel NWA50AX guide).
const MAX_CHANNELS: u32 = 3;
/// The W5500's rated SPI clock (WIZnet product page).
const W5500_MAX_SPI_MHZ: f64 = 80.0;

fn default_groups_per_host() -> u32 {
    47
}
fn default_host_mbps() -> f64 {
    1000.0
}
fn default_switch_latency_us() -> f64 {
    5.0
}
fn default_w5500_mhz() -> f64 {
    20.0
}
fn default_channels() -> u32 {
    MAX_CHANNELS
}
fn default_wifi_rate() -> PhyRate {
    PhyRate::Mcs7Lgi
}
fn default_espnow_rate() -> PhyRate {
    PhyRate::Dsss1Long
}
fn default_groups_per_ap() -> u32 {
    30
}
fn default_espnow_groups_per_host() -> u32 {
    ESPNOW_MAX_PEERS
}

/// Ethernet backbone settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EthernetConfig {
    /// The gateways' interface.
    pub nic: EthernetNic,
    /// W5500 SPI clock in MHz (default 20, ESP-IDF's CI setting; at most 80).
    #[serde(default = "default_w5500_mhz")]
    pub spi_clock_mhz: f64,
    /// Groups each host serves (default 47: a 48-port switch with one port for its host).
    #[serde(default = "default_groups_per_host")]
    pub groups_per_host: u32,
    /// A host's port rate in Mbit/s (default 1000).
    #[serde(default = "default_host_mbps")]
    pub host_mbps: f64,
    /// The switch's forwarding latency after a frame is received whole, in us (default 5).
    #[serde(default = "default_switch_latency_us")]
    pub switch_latency_us: f64,
}

/// Wi-Fi backbone settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WifiConfig {
    /// PHY rate of the gateways' frames (default `mcs7_lgi`).
    #[serde(default = "default_wifi_rate")]
    pub rate: PhyRate,
    /// Channels the access points spread over, 1 to 3 (default 3).
    #[serde(default = "default_channels")]
    pub channels: u32,
    /// Gateways associated with each access point (default 30: Cisco Meraki calls more than 30
    /// clients per access point high density).
    #[serde(default = "default_groups_per_ap")]
    pub groups_per_ap: u32,
    /// Groups each host serves (default 47).
    #[serde(default = "default_groups_per_host")]
    pub groups_per_host: u32,
    /// A host's port rate in Mbit/s (default 1000).
    #[serde(default = "default_host_mbps")]
    pub host_mbps: f64,
    /// The wired switch's forwarding latency in us (default 5).
    #[serde(default = "default_switch_latency_us")]
    pub switch_latency_us: f64,
}

/// ESP-NOW backbone settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EspNowBackboneConfig {
    /// PHY rate (default `1m_l`, ESP-NOW's default).
    #[serde(default = "default_espnow_rate")]
    pub rate: PhyRate,
    /// Channels the hosts spread over, 1 to 3 (default 3).
    #[serde(default = "default_channels")]
    pub channels: u32,
    /// Groups each host (a bridge chip) serves, 1 to 20 (default 20).
    #[serde(default = "default_espnow_groups_per_host")]
    pub groups_per_host: u32,
}

/// A backbone as a scenario describes it, tagged by `kind`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BackboneConfig {
    /// Switched Ethernet.
    Ethernet(EthernetConfig),
    /// Wi-Fi UDP through access points.
    Wifi(WifiConfig),
    /// ESP-NOW to bridge chips (`kind = "espnow"`).
    #[serde(rename = "espnow")]
    EspNow(EspNowBackboneConfig),
}

impl BackboneConfig {
    /// Radio channels in use by `groups` groups and `hosts` hosts (0 on Ethernet): access point
    /// `a` (of `groups_per_ap` groups each) or bridge host `h` uses channel `a` or `h` modulo
    /// `channels`.
    pub fn channels_used(&self, groups: u32, hosts: u32) -> u32 {
        match self {
            BackboneConfig::Ethernet(_) => 0,
            BackboneConfig::Wifi(w) => groups.div_ceil(w.groups_per_ap).min(w.channels),
            BackboneConfig::EspNow(r) => hosts.min(r.channels),
        }
    }

    /// Groups each host serves.
    pub fn groups_per_host(&self) -> u32 {
        match self {
            BackboneConfig::Ethernet(e) => e.groups_per_host,
            BackboneConfig::Wifi(w) => w.groups_per_host,
            BackboneConfig::EspNow(r) => r.groups_per_host,
        }
    }
}

impl BackboneConfig {
    /// The backbone in a few words, for tables (`Ethernet W5500 20 MHz, host per 47`).
    pub fn short(&self) -> String {
        match self {
            BackboneConfig::Ethernet(e) => match e.nic {
                EthernetNic::Emac => format!("Ethernet EMAC, host per {}", e.groups_per_host),
                EthernetNic::W5500 => format!(
                    "Ethernet W5500 {} MHz, host per {}",
                    e.spi_clock_mhz, e.groups_per_host
                ),
            },
            BackboneConfig::Wifi(w) => format!(
                "Wi-Fi {}, {} per AP on {} ch, host per {}",
                w.rate.name(),
                w.groups_per_ap,
                w.channels,
                w.groups_per_host
            ),
            BackboneConfig::EspNow(r) => format!(
                "ESP-NOW {} on {} ch, bridge per {}",
                r.rate.name(),
                r.channels,
                r.groups_per_host
            ),
        }
    }
}

impl std::fmt::Display for BackboneConfig {
    /// The backbone in words, as reports print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BackboneConfig::Ethernet(e) => {
                let nic = match e.nic {
                    EthernetNic::Emac => "EMAC".to_string(),
                    EthernetNic::W5500 => format!("W5500 at {} MHz SPI", e.spi_clock_mhz),
                };
                write!(
                    f,
                    "Ethernet ({nic}) through store-and-forward switches, a {} Mbit/s host per {} groups",
                    e.host_mbps, e.groups_per_host
                )
            }
            BackboneConfig::Wifi(w) => write!(
                f,
                "Wi-Fi UDP at {}, {} groups per access point on {} channel(s), a {} Mbit/s host per {} groups",
                w.rate.name(),
                w.groups_per_ap, w.channels, w.host_mbps, w.groups_per_host
            ),
            BackboneConfig::EspNow(r) => write!(
                f,
                "ESP-NOW at {} on {} channel(s), a bridge host per {} groups",
                r.rate.name(),
                r.channels, r.groups_per_host
            ),
        }
    }
}

/// Why a backbone was refused.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum BackboneError {
    /// A count of zero.
    #[error("backbone.{key} must be at least 1")]
    Zero {
        /// The key.
        key: &'static str,
    },
    /// A rate, clock or latency that is not a positive finite number (or a negative latency).
    #[error("backbone.{key} = {value} is not valid; {valid}")]
    Value {
        /// The key.
        key: &'static str,
        /// The value.
        value: f64,
        /// What would be valid.
        valid: &'static str,
    },
    /// A count above its physical limit.
    #[error("backbone.{key} = {value} is above {max}: {why}")]
    Above {
        /// The key.
        key: &'static str,
        /// The value.
        value: u32,
        /// The limit.
        max: u32,
        /// Where the limit comes from.
        why: &'static str,
    },
    /// The gateway chip has no such interface.
    #[error("{variant} has no EMAC (only the classic ESP32 does); use nic = \"w5500\"")]
    NoEmac {
        /// The gateway's variant.
        variant: Variant,
    },
    /// A time too long to represent.
    #[error(transparent)]
    Time(#[from] TimeError),
}

/// The element of a backbone a leg occupies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Element {
    /// The gateway's own interface (Ethernet NIC, or the ESP-NOW sender's software).
    Gateway,
    /// The radio channel of the gateway's access point or host.
    Channel,
    /// The host's side: its switch port toward the host (`toward_host`) or from it, or a bridge
    /// host's radio software.
    Host {
        /// The direction.
        toward_host: bool,
    },
}

/// One step of a message through a backbone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leg {
    /// What the leg occupies.
    pub element: Element,
    /// Whether the element is the receiving group's (for a message between groups).
    pub receiver: bool,
    /// How long it occupies it.
    pub busy: Duration,
    /// How long after that the message reaches the next leg.
    pub latency: Duration,
}

/// Which way a message crosses the backbone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// From a group's gateway up to its host.
    ToHost,
    /// From a host down to a group's gateway.
    FromHost,
    /// From one group's gateway to another's.
    BetweenGroups,
}

/// A checked backbone.
#[derive(Clone, Debug, PartialEq)]
pub struct Backbone {
    config: BackboneConfig,
    kind: Kind,
}

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Ethernet {
        nic: Interface,
        host_bps: u64,
        switch: Duration,
    },
    Wifi {
        rate: PhyRate,
        host_bps: u64,
        switch: Duration,
    },
    EspNow {
        rate: PhyRate,
    },
}

fn positive(key: &'static str, value: f64, valid: &'static str) -> Result<f64, BackboneError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(BackboneError::Value { key, value, valid })
    }
}

fn count(key: &'static str, value: u32) -> Result<u32, BackboneError> {
    if value == 0 {
        Err(BackboneError::Zero { key })
    } else {
        Ok(value)
    }
}

fn channels(value: u32) -> Result<u32, BackboneError> {
    if count("channels", value)? > MAX_CHANNELS {
        return Err(BackboneError::Above {
            key: "channels",
            value,
            max: MAX_CHANNELS,
            why: "only channels 1, 6 and 11 of 2.4 GHz do not overlap",
        });
    }
    Ok(value)
}

fn switch_latency(us: f64) -> Result<Duration, BackboneError> {
    if !(us.is_finite() && (0.0..=1e6).contains(&us)) {
        return Err(BackboneError::Value {
            key: "switch_latency_us",
            value: us,
            valid: "valid: 0 to 1,000,000 us",
        });
    }
    Ok(Duration::from_secs_f64(us * 1e-6)?)
}

fn host_bps(mbps: f64) -> Result<u64, BackboneError> {
    let mbps = positive(
        "host_mbps",
        mbps,
        "valid: a positive rate up to 100,000 Mbit/s",
    )?;
    if mbps > 100_000.0 {
        return Err(BackboneError::Value {
            key: "host_mbps",
            value: mbps,
            valid: "valid: a positive rate up to 100,000 Mbit/s",
        });
    }
    Ok((mbps * 1e6).round() as u64)
}

impl Backbone {
    /// Checks `config` for gateways of the `gateway` variant.
    pub fn new(config: &BackboneConfig, gateway: &Calibration) -> Result<Backbone, BackboneError> {
        let kind = match config {
            BackboneConfig::Ethernet(e) => {
                count("groups_per_host", e.groups_per_host)?;
                let nic = match e.nic {
                    EthernetNic::Emac if gateway.variant != Variant::Esp32 => {
                        return Err(BackboneError::NoEmac {
                            variant: gateway.variant,
                        })
                    }
                    EthernetNic::Emac => Interface::Emac,
                    EthernetNic::W5500 => {
                        let mhz = positive(
                            "spi_clock_mhz",
                            e.spi_clock_mhz,
                            "valid: above 0 and at most 80 MHz (the W5500's rating)",
                        )?;
                        if mhz > W5500_MAX_SPI_MHZ {
                            return Err(BackboneError::Value {
                                key: "spi_clock_mhz",
                                value: mhz,
                                valid: "valid: above 0 and at most 80 MHz (the W5500's rating)",
                            });
                        }
                        Interface::W5500 {
                            spi_hz: (mhz * 1e6).round() as u64,
                            transaction: Duration::checked_from_ns(
                                gateway.links.spi.overhead.polling_dma_ns,
                            )?,
                        }
                    }
                };
                Kind::Ethernet {
                    nic,
                    host_bps: host_bps(e.host_mbps)?,
                    switch: switch_latency(e.switch_latency_us)?,
                }
            }
            BackboneConfig::Wifi(w) => {
                channels(w.channels)?;
                count("groups_per_ap", w.groups_per_ap)?;
                count("groups_per_host", w.groups_per_host)?;
                Kind::Wifi {
                    rate: w.rate,
                    host_bps: host_bps(w.host_mbps)?,
                    switch: switch_latency(w.switch_latency_us)?,
                }
            }
            BackboneConfig::EspNow(r) => {
                channels(r.channels)?;
                if count("groups_per_host", r.groups_per_host)? > ESPNOW_MAX_PEERS {
                    return Err(BackboneError::Above {
                        key: "groups_per_host",
                        value: r.groups_per_host,
                        max: ESPNOW_MAX_PEERS,
                        why:
                            "an ESP-NOW bridge keeps at most 20 peers (ESP_NOW_MAX_TOTAL_PEER_NUM)",
                    });
                }
                Kind::EspNow { rate: r.rate }
            }
        };
        Ok(Backbone {
            config: config.clone(),
            kind,
        })
    }

    /// The settings it was built from.
    pub fn config(&self) -> &BackboneConfig {
        &self.config
    }

    /// The radio channel of group `group` (served by host `host`), or `None` on Ethernet.
    pub fn channel_of(&self, group: u32, host: u32) -> Option<u32> {
        match &self.config {
            BackboneConfig::Ethernet(_) => None,
            BackboneConfig::Wifi(w) => Some(group / w.groups_per_ap % w.channels),
            BackboneConfig::EspNow(r) => Some(host % r.channels),
        }
    }

    /// Radio channels in use by `groups` groups and `hosts` hosts (0 on Ethernet).
    pub fn channels_used(&self, groups: u32, hosts: u32) -> u32 {
        self.config.channels_used(groups, hosts)
    }

    /// Whether hosts have switch ports (Ethernet and Wi-Fi), rather than being bridge chips.
    pub fn hosts_on_switch(&self) -> bool {
        !matches!(self.kind, Kind::EspNow { .. })
    }

    /// The legs of a message of `bytes` along `route`, in order (every route has two).
    pub fn legs(&self, route: Route, bytes: u64) -> Result<[Leg; 2], BackboneError> {
        match route {
            Route::ToHost => self.legs_to_host(bytes),
            Route::FromHost => self.legs_from_host(bytes),
            Route::BetweenGroups => self.legs_between_groups(bytes),
        }
    }

    /// The legs of a message of `bytes` from a gateway up to its host.
    fn legs_to_host(&self, bytes: u64) -> Result<[Leg; 2], BackboneError> {
        let leg = |element, busy, latency| Leg {
            element,
            receiver: false,
            busy,
            latency,
        };
        Ok(match &self.kind {
            Kind::Ethernet {
                nic,
                host_bps,
                switch,
            } => [
                leg(Element::Gateway, nic.busy(bytes, true)?, *switch),
                leg(
                    Element::Host { toward_host: true },
                    ethernet::wire(bytes, *host_bps)?,
                    Duration::ZERO,
                ),
            ],
            Kind::Wifi {
                rate,
                host_bps,
                switch,
            } => [
                leg(
                    Element::Channel,
                    wifi_air(*rate, bytes)?,
                    switch_after(*switch, bytes, *host_bps)?,
                ),
                leg(
                    Element::Host { toward_host: true },
                    ethernet::wire(bytes, *host_bps)?,
                    Duration::ZERO,
                ),
            ],
            Kind::EspNow { rate } => [
                leg(Element::Gateway, espnow_software(bytes)?, Duration::ZERO),
                leg(Element::Channel, espnow_air(*rate, bytes)?, Duration::ZERO),
            ],
        })
    }

    /// The legs of a message of `bytes` from a host down to a gateway.
    fn legs_from_host(&self, bytes: u64) -> Result<[Leg; 2], BackboneError> {
        let leg = |element, busy, latency| Leg {
            element,
            receiver: true,
            busy,
            latency,
        };
        Ok(match &self.kind {
            Kind::Ethernet {
                nic,
                host_bps,
                switch,
            } => [
                leg(
                    Element::Host { toward_host: false },
                    ethernet::wire(bytes, *host_bps)?,
                    switch_after(*switch, bytes, GATEWAY_PORT_BPS)?,
                ),
                leg(Element::Gateway, nic.busy(bytes, false)?, Duration::ZERO),
            ],
            Kind::Wifi {
                rate,
                host_bps,
                switch,
            } => [
                leg(
                    Element::Host { toward_host: false },
                    ethernet::wire(bytes, *host_bps)?,
                    switch_after(*switch, bytes, *host_bps)?,
                ),
                leg(Element::Channel, wifi_air(*rate, bytes)?, Duration::ZERO),
            ],
            Kind::EspNow { rate } => [
                leg(
                    Element::Host { toward_host: false },
                    espnow_software(bytes)?,
                    Duration::ZERO,
                ),
                leg(Element::Channel, espnow_air(*rate, bytes)?, Duration::ZERO),
            ],
        })
    }

    /// The legs of a message of `bytes` from one group's gateway to another's.
    fn legs_between_groups(&self, bytes: u64) -> Result<[Leg; 2], BackboneError> {
        let leg = |element, receiver, busy, latency| Leg {
            element,
            receiver,
            busy,
            latency,
        };
        Ok(match &self.kind {
            Kind::Ethernet { nic, switch, .. } => [
                leg(
                    Element::Gateway,
                    false,
                    nic.busy(bytes, true)?,
                    switch_after(*switch, bytes, GATEWAY_PORT_BPS)?,
                ),
                leg(
                    Element::Gateway,
                    true,
                    nic.busy(bytes, false)?,
                    Duration::ZERO,
                ),
            ],
            Kind::Wifi { rate, switch, .. } => [
                leg(Element::Channel, false, wifi_air(*rate, bytes)?, *switch),
                leg(
                    Element::Channel,
                    true,
                    wifi_air(*rate, bytes)?,
                    Duration::ZERO,
                ),
            ],
            Kind::EspNow { rate } => [
                leg(
                    Element::Gateway,
                    false,
                    espnow_software(bytes)?,
                    Duration::ZERO,
                ),
                leg(
                    Element::Channel,
                    false,
                    espnow_air(*rate, bytes)?,
                    Duration::ZERO,
                ),
            ],
        })
    }
}

/// A switch's forwarding latency plus the last frame's wire time on the egress port at `bps`.
fn switch_after(switch: Duration, bytes: u64, bps: u64) -> Result<Duration, BackboneError> {
    Ok(switch
        .checked_add(ethernet::last_frame_wire(bytes, bps)?)
        .ok_or(TimeError::Overflow)?)
}

/// Air time of a UDP message as Wi-Fi frames, one exchange per datagram.
fn wifi_air(rate: PhyRate, bytes: u64) -> Result<Duration, BackboneError> {
    let ps: u64 = ethernet::packets(bytes)
        .map(|packet| rate.exchange_ps(packet - 28 + WIFI_FRAME_BYTES))
        .sum();
    Ok(Duration::from_ps(ps))
}

/// Frames of an ESP-NOW message (at least one).
fn espnow_frames(bytes: u64) -> impl Iterator<Item = u64> {
    let frames = bytes.div_ceil(ESPNOW_PAYLOAD_BYTES).max(1);
    (0..frames)
        .map(move |i| ESPNOW_PAYLOAD_BYTES.min(bytes - (i * ESPNOW_PAYLOAD_BYTES).min(bytes)))
}

/// Air time of an ESP-NOW message, one exchange per frame.
fn espnow_air(rate: PhyRate, bytes: u64) -> Result<Duration, BackboneError> {
    let ps: u64 = espnow_frames(bytes)
        .map(|payload| rate.exchange_ps(payload + ESPNOW_FRAME_BYTES))
        .sum();
    Ok(Duration::from_ps(ps))
}

/// The sender's software time for an ESP-NOW message.
fn espnow_software(bytes: u64) -> Result<Duration, BackboneError> {
    Ok(Duration::from_ns(ESPNOW_SOFTWARE_NS)
        .checked_mul(espnow_frames(bytes).count() as u64)
        .ok_or(TimeError::Overflow)?)
}

#[cfg(test)]
mod tests;
