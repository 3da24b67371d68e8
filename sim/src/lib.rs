//! ruvsim-sim.
pub mod balance;
pub mod cluster;
pub mod kernel;
pub mod model_source;
pub mod plan;
pub mod result;
pub mod run;
pub mod scenario;
pub mod toml_error;
pub mod workload;
