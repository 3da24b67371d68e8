//! A whole trace file of several boards.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ruvsim_traces::parse_trace(text, "fuzz");
    }
});
