//! A calibration override file applied to a built-in table.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ruvsim_hw::calibration::{Calibration, Variant};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let mut calibration = Calibration::builtin(Variant::Esp32S3);
        let _ = calibration.apply_overrides(text, "fuzz.toml");
    }
});
