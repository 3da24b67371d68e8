//! Calibration tables: the hardware numbers of each chip variant, every one with its source.
//!
//! One TOML file per variant ships with the crate (`src/calibration/<variant>.toml`). Each number is
//! `{ value = ..., source = "..." }` (a published figure, citing section N of `SOURCES.md` beside the
//! tables as "CAL sN" ([`sources`]), or the original
//! document) or `{ value = ..., derived = "..." }` (arithmetic on published figures, or a stated
//! assumption). [`Calibration::from_toml_str`] parses such a file into typed fields — cycle costs in
//! integer milli-cycles, fractions in parts per million, currents in micro-amps — converted once
//! here so the models compute with exact integers. The flat [`EntryTable`] of value + source stays
//! available through [`Calibration::entries`] so reports can print the table with its sources, and
//! [`Calibration::apply_overrides`] lets a scenario replace any entry by key.

pub mod sources;
mod table;

use thiserror::Error;

use table::Reader;
pub use table::{Entry, EntryTable, Source, Value};

/// The chip variants, defined once beside their port limits.
pub use ruvsim_topologies::{UnknownVariant, Variant};

/// Why a calibration table could not be loaded or overridden. Every variant names the key.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CalibrationError {
    /// The text is not valid TOML.
    #[error("{origin}: invalid TOML: {message}")]
    Parse {
        /// File path or description of the text.
        origin: String,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A required key is absent.
    #[error("missing calibration key `{key}`")]
    Missing {
        /// Dotted key.
        key: String,
    },
    /// A key that is not part of the calibration schema.
    #[error("unknown calibration key `{key}`{}", .nearest.as_ref().map(|n| format!(" (did you mean `{n}`?)")).unwrap_or_default())]
    UnknownKey {
        /// Dotted key as written.
        key: String,
        /// Closest valid key.
        nearest: Option<String>,
    },
    /// A value of the wrong type.
    #[error("calibration key `{key}`: expected {expected}, found {found}")]
    WrongType {
        /// Dotted key.
        key: String,
        /// What the schema wants.
        expected: &'static str,
        /// What was written.
        found: String,
    },
    /// A value of the right type but not acceptable.
    #[error("calibration key `{key}`: {reason}")]
    Invalid {
        /// Dotted key.
        key: String,
        /// What is wrong and what would be valid.
        reason: String,
    },
    /// An unknown chip variant name.
    #[error(transparent)]
    Variant(#[from] UnknownVariant),
}

/// CPU: clocks, cores, floating point and SIMD support.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cpu {
    /// Highest supported CPU clock.
    pub max_clock_mhz: u32,
    /// ESP-IDF's default CPU clock.
    pub default_clock_mhz: u32,
    /// Application cores available for model work.
    pub cores: u32,
    /// Hardware single-precision floating point.
    pub fpu: bool,
    /// Vector (SIMD) instructions.
    pub simd: bool,
    /// Speed-up of two cores over one, divided by two, in parts per million (1,000,000 when the
    /// variant has one core).
    pub parallel_efficiency_ppm: u32,
}

/// Cycles per operation of each class of [`ruvsim_core::OpCounts`], in milli-cycles, for one
/// kernel implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpCycles {
    /// Per f32 weight multiply-accumulate.
    pub mac_f32: u64,
    /// Per int8 weight multiply-accumulate.
    pub mac_i8: u64,
    /// Per int4 weight multiply-accumulate (including unpacking).
    pub mac_i4: u64,
    /// Per 32-bit XNOR + popcount word.
    pub xnor_word: u64,
    /// Per attention multiply-accumulate in an f32 model.
    pub attn_mac_f32: u64,
    /// Per attention multiply-accumulate in an integer model.
    pub attn_mac_int: u64,
    /// Per table lookup / non-linear function evaluation.
    pub lut: u64,
    /// Per element-wise operation in an f32 model.
    pub elementwise_f32: u64,
    /// Per element-wise operation in an integer model.
    pub elementwise_int: u64,
}

/// Cycle costs for the two kernel implementations a firmware may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelCycles {
    /// Portable C (the "ANSI" columns of the vendor benchmarks).
    pub plain_c: OpCycles,
    /// Vendor-optimised kernels (esp-dsp / esp-nn assembly; PIE SIMD on the ESP32-S3). Equal to
    /// `plain_c` where the vendor libraries have no assembly for the core, as the tables say.
    pub optimized: OpCycles,
}

