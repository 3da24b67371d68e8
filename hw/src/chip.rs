//! The chip compute model: operation counts -> cycles -> picoseconds, and one step's total time.
//!
//! [`compute_time`] multiplies each field of an [`OpCounts`] by the calibrated cost of its class
//! (integer milli-cycles, so the sum is exact and host-independent), divides the work over the cores
//! used (two cores run at the calibrated parallel efficiency), and converts at the CPU clock,
//! rounding up. [`step_time`] adds the memory time of data streamed from outside SRAM, following
//! the overlap rule documented in [`crate::memory`].

use ruvsim_core::{OpCounts, Precision};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::calibration::{Calibration, OpCycles, Variant};
use crate::memory::{memory_time, MemoryError, MemorySetup, MemoryTime, Placement};
use crate::phases::PhaseTimes;
use ruvsim_engine::time::{Duration, TimeError};

/// Which kernel implementation the firmware uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KernelKind {
    /// Portable C loops.
    #[default]
    PlainC,
    /// Vendor-optimised kernels (esp-dsp / esp-nn; PIE SIMD on the ESP32-S3).
    Optimized,
}

/// How a chip's CPU runs the model (scenario input: `cpu = { clock_mhz = 240, cores_used = 2,
/// kernel = "optimized" }`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpuSetup {
    /// CPU clock.
    pub clock_mhz: u32,
    /// Cores the work is split over (1 or 2).
    pub cores_used: u32,
    /// Kernel implementation.
    #[serde(default)]
    pub kernel: KernelKind,
}

/// Why a compute time could not be given.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ChipError {
    /// Clock of zero or above the variant's maximum.
    #[error("cluster.cpu.clock_mhz = {clock_mhz} is outside 1..={max_mhz} MHz for {variant}")]
    Clock {
        /// Requested clock.
        clock_mhz: u32,
        /// The variant's maximum.
        max_mhz: u32,
        /// The chip variant.
        variant: Variant,
    },
    /// Zero cores, or more than the variant has.
    #[error(
        "cluster.cpu.cores_used = {requested}, but {variant} has {available} core(s) (valid: \
         1..={available})"
    )]
    Cores {
        /// Requested cores.
        requested: u32,
        /// Cores the variant has.
        available: u32,
        /// The chip variant.
        variant: Variant,
    },
    /// The work is too large to express in simulated time.
    #[error("compute time overflows: {0}")]
    Time(#[from] TimeError),
    /// The memory part of a step failed.
    #[error(transparent)]
    Memory(#[from] MemoryError),
}

impl CpuSetup {
    /// Checks the setup against the variant.
    pub fn validate(&self, calibration: &Calibration) -> Result<(), ChipError> {
        let cpu = &calibration.cpu;
        if self.clock_mhz == 0 || self.clock_mhz > cpu.max_clock_mhz {
            return Err(ChipError::Clock {
                clock_mhz: self.clock_mhz,
                max_mhz: cpu.max_clock_mhz,
                variant: calibration.variant,
            });
        }
        if self.cores_used == 0 || self.cores_used > cpu.cores {
            return Err(ChipError::Cores {
                requested: self.cores_used,
                available: cpu.cores,
                variant: calibration.variant,
            });
        }
        Ok(())
    }
}

/// Total work of `counts` in milli-cycles on one core, with the cost table of `kernel`.
/// Attention MACs and element-wise operations are charged at the f32 or integer cost according to
/// the model's precision.
pub fn work_millicycles(
    counts: &OpCounts,
    precision: Precision,
    costs: &OpCycles,
) -> Result<u128, ChipError> {
    let (attn, elementwise) = match precision {
        Precision::F32 => (costs.attn_mac_f32, costs.elementwise_f32),
        Precision::Int8 | Precision::Int4 | Precision::Binary => {
            (costs.attn_mac_int, costs.elementwise_int)
        }
    };
    let terms = [
        (counts.mac_f32, costs.mac_f32),
        (counts.mac_i8, costs.mac_i8),
        (counts.mac_i4, costs.mac_i4),
        (counts.xnor_words, costs.xnor_word),
        (counts.attn_mac, attn),
        (counts.lut, costs.lut),
        (counts.elementwise, elementwise),
    ];
    // Each product is below 2^128 / 2^64 headroom: u64 x u64 fits u128; the sum of seven is checked.
    terms
        .iter()
        .map(|&(count, cost)| u128::from(count) * u128::from(cost))
        .try_fold(0u128, u128::checked_add)
        .ok_or(ChipError::Time(TimeError::Overflow))
}

/// Time the CPU needs for `counts` (see the module docs). Work split over two cores takes
/// `work / (2 x parallel efficiency)`, rounded up to whole milli-cycles, then to picoseconds.
pub fn compute_time(
    counts: &OpCounts,
    precision: Precision,
    setup: &CpuSetup,
    calibration: &Calibration,
) -> Result<Duration, ChipError> {
    setup.validate(calibration)?;
    let costs = match setup.kernel {
        KernelKind::PlainC => &calibration.cycles.plain_c,
        KernelKind::Optimized => &calibration.cycles.optimized,
    };
    let work = work_millicycles(counts, precision, costs)?;
    let speedup_ppm = match setup.cores_used {
        1 => 1_000_000u128,
        cores => u128::from(cores) * u128::from(calibration.cpu.parallel_efficiency_ppm),
    };
    let critical_path = work
        .checked_mul(1_000_000)
        .ok_or(ChipError::Time(TimeError::Overflow))?
        .div_ceil(speedup_ppm);
    Ok(Duration::from_millicycles(
        critical_path,
        u64::from(setup.clock_mhz) * 1_000_000,
    )?)
}

/// One step's time on a chip, by component.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepTiming {
    /// CPU time for the operations.
    pub compute: Duration,
    /// Memory time by overlap class.
    pub memory: MemoryTime,
    /// `max(compute + memory.stalled, memory.overlapped)`.
    pub total: Duration,
}

