//! The ruvsim model file: any bytes parse to a model or an error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ruvsim_core::Model::parse(data);
});
