//! End-to-end tests of `ruvsim project`, run as the built binary with small simulation limits
//! (timing fidelity, at most 40 chips simulated) so they stay fast.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ruvsim_reports::projection::{PROJECTION_COLUMNS, PROJECTION_FILES};

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

/// Asserts an ordinary failure (exit status 1 or a usage error, not a panic); returns stderr.
fn fails(output: Output) -> String {
    let text = stderr(&output);
    assert!(!output.status.success(), "expected a failure");
    assert!(!text.contains("panicked"), "{text}");
    text
}

/// A fresh directory for one test's files.
fn scratch_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli_project")
        .join(test);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create scratch directory");
    dir
}

/// Runs a projection into `dir` and returns stdout.
fn project(dir: &Path, args: &[&str]) -> String {
    let out = dir.to_str().unwrap();
    let mut all = vec!["project", "--out", out];
    all.extend_from_slice(args);
    ok(ruvsim(&all))
}

/// The CSV's records as (chips, tier) pairs, after checking the header.
fn tiers(dir: &Path) -> Vec<(u32, String)> {
    let csv = fs::read_to_string(dir.join("projection.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some(PROJECTION_COLUMNS.join(",").as_str()));
    lines
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            (
                fields[0].parse().unwrap(),
                fields.last().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn projected_rows_are_labelled_projected_and_simulated_rows_simulated() {
    let dir = scratch_dir("tiers");
    let stdout = project(&dir, &["--chips", "200", "--max-sim-chips", "20"]);
    let expected: Vec<(u32, String)> = [
        (5, "simulated"),
        (10, "simulated"),
        (20, "simulated"),
        (40, "projected"),
        (80, "projected"),
        (160, "projected"),
        (200, "projected"),
    ]
    .iter()
    .map(|&(c, t)| (c, t.to_string()))
    .collect();
    assert_eq!(tiers(&dir), expected);
    assert!(stdout.contains("tier"), "{stdout}");
    assert!(
        stdout.contains(" ± "),
        "projected rows carry their error: {stdout}"
    );
    assert!(stdout.contains("Every stage transfer is 1 hop"), "{stdout}");
    assert!(stdout.contains("energy: not modelled"), "{stdout}");
    for file in PROJECTION_FILES {
        assert!(dir.join(file).is_file(), "{file}");
    }
}

#[test]
fn chips_within_the_limit_give_only_simulated_rows() {
    let dir = scratch_dir("within");
    project(&dir, &["--chips", "30", "--max-sim-chips", "40"]);
    let rows = tiers(&dir);
    assert_eq!(
        rows.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        vec![5, 10, 20, 30]
    );
    assert!(rows.iter().all(|(_, t)| t == "simulated"), "{rows:?}");
}

#[test]
fn the_same_projection_gives_the_same_bytes() {
    let (a, b) = (scratch_dir("same_a"), scratch_dir("same_b"));
    let args = [
        "--chips",
        "100",
        "--max-sim-chips",
        "20",
        "--chip-price-usd",
        "4",
    ];
    let out_a = project(&a, &args);
    let out_b = project(&b, &args);
    let strip = |text: &str, dir: &Path| text.replace(dir.to_str().unwrap(), "DIR");
    assert_eq!(strip(&out_a, &a), strip(&out_b, &b));
    for file in PROJECTION_FILES {
        let bytes = |dir: &Path| fs::read(dir.join(file)).unwrap();
        assert_eq!(bytes(&a), bytes(&b), "{file} differs between two runs");
    }
}

#[test]
fn the_held_back_size_is_predicted_within_the_stated_error() {
    let dir = scratch_dir("held_back");
    project(&dir, &["--chips", "80", "--max-sim-chips", "40"]);
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("projection.json")).unwrap()).unwrap();
    let fit = &json["fit"];
    let simulated = fit["held_back_simulated"].as_f64().unwrap();
    let predicted = fit["selection"]["held_back_predicted"].as_f64().unwrap();
    let stated = fit["selection"]["held_back_error"].as_f64().unwrap().abs();
    assert_eq!(fit["held_back_chips"], 40);
    assert!(((predicted - simulated) / simulated).abs() <= stated * (1.0 + 1e-9) + 1e-12);
    let last = json["rows"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["tier"], "projected");
    assert_eq!(last["throughput_error"].as_f64().unwrap(), stated);
}

#[test]
fn a_forced_family_is_used_or_refused_with_the_sizes_that_work() {
    let dir = scratch_dir("forced");
    let stdout = project(
        &dir,
        &[
            "--chips",
            "40",
            "--max-sim-chips",
            "40",
            "--topology",
            "chain",
        ],
    );
    assert!(stdout.contains("chain of 40"), "{stdout}");
    let err = fails(ruvsim(&[
        "project",
        "--chips",
        "40",
        "--max-sim-chips",
        "40",
        "--topology",
        "hypercube",
        "--out",
        dir.to_str().unwrap(),
    ]));
    assert!(err.contains("topology hypercube cannot be built"), "{err}");
    assert!(err.contains("try --topology auto"), "{err}");
}

#[test]
fn bad_arguments_fail_with_a_clear_message() {
    let dir = scratch_dir("bad");
    let out = dir.to_str().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (&["--chips", "0"], "--chips 0 is smaller than one replica"),
        (
            &["--chips", "100", "--max-sim-chips", "2"],
            "--max-sim-chips 2 is smaller",
        ),
        (
            &["--chips", "100", "--max-sim-chips", "10"],
            "raise --max-sim-chips",
        ),
        (
            &["--chips", "10", "--topology", "hypercub"],
            "unknown topology kind `hypercub`",
        ),
        (&["--chips", "10", "--variant", "esp33"], "--variant"),
        (&["--chips", "-5"], "--chips"),
    ];
    for (args, message) in cases {
        let mut all = vec!["project", "--out", out];
        all.extend_from_slice(args);
        let err = fails(ruvsim(&all));
        assert!(err.contains(message), "{args:?}: {err}");
    }
}

#[test]
fn a_base_scenario_that_does_not_fit_is_refused() {
    let dir = scratch_dir("no_fit");
    let scenario = dir.join("big.toml");
    fs::write(
        &scenario,
        r#"
[scenario]
name = "big"
fidelity = "timing"

[model]
source = "synthetic"
shape = "stories110m"
precision = "int8"

[cluster]
variant = "esp32s3"
topology = { kind = "chain", chips = 1 }
link = { kind = "spi", clock_mhz = 40, lines = 2, mode = "polling_dma" }

[workload]
arrivals = { kind = "closed_loop", concurrency = 1 }
requests = 2
prompt = { length = 4 }
new_tokens = 4
"#,
    )
    .unwrap();
    let err = fails(ruvsim(&[
        "project",
        "--chips",
        "10",
        "--scenario",
        scenario.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]));
    assert!(err.contains("does not run as one replica"), "{err}");
    assert!(err.contains("does not fit"), "{err}");
    assert_eq!(
        err.matches("does not fit").count(),
        1,
        "the cause is printed once: {err}"
    );
}

#[test]
fn project_takes_a_seed_and_prints_json_like_run() {
    let dir = scratch_dir("json");
    let stdout = project(
        &dir,
        &[
            "--chips",
            "10",
            "--max-sim-chips",
            "10",
            "--seed",
            "3",
            "--json",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("stdout is JSON");
    assert_eq!(json["chips_requested"], 10);
    assert_eq!(
        json,
        serde_json::from_str::<serde_json::Value>(
            &fs::read_to_string(dir.join("projection.json")).unwrap()
        )
        .unwrap(),
        "stdout is projection.json"
    );
}
