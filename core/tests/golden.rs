//! The golden outputs of `ruvsim_core::golden` on this host (its module docs say how they were
//! made and how to regenerate them).

use ruvsim_core::golden::{fnv1a, run, trace_sample, GOLDEN, TRACE_SAMPLE_FNV};
use ruvsim_core::trace::Clock;
use ruvsim_core::Precision;

#[test]
fn fixed_synthetic_model_reproduces_its_golden_outputs() {
    let print = std::env::var("RUVSIM_PRINT_GOLDEN").is_ok_and(|v| v == "1");
    let mut mismatches = Vec::new();
    for (precision, tokens, hash) in GOLDEN {
        let (got_tokens, got_hash) = run(precision);
        if print {
            println!("    (Precision::{precision:?}, {got_tokens:?}, {got_hash:#018x}),");
        }
        if got_tokens != tokens || got_hash != hash {
            mismatches.push(format!(
                "{precision:?}: tokens {got_tokens:?} hash {got_hash:#018x}, golden {tokens:?} {hash:#018x}"
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "golden mismatch (see the module docs to regenerate):\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn runs_are_repeatable() {
    assert_eq!(run(Precision::Int4), run(Precision::Int4));
}

/// The clock of the riscv32 check: 1,000 per reading.
struct Counter(u64);

impl Clock for Counter {
    fn now(&mut self) -> u64 {
        self.0 += 1000;
        self.0
    }
}

#[test]
fn the_trace_sample_has_its_golden_fingerprint() {
    let text = trace_sample(Counter(0));
    let fnv = fnv1a(text.as_bytes());
    if std::env::var("RUVSIM_PRINT_GOLDEN").is_ok_and(|v| v == "1") {
        println!("{text}TRACE_SAMPLE_FNV = {fnv:#018x}");
    }
    assert!(text.starts_with("ruvtrace: TS"), "{text}");
    assert_eq!(text.lines().count(), 10, "{text}");
    assert_eq!(
        fnv, TRACE_SAMPLE_FNV,
        "regenerate as the golden module says"
    );
}
