//! Design-space search: one base scenario, axes of values over any of its keys, every
//! combination simulated, the ones meeting the constraints ranked on a Pareto frontier.
//!
//! A sweep file ([`spec`]) names a base scenario and axes ([`axis`]: dotted keys with a list or
//! a range of values); keys that must move together are derived ([`derive`]). Each design is the
//! base with one value per axis, identified by its index in the axes' product ([`design`]), and
//! read by the normal scenario parser ([`tree`]: the edits are made on the TOML value tree).
//! [`run`] evaluates the designs on a pool of threads: a design whose inputs already break a
//! constraint is pruned, one that cannot be built or does not fit is recorded with the reason,
//! the rest are simulated and their figures ([`metric`]) checked against the constraints
//! ([`constraint`]). The frontier over the objectives ([`objective`], [`pareto`]) and the best
//! design per objective complete the [`result`]; [`shard`] splits a sweep over machines and
//! [`result::merge`] puts the shards back together, byte for byte what one run gives.

pub mod axis;
pub mod constraint;
pub mod derive;
pub mod design;
pub mod error;
pub mod metric;
pub mod objective;
pub mod pareto;
pub mod result;
pub mod run;
pub mod shard;
pub mod spec;
pub mod tree;

pub use error::SweepError;
pub use metric::{Figures, Metric};
pub use result::{merge, DesignRow, Status, SweepResult};
pub use run::{run, SweepOptions, SweepProgress, DEFAULT_BUDGET_DESIGNS};
pub use shard::Shard;
pub use spec::{load, Sweep};

#[cfg(test)]
mod tests;
