//! Ethernet framing and the gateway's Ethernet interface: how long a UDP message keeps the
//! interface busy, frame by frame, and how long its frames take on a wire.
//!
//! Framing (ESP-IDF `docs/en/api-reference/network/esp_eth.rst`: 7-byte preamble and SFD, 14-byte
//! header, 46-1500 payload bytes, 4-byte FCS; the 12-byte inter-frame gap of IEEE 802.3 as AMD's
//! PG051 states it): a frame of `p` bytes of IP packet occupies `max(p, 46) + 38` bytes of wire
//! time. A UDP message travels in datagrams of at most 1472 bytes (1500 minus the IPv4 and UDP
//! headers, 28 bytes).
//!
//! Interfaces:
//! - **EMAC** (the classic ESP32's MAC over RMII at 100 Mbit/s; `SOC_EMAC_SUPPORTED` only in the
//!   ESP32's `soc_caps.h`): CPU-bound per frame. ESP-IDF's `examples/ethernet/iperf/README.md`
//!   measures 73.52 Mbit/s of 1470-byte UDP datagrams sent (159.96 us per frame) and 78.76 Mbit/s
//!   received (149.31 us; the sender was capped at 80 Mbit/s, so this is an upper bound on the
//!   cost). Each frame is 1536 bytes on the wire, 122.88 us at 100 Mbit/s, so the driver's own
//!   time is 37.08 us per frame sent and 26.43 us per frame received; a frame costs that plus its
//!   wire time.
//! - **W5500** (SPI-Ethernet, the only Ethernet an ESP32-S3 has): the esp-eth-drivers driver
//!   moves every frame with polling SPI transactions (`wiznet_mac_common.c`
//!   `emac_wiznet_transmit`: two TX_FSR reads, a TX_WR read, the frame, a TX_WR write, the SEND
//!   command, a poll of Sn_CR, a poll of Sn_IR, an IRCLR write = 8 control transactions and the
//!   data; `emac_wiznet_receive`: two RSR reads, an RX_RD read, the 2-byte length header, the
//!   frame, an RX_RD write, the RECV command and its poll = 7 small transactions and the data).
//!   Each transaction carries the WIZnet 3-byte address and control phase (`wiznet_spi.c`:
//!   `command_bits = 16`, `address_bits = 8`) and costs the chip's polling + DMA transaction
//!   time from its calibration; a control transaction moves 5 bytes. The frame goes without
//!   preamble, FCS or gap (MACRAW: 14-byte header and at least 46 bytes of packet). A sent frame
//!   also waits for SEND_OK, taken as its wire time at 100 Mbit/s (the datasheet's SEND_OK timing
//!   was not available, so this is an assumption). ESP-IDF's CI runs it at
//!   `CONFIG_ETHERNET_SPI_CLOCK_MHZ=20`; WIZnet rates the chip to 80 MHz. At 20 MHz a full frame
//!   costs about 836 us to send (14 Mbit/s), in line with the 10 Mbit/s CI minimum and the
//!   10-13 Mbit/s users report.

use ruvsim_engine::time::{Duration, TimeError};
use serde::{Deserialize, Serialize};

/// Preamble and SFD (8), header (14), FCS (4) and inter-frame gap (12) bytes around a packet.
const WIRE_OVERHEAD_BYTES: u64 = 38;
/// Ethernet's minimum payload: shorter packets are padded.
const MIN_PACKET_BYTES: u64 = 46;
/// IPv4 (20) and UDP (8) headers.
const IP_UDP_BYTES: u64 = 28;
/// UDP payload per datagram at a 1500-byte MTU.
pub const MAX_DATAGRAM_BYTES: u64 = 1472;
/// The gateway's port rate: "the rated 100 Mbps" (`esp_eth.rst`).
pub const GATEWAY_PORT_BPS: u64 = 100_000_000;

/// EMAC driver time per frame sent, ns: 159,956 (1470 B at 73.52 Mbit/s) - 122,880 (wire).
const EMAC_TX_NS: u64 = 37_076;
/// EMAC driver time per frame received, ns: 149,314 (1470 B at 78.76 Mbit/s) - 122,880 (wire).
const EMAC_RX_NS: u64 = 26_434;
/// W5500 control transactions per frame sent.
const W5500_TX_CONTROL: u64 = 8;
/// W5500 small transactions per frame received (the length header included).
const W5500_RX_CONTROL: u64 = 7;
/// Bytes of one W5500 control transaction: 3-byte address and control phase, 2 data bytes.
const W5500_CONTROL_BYTES: u64 = 5;
/// The WIZnet address and control phase in front of the frame's data transaction.
const W5500_HEADER_BYTES: u64 = 3;
/// MACRAW frame header (destination, source, type).
const MAC_HEADER_BYTES: u64 = 14;

/// The Ethernet interface of a group's gateway chip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EthernetNic {
    /// The classic ESP32's internal MAC with an RMII PHY.
    Emac,
    /// A WIZnet W5500 on an SPI bus.
    W5500,
}

/// An Ethernet interface with its settings resolved.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Interface {
    /// EMAC: fixed driver time per frame.
    Emac,
    /// W5500 at `spi_hz`, each transaction costing `transaction`.
    W5500 {
        /// SPI clock.
        spi_hz: u64,
        /// Polling + DMA transaction time of the gateway chip.
        transaction: Duration,
    },
}

