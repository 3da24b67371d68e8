//! A small sweep run end to end: identical results for any thread count, infeasible designs with
//! the planner's reason, pruning, shards merging into the whole, and the budget.

use std::path::Path;

use super::*;
use ruvsim_sim::run::RunOptions;

/// 2 variants x 2 models x 3 pipeline depths x 2 links = 24 designs of 1 to 3 chips. The
/// stories15M shape fits no chip's SRAM in one or two pieces, nor the int8 stories260K shape one
/// C3's; 3 chips are pruned by `chips <= 2`.
const SWEEP: &str = r#"
[sweep]
name = "small"
constraints = ["chips <= 2", "fits"]
objectives = ["min cost_usd", "max throughput_tok_s"]

[cost]
price_usd = { esp32s3 = 4.0, esp32c3 = 2.0 }

[base.scenario]
name = "small"
seed = 1
fidelity = "timing"
[base.model]
source = "synthetic"
shape = "stories260k"
precision = "int8"
[base.cluster]
variant = "esp32s3"
topology = { kind = "chain", chips = 1 }
link = { kind = "spi", clock_mhz = 10, lines = 2, mode = "polling_dma" }
[base.parallelism]
pipeline = 1
[base.workload]
arrivals = { kind = "closed_loop", concurrency = 1 }
requests = 2
prompt = { length = 4 }
new_tokens = 4

[[axis]]
key = "cluster.variant"
values = ["esp32s3", "esp32c3"]

[[axis]]
key = "model.shape"
values = ["stories260k", "stories15m"]

[[axis]]
key = "parallelism.pipeline"
range = { from = 1, to = 3 }

[[axis]]
key = "cluster.link"
values = [
  { kind = "spi", clock_mhz = 10, lines = 2, mode = "polling_dma" },
  { kind = "uart", baud = 2000000 },
]

[[derive]]
key = "cluster.topology.chips"
product = ["parallelism.pipeline"]

[[derive]]
key = "workload.arrivals.concurrency"
product = ["parallelism.pipeline"]
"#;

fn small() -> Sweep {
    spec::parse("small.toml", SWEEP, Path::new("."), None).unwrap()
}

fn options(threads: usize, shard: Option<Shard>) -> SweepOptions {
    SweepOptions {
        threads,
        shard,
        budget_designs: DEFAULT_BUDGET_DESIGNS,
        run_options: RunOptions::default(),
    }
}

fn run_small(threads: usize, shard: Option<Shard>) -> SweepResult {
    run(
        &small(),
        &options(threads, shard),
        &SweepProgress::default(),
    )
    .unwrap()
}

#[test]
fn one_and_two_threads_give_the_same_result() {
    let one = run_small(1, None);
    let two = run_small(2, None);
    assert_eq!(one, two);
    assert_eq!(one.rows.len(), 24);
    assert!(one.rows.iter().enumerate().all(|(i, r)| r.id == i as u64));
}

#[test]
fn designs_that_cannot_be_built_or_do_not_fit_keep_the_reason() {
    let result = run_small(2, None);
    let row = |values: [&str; 3]| {
        result
            .rows
            .iter()
            .find(|r| r.values[..3] == values && r.values[3].contains("spi"))
            .unwrap()
    };
    // stories15M int8 on one C3, and even stories260K int8: the planner says they do not fit.
    for values in [
        ["esp32c3", "stories15m", "1"],
        ["esp32c3", "stories260k", "1"],
    ] {
        let big = row(values);
        assert_eq!(big.status, Status::Infeasible, "{big:?}");
        let reason = big.reason.as_deref().unwrap();
        assert!(
            reason.starts_with("the model does not fit: chip 0"),
            "{reason}"
        );
        assert!(big.figures.is_none() && !big.pareto);
    }
    // Split over two C3s, the small model fits.
    let split = row(["esp32c3", "stories260k", "2"]);
    assert_eq!(split.status, Status::Simulated, "{split:?}");
    assert!(split.figures.as_ref().unwrap().throughput_tok_s > 0.0);
    // 3 chips break `chips <= 2`: pruned before simulating, whatever the model.
    let pruned = row(["esp32c3", "stories15m", "3"]);
    assert_eq!(pruned.status, Status::Pruned);
    assert!(pruned
        .reason
        .as_deref()
        .unwrap()
        .contains("chips = 3 fails `chips <= 2`"));
    assert_eq!(pruned.cost_usd, Some(6.0));
    // The frontier holds only simulated designs meeting every constraint.
    assert!(!result.frontier.is_empty());
    for id in &result.frontier {
        assert!(result.row(*id).unwrap().meets_constraints());
    }
    // The cheapest designs cost 4 USD (one S3, or two C3s); the lowest id is named.
    let cheapest = &result.best[0];
    assert_eq!((cheapest.id, cheapest.value), (0, 4.0));
}

