//! A llama2.c tokenizer file (its vocabulary size from the first two bytes), then encoding a text
//! (from the last bytes, at most 256) with it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let vocab = u32::from(u16::from_le_bytes([data[0], data[1]])) % 4096 + 1;
    let file = &data[2..];
    if let Ok(tokenizer) = ruvsim_core::tokenizer::Tokenizer::parse(file, vocab) {
        let text = String::from_utf8_lossy(&file[file.len().saturating_sub(256)..]);
        let _ = tokenizer.encode(&text, true, false);
    }
});
