//! Matrix-vector kernels, one per precision, and the operation counts they add.
//!
//! Integer kernels multiply int8 activations with int8, int4 or binary weights into exact `i32`
//! dot products; binary weights use XNOR/popcount over the eight bit planes of the activations.
//! The f32 kernels sum in index order without fused multiply-add, as llama2.c does.

use core::ops::Range;

use crate::config::Precision;
use crate::error::ExecError;
use crate::fixed::{round_shift_i128, ACT_FRAC, STEP_FRAC};
use crate::format::{DType, SCALE_BYTES};
use crate::model::MatrixRef;
use crate::ops::OpCounts;

/// A quantised activation vector as the integer kernels read it: int8 values and, for binary
/// models, their XNOR bit planes (see [`build_planes`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct IntInput<'a> {
    pub q: &'a [i8],
    pub planes: &'a [u32],
}

/// XNOR-popcount words per 32-column chunk: eight activation bit planes plus the weight word's
/// own popcount.
pub(crate) const XNOR_WORDS_PER_CHUNK: u64 = 9;

/// Bit planes of `q + 128` (offset binary): word `w` of plane `k` (at `k * words + w`) holds bit
/// `k` of elements `32w..32w+32`. Reading each plane bit as +-1 makes the planes a sum of
/// +-1 vectors that XNOR against +-1 weights.
pub(crate) fn build_planes(q: &[i8], planes: &mut [u32]) {
    let words = q.len().div_ceil(32);
    planes.iter_mut().for_each(|p| *p = 0);
    for (j, &value) in q.iter().enumerate() {
        let offset = (i32::from(value) + 128) as u32;
        for k in 0..8 {
            planes[k * words + j / 32] |= ((offset >> k) & 1) << (j % 32);
        }
    }
}

/// `n <= 32` bits starting at bit `start` of a little-endian bit string given word by word.
fn bits_at(word: impl Fn(usize) -> u32, start: usize, n: usize) -> u32 {
    let (index, offset) = (start / 32, start % 32);
    let mut bits = word(index) >> offset;
    if offset + n > 32 {
        bits |= word(index + 1) << (32 - offset);
    }
    if n == 32 {
        bits
    } else {
        bits & ((1u32 << n) - 1)
    }
}

