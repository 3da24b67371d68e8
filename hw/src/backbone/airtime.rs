//! 802.11 airtime on 2.4 GHz: how long one frame exchange holds a channel.
//!
//! A unicast exchange is `DIFS + mean backoff + data PPDU + SIFS + ACK PPDU`: the channel is
//! silent for DIFS and the mean random backoff (contention), then the frame, then the receiver's
//! acknowledgement. PPDU durations:
//!
//! - DSSS/CCK (1, 2, 5.5, 11 Mbit/s): `preamble + PLCP header + ceil(8 L / R)`, the preamble and
//!   header 144 + 48 us long or 72 + 24 us short (Linux `net/mac80211/util.c`
//!   `ieee80211_frame_duration()`, quoting 802.11b 18.3.4; FreeBSD `ieee80211_phy.c`
//!   `CCK_PREAMBLE_BITS 144`, `CCK_PLCP_BITS 48`).
//! - ERP-OFDM (6-54 Mbit/s): `20 + 4 ceil((16 + 8 L + 6) / N_DBPS) + 6` us, `N_DBPS = 4 R`
//!   (preamble 16 + SIGNAL 4 us, 4-us symbols, 16 service and 6 tail bits, 6-us signal extension
//!   on 2.4 GHz; mac80211 `util.c`, 802.11-2012 18.3.2.4 and 19.8.4).
//! - HT mixed format, one stream, 20 MHz: `36 + 4 ceil(T_sym N_sym / 4) + 6` us with
//!   `N_sym = ceil((16 + 8 L + 6) / N_DBPS)` and `T_sym` 4 us (long guard) or 3.6 us (short);
//!   preamble L-STF 8 + L-LTF 8 + L-SIG 4 + HT-SIG 8 + HT-STF 4 + HT-LTF 4 = 36 us and `N_DBPS`
//!   26, 52, 78, 104, 156, 208, 234, 260 for MCS0-7 (Linux `ath9k/xmit.c`).
//!
//! Slot, contention window and SIFS (FreeBSD `ieee80211_phy.h`, ns-3 `wifi-standard-constants`):
//! SIFS 10 us on 2.4 GHz; DSSS/CCK slot 20 us and CWmin 31, OFDM/HT slot 9 us and CWmin 15;
//! `DIFS = SIFS + 2 slot`; the mean backoff of an uncontended station is `CWmin / 2` slots. The
//! ACK (14 bytes) goes at the data rate for DSSS/CCK and at the highest mandatory OFDM rate
//! (6, 12 or 24 Mbit/s) not above the data rate otherwise (the control-response rule). Which slot,
//! window and ACK rate the ESP32's closed Wi-Fi library uses is not documented: these are the
//! standard's values.

use serde::{Deserialize, Serialize};

/// Picoseconds per microsecond.
const PS_PER_US: u64 = 1_000_000;

/// An ACK frame: frame control 2, duration 2, receiver address 6, FCS 4 bytes.
const ACK_BYTES: u64 = 14;

/// SIFS on 2.4 GHz, us.
const SIFS_US: u64 = 10;

/// A PHY rate the ESP32 radio can be set to (`wifi_phy_rate_t` in ESP-IDF's
/// `esp_wifi_types_generic.h`: `WIFI_PHY_RATE_1M_L` ... `WIFI_PHY_RATE_MCS7_SGI`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhyRate {
    /// 1 Mbit/s DSSS, long preamble (ESP-NOW's default).
    #[serde(rename = "1m_l")]
    Dsss1Long,
    /// 2 Mbit/s DSSS, long preamble.
    #[serde(rename = "2m_l")]
    Dsss2Long,
    /// 11 Mbit/s CCK, long preamble.
    #[serde(rename = "11m_l")]
    Cck11Long,
    /// 11 Mbit/s CCK, short preamble.
    #[serde(rename = "11m_s")]
    Cck11Short,
    /// 6 Mbit/s OFDM.
    #[serde(rename = "6m")]
    Ofdm6,
    /// 24 Mbit/s OFDM.
    #[serde(rename = "24m")]
    Ofdm24,
    /// 54 Mbit/s OFDM.
    #[serde(rename = "54m")]
    Ofdm54,
    /// HT20 MCS0, long guard interval (6.5 Mbit/s).
    #[serde(rename = "mcs0_lgi")]
    Mcs0Lgi,
    /// HT20 MCS7, long guard interval (65 Mbit/s).
    #[serde(rename = "mcs7_lgi")]
    Mcs7Lgi,
    /// HT20 MCS7, short guard interval (72.2 Mbit/s).
    #[serde(rename = "mcs7_sgi")]
    Mcs7Sgi,
}

