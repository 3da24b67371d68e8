//! Property test: the radix-heap event queue pops exactly what a `BinaryHeap` of
//! `Reverse((time, seq))` pops, for random interleavings of pushes and pops.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use proptest::prelude::*;
use ruvsim_engine::queue::EventQueue;
use ruvsim_engine::time::Time;

#[derive(Clone, Debug)]
enum Op {
    /// Push an event this far after the current time.
    Push(u64),
    Pop,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        // Small delays make many ties; huge ones exercise the high buckets.
        3 => (0u64..4).prop_map(Op::Push),
        3 => (0u64..1_000_000).prop_map(Op::Push),
        1 => (0u64..u64::MAX / 4).prop_map(Op::Push),
        4 => Just(Op::Pop),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn pops_match_the_binary_heap_reference(ops in prop::collection::vec(op(), 0..400)) {
        let mut queue = EventQueue::new();
        let mut reference = BinaryHeap::new();
        let mut now = 0u64;
        let mut next_seq = 0u64;
        for op in ops {
            match op {
                Op::Push(delay) => {
                    let time = now.saturating_add(delay);
                    let seq = queue.push(Time::from_ps(time), (time, next_seq)).unwrap();
                    prop_assert_eq!(seq, next_seq);
                    reference.push(Reverse((time, next_seq)));
                    next_seq += 1;
                }
                Op::Pop => {
                    let got = queue.pop();
                    let want = reference.pop().map(|Reverse(key)| key);
                    prop_assert_eq!(got.map(|(t, s, payload)| {
                        assert_eq!(payload, (t.as_ps(), s));
                        (t.as_ps(), s)
                    }), want);
                    if let Some((time, _)) = want {
                        now = time;
                    }
                }
            }
            prop_assert_eq!(queue.len(), reference.len());
            prop_assert_eq!(
                queue.peek_time().map(Time::as_ps),
                reference.peek().map(|Reverse((time, _))| *time)
            );
        }
        // Drain: the rest comes out in the same order.
        while let Some(Reverse(want)) = reference.pop() {
            let (time, seq, _) = queue.pop().unwrap();
            prop_assert_eq!((time.as_ps(), seq), want);
        }
        prop_assert!(queue.is_empty());
    }
}