#[test]
fn shards_merge_into_the_whole_sweep() {
    let whole = run_small(2, None);
    let parts: Vec<(String, SweepResult)> = (1..=3)
        .rev()
        .map(|k| {
            let shard = Shard { index: k, count: 3 };
            (format!("shard {k}"), run_small(1, Some(shard)))
        })
        .collect();
    assert_eq!(parts[0].1.rows.len(), 8);
    assert_eq!(merge(parts.clone()).unwrap(), whole);
    let err = merge(parts[..2].to_vec()).unwrap_err().to_string();
    assert!(err.contains("shard(s) 1/3 missing"), "{err}");
    let twice = vec![parts[0].clone(), parts[0].clone(), parts[1].clone()];
    assert!(merge(twice)
        .unwrap_err()
        .to_string()
        .contains("both shard 3/3"));
    assert!(merge(vec![("all".into(), whole)])
        .unwrap_err()
        .to_string()
        .contains("not a shard"));
}

#[test]
fn a_sweep_above_the_budget_is_refused_with_its_count() {
    let mut opts = options(1, None);
    opts.budget_designs = 10;
    let err = run(&small(), &opts, &SweepProgress::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("simulate 24 designs"), "{err}");
    opts.shard = Some(Shard { index: 1, count: 3 });
    assert!(run(&small(), &opts, &SweepProgress::default()).is_ok());
    // A trillion designs are counted, not listed: refused at once.
    let huge = format!(
        "{SWEEP}\n[[axis]]\nkey = \"scenario.seed\"\nrange = {{ from = 1, to = 1000000 }}\n\
         [[axis]]\nkey = \"workload.requests\"\nrange = {{ from = 1, to = 1000000 }}\n"
    );
    let sweep = spec::parse("huge.toml", &huge, Path::new("."), None).unwrap();
    assert_eq!(sweep.total, 24_000_000_000_000);
    let err = run(&sweep, &options(2, None), &SweepProgress::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("simulate 24000000000000 designs"), "{err}");
}

#[test]
fn a_misspelt_axis_key_is_refused_before_anything_runs() {
    let text = SWEEP.replace("key = \"cluster.variant\"", "key = \"cluster.varaint\"");
    let sweep = spec::parse("small.toml", &text, Path::new("."), None).unwrap();
    let err = run(&sweep, &options(2, None), &SweepProgress::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("small.toml: design 0 (cluster.varaint = esp32s3"),
        "{err}"
    );
    assert!(err.contains("did you mean `variant`?"), "{err}");
}

#[test]
fn the_header_rebuilds_the_sweep_and_every_design() {
    let sweep = small();
    let header = result::SweepHeader::of(&sweep);
    let again = header.sweep().unwrap();
    for id in 0..sweep.total {
        assert_eq!(
            design::scenario_text(&again, id).unwrap(),
            design::scenario_text(&sweep, id).unwrap()
        );
    }
}

#[test]
fn bad_sweep_files_name_the_key() {
    let err = |text: &str| {
        spec::parse("small.toml", text, Path::new("."), None)
            .unwrap_err()
            .to_string()
    };
    let e = err(&SWEEP.replace("\"chips <= 2\"", "\"chips =< 2\""));
    assert!(e.starts_with("small.toml: sweep.constraints[0]"), "{e}");
    let e = err(&SWEEP.replace("esp32c3 = 2.0", "esp32c9 = 2.0"));
    assert!(e.contains("cost.price_usd.esp32c9"), "{e}");
    let e = err(&SWEEP.replace(
        "objectives = [\"min cost_usd\", \"max throughput_tok_s\"]",
        "",
    ));
    assert!(e.contains("at least one objective"), "{e}");
    let e = err(&SWEEP.replace(
        "[[axis]]\nkey = \"model.shape\"",
        "[[axis]]\nkey = \"cluster.variant\"",
    ));
    assert!(e.contains("already an axis"), "{e}");
    let e = err(&SWEEP.replace("[sweep]", "[sweep]\nbase = \"x.toml\""));
    assert!(e.contains("not both"), "{e}");
    let e = err(&SWEEP.replace(
        "name = \"small\"\nconstraints",
        "nmae = \"small\"\nconstraints",
    ));
    assert!(e.contains("did you mean `name`?"), "{e}");
}
