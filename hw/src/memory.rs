//! Memory placement, budget checks and per-step memory time.
//!
//! A chip holds weights, a KV cache and activations. [`place`] decides where each lives, in this
//! order of preference:
//! - activations: SRAM only (they are touched by every operation; nothing else is plausible);
//! - weights: SRAM if they fit in what the activations left, else PSRAM (if the board has it and
//!   it fits), else memory-mapped flash (if the board reserves a model partition large enough),
//!   else an SD card (if fitted);
//! - KV cache: SRAM if it fits in what is left, else PSRAM (it is written every step, so never flash
//!   or SD).
//!
//! Data outside SRAM is read every step: [`memory_time`] charges the bytes a step reads
//! (`OpCounts::weight_bytes`, `kv_read_bytes`) and writes (`kv_write_bytes`) as line fills of the
//! data cache ([`crate::cache`]: one fill per line, at the bus protocol's cost for the configured
//! line size), or at an SD card's DMA rate. SRAM accesses cost nothing extra here: the calibrated
//! cycles per operation were measured with data in internal RAM.
//!
//! Overlap rule (how memory time combines with compute time, see [`MemoryTime`]):
//! - PSRAM and flash are read through the data cache: a load that misses stalls the core until the
//!   line is filled over the SPI bus, so their time **adds** to compute time. Both cores share the
//!   one MSPI bus, so using two cores does not divide it.
//! - An SD card is read by DMA into SRAM buffers; with double buffering the transfer of the next
//!   block runs while the cores compute on the current one, so SD time **overlaps** compute and the
//!   step takes the longer of the two.
//!
//! CALIBRATION.md s3 is the basis: a model whose weights do not fit SRAM reads them on every token
//! at the region's effective bandwidth, and this dominates llama2.c-style firmware on these chips.

use ruvsim_core::OpCounts;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::cache::{line_fill, CacheConfig, CacheError};
use crate::calibration::{CachedBus, Calibration, Variant};
use ruvsim_engine::time::{Duration, TimeError};

/// A memory region a chip can hold model data in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    /// On-chip SRAM.
    Sram,
    /// External PSRAM, through the cache.
    Psram,
    /// Memory-mapped flash (XIP), through the cache.
    Flash,
    /// SD card, read by DMA.
    SdCard,
}

impl Region {
    /// How reports name a memory region.
    pub fn name(self) -> &'static str {
        match self {
            Region::Sram => "SRAM",
            Region::Psram => "PSRAM",
            Region::Flash => "flash",
            Region::SdCard => "SD card",
        }
    }
}

/// What part of a chip's footprint an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Item {
    /// Model weights (and their scales).
    Weights,
    /// Key/value cache.
    KvCache,
    /// Activations and scratch buffers.
    Activations,
}

impl Item {
    /// How reports name a footprint item.
    pub fn name(self) -> &'static str {
        match self {
            Item::Weights => "weights",
            Item::KvCache => "KV cache",
            Item::Activations => "activations",
        }
    }
}

/// PSRAM interface width.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PsramMode {
    /// 4 lines, single data rate.
    #[default]
    Quad,
    /// 8 lines, double data rate (ESP32-S3).
    Octal,
}

/// The memory fitted on a board (scenario input: `memory = { psram_bytes = 2097152, ... }`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemorySetup {
    /// PSRAM fitted, in bytes (0: none).
    #[serde(default)]
    pub psram_bytes: u64,
    /// PSRAM interface.
    #[serde(default)]
    pub psram_mode: PsramMode,
    /// PSRAM bus clock.
    #[serde(default = "default_bus_clock_mhz")]
    pub psram_clock_mhz: u32,
    /// Flash partition reserved for model weights, in bytes (0: none).
    #[serde(default)]
    pub flash_model_bytes: u64,
    /// Flash bus clock.
    #[serde(default = "default_bus_clock_mhz")]
    pub flash_clock_mhz: u32,
    /// Whether an SD card is fitted.
    #[serde(default)]
    pub sd_card: bool,
    /// Data cache size in KiB (default: the variant's, see [`crate::cache`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_kb: Option<u32>,
    /// Data cache line in bytes (default: the variant's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_line_bytes: Option<u32>,
    /// Data cache associativity (default: the variant's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_ways: Option<u32>,
}

fn default_bus_clock_mhz() -> u32 {
    80
}

