//! Where a task's or a token's time went, by phase: the one vocabulary the chip model, the
//! firmware profiles, the results and the reports share.

use serde::{Deserialize, Serialize};

use ruvsim_engine::time::{Duration, TimeError};

/// Where a token's time went, in the categories published per-phase profiles use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseTimes {
    /// Weight matrix-vector products.
    pub matmul: Duration,
    /// Scores, softmax and weighted sums over the context.
    pub attention: Duration,
    /// RMSNorm.
    pub norm: Duration,
    /// RoPE, SiLU, the SwiGLU product, residual additions.
    pub activations: Duration,
    /// Cores stalled on cache line fills from PSRAM or flash.
    pub memory: Duration,
    /// Fork/join hand-offs between the cores.
    pub sync: Duration,
    /// Token choice, printing, delays.
    pub overheads: Duration,
}

impl PhaseTimes {
    /// The sum of every phase.
    pub fn total(&self) -> Result<Duration, TimeError> {
        [
            self.matmul,
            self.attention,
            self.norm,
            self.activations,
            self.memory,
            self.sync,
            self.overheads,
        ]
        .into_iter()
        .try_fold(Duration::ZERO, |sum, d| {
            sum.checked_add(d).ok_or(TimeError::Overflow)
        })
    }

    /// Phase by phase sum of two splits.
    pub fn plus(&self, other: &PhaseTimes) -> Result<PhaseTimes, TimeError> {
        let add = |a: Duration, b: Duration| a.checked_add(b).ok_or(TimeError::Overflow);
        Ok(PhaseTimes {
            matmul: add(self.matmul, other.matmul)?,
            attention: add(self.attention, other.attention)?,
            norm: add(self.norm, other.norm)?,
            activations: add(self.activations, other.activations)?,
            memory: add(self.memory, other.memory)?,
            sync: add(self.sync, other.sync)?,
            overheads: add(self.overheads, other.overheads)?,
        })
    }

    /// The phases with their names, in report order.
    pub fn named(&self) -> [(&'static str, Duration); 7] {
        [
            ("matmul", self.matmul),
            ("attention", self.attention),
            ("norm", self.norm),
            ("activations", self.activations),
            ("memory", self.memory),
            ("sync", self.sync),
            ("overheads", self.overheads),
        ]
    }
}
