//! The event queue: a monotone radix heap ordered by `(time, sequence number)`.
//!
//! Every pushed event gets the next sequence number, and events pop in `(time, seq)` order, so two
//! events at the same instant pop in the order they were pushed: ties never depend on hash order,
//! thread timing or allocation addresses.
//!
//! A discrete-event simulation never schedules into the past, which makes the keys *monotone*: a
//! new key is always at least the last popped key. A radix heap exploits that. With the 128-bit key
//! `time << 64 | seq` and `last` the key of the last popped (or the current minimum) event, an
//! event lives in bucket `128 - leading_zeros(key ^ last)`: the position of the highest bit where
//! it differs from `last`. Bucket 0 can only hold the minimum itself. Popping takes bucket 0 if
//! occupied; otherwise it takes the lowest non-empty bucket, makes its smallest key the new `last`
//! and redistributes that bucket's events into strictly lower buckets. Each event therefore moves
//! at most 128 times over its life and in practice a handful, and buckets are plain vectors that
//! are scanned sequentially, which is what makes the queue fast with millions of pending events
//! (see `benches/queue.rs`).
//!
//! With few events pending a radix heap loses to a plain binary heap: its 128 bucket vectors and the
//! redistribution cost more than `log2(n)` comparisons when `n` is a few thousand. The queue is
//! therefore a hybrid: a binary heap while at most [`HEAP_MAX`] events are pending, the radix heap
//! once more are, and back to the binary heap when fewer than [`HEAP_MIN`] remain (the gap keeps a
//! queue that hovers at one size from switching at every push). Both halves pop the same smallest
//! key, so the order is the same whichever is in use.
//!
//! Pushing an event earlier than the last popped time is a logic error in the caller. It is
//! reported as [`QueueError::InThePast`] (and the event is not inserted) rather than silently
//! reordered.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use thiserror::Error;

use crate::time::Time;

/// Buckets 1..=128 (bucket 0, the minimum, is kept separately in `ready`).
const BUCKETS: usize = 128;

/// Most pending events held in the binary heap; one more moves them into the radix heap. At
/// 1,000 pending the binary heap is the faster (`benches/queue.rs`), at 1,000,000 the radix heap
/// is several times faster; 16,384 sits between the two measured sizes, where both are close.
pub const HEAP_MAX: usize = 16_384;

/// Fewer pending events than this move the radix heap's events back into the binary heap.
pub const HEAP_MIN: usize = HEAP_MAX / 4;

/// Why an event could not be scheduled.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QueueError {
    /// The event's time is earlier than the time of the last popped event.
    #[error("event scheduled at {time} is earlier than the current time {now}")]
    InThePast {
        /// Requested time of the event.
        time: Time,
        /// Time of the last popped event.
        now: Time,
    },
    /// All 2^64 sequence numbers have been used.
    #[error("event sequence numbers exhausted")]
    SequenceExhausted,
}

/// One queued event with its ordering key.
struct Entry<E> {
    key: u128,
    event: E,
}

/// Entries order by key alone (keys are unique: every event has its own sequence number), smallest
/// key greatest, so that std's max-heap pops the earliest event.
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl<E> Eq for Entry<E> {}

/// Packs `(time, seq)` into one totally ordered key.
fn pack(time: Time, seq: u64) -> u128 {
    (u128::from(time.as_ps()) << 64) | u128::from(seq)
}

/// Splits a key back into `(time, seq)`.
fn unpack(key: u128) -> (Time, u64) {
    // Truncations are exact: the high and low halves were built from u64 values.
    (Time::from_ps((key >> 64) as u64), key as u64)
}

/// Bucket index (1..=128) for a key relative to `last`; 0 means equal to `last`.
fn bucket_of(key: u128, last: u128) -> usize {
    (128 - (key ^ last).leading_zeros()) as usize
}

