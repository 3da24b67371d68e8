//! The data cache in front of PSRAM and memory-mapped flash: its size, line size and ways as a
//! board configures them, and the time of one line fill over the SPI bus.
//!
//! Valid configurations per variant come from ESP-IDF's Kconfig (ESP32-S3:
//! `components/esp_system/port/soc/esp32s3/Kconfig.cache`: 16/32/64 KB, 4 or 8 ways, 16/32/64-byte
//! lines, 16-byte lines only with 16 or 32 KB, defaults 32 KB / 8 ways / 32 B). Where ESP-IDF gives
//! no choice or no figure (the ESP32's 32 KB per-CPU cache, whose line size and associativity are
//! not published; the other variants' caches), only the one configuration the calibration assumes
//! is valid, and it says so.
//!
//! A line fill costs the bus's command, address, dummy and chip-select clocks plus the data clocks
//! of one line. The calibration tables give each bus's efficiency for their reference line size
//! (`cache_line_bytes`); the fixed clocks follow from it: `fixed = data(ref) x (1 / efficiency - 1)`,
//! and a line of `L` bytes takes `(data(L) + fixed) / f`. Only the fixed part is calibrated, so the
//! line size the scenario chooses changes the fill time exactly as the bus protocol does.
//!
//! Overlap and prefetch rules: a fill stalls the core that missed (the cores are in order), so
//! fill time adds to compute time; both cores share the one MSPI bus, so a second core does not
//! shorten it; no hardware prefetch is modelled (the ESP32-S3's data-cache autoload exists, but
//! whether ESP-IDF enables it by default was not established), so sequential reads pay every
//! fill. Data that fits the cache and is reused before it is evicted is not filled again: whole
//! weight sets smaller than the cache, and a layer's keys or values while they fit.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::calibration::{CachedBus, Variant};
use ruvsim_engine::time::{Duration, TimeError};

/// A data cache configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheConfig {
    /// Capacity in KiB.
    pub size_kb: u32,
    /// Bytes per line.
    pub line_bytes: u32,
    /// Associativity.
    pub ways: u32,
}

/// The configurations a variant offers and the one it uses by default.
struct Offer {
    sizes_kb: &'static [u32],
    lines: &'static [u32],
    ways: &'static [u32],
    default: CacheConfig,
    source: &'static str,
}

/// What each variant's data cache can be configured to (see the module docs for the sources).
fn offer(variant: Variant) -> Offer {
    match variant {
        Variant::Esp32S3 => Offer {
            sizes_kb: &[16, 32, 64],
            lines: &[16, 32, 64],
            ways: &[4, 8],
            default: CacheConfig {
                size_kb: 32,
                line_bytes: 32,
                ways: 8,
            },
            source: "esp-idf esp32s3 Kconfig.cache",
        },
        Variant::Esp32 => Offer {
            sizes_kb: &[32],
            lines: &[32],
            ways: &[2],
            default: CacheConfig {
                size_kb: 32,
                line_bytes: 32,
                ways: 2,
            },
            source: "esp-idf memory-types.rst: 32 KB per CPU; line size and ways not published, \
                     32 B and 2 ways assumed",
        },
        Variant::Esp32S2 => Offer {
            sizes_kb: &[8, 16],
            lines: &[16, 32],
            ways: &[4],
            default: CacheConfig {
                size_kb: 8,
                line_bytes: 32,
                ways: 4,
            },
            source: "esp-idf esp32s2 Kconfig.cache (8/16 KB data cache, 16/32-byte lines); 4 ways \
                     assumed",
        },
        Variant::Esp32C3 | Variant::Esp32C6 => Offer {
            sizes_kb: &[16],
            lines: &[32],
            ways: &[8],
            default: CacheConfig {
                size_kb: 16,
                line_bytes: 32,
                ways: 8,
            },
            source: "CAL s1: 16 KB of SRAM used as the flash cache; 32-byte lines and 8 ways \
                     assumed",
        },
    }
}

/// A cache setting the variant does not offer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("cluster.memory.{key} = {value} is not offered by {variant} (valid: {valid}; {basis})")]
pub struct CacheError {
    /// The scenario key.
    pub key: &'static str,
    /// The value given.
    pub value: u32,
    /// The variant.
    pub variant: Variant,
    /// The valid values.
    pub valid: String,
    /// Where the valid values come from.
    pub basis: &'static str,
}

