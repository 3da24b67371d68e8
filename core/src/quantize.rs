//! Quantisation of f32 weights to the stored representation of each precision: per-output-row
//! scales for matrices, Q16.16 norm weights, and the rotary phase table. Imports and synthetic
//! models both pass through here, so they are quantised identically.

use alloc::vec::Vec;

use crate::config::{ModelConfig, Precision};
use crate::error::EncodeError;
use crate::format::{TensorKind, MAX_SCALE_SHIFT};

/// A matrix tensor in its stored form: row-major data, one multiplier per row, shared shift.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuantizedMatrix {
    /// Stored rows, each padded as [`crate::format::DType::row_bytes`] says.
    pub data: Vec<u8>,
    /// Per-row scale multipliers (empty for f32).
    pub multipliers: Vec<u32>,
    /// Shift shared by the multipliers: `weight = q * multiplier / 2^shift`.
    pub shift: u8,
}

/// The largest representable row multiplier plus one: multipliers stay below 2^31.
const MULTIPLIER_LIMIT: f64 = 2_147_483_648.0;

/// The real scale of one row: the weight value of one quantisation step.
fn row_scale(row: &[f32], precision: Precision) -> f64 {
    let max_abs = row.iter().fold(0.0f64, |m, &w| m.max(f64::from(w).abs()));
    match precision {
        Precision::F32 => 1.0,
        Precision::Int8 => max_abs / 127.0,
        Precision::Int4 => max_abs / 7.0,
        Precision::Binary => {
            row.iter().map(|&w| f64::from(w).abs()).sum::<f64>() / row.len().max(1) as f64
        }
    }
}

/// The largest shift (up to [`MAX_SCALE_SHIFT`]) at which the biggest row scale still gives a
/// multiplier below 2^31.
fn tensor_shift(max_scale: f64, tensor: TensorKind) -> Result<u8, EncodeError> {
    let mut shift = MAX_SCALE_SHIFT;
    while libm::ceil(max_scale * libm::exp2(f64::from(shift))) >= MULTIPLIER_LIMIT {
        if shift == 0 {
            return Err(EncodeError::OutOfRange { tensor });
        }
        shift -= 1;
    }
    Ok(shift)
}

/// Quantises `values` (`rows` rows of `cols` f32, row-major) to `precision`.
pub fn quantize_matrix(
    values: &[f32],
    rows: usize,
    cols: usize,
    precision: Precision,
    tensor: TensorKind,
) -> Result<QuantizedMatrix, EncodeError> {
    if values.iter().any(|w| !w.is_finite()) {
        return Err(EncodeError::NonFinite { tensor });
    }
    if precision == Precision::F32 {
        return Ok(QuantizedMatrix {
            data: values.iter().flat_map(|w| w.to_le_bytes()).collect(),
            multipliers: Vec::new(),
            shift: 0,
        });
    }
    let scales: Vec<f64> = values
        .chunks_exact(cols)
        .map(|row| row_scale(row, precision))
        .collect();
    let shift = tensor_shift(scales.iter().fold(0.0, |m: f64, &s| m.max(s)), tensor)?;
    let unit = libm::exp2(f64::from(shift));
    // Rounding the multiplier up makes the effective scale at least the row's scale, so no
    // quantised value exceeds its range.
    let multipliers: Vec<u32> = scales
        .iter()
        .map(|&s| libm::ceil(s * unit) as u32)
        .collect();
    let row_bytes = crate::format::DType::from(precision).row_bytes(cols as u32) as usize;
    let mut data = Vec::with_capacity(rows * row_bytes);
    for (row, &multiplier) in values.chunks_exact(cols).zip(&multipliers) {
        let step = f64::from(multiplier) / unit;
        let quantize = |w: f32| {
            if step == 0.0 {
                0
            } else {
                libm::round(f64::from(w) / step) as i32
            }
        };
        match precision {
            Precision::Int8 => data.extend(row.iter().map(|&w| quantize(w) as i8 as u8)),
            Precision::Int4 => data.extend(row.chunks(2).map(|pair| {
                let low = quantize(pair[0]) as u8 & 0x0F;
                let high = pair.get(1).map_or(0, |&w| quantize(w) as u8 & 0x0F);
                low | (high << 4)
            })),
            Precision::Binary => {
                for word_values in row.chunks(32) {
                    let word = word_values
                        .iter()
                        .enumerate()
                        .filter(|(_, &w)| w >= 0.0)
                        .fold(0u32, |word, (bit, _)| word | (1 << bit));
                    data.extend_from_slice(&word.to_le_bytes());
                }
            }
            Precision::F32 => data.extend(row.iter().flat_map(|w| w.to_le_bytes())),
        }
    }
    Ok(QuantizedMatrix {
        data,
        multipliers,
        shift,
    })
}

/// Converts norm weights to Q16.16, failing if one does not fit.
pub fn norm_to_q16(values: &[f32], tensor: TensorKind) -> Result<Vec<i32>, EncodeError> {
    values
        .iter()
        .map(|&g| {
            if !g.is_finite() {
                return Err(EncodeError::NonFinite { tensor });
            }
            let fixed = libm::round(f64::from(g) * 65536.0);
            if fixed.abs() >= 2_147_483_648.0 {
                Err(EncodeError::OutOfRange { tensor })
            } else {
                Ok(fixed as i32)
            }
        })
        .collect()
}

/// Rotary phase increments of each frequency pair, as llama2.c defines the frequencies
/// (`10000^(-2j / head_size)` radians per position), in turns as wrapping Q64 fractions.
pub fn rope_phases(config: &ModelConfig) -> Vec<u64> {
    let head_size = f64::from(config.shape.head_size());
    (0..config.shape.head_size() / 2)
        .map(|pair| {
            let frequency = libm::pow(10000.0, -f64::from(2 * pair) / head_size);
            let turns = frequency / core::f64::consts::TAU;
            libm::round(turns * 18_446_744_073_709_551_616.0) as u64
        })
        .collect()
}
