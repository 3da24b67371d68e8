//! What a run records as it goes: operation counts per chip, bytes and messages per link, and
//! the timeline's spans up to a limit. Pricing computes times; every figure it produces is kept
//! here, in one place.

use ruvsim_core::OpCounts;

use crate::result::records::TimelineSpan;

/// The running totals and the timeline of one run.
pub(super) struct Recorder {
    /// Operation counts per chip.
    pub counts: Vec<OpCounts>,
    /// Bytes carried per link resource.
    pub link_bytes: Vec<u64>,
    /// Messages (hops) per link resource.
    pub link_messages: Vec<u64>,
    /// Spans kept, in the order their tasks started.
    pub timeline: Vec<TimelineSpan>,
    /// Spans not kept because the limit was reached.
    pub timeline_dropped: u64,
    /// Most spans to keep.
    timeline_limit: usize,
}

impl Recorder {
    /// A recorder for `chips` chips and `links` link resources, keeping at most `timeline_limit`
    /// spans.
    pub fn new(chips: u32, links: u32, timeline_limit: usize) -> Recorder {
        Recorder {
            counts: vec![OpCounts::default(); chips as usize],
            link_bytes: vec![0; links as usize],
            link_messages: vec![0; links as usize],
            timeline: Vec::new(),
            timeline_dropped: 0,
            timeline_limit,
        }
    }

    /// Link resources recorded (the links, or the one shared medium).
    pub fn links(&self) -> u32 {
        self.link_bytes.len() as u32
    }

    /// A compute task on `chip` performed `counts`.
    pub fn compute(&mut self, chip: u32, counts: OpCounts) {
        self.counts[chip as usize] += counts;
    }

    /// A message of `bytes` crossed link resource `link`.
    pub fn hop(&mut self, link: u32, bytes: u32) {
        self.link_bytes[link as usize] += u64::from(bytes);
        self.link_messages[link as usize] += 1;
    }

    /// Keeps `span` on the timeline unless the limit is reached (then counts it as dropped).
    pub fn span(&mut self, span: TimelineSpan) {
        if self.timeline.len() < self.timeline_limit {
            self.timeline.push(span);
        } else {
            self.timeline_dropped += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruvsim_engine::time::{Duration, Time};

    fn span(resource: u32) -> TimelineSpan {
        TimelineSpan {
            resource,
            start: Time::ZERO,
            duration: Duration::from_ps(1),
            stream: 0,
            kernel: None,
            bytes: 0,
            pos: None,
            hop: None,
            heartbeat: false,
        }
    }

    #[test]
    fn spans_beyond_the_limit_are_counted_not_kept() {
        let mut recorder = Recorder::new(2, 1, 2);
        for resource in 0..5 {
            recorder.span(span(resource));
        }
        assert_eq!(recorder.timeline.len(), 2);
        assert_eq!(recorder.timeline_dropped, 3);
        assert_eq!(recorder.timeline[1].resource, 1);
    }

    #[test]
    fn hops_add_bytes_and_messages_per_link() {
        let mut recorder = Recorder::new(1, 2, 0);
        recorder.hop(1, 100);
        recorder.hop(1, 28);
        assert_eq!(recorder.link_bytes, [0, 128]);
        assert_eq!(recorder.link_messages, [0, 2]);
        assert_eq!(recorder.links(), 2);
    }
}
