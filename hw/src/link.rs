//! Link models: how long a message takes over SPI, UART or ESP-NOW.
//!
//! A scenario describes a link with a [`LinkConfig`] (`link = { kind = "spi", clock_mhz = 40,
//! lines = 1, mode = "polling_dma" }`); [`LinkModel::new`] validates it against the calibration of
//! the two chips it joins and turns it into integer parameters. Then:
//! - [`LinkModel::transfer_time`] is the deterministic time of a message: per-transaction (or
//!   per-packet) overhead plus the data phase, and how many transactions it took;
//! - [`LinkModel::transfer_with_retries`] adds loss: each ESP-NOW packet is lost with the configured
//!   probability (drawn from a seeded stream) and sent again, up to `max_attempts`; a packet that
//!   exhausts its attempts fails the message, which is reported, never dropped silently. Wired
//!   links (SPI, UART) are modelled lossless and draw nothing from the stream.
//!
//! Models:
//! - SPI: a message is split into transactions of at most the DMA limit (4092 bytes) or 64 bytes
//!   without DMA. Each transaction costs the ESP-IDF "typical 1-byte transaction" time for its
//!   interrupt/polling x DMA/CPU mode, and the data phase moves `lines` bits per clock.
//! - UART: one continuous stream, `bits_per_byte` (10 for 8N1) bits per byte at the baud rate.
//! - ESP-NOW: a message is split into packets of at most the payload limit (250 bytes v1, 1470 v2).
//!   A packet costs its airtime at the PHY rate plus a per-packet overhead derived from the measured
//!   open-air throughput: `overhead = payload / throughput - payload / phy_rate` (214 kbps with
//!   250-byte packets at 1 Mbps gives about 7.35 ms, consistent with the 5-8 ms latency users report).

use rand_chacha::rand_core::Rng;
use ruvsim_topologies::LinkKind;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::calibration::{Calibration, Variant};
use ruvsim_engine::rng::{bernoulli, Probability, RngError};
use ruvsim_engine::time::{Duration, TimeError};

/// SPI transaction handling: interrupt or polling, DMA or CPU copies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpiMode {
    /// Interrupt-driven, DMA.
    InterruptDma,
    /// Interrupt-driven, CPU copies (at most 64 bytes per transaction).
    InterruptCpu,
    /// Polling, DMA.
    PollingDma,
    /// Polling, CPU copies (at most 64 bytes per transaction).
    PollingCpu,
}

impl SpiMode {
    fn uses_dma(self) -> bool {
        matches!(self, SpiMode::InterruptDma | SpiMode::PollingDma)
    }
}

/// How the SPI signals reach the pins; the GPIO matrix limits the clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpiPins {
    /// Dedicated IO_MUX pins.
    #[default]
    Iomux,
    /// Any pins through the GPIO matrix.
    GpioMatrix,
}

/// ESP-NOW protocol version (sets the payload limit).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EspNowVersion {
    /// 250-byte payloads.
    #[default]
    V1,
    /// 1470-byte payloads.
    V2,
}

/// SPI link settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpiConfig {
    /// Bus clock in MHz (fractional values such as 26.67 allowed).
    pub clock_mhz: f64,
    /// Data lines: 1, 2, 4 or 8.
    pub lines: u32,
    /// Transaction handling.
    pub mode: SpiMode,
    /// Pin routing (default IO_MUX).
    #[serde(default)]
    pub pins: SpiPins,
}

/// UART link settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UartConfig {
    /// Baud rate.
    pub baud: u64,
}

/// ESP-NOW link settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EspNowConfig {
    /// Protocol version (default v1).
    #[serde(default)]
    pub version: EspNowVersion,
    /// Probability that a packet is lost, in [0, 1) (default 0).
    #[serde(default)]
    pub loss: f64,
    /// Transmissions per packet before the message fails (default 5).
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
}

fn default_max_attempts() -> u32 {
    5
}

/// A link as a scenario describes it, tagged by `kind`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LinkConfig {
    /// SPI bus.
    Spi(SpiConfig),
    /// UART.
    Uart(UartConfig),
    /// ESP-NOW radio (`kind = "espnow"`; `"esp_now"` also accepted).
    #[serde(rename = "espnow", alias = "esp_now")]
    EspNow(EspNowConfig),
}

