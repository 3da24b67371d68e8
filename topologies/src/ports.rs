//! Physical port limits: how many links of a kind one chip can terminate.
//!
//! # Port model
//!
//! A *port* is one link interface on a chip. Each point-to-point link uses one port on each of
//! its two chips; a shared medium (a bus) uses one port on every chip attached to it. A
//! topology's degree ([`crate::Topology::max_degree`]) is therefore the ports its busiest chip
//! needs, and a wiring can be built with a link kind only if that kind offers at least that many
//! ports per chip ([`crate::Topology::check_ports`]).
//!
//! - **SPI**: one port per general-purpose SPI controller (SPI2, SPI3; SPI0/1 serve the flash).
//!   A controller acts as master on one link or as slave on one link. One master can drive
//!   several slaves with separate CS lines, but then the slaves cannot talk to each other and the
//!   master takes part in every transfer: that is a star around the master over a shared bus, so
//!   it is not counted as extra ports and SPI offers no any-to-any shared medium.
//! - **UART**: one port per high-power UART. UART0 usually carries the console and flashing;
//!   a cluster that needs it must move the console to USB-Serial-JTAG or drop it, so the figure
//!   here is the hardware count, not what a default firmware leaves free.
//! - **ESP-NOW**: at most 20 unencrypted peers per chip, so 20 ports; broadcast frames reach
//!   every chip in range on the shared channel, so a shared medium is allowed. All ESP-NOW
//!   traffic of a chip goes through one radio: the simulator models that contention, not this
//!   port count.
//!
//! Sources: esp-idf `components/soc/<chip>/include/soc/soc_caps.h` (`SOC_SPI_PERIPH_NUM` counts
//! SPI0/1 as one host plus the general-purpose controllers; `SOC_UART_HP_NUM` the high-power
//! UARTs; e.g. ESP32-C6 at commit 0049cc66: `SOC_SPI_PERIPH_NUM 2`, `SOC_UART_HP_NUM 2`,
//! `SOC_UART_LP_NUM 1`); ESP-NOW peer limit from esp-idf `docs/en/api-reference/network/esp_now.rst`
//! (also `../shared/CALIBRATION.md` sections 1 and 4).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// An unknown chip variant name, with the valid names.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown chip variant `{name}`; valid variants: esp32, esp32s2, esp32s3, esp32c3, esp32c6")]
pub struct UnknownVariant {
    /// The name as given.
    pub name: String,
}

/// A chip variant of the ESP32 family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Variant {
    /// ESP32 (Xtensa LX6, dual core, FPU).
    Esp32,
    /// ESP32-S2 (Xtensa LX7, single core, no FPU).
    Esp32S2,
    /// ESP32-S3 (Xtensa LX7, dual core, FPU, PIE SIMD).
    Esp32S3,
    /// ESP32-C3 (RISC-V rv32imc, single core, no FPU).
    Esp32C3,
    /// ESP32-C6 (RISC-V rv32imac, single HP core, no FPU).
    Esp32C6,
}

impl Variant {
    /// Every variant.
    pub const ALL: [Variant; 5] = [
        Variant::Esp32,
        Variant::Esp32S2,
        Variant::Esp32S3,
        Variant::Esp32C3,
        Variant::Esp32C6,
    ];

    /// The canonical lower-case name used in scenarios (`"esp32s3"`).
    pub const fn name(self) -> &'static str {
        match self {
            Variant::Esp32 => "esp32",
            Variant::Esp32S2 => "esp32s2",
            Variant::Esp32S3 => "esp32s3",
            Variant::Esp32C3 => "esp32c3",
            Variant::Esp32C6 => "esp32c6",
        }
    }

    /// The marketing name (`"ESP32-S3"`), for reports.
    pub const fn display_name(self) -> &'static str {
        match self {
            Variant::Esp32 => "ESP32",
            Variant::Esp32S2 => "ESP32-S2",
            Variant::Esp32S3 => "ESP32-S3",
            Variant::Esp32C3 => "ESP32-C3",
            Variant::Esp32C6 => "ESP32-C6",
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Variant {
    type Err = UnknownVariant;

    /// Accepts the canonical names and the marketing spelling (`"ESP32-S3"`), case-insensitively.
    fn from_str(s: &str) -> Result<Variant, UnknownVariant> {
        let normalized: String = s
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .flat_map(char::to_lowercase)
            .collect();
        Variant::ALL
            .into_iter()
            .find(|v| v.name() == normalized)
            .ok_or_else(|| UnknownVariant {
                name: s.to_string(),
            })
    }
}

impl Serialize for Variant {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Variant {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Variant, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// Kinds of chip-to-chip link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// SPI, point-to-point (one controller per link end).
    Spi,
    /// UART, point-to-point.
    Uart,
    /// ESP-NOW over Wi-Fi: peers, or broadcast on the shared channel.
    EspNow,
}

/// What a link kind offers each chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortBudget {
    /// Links of this kind one chip can terminate.
    pub ports_per_chip: u32,
    /// Whether a shared medium (a bus that any chip can transmit on) may be used.
    pub shared_medium: bool,
}

/// ESP-NOW's limit on unencrypted peers per chip (esp-idf `esp_now.rst`).
pub const ESP_NOW_MAX_PEERS: u32 = 20;

impl Variant {
    /// General-purpose SPI controllers (`SOC_SPI_PERIPH_NUM - 1`: SPI0/1 serve the flash).
    pub fn spi_controllers(self) -> u32 {
        match self {
            Variant::Esp32 | Variant::Esp32S2 | Variant::Esp32S3 => 2,
            Variant::Esp32C3 | Variant::Esp32C6 => 1,
        }
    }

    /// High-power UARTs (`SOC_UART_HP_NUM`; the C6's LP UART is not counted).
    pub fn uarts(self) -> u32 {
        match self {
            Variant::Esp32 | Variant::Esp32S3 => 3,
            Variant::Esp32S2 | Variant::Esp32C3 | Variant::Esp32C6 => 2,
        }
    }

    /// What `link` offers on this chip, under the port model of this module.
    pub fn port_budget(self, link: LinkKind) -> PortBudget {
        match link {
            LinkKind::Spi => PortBudget {
                ports_per_chip: self.spi_controllers(),
                shared_medium: false,
            },
            LinkKind::Uart => PortBudget {
                ports_per_chip: self.uarts(),
                shared_medium: false,
            },
            LinkKind::EspNow => PortBudget {
                ports_per_chip: ESP_NOW_MAX_PEERS,
                shared_medium: true,
            },
        }
    }
}
