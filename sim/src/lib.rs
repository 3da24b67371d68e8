//! ruvsim-sim.
pub mod calibration;
pub mod chip;
pub mod memory;
pub mod queue;
pub mod rng;
pub mod time;
