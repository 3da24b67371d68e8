//! Memory of the regular families: building a 2^20-chip hypercube or a 100x100x100 torus and
//! answering routing queries allocates nothing (a global allocator that counts the allocations of
//! the measuring thread only, so that the test harness's own threads do not count), and the built
//! value is small.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use ruvsim_topologies::{Topology, TopologySpec};

/// Forwards to the system allocator and counts allocations.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Whether this thread's allocations are counted (a constant initialiser: reading it
    /// allocates nothing, as the allocator requires).
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTED.try_with(Cell::get).unwrap_or(false) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations this thread made while running `f`.
fn allocations_during<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    COUNTED.with(|counted| counted.set(true));
    let value = f();
    COUNTED.with(|counted| counted.set(false));
    (value, ALLOCATIONS.load(Ordering::SeqCst) - before)
}

fn queries(topology: &Topology) -> u64 {
    let n = topology.chips();
    let mut checksum = 0u64;
    for i in 0..10_000u32 {
        let from = i.wrapping_mul(2_654_435_761) % n;
        let to = i.wrapping_mul(40_503).wrapping_add(7) % n;
        checksum += u64::from(topology.hops(from, to).unwrap());
        if let Some(next) = topology.next_hop(from, to).unwrap() {
            checksum += u64::from(topology.link_id(from, next).unwrap());
        }
    }
    checksum
}

#[test]
fn regular_families_build_and_route_without_allocating() {
    let specs = [
        TopologySpec::Hypercube {
            chips: None,
            dimension: Some(20),
        },
        TopologySpec::Torus3d {
            dims: [100, 100, 100],
        },
    ];
    for spec in specs {
        let (topology, build_allocs) = allocations_during(|| spec.build().unwrap());
        assert_eq!(build_allocs, 0, "{spec:?}: building allocated");
        let (_, query_allocs) = allocations_during(|| queries(&topology));
        assert_eq!(query_allocs, 0, "{spec:?}: queries allocated");
        println!(
            "{}: {} chips, size_of::<Topology>() = {} bytes, 0 allocations to build and query",
            topology.kind(),
            topology.chips(),
            std::mem::size_of_val(&topology)
        );
    }
    assert!(std::mem::size_of::<Topology>() <= 256);
}
