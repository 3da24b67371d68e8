//! ruvsim-sim.
pub mod calibration;
pub mod chip;
pub mod link;
pub mod memory;
pub mod queue;
pub mod rng;
pub mod time;
