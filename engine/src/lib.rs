//! ruvsim-engine: the deterministic discrete-event machinery every ruvsim simulation runs on.
//!
//! | module | what |
//! |---|---|
//! | [`time`] | integer picoseconds: [`time::Time`] and [`time::Duration`], checked arithmetic |
//! | [`queue`] | the event queue, ordered by `(time, sequence number)`, a radix heap |
//! | [`engine`] | tasks with dependencies on resources, run one at a time; the [`engine::Process`] a model implements |
//! | [`rng`] | seeded ChaCha streams, one per purpose and entity, and the draws the models need |
//! | [`stats`] | exact, order-independent summaries of simulated durations |
//!
//! Nothing here knows about chips or models: a [`engine::Process`] prices each task when it
//! starts and reacts when it finishes. The same inputs give the same events in the same order on
//! any host, so every run is reproducible byte for byte.
#![warn(missing_docs)]

pub mod engine;
pub mod queue;
pub mod rng;
pub mod stats;
pub mod time;
