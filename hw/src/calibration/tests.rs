//! Tests of the calibration loader, the shipped tables and overrides.

use super::*;

#[test]
fn every_builtin_table_loads() {
    for variant in Variant::ALL {
        let calibration = Calibration::builtin(variant);
        assert_eq!(calibration.variant, variant);
        assert!(
            calibration.entries().count() > 50,
            "{variant}: too few entries"
        );
    }
}

#[test]
fn every_entry_has_a_non_empty_source() {
    for variant in Variant::ALL {
        for (key, entry) in Calibration::builtin(variant).entries() {
            let text = match &entry.source {
                Source::Cited(t) | Source::Derived(t) => t,
                Source::Override(_) => panic!("{variant} {key}: builtin entry marked as override"),
            };
            assert!(text.len() > 10, "{variant} {key}: source too short: {text}");
        }
    }
}

#[test]
fn fixed_point_conversion_of_published_figures() {
    let s3 = Calibration::builtin(Variant::Esp32S3);
    // 432 / 256 = 1.6875 cycles -> 1687.5 milli-cycles, rounded to nearest.
    assert_eq!(s3.cycles.optimized.mac_f32, 1_688);
    assert_eq!(s3.cpu.parallel_efficiency_ppm, 985_000);
    assert_eq!(s3.power.active_simd_2core_ua, Some(91_700));
    assert_eq!(s3.links.spi.overhead.polling_dma_ns, 11_000);
    assert_eq!(s3.memory.psram.unwrap().quad.efficiency_ppm, 756_100);
    // 44 cycles per float division, kept in milli-cycles.
    assert_eq!(s3.firmware.div_f32, 44_000);
    assert!(s3.memory.psram.unwrap().octal.is_some());
    assert_eq!(s3.links.espnow.measured_throughput_bps, 214_000);
}

#[test]
fn variants_differ_where_the_hardware_does() {
    let c3 = Calibration::builtin(Variant::Esp32C3);
    assert!(c3.memory.psram.is_none());
    assert!(!c3.cpu.fpu);
    assert_eq!(c3.cpu.cores, 1);
    assert_eq!(c3.power.active_2core_ua, None);
    let esp32 = Calibration::builtin(Variant::Esp32);
    assert!(esp32.memory.psram.unwrap().octal.is_none());
    assert_eq!(esp32.links.spi.slave_max_clock_mhz, 10);
    // Software float is an order of magnitude slower than the FPU.
    assert!(c3.cycles.plain_c.mac_f32 > 10 * esp32.cycles.plain_c.mac_f32);
}

#[test]
fn variant_names_parse_and_errors_list_valid_names() {
    assert_eq!("esp32s3".parse::<Variant>().unwrap(), Variant::Esp32S3);
    assert_eq!("ESP32-S3".parse::<Variant>().unwrap(), Variant::Esp32S3);
    assert_eq!("esp32_c6".parse::<Variant>().unwrap(), Variant::Esp32C6);
    let err = "esp32s4".parse::<Variant>().unwrap_err().to_string();
    assert!(err.contains("esp32s4") && err.contains("esp32c3"), "{err}");
    let from_toml: Variant = toml::Value::String("esp32c3".into()).try_into().unwrap();
    assert_eq!(from_toml, Variant::Esp32C3);
    let bad: Result<Variant, _> = toml::Value::String("esp8266".into()).try_into();
    assert!(bad.unwrap_err().to_string().contains("valid variants"));
}

#[test]
fn override_replaces_value_and_records_origin() {
    let mut s3 = Calibration::builtin(Variant::Esp32S3);
    s3.apply_overrides(
        "[cycles.optimized]\nmac_f32 = 2.0\n[memory.psram.quad]\nefficiency = { value = 0.5, source = \"bench run 12\" }",
        "scenarios/test.toml",
    )
    .unwrap();
    assert_eq!(s3.cycles.optimized.mac_f32, 2_000);
    assert_eq!(s3.memory.psram.unwrap().quad.efficiency_ppm, 500_000);
    let entry = s3.entry("cycles.optimized.mac_f32").unwrap();
    assert_eq!(entry.source, Source::Override("scenarios/test.toml".into()));
    let entry = s3.entry("memory.psram.quad.efficiency").unwrap();
    assert_eq!(
        entry.source,
        Source::Override("scenarios/test.toml: bench run 12".into())
    );
}

#[test]
fn override_with_unknown_key_suggests_the_nearest_and_changes_nothing() {
    let mut s3 = Calibration::builtin(Variant::Esp32S3);
    let before = s3.clone();
    let err = s3
        .apply_overrides(
            "[cycles.optimized]\nmac_f32 = 2.0\nmac_f23 = 1.0",
            "scenario override",
        )
        .unwrap_err();
    assert_eq!(
        err,
        CalibrationError::UnknownKey {
            key: "cycles.optimized.mac_f23".into(),
            nearest: Some("cycles.optimized.mac_f32".into()),
        }
    );
    assert_eq!(s3, before);
}

#[test]
fn override_with_invalid_value_names_the_key() {
    let mut c3 = Calibration::builtin(Variant::Esp32C3);
    let err = c3
        .apply_overrides("cpu.cores = 2.5", "scenario override")
        .unwrap_err();
    assert!(err.to_string().contains("cpu.cores"), "{err}");
    let err = c3
        .apply_overrides("[cpu]\nparallel_efficiency = 1.5", "x")
        .unwrap_err();
    assert!(err.to_string().contains("cpu.parallel_efficiency"), "{err}");
    let err = c3
        .apply_overrides("[cpu]\ndefault_clock_mhz = 240", "x")
        .unwrap_err();
    assert!(err.to_string().contains("cpu.default_clock_mhz"), "{err}");
    let err = c3.apply_overrides("[cpu]\nfpu = 1", "x").unwrap_err();
    assert!(matches!(err, CalibrationError::WrongType { .. }), "{err}");
}

#[test]
fn loader_errors_name_the_key() {
    let full = builtin_toml(Variant::Esp32C3);
    let without_cores = full
        .lines()
        .filter(|l| !l.starts_with("cores ="))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        Calibration::from_toml_str(&without_cores, "test").unwrap_err(),
        CalibrationError::Missing {
            key: "cpu.cores".into()
        }
    );
    let extra = format!("{full}\n[extra]\nthing = {{ value = 1, source = \"nowhere\" }}\n");
    assert!(matches!(
        Calibration::from_toml_str(&extra, "test").unwrap_err(),
        CalibrationError::UnknownKey { key, .. } if key == "extra.thing"
    ));
    let err = Calibration::from_toml_str("variant = 3", "test").unwrap_err();
    assert!(err.to_string().contains("variant"), "{err}");
    let err = Calibration::from_toml_str("variant = \"esp32\"\n[cpu\n", "my.toml").unwrap_err();
    assert!(
        err.to_string().starts_with("my.toml: invalid TOML"),
        "{err}"
    );
}
