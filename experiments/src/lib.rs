//! ruvsim-experiments.
pub mod gated;
pub mod gossip;
pub mod project;
pub mod regress;