/// A priority queue of events of type `E`, ordered by `(time, sequence number)`.
pub struct EventQueue<E> {
    /// Every pending event while at most [`HEAP_MAX`] are pending (then the radix half is empty).
    heap: BinaryHeap<Entry<E>>,
    /// Whether the radix half holds the events (else the binary heap does).
    radix: bool,
    /// The minimum event, once established (radix bucket 0).
    ready: Option<Entry<E>>,
    /// `buckets[i - 1]` holds events whose key first differs from `last` at bit `i - 1`.
    buckets: Vec<Vec<Entry<E>>>,
    /// Smallest key in each bucket (`u128::MAX` when empty), so the minimum is known without a scan.
    bucket_min: [u128; BUCKETS],
    /// Bit `i - 1` set when bucket `i` is non-empty.
    occupied: u128,
    /// Radix reference key: every queued key is at least this.
    last: u128,
    /// Time of the last popped event: the earliest time a new event may be scheduled.
    now: Time,
    /// Sequence number the next pushed event receives.
    next_seq: u64,
    len: usize,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            radix: false,
            ready: None,
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            bucket_min: [u128::MAX; BUCKETS],
            occupied: 0,
            last: 0,
            now: Time::ZERO,
            next_seq: 0,
            len: 0,
        }
    }

    /// Schedules `event` at `time` and returns its sequence number.
    ///
    /// Fails with [`QueueError::InThePast`] if `time` is earlier than the last popped time; the
    /// event is then not queued.
    pub fn push(&mut self, time: Time, event: E) -> Result<u64, QueueError> {
        if time < self.now {
            return Err(QueueError::InThePast {
                time,
                now: self.now,
            });
        }
        let seq = self.next_seq;
        self.next_seq = seq.checked_add(1).ok_or(QueueError::SequenceExhausted)?;
        let key = pack(time, seq);
        // `time >= now` and `seq` is larger than any earlier one, so `key > last`.
        debug_assert!(key > self.last || (self.len == 0 && self.last == 0 && key == 0));
        let entry = Entry { key, event };
        if self.radix {
            self.insert(entry);
        } else if self.heap.len() < HEAP_MAX {
            self.heap.push(entry);
        } else {
            self.move_to_radix();
            self.insert(entry);
        }
        self.len += 1;
        Ok(seq)
    }

    /// Removes and returns the earliest event as `(time, seq, event)`.
    pub fn pop(&mut self) -> Option<(Time, u64, E)> {
        let entry = if self.radix {
            if self.ready.is_none() {
                self.refill_ready();
            }
            let entry = self.ready.take()?;
            if self.len <= HEAP_MIN {
                self.move_to_heap();
            }
            entry
        } else {
            let entry = self.heap.pop()?;
            // The radix half, when the queue moves to it, measures keys from the last pop.
            self.last = entry.key;
            entry
        };
        self.len -= 1;
        let (time, seq) = unpack(entry.key);
        self.now = time;
        Some((time, seq, entry.event))
    }

    /// Moves every event from the binary heap into the radix buckets. Every key is above `last`
    /// (the last popped key), as the radix heap needs.
    fn move_to_radix(&mut self) {
        self.radix = true;
        for entry in std::mem::take(&mut self.heap).into_vec() {
            self.insert(entry);
        }
    }

    /// Moves every event from the radix buckets into the binary heap.
    fn move_to_heap(&mut self) {
        self.radix = false;
        let mut entries = std::mem::take(&mut self.heap).into_vec();
        entries.extend(self.ready.take());
        while self.occupied != 0 {
            let index = self.occupied.trailing_zeros() as usize;
            self.occupied &= !(1 << index);
            self.bucket_min[index] = u128::MAX;
            entries.append(&mut self.buckets[index]);
        }
        self.heap = BinaryHeap::from(entries);
    }

    /// Time of the earliest queued event, without removing it.
    pub fn peek_time(&self) -> Option<Time> {
        if !self.radix {
            return self.heap.peek().map(|entry| unpack(entry.key).0);
        }
        let key = match &self.ready {
            Some(entry) => entry.key,
            None if self.occupied == 0 => return None,
            None => self.bucket_min[self.occupied.trailing_zeros() as usize],
        };
        Some(unpack(key).0)
    }

    /// Number of queued events.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no events are queued.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Time of the last popped event (time zero before the first pop): the simulation clock.
    pub fn now(&self) -> Time {
        self.now
    }

    /// Places an entry in the bucket given by its key relative to `last`.
    fn insert(&mut self, entry: Entry<E>) {
        let bucket = bucket_of(entry.key, self.last);
        if bucket == 0 {
            // Only the very first event of an empty queue at key 0 can land here.
            self.ready = Some(entry);
            return;
        }
        let index = bucket - 1;
        if entry.key < self.bucket_min[index] {
            self.bucket_min[index] = entry.key;
        }
        self.occupied |= 1 << index;
        self.buckets[index].push(entry);
    }

    /// Moves the minimum event into `ready` by redistributing the lowest non-empty bucket.
    fn refill_ready(&mut self) {
        if self.occupied == 0 {
            return;
        }
        let index = self.occupied.trailing_zeros() as usize;
        self.last = self.bucket_min[index];
        self.bucket_min[index] = u128::MAX;
        self.occupied &= !(1 << index);
        let mut drained = std::mem::take(&mut self.buckets[index]);
        for entry in drained.drain(..) {
            // Every key in the bucket is >= the new `last` and differs from it below bit `index`,
            // so it lands in `ready` (the minimum) or a strictly lower bucket.
            self.insert(entry);
        }
        // Keep the allocation for the next time this bucket fills.
        self.buckets[index] = drained;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_then_push_order() {
        let mut queue = EventQueue::new();
        queue.push(Time::from_ps(30), "c").unwrap();
        queue.push(Time::from_ps(10), "a").unwrap();
        queue.push(Time::from_ps(30), "d").unwrap();
        queue.push(Time::from_ps(20), "b").unwrap();
        assert_eq!(queue.len(), 4);
        assert_eq!(queue.peek_time(), Some(Time::from_ps(10)));
        let order: Vec<_> = std::iter::from_fn(|| queue.pop()).collect();
        assert_eq!(
            order,
            vec![
                (Time::from_ps(10), 1, "a"),
                (Time::from_ps(20), 3, "b"),
                (Time::from_ps(30), 0, "c"),
                (Time::from_ps(30), 2, "d"),
            ]
        );
        assert!(queue.is_empty());
        assert_eq!(queue.peek_time(), None);
    }

    #[test]
    fn scheduling_in_the_past_is_an_error_and_leaves_the_queue_unchanged() {
        let mut queue = EventQueue::new();
        queue.push(Time::from_ps(100), 1).unwrap();
        queue.push(Time::from_ps(200), 2).unwrap();
        assert_eq!(
            queue.pop().map(|(t, _, e)| (t, e)),
            Some((Time::from_ps(100), 1))
        );
        assert_eq!(
            queue.push(Time::from_ps(99), 3),
            Err(QueueError::InThePast {
                time: Time::from_ps(99),
                now: Time::from_ps(100)
            })
        );
        assert_eq!(queue.len(), 1);
        // Scheduling at the current time is allowed and pops after nothing earlier.
        queue.push(Time::from_ps(100), 4).unwrap();
        assert_eq!(
            queue.pop().map(|(t, _, e)| (t, e)),
            Some((Time::from_ps(100), 4))
        );
        assert_eq!(
            queue.pop().map(|(t, _, e)| (t, e)),
            Some((Time::from_ps(200), 2))
        );
    }

    #[test]
    fn peek_does_not_move_the_clock() {
        let mut queue = EventQueue::new();
        queue.push(Time::from_ps(500), ()).unwrap();
        queue.push(Time::from_ps(900), ()).unwrap();
        queue.pop().unwrap();
        assert_eq!(queue.peek_time(), Some(Time::from_ps(900)));
        // An event between now (500) and the next queued one (900) is still accepted.
        queue.push(Time::from_ps(600), ()).unwrap();
        assert_eq!(queue.pop().unwrap().0, Time::from_ps(600));
        assert_eq!(queue.now(), Time::from_ps(600));
    }

    /// Grows past [`HEAP_MAX`] (into the radix half), shrinks below [`HEAP_MIN`] (back to the
    /// binary heap) and grows again, popping and pushing at random: the order is always that of a
    /// reference heap of `(time, seq)`.
    #[test]
    fn order_is_exact_across_both_switches() {
        use rand_chacha::rand_core::Rng;
        use std::cmp::Reverse;
        let mut rng = crate::rng::stream(5, crate::rng::Purpose::Arrivals, 0);
        let mut queue = EventQueue::new();
        let mut reference = BinaryHeap::new();
        let mut now = 0u64;
        let mut seq = 0u64;
        let mut switched = (false, false);
        // Phases: mostly pushes, mostly pops, mostly pushes again.
        for (steps, push_share) in [(3 * HEAP_MAX, 80), (3 * HEAP_MAX, 15), (HEAP_MAX, 90)] {
            for _ in 0..steps {
                if rng.next_u64() % 100 < push_share {
                    let time = now + rng.next_u64() % 1_000;
                    assert_eq!(queue.push(Time::from_ps(time), seq), Ok(seq));
                    reference.push(Reverse((time, seq)));
                    seq += 1;
                } else {
                    let want = reference
                        .pop()
                        .map(|Reverse((t, s))| (Time::from_ps(t), s, s));
                    assert_eq!(queue.pop(), want);
                    if let Some((t, _, _)) = want {
                        now = t.as_ps();
                    }
                }
                assert_eq!(queue.len(), reference.len());
                switched.0 |= queue.radix;
                switched.1 |= switched.0 && !queue.radix;
            }
        }
        assert_eq!(
            switched,
            (true, true),
            "the test must cross both thresholds"
        );
        while let Some(Reverse((t, s))) = reference.pop() {
            assert_eq!(queue.pop(), Some((Time::from_ps(t), s, s)));
        }
        assert_eq!(queue.pop(), None);
    }

    #[test]
    fn first_event_at_time_zero() {
        let mut queue = EventQueue::new();
        queue.push(Time::ZERO, 'x').unwrap();
        queue.push(Time::ZERO, 'y').unwrap();
        assert_eq!(queue.peek_time(), Some(Time::ZERO));
        assert_eq!(queue.pop(), Some((Time::ZERO, 0, 'x')));
        assert_eq!(queue.pop(), Some((Time::ZERO, 1, 'y')));
        assert_eq!(queue.pop(), None);
    }
}
