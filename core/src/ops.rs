//! Operation counts: what a kernel did, in units the simulator turns into cycles and bytes.

use core::ops::{Add, AddAssign};

/// Work done by one or more kernels.
///
/// Every kernel adds to an `OpCounts`; [`crate::predict()`] computes the same value in closed form
/// from the configuration alone, and the two must be equal. The simulator multiplies each field by
/// a per-variant, per-precision cycle cost from its calibration tables.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct OpCounts {
    /// f32 multiply-accumulates in weight matrix products (f32 precision).
    pub mac_f32: u64,
    /// int8 x int8 multiply-accumulates in weight matrix products (int8 precision).
    pub mac_i8: u64,
    /// int4 x int8 multiply-accumulates in weight matrix products (int4 precision).
    pub mac_i4: u64,
    /// 32-bit XNOR + popcount words in binary matrix products (binary precision).
    pub xnor_words: u64,
    /// Multiply-accumulates in attention (query x key scores and probability x value sums),
    /// in the model's activation precision (f32 for f32 models, integer otherwise).
    pub attn_mac: u64,
    /// Table lookups or polynomial evaluations for non-linear functions (exp, SiLU, sin/cos).
    pub lut: u64,
    /// Other element-wise operations (adds, scales, requantisation, norms, comparisons).
    pub elementwise: u64,
    /// Bytes of weights (and their scales) read.
    pub weight_bytes: u64,
    /// Bytes of KV cache read.
    pub kv_read_bytes: u64,
    /// Bytes of KV cache written.
    pub kv_write_bytes: u64,
}

impl Add for OpCounts {
    type Output = OpCounts;
    fn add(mut self, rhs: OpCounts) -> OpCounts {
        self += rhs;
        self
    }
}

impl AddAssign for OpCounts {
    fn add_assign(&mut self, rhs: OpCounts) {
        self.mac_f32 += rhs.mac_f32;
        self.mac_i8 += rhs.mac_i8;
        self.mac_i4 += rhs.mac_i4;
        self.xnor_words += rhs.xnor_words;
        self.attn_mac += rhs.attn_mac;
        self.lut += rhs.lut;
        self.elementwise += rhs.elementwise;
        self.weight_bytes += rhs.weight_bytes;
        self.kv_read_bytes += rhs.kv_read_bytes;
        self.kv_write_bytes += rhs.kv_write_bytes;
    }
}