impl std::fmt::Display for LinkConfig {
    /// The link in words, as reports print it (`SPI 40 MHz, 2 line(s), polling + DMA`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkConfig::Spi(spi) => write!(
                f,
                "SPI {} MHz, {} line(s), {}",
                spi.clock_mhz,
                spi.lines,
                match spi.mode {
                    SpiMode::InterruptDma => "interrupt + DMA",
                    SpiMode::InterruptCpu => "interrupt + CPU",
                    SpiMode::PollingDma => "polling + DMA",
                    SpiMode::PollingCpu => "polling + CPU",
                }
            ),
            LinkConfig::Uart(uart) => write!(f, "UART {} baud", uart.baud),
            LinkConfig::EspNow(radio) => write!(
                f,
                "ESP-NOW {:?}, loss {}, up to {} attempts per packet",
                radio.version, radio.loss, radio.max_attempts
            ),
        }
    }
}

impl LinkConfig {
    /// The kind of this link, as the topology crate's port limits name it.
    pub fn kind(&self) -> LinkKind {
        match self {
            LinkConfig::Spi(_) => LinkKind::Spi,
            LinkConfig::Uart(_) => LinkKind::Uart,
            LinkConfig::EspNow(_) => LinkKind::EspNow,
        }
    }
}

/// Why a link configuration or transfer was rejected.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum LinkError {
    /// A clock or rate of zero, negative or not a number.
    #[error("link {what} must be a positive number, got {value}")]
    NotPositive {
        /// Which setting.
        what: &'static str,
        /// The value given.
        value: f64,
    },
    /// A clock or rate above what one end supports.
    #[error("link {what} {value} is above the {limit} of {max} for {variant}")]
    AboveMax {
        /// Which setting (`"clock_mhz"`, `"baud"`).
        what: &'static str,
        /// The value given.
        value: f64,
        /// Which limit (`"SPI master clock via IO_MUX"`, `"SPI slave clock"`, ...).
        limit: &'static str,
        /// The limit.
        max: f64,
        /// The variant that imposes it.
        variant: Variant,
    },
    /// SPI lines not in {1, 2, 4, 8}.
    #[error("SPI lines = {0}; valid: 1, 2, 4, 8")]
    Lines(u32),
    /// A loss probability outside [0, 1).
    #[error("ESP-NOW loss must be in [0, 1), got {0}")]
    Loss(f64),
    /// Zero attempts.
    #[error("ESP-NOW max_attempts must be at least 1")]
    NoAttempts,
    /// A transfer too long for simulated time.
    #[error("transfer time: {0}")]
    Time(#[from] TimeError),
}

impl From<RngError> for LinkError {
    fn from(error: RngError) -> LinkError {
        match error {
            RngError::InvalidProbability(p) => LinkError::Loss(p),
            RngError::MeanTooLarge { .. } => LinkError::Time(TimeError::Overflow),
        }
    }
}

/// Validated SPI parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpiLink {
    /// Bus clock in Hz.
    pub clock_hz: u64,
    /// Data lines.
    pub lines: u32,
    /// Fixed cost of each transaction.
    pub transaction_overhead: Duration,
    /// Largest transaction.
    pub max_transaction_bytes: u64,
}

/// Validated UART parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UartLink {
    /// Baud rate.
    pub baud: u64,
    /// Bits on the wire per byte.
    pub bits_per_byte: u64,
}

/// Validated ESP-NOW parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EspNowLink {
    /// PHY rate in bit/s.
    pub phy_rate_bps: u64,
    /// Largest payload per packet.
    pub payload_bytes: u64,
    /// Fixed cost of each packet (derived from the measured throughput).
    pub packet_overhead: Duration,
    /// Probability that a packet is lost.
    pub loss: Probability,
    /// Transmissions per packet before the message fails.
    pub max_attempts: u32,
}

/// A validated link, ready to time transfers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkModel {
    /// SPI bus.
    Spi(SpiLink),
    /// UART.
    Uart(UartLink),
    /// ESP-NOW radio.
    EspNow(EspNowLink),
}

/// Deterministic timing of one message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferTiming {
    /// Fixed costs: per-transaction or per-packet overhead.
    pub overhead: Duration,
    /// Time the data is on the wire or in the air.
    pub data: Duration,
    /// `overhead + data`.
    pub total: Duration,
    /// Transactions (SPI), streams (UART: 1) or packets (ESP-NOW).
    pub transactions: u64,
}

/// How a message over a possibly lossy link ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    /// Every packet arrived.
    Delivered,
    /// Packet `packet` (0-based) was lost on every attempt; the message failed.
    Failed {
        /// Index of the packet that exhausted its attempts.
        packet: u64,
    },
}

