//! End-to-end tests of `ruvsim sweep`, run as the built binary on a small sweep (36 designs of 1
//! to 15 chips, timing fidelity) so they stay fast: the files are byte-identical for any thread
//! count and when merged from shards, infeasible designs keep their reason, `sweep show` gives a
//! scenario that `ruvsim run` simulates to the same figures, and bad input gets a clear error.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ruvsim_reports::sweep::{columns, SWEEP_FILES};

fn ruvsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ruvsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("run the ruvsim binary")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts success and returns stdout.
fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "ruvsim failed: {}",
        stderr(&output)
    );
    String::from_utf8(output.stdout).expect("UTF-8 stdout")
}

/// Asserts an ordinary failure (not a panic); returns stderr.
fn fails(output: Output) -> String {
    let text = stderr(&output);
    assert!(!output.status.success(), "expected a failure");
    assert!(!text.contains("panicked"), "{text}");
    text
}

/// A fresh directory for one test's files.
fn scratch_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli_sweep")
        .join(test);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create scratch directory");
    dir
}

/// The base scenario, in a file of its own beside the sweep file.
const BASE: &str = r#"
[scenario]
name = "base"
seed = 1
fidelity = "timing"

[model]
source = "synthetic"
shape = "stories260k"
seed = 7
precision = "int8"

[cluster]
variant = "esp32s3"
topology = { kind = "chain", chips = 1 }
link = { kind = "spi", clock_mhz = 40, lines = 2, mode = "polling_dma" }

[parallelism]
pipeline = 1

[workload]
arrivals = { kind = "closed_loop", concurrency = 1 }
requests = 1
prompt = { length = 4 }
new_tokens = 4
"#;

/// 2 variants x 2 precisions x 3 pipeline depths x 3 replica counts = 36 designs of 1 to 15
/// chips (those of 15 are pruned by `chips <= 10`). The C3 has
/// one SPI port, so its chains of 3 or more chips cannot be wired (infeasible with the reason).
const SWEEP: &str = r#"
[sweep]
name = "small"
base = "base.toml"
constraints = ["chips <= 10", "inter_token_p99_ms <= 1000"]
objectives = ["min cost_usd", "min energy_per_token_mj", "max throughput_tok_s"]

[cost]
price_usd = { esp32s3 = 4.0, esp32c3 = 2.5 }

[[axis]]
key = "cluster.variant"
values = ["esp32s3", "esp32c3"]

[[axis]]
key = "model.precision"
values = ["int8", "int4"]

[[axis]]
key = "parallelism.pipeline"
values = [1, 2, 3]

[[axis]]
key = "parallelism.replicas"
range = { from = 1, to = 5, step = 2 }

[[axis]]
key = "cluster.cpu.clock_mhz"
values = [160]

[[derive]]
key = "cluster.topology.chips"
product = ["parallelism.pipeline", "parallelism.replicas"]

[[derive]]
key = "workload.arrivals.concurrency"
product = ["parallelism.pipeline", "parallelism.replicas"]

[[derive]]
key = "workload.requests"
product = ["parallelism.pipeline", "parallelism.replicas"]
"#;

/// Writes the sweep and its base into `dir`; returns the sweep file's path.
fn write_sweep(dir: &Path, sweep: &str) -> String {
    fs::write(dir.join("base.toml"), BASE).unwrap();
    let path = dir.join("small.toml");
    fs::write(&path, sweep).unwrap();
    path.to_str().unwrap().to_string()
}

/// Runs `ruvsim sweep FILE --out OUT` with `extra` arguments; returns stdout.
fn sweep(file: &str, out: &Path, extra: &[&str]) -> String {
    let mut args = vec!["sweep", file, "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    ok(ruvsim(&args))
}

/// The four files of a sweep folder.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    SWEEP_FILES
        .iter()
        .map(|name| (name.to_string(), fs::read(dir.join(name)).unwrap()))
        .collect()
}

