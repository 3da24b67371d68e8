//! End-to-end tests of `ruvsim run` and `ruvsim regress`, run as the built binary on scenarios of
//! the library (`scenarios/`) and on crafted variants of them.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ruvsim_core::model_dir::{MODEL_DIR_VAR, REQUIRE_ALL_VAR};
use ruvsim_reports::Records;

/// Runs the binary with `args` in `dir`, without the model-directory variables of the caller's
/// environment (tests that want them set them).
fn ruvsim_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ruvsim"));
    command
        .current_dir(dir)
        .args(args)
        .env_remove(MODEL_DIR_VAR)
        .env_remove(REQUIRE_ALL_VAR);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run the ruvsim binary")
}

/// Runs the binary from the package root.
fn ruvsim(args: &[&str]) -> Output {
    ruvsim_in(Path::new(env!("CARGO_MANIFEST_DIR")), args, &[])
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 stdout")
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
    stdout(&output)
}

/// Asserts an ordinary failure (exit status 1, not a panic) and returns stderr.
fn fails(output: Output) -> String {
    let text = stderr(&output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "expected exit status 1: {text}"
    );
    assert!(!text.contains("panicked"), "{text}");
    text
}

/// A fresh directory for one test's files.
fn scratch_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli_run")
        .join(test);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create scratch directory");
    dir
}

/// A scenario of the library, as an absolute path.
fn library(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(file)
}

