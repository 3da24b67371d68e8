//! ruvsim-topologies.