impl CacheConfig {
    /// The variant's default configuration, with any of `size_kb`, `line_bytes`, `ways` replaced,
    /// checked against what the variant offers.
    pub fn resolve(
        variant: Variant,
        size_kb: Option<u32>,
        line_bytes: Option<u32>,
        ways: Option<u32>,
    ) -> Result<CacheConfig, CacheError> {
        let offer = offer(variant);
        let pick = |key: &'static str, given: Option<u32>, valid: &[u32], default: u32| {
            let value = given.unwrap_or(default);
            if valid.contains(&value) {
                Ok(value)
            } else {
                Err(CacheError {
                    key,
                    value,
                    variant,
                    valid: valid
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                    basis: offer.source,
                })
            }
        };
        let config = CacheConfig {
            size_kb: pick("cache_kb", size_kb, offer.sizes_kb, offer.default.size_kb)?,
            line_bytes: pick(
                "cache_line_bytes",
                line_bytes,
                offer.lines,
                offer.default.line_bytes,
            )?,
            ways: pick("cache_ways", ways, offer.ways, offer.default.ways)?,
        };
        if variant == Variant::Esp32S3 && config.line_bytes == 16 && config.size_kb == 64 {
            return Err(CacheError {
                key: "cache_line_bytes",
                value: 16,
                variant,
                valid: "32, 64 with a 64 KB cache".into(),
                basis: offer.source,
            });
        }
        Ok(config)
    }

    /// Capacity in bytes.
    pub fn bytes(&self) -> u64 {
        u64::from(self.size_kb) * 1024
    }

    /// Lines that `bytes` contiguous bytes occupy (from a line boundary).
    pub fn lines(&self, bytes: u64) -> u64 {
        bytes.div_ceil(u64::from(self.line_bytes))
    }
}

/// Time of one line fill of `line_bytes` from `bus` at `clock_mhz` (see the module docs).
pub fn line_fill(bus: CachedBus, clock_mhz: u32, line_bytes: u32) -> Result<Duration, TimeError> {
    // In clocks x 1e6 (efficiency is in parts per million):
    // data(L) x 1e6 + data(ref) x (1e6 - efficiency) ... divided by efficiency gives
    // data(L) + fixed where fixed = data(ref) x (1e6 / efficiency - 1).
    let bits = u128::from(bus.bits_per_clock);
    let efficiency = u128::from(bus.efficiency_ppm);
    let data = u128::from(line_bytes) * 8 * efficiency;
    let fixed = u128::from(bus.cache_line_bytes) * 8 * (1_000_000 - efficiency);
    // ps = (data + fixed) / (bits x efficiency) clocks x 1e12 / (clock_mhz x 1e6).
    let numerator = (data + fixed) * 1_000_000;
    let denominator = bits * efficiency * u128::from(clock_mhz);
    let ps = numerator.div_ceil(denominator);
    Ok(Duration::from_ps(
        u64::try_from(ps).map_err(|_| TimeError::Overflow)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibration::Calibration;

    #[test]
    fn the_s3_offers_its_kconfig_choices_and_names_them_when_refused() {
        let config = CacheConfig::resolve(Variant::Esp32S3, Some(64), Some(64), None).unwrap();
        assert_eq!(config.bytes(), 65_536);
        assert_eq!(config.ways, 8);
        let err = CacheConfig::resolve(Variant::Esp32S3, Some(48), None, None).unwrap_err();
        assert!(err.to_string().contains("valid: 16, 32, 64"), "{err}");
        assert!(CacheConfig::resolve(Variant::Esp32S3, Some(64), Some(16), None).is_err());
        let err = CacheConfig::resolve(Variant::Esp32, None, Some(64), None).unwrap_err();
        assert!(err.to_string().contains("not published"), "{err}");
    }

    #[test]
    fn a_fill_is_the_fixed_clocks_plus_the_lines_data_clocks() {
        let s3 = Calibration::builtin(Variant::Esp32S3);
        let psram = s3.memory.psram.unwrap();
        // Quad at 80 MHz: 64 data clocks of a 32-byte line at 0.7561 efficiency = 84.64 clocks.
        let quad = |line, mhz| line_fill(psram.quad, mhz, line).unwrap().as_ps();
        assert_eq!(quad(32, 80), 1_058_062);
        // A 64-byte line adds 64 data clocks and no fixed clocks.
        assert_eq!(quad(64, 80) - quad(32, 80), 800_000);
        // Half the clock, twice the time (up to rounding).
        assert_eq!(quad(32, 40), 2_116_123);
        // Octal at 80 MHz against the measured 412.5 / 525.2 / 725.2 ns per 16 / 32 / 64 bytes
        // (the derivation in the table): within 2%.
        let octal = psram.octal.unwrap();
        for (line, measured_ps) in [(16, 412_500.0), (32, 525_200.0), (64, 725_200.0)] {
            let model = line_fill(octal, 80, line).unwrap().as_ps() as f64;
            assert!(
                (model / measured_ps - 1.0).abs() < 0.02,
                "{line} B: {model} ps"
            );
        }
    }
}
