//! ruvsim-experiments: studies made of many simulations.
//!
//! | module | what |
//! |---|---|
//! | [`project`] | how a design scales: sizes simulated event by event, a fitted model, projections with their error |
//! | [`gossip`] | gossip membership: rounds and time until every live chip knows of a failure, by cluster size |
//! | [`gated`] | an event-gated model against an always-on poller: energy, missed events, response time |
//! | [`regress`] | the throughput-regression baseline and the comparison of a run against it |
//! | [`sweep`] | design-space search: axes over a base scenario, every design simulated in parallel, the Pareto frontier |
//!
//! Each experiment returns typed results; `ruvsim-reports` renders them and the command line
//! prints or writes them.
#![warn(missing_docs)]

pub mod gated;
pub mod gossip;
pub mod project;
pub mod regress;
pub mod sweep;