/// How a rate modulates: what its PPDU duration and contention parameters follow from.
enum Modulation {
    /// DSSS/CCK at `kbps`, with a long or short preamble.
    Dsss { kbps: u64, long_preamble: bool },
    /// ERP-OFDM at `mbps`.
    Ofdm { mbps: u64 },
    /// HT mixed format with `ndbps` data bits per symbol, short guard interval or not.
    Ht { ndbps: u64, short_gi: bool },
}

impl PhyRate {
    /// Every rate, for error messages.
    pub const NAMES: &'static str =
        "1m_l, 2m_l, 11m_l, 11m_s, 6m, 24m, 54m, mcs0_lgi, mcs7_lgi, mcs7_sgi";

    /// The name a scenario gives the rate (`"mcs7_lgi"`).
    pub fn name(self) -> &'static str {
        match self {
            PhyRate::Dsss1Long => "1m_l",
            PhyRate::Dsss2Long => "2m_l",
            PhyRate::Cck11Long => "11m_l",
            PhyRate::Cck11Short => "11m_s",
            PhyRate::Ofdm6 => "6m",
            PhyRate::Ofdm24 => "24m",
            PhyRate::Ofdm54 => "54m",
            PhyRate::Mcs0Lgi => "mcs0_lgi",
            PhyRate::Mcs7Lgi => "mcs7_lgi",
            PhyRate::Mcs7Sgi => "mcs7_sgi",
        }
    }

    fn modulation(self) -> Modulation {
        match self {
            PhyRate::Dsss1Long => Modulation::Dsss {
                kbps: 1_000,
                long_preamble: true,
            },
            PhyRate::Dsss2Long => Modulation::Dsss {
                kbps: 2_000,
                long_preamble: true,
            },
            PhyRate::Cck11Long => Modulation::Dsss {
                kbps: 11_000,
                long_preamble: true,
            },
            PhyRate::Cck11Short => Modulation::Dsss {
                kbps: 11_000,
                long_preamble: false,
            },
            PhyRate::Ofdm6 => Modulation::Ofdm { mbps: 6 },
            PhyRate::Ofdm24 => Modulation::Ofdm { mbps: 24 },
            PhyRate::Ofdm54 => Modulation::Ofdm { mbps: 54 },
            PhyRate::Mcs0Lgi => Modulation::Ht {
                ndbps: 26,
                short_gi: false,
            },
            PhyRate::Mcs7Lgi => Modulation::Ht {
                ndbps: 260,
                short_gi: false,
            },
            PhyRate::Mcs7Sgi => Modulation::Ht {
                ndbps: 260,
                short_gi: true,
            },
        }
    }

    /// Duration of one PPDU carrying an MPDU of `mpdu_bytes`, in picoseconds.
    pub fn ppdu_ps(self, mpdu_bytes: u64) -> u64 {
        let bits = 8 * mpdu_bytes;
        match self.modulation() {
            Modulation::Dsss {
                kbps,
                long_preamble,
            } => {
                let preamble_us = if long_preamble { 192 } else { 96 };
                // ceil(bits / rate) in whole microseconds, as the TXTIME formula rounds.
                let data_us = (bits * 1_000).div_ceil(kbps);
                (preamble_us + data_us) * PS_PER_US
            }
            Modulation::Ofdm { mbps } => {
                let symbols = (16 + bits + 6).div_ceil(4 * mbps);
                (20 + 4 * symbols + 6) * PS_PER_US
            }
            Modulation::Ht { ndbps, short_gi } => {
                let symbols = (16 + bits + 6).div_ceil(ndbps);
                // Symbol time in tenths of a microsecond; the data field rounds up to 4 us.
                let tenths = if short_gi { 36 } else { 40 };
                let data_us = 4 * (tenths * symbols).div_ceil(40);
                (36 + data_us + 6) * PS_PER_US
            }
        }
    }

    /// The rate the receiver's ACK goes at.
    fn ack_rate(self) -> PhyRate {
        match self.modulation() {
            Modulation::Dsss { .. } => self,
            Modulation::Ofdm { mbps } if mbps >= 24 => PhyRate::Ofdm24,
            Modulation::Ht { ndbps, .. } if ndbps >= 104 => PhyRate::Ofdm24,
            _ => PhyRate::Ofdm6,
        }
    }

    /// Slot time and minimum contention window.
    fn contention(self) -> (u64, u64) {
        match self.modulation() {
            Modulation::Dsss { .. } => (20, 31),
            _ => (9, 15),
        }
    }

    /// How long one unicast exchange of an MPDU of `mpdu_bytes` holds the channel: DIFS, the
    /// mean backoff, the frame, SIFS and the ACK, in picoseconds.
    pub fn exchange_ps(self, mpdu_bytes: u64) -> u64 {
        let (slot, cw_min) = self.contention();
        let difs = (SIFS_US + 2 * slot) * PS_PER_US;
        // Mean of a uniform draw on [0, CWmin] slots: CWmin / 2 slots.
        let backoff = cw_min * slot * PS_PER_US / 2;
        let ack = self.ack_rate().ppdu_ps(ACK_BYTES);
        difs + backoff + self.ppdu_ps(mpdu_bytes) + SIFS_US * PS_PER_US + ack
    }
}

