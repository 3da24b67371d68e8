//! What a firmware does to compute a token, as a profile the scenario chooses, priced phase by
//! phase from primitive costs.
//!
//! Two profiles:
//! - [`FirmwareProfile::Core`]: the chip runs ruvsim's own integer core; a task costs its counted
//!   operations ([`crate::chip::step_time`]).
//! - [`FirmwareProfile::Llama2c`]: the llama2.c-style f32 loop (`run.c`, as the esp32-llm ports run
//!   it), priced here from its structure, per token at position `pos` (`P = pos + 1` positions
//!   attended), with the calibration's cycle costs:
//!   - **matmul**: one dot product per weight row, through esp-dsp (`dot_call` fixed cycles plus
//!     the per-MAC cost of `cycles.optimized.mac_f32` with the call taken out) or an inlined C
//!     loop (`cycles.plain_c.mac_f32`); with two cores the rows split in halves and each matrix is
//!     one fork/join region (`firmware.fork_join`);
//!   - **attention**: per head, `P` dot products of `head_size`, then per score the scaling (a
//!     division by `sqrtf(head_size)` as `run.c` writes it, or one multiplication), a softmax (`P`
//!     compares, `P` exponentials, `P` divisions or one reciprocal and `P` multiplications) and the
//!     weighted sum of values (`P x head_size` multiply-adds in plain C); with two cores the heads
//!     split and each layer is one fork/join region;
//!   - **norm**: every RMSNorm (`2 x layers + 1`): `dim` multiply-adds, `dim` multiplications, two
//!     divisions and one `sqrtf`;
//!   - **activations**: RoPE (recomputed each token with `powf`, `cosf`, `sinf` and a division per
//!     pair of the width, or read from a table), the rotations, SiLU (`expf` and a division per
//!     hidden unit), the SwiGLU product and the residual additions;
//!   - **memory**: weights and the KV cache outside SRAM, one cache line fill per line
//!     ([`crate::cache`]); weights that fit the cache whole are read once, not every token. KV
//!     reads follow the loop: when the layer's keys or values fit the cache, each line is filled
//!     once per layer; otherwise every query head re-reads its own piece of every position, one
//!     fill per piece. Both cores share the one SPI bus: memory time is never divided;
//!   - **sync**: the fork/join regions;
//!   - **overheads**: choosing the token (argmax scan, or a temperature softmax over the
//!     vocabulary, plus a sort of the candidates for top-p), printing it on the console UART (the
//!     core waits only for bytes beyond the FIFO), and an optional `vTaskDelay` at the FreeRTOS
//!     tick, rounded to the tick grid.
//!
//! Every time is integer: cycles are kept in milli-cycles and converted at the CPU clock, rounded
//! up.

use ruvsim_core::{ModelShape, Phase};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::cache::{line_fill, CacheConfig};
use crate::calibration::Calibration;
use crate::chip::{CpuSetup, KernelKind};
use crate::memory::{MemoryError, MemorySetup, Placement, Region};
use crate::phases::PhaseTimes;
use ruvsim_engine::time::{Duration, TimeError};

/// Bytes of one f32.
const F32_BYTES: u64 = 4;

/// The firmware a chip runs (scenario table `[firmware]`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "profile", rename_all = "snake_case", deny_unknown_fields)]
pub enum FirmwareProfile {
    /// ruvsim's own core: tasks cost their counted operations.
    #[default]
    Core,
    /// The llama2.c-style f32 loop.
    Llama2c(Llama2cFirmware),
}