/// Asserts two folders hold byte-identical sweep files.
fn assert_same_files(a: &Path, b: &Path) {
    for ((name, left), (_, right)) in files(a).into_iter().zip(files(b)) {
        assert!(
            left == right,
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

/// sweep.csv as records of named fields.
fn records(dir: &Path) -> Vec<Vec<(String, String)>> {
    let mut csv = csv::Reader::from_path(dir.join("sweep.csv")).unwrap();
    let header = csv.headers().unwrap().clone();
    csv.records()
        .map(|record| {
            let record = record.unwrap();
            assert_eq!(record.len(), header.len(), "{record:?}");
            header
                .iter()
                .map(String::from)
                .zip(record.iter().map(String::from))
                .collect()
        })
        .collect()
}

fn field<'r>(record: &'r [(String, String)], name: &str) -> &'r str {
    &record.iter().find(|(k, _)| k == name).unwrap().1
}

#[test]
fn one_and_two_threads_write_byte_identical_files() {
    let dir = scratch_dir("threads");
    let file = write_sweep(&dir, SWEEP);
    let one = sweep(&file, &dir.join("one"), &["--threads", "1"]);
    sweep(&file, &dir.join("two"), &["--threads", "2"]);
    assert_same_files(&dir.join("one"), &dir.join("two"));
    assert!(one.starts_with("small: 36 designs: "), "{one}");
    assert!(one.contains("best max throughput_tok_s: design "), "{one}");
    let csv = fs::read_to_string(dir.join("one/sweep.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.starts_with(
        "id,cluster.variant,model.precision,parallelism.pipeline,parallelism.replicas,\
         cluster.cpu.clock_mhz,status,"
    ));
    assert_eq!(csv.lines().count(), 37);
}

#[test]
fn merged_shards_are_byte_identical_to_one_run() {
    let dir = scratch_dir("shards");
    let file = write_sweep(&dir, SWEEP);
    sweep(&file, &dir.join("whole"), &[]);
    let mut shard_dirs = Vec::new();
    for k in 1..=3 {
        let out = dir.join(format!("shard-{k}"));
        let stdout = sweep(
            &file,
            &out,
            &["--shard", &format!("{k}/3"), "--threads", "1"],
        );
        assert!(
            stdout.contains(&format!("shard {k}/3: 12 of 36 designs")),
            "{stdout}"
        );
        shard_dirs.push(out.to_str().unwrap().to_string());
    }
    let merged = dir.join("merged");
    let mut args = vec!["sweep", "merge"];
    // Any order of the shards merges to the same files.
    args.extend(shard_dirs.iter().rev().map(String::as_str));
    args.extend(["--out", merged.to_str().unwrap()]);
    ok(ruvsim(&args));
    assert_same_files(&dir.join("whole"), &merged);
    // A missing shard is named.
    let err = fails(ruvsim(&[
        "sweep",
        "merge",
        &shard_dirs[0],
        &shard_dirs[2],
        "--out",
        dir.join("partial").to_str().unwrap(),
    ]));
    assert!(err.contains("shard(s) 2/3 missing"), "{err}");
}

#[test]
fn infeasible_designs_are_reported_with_their_reason() {
    let dir = scratch_dir("infeasible");
    let file = write_sweep(&dir, SWEEP);
    sweep(&file, &dir.join("out"), &[]);
    let rows = records(&dir.join("out"));
    assert_eq!(rows.len(), 36);
    let c3_chain = rows
        .iter()
        .find(|r| {
            field(r, "cluster.variant") == "esp32c3"
                && field(r, "parallelism.pipeline") == "3"
                && field(r, "parallelism.replicas") == "1"
        })
        .unwrap();
    assert_eq!(field(c3_chain, "status"), "infeasible");
    assert!(
        field(c3_chain, "reason").contains("ports"),
        "{}",
        field(c3_chain, "reason")
    );
    assert_eq!(field(c3_chain, "throughput_tok_s"), "");
    assert_eq!(field(c3_chain, "pareto"), "false");
    let pruned = rows.iter().find(|r| field(r, "chips") == "15").unwrap();
    assert_eq!(field(pruned, "status"), "pruned");
    assert!(field(pruned, "reason").contains("chips = 15 fails `chips <= 10`"));
    let simulated = rows
        .iter()
        .filter(|r| field(r, "status") == "simulated")
        .count();
    assert!(simulated > 10, "{simulated}");
    assert!(rows
        .iter()
        .filter(|r| field(r, "status") == "simulated")
        .all(|r| field(r, "tier") == "simulated"));
    let html = fs::read_to_string(dir.join("out/sweep.html")).unwrap();
    assert!(
        html.contains("the link kind offers 1"),
        "the page lists the reason"
    );
    // The columns are the ones the report crate declares.
    let csv = fs::read_to_string(dir.join("out/sweep.csv")).unwrap();
    let result = ruvsim_reports::sweep::read_sweep_result(&dir.join("out")).unwrap();
    assert_eq!(csv.lines().next().unwrap(), columns(&result).join(","));
}

#[test]
fn show_writes_a_scenario_that_runs_to_the_same_figures() {
    let dir = scratch_dir("show");
    let file = write_sweep(&dir, SWEEP);
    let out = dir.join("out");
    sweep(&file, &out, &[]);
    let rows = records(&out);
    let row = rows
        .iter()
        .find(|r| field(r, "pareto") == "true")
        .expect("a frontier design");
    let id = field(row, "id");
    let stdout = ok(ruvsim(&["sweep", "show", out.to_str().unwrap(), id]));
    let scenario = out.join(format!("design-{id}.toml"));
    assert!(
        stdout.contains(&format!("design {id}: simulated")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("run it: ruvsim run {}", scenario.display())),
        "{stdout}"
    );
    let report = dir.join("report");
    let summary = ok(ruvsim(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        report.to_str().unwrap(),
        "--json",
    ]));
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    let throughput = summary["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["figure"] == "throughput")
        .and_then(|f| f["value"].as_f64())
        .unwrap();
    let expected: f64 = field(row, "throughput_tok_s").parse().unwrap();
    assert!(
        (throughput - expected).abs() < 1e-3,
        "ruvsim run gives {throughput} tok/s, the sweep {expected}"
    );
    let err = fails(ruvsim(&["sweep", "show", out.to_str().unwrap(), "36"]));
    assert!(err.contains("no design 36"), "{err}");
}

#[test]
fn bad_input_gets_a_clear_error() {
    let dir = scratch_dir("bad");
    let file = write_sweep(
        &dir,
        &SWEEP.replace("\"model.precision\"", "\"model.precison\""),
    );
    let err = fails(ruvsim(&[
        "sweep",
        &file,
        "--out",
        dir.join("o").to_str().unwrap(),
    ]));
    assert!(
        err.contains("design 0 (cluster.variant = esp32s3, model.precison = int8"),
        "{err}"
    );
    assert!(err.contains("precison"), "{err}");
    let file = write_sweep(&dir, &SWEEP.replace("max throughput_tok_s", "max tok_s"));
    let err = fails(ruvsim(&["sweep", &file]));
    assert!(
        err.contains("sweep.objectives[2]") && err.contains("tok_s_per_chip"),
        "{err}"
    );
    let file = write_sweep(&dir, SWEEP);
    let err = fails(ruvsim(&["sweep", &file, "--budget-designs", "20"]));
    assert!(
        err.contains("would simulate 36 designs") && err.contains("--shard"),
        "{err}"
    );
    let err = fails(ruvsim(&["sweep", &file, "--shard", "4/3"]));
    assert!(err.contains("K/N"), "{err}");
    let err = fails(ruvsim(&[
        "sweep",
        "merge",
        dir.to_str().unwrap(),
        "--out",
        "/tmp/x",
    ]));
    assert!(err.contains("sweep.json"), "{err}");
}

/// The library's heartbeat sweep shows the period's trade-off: a shorter period detects the crash
/// sooner and takes a larger share of the links' busy time.
#[test]
fn the_heartbeat_sweep_trades_detection_against_link_time() {
    let dir = scratch_dir("heartbeat");
    ok(ruvsim(&[
        "sweep",
        "scenarios/sweep-heartbeat.toml",
        "--out",
        dir.to_str().unwrap(),
    ]));
    let rows = records(&dir);
    assert_eq!(rows.len(), 10);
    let figure = |row: &[(String, String)], name: &str| -> f64 {
        field(row, name)
            .parse()
            .unwrap_or_else(|e| panic!("{name} in {row:?}: {e}"))
    };
    let (fastest, slowest) = (&rows[0], &rows[9]);
    assert!(field(fastest, "faults.heartbeat").contains("period_ms = 1.0"));
    assert!(field(slowest, "faults.heartbeat").contains("period_ms = 40.0"));
    assert!(figure(fastest, "detect_max_ms") < figure(slowest, "detect_max_ms"));
    assert!(figure(fastest, "heartbeat_link_pct") > 10.0 * figure(slowest, "heartbeat_link_pct"));
}
