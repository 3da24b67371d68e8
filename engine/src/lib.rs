//! ruvsim-engine.
pub mod engine;
pub mod queue;
pub mod rng;
pub mod stats;
pub mod time;
