//! ruvsim-reports.