/// How a llama2.c-style firmware computes (scenario keys under `[firmware]` with
/// `profile = "llama2c"`); the dot-product kernel is `cluster.cpu.kernel` (`optimized` is
/// esp-dsp, `plain_c` an inlined loop) and the cores `cluster.cpu.cores_used`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Llama2cFirmware {
    /// Rotary embeddings: recomputed each token (`run.c`) or read from a table.
    #[serde(default)]
    pub rope: RopeMode,
    /// The exponential of softmax and SiLU: the C library's `expf` or an inlined bit trick.
    #[serde(default)]
    pub exp: ExpMode,
    /// How attention scores are scaled and normalised: divisions as `run.c` writes them, or
    /// reciprocals and multiplications.
    #[serde(default)]
    pub scaling: ScalingMode,
    /// How the next token is chosen.
    #[serde(default)]
    pub sampling: SamplingMode,
    /// Console UART baud rate when every token is printed (`None`: not printed).
    #[serde(default)]
    pub print_baud: Option<u32>,
    /// Average bytes printed per token (tok512.bin's merged tokens average 2.27 bytes).
    #[serde(default = "default_print_bytes_milli")]
    pub print_bytes_milli: u32,
    /// `vTaskDelay(ticks)` after each token (0: none).
    #[serde(default)]
    pub delay_ticks: u32,
    /// FreeRTOS tick rate (ESP-IDF's default `CONFIG_FREERTOS_HZ` is 100).
    #[serde(default = "default_tick_hz")]
    pub tick_hz: u32,
    /// The compiler optimisation the firmware was built with.
    #[serde(default)]
    pub optimization: Optimization,
}

/// Compiler optimisation of the firmware's own C code (the vendor assembly kernels and the
/// precompiled C and math libraries are not affected).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Optimization {
    /// `-O2` (`CONFIG_COMPILER_OPTIMIZATION_PERF`), which the calibrated C cycle counts assume.
    #[default]
    O2,
    /// `-Og` (`CONFIG_COMPILER_OPTIMIZATION_DEBUG`, ESP-IDF's default): C float loops run
    /// `firmware.og_slowdown` times slower.
    Og,
    /// `-Os` (`CONFIG_COMPILER_OPTIMIZATION_SIZE`, Arduino-ESP32's builds): C float loops run
    /// `firmware.os_slowdown` times slower.
    Os,
}

fn default_print_bytes_milli() -> u32 {
    2_270
}

fn default_tick_hz() -> u32 {
    100
}

/// Rotary embeddings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RopeMode {
    /// `powf`, `cosf`, `sinf` and a division per pair of the width, every token (`run.c`).
    #[default]
    Recompute,
    /// Precomputed sines and cosines.
    Table,
}

/// The exponential.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpMode {
    /// The C library's `expf`.
    #[default]
    Libm,
    /// An inlined bit-trick approximation.
    Fast,
}

/// Scaling and normalisation in attention.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScalingMode {
    /// `score / sqrtf(head_size)` per score and `x / sum` per probability (`run.c`).
    #[default]
    Divide,
    /// One reciprocal per head and layer, then multiplications.
    Reciprocal,
}

/// Token choice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SamplingMode {
    /// Greedy: one scan of the logits.
    #[default]
    Argmax,
    /// Logits divided by the temperature, a softmax, and a draw.
    Temperature,
    /// As `Temperature`, then the candidates sorted for the nucleus (`run.c`'s `sample_topp`;
    /// priced with the whole vocabulary sorted, an upper bound).
    TopP,
}

