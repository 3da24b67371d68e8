//! The ruvsim core built for `riscv32imc-unknown-none-elf` (the ESP32-C3's instruction set) and
//! run on QEMU's `virt` machine: it computes the golden runs of `ruvsim_core::golden` (int8, int4
//! and binary: the integer precisions are bit-exact on every target) and a trace formatted by the
//! core's no_std formatter, prints each result on the 16550 UART, and exits QEMU through the
//! `virt` machine's test device with success only when every result matches the host's.
#![no_std]
#![no_main]

extern crate alloc;

use core::fmt::Write;

use embedded_alloc::LlffHeap as Heap;
use riscv_rt::entry;
use ruvsim_core::golden::{fnv1a, run, trace_sample, GOLDEN, TRACE_SAMPLE_FNV};
use ruvsim_core::trace::Clock;
use ruvsim_core::Precision;

#[global_allocator]
static HEAP: Heap = Heap::empty();

/// Bytes of heap for the synthetic models and workspaces.
const HEAP_BYTES: usize = 16 << 20;

/// QEMU virt's 16550 UART transmit register.
const UART: *mut u8 = 0x1000_0000 as *mut u8;

/// QEMU virt's test device: writing 0x5555 exits with status 0, `(code << 16) | 0x3333` fails.
const TEST_DEVICE: *mut u32 = 0x0010_0000 as *mut u32;

struct Uart;

impl Write for Uart {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for byte in s.bytes() {
            // SAFETY: QEMU virt maps a 16550 UART here; a volatile byte write transmits it.
            unsafe { UART.write_volatile(byte) };
        }
        Ok(())
    }
}

/// Exits QEMU: success, or failure with `code`.
fn exit(success: bool, code: u32) -> ! {
    let value = if success {
        0x5555
    } else {
        (code << 16) | 0x3333
    };
    // SAFETY: QEMU virt maps its test device here; the write ends the emulation.
    unsafe { TEST_DEVICE.write_volatile(value) };
    loop {
        riscv::asm::wfi();
    }
}

/// The clock of the golden trace sample: 1,000 per reading (as the host test uses).
struct Counter(u64);

impl Clock for Counter {
    fn now(&mut self) -> u64 {
        self.0 += 1000;
        self.0
    }
}

#[entry]
fn main() -> ! {
    {
        static mut MEMORY: [u8; HEAP_BYTES] = [0; HEAP_BYTES];
        // SAFETY: called once, before any allocation; MEMORY is used by nothing else.
        unsafe { HEAP.init(core::ptr::addr_of_mut!(MEMORY) as usize, HEAP_BYTES) }
    }
    let mut uart = Uart;
    let mut failures = 0;
    for (precision, tokens, hash) in GOLDEN {
        if precision == Precision::F32 {
            continue; // f32 agrees bit for bit only where f32 arithmetic does
        }
        let (got_tokens, got_hash) = run(precision);
        let ok = got_tokens[..] == tokens[..] && got_hash == hash;
        failures += u32::from(!ok);
        let _ = writeln!(
            uart,
            "{} {precision:?}: tokens {got_tokens:?} logits fnv {got_hash:#018x}",
            if ok { "ok" } else { "MISMATCH" }
        );
    }
    let text = trace_sample(Counter(0));
    let fnv = fnv1a(text.as_bytes());
    let ok = fnv == TRACE_SAMPLE_FNV;
    failures += u32::from(!ok);
    let _ = write!(uart, "{text}");
    let _ = writeln!(
        uart,
        "{} trace formatter: fnv {fnv:#018x}",
        if ok { "ok" } else { "MISMATCH" }
    );
    let _ = writeln!(uart, "{} failure(s)", failures);
    exit(failures == 0, failures)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let _ = writeln!(Uart, "panic: {info}");
    exit(false, 99)
}
