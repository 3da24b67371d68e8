//! A run's progress as another thread sees it: the phase the run is in (setup takes seconds on
//! large clusters, so it is reported too) and the tokens generated so far. The run only writes
//! it, never reads it, so watching a run cannot change its result.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};

/// The phases of a run, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunPhase {
    /// Checking the size, preparing the model and the calibration.
    Model,
    /// Building the topology and checking its ports.
    Wiring,
    /// Drawing the requests.
    Requests,
    /// Laying the model on the chips.
    Planning,
    /// Setting up the cluster process and queueing the first requests.
    Cluster,
    /// Running the events.
    Simulating,
    /// Turning the records into the result.
    Summarising,
}

impl RunPhase {
    /// Every phase, in order.
    pub const ALL: [RunPhase; 7] = [
        RunPhase::Model,
        RunPhase::Wiring,
        RunPhase::Requests,
        RunPhase::Planning,
        RunPhase::Cluster,
        RunPhase::Simulating,
        RunPhase::Summarising,
    ];

    /// What the phase does, for a progress line.
    pub fn label(self) -> &'static str {
        match self {
            RunPhase::Model => "preparing the model",
            RunPhase::Wiring => "wiring the topology",
            RunPhase::Requests => "drawing the requests",
            RunPhase::Planning => "planning",
            RunPhase::Cluster => "setting up the cluster",
            RunPhase::Simulating => "simulating",
            RunPhase::Summarising => "summarising",
        }
    }
}

/// Progress counters shared with a watching thread.
#[derive(Debug, Default)]
pub struct Progress {
    /// Index of the current phase in [`RunPhase::ALL`].
    phase: AtomicU8,
    /// Tokens generated so far.
    tokens: AtomicU64,
}

impl Progress {
    /// The run entered `phase`.
    pub fn enter(&self, phase: RunPhase) {
        let index = RunPhase::ALL.iter().position(|&p| p == phase).unwrap_or(0);
        self.phase.store(index as u8, Ordering::Relaxed);
    }

    /// The phase the run is in.
    pub fn phase(&self) -> RunPhase {
        let index = self.phase.load(Ordering::Relaxed) as usize;
        RunPhase::ALL[index.min(RunPhase::ALL.len() - 1)]
    }

    /// One more token was generated.
    pub fn token(&self) {
        self.tokens.fetch_add(1, Ordering::Relaxed);
    }

    /// Tokens generated so far.
    pub fn tokens(&self) -> u64 {
        self.tokens.load(Ordering::Relaxed)
    }
}

/// Marks `phase` on `progress` when there is one.
pub fn enter(progress: Option<&Progress>, phase: RunPhase) {
    if let Some(progress) = progress {
        progress.enter(phase);
    }
}

#[cfg(test)]
mod tests {
    use super::{Progress, RunPhase};

    #[test]
    fn phases_and_tokens_read_back() {
        let progress = Progress::default();
        assert_eq!(progress.phase(), RunPhase::Model);
        for phase in RunPhase::ALL {
            progress.enter(phase);
            assert_eq!(progress.phase(), phase);
        }
        progress.token();
        progress.token();
        assert_eq!(progress.tokens(), 2);
    }
}