/// What a firmware's scalar library calls and scheduling cost, in milli-cycles: the pieces of a
/// llama2.c-style forward pass that are not multiply-accumulates (see [`crate::firmware`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FirmwareCycles {
    /// One f32 division (there is no divide instruction on these cores).
    pub div_f32: u64,
    /// One `sqrtf`.
    pub sqrt_f32: u64,
    /// One `expf` from the C library.
    pub exp_f32: u64,
    /// One `powf`.
    pub pow_f32: u64,
    /// One `sinf` or `cosf` (small argument).
    pub sincos_f32: u64,
    /// One inlined bit-trick exponential.
    pub fast_exp_f32: u64,
    /// The fixed part of one vendor dot-product call (entry, checks, final reduction).
    pub dot_call: u64,
    /// One parallel region handed to the second core and joined.
    pub fork_join: u64,
    /// One task woken by an interrupt (a timer's, or a link's on receipt): interrupt entry and
    /// exit and a scheduling pass; what a heartbeat costs each end's CPU (milli-cycles).
    pub task_wake: u64,
    /// One f32 compare and branch.
    pub compare_f32: u64,
    /// How many times slower plain-C float loops run at `-Og` than at `-O2`, in parts per million.
    pub og_slowdown_ppm: u64,
    /// How many times slower plain-C float loops run at `-Os` than at `-O2`, in parts per million.
    pub os_slowdown_ppm: u64,
}

/// An external memory reached through the cache over an SPI bus (PSRAM, flash).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CachedBus {
    /// Highest supported bus clock.
    pub max_clock_mhz: u32,
    /// Bits transferred per bus clock (lines, doubled for DDR).
    pub bits_per_clock: u32,
    /// Fraction of the raw rate that cache line fills achieve (command, address and dummy phases
    /// cost the rest), in parts per million.
    pub efficiency_ppm: u32,
    /// Bytes per cache line fill.
    pub cache_line_bytes: u32,
}

/// PSRAM support of a variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Psram {
    /// Largest PSRAM the variant can map.
    pub max_bytes: u64,
    /// Quad (4-line) interface.
    pub quad: CachedBus,
    /// Octal (8-line DDR) interface, where supported.
    pub octal: Option<CachedBus>,
}

/// SD card interface of a variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SdCard {
    /// Measured sequential read throughput through the interface the variant supports.
    pub read_bytes_per_sec: u64,
}

/// Memory regions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Memory {
    /// Total on-chip SRAM.
    pub sram_total_bytes: u64,
    /// SRAM a model may use after the runtime (ESP-IDF, stacks, drivers) has taken its share.
    pub sram_usable_bytes: u64,
    /// External PSRAM, if the variant supports it.
    pub psram: Option<Psram>,
    /// Memory-mapped (XIP) flash.
    pub flash: CachedBus,
    /// SD card.
    pub sd: SdCard,
}

/// SPI per-transaction overheads (typical duration of a 1-byte transaction), in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpiOverheads {
    /// Interrupt-driven transaction with DMA.
    pub interrupt_dma_ns: u64,
    /// Interrupt-driven transaction, CPU copies the data.
    pub interrupt_cpu_ns: u64,
    /// Polling transaction with DMA.
    pub polling_dma_ns: u64,
    /// Polling transaction, CPU copies the data.
    pub polling_cpu_ns: u64,
}

/// SPI master/slave limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spi {
    /// Master clock limit with IO_MUX pins.
    pub master_max_clock_mhz_iomux: u32,
    /// Master clock limit through the GPIO matrix.
    pub master_max_clock_mhz_gpio_matrix: u32,
    /// Slave clock limit.
    pub slave_max_clock_mhz: u32,
    /// Per-transaction overheads.
    pub overhead: SpiOverheads,
    /// Largest DMA transaction (`max_transfer_sz` default).
    pub dma_max_transfer_bytes: u64,
    /// Largest transaction without DMA.
    pub cpu_max_transfer_bytes: u64,
}

/// UART limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Uart {
    /// Highest baud rate.
    pub max_baud: u64,
    /// Bits on the wire per data byte (10 for 8N1).
    pub bits_per_byte: u64,
}

/// ESP-NOW radio figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EspNow {
    /// Default PHY rate.
    pub phy_rate_bps: u64,
    /// Payload limit of ESP-NOW v1.
    pub payload_v1_bytes: u64,
    /// Payload limit of ESP-NOW v2.
    pub payload_v2_bytes: u64,
    /// Measured open-air application throughput.
    pub measured_throughput_bps: u64,
    /// Payload size of the packets in that measurement.
    pub measured_payload_bytes: u64,
}

/// Link interfaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Links {
    /// SPI.
    pub spi: Spi,
    /// UART.
    pub uart: Uart,
    /// ESP-NOW.
    pub espnow: EspNow,
}