/// The IP packet sizes (UDP datagram plus headers) of a message of `bytes`, frame by frame.
pub(crate) fn packets(bytes: u64) -> impl Iterator<Item = u64> {
    let frames = bytes.div_ceil(MAX_DATAGRAM_BYTES).max(1);
    (0..frames).map(move |i| {
        let payload = MAX_DATAGRAM_BYTES.min(bytes - (i * MAX_DATAGRAM_BYTES).min(bytes));
        payload + IP_UDP_BYTES
    })
}

/// Wire time of a message of `bytes` at `bps`: every frame with its padding, preamble and gap.
pub(crate) fn wire(bytes: u64, bps: u64) -> Result<Duration, TimeError> {
    let wire_bytes: u64 = packets(bytes)
        .map(|p| p.max(MIN_PACKET_BYTES) + WIRE_OVERHEAD_BYTES)
        .sum();
    Duration::from_bits_at_rate(u128::from(wire_bytes) * 8, bps)
}

/// Wire time of the message's last frame at `bps` (what a store-and-forward hop waits for).
pub(crate) fn last_frame_wire(bytes: u64, bps: u64) -> Result<Duration, TimeError> {
    let last = packets(bytes).last().unwrap_or(IP_UDP_BYTES);
    let wire_bytes = last.max(MIN_PACKET_BYTES) + WIRE_OVERHEAD_BYTES;
    Duration::from_bits_at_rate(u128::from(wire_bytes) * 8, bps)
}

impl Interface {
    /// How long sending (`send`) or receiving a message of `bytes` keeps the interface busy.
    pub(crate) fn busy(self, bytes: u64, send: bool) -> Result<Duration, TimeError> {
        let mut total = Duration::ZERO;
        for packet in packets(bytes) {
            let frame_wire = wire_of_packet(packet)?;
            let frame = match self {
                Interface::Emac => {
                    let driver = Duration::from_ns(if send { EMAC_TX_NS } else { EMAC_RX_NS });
                    add(driver, frame_wire)?
                }
                Interface::W5500 {
                    spi_hz,
                    transaction,
                } => {
                    let control = if send {
                        W5500_TX_CONTROL
                    } else {
                        W5500_RX_CONTROL
                    };
                    let macraw = packet.max(MIN_PACKET_BYTES) + MAC_HEADER_BYTES;
                    let spi_bytes = control * W5500_CONTROL_BYTES + W5500_HEADER_BYTES + macraw;
                    let spi = Duration::from_bits_at_rate(u128::from(spi_bytes) * 8, spi_hz)?;
                    let transactions = transaction
                        .checked_mul(control + 1)
                        .ok_or(TimeError::Overflow)?;
                    let sent = if send { frame_wire } else { Duration::ZERO };
                    add(add(spi, transactions)?, sent)?
                }
            };
            total = add(total, frame)?;
        }
        Ok(total)
    }
}

fn wire_of_packet(packet: u64) -> Result<Duration, TimeError> {
    let wire_bytes = packet.max(MIN_PACKET_BYTES) + WIRE_OVERHEAD_BYTES;
    Duration::from_bits_at_rate(u128::from(wire_bytes) * 8, GATEWAY_PORT_BPS)
}

fn add(a: Duration, b: Duration) -> Result<Duration, TimeError> {
    a.checked_add(b).ok_or(TimeError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_emac_reproduces_the_iperf_frame_times_it_was_derived_from() {
        // 1470-byte datagrams: 159.956 us per frame sent, 149.314 us received.
        let sent = Interface::Emac.busy(1470, true).unwrap();
        let received = Interface::Emac.busy(1470, false).unwrap();
        assert_eq!(sent.as_ps(), 159_956_000);
        assert_eq!(received.as_ps(), 149_314_000);
    }

    #[test]
    fn a_w5500_at_20_mhz_sends_a_full_frame_in_about_836_us() {
        let w5500 = Interface::W5500 {
            spi_hz: 20_000_000,
            transaction: Duration::from_us(10),
        };
        let us = w5500.busy(1472, true).unwrap().as_secs_f64() * 1e6;
        assert!((us - 836.0).abs() < 15.0, "{us} us");
        // Faster SPI, less time; receiving skips the wait for the wire.
        let fast = Interface::W5500 {
            spi_hz: 80_000_000,
            transaction: Duration::from_us(10),
        };
        assert!(fast.busy(1472, true).unwrap() < w5500.busy(1472, true).unwrap());
        assert!(w5500.busy(1472, false).unwrap() < w5500.busy(1472, true).unwrap());
    }

    #[test]
    fn messages_split_into_datagrams_and_short_frames_are_padded() {
        assert_eq!(packets(4).collect::<Vec<_>>(), vec![32]);
        assert_eq!(packets(3000).collect::<Vec<_>>(), vec![1500, 1500, 84]);
        // A 4-byte message still takes a minimum frame: 84 bytes = 6.72 us at 100 Mbit/s.
        assert_eq!(wire(4, GATEWAY_PORT_BPS).unwrap().as_ps(), 6_720_000);
        assert_eq!(
            last_frame_wire(3000, GATEWAY_PORT_BPS).unwrap(),
            wire(56, GATEWAY_PORT_BPS).unwrap()
        );
    }
}