fn le_word(bytes: &[u8], index: usize) -> u32 {
    let at = 4 * index;
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Dot product of an int8 vector (as any element type `to_i16` widens) with int8 activations.
/// Chunks of eight products are summed pairwise into four `i32` lanes, the shape of a SIMD
/// multiply-add of 16-bit pairs (`pmaddwd` on x86, a dual 16-bit MAC on DSP-style cores): no
/// per-element branches or bounds checks, and short head vectors still fill whole chunks.
#[inline(always)]
pub(crate) fn dot_lanes<W: Copy>(weights: &[W], x: &[i8], to_i16: impl Fn(W) -> i16) -> i32 {
    const LANES: usize = 8;
    let mut lanes = [0i32; LANES];
    let (weight_chunks, weight_rest) = weights.as_chunks::<LANES>();
    let (x_chunks, x_rest) = x.as_chunks::<LANES>();
    for (w, a) in weight_chunks.iter().zip(x_chunks) {
        for i in 0..LANES {
            lanes[i] += i32::from(to_i16(w[i]) * i16::from(a[i]));
        }
    }
    let tail: i32 = weight_rest
        .iter()
        .zip(x_rest)
        .map(|(&w, &a)| i32::from(to_i16(w) * i16::from(a)))
        .sum();
    lanes.iter().sum::<i32>() + tail
}

/// Dot product of stored int8 weights with int8 activations.
#[inline(always)]
fn dot_i8(weights: &[u8], x: &[i8]) -> i32 {
    dot_lanes(weights, x, |w| i16::from(w as i8))
}

fn low_nibble(byte: u8) -> i32 {
    i32::from(((byte << 4) as i8) >> 4)
}

fn high_nibble(byte: u8) -> i32 {
    i32::from((byte as i8) >> 4)
}

/// Dot product of the int4 row columns `col..col + x.len()` with `x`.
#[inline(always)]
fn dot_i4(row: &[u8], col: usize, x: &[i8]) -> i32 {
    let mut acc = 0i32;
    let mut x = x;
    let mut col = col;
    if col % 2 == 1 && !x.is_empty() {
        acc += high_nibble(row[col / 2]) * i32::from(x[0]);
        x = &x[1..];
        col += 1;
    }
    let pairs = x.len() / 2;
    let bytes = &row[col / 2..col / 2 + pairs];
    acc += bytes
        .iter()
        .zip(x.chunks_exact(2))
        .map(|(&b, pair)| low_nibble(b) * i32::from(pair[0]) + high_nibble(b) * i32::from(pair[1]))
        .sum::<i32>();
    if x.len() % 2 == 1 {
        acc += low_nibble(row[col / 2 + pairs]) * i32::from(x[x.len() - 1]);
    }
    acc
}

/// Dot product of binary row columns `col..col + len` with int8 activations `x_start..` given by
/// their bit planes: with weights `w = +-1` and plane bits read as `s = +-1`,
/// `q = (sum_k 2^k s_k - 1) / 2`, so `sum w q = (sum_k 2^k (n - 2 popcount(w ^ p_k)) - sum w) / 2`.
#[inline(always)]
fn dot_binary(row: &[u8], col: usize, planes: &[u32], x_start: usize, len: usize) -> i32 {
    let words = planes.len() / 8;
    let mut twice = 0i64;
    let mut done = 0;
    while done < len {
        let n = (len - done).min(32);
        let w = bits_at(|i| le_word(row, i), col + done, n);
        let mut planes_sum = 0i64;
        for k in 0..8 {
            let plane = &planes[k * words..(k + 1) * words];
            let p = bits_at(|i| plane[i], x_start + done, n);
            planes_sum += (n as i64 - 2 * i64::from((w ^ p).count_ones())) << k;
        }
        let weight_sum = 2 * i64::from(w.count_ones()) - n as i64;
        twice += planes_sum - weight_sum;
        done += n;
    }
    (twice / 2) as i32
}

/// Bytes of a row's storage that columns `col..col + len` occupy.
fn segment_bytes(precision: Precision, col: u64, len: u64) -> u64 {
    match precision {
        Precision::F32 => 4 * len,
        Precision::Int8 => len,
        Precision::Int4 => (col + len).div_ceil(2) - col / 2,
        Precision::Binary => (col + len).div_ceil(8) - col / 8,
    }
}

/// Counts of one dot product over row columns `col..col + len`.
pub(crate) fn dot_counts(precision: Precision, col: u64, len: u64) -> OpCounts {
    let mut counts = OpCounts {
        weight_bytes: segment_bytes(precision, col, len),
        ..OpCounts::default()
    };
    match precision {
        Precision::F32 => counts.mac_f32 = len,
        Precision::Int8 => counts.mac_i8 = len,
        Precision::Int4 => counts.mac_i4 = len,
        Precision::Binary => counts.xnor_words = XNOR_WORDS_PER_CHUNK * len.div_ceil(32),
    }
    counts
}

/// A dot-product kernel over stored integer rows, chosen once per matrix product so that it
/// inlines into the row loops.
trait RowDot {
    /// Dot product of row columns `col..col + len` with input elements `x_start..x_start + len`.
    fn dot(&self, row: &[u8], col: usize, x_start: usize, len: usize) -> i32;
}

/// int8 rows.
struct Int8Rows<'a>(&'a [i8]);
/// int4 rows.
struct Int4Rows<'a>(&'a [i8]);
/// Binary rows against XNOR planes.
struct BinaryRows<'a>(&'a [u32]);

