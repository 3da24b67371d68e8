use super::*;
use crate::calibration::Variant;

fn cpu(cores_used: u32, kernel: KernelKind) -> CpuSetup {
    CpuSetup {
        clock_mhz: 240,
        cores_used,
        kernel,
    }
}

fn account_one(
    calibration: &Calibration,
    cpu: &CpuSetup,
    spec: &EnergySpec,
    window: Duration,
    busy: &[Duration],
) -> EnergyResult {
    account(&EnergyInput {
        calibration,
        cpu,
        spec,
        window,
        busy,
        tokens: 10,
    })
    .unwrap()
}

#[test]
fn a_chip_that_never_computes_draws_exactly_idle_power_times_time() {
    let s3 = Calibration::builtin(Variant::Esp32S3);
    let window = Duration::from_ms(1_234);
    let result = account_one(
        &s3,
        &cpu(2, KernelKind::Optimized),
        &EnergySpec::default(),
        window,
        &[Duration::ZERO],
    );
    // 32.9 mA x 3.3 V x 1.234 s = 133.97538 mJ = 133,975,380 nJ, exactly.
    assert_eq!(result.chips[0].total_nj, 133_975_380);
    assert_eq!(result.total_nj, 133_975_380);
    assert_eq!(result.chips[0].active_nj, 0);
    // 32.9 mA x 3.3 V = 108.57 mW.
    assert_eq!(result.average_power_nw, Some(108_570_000));
}

#[test]
fn active_state_follows_cores_and_simd() {
    let s3 = Calibration::builtin(Variant::Esp32S3);
    let c3 = Calibration::builtin(Variant::Esp32C3);
    let state = |cal: &Calibration, cores, kernel| {
        PowerDraw::of(PowerState::active_for(&cpu(cores, kernel), cal), cal)
            .unwrap()
            .current_ua
    };
    assert_eq!(state(&s3, 2, KernelKind::Optimized), 91_700);
    assert_eq!(state(&s3, 1, KernelKind::Optimized), 72_400);
    assert_eq!(state(&s3, 2, KernelKind::PlainC), 66_200);
    assert_eq!(state(&s3, 1, KernelKind::PlainC), 51_200);
    // The C3 has no SIMD: optimised kernels run scalar.
    assert_eq!(state(&c3, 1, KernelKind::Optimized), 23_000);
    let missing = PowerDraw::of(
        PowerState::Active {
            cores: 2,
            simd: false,
        },
        &c3,
    );
    assert!(matches!(missing, Err(EnergyError::NoSuchState { .. })));
}

#[test]
fn busy_and_rest_add_up_by_hand() {
    let c3 = Calibration::builtin(Variant::Esp32C3);
    let spec = EnergySpec {
        between_tasks: RestState::LightSleep,
        ..EnergySpec::default()
    };
    let setup = CpuSetup {
        clock_mhz: 160,
        cores_used: 1,
        kernel: KernelKind::PlainC,
    };
    let result = account_one(
        &c3,
        &setup,
        &spec,
        Duration::from_secs(2),
        &[Duration::from_ms(500), Duration::from_secs(2)],
    );
    // Chip 0: 0.5 s x 23 mA x 3.3 V = 37.95 mJ; 1.5 s x 130 uA x 3.3 V = 0.6435 mJ.
    assert_eq!(result.chips[0].active_nj, 37_950_000);
    assert_eq!(result.chips[0].rest_nj, 643_500);
    // Chip 1 never rests: 2 s x 23 mA x 3.3 V = 151.8 mJ.
    assert_eq!(result.chips[1].total_nj, 151_800_000);
    assert_eq!(result.total_nj, 37_950_000 + 643_500 + 151_800_000);
    assert_eq!(result.per_token_nj, Some(19_039_350));
    assert_eq!(result.clock_note, None);
    assert_eq!(result.battery.first_empty_board, Some(1));
}

#[test]
fn battery_life_by_hand() {
    let battery = Battery::new(2000.0, 3.7).unwrap();
    // 2 Ah x 3.7 V = 7.4 Wh = 26,640 J.
    assert_eq!(battery.energy().as_nj().unwrap(), 26_640_000_000_000);
    // A 1 W load for 1 s: 26,640 s = 7.4 h.
    let used = Energy::from_zj(1_000_000_000_000_000_000_000);
    let hours = battery.hours(used, Duration::from_secs(1)).unwrap();
    assert!((hours - 7.4).abs() < 1e-12, "{hours}");
    assert!(Battery::new(0.0, 3.7).is_err());
    assert!(Battery::new(2000.0, f64::NAN).is_err());
    assert!(Battery::new(2000.0, 3.7005).is_err());
}

#[test]
fn busy_longer_than_the_window_is_an_error() {
    let s3 = Calibration::builtin(Variant::Esp32S3);
    let result = account(&EnergyInput {
        calibration: &s3,
        cpu: &cpu(1, KernelKind::PlainC),
        spec: &EnergySpec::default(),
        window: Duration::from_us(1),
        busy: &[Duration::from_us(2)],
        tokens: 0,
    });
    assert!(matches!(
        result,
        Err(EnergyError::BusyExceedsWindow { chip: 0, .. })
    ));
}

#[test]
fn other_clock_is_noted_and_spec_parses() {
    let s3 = Calibration::builtin(Variant::Esp32S3);
    let setup = CpuSetup {
        clock_mhz: 160,
        ..cpu(2, KernelKind::Optimized)
    };
    let result = account_one(
        &s3,
        &setup,
        &EnergySpec::default(),
        Duration::from_ms(1),
        &[Duration::ZERO],
    );
    assert!(result.clock_note.unwrap().contains("240 MHz"));
    let spec: EnergySpec =
        toml::from_str("between_tasks = \"light_sleep\"\nbattery_mah = 220").unwrap();
    assert_eq!(spec.between_tasks, RestState::LightSleep);
    assert_eq!(spec.battery_volts, DEFAULT_BATTERY_VOLTS);
    assert!(toml::from_str::<EnergySpec>("batery_mah = 1").is_err());
}