#[cfg(test)]
mod tests {
    use super::PhyRate;

    const US: u64 = 1_000_000;

    /// The unicast cycles of a 250-byte ESP-NOW payload (a 293-byte MPDU) worked by hand from
    /// the formulas in the module documentation.
    #[test]
    fn exchanges_match_the_hand_worked_cycles() {
        // 1M_L: 50 + 310 + (192 + 2344) + 10 + (192 + 112) = 3210 us.
        assert_eq!(PhyRate::Dsss1Long.exchange_ps(293), 3_210 * US);
        // 11M_L: 50 + 310 + (192 + 214) + 10 + (192 + 11) = 979 us.
        assert_eq!(PhyRate::Cck11Long.exchange_ps(293), 979 * US);
        // 6M: 28 + 67.5 + (20 + 4 * 99 + 6) + 10 + (20 + 4 * 6 + 6) = 577.5 us.
        assert_eq!(PhyRate::Ofdm6.exchange_ps(293), 577_500_000);
        // 54M: 28 + 67.5 + (20 + 44 + 6) + 10 + 34 = 209.5 us.
        assert_eq!(PhyRate::Ofdm54.exchange_ps(293), 209_500_000);
        // MCS7 LGI: 28 + 67.5 + (36 + 40 + 6) + 10 + 34 = 221.5 us.
        assert_eq!(PhyRate::Mcs7Lgi.exchange_ps(293), 221_500_000);
        // MCS7 SGI: 10 symbols of 3.6 us = 36 us, rounded up to 36: 28 + 67.5 + 78 + 10 + 34.
        assert_eq!(PhyRate::Mcs7Sgi.exchange_ps(293), 217_500_000);
    }

    #[test]
    fn a_longer_frame_or_a_slower_rate_holds_the_channel_longer() {
        for rate in [PhyRate::Dsss1Long, PhyRate::Ofdm24, PhyRate::Mcs7Lgi] {
            assert!(rate.exchange_ps(1_000) > rate.exchange_ps(100));
        }
        assert!(PhyRate::Dsss1Long.exchange_ps(293) > PhyRate::Dsss2Long.exchange_ps(293));
        assert!(PhyRate::Mcs0Lgi.exchange_ps(293) > PhyRate::Mcs7Lgi.exchange_ps(293));
    }
}