impl RowDot for Int8Rows<'_> {
    #[inline(always)]
    fn dot(&self, row: &[u8], col: usize, x_start: usize, len: usize) -> i32 {
        dot_i8(&row[col..col + len], &self.0[x_start..x_start + len])
    }
}

impl RowDot for Int4Rows<'_> {
    #[inline(always)]
    fn dot(&self, row: &[u8], col: usize, x_start: usize, len: usize) -> i32 {
        dot_i4(row, col, &self.0[x_start..x_start + len])
    }
}

impl RowDot for BinaryRows<'_> {
    #[inline(always)]
    fn dot(&self, row: &[u8], col: usize, x_start: usize, len: usize) -> i32 {
        dot_binary(row, col, self.0, x_start, len)
    }
}

/// Converts `acc * step` (an exact product of a dot product and an activation step) to Q16.16
/// with a row's scale multiplier.
#[inline(always)]
pub(crate) fn requantize(
    scaled: i64,
    multiplier: u32,
    scale_shift: u32,
    stage: &'static str,
) -> Result<i32, ExecError> {
    let value = round_shift_i128(
        i128::from(scaled) * i128::from(multiplier),
        scale_shift + STEP_FRAC - ACT_FRAC,
    );
    i32::try_from(value).map_err(|_| ExecError::Overflow { stage })
}

/// Q16.16 outputs of `rows` over all columns: `out[i] = W[rows.start + i] . x * step`, scaled.
#[inline(always)]
pub(crate) fn matvec_q16(
    m: &MatrixRef,
    rows: Range<u32>,
    x: &IntInput,
    step: u32,
    out: &mut [i32],
    counts: &mut OpCounts,
    stage: &'static str,
) -> Result<(), ExecError> {
    match m.precision() {
        Precision::Int8 => rows_q16(m, rows.clone(), &Int8Rows(x.q), step, out, stage)?,
        Precision::Int4 => rows_q16(m, rows.clone(), &Int4Rows(x.q), step, out, stage)?,
        Precision::Binary => rows_q16(m, rows.clone(), &BinaryRows(x.planes), step, out, stage)?,
        // Integer products are only reached for integer models.
        Precision::F32 => return Ok(()),
    }
    *counts += row_counts(m.precision(), rows.len() as u64, m.cols() as u64);
    Ok(())
}

#[inline(always)]
fn rows_q16(
    m: &MatrixRef,
    rows: Range<u32>,
    kernel: &impl RowDot,
    step: u32,
    out: &mut [i32],
    stage: &'static str,
) -> Result<(), ExecError> {
    let cols = m.cols() as usize;
    for (row, slot) in rows.zip(out.iter_mut()) {
        let acc = kernel.dot(m.row(row), 0, 0, cols);
        *slot = requantize(
            i64::from(acc) * i64::from(step),
            m.multiplier(row),
            m.scale_shift(),
            stage,
        )?;
    }
    Ok(())
}

/// Counts of `rows` full rows of `cols` columns with scale and requantisation.
pub(crate) fn row_counts(precision: Precision, rows: u64, cols: u64) -> OpCounts {
    let mut per_row = dot_counts(precision, 0, cols);
    if precision.is_integer() {
        per_row.weight_bytes += SCALE_BYTES as u64;
        per_row.elementwise += 1;
    }
    scale(per_row, rows)
}

/// Every field of `counts` times `n`.
pub(crate) fn scale(counts: OpCounts, n: u64) -> OpCounts {
    OpCounts {
        mac_f32: counts.mac_f32 * n,
        mac_i8: counts.mac_i8 * n,
        mac_i4: counts.mac_i4 * n,
        xnor_words: counts.xnor_words * n,
        attn_mac: counts.attn_mac * n,
        lut: counts.lut * n,
        elementwise: counts.elementwise * n,
        weight_bytes: counts.weight_bytes * n,
        kv_read_bytes: counts.kv_read_bytes * n,
        kv_write_bytes: counts.kv_write_bytes * n,
    }
}

