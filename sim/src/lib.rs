//! ruvsim-sim: one cluster design simulated event by event, from its scenario file to its result.
//!
//! | module | what |
//! |---|---|
//! | [`scenario`] | the scenario file's schema, parsed and validated (errors name file, line, key) |
//! | [`toml_error`] | TOML and serde errors as messages with the file, line, column and valid values |
//! | [`model_source`] | the model a scenario names: synthetic, a model file, or an imported llama2.c checkpoint |
//! | [`workload`] | which requests arrive, when, with what prompt |
//! | [`balance`] | contiguous layer ranges per stage that minimise the slowest stage |
//! | [`plan`] | which chip holds which part of the model, whether it fits, and where its bytes live |
//! | [`kernel`] | what a chip computes in one task, and its predicted operation counts |
//! | [`cluster`] | the cluster as an engine process: token graphs, pricing, requests, routes on the live graph, faults, heartbeats, fail-over, speculation, experts |
//! | [`progress`] | a run's phase and generated tokens, for a watching thread |
//! | [`record_volume`] | how much of a run is kept and written: every record, or the summary alone |
//! | [`run`] | one run: build, execute, summarise |
//! | [`result`] | the [`result::RunResult`] every report reads: records, totals, each figure with its tier |
//!
//! Data flow: `scenario -> model_source + plan -> cluster (on ruvsim-engine, priced by ruvsim-hw)
//! -> result`.
#![warn(missing_docs)]

pub mod balance;
pub mod cluster;
pub mod kernel;
pub mod model_source;
pub mod plan;
pub mod progress;
pub mod record_volume;
pub mod result;
pub mod run;
pub mod scenario;
pub mod toml_error;
pub mod workload;
