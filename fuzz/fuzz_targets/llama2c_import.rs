//! A llama2.c checkpoint: any bytes parse to a checkpoint (then convert to the ruvsim format) or
//! an error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(checkpoint) = ruvsim_core::llama2c::Checkpoint::parse(data) {
        let _ = checkpoint.to_bytes();
    }
});