/// Adds to every row's partial sum the contribution of columns `col_start..col_start + x.len()`,
/// quantised in groups of `group` with one step each: `out[r] += sum_g (W[r, g] . x_g) step_g`.
/// Exact in `i64` (see `FORMAT.md`, "Numerics"); fails only if `out` already held sums no model
/// produces.
#[inline(always)]
pub(crate) fn matvec_grouped(
    m: &MatrixRef,
    col_start: u32,
    x: &IntInput,
    group: usize,
    steps: &[u32],
    out: &mut [i64],
    counts: &mut OpCounts,
) -> Result<(), ExecError> {
    let width = x.q.len();
    let grouped = Grouped {
        col_start: col_start as usize,
        width,
        group,
        steps,
    };
    match m.precision() {
        Precision::Int8 => grouped.rows(m, &Int8Rows(x.q), out)?,
        Precision::Int4 => grouped.rows(m, &Int4Rows(x.q), out)?,
        Precision::Binary => grouped.rows(m, &BinaryRows(x.planes), out)?,
        Precision::F32 => return Ok(()),
    }
    *counts += grouped_counts(
        m.precision(),
        m.rows(),
        col_start,
        width as u32,
        group as u32,
    );
    Ok(())
}

/// The column groups of a grouped product.
struct Grouped<'s> {
    col_start: usize,
    width: usize,
    group: usize,
    steps: &'s [u32],
}

impl Grouped<'_> {
    #[inline(always)]
    fn rows(&self, m: &MatrixRef, kernel: &impl RowDot, out: &mut [i64]) -> Result<(), ExecError> {
        for (row, slot) in (0..m.rows()).zip(out.iter_mut()) {
            let bytes = m.row(row);
            let mut sum = 0i64;
            for (g, &step) in self.steps.iter().enumerate() {
                let start = g * self.group;
                let len = self.group.min(self.width - start);
                let acc = kernel.dot(bytes, self.col_start + start, start, len);
                sum += i64::from(acc) * i64::from(step);
            }
            *slot = slot.checked_add(sum).ok_or(ExecError::Overflow {
                stage: "partial sums",
            })?;
        }
        Ok(())
    }
}

/// Counts of [`matvec_grouped`] (and of its f32 counterpart, with one group).
pub(crate) fn grouped_counts(
    precision: Precision,
    rows: u32,
    col_start: u32,
    width: u32,
    group: u32,
) -> OpCounts {
    let mut per_row = OpCounts::default();
    let mut start = 0;
    while start < width {
        let len = group.min(width - start);
        per_row += dot_counts(precision, u64::from(col_start + start), u64::from(len));
        if precision.is_integer() {
            per_row.elementwise += 1;
        }
        start += len;
    }
    scale(per_row, u64::from(rows))
}