/// Supply current per power state, in micro-amps, at `reference_clock_mhz`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Power {
    /// Supply voltage in millivolts.
    pub supply_mv: u64,
    /// CPU clock the active and idle currents were measured at.
    pub reference_clock_mhz: u32,
    /// One core busy with scalar code.
    pub active_1core_ua: u64,
    /// Two cores busy with scalar code (dual-core variants).
    pub active_2core_ua: Option<u64>,
    /// One core busy with SIMD code (SIMD variants).
    pub active_simd_1core_ua: Option<u64>,
    /// Two cores busy with SIMD code (dual-core SIMD variants).
    pub active_simd_2core_ua: Option<u64>,
    /// CPU idle (waiting for interrupt), clocks running.
    pub idle_ua: u64,
    /// Light sleep.
    pub light_sleep_ua: u64,
    /// Deep sleep.
    pub deep_sleep_ua: u64,
}

/// The calibrated hardware model of one chip variant.
#[derive(Clone, Debug, PartialEq)]
pub struct Calibration {
    /// Which variant.
    pub variant: Variant,
    /// CPU.
    pub cpu: Cpu,
    /// Cycle costs per operation class.
    pub cycles: KernelCycles,
    /// Memory regions.
    pub memory: Memory,
    /// Link interfaces.
    pub links: Links,
    /// Power states.
    pub power: Power,
    /// Scalar library calls and scheduling of llama2.c-style firmware.
    pub firmware: FirmwareCycles,
    entries: EntryTable,
}

impl Calibration {
    /// The table shipped with the crate for `variant`.
    pub fn builtin(variant: Variant) -> Calibration {
        // The shipped tables are parsed by the test suite (`every_builtin_table_loads`), so a
        // failure here is a packaging bug, not bad user input.
        Calibration::from_toml_str(builtin_toml(variant), variant.name())
            .unwrap_or_else(|e| panic!("built-in calibration for {variant} is invalid: {e}"))
    }

    /// Parses a complete calibration table; `origin` (a file path, say) prefixes parse errors.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Calibration, CalibrationError> {
        let document: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| CalibrationError::Parse {
                    origin: origin.to_string(),
                    message: e.to_string(),
                })?;
        let variant = match document.get("variant") {
            Some(toml::Value::String(name)) => name.parse::<Variant>()?,
            Some(other) => {
                return Err(CalibrationError::WrongType {
                    key: "variant".to_string(),
                    expected: "string",
                    found: other.type_str().to_string(),
                })
            }
            None => {
                return Err(CalibrationError::Missing {
                    key: "variant".to_string(),
                })
            }
        };
        let entries = EntryTable::from_toml(&document, &["variant"])?;
        Calibration::from_entries(variant, entries)
    }

    /// Replaces entries named in a TOML text of overrides (same nesting as the calibration files;
    /// leaves are bare values or `{ value = ..., source = "..." }`). Each replaced entry's source
    /// becomes `origin` (for example the scenario's file path, or "scenario override"). Unknown
    /// keys are rejected with the nearest valid key. On error the calibration is unchanged.
    pub fn apply_overrides(&mut self, text: &str, origin: &str) -> Result<(), CalibrationError> {
        let table: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| CalibrationError::Parse {
                    origin: origin.to_string(),
                    message: e.to_string(),
                })?;
        self.apply_override_table(&table, origin)
    }

    /// As [`Calibration::apply_overrides`], for a table already parsed (a scenario's section).
    pub fn apply_override_table(
        &mut self,
        overrides: &toml::Table,
        origin: &str,
    ) -> Result<(), CalibrationError> {
        let mut entries = self.entries.clone();
        entries.apply_overrides(overrides, origin)?;
        *self = Calibration::from_entries(self.variant, entries)?;
        Ok(())
    }

    /// Every entry with its value and source, in key order (for reports).
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Entry)> {
        self.entries.iter()
    }

    /// The entry at a dotted key, if it exists.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.get(key)
    }

    /// Builds the typed view of `entries`, validating every value and rejecting unknown keys.
    fn from_entries(
        variant: Variant,
        entries: EntryTable,
    ) -> Result<Calibration, CalibrationError> {
        let mut reader = Reader::new(&entries);
        let cpu = read_cpu(&mut reader)?;
        let cycles = KernelCycles {
            plain_c: read_op_cycles(&mut reader, "cycles.plain_c")?,
            optimized: read_op_cycles(&mut reader, "cycles.optimized")?,
        };
        let memory = read_memory(&mut reader)?;
        let links = read_links(&mut reader)?;
        let power = read_power(&mut reader)?;
        let firmware = read_firmware(&mut reader)?;
        reader.reject_unread()?;
        if cpu.default_clock_mhz > cpu.max_clock_mhz {
            return Err(CalibrationError::Invalid {
                key: "cpu.default_clock_mhz".to_string(),
                reason: format!(
                    "{} MHz is above cpu.max_clock_mhz ({} MHz)",
                    cpu.default_clock_mhz, cpu.max_clock_mhz
                ),
            });
        }
        Ok(Calibration {
            variant,
            cpu,
            cycles,
            memory,
            links,
            power,
            firmware,
            entries,
        })
    }
}

