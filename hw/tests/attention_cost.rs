//! The cost of one more attended position, per variant and precision, for a stories260K-shaped
//! model on one chip (all five layers): the table the README quotes, printed with
//! `cargo test -p ruvsim-hw --test attention_cost -- --nocapture`.
//!
//! Core profile: the difference of the core's exact operation counts (`predict`) between two
//! consecutive positions, priced by the chip model with the KV cache in SRAM. llama2.c profile
//! (f32): the firmware model's attention phase between two positions, with the KV cache in PSRAM
//! where the variant has it (its line fills included). The core's cost is the same at every
//! position (attention is linear in the context); llama2.c's steps up once a layer's keys or values
//! no longer fit the data cache.

use ruvsim_core::{predict, AttentionPattern, ModelConfig, ModelShape, Op, Phase, Precision, Span};
use ruvsim_hw::calibration::{Calibration, Variant};
use ruvsim_hw::chip::{step_time, CpuSetup, KernelKind};
use ruvsim_hw::firmware::{llama2c_time, ChipContext, Llama2cFirmware};
use ruvsim_hw::memory::{place, Footprint, MemorySetup, Placement};

fn shape() -> ModelShape {
    ModelShape::preset("stories260k").unwrap()
}

fn cpu(calibration: &Calibration) -> CpuSetup {
    CpuSetup {
        clock_mhz: calibration.cpu.max_clock_mhz,
        cores_used: 1,
        kernel: KernelKind::Optimized,
    }
}

/// Nanoseconds one more position adds under the core profile.
fn core_ns_per_position(variant: Variant, precision: Precision, pos: u32) -> f64 {
    let calibration = Calibration::builtin(variant);
    let config = ModelConfig {
        shape: shape(),
        precision,
        attention: AttentionPattern::Full,
    };
    let memory = MemorySetup::default();
    let placement = Placement::empty(calibration.memory.sram_usable_bytes);
    let layers = Op::Layers {
        layers: Span::new(0, 5),
    };
    let at = |p| {
        let counts = predict(&config, &layers, p).unwrap();
        step_time(
            &counts,
            precision,
            &cpu(&calibration),
            &placement,
            &memory,
            &calibration,
        )
        .unwrap()
        .total
        .as_ps() as f64
    };
    (at(pos + 1) - at(pos)) / 1e3
}

/// Nanoseconds one more position adds to llama2.c's f32 attention (KV in PSRAM where possible).
fn llama2c_ns_per_position(variant: Variant, pos: u32) -> f64 {
    let calibration = Calibration::builtin(variant);
    let memory = MemorySetup {
        psram_bytes: calibration.memory.psram.map_or(0, |_| 4 << 20),
        ..MemorySetup::default()
    };
    let footprint = Footprint {
        weights_bytes: 0,
        kv_cache_bytes: if memory.psram_bytes > 0 { 1 << 20 } else { 0 },
        activation_bytes: 0,
    };
    let placement = place(&footprint, &memory, &calibration).unwrap();
    let firmware: Llama2cFirmware = toml::from_str("").unwrap();
    let shape = shape();
    let cpu = cpu(&calibration);
    let context = ChipContext {
        shape: &shape,
        cpu: &cpu,
        placement: &placement,
        memory: &memory,
        calibration: &calibration,
    };
    let at = |p| {
        let t = llama2c_time(&firmware, &Phase::Layers(Span::new(0, 5)), p, &context).unwrap();
        (t.attention.as_ps() + t.memory.as_ps()) as f64
    };
    (at(pos + 1) - at(pos)) / 1e3
}

#[test]
fn attention_cost_per_position_is_constant_and_printed() {
    println!(
        "ns per attended position, stories260K shape, 5 layers, one core at the maximum clock"
    );
    println!("| variant | f32 (core) | int8 (core) | int4 (core) | binary (core) | f32 (llama2.c, KV in PSRAM if fitted) |");
    println!("|---|---:|---:|---:|---:|---:|");
    for variant in Variant::ALL {
        let mut row = format!("| {} |", variant.display_name());
        for precision in Precision::ALL {
            let early = core_ns_per_position(variant, precision, 10);
            let late = core_ns_per_position(variant, precision, 300);
            assert!(
                (early - late).abs() <= 0.002 * early.max(1.0),
                "{variant} {precision}: {early} vs {late}"
            );
            row.push_str(&format!(" {early:.0} |"));
        }
        // Once a layer's keys or values outgrow the data cache, every query head re-reads its
        // piece of every position: the cost per position steps up and stays there.
        let early = llama2c_ns_per_position(variant, 10);
        let late = llama2c_ns_per_position(variant, 300);
        assert!(
            late >= early * 0.998,
            "{variant} llama2.c: {early} then {late}"
        );
        row.push_str(&format!(" {early:.0} at position 10, {late:.0} at 300 |"));
        println!("{row}");
    }
}