/// Compute plus memory time of a step whose data is placed as `placement`.
pub fn step_time(
    counts: &OpCounts,
    precision: Precision,
    cpu: &CpuSetup,
    placement: &Placement,
    memory: &MemorySetup,
    calibration: &Calibration,
) -> Result<StepTiming, ChipError> {
    let compute = compute_time(counts, precision, cpu, calibration)?;
    let memory = memory_time(counts, placement, memory, calibration)?;
    let serial = compute
        .checked_add(memory.stalled)
        .ok_or(ChipError::Time(TimeError::Overflow))?;
    Ok(StepTiming {
        compute,
        memory,
        total: serial.max(memory.overlapped),
    })
}

/// Where a step's time went under the core profile: the weight multiply-accumulates
/// (`matmul`), the attention multiply-accumulates (`attention`), the rest of the computation
/// (`activations`: lookups and element-wise work, norms included) and the memory's share of the
/// step (`memory`); the phases add up to `timing.total` exactly.
pub fn core_phases(
    counts: &OpCounts,
    precision: Precision,
    setup: &CpuSetup,
    calibration: &Calibration,
    timing: &StepTiming,
) -> Result<PhaseTimes, ChipError> {
    let only = |c: OpCounts| compute_time(&c, precision, setup, calibration);
    let matmul = only(OpCounts {
        mac_f32: counts.mac_f32,
        mac_i8: counts.mac_i8,
        mac_i4: counts.mac_i4,
        xnor_words: counts.xnor_words,
        ..OpCounts::default()
    })?
    .min(timing.compute);
    let attention = only(OpCounts {
        attn_mac: counts.attn_mac,
        ..OpCounts::default()
    })?
    .min(timing.compute - matmul);
    Ok(PhaseTimes {
        matmul,
        attention,
        activations: timing.compute - matmul - attention,
        memory: timing.total - timing.compute,
        ..PhaseTimes::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3() -> Calibration {
        Calibration::builtin(Variant::Esp32S3)
    }

    fn setup(clock_mhz: u32, cores_used: u32, kernel: KernelKind) -> CpuSetup {
        CpuSetup {
            clock_mhz,
            cores_used,
            kernel,
        }
    }

    #[test]
    fn single_class_matches_hand_arithmetic() {
        // 240,000 f32 MACs x 1.688 cycles (1688 milli-cycles) at 240 MHz = 1.688 ms exactly.
        let counts = OpCounts {
            mac_f32: 240_000,
            ..OpCounts::default()
        };
        let time = compute_time(
            &counts,
            Precision::F32,
            &setup(240, 1, KernelKind::Optimized),
            &s3(),
        )
        .unwrap();
        assert_eq!(time, Duration::from_us(1_688));
    }

    #[test]
    fn two_cores_divide_by_twice_the_efficiency() {
        let counts = OpCounts {
            mac_i8: 1_000_000,
            ..OpCounts::default()
        };
        let one = compute_time(
            &counts,
            Precision::Int8,
            &setup(160, 1, KernelKind::PlainC),
            &s3(),
        )
        .unwrap();
        let two = compute_time(
            &counts,
            Precision::Int8,
            &setup(160, 2, KernelKind::PlainC),
            &s3(),
        )
        .unwrap();
        let ratio = one.as_ps() as f64 / two.as_ps() as f64;
        assert!((ratio - 1.97).abs() < 1e-6, "speed-up {ratio}");
    }

    #[test]
    fn precision_selects_attention_and_elementwise_costs() {
        let counts = OpCounts {
            attn_mac: 1_000,
            elementwise: 1_000,
            ..OpCounts::default()
        };
        let costs = &s3().cycles.plain_c;
        let f32_work = work_millicycles(&counts, Precision::F32, costs).unwrap();
        let int_work = work_millicycles(&counts, Precision::Int8, costs).unwrap();
        assert_eq!(
            f32_work,
            1_000 * u128::from(costs.attn_mac_f32 + costs.elementwise_f32)
        );
        assert_eq!(
            int_work,
            1_000 * u128::from(costs.attn_mac_int + costs.elementwise_int)
        );
    }

    #[test]
    fn optimized_kernels_are_faster_on_the_s3_and_equal_on_the_c3() {
        let counts = OpCounts {
            mac_i8: 100_000,
            ..OpCounts::default()
        };
        let time = |cal: &Calibration, kernel| {
            compute_time(&counts, Precision::Int8, &setup(160, 1, kernel), cal).unwrap()
        };
        assert!(time(&s3(), KernelKind::Optimized) * 5 < time(&s3(), KernelKind::PlainC));
        let c3 = Calibration::builtin(Variant::Esp32C3);
        assert_eq!(
            time(&c3, KernelKind::Optimized),
            time(&c3, KernelKind::PlainC)
        );
    }

    #[test]
    fn invalid_setups_are_rejected() {
        let counts = OpCounts::default();
        let c3 = Calibration::builtin(Variant::Esp32C3);
        let err = compute_time(
            &counts,
            Precision::F32,
            &setup(240, 1, KernelKind::PlainC),
            &c3,
        )
        .unwrap_err();
        assert!(
            matches!(err, ChipError::Clock { max_mhz: 160, .. }),
            "{err}"
        );
        let err = compute_time(
            &counts,
            Precision::F32,
            &setup(160, 2, KernelKind::PlainC),
            &c3,
        )
        .unwrap_err();
        assert!(err.to_string().contains("valid: 1..=1"), "{err}");
        assert!(compute_time(
            &counts,
            Precision::F32,
            &setup(0, 1, KernelKind::PlainC),
            &c3
        )
        .is_err());
    }

    #[test]
    fn cpu_setup_deserializes_from_scenario_syntax() {
        let parsed: CpuSetup =
            toml::from_str("clock_mhz = 240\ncores_used = 2\nkernel = \"optimized\"").unwrap();
        assert_eq!(parsed, setup(240, 2, KernelKind::Optimized));
        assert!(
            toml::from_str::<CpuSetup>("clock_mhz = 240\ncores_used = 2\nkernal = \"x\"").is_err()
        );
    }
}
