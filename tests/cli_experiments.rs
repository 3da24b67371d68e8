//! End-to-end tests of `ruvsim gated` and `ruvsim gossip`, run as the built binary.

use std::path::Path;
use std::process::{Command, Output};

fn ruvsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ruvsim"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .args(args)
        .output()
        .expect("run the ruvsim binary")
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 stdout")
}

#[test]
fn gated_prints_the_comparison_and_writes_its_files() {
    let out = std::env::temp_dir().join(format!("ruvsim-gated-cli-{}", std::process::id()));
    let report = ok(ruvsim(&[
        "gated",
        "scenarios/event-gated.toml",
        "--out",
        out.to_str().unwrap(),
    ]));
    assert!(report.contains("| events missed |"), "{report}");
    assert!(report.contains("Energy ratio, polling / gated"), "{report}");
    assert!(
        report.contains("107x"),
        "the claim is quoted beside the number"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("gated.json")).unwrap()).unwrap();
    let ratio = json["outcome"]["energy_ratio"].as_f64().unwrap();
    assert!(ratio > 1.0, "{ratio}");
    let csv = std::fs::read_to_string(out.join("gated.csv")).unwrap();
    assert!(csv.starts_with("figure,gated,polling,polling_light_sleep,unit,tier\n"));
    assert!(out.join("report.md").exists());
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn gated_json_is_the_same_for_the_same_seed() {
    let args = [
        "gated",
        "scenarios/event-gated.toml",
        "--json",
        "--seed",
        "4",
    ];
    assert_eq!(ok(ruvsim(&args)), ok(ruvsim(&args)));
}

#[test]
fn gated_refuses_a_scenario_without_gated_table() {
    let output = ruvsim(&["gated", "scenarios/pipeline5.toml"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("[gated]"), "{stderr}");
}

#[test]
fn gossip_sweeps_sizes_and_fits_log2() {
    let json = ok(ruvsim(&[
        "gossip",
        "--family",
        "hypercube",
        "--peers",
        "neighbours,random",
        "--sizes",
        "64,256",
        "--seeds",
        "2",
        "--json",
    ]));
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let points = report["points"].as_array().unwrap();
    assert_eq!(points.len(), 4);
    for point in points {
        for run in point["runs"].as_array().unwrap() {
            assert_eq!(run["converged"], true);
        }
    }
    assert!(report["fits"][0]["fit"]["c"].as_f64().unwrap() > 0.0);
}

/// A study prints a line per size as it finishes it (progress on a long study), then the table.
#[test]
fn gossip_reports_each_size_as_it_goes() {
    let output = ruvsim(&[
        "gossip",
        "--family",
        "hypercube",
        "--peers",
        "neighbours",
        "--sizes",
        "64,256",
        "--seeds",
        "2",
    ]);
    assert!(output.status.success());
    let progress = String::from_utf8_lossy(&output.stderr);
    for size in ["64", "256"] {
        assert!(
            progress.contains(&format!("hypercube neighbours {size}: 2 run(s) in")),
            "{progress}"
        );
    }
    assert!(String::from_utf8_lossy(&output.stdout).contains("# Gossip membership"));
}

#[test]
fn gossip_rejects_sizes_its_family_cannot_build() {
    let output = ruvsim(&["gossip", "--family", "torus3d", "--sizes", "1000"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("powers of two"), "{stderr}");
    let output = ruvsim(&["gossip", "--link", "{ kind = \"spi\" }"]);
    assert!(!output.status.success());
}
