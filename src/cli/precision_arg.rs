//! The `--precision` argument shared by the subcommands that quantise a model.

use clap::ValueEnum;
use ruvsim_core::Precision;

/// Weight precision as written on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PrecisionArg {
    /// 32-bit floats (no quantisation).
    F32,
    /// 8-bit integers with a per-row scale.
    Int8,
    /// 4-bit integers with a per-row scale.
    Int4,
    /// Sign bits with a per-row scale.
    Binary,
}

impl From<PrecisionArg> for Precision {
    fn from(arg: PrecisionArg) -> Precision {
        match arg {
            PrecisionArg::F32 => Precision::F32,
            PrecisionArg::Int8 => Precision::Int8,
            PrecisionArg::Int4 => Precision::Int4,
            PrecisionArg::Binary => Precision::Binary,
        }
    }
}

/// The command-line spelling of a precision, for messages and reports.
pub fn precision_name(precision: Precision) -> &'static str {
    match precision {
        Precision::F32 => "f32",
        Precision::Int8 => "int8",
        Precision::Int4 => "int4",
        Precision::Binary => "binary",
    }
}
