//! Tests of placement, budget errors and memory time.

use super::*;
use crate::calibration::Variant;
use crate::chip::{step_time, CpuSetup, KernelKind};
use ruvsim_core::Precision;

fn s3() -> Calibration {
    Calibration::builtin(Variant::Esp32S3)
}

fn footprint(weights: u64, kv: u64, activations: u64) -> Footprint {
    Footprint {
        weights_bytes: weights,
        kv_cache_bytes: kv,
        activation_bytes: activations,
    }
}

fn with_psram(bytes: u64) -> MemorySetup {
    MemorySetup {
        psram_bytes: bytes,
        ..MemorySetup::default()
    }
}

#[test]
fn small_model_lives_in_sram_and_costs_no_memory_time() {
    let cal = s3();
    let placement = place(
        &footprint(100_000, 50_000, 20_000),
        &MemorySetup::default(),
        &cal,
    )
    .unwrap();
    assert_eq!(placement.weights, Region::Sram);
    assert_eq!(placement.kv_cache, Region::Sram);
    assert_eq!(placement.sram_used, 170_000);
    let counts = OpCounts {
        weight_bytes: 100_000,
        kv_read_bytes: 10_000,
        ..OpCounts::default()
    };
    let time = memory_time(&counts, &placement, &MemorySetup::default(), &cal).unwrap();
    assert_eq!(time, MemoryTime::default());
}

#[test]
fn weights_spill_to_psram_and_kv_takes_the_sram_left() {
    let placement = place(
        &footprint(1_040_128, 200_000, 30_000),
        &with_psram(2 << 20),
        &s3(),
    )
    .unwrap();
    assert_eq!(placement.weights, Region::Psram);
    assert_eq!(placement.kv_cache, Region::Sram);
    assert_eq!(placement.psram_used, 1_040_128);
    assert_eq!(placement.sram_used, 230_000);
}

#[test]
fn without_psram_weights_go_to_flash_then_sd() {
    let cal = Calibration::builtin(Variant::Esp32C3);
    let flash = MemorySetup {
        flash_model_bytes: 2 << 20,
        ..MemorySetup::default()
    };
    let placement = place(&footprint(1_000_000, 10_000, 10_000), &flash, &cal).unwrap();
    assert_eq!(placement.weights, Region::Flash);
    let sd = MemorySetup {
        sd_card: true,
        ..MemorySetup::default()
    };
    let placement = place(&footprint(50_000_000, 10_000, 10_000), &sd, &cal).unwrap();
    assert_eq!(placement.weights, Region::SdCard);
    assert_eq!(placement.sd_used, 50_000_000);
}

#[test]
fn over_budget_reports_bytes_over_and_the_budget() {
    let cal = Calibration::builtin(Variant::Esp32C3);
    let budget = cal.memory.sram_usable_bytes;
    let err = place(
        &footprint(budget + 1_000, 0, 0),
        &MemorySetup::default(),
        &cal,
    )
    .unwrap_err();
    assert_eq!(
        err,
        MemoryError::OverBudget(BudgetExceeded {
            item: Item::Weights,
            region: Region::Sram,
            needed: budget + 1_000,
            budget,
            over: 1_000,
        })
    );
    let err = place(&footprint(0, 0, budget + 5), &MemorySetup::default(), &cal).unwrap_err();
    assert!(
        matches!(err, MemoryError::OverBudget(b) if b.item == Item::Activations && b.over == 5)
    );
    // KV never goes to flash: with weights in flash and a too-large KV cache, PSRAM-less C3 fails.
    let flash = MemorySetup {
        flash_model_bytes: 4 << 20,
        ..MemorySetup::default()
    };
    let err = place(&footprint(1 << 20, budget + 1, 0), &flash, &cal).unwrap_err();
    assert!(
        matches!(err, MemoryError::OverBudget(b) if b.item == Item::KvCache && b.region == Region::Sram)
    );
}

#[test]
fn setups_are_validated_against_the_variant() {
    let c3 = Calibration::builtin(Variant::Esp32C3);
    let small = footprint(1, 1, 1);
    assert!(matches!(
        place(&small, &with_psram(1 << 20), &c3),
        Err(MemoryError::PsramNotSupported { .. })
    ));
    let esp32 = Calibration::builtin(Variant::Esp32);
    assert!(matches!(
        place(&small, &with_psram(8 << 20), &esp32),
        Err(MemoryError::PsramTooLarge { max: 4194304, .. })
    ));
    let octal = MemorySetup {
        psram_mode: PsramMode::Octal,
        ..with_psram(1 << 20)
    };
    assert!(matches!(
        place(&small, &octal, &esp32),
        Err(MemoryError::OctalNotSupported { .. })
    ));
    assert!(place(&small, &octal, &s3()).is_ok());
    let fast = MemorySetup {
        psram_clock_mhz: 120,
        ..with_psram(1 << 20)
    };
    let err = place(&small, &fast, &esp32).unwrap_err();
    assert!(
        err.to_string()
            .contains("cluster.memory.psram_clock_mhz = 120 is outside 1..=80 MHz"),
        "{err}"
    );
    let parsed: MemorySetup =
        toml::from_str("psram_bytes = 2097152\npsram_mode = \"octal\"").unwrap();
    assert_eq!(parsed.psram_mode, PsramMode::Octal);
    assert_eq!(parsed.psram_clock_mhz, 80);
    assert!(toml::from_str::<MemorySetup>("psram = 1").is_err());
}

#[test]
fn psram_reads_are_one_line_fill_per_line() {
    // Quad 80 MHz, 32-byte lines: 32,000 bytes are 1,000 fills of 1,058,062 ps each
    // (crate::cache::line_fill: 64 data clocks at 0.7561 efficiency).
    let cal = s3();
    let setup = with_psram(2 << 20);
    let placement = place(&footprint(1_000_000, 0, 0), &setup, &cal).unwrap();
    let counts = OpCounts {
        weight_bytes: 32_000,
        ..OpCounts::default()
    };
    let time = memory_time(&counts, &placement, &setup, &cal).unwrap();
    assert_eq!(time.stalled, Duration::from_ps(1_000 * 1_058_062));
    assert_eq!(time.overlapped, Duration::ZERO);
}

#[test]
fn sd_streaming_overlaps_compute_while_cached_regions_stall() {
    let cal = Calibration::builtin(Variant::Esp32C3);
    let cpu = CpuSetup {
        clock_mhz: 160,
        cores_used: 1,
        kernel: KernelKind::PlainC,
    };
    let counts = OpCounts {
        mac_i8: 1_000_000,
        weight_bytes: 1_000_000,
        ..OpCounts::default()
    };
    let sd = MemorySetup {
        sd_card: true,
        ..MemorySetup::default()
    };
    let placement = place(&footprint(1_000_000, 0, 0), &sd, &cal).unwrap();
    let timing = step_time(&counts, Precision::Int8, &cpu, &placement, &sd, &cal).unwrap();
    assert_eq!(timing.memory.stalled, Duration::ZERO);
    assert_eq!(timing.total, timing.compute.max(timing.memory.overlapped));
    let flash = MemorySetup {
        flash_model_bytes: 2 << 20,
        ..MemorySetup::default()
    };
    let placement = place(&footprint(1_000_000, 0, 0), &flash, &cal).unwrap();
    let timing = step_time(&counts, Precision::Int8, &cpu, &placement, &flash, &cal).unwrap();
    assert!(timing.memory.stalled > Duration::ZERO);
    assert_eq!(timing.total, timing.compute + timing.memory.stalled);
}