fn text(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// Writes `scenario` with `edit` applied to `dir/file` and returns its path.
fn edited_scenario(
    dir: &Path,
    file: &str,
    scenario: &str,
    edit: impl Fn(String) -> String,
) -> PathBuf {
    let original = fs::read_to_string(library(scenario)).expect("read scenario");
    let edited = edit(original.clone());
    assert_ne!(edited, original, "the edit must change the scenario");
    let path = dir.join(file);
    fs::write(&path, edited).expect("write scenario");
    path
}

#[test]
fn run_writes_every_report_file_identically_twice() {
    let dir = scratch_dir("twice");
    let scenario = library("pipeline5.toml");
    for out in ["a", "b"] {
        let out = dir.join(out);
        let printed = ok(ruvsim(&["run", text(&scenario), "--out", text(&out)]));
        assert!(printed.contains("throughput"), "{printed}");
        assert!(
            printed.contains("simulated"),
            "every figure shows its tier: {printed}"
        );
        assert!(printed.contains("bottleneck:"), "{printed}");
        assert!(
            printed.contains(text(&out)),
            "names the output folder: {printed}"
        );
    }
    for file in Records::All.files() {
        let a = fs::read(dir.join("a").join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let b = fs::read(dir.join("b").join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(!a.is_empty(), "{file} is empty");
        assert!(a == b, "{file} differs between two identical runs");
    }
}

#[test]
fn default_output_folder_is_named_after_the_scenario() {
    let dir = scratch_dir("default_out");
    let scenario = library("standalone-esp32s3.toml");
    ok(ruvsim_in(&dir, &["run", text(&scenario)], &[]));
    let out = dir.join("ruvsim-out").join("standalone-esp32s3");
    for file in Records::All.files() {
        assert!(
            out.join(file).is_file(),
            "{} missing",
            out.join(file).display()
        );
    }
}

#[test]
fn json_prints_only_a_valid_summary_document() {
    let dir = scratch_dir("json");
    let scenario = library("standalone-esp32s3.toml");
    let printed = ok(ruvsim(&[
        "run",
        text(&scenario),
        "--out",
        text(&dir),
        "--json",
        "--seed",
        "9",
        "--fidelity",
        "timing",
    ]));
    let json: serde_json::Value = serde_json::from_str(&printed).expect("stdout is one JSON value");
    assert_eq!(json["scenario"], "standalone-esp32s3");
    assert_eq!(json["seed"], 9);
    assert_eq!(json["fidelity"], "timing");
    let figures = json["figures"].as_array().expect("figures");
    let throughput = figures
        .iter()
        .find(|f| f["figure"] == "throughput")
        .expect("a throughput figure");
    assert!(throughput["value"].as_f64().is_some_and(|v| v > 0.0));
    assert_eq!(throughput["tier"], "simulated");
    assert!(json["bottleneck"]["explanation"].is_string());
    assert_eq!(
        json["files"].as_array().map(Vec::len),
        Some(Records::All.files().len())
    );
}

#[test]
fn records_summary_writes_the_page_summary_and_a_slim_result_only() {
    let dir = scratch_dir("records_summary");
    let scenario = library("pipeline5.toml");
    let printed = ok(ruvsim(&[
        "run",
        text(&scenario),
        "--out",
        text(&dir),
        "--records",
        "summary",
        "--json",
    ]));
    let json: serde_json::Value = serde_json::from_str(&printed).expect("stdout is one JSON value");
    assert_eq!(json["files"].as_array().map(Vec::len), Some(3));
    for file in ["report.html", "summary.csv", "result.json"] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    for file in ["tokens.csv", "chips.csv", "links.csv", "timeline.json"] {
        assert!(!dir.join(file).exists(), "{file} written in summary mode");
    }
    let result: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("result.json")).unwrap()).unwrap();
    assert_eq!(result["tokens"].as_array().map(Vec::len), Some(0));
    assert!(result["summary"]["tokens_generated"]
        .as_u64()
        .is_some_and(|t| t > 0));
}

#[test]
fn unknown_records_volume_names_the_valid_ones() {
    let scenario = library("pipeline5.toml");
    let out = ruvsim(&["run", text(&scenario), "--records", "some"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("all") && err.contains("summary"), "{err}");
}

#[test]
fn a_run_larger_than_the_machine_is_refused_with_the_estimate_and_what_fits() {
    let dir = scratch_dir("too_large");
    let huge = edited_scenario(&dir, "huge.toml", "pipeline5.toml", |s| {
        s.replacen("chips = 5 }", "chips = 4000000000 }", 1)
            .replacen("pipeline = 5 ", "pipeline = 1 ", 1)
    });
    let out = ruvsim(&["run", text(&huge), "--out", text(&dir.join("out"))]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("estimated") && err.contains("GiB"), "{err}");
    assert!(err.contains("chips fit"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn misspelt_key_names_file_line_column_and_the_nearest_key() {
    let dir = scratch_dir("misspelt");
    let bad = edited_scenario(&dir, "bad.toml", "pipeline5.toml", |s| {
        s.replacen("pipeline = 5 ", "pipline = 5 ", 1)
    });
    let line = fs::read_to_string(&bad)
        .expect("read")
        .lines()
        .position(|l| l.starts_with("pipline"))
        .expect("the misspelt line")
        + 1;
    let message = fails(ruvsim(&["run", text(&bad), "--out", text(&dir)]));
    assert!(
        message.contains(&format!("bad.toml:{line}:1: unknown field `pipline`")),
        "{message}"
    );
    assert!(message.contains("did you mean `pipeline`?"), "{message}");
    assert!(
        message.contains("| pipline = 5"),
        "shows the offending text: {message}"
    );
}

/// A change to a scenario's text.
type Edit = fn(String) -> String;

#[test]
fn invalid_values_say_what_is_valid() {
    let dir = scratch_dir("invalid");
    let cases: [(&str, Edit, &str); 5] = [
        (
            "lines.toml",
            |s| s.replacen("lines = 2", "lines = 3", 1),
            "cluster.link: SPI lines = 3; valid: 1, 2, 4, 8",
        ),
        (
            "clock.toml",
            |s| s.replacen("clock_mhz = 240", "clock_mhz = 300", 1),
            "cluster.cpu.clock_mhz = 300 is outside 1..=240 MHz",
        ),
        (
            "prompt.toml",
            |s| s.replacen("{ length = 8 }", "{ lenght = 8 }", 1),
            "{ length = N }",
        ),
        // A value of the wrong type is described in words, not as a Rust type.
        (
            "type.toml",
            |s| s.replacen("requests = ", "requests = \"ten\" # ", 1),
            "a whole number from 0 to 4,294,967,295",
        ),
        (
            "negative.toml",
            |s| s.replacen("requests = ", "requests = -3 # ", 1),
            "a whole number from 0 to 4,294,967,295",
        ),
    ];
    for (file, edit, expected) in cases {
        let bad = edited_scenario(&dir, file, "pipeline5.toml", edit);
        let message = fails(ruvsim(&["run", text(&bad), "--out", text(&dir)]));
        assert!(message.contains(expected), "{file}: {message}");
        assert!(!message.contains("u32"), "{file}: {message}");
        assert_eq!(
            message.matches(expected).count(),
            1,
            "{file}: the cause is printed once: {message}"
        );
    }
}

#[test]
fn a_model_that_does_not_fit_reports_the_budget() {
    let dir = scratch_dir("too_big");
    let bad = edited_scenario(&dir, "f32.toml", "standalone-esp32s3.toml", |s| {
        s.replacen("precision = \"int8\"", "precision = \"f32\"", 1)
            .replacen("memory = {", "# memory = {", 1)
    });
    let message = fails(ruvsim(&["run", text(&bad), "--out", text(&dir)]));
    assert!(message.contains("the model does not fit"), "{message}");
    assert!(message.contains("bytes over"), "{message}");
    assert!(message.contains("What would fit"), "{message}");
    assert!(
        !dir.join("report.html").exists(),
        "nothing written on failure"
    );
}

// ---- regress ----

/// The baseline header of the current format.
const HEADER: &str = "scenario,fidelity,throughput_tok_s,ttft_p50_ps,itl_p50_ps,itl_p99_ps,request_latency_p99_ps,requests_failed";

/// A baseline in `dir` for `scenarios` (absolute paths), recorded by `--update`.
fn recorded_baseline(dir: &Path, scenarios: &[(&str, &str)]) -> PathBuf {
    let path = dir.join("baseline.csv");
    let mut body = format!("{HEADER}\n");
    for (scenario, fidelity) in scenarios {
        body.push_str(&format!("{},{fidelity},,,,,,\n", text(&library(scenario))));
    }
    fs::write(&path, body).expect("write baseline");
    let printed = ok(ruvsim(&["regress", "--baseline", text(&path), "--update"]));
    assert!(printed.contains("updated"), "{printed}");
    path
}

/// Replaces one figure cell of the row of `scenario` in `baseline`.
fn set_figure(baseline: &Path, scenario: &str, column: &str, value: impl Fn(&str) -> String) {
    let text = fs::read_to_string(baseline).expect("read baseline");
    let index = HEADER
        .split(',')
        .position(|c| c == column)
        .expect("a baseline column");
    let edited: Vec<String> = text
        .lines()
        .map(|line| {
            if line.contains(scenario) && !line.starts_with('#') {
                let mut cells: Vec<String> = line.split(',').map(String::from).collect();
                cells[index] = value(&cells[index]);
                cells.join(",")
            } else {
                line.to_string()
            }
        })
        .collect();
    fs::write(baseline, edited.join("\n") + "\n").expect("write baseline");
}

fn scale(cell: &str, factor: f64) -> String {
    let value: f64 = cell.parse().expect("a recorded number");
    format!("{}", value * factor)
}

#[test]
fn regress_passes_on_a_fresh_baseline_and_reports_improvements() {
    let dir = scratch_dir("regress_improved");
    let baseline = recorded_baseline(
        &dir,
        &[
            ("pipeline5-one-stream.toml", "functional"),
            ("standalone-esp32s3.toml", "timing"),
        ],
    );
    let printed = ok(ruvsim(&["regress", "--baseline", text(&baseline)]));
    assert!(
        printed.contains("pipeline5-one-stream.toml (functional): unchanged"),
        "{printed}"
    );
    assert!(printed.contains("no regressions"), "{printed}");

    // A lower recorded throughput means the simulator now does better: reported, but passes.
    set_figure(&baseline, "pipeline5-one-stream", "throughput_tok_s", |c| {
        scale(c, 0.9)
    });
    let printed = ok(ruvsim(&["regress", "--baseline", text(&baseline)]));
    assert!(printed.contains("improved"), "{printed}");
    assert!(printed.contains("run --update to record them"), "{printed}");
}

#[test]
fn regress_fails_naming_scenario_and_figure() {
    let dir = scratch_dir("regress_regressed");
    let baseline = recorded_baseline(&dir, &[("standalone-esp32s3.toml", "functional")]);
    set_figure(&baseline, "standalone-esp32s3", "throughput_tok_s", |c| {
        scale(c, 1.01)
    });
    let output = ruvsim(&["regress", "--baseline", text(&baseline)]);
    let printed = stdout(&output);
    let message = fails(output);
    assert!(printed.contains("REGRESSED"), "{printed}");
    assert!(
        message.contains("standalone-esp32s3.toml throughput_tok_s"),
        "{message}"
    );
    // A 1% loss passes with a 2% tolerance.
    ok(ruvsim(&[
        "regress",
        "--baseline",
        text(&baseline),
        "--tolerance",
        "2",
    ]));

    // A latency recorded lower than now is a regression too.
    set_figure(&baseline, "standalone-esp32s3", "throughput_tok_s", |c| {
        scale(c, 0.5)
    });
    set_figure(&baseline, "standalone-esp32s3", "itl_p50_ps", |c| {
        (c.parse::<u64>().expect("ps") - 1).to_string()
    });
    let message = fails(ruvsim(&["regress", "--baseline", text(&baseline)]));
    assert!(message.contains("itl_p50_ps"), "{message}");
    assert!(!message.contains("throughput_tok_s"), "{message}");

    // --update records the run's figures again.
    let edited = fs::read_to_string(&baseline).expect("read");
    ok(ruvsim(&[
        "regress",
        "--baseline",
        text(&baseline),
        "--update",
    ]));
    let updated = fs::read_to_string(&baseline).expect("read");
    assert_ne!(updated, edited, "the edited figures were rewritten");
    ok(ruvsim(&["regress", "--baseline", text(&baseline)]));
}

#[test]
fn regress_reports_a_malformed_line_with_its_number() {
    let dir = scratch_dir("regress_malformed");
    let baseline = dir.join("baseline.csv");
    fs::write(
        &baseline,
        format!("# a comment\n{HEADER}\nstandalone-esp32s3.toml,functional,fast,1,1,1,1,0\n"),
    )
    .expect("write");
    let message = fails(ruvsim(&["regress", "--baseline", text(&baseline)]));
    assert!(message.contains("baseline.csv:3:"), "{message}");
    assert!(message.contains("throughput_tok_s `fast`"), "{message}");
}

#[test]
fn regress_skips_scenarios_without_their_model_unless_all_are_required() {
    let dir = scratch_dir("regress_skip");
    let baseline = dir.join("baseline.csv");
    fs::write(
        &baseline,
        format!(
            "{HEADER}\n{},functional,1,1,1,1,1,0\n",
            text(&library("stories260k-s3-psram.toml"))
        ),
    )
    .expect("write");
    let printed = ok(ruvsim(&["regress", "--baseline", text(&baseline)]));
    assert!(printed.contains("skipped"), "{printed}");
    assert!(printed.contains("stories260K.bin"), "{printed}");
    assert!(
        printed.contains("NOT CHECKED: 1 of 1 scenario(s) skipped"),
        "{printed}"
    );
    let message = fails(ruvsim_in(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["regress", "--baseline", text(&baseline)],
        &[(REQUIRE_ALL_VAR, "1")],
    ));
    assert!(message.contains(REQUIRE_ALL_VAR), "{message}");
}

#[test]
fn run_prints_what_the_timeline_holds_and_its_limit() {
    let dir = scratch_dir("timeline-limit");
    let out = dir.to_str().unwrap();
    let text = ok(ruvsim(&[
        "run",
        "scenarios/pipeline5.toml",
        "--fidelity",
        "timing",
        "--timeline-limit",
        "10",
        "--out",
        out,
    ]));
    assert!(
        text.contains("timeline: 10 spans written, the limit (--timeline-limit 10);"),
        "{text}"
    );
    let text = ok(ruvsim(&[
        "run",
        "scenarios/pipeline5.toml",
        "--fidelity",
        "timing",
        "--records",
        "summary",
        "--out",
        out,
    ]));
    assert!(
        text.contains("timeline: not written (--records summary)"),
        "{text}"
    );
}

#[test]
fn run_without_a_scenario_runs_the_built_in_pipeline5() {
    let dir = scratch_dir("built-in");
    let output = ruvsim_in(&dir, &["run", "--out", "report"], &[]);
    let text = ok(output);
    assert!(text.starts_with("pipeline5: 5 x ESP32-S3"), "{text}");
    assert!(dir.join("report/report.html").is_file());
}