impl Default for MemorySetup {
    /// No PSRAM, no flash partition for the model, no SD card; buses at 80 MHz.
    fn default() -> Self {
        MemorySetup {
            psram_bytes: 0,
            psram_mode: PsramMode::Quad,
            psram_clock_mhz: default_bus_clock_mhz(),
            flash_model_bytes: 0,
            flash_clock_mhz: default_bus_clock_mhz(),
            sd_card: false,
            cache_kb: None,
            cache_line_bytes: None,
            cache_ways: None,
        }
    }
}

/// Bytes a chip must hold (until the core provides its own footprint type).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Footprint {
    /// Model weights and scales.
    pub weights_bytes: u64,
    /// Key/value cache at its full context length.
    pub kv_cache_bytes: u64,
    /// Activations and scratch buffers.
    pub activation_bytes: u64,
}

/// A footprint item that fits nowhere: how much it needs, the largest budget it could have had, and
/// by how much it is over. The planner builds its suggestions on this.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetExceeded {
    /// What did not fit.
    pub item: Item,
    /// The region with the largest remaining budget for it.
    pub region: Region,
    /// Bytes the item needs.
    pub needed: u64,
    /// Bytes that region had left.
    pub budget: u64,
    /// `needed - budget`.
    pub over: u64,
}

/// Why a memory setup or placement was rejected.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MemoryError {
    /// PSRAM was configured on a variant without PSRAM support.
    #[error("cluster.memory.psram_bytes = {bytes}, but {variant} has no PSRAM support (valid: 0)")]
    PsramNotSupported {
        /// The chip variant.
        variant: Variant,
        /// Configured PSRAM size.
        bytes: u64,
    },
    /// More PSRAM than the variant can map.
    #[error("cluster.memory.psram_bytes = {bytes} exceeds the {max} bytes {variant} can map")]
    PsramTooLarge {
        /// The chip variant.
        variant: Variant,
        /// Configured PSRAM size.
        bytes: u64,
        /// Largest mappable PSRAM.
        max: u64,
    },
    /// Octal PSRAM on a variant that only has quad.
    #[error(
        "cluster.memory.psram_mode = \"octal\", but {variant} has only quad PSRAM (valid: quad)"
    )]
    OctalNotSupported {
        /// The chip variant.
        variant: Variant,
    },
    /// A bus clock of zero or above the variant's maximum.
    #[error("cluster.memory.{bus}_clock_mhz = {mhz} is outside 1..={max} MHz for {variant}")]
    BusClock {
        /// `"psram"` or `"flash"`.
        bus: &'static str,
        /// Configured clock.
        mhz: u32,
        /// Highest supported clock.
        max: u32,
        /// The chip variant.
        variant: Variant,
    },
    /// Part of the footprint fits in no available region.
    #[error("{:?} need {} bytes but at most {} bytes are available ({:?}): {} bytes over", .0.item, .0.needed, .0.budget, .0.region, .0.over)]
    OverBudget(BudgetExceeded),
    /// A memory time overflowed simulated time.
    #[error("memory time: {0}")]
    Time(#[from] TimeError),
    /// A data cache setting the variant does not offer.
    #[error(transparent)]
    Cache(#[from] CacheError),
}

impl MemorySetup {
    /// The data cache this setup configures on `calibration`'s variant.
    pub fn cache(&self, calibration: &Calibration) -> Result<CacheConfig, MemoryError> {
        Ok(CacheConfig::resolve(
            calibration.variant,
            self.cache_kb,
            self.cache_line_bytes,
            self.cache_ways,
        )?)
    }

    /// Checks the setup against the variant's limits.
    pub fn validate(&self, calibration: &Calibration) -> Result<(), MemoryError> {
        let variant = calibration.variant;
        self.cache(calibration)?;
        let flash_max = calibration.memory.flash.max_clock_mhz;
        if self.flash_clock_mhz == 0 || self.flash_clock_mhz > flash_max {
            return Err(MemoryError::BusClock {
                bus: "flash",
                mhz: self.flash_clock_mhz,
                max: flash_max,
                variant,
            });
        }
        if self.psram_bytes == 0 {
            return Ok(());
        }
        let Some(psram) = calibration.memory.psram else {
            return Err(MemoryError::PsramNotSupported {
                variant,
                bytes: self.psram_bytes,
            });
        };
        if self.psram_bytes > psram.max_bytes {
            return Err(MemoryError::PsramTooLarge {
                variant,
                bytes: self.psram_bytes,
                max: psram.max_bytes,
            });
        }
        let bus = self.psram_bus(calibration)?;
        if self.psram_clock_mhz == 0 || self.psram_clock_mhz > bus.max_clock_mhz {
            return Err(MemoryError::BusClock {
                bus: "psram",
                mhz: self.psram_clock_mhz,
                max: bus.max_clock_mhz,
                variant,
            });
        }
        Ok(())
    }

    /// The calibrated PSRAM bus for the configured mode.
    pub fn psram_bus(&self, calibration: &Calibration) -> Result<CachedBus, MemoryError> {
        let variant = calibration.variant;
        let psram = calibration
            .memory
            .psram
            .ok_or(MemoryError::PsramNotSupported {
                variant,
                bytes: self.psram_bytes,
            })?;
        match self.psram_mode {
            PsramMode::Quad => Ok(psram.quad),
            PsramMode::Octal => psram
                .octal
                .ok_or(MemoryError::OctalNotSupported { variant }),
        }
    }
}

/// Where each part of a footprint lives, and how full each region is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// Region holding the weights.
    pub weights: Region,
    /// Region holding the KV cache.
    pub kv_cache: Region,
    /// SRAM bytes used (activations always, plus whatever else landed there).
    pub sram_used: u64,
    /// SRAM bytes a model may use on this variant.
    pub sram_budget: u64,
    /// PSRAM bytes used.
    pub psram_used: u64,
    /// Flash model partition bytes used.
    pub flash_used: u64,
    /// SD card bytes used.
    pub sd_used: u64,
}

