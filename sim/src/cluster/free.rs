//! Which stream takes the next waiting request, in O(log replicas) per admission.
//!
//! The rule is fixed by the results it produces: the live replica with the most free streams,
//! the lowest replica index on ties, and that replica's lowest free stream. Scanning every stream
//! of every replica for each admission made dispatch quadratic in the cluster size; this index
//! keeps each replica's free-stream count in flat arrays and the live replicas with a free stream
//! in an ordered set keyed by (most free first, lowest index first), so the choice is the set's
//! first element and every change of a stream's occupancy is one removal and one insertion.

use std::cmp::Reverse;
use std::collections::BTreeSet;

/// Free streams of every replica, ordered for dispatch.
#[derive(Clone, Debug)]
pub(super) struct FreeStreams {
    /// Streams per replica: stream `s` belongs to replica `s / per`.
    per: u32,
    /// Per stream: whether it is free.
    free: Vec<bool>,
    /// Per replica: how many of its streams are free.
    count: Vec<u32>,
    /// Per replica: whether it can still serve requests.
    alive: Vec<bool>,
    /// How many replicas can still serve requests.
    live: u32,
    /// Live replicas with at least one free stream, most free first, then lowest index.
    ready: BTreeSet<(Reverse<u32>, u32)>,
}

impl FreeStreams {
    /// `replicas` live replicas of `per` streams each, every stream free.
    pub fn new(replicas: u32, per: u32) -> FreeStreams {
        FreeStreams {
            per,
            free: vec![true; (replicas * per) as usize],
            count: vec![per; replicas as usize],
            alive: vec![true; replicas as usize],
            live: replicas,
            ready: if per == 0 {
                BTreeSet::new()
            } else {
                (0..replicas).map(|r| (Reverse(per), r)).collect()
            },
        }
    }

    /// The stream the next admission takes, if any stream of a live replica is free.
    pub fn choose(&self) -> Option<u32> {
        let &(_, replica) = self.ready.first()?;
        let base = replica * self.per;
        (base..base + self.per).find(|&s| self.free[s as usize])
    }

    /// Marks `stream` taken (`busy`) or free; no change when it already is.
    pub fn set_busy(&mut self, stream: u32, busy: bool) {
        let slot = &mut self.free[stream as usize];
        if *slot != busy {
            return;
        }
        *slot = !busy;
        let replica = stream / self.per;
        let before = self.count[replica as usize];
        let after = if busy { before - 1 } else { before + 1 };
        self.count[replica as usize] = after;
        if self.alive[replica as usize] {
            self.ready.remove(&(Reverse(before), replica));
            if after > 0 {
                self.ready.insert((Reverse(after), replica));
            }
        }
    }

    /// Takes `replica` out of dispatch for good (it lost a chip no spare replaced).
    pub fn kill(&mut self, replica: u32) {
        if std::mem::replace(&mut self.alive[replica as usize], false) {
            self.live -= 1;
            self.ready
                .remove(&(Reverse(self.count[replica as usize]), replica));
        }
    }

    /// Whether any replica can still serve requests.
    pub fn any_alive(&self) -> bool {
        self.live > 0
    }
}

#[cfg(test)]
mod tests {
    use super::FreeStreams;
    use proptest::prelude::*;

    /// The rule written as a scan over every stream: what the index must always agree with.
    fn scan(free: &[bool], alive: &[bool], per: usize) -> Option<u32> {
        free.chunks(per)
            .enumerate()
            .map(|(replica, streams)| {
                let n = if alive[replica] {
                    streams.iter().filter(|&&f| f).count()
                } else {
                    0
                };
                (n, std::cmp::Reverse(replica))
            })
            .filter(|&(n, _)| n > 0)
            .max()
            .and_then(|(_, std::cmp::Reverse(replica))| {
                (replica * per..(replica + 1) * per)
                    .find(|&s| free[s])
                    .map(|s| s as u32)
            })
    }

    #[test]
    fn fresh_index_takes_replica_zero_stream_zero_then_spreads() {
        let mut index = FreeStreams::new(3, 2);
        let mut order = Vec::new();
        while let Some(s) = index.choose() {
            order.push(s);
            index.set_busy(s, true);
        }
        assert_eq!(order, [0, 2, 4, 1, 3, 5]);
    }

    #[test]
    fn dead_replica_is_never_chosen() {
        let mut index = FreeStreams::new(2, 2);
        index.kill(0);
        assert_eq!(index.choose(), Some(2));
        index.set_busy(2, true);
        index.set_busy(3, true);
        assert_eq!(index.choose(), None);
        index.set_busy(2, false);
        assert_eq!(index.choose(), Some(2));
        assert!(index.any_alive());
        index.kill(1);
        assert!(!index.any_alive());
        assert_eq!(index.choose(), None);
    }

    proptest! {
        /// Any sequence of takes, releases and replica deaths: the index chooses what the full
        /// scan chooses.
        #[test]
        fn agrees_with_the_scan(
            replicas in 1u32..6,
            per in 1u32..5,
            ops in proptest::collection::vec((0u8..3, 0u32..1000), 0..200),
        ) {
            let mut index = FreeStreams::new(replicas, per);
            let mut free = vec![true; (replicas * per) as usize];
            let mut alive = vec![true; replicas as usize];
            for (op, arg) in ops {
                match op {
                    0 => {
                        let s = arg % (replicas * per);
                        index.set_busy(s, true);
                        free[s as usize] = false;
                    }
                    1 => {
                        let s = arg % (replicas * per);
                        index.set_busy(s, false);
                        free[s as usize] = true;
                    }
                    _ if arg % 7 == 0 => {
                        let r = arg % replicas;
                        index.kill(r);
                        alive[r as usize] = false;
                    }
                    _ => {}
                }
                prop_assert_eq!(index.choose(), scan(&free, &alive, per as usize));
            }
        }
    }
}
