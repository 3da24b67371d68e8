//! ruvsim-hw.
pub mod calibration;
pub mod chip;
pub mod energy;
pub mod link;
pub mod memory;
pub mod tier;
