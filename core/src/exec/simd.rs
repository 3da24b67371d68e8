//! Host-side instruction-set dispatch for the integer forward pass.
//!
//! The integer kernels are plain portable loops shaped for auto-vectorisation. With the `std`
//! feature on x86-64, [`with_host_simd`] runs a block compiled a second time with AVX2 enabled
//! when the processor has it (detected at run time), so the same source vectorises 32 bytes at a
//! time instead of baseline SSE2's 16. Integer results are exact in any instruction set, so both
//! compilations compute the same bits; without `std` (firmware, no run-time detection) or on other
//! architectures the block simply runs as compiled.
//!
//! The block's body and the kernels it calls are `#[inline(always)]` so that they are compiled
//! into the AVX2 copy rather than called from it.

/// Runs `block`, compiled for AVX2 (and POPCNT) when the host supports them.
#[inline(always)]
pub(super) fn with_host_simd<R>(block: impl FnOnce() -> R) -> R {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("popcnt") {
            // SAFETY: the processor supports AVX2 and POPCNT, checked just above.
            return unsafe { avx2(block) };
        }
    }
    block()
}

/// `block` compiled with AVX2 and POPCNT (for the binary kernels) enabled; callers must check
/// that the processor supports both.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[target_feature(enable = "avx2,popcnt")]
unsafe fn avx2<R>(block: impl FnOnce() -> R) -> R {
    block()
}
