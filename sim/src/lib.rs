//! ruvsim-sim.
pub mod balance;
pub mod calibration;
pub mod chip;
pub mod engine;
pub mod link;
pub mod memory;
pub mod plan;
pub mod queue;
pub mod rng;
pub mod scenario;
pub mod stats;
pub mod tier;
pub mod time;
pub mod toml_error;
pub mod workload;