impl Placement {
    /// Nothing placed (an idle spare chip) with the given SRAM budget.
    pub fn empty(sram_budget: u64) -> Placement {
        Placement {
            weights: Region::Sram,
            kv_cache: Region::Sram,
            sram_used: 0,
            sram_budget,
            psram_used: 0,
            flash_used: 0,
            sd_used: 0,
        }
    }
}

/// Remaining capacity per region while placing.
struct Capacity {
    sram: u64,
    psram: u64,
    flash: u64,
    sd: bool,
}

impl Capacity {
    /// The region with the most room among `candidates` (for error reports).
    fn largest(&self, candidates: &[Region]) -> (Region, u64) {
        candidates
            .iter()
            .map(|&region| (region, self.room(region)))
            .max_by_key(|&(_, room)| room)
            .unwrap_or((Region::Sram, self.sram))
    }

    fn room(&self, region: Region) -> u64 {
        match region {
            Region::Sram => self.sram,
            Region::Psram => self.psram,
            Region::Flash => self.flash,
            Region::SdCard if self.sd => u64::MAX,
            Region::SdCard => 0,
        }
    }

    /// Takes `bytes` from the first candidate with room; reports the best candidate if none has.
    fn take(
        &mut self,
        item: Item,
        bytes: u64,
        candidates: &[Region],
    ) -> Result<Region, MemoryError> {
        for &region in candidates {
            if bytes <= self.room(region) {
                match region {
                    Region::Sram => self.sram -= bytes,
                    Region::Psram => self.psram -= bytes,
                    Region::Flash => self.flash -= bytes,
                    Region::SdCard => {}
                }
                return Ok(region);
            }
        }
        let (region, budget) = self.largest(candidates);
        Err(MemoryError::OverBudget(BudgetExceeded {
            item,
            region,
            needed: bytes,
            budget,
            over: bytes - budget,
        }))
    }
}

/// Decides where a footprint lives on a chip with `setup` memory (see the module docs for the
/// order of preference), or says what does not fit and by how much.
pub fn place(
    footprint: &Footprint,
    setup: &MemorySetup,
    calibration: &Calibration,
) -> Result<Placement, MemoryError> {
    setup.validate(calibration)?;
    let sram_budget = calibration.memory.sram_usable_bytes;
    let mut capacity = Capacity {
        sram: sram_budget,
        psram: setup.psram_bytes,
        flash: setup.flash_model_bytes,
        sd: setup.sd_card,
    };
    capacity.take(
        Item::Activations,
        footprint.activation_bytes,
        &[Region::Sram],
    )?;
    let weights = capacity.take(
        Item::Weights,
        footprint.weights_bytes,
        &[Region::Sram, Region::Psram, Region::Flash, Region::SdCard],
    )?;
    let kv_cache = capacity.take(
        Item::KvCache,
        footprint.kv_cache_bytes,
        &[Region::Sram, Region::Psram],
    )?;
    Ok(Placement {
        weights,
        kv_cache,
        sram_used: sram_budget - capacity.sram,
        sram_budget,
        psram_used: setup.psram_bytes - capacity.psram,
        flash_used: setup.flash_model_bytes - capacity.flash,
        sd_used: if weights == Region::SdCard {
            footprint.weights_bytes
        } else {
            0
        },
    })
}