fn le_f32(bytes: &[u8], index: usize) -> f32 {
    let at = 4 * index;
    f32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Continues the running sum `acc` over f32 row columns `col..col + x.len()` in index order.
fn dot_f32(row: &[u8], col: usize, x: &[f32], acc: f32) -> f32 {
    row[4 * col..4 * (col + x.len())]
        .chunks_exact(4)
        .zip(x)
        .fold(acc, |acc, (w, &a)| {
            acc + f32::from_le_bytes([w[0], w[1], w[2], w[3]]) * a
        })
}

/// f32 outputs of `rows`: `out[i] = sum_j W[rows.start + i, j] x[j]`, summed from 0 in order.
pub(crate) fn matvec_f32(
    m: &MatrixRef,
    rows: Range<u32>,
    x: &[f32],
    out: &mut [f32],
    counts: &mut OpCounts,
) {
    for (row, slot) in rows.clone().zip(out.iter_mut()) {
        *slot = dot_f32(m.row(row), 0, x, 0.0);
    }
    *counts += row_counts(Precision::F32, rows.len() as u64, m.cols() as u64);
}

/// Continues every row's running f32 sum over columns `col_start..col_start + x.len()`.
pub(crate) fn matvec_f32_accumulate(
    m: &MatrixRef,
    col_start: u32,
    x: &[f32],
    out: &mut [f32],
    counts: &mut OpCounts,
) {
    for (row, slot) in (0..m.rows()).zip(out.iter_mut()) {
        *slot = dot_f32(m.row(row), col_start as usize, x, *slot);
    }
    *counts += grouped_counts(
        Precision::F32,
        m.rows(),
        col_start,
        x.len() as u32,
        x.len().max(1) as u32,
    );
}

/// Weight `j` of row `row` as a stored integer (or f32 value) — for the embedding lookup.
pub(crate) fn stored_value(m: &MatrixRef, row: u32, j: usize) -> i32 {
    let bytes = m.row(row);
    match m.precision() {
        Precision::Int8 => i32::from(bytes[j] as i8),
        Precision::Int4 => {
            if j.is_multiple_of(2) {
                low_nibble(bytes[j / 2])
            } else {
                high_nibble(bytes[j / 2])
            }
        }
        Precision::Binary => {
            if (le_word(bytes, j / 32) >> (j % 32)) & 1 == 1 {
                1
            } else {
                -1
            }
        }
        Precision::F32 => 0,
    }
}

/// Weight `j` of an f32 row.
pub(crate) fn stored_f32(m: &MatrixRef, row: u32, j: usize) -> f32 {
    le_f32(m.row(row), j)
}

/// Bytes of one stored row of `cols` columns plus its scale.
pub(crate) fn row_storage_bytes(precision: Precision, cols: u32) -> u64 {
    DType::from(precision).row_bytes(cols)
        + if precision.is_integer() {
            SCALE_BYTES as u64
        } else {
            0
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_dot_equals_sign_weighted_sum() {
        let q: std::vec::Vec<i8> = (0..77).map(|i| ((i * 37 + 11) % 255 - 127) as i8).collect();
        let signs: std::vec::Vec<bool> = (0..77).map(|i| (i * 13 + 5) % 7 < 3).collect();
        let mut row = std::vec![0u8; 4 * 77usize.div_ceil(32)];
        for (j, &s) in signs.iter().enumerate() {
            if s {
                row[j / 8] |= 1 << (j % 8);
            }
        }
        let mut planes = std::vec![0u32; 8 * 77usize.div_ceil(32)];
        build_planes(&q, &mut planes);
        for (start, len) in [(0, 77), (5, 40), (31, 2), (33, 44), (64, 13)] {
            let expected: i32 = (start..start + len)
                .map(|j| {
                    if signs[j] {
                        i32::from(q[j])
                    } else {
                        -i32::from(q[j])
                    }
                })
                .sum();
            assert_eq!(dot_binary(&row, start, &planes, start, len), expected);
        }
    }

    #[test]
    fn int4_dot_handles_odd_offsets() {
        let values: std::vec::Vec<i32> = (0..23).map(|i| (i * 5 % 15) - 7).collect();
        let row: std::vec::Vec<u8> = values
            .chunks(2)
            .map(|p| (p[0] as u8 & 0xF) | ((p.get(1).copied().unwrap_or(0) as u8 & 0xF) << 4))
            .collect();
        let x: std::vec::Vec<i8> = (0..23).map(|i| (i * 29 % 200 - 100) as i8).collect();
        for (start, len) in [(0, 23), (1, 22), (3, 5), (4, 1), (22, 1)] {
            let expected: i32 = (start..start + len)
                .map(|j| values[j] * i32::from(x[j]))
                .sum();
            assert_eq!(dot_i4(&row, start, &x[start..start + len]), expected);
        }
    }
}
