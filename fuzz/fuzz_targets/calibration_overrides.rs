//! A calibration override file applied to a built-in table (parsed once, cloned per input, so
//! that the executions go to the overrides rather than to re-reading the shipped table).
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use ruvsim_hw::calibration::{Calibration, Variant};

fn builtin() -> &'static Calibration {
    static TABLE: OnceLock<Calibration> = OnceLock::new();
    TABLE.get_or_init(|| Calibration::builtin(Variant::Esp32S3))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let mut calibration = builtin().clone();
        let _ = calibration.apply_overrides(text, "fuzz.toml");
    }
});
