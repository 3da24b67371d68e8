//! The `ruvsim` command line.
fn main() {}