/// Why a firmware time could not be given.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum FirmwareError {
    /// The profile cannot run this phase (tensor-parallel shards are not part of `run.c`).
    #[error(
        "firmware.profile = \"llama2c\" runs whole layers on a chip; {0} needs profile = \"core\" \
         (parallelism.tensor = 1 and no [moe] for llama2c)"
    )]
    Unsupported(&'static str),
    /// A setting is out of range.
    #[error("firmware.{key} = {value}: {reason}")]
    Invalid {
        /// The key under `[firmware]`.
        key: &'static str,
        /// The value given.
        value: u32,
        /// What would be valid.
        reason: &'static str,
    },
    /// The memory setup is invalid.
    #[error(transparent)]
    Memory(#[from] MemoryError),
    /// The time is too large to represent.
    #[error("firmware time: {0}")]
    Time(#[from] TimeError),
}

impl Llama2cFirmware {
    /// Checks the settings.
    pub fn validate(&self) -> Result<(), FirmwareError> {
        if self.tick_hz == 0 || self.tick_hz > 1_000 {
            return Err(FirmwareError::Invalid {
                key: "tick_hz",
                value: self.tick_hz,
                reason: "CONFIG_FREERTOS_HZ ranges over 1..=1000",
            });
        }
        if self.print_baud == Some(0) {
            return Err(FirmwareError::Invalid {
                key: "print_baud",
                value: 0,
                reason: "a baud rate must be positive",
            });
        }
        Ok(())
    }
}

/// Everything pricing a llama2.c step needs about the chip.
pub struct ChipContext<'a> {
    /// The model's dimensions.
    pub shape: &'a ModelShape,
    /// The CPU.
    pub cpu: &'a CpuSetup,
    /// Where the chip's weights and KV cache live.
    pub placement: &'a Placement,
    /// The board's memory.
    pub memory: &'a MemorySetup,
    /// The chip's calibration.
    pub calibration: &'a Calibration,
}

/// Work in milli-cycles per phase, before conversion to time.
#[derive(Default)]
struct Cycles {
    matmul: u128,
    attention: u128,
    norm: u128,
    activations: u128,
    sync: u128,
    overheads: u128,
}

/// The time of one phase of partitioned execution at `pos` under the llama2.c profile.
pub fn llama2c_time(
    firmware: &Llama2cFirmware,
    phase: &Phase,
    pos: u32,
    chip: &ChipContext,
) -> Result<PhaseTimes, FirmwareError> {
    chip.cpu.validate(chip.calibration).map_err(|e| match e {
        crate::chip::ChipError::Memory(m) => FirmwareError::Memory(m),
        _ => FirmwareError::Unsupported("this CPU setup"),
    })?;
    let s = chip.shape;
    let pricing = Pricing::new(firmware, chip);
    let mut cycles = Cycles::default();
    let mut weight_bytes = 0u64;
    let mut kv_fills = 0u64;
    match *phase {
        Phase::Embed => {
            cycles.activations += pricing.elementwise(u64::from(s.dim));
            weight_bytes += u64::from(s.dim) * F32_BYTES;
        }
        Phase::Layers(layers) => {
            for _ in layers.start..layers.end {
                pricing.layer(&mut cycles, pos);
                weight_bytes += layer_weight_bytes(s);
                kv_fills += pricing.kv_fills(pos)?;
            }
        }
        Phase::Classify(vocab) => {
            pricing.rmsnorm(&mut cycles, 1);
            pricing.matmul(&mut cycles, &[(vocab.len(), s.dim)]);
            weight_bytes += (u64::from(vocab.len()) + 1) * u64::from(s.dim) * F32_BYTES;
        }
        Phase::Sample => pricing.sample(&mut cycles),
        Phase::Attention { .. } => return Err(FirmwareError::Unsupported("a head shard")),
        Phase::Ffn { .. } => return Err(FirmwareError::Unsupported("a feed-forward shard")),
        Phase::Combine { .. } => return Err(FirmwareError::Unsupported("a partial-sum reduction")),
    }
    let clock_hz = u64::from(chip.cpu.clock_mhz) * 1_000_000;
    let time = |millicycles: u128| Duration::from_millicycles(millicycles, clock_hz);
    let memory = pricing.memory_time(weight_bytes, kv_fills)?;
    let mut times = PhaseTimes {
        matmul: time(cycles.matmul)?,
        attention: time(cycles.attention)?,
        norm: time(cycles.norm)?,
        activations: time(cycles.activations)?,
        memory,
        sync: time(cycles.sync)?,
        overheads: time(cycles.overheads)?,
    };
    if *phase == Phase::Sample {
        times.overheads = times
            .overheads
            .checked_add(firmware.print_stall())
            .ok_or(TimeError::Overflow)?;
    }
    Ok(times)
}

impl Llama2cFirmware {
    /// Time the core waits for the console UART per token: only bytes beyond the 128-byte FIFO
    /// (`SOC_UART_FIFO_LEN`) block the writer (ESP-IDF `stdio.rst`: writes busy-wait until the
    /// data is in the FIFO), so a few bytes per token never stall.
    fn print_stall(&self) -> Duration {
        const UART_FIFO_BYTES: u64 = 128;
        match self.print_baud {
            Some(baud) => {
                let bytes = u64::from(self.print_bytes_milli).div_ceil(1_000);
                let blocking = bytes.saturating_sub(UART_FIFO_BYTES);
                // 10 bits per byte with 8N1 framing.
                Duration::from_ps((blocking * 10 * 1_000_000_000_000).div_ceil(u64::from(baud)))
            }
            None => Duration::ZERO,
        }
    }

    /// When a token that ends at `now` lets the next one start: after `vTaskDelay(delay_ticks)`,
    /// which wakes at the `delay_ticks`-th tick interrupt from now (FreeRTOS `task.h`: the task
    /// unblocks that many ticks after the call), on a tick grid that starts at time zero.
    pub fn after_delay(&self, now: Duration) -> Result<Duration, TimeError> {
        let ticks = u64::from(self.delay_ticks);
        if ticks == 0 {
            return Ok(now);
        }
        let tick_ps = 1_000_000_000_000 / u64::from(self.tick_hz);
        let current = now.as_ps() / tick_ps;
        let wake = (current + ticks)
            .checked_mul(tick_ps)
            .ok_or(TimeError::Overflow)?;
        Ok(Duration::from_ps(wake))
    }
}

/// Bytes of one layer's weights: two norm vectors, the attention and feed-forward matrices.
fn layer_weight_bytes(s: &ModelShape) -> u64 {
    let (d, h, kv) = (
        u64::from(s.dim),
        u64::from(s.hidden_dim),
        u64::from(s.kv_dim()),
    );
    (2 * d + 2 * d * d + 2 * kv * d + 3 * h * d) * F32_BYTES
}

/// The per-operation costs of one chip under one firmware.
struct Pricing<'a> {
    firmware: &'a Llama2cFirmware,
    chip: &'a ChipContext<'a>,
    /// Milli-cycles per dot-product MAC (the call's fixed part taken out for esp-dsp).
    mac: u128,
    /// Milli-cycles of one dot-product call's fixed part.
    call: u128,
    /// Milli-cycles per plain-C multiply-add or element-wise operation.
    elementwise: u128,
    /// Milli-cycles per compare and branch.
    compare: u128,
    /// Cores the matrix rows and heads are split over.
    cores: u32,
}