/// Result of [`LinkModel::transfer_with_retries`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// Transmissions made (packets plus retransmissions).
    pub attempts: u64,
    /// Time from the first transmission to delivery or failure.
    pub time: Duration,
    /// Delivered or failed.
    pub outcome: DeliveryOutcome,
}

/// Converts a decimal MHz clock to whole Hz, rejecting non-positive values.
fn clock_hz(clock_mhz: f64) -> Result<u64, LinkError> {
    let hz = (clock_mhz * 1e6).round();
    if !clock_mhz.is_finite() || hz < 1.0 || hz >= u64::MAX as f64 {
        return Err(LinkError::NotPositive {
            what: "clock_mhz",
            value: clock_mhz,
        });
    }
    Ok(hz as u64)
}

/// Fails if `value` exceeds `max` (both in the unit of `what`).
fn check_max(
    what: &'static str,
    value: f64,
    limit: &'static str,
    max: f64,
    variant: Variant,
) -> Result<(), LinkError> {
    if value > max {
        return Err(LinkError::AboveMax {
            what,
            value,
            limit,
            max,
            variant,
        });
    }
    Ok(())
}

impl LinkModel {
    /// Validates `config` for a link from `master` to `slave` (for SPI the clocking master; UART
    /// and ESP-NOW are symmetric and checked against both ends).
    pub fn new(
        config: &LinkConfig,
        master: &Calibration,
        slave: &Calibration,
    ) -> Result<LinkModel, LinkError> {
        match config {
            LinkConfig::Spi(spi) => Self::spi(spi, master, slave),
            LinkConfig::Uart(uart) => Self::uart(uart, master, slave),
            LinkConfig::EspNow(espnow) => Self::espnow(espnow, master),
        }
    }

    fn spi(
        config: &SpiConfig,
        master: &Calibration,
        slave: &Calibration,
    ) -> Result<LinkModel, LinkError> {
        if !matches!(config.lines, 1 | 2 | 4 | 8) {
            return Err(LinkError::Lines(config.lines));
        }
        let hz = clock_hz(config.clock_mhz)?;
        let spi = &master.links.spi;
        let (limit, max) = match config.pins {
            SpiPins::Iomux => (
                "SPI master clock via IO_MUX",
                spi.master_max_clock_mhz_iomux,
            ),
            SpiPins::GpioMatrix => (
                "SPI master clock through the GPIO matrix",
                spi.master_max_clock_mhz_gpio_matrix,
            ),
        };
        check_max(
            "clock_mhz",
            config.clock_mhz,
            limit,
            f64::from(max),
            master.variant,
        )?;
        check_max(
            "clock_mhz",
            config.clock_mhz,
            "SPI slave clock",
            f64::from(slave.links.spi.slave_max_clock_mhz),
            slave.variant,
        )?;
        let overhead_ns = match config.mode {
            SpiMode::InterruptDma => spi.overhead.interrupt_dma_ns,
            SpiMode::InterruptCpu => spi.overhead.interrupt_cpu_ns,
            SpiMode::PollingDma => spi.overhead.polling_dma_ns,
            SpiMode::PollingCpu => spi.overhead.polling_cpu_ns,
        };
        Ok(LinkModel::Spi(SpiLink {
            clock_hz: hz,
            lines: config.lines,
            transaction_overhead: Duration::checked_from_ns(overhead_ns)?,
            max_transaction_bytes: if config.mode.uses_dma() {
                spi.dma_max_transfer_bytes
            } else {
                spi.cpu_max_transfer_bytes
            },
        }))
    }

    fn uart(config: &UartConfig, a: &Calibration, b: &Calibration) -> Result<LinkModel, LinkError> {
        if config.baud == 0 {
            return Err(LinkError::NotPositive {
                what: "baud",
                value: 0.0,
            });
        }
        for end in [a, b] {
            check_max(
                "baud",
                config.baud as f64,
                "UART maximum baud",
                end.links.uart.max_baud as f64,
                end.variant,
            )?;
        }
        Ok(LinkModel::Uart(UartLink {
            baud: config.baud,
            bits_per_byte: a.links.uart.bits_per_byte,
        }))
    }