/// Milli-units per unit: cycle costs and currents are kept in thousandths.
const MILLI: u64 = 1_000;

fn read_cpu(r: &mut Reader) -> Result<Cpu, CalibrationError> {
    let cores = r.integer_u32("cpu.cores", 1)?;
    if cores > 2 {
        return Err(CalibrationError::Invalid {
            key: "cpu.cores".to_string(),
            reason: format!("the modelled variants have 1 or 2 application cores, got {cores}"),
        });
    }
    Ok(Cpu {
        max_clock_mhz: r.integer_u32("cpu.max_clock_mhz", 1)?,
        default_clock_mhz: r.integer_u32("cpu.default_clock_mhz", 1)?,
        cores,
        fpu: r.boolean("cpu.fpu")?,
        simd: r.boolean("cpu.simd")?,
        parallel_efficiency_ppm: r.fraction_ppm("cpu.parallel_efficiency")?,
    })
}

fn read_op_cycles(r: &mut Reader, prefix: &str) -> Result<OpCycles, CalibrationError> {
    let mut cost = |name: &str| r.fixed(&format!("{prefix}.{name}"), MILLI);
    Ok(OpCycles {
        mac_f32: cost("mac_f32")?,
        mac_i8: cost("mac_i8")?,
        mac_i4: cost("mac_i4")?,
        xnor_word: cost("xnor_word")?,
        attn_mac_f32: cost("attn_mac_f32")?,
        attn_mac_int: cost("attn_mac_int")?,
        lut: cost("lut")?,
        elementwise_f32: cost("elementwise_f32")?,
        elementwise_int: cost("elementwise_int")?,
    })
}

fn read_firmware(r: &mut Reader) -> Result<FirmwareCycles, CalibrationError> {
    let mut cost = |name: &str| r.fixed(&format!("firmware.{name}"), MILLI);
    Ok(FirmwareCycles {
        div_f32: cost("div_f32")?,
        sqrt_f32: cost("sqrt_f32")?,
        exp_f32: cost("exp_f32")?,
        pow_f32: cost("pow_f32")?,
        sincos_f32: cost("sincos_f32")?,
        fast_exp_f32: cost("fast_exp_f32")?,
        dot_call: cost("dot_call")?,
        fork_join: cost("fork_join")?,
        task_wake: cost("task_wake")?,
        compare_f32: cost("compare_f32")?,
        og_slowdown_ppm: r.fixed("firmware.og_slowdown", 1_000_000)?,
        os_slowdown_ppm: r.fixed("firmware.os_slowdown", 1_000_000)?,
    })
}

fn read_bus(r: &mut Reader, prefix: &str) -> Result<CachedBus, CalibrationError> {
    Ok(CachedBus {
        max_clock_mhz: r.integer_u32(&format!("{prefix}.max_clock_mhz"), 1)?,
        bits_per_clock: r.integer_u32(&format!("{prefix}.bits_per_clock"), 1)?,
        efficiency_ppm: r.fraction_ppm(&format!("{prefix}.efficiency"))?,
        cache_line_bytes: r.integer_u32(&format!("{prefix}.cache_line_bytes"), 1)?,
    })
}

fn read_memory(r: &mut Reader) -> Result<Memory, CalibrationError> {
    let sram_total_bytes = r.integer("memory.sram.total_bytes")?;
    let sram_usable_bytes = r.integer("memory.sram.usable_bytes")?;
    if sram_usable_bytes > sram_total_bytes {
        return Err(CalibrationError::Invalid {
            key: "memory.sram.usable_bytes".to_string(),
            reason: format!(
                "{sram_usable_bytes} exceeds memory.sram.total_bytes ({sram_total_bytes})"
            ),
        });
    }
    let psram = if r.has_section("memory.psram") {
        Some(Psram {
            max_bytes: r.integer("memory.psram.max_bytes")?,
            quad: read_bus(r, "memory.psram.quad")?,
            octal: if r.has_section("memory.psram.octal") {
                Some(read_bus(r, "memory.psram.octal")?)
            } else {
                None
            },
        })
    } else {
        None
    };
    Ok(Memory {
        sram_total_bytes,
        sram_usable_bytes,
        psram,
        flash: read_bus(r, "memory.flash")?,
        sd: SdCard {
            read_bytes_per_sec: r.integer("memory.sd.read_bytes_per_sec")?,
        },
    })
}

