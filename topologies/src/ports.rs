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

use serde::{Deserialize, Serialize};

/// ESP32-class chip variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChipVariant {
    /// ESP32 (Xtensa LX6).
    Esp32,
    /// ESP32-S2.
    Esp32S2,
    /// ESP32-S3.
    Esp32S3,
    /// ESP32-C3.
    Esp32C3,
    /// ESP32-C6.
    Esp32C6,
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

impl ChipVariant {
    /// General-purpose SPI controllers (`SOC_SPI_PERIPH_NUM - 1`: SPI0/1 serve the flash).
    pub fn spi_controllers(self) -> u32 {
        match self {
            ChipVariant::Esp32 | ChipVariant::Esp32S2 | ChipVariant::Esp32S3 => 2,
            ChipVariant::Esp32C3 | ChipVariant::Esp32C6 => 1,
        }
    }

    /// High-power UARTs (`SOC_UART_HP_NUM`; the C6's LP UART is not counted).
    pub fn uarts(self) -> u32 {
        match self {
            ChipVariant::Esp32 | ChipVariant::Esp32S3 => 3,
            ChipVariant::Esp32S2 | ChipVariant::Esp32C3 | ChipVariant::Esp32C6 => 2,
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