impl<'a> Pricing<'a> {
    fn new(firmware: &'a Llama2cFirmware, chip: &'a ChipContext<'a>) -> Pricing<'a> {
        let cal = chip.calibration;
        // The vendor figure (CAL s2) is a 256-element dot product including its call.
        // Plain-C loops slow down at -Og; assembly kernels do not.
        let c_loop =
            |cycles: u64| match firmware.optimization {
                Optimization::O2 => u128::from(cycles),
                Optimization::Og => (u128::from(cycles) * u128::from(cal.firmware.og_slowdown_ppm))
                    .div_ceil(1_000_000),
                Optimization::Os => (u128::from(cycles) * u128::from(cal.firmware.os_slowdown_ppm))
                    .div_ceil(1_000_000),
            };
        let (mac, call) = match chip.cpu.kernel {
            KernelKind::Optimized => {
                let call = u128::from(cal.firmware.dot_call);
                let measured = u128::from(cal.cycles.optimized.mac_f32) * 256;
                (measured.saturating_sub(call) / 256, call)
            }
            KernelKind::PlainC => (c_loop(cal.cycles.plain_c.mac_f32), 0),
        };
        Pricing {
            firmware,
            chip,
            mac,
            call,
            elementwise: c_loop(cal.cycles.plain_c.elementwise_f32),
            compare: c_loop(cal.firmware.compare_f32),
            cores: chip.cpu.cores_used.max(1),
        }
    }

    fn fw(&self) -> &crate::calibration::FirmwareCycles {
        &self.chip.calibration.firmware
    }

    fn elementwise(&self, count: u64) -> u128 {
        u128::from(count) * self.elementwise
    }

    fn exp(&self) -> u128 {
        u128::from(match self.firmware.exp {
            ExpMode::Libm => self.fw().exp_f32,
            ExpMode::Fast => self.fw().fast_exp_f32,
        })
    }

    /// Matrix-vector products of `(rows, row length)`, each one fork/join region on two cores.
    fn matmul(&self, cycles: &mut Cycles, matrices: &[(u32, u32)]) {
        for &(rows, n) in matrices {
            let row = self.call + u128::from(n) * self.mac;
            let rows_on_slowest = u128::from(rows.div_ceil(self.cores));
            cycles.matmul += rows_on_slowest * row;
            if self.cores > 1 {
                cycles.sync += u128::from(self.fw().fork_join);
            }
        }
    }

    /// `count` RMSNorms over the width.
    fn rmsnorm(&self, cycles: &mut Cycles, count: u64) {
        let d = u64::from(self.chip.shape.dim);
        let per = self.elementwise(2 * d)
            + 2 * u128::from(self.fw().div_f32)
            + u128::from(self.fw().sqrt_f32);
        cycles.norm += u128::from(count) * per;
    }

    /// One decoder layer at `pos` (see the module docs).
    fn layer(&self, cycles: &mut Cycles, pos: u32) {
        let s = self.chip.shape;
        let fw = self.fw();
        let (d, h, kv) = (s.dim, s.hidden_dim, s.kv_dim());
        self.rmsnorm(cycles, 1);
        self.matmul(cycles, &[(d, d), (kv, d), (kv, d)]);
        // RoPE over the width: recomputed frequencies and angles per pair, then rotations of q
        // (every pair) and k (pairs inside kv_dim), 6 flops each.
        let pairs = u128::from(d / 2);
        if self.firmware.rope == RopeMode::Recompute {
            cycles.activations += pairs
                * (u128::from(fw.pow_f32) + 2 * u128::from(fw.sincos_f32) + u128::from(fw.div_f32));
        }
        cycles.activations += self.elementwise(6 * u64::from(d / 2 + kv / 2));
        // Attention, heads split over the cores.
        let attended = u128::from(pos) + 1;
        let head_size = u128::from(s.head_size());
        let per_score = match self.firmware.scaling {
            ScalingMode::Divide => u128::from(fw.div_f32) + u128::from(fw.sqrt_f32),
            ScalingMode::Reciprocal => self.elementwise,
        };
        let normalise = match self.firmware.scaling {
            ScalingMode::Divide => u128::from(fw.div_f32),
            ScalingMode::Reciprocal => self.elementwise,
        };
        let per_position = self.call
            + head_size * self.mac
            + per_score
            + self.compare
            + self.exp()
            + self.elementwise
            + normalise
            + head_size * self.elementwise;
        let heads_on_slowest = u128::from(s.n_heads.div_ceil(self.cores));
        cycles.attention += heads_on_slowest * attended * per_position;
        if self.firmware.scaling == ScalingMode::Reciprocal {
            cycles.attention += heads_on_slowest * 2 * u128::from(fw.div_f32);
        }
        if self.cores > 1 {
            cycles.sync += u128::from(fw.fork_join);
        }
        self.matmul(cycles, &[(d, d)]);
        cycles.activations += self.elementwise(u64::from(d));
        self.rmsnorm(cycles, 1);
        self.matmul(cycles, &[(h, d), (h, d)]);
        // SiLU per hidden unit, the SwiGLU product, then w2 and the residual.
        cycles.activations +=
            u128::from(h) * (self.exp() + u128::from(fw.div_f32) + 2 * self.elementwise);
        self.matmul(cycles, &[(d, h)]);
        cycles.activations += self.elementwise(u64::from(d));
    }

    /// The token choice over the vocabulary.
    fn sample(&self, cycles: &mut Cycles) {
        let v = u128::from(self.chip.shape.vocab_size);
        let fw = self.fw();
        let scan = v * self.compare;
        cycles.overheads += match self.firmware.sampling {
            SamplingMode::Argmax => scan,
            SamplingMode::Temperature | SamplingMode::TopP => {
                // Divide by the temperature, softmax (max scan, exp, sum, divide), then a draw.
                let softmax = v * u128::from(fw.div_f32)
                    + scan
                    + v * (self.exp() + self.elementwise + u128::from(fw.div_f32))
                    + v * self.elementwise;
                let sort = match self.firmware.sampling {
                    SamplingMode::TopP => {
                        let log2 =
                            u128::from(u32::BITS - self.chip.shape.vocab_size.leading_zeros());
                        v * log2 * self.compare * 2
                    }
                    _ => 0,
                };
                softmax + sort
            }
        };
    }

    /// KV cache line fills of one layer at `pos` when the cache lives outside SRAM.
    fn kv_fills(&self, pos: u32) -> Result<u64, FirmwareError> {
        if self.chip.placement.kv_cache == Region::Sram {
            return Ok(0);
        }
        let s = self.chip.shape;
        let cache = self.chip.memory.cache(self.chip.calibration)?;
        let attended = u64::from(pos) + 1;
        let row = u64::from(s.kv_dim()) * F32_BYTES;
        let piece = u64::from(s.head_size()) * F32_BYTES;
        // Keys and values of the layer: if each fits the cache, every line is filled once;
        // otherwise each query head reads its own piece of every position again.
        let reads = if attended * row <= cache.bytes() {
            2 * attended * cache.lines(row)
        } else {
            2 * attended * u64::from(s.n_heads) * cache.lines(piece)
        };
        // The new position's key and value rows are written back.
        Ok(reads + 2 * cache.lines(row))
    }

    /// Memory stalls of `weight_bytes` from the weights' region and `kv_fills` KV line fills.
    fn memory_time(&self, weight_bytes: u64, kv_fills: u64) -> Result<Duration, FirmwareError> {
        let chip = self.chip;
        let cache = chip.memory.cache(chip.calibration)?;
        let fill = |region: Region| -> Result<Option<Duration>, FirmwareError> {
            let (bus, clock) = match region {
                Region::Psram => (
                    chip.memory.psram_bus(chip.calibration)?,
                    chip.memory.psram_clock_mhz,
                ),
                Region::Flash => (chip.calibration.memory.flash, chip.memory.flash_clock_mhz),
                Region::Sram | Region::SdCard => return Ok(None),
            };
            Ok(Some(line_fill(bus, clock, cache.line_bytes)?))
        };
        let mut total = Duration::ZERO;
        if let Some(fill) = fill(chip.placement.weights)? {
            if !weights_stay_cached(chip, &cache) {
                total = fill
                    .checked_mul(cache.lines(weight_bytes))
                    .ok_or(TimeError::Overflow)?;
            }
        }
        if let Some(fill) = fill(chip.placement.kv_cache)? {
            let kv = fill.checked_mul(kv_fills).ok_or(TimeError::Overflow)?;
            total = total.checked_add(kv).ok_or(TimeError::Overflow)?;
        }
        if chip.placement.weights == Region::SdCard {
            return Err(FirmwareError::Unsupported("weights on an SD card"));
        }
        Ok(total)
    }
}

/// Whether every weight this chip holds fits the data cache, so that after the first token no
/// weight line is filled again.
fn weights_stay_cached(chip: &ChipContext, cache: &CacheConfig) -> bool {
    let s = chip.shape;
    let all = u64::from(s.n_layers) * layer_weight_bytes(s)
        + (u64::from(s.vocab_size) + 1) * u64::from(s.dim) * F32_BYTES;
    all <= cache.bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibration::Variant;
    use crate::memory::{place, Footprint, PsramMode};
    use ruvsim_core::Span;

    fn stories() -> ModelShape {
        ModelShape::preset("stories260k").unwrap()
    }

    fn firmware() -> Llama2cFirmware {
        Llama2cFirmware {
            rope: RopeMode::Recompute,
            exp: ExpMode::Libm,
            scaling: ScalingMode::Divide,
            sampling: SamplingMode::Argmax,
            print_baud: None,
            print_bytes_milli: default_print_bytes_milli(),
            delay_ticks: 0,
            tick_hz: 100,
            optimization: Optimization::O2,
        }
    }

    struct Board {
        calibration: Calibration,
        cpu: CpuSetup,
        memory: MemorySetup,
        placement: Placement,
    }

    /// One S3 with f32 weights and the KV cache in octal PSRAM.
    fn board(cores: u32, kernel: KernelKind) -> Board {
        let calibration = Calibration::builtin(Variant::Esp32S3);
        let memory = MemorySetup {
            psram_bytes: 8 << 20,
            psram_mode: PsramMode::Octal,
            ..MemorySetup::default()
        };
        let footprint = Footprint {
            weights_bytes: 1 << 20,
            kv_cache_bytes: 655_360,
            activation_bytes: 16_384,
        };
        let placement = place(&footprint, &memory, &calibration).unwrap();
        Board {
            cpu: CpuSetup {
                clock_mhz: 240,
                cores_used: cores,
                kernel,
            },
            calibration,
            memory,
            placement,
        }
    }

    fn time(fw: &Llama2cFirmware, board: &Board, phase: Phase, pos: u32) -> PhaseTimes {
        let shape = stories();
        let context = ChipContext {
            shape: &shape,
            cpu: &board.cpu,
            placement: &board.placement,
            memory: &board.memory,
            calibration: &board.calibration,
        };
        llama2c_time(fw, &phase, pos, &context).unwrap()
    }

    fn layers() -> Phase {
        Phase::Layers(Span::new(0, 5))
    }

    #[test]
    fn attention_grows_by_the_same_amount_with_every_position() {
        let board = board(1, KernelKind::Optimized);
        let at = |pos| time(&firmware(), &board, layers(), pos).attention.as_ps();
        let step = at(1) - at(0);
        assert!(step > 0);
        // Linear in the attended positions, up to the rounding of one conversion.
        assert!((at(101) - at(1)).abs_diff(100 * step) <= 100);
        // The weights' share does not depend on the position.
        let matmul = |pos| time(&firmware(), &board, layers(), pos).matmul;
        assert_eq!(matmul(0), matmul(300));
    }

    #[test]
    fn two_cores_halve_the_rows_and_pay_a_fork_join_per_matrix() {
        let one = time(&firmware(), &board(1, KernelKind::Optimized), layers(), 10);
        let two = time(&firmware(), &board(2, KernelKind::Optimized), layers(), 10);
        assert_eq!(one.sync, Duration::ZERO);
        // 7 matrices and one attention region per layer, 5 layers, 2,855 cycles each at 240 MHz.
        let fork_join_ps = 2_855u64 * 1_000_000 / 240;
        assert!(two.sync.as_ps().abs_diff(40 * fork_join_ps) <= 40);
        assert!(two.matmul.as_ps() * 2 >= one.matmul.as_ps());
        assert!(two.matmul.as_ps() * 2 <= one.matmul.as_ps() + one.matmul.as_ps() / 50);
        // Both cores share the one SPI bus: memory does not speed up.
        assert_eq!(one.memory, two.memory);
    }

    #[test]
    fn size_optimised_builds_slow_only_the_c_loops() {
        let board = board(1, KernelKind::Optimized);
        let os = Llama2cFirmware {
            optimization: Optimization::Os,
            ..firmware()
        };
        let fast = time(&firmware(), &board, layers(), 10);
        let slow = time(&os, &board, layers(), 10);
        // esp-dsp's dot products are assembly: unchanged; the C element-wise loops slow down.
        assert_eq!(fast.matmul, slow.matmul);
        assert!(slow.activations > fast.activations);
        let plain = self::board(1, KernelKind::PlainC);
        let ratio = time(&os, &plain, layers(), 10).matmul.as_ps() as f64
            / time(&firmware(), &plain, layers(), 10).matmul.as_ps() as f64;
        let expected = plain.calibration.firmware.os_slowdown_ppm as f64 / 1e6;
        assert!((ratio - expected).abs() < 0.01, "{ratio} vs {expected}");
    }

    #[test]
    fn a_delay_wakes_on_the_tick_grid() {
        let fw = Llama2cFirmware {
            delay_ticks: 1,
            tick_hz: 1_000,
            ..firmware()
        };
        // 1 ms ticks: from 2.3 ms the next tick is at 3 ms.
        assert_eq!(
            fw.after_delay(Duration::from_us(2_300)).unwrap(),
            Duration::from_us(3_000)
        );
        let none = firmware();
        assert_eq!(
            none.after_delay(Duration::from_us(2_300)).unwrap(),
            Duration::from_us(2_300)
        );
    }

    #[test]
    fn tensor_shards_are_refused_with_the_key_to_change() {
        let board = board(1, KernelKind::Optimized);
        let shape = stories();
        let context = ChipContext {
            shape: &shape,
            cpu: &board.cpu,
            placement: &board.placement,
            memory: &board.memory,
            calibration: &board.calibration,
        };
        let phase = Phase::Attention {
            layer: 0,
            heads: Span::new(0, 4),
        };
        let err = llama2c_time(&firmware(), &phase, 0, &context).unwrap_err();
        assert!(err.to_string().contains("profile = \"core\""), "{err}");
    }
}