    fn espnow(config: &EspNowConfig, sender: &Calibration) -> Result<LinkModel, LinkError> {
        if !(0.0..1.0).contains(&config.loss) {
            return Err(LinkError::Loss(config.loss));
        }
        if config.max_attempts == 0 {
            return Err(LinkError::NoAttempts);
        }
        let radio = &sender.links.espnow;
        let measured_bits = u128::from(radio.measured_payload_bytes) * 8;
        let packet_time =
            Duration::from_bits_at_rate(measured_bits, radio.measured_throughput_bps)?;
        let airtime = Duration::from_bits_at_rate(measured_bits, radio.phy_rate_bps)?;
        Ok(LinkModel::EspNow(EspNowLink {
            phy_rate_bps: radio.phy_rate_bps,
            payload_bytes: match config.version {
                EspNowVersion::V1 => radio.payload_v1_bytes,
                EspNowVersion::V2 => radio.payload_v2_bytes,
            },
            // The calibration loader guarantees throughput < PHY rate, so this is positive.
            packet_overhead: packet_time - airtime,
            loss: Probability::new(config.loss)?,
            max_attempts: config.max_attempts,
        }))
    }

    /// The same link with a further, independent chance `extra` of losing each ESP-NOW packet
    /// (a fault scenario's `message_loss` on a radio): a packet is then lost with
    /// `1 - (1 - loss) (1 - extra)`. Wired links are returned unchanged (their loss is the fault
    /// model's own retransmission, see the simulator's faults).
    pub fn with_extra_loss(self, extra: Probability) -> Result<LinkModel, LinkError> {
        match self {
            LinkModel::EspNow(mut radio) => {
                let kept = (1.0 - radio.loss.as_f64()) * (1.0 - extra.as_f64());
                radio.loss = Probability::new(1.0 - kept)?;
                Ok(LinkModel::EspNow(radio))
            }
            wired => Ok(wired),
        }
    }

    /// Deterministic time to send `bytes` (zero bytes: nothing is sent, zero time).
    pub fn transfer_time(&self, bytes: u64) -> Result<TransferTiming, LinkError> {
        let bits = u128::from(bytes) * 8;
        let (transactions, per_transaction, data) = match self {
            LinkModel::Spi(spi) => (
                bytes.div_ceil(spi.max_transaction_bytes),
                spi.transaction_overhead,
                Duration::from_bits_at_rate(bits, spi.clock_hz * u64::from(spi.lines))?,
            ),
            LinkModel::Uart(uart) => (
                u64::from(bytes > 0),
                Duration::ZERO,
                Duration::from_bits_at_rate(
                    u128::from(bytes) * u128::from(uart.bits_per_byte),
                    uart.baud,
                )?,
            ),
            LinkModel::EspNow(radio) => (
                bytes.div_ceil(radio.payload_bytes),
                radio.packet_overhead,
                Duration::from_bits_at_rate(bits, radio.phy_rate_bps)?,
            ),
        };
        let overhead = per_transaction
            .checked_mul(transactions)
            .ok_or(TimeError::Overflow)?;
        Ok(TransferTiming {
            overhead,
            data,
            total: overhead.checked_add(data).ok_or(TimeError::Overflow)?,
            transactions,
        })
    }

    /// Sends `bytes` with loss and retransmission, drawing one Bernoulli trial per ESP-NOW packet
    /// transmission from `rng` (use the link's `Purpose::LinkLoss` stream). Each transmission costs
    /// the packet's full time; a packet lost `max_attempts` times fails the message. Wired links
    /// are lossless: the result is [`LinkModel::transfer_time`], and `rng` is not touched.
    pub fn transfer_with_retries<R: Rng + ?Sized>(
        &self,
        bytes: u64,
        rng: &mut R,
    ) -> Result<Delivery, LinkError> {
        let LinkModel::EspNow(radio) = self else {
            let timing = self.transfer_time(bytes)?;
            return Ok(Delivery {
                attempts: timing.transactions,
                time: timing.total,
                outcome: DeliveryOutcome::Delivered,
            });
        };
        let mut time = Duration::ZERO;
        let mut attempts = 0u64;
        let packets = bytes.div_ceil(radio.payload_bytes);
        for packet in 0..packets {
            let size = radio
                .payload_bytes
                .min(bytes - packet * radio.payload_bytes);
            let airtime = Duration::from_bits_at_rate(u128::from(size) * 8, radio.phy_rate_bps)?;
            let packet_time = radio.packet_overhead + airtime;
            let mut delivered = false;
            for _ in 0..radio.max_attempts {
                attempts += 1;
                time = time.checked_add(packet_time).ok_or(TimeError::Overflow)?;
                if !bernoulli(rng, radio.loss) {
                    delivered = true;
                    break;
                }
            }
            if !delivered {
                return Ok(Delivery {
                    attempts,
                    time,
                    outcome: DeliveryOutcome::Failed { packet },
                });
            }
        }
        Ok(Delivery {
            attempts,
            time,
            outcome: DeliveryOutcome::Delivered,
        })
    }
}

#[cfg(test)]
mod tests;
