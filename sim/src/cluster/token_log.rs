//! Where generated tokens go while a run is simulated: kept as one [`TokenRecord`] each (for
//! `tokens.csv`, `phases.csv`, the timeline and the charts), or, for a run that writes its
//! summary alone, not kept at all: each token is held only while it travels to its host (a
//! message lost on the way still ends its trip, failing its request), and the time between
//! consecutive tokens of a request is gathered into a [`StreamingDistribution`] as they arrive. The second way keeps the memory of a run independent of how many tokens it
//! generates.

use ruvsim_engine::stats::StreamingDistribution;
use ruvsim_engine::time::{Duration, Time};

use crate::result::records::{StreamedSummary, TokenRecord};

/// A generated token on its way to its host, when records are not kept.
#[derive(Clone, Copy, Debug)]
struct Travelling {
    request: u32,
    index: u32,
}

/// Tokens counted and timed as they arrive.
#[derive(Debug, Default)]
pub(super) struct StreamedTokens {
    travelling: Vec<Option<Travelling>>,
    free: Vec<u32>,
    /// Per request: when its latest token arrived.
    last_arrival: Vec<Option<Time>>,
    inter_token: StreamingDistribution,
    generated: u64,
}

/// The generated tokens of a run.
#[derive(Debug)]
pub(super) enum TokenLog {
    /// One record per token, in the order they were chosen.
    Records(Vec<TokenRecord>),
    /// Counted and timed as they arrive.
    Streamed(StreamedTokens),
}

impl TokenLog {
    /// A log that keeps every record, or one that streams (for `requests` requests).
    pub fn new(keep: bool, requests: usize) -> TokenLog {
        if keep {
            TokenLog::Records(Vec::new())
        } else {
            TokenLog::Streamed(StreamedTokens {
                last_arrival: vec![None; requests],
                ..StreamedTokens::default()
            })
        }
    }

    /// A token was chosen; returns the handle its delivery carries.
    pub fn chosen(&mut self, record: TokenRecord) -> u32 {
        match self {
            TokenLog::Records(records) => {
                records.push(record);
                (records.len() - 1) as u32
            }
            TokenLog::Streamed(streamed) => {
                streamed.generated += 1;
                let travelling = Some(Travelling {
                    request: record.request,
                    index: record.index,
                });
                match streamed.free.pop() {
                    Some(slot) => {
                        streamed.travelling[slot as usize] = travelling;
                        slot
                    }
                    None => {
                        streamed.travelling.push(travelling);
                        (streamed.travelling.len() - 1) as u32
                    }
                }
            }
        }
    }

    /// The request of the token behind `handle`, while it travels.
    pub fn request_of(&self, handle: u32) -> Option<u32> {
        match self {
            TokenLog::Records(records) => records.get(handle as usize).map(|t| t.request),
            TokenLog::Streamed(streamed) => streamed
                .travelling
                .get(handle as usize)
                .copied()
                .flatten()
                .map(|t| t.request),
        }
    }

    /// The token behind `handle` reached its host at `now`: returns its request and its index
    /// among the request's tokens.
    pub fn arrived(&mut self, handle: u32, now: Time) -> Option<(u32, u32)> {
        match self {
            TokenLog::Records(records) => {
                let token = records.get_mut(handle as usize)?;
                token.end = now;
                Some((token.request, token.index))
            }
            TokenLog::Streamed(streamed) => streamed.finish(handle, now),
        }
    }

    /// The records kept, and the streamed summary when none were.
    pub fn into_parts(self) -> (Vec<TokenRecord>, Option<StreamedSummary>) {
        match self {
            TokenLog::Records(records) => (records, None),
            TokenLog::Streamed(streamed) => (
                Vec::new(),
                Some(StreamedSummary {
                    generated: streamed.generated,
                    inter_token: streamed.inter_token.distribution(),
                }),
            ),
        }
    }
}

impl StreamedTokens {
    /// Times the token behind `handle` at `at` against its request's previous token and frees
    /// its slot.
    fn finish(&mut self, handle: u32, at: Time) -> Option<(u32, u32)> {
        let token = self.travelling.get_mut(handle as usize)?.take()?;
        self.free.push(handle);
        let last = self.last_arrival.get_mut(token.request as usize)?;
        if let Some(previous) = *last {
            self.inter_token.record(
                at.checked_duration_since(previous)
                    .unwrap_or(Duration::ZERO),
            );
        }
        *last = Some(at);
        Some((token.request, token.index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruvsim_hw::phases::PhaseTimes;

    fn record(request: u32, index: u32, chosen_ps: u64) -> TokenRecord {
        TokenRecord {
            request,
            index,
            pos: index,
            stages: 1,
            start: Time::ZERO,
            end: Time::from_ps(chosen_ps),
            phases: PhaseTimes::default(),
        }
    }

    #[test]
    fn streamed_tokens_time_the_gaps_between_arrivals_per_request_and_free_their_slots() {
        let mut log = TokenLog::new(false, 2);
        let a0 = log.chosen(record(0, 0, 10));
        let b0 = log.chosen(record(1, 0, 12));
        assert_eq!(log.request_of(b0), Some(1));
        assert_eq!(log.arrived(a0, Time::from_ps(20)), Some((0, 0)));
        let a1 = log.chosen(record(0, 1, 25));
        assert_eq!(a1, a0, "a delivered token's slot is reused");
        assert_eq!(log.arrived(a1, Time::from_ps(50)), Some((0, 1)));
        assert_eq!(log.arrived(b0, Time::from_ps(60)), Some((1, 0)));
        assert_eq!(
            log.arrived(b0, Time::from_ps(70)),
            None,
            "it arrived already"
        );
        let (records, summary) = log.into_parts();
        assert!(records.is_empty());
        let summary = summary.unwrap();
        assert_eq!(summary.generated, 3);
        // Only request 0 has two tokens: 50 - 20.
        assert_eq!(summary.inter_token.count, 1);
        assert_eq!(summary.inter_token.p50.as_ps(), 30);
    }

    #[test]
    fn kept_records_take_their_arrival_time() {
        let mut log = TokenLog::new(true, 1);
        let handle = log.chosen(record(0, 0, 10));
        log.arrived(handle, Time::from_ps(40));
        let (records, summary) = log.into_parts();
        assert!(summary.is_none());
        assert_eq!(records[0].end.as_ps(), 40);
    }
}
