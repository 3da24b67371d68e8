//! Numbers on the command line: a negative value is parsed, then accepted where it means
//! something (a seed) or refused by the command's own check with what would be valid, never with
//! clap's "unexpected argument".

use std::path::Path;
use std::process::{Command, Output};

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

fn scratch(name: &str) -> String {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli_values")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir.to_string_lossy().into_owned()
}

/// Asserts a refusal by the command's own validation (status 1) or its value parser (status 2,
/// a usage error), and returns its message.
fn refused(output: Output) -> String {
    let text = stderr(&output);
    assert!(matches!(output.status.code(), Some(1 | 2)), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    assert!(!text.contains("unexpected argument"), "{text}");
    text
}

#[test]
fn a_negative_seed_is_its_twos_complement() {
    let out = scratch("seed");
    let output = ruvsim(&[
        "run",
        "scenarios/pipeline5.toml",
        "--fidelity",
        "timing",
        "--seed",
        "-1",
        "--out",
        &out,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(text.contains("seed 18446744073709551615"), "{text}");
    let text = refused(ruvsim(&[
        "run",
        "scenarios/pipeline5.toml",
        "--seed",
        "-1.5",
    ]));
    assert!(text.contains("is not a seed"), "{text}");
}

#[test]
fn negative_values_that_mean_nothing_are_refused_with_the_valid_range() {
    let text = refused(ruvsim(&[
        "project",
        "--chips",
        "10",
        "--chip-price-usd",
        "-4",
        "--out",
        &scratch("price"),
    ]));
    assert!(text.contains("-4"), "{text}");
    let text = refused(ruvsim(&[
        "generate",
        "--synthetic",
        "dim=16,hidden=32,layers=1,heads=2,kv_heads=2,vocab=32,seq=16",
        "--steps",
        "2",
        "--temperature",
        "-1",
    ]));
    assert!(
        text.contains("--temperature -1 must be a finite number >= 0"),
        "{text}"
    );
    let text = refused(ruvsim(&["regress", "--tolerance", "-2"]));
    assert!(
        text.contains("--tolerance -2 must be a percentage of at least 0"),
        "{text}"
    );
}

/// Commands that write one file take `-o`/`--output` and also `--out`, the flag every command
/// that writes a folder takes.
#[test]
fn file_outputs_also_take_out() {
    for args in [
        &[
            "model",
            "import",
            "--llama2c",
            "/nonexistent.bin",
            "--precision",
            "int8",
            "--out",
            "x.ruvm",
        ][..],
        &[
            "calibrate",
            "--trace",
            "/nonexistent.trace",
            "--out",
            "x.toml",
        ][..],
    ] {
        let output = ruvsim(args);
        let text = stderr(&output);
        assert!(!output.status.success());
        assert!(!text.contains("unexpected argument"), "{args:?}: {text}");
        assert!(text.contains("nonexistent"), "{args:?}: {text}");
    }
}