/// Memory time of one step, split by how it combines with compute time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryTime {
    /// Time the cores stall on cache fills from PSRAM or flash: adds to compute time.
    pub stalled: Duration,
    /// Time of DMA streaming from an SD card: runs beside compute.
    pub overlapped: Duration,
}

/// How one region delivers bytes for a given setup.
enum Stream {
    /// Through the data cache: every line is one fill over the SPI bus, and the core stalls.
    Cached {
        /// Time of one line fill.
        fill: Duration,
        /// The cache it fills.
        cache: CacheConfig,
    },
    /// By DMA into SRAM at a sustained rate, beside the cores.
    Dma {
        /// Bytes per second.
        bytes_per_second: u64,
    },
}

impl Stream {
    fn cached(bus: CachedBus, clock_mhz: u32, cache: CacheConfig) -> Result<Stream, MemoryError> {
        Ok(Stream::Cached {
            fill: line_fill(bus, clock_mhz, cache.line_bytes)?,
            cache,
        })
    }

    /// Whether this region's time stalls the cores.
    fn stalls(&self) -> bool {
        matches!(self, Stream::Cached { .. })
    }

    /// Time to move `bytes` contiguous bytes.
    fn time(&self, bytes: u64) -> Result<Duration, MemoryError> {
        match *self {
            Stream::Cached { fill, cache } => fill
                .checked_mul(cache.lines(bytes))
                .ok_or(MemoryError::Time(TimeError::Overflow)),
            Stream::Dma { bytes_per_second } => {
                let bits = u128::from(bytes) * 8 * 1_000_000;
                Ok(Duration::from_bits_at_rate(
                    bits,
                    bytes_per_second * 8 * 1_000_000,
                )?)
            }
        }
    }
}

/// The stream model of `region`, or `None` for SRAM (no extra time).
fn stream_for(
    region: Region,
    setup: &MemorySetup,
    calibration: &Calibration,
) -> Result<Option<Stream>, MemoryError> {
    Ok(match region {
        Region::Sram => None,
        Region::Psram => Some(Stream::cached(
            setup.psram_bus(calibration)?,
            setup.psram_clock_mhz,
            setup.cache(calibration)?,
        )?),
        Region::Flash => Some(Stream::cached(
            calibration.memory.flash,
            setup.flash_clock_mhz,
            setup.cache(calibration)?,
        )?),
        Region::SdCard => Some(Stream::Dma {
            bytes_per_second: calibration.memory.sd.read_bytes_per_sec,
        }),
    })
}

/// Time to read `bytes` once from `region` at its effective bandwidth (zero for SRAM): for
/// example a spare chip loading a failed chip's weights from its flash.
pub fn read_time(
    region: Region,
    bytes: u64,
    setup: &MemorySetup,
    calibration: &Calibration,
) -> Result<Duration, MemoryError> {
    match stream_for(region, setup, calibration)? {
        Some(stream) => stream.time(bytes),
        None => Ok(Duration::ZERO),
    }
}

/// Time to move the bytes a step reads and writes outside SRAM (see the module docs for the
/// overlap rule). Weights stream from their region; KV reads and writes go to the KV region, each
/// charged at that region's effective bandwidth (a written cache line is written back once).
pub fn memory_time(
    counts: &OpCounts,
    placement: &Placement,
    setup: &MemorySetup,
    calibration: &Calibration,
) -> Result<MemoryTime, MemoryError> {
    let mut result = MemoryTime::default();
    let kv_bytes = counts
        .kv_read_bytes
        .checked_add(counts.kv_write_bytes)
        .ok_or(MemoryError::Time(TimeError::Overflow))?;
    let transfers = [
        (placement.weights, counts.weight_bytes),
        (placement.kv_cache, kv_bytes),
    ];
    for (region, bytes) in transfers {
        let Some(stream) = stream_for(region, setup, calibration)? else {
            continue;
        };
        let time = stream.time(bytes)?;
        let slot = if stream.stalls() {
            &mut result.stalled
        } else {
            &mut result.overlapped
        };
        *slot = slot
            .checked_add(time)
            .ok_or(MemoryError::Time(TimeError::Overflow))?;
    }
    Ok(result)
}

#[cfg(test)]
mod tests;