fn read_links(r: &mut Reader) -> Result<Links, CalibrationError> {
    let mut overhead_ns = |mode: &str| r.fixed(&format!("links.spi.overhead_us.{mode}"), MILLI);
    let overhead = SpiOverheads {
        interrupt_dma_ns: overhead_ns("interrupt_dma")?,
        interrupt_cpu_ns: overhead_ns("interrupt_cpu")?,
        polling_dma_ns: overhead_ns("polling_dma")?,
        polling_cpu_ns: overhead_ns("polling_cpu")?,
    };
    let spi = Spi {
        master_max_clock_mhz_iomux: r.integer_u32("links.spi.master_max_clock_mhz_iomux", 1)?,
        master_max_clock_mhz_gpio_matrix: r
            .integer_u32("links.spi.master_max_clock_mhz_gpio_matrix", 1)?,
        slave_max_clock_mhz: r.integer_u32("links.spi.slave_max_clock_mhz", 1)?,
        overhead,
        dma_max_transfer_bytes: u64::from(r.integer_u32("links.spi.dma_max_transfer_bytes", 1)?),
        cpu_max_transfer_bytes: u64::from(r.integer_u32("links.spi.cpu_max_transfer_bytes", 1)?),
    };
    let uart = Uart {
        max_baud: u64::from(r.integer_u32("links.uart.max_baud", 1)?),
        bits_per_byte: u64::from(r.integer_u32("links.uart.bits_per_byte", 8)?),
    };
    let kbps = |r: &mut Reader, key: &str| r.integer_u32(key, 1).map(|v| u64::from(v) * 1_000);
    let espnow = EspNow {
        phy_rate_bps: kbps(r, "links.espnow.phy_rate_kbps")?,
        payload_v1_bytes: u64::from(r.integer_u32("links.espnow.payload_v1_bytes", 1)?),
        payload_v2_bytes: u64::from(r.integer_u32("links.espnow.payload_v2_bytes", 1)?),
        measured_throughput_bps: kbps(r, "links.espnow.measured_throughput_kbps")?,
        measured_payload_bytes: u64::from(r.integer_u32("links.espnow.measured_payload_bytes", 1)?),
    };
    if espnow.measured_throughput_bps >= espnow.phy_rate_bps {
        return Err(CalibrationError::Invalid {
            key: "links.espnow.measured_throughput_kbps".to_string(),
            reason: "must be below links.espnow.phy_rate_kbps (packets have overhead)".to_string(),
        });
    }
    Ok(Links { spi, uart, espnow })
}

fn read_power(r: &mut Reader) -> Result<Power, CalibrationError> {
    let optional_ua = |r: &mut Reader, key: &str| -> Result<Option<u64>, CalibrationError> {
        if r.has(key) {
            r.fixed(key, MILLI).map(Some)
        } else {
            Ok(None)
        }
    };
    Ok(Power {
        supply_mv: r.integer("power.supply_mv")?,
        reference_clock_mhz: r.integer_u32("power.reference_clock_mhz", 1)?,
        active_1core_ua: r.fixed("power.active_1core_ma", MILLI)?,
        active_2core_ua: optional_ua(r, "power.active_2core_ma")?,
        active_simd_1core_ua: optional_ua(r, "power.active_simd_1core_ma")?,
        active_simd_2core_ua: optional_ua(r, "power.active_simd_2core_ma")?,
        idle_ua: r.fixed("power.idle_ma", MILLI)?,
        light_sleep_ua: r.integer("power.light_sleep_ua")?,
        deep_sleep_ua: r.integer("power.deep_sleep_ua")?,
    })
}

#[cfg(test)]
mod tests;

/// The calibration table shipped with the crate for this variant.
fn builtin_toml(variant: Variant) -> &'static str {
    match variant {
        Variant::Esp32 => include_str!("calibration/esp32.toml"),
        Variant::Esp32S2 => include_str!("calibration/esp32s2.toml"),
        Variant::Esp32S3 => include_str!("calibration/esp32s3.toml"),
        Variant::Esp32C3 => include_str!("calibration/esp32c3.toml"),
        Variant::Esp32C6 => include_str!("calibration/esp32c6.toml"),
    }
}
