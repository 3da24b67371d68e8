//! Hold-model benchmark of the event queue against `BinaryHeap<Reverse<(time, seq)>>`.
//!
//! The queue is filled with `pending` events, then each iteration pops the earliest event and pushes
//! one at `now + delay`, with delays from a seeded ChaCha stream (uniform in 0..1 ms, in
//! picoseconds). Throughput is reported in events (pop + push pairs) per second.
//! Run: `cargo bench -p ruvsim-engine --bench queue`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rand_chacha::rand_core::Rng;
use rand_chacha::ChaCha8Rng;
use ruvsim_engine::queue::EventQueue;
use ruvsim_engine::rng::{stream, Purpose};
use ruvsim_engine::time::Time;

/// Hold operations per benchmark iteration.
const HOLDS: u64 = 100_000;
/// Delays are uniform in 0..MAX_DELAY_PS (1 ms).
const MAX_DELAY_PS: u64 = 1_000_000_000;

/// The reference: a std binary heap of `(time, seq, payload)`, min-first via `Reverse`.
type ReferenceHeap = BinaryHeap<Reverse<(u64, u64, u64)>>;

/// Reference state: the heap, the next sequence number and the delay stream.
type ReferenceState = (ReferenceHeap, u64, ChaCha8Rng);

fn delays() -> ChaCha8Rng {
    stream(2024, Purpose::Arrivals, 0)
}

fn filled_radix(pending: usize) -> (EventQueue<u64>, ChaCha8Rng) {
    let mut rng = delays();
    let mut queue = EventQueue::new();
    for i in 0..pending as u64 {
        queue
            .push(Time::from_ps(rng.next_u64() % MAX_DELAY_PS), i)
            .unwrap();
    }
    (queue, rng)
}

fn filled_heap(pending: usize) -> ReferenceState {
    let mut rng = delays();
    let mut heap = BinaryHeap::with_capacity(pending + 1);
    for i in 0..pending as u64 {
        heap.push(Reverse((rng.next_u64() % MAX_DELAY_PS, i, i)));
    }
    (heap, pending as u64, rng)
}

fn hold_radix((mut queue, mut rng): (EventQueue<u64>, ChaCha8Rng)) -> EventQueue<u64> {
    for _ in 0..HOLDS {
        let (now, _, payload) = queue.pop().expect("queue never empties in the hold model");
        let delay = rng.next_u64() % MAX_DELAY_PS;
        queue
            .push(Time::from_ps(now.as_ps() + delay), payload)
            .unwrap();
    }
    queue
}

fn hold_heap((mut heap, mut seq, mut rng): ReferenceState) -> ReferenceHeap {
    for _ in 0..HOLDS {
        let Reverse((now, _, payload)) = heap.pop().expect("heap never empties in the hold model");
        let delay = rng.next_u64() % MAX_DELAY_PS;
        heap.push(Reverse((now + delay, seq, payload)));
        seq += 1;
    }
    heap
}

fn hold_model(c: &mut Criterion) {
    for (label, pending) in [("1k", 1_000usize), ("1M", 1_000_000)] {
        let mut group = c.benchmark_group(format!("hold_{label}_pending"));
        group.throughput(Throughput::Elements(HOLDS));
        group.sample_size(if pending > 10_000 { 10 } else { 50 });
        group.bench_function("radix_queue", |b| {
            b.iter_batched(
                || filled_radix(pending),
                |state| black_box(hold_radix(state)),
                BatchSize::PerIteration,
            )
        });
        group.bench_function("binary_heap", |b| {
            b.iter_batched(
                || filled_heap(pending),
                |state| black_box(hold_heap(state)),
                BatchSize::PerIteration,
            )
        });
        group.finish();
    }
}

criterion_group!(benches, hold_model);
criterion_main!(benches);
