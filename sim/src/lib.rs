//! ruvsim-sim.
