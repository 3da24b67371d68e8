//! End-to-end tests of `ruvsim model import`, `ruvsim model info` and `ruvsim generate`, run as
//! the built binary. Tests marked "real model" need `RUVSIM_MODEL_DIR` (see
//! `ruvsim_core::model_dir`); the others craft their inputs.

use ruvsim_core::ModelShape;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ruvsim_core::llama2c::Checkpoint;
use ruvsim_core::model_dir;
use ruvsim_core::{synthetic_model, synthetic_weights, AttentionPattern, ModelConfig, Precision};

const STORIES_SHAPE: &str = "dim=64,hidden=172,layers=5,heads=8,kv_heads=4,vocab=512,seq=512";

/// What llama2.c's `run.c` prints for stories260K at temperature 0 with the default 256 steps,
/// as published in llama2.c's `doc/stories260K.md`
/// (`./run stories260K/stories260K.bin -z stories260K/tok512.bin -t 0.0`).
const LLAMA2C_STORIES260K_GREEDY: &str = "Once upon a time, there was a little girl named Lily. \
She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with \
it, but it was too high.\nLily's mom said, \"Lily, let's go to the park.\" Lily was sad and didn't \
know what to do. She said, \"I want to play with your ball, but I can't find it.\"\nLily was sad \
and didn't know what to do. She said, \"I'm sorry, Lily. I didn't know what to do.\"\nLily didn't \
want to help her mom, so she said, \"I'm sorry, mom. I didn't know what to do.\" Her mom said, \
\"Don't worry, Lily. We can help you.\n";

/// Runs the binary with `args`.
fn ruvsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ruvsim"))
        .args(args)
        .output()
        .expect("run the ruvsim binary")
}

/// Runs the binary and returns stdout, failing the test (with stderr) if it fails.
fn ruvsim_ok(args: &[&str]) -> String {
    let output = ruvsim(args);
    assert!(
        output.status.success(),
        "ruvsim failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// Runs the binary expecting an ordinary failure (exit status 1, not a panic) and returns stderr.
fn ruvsim_err(args: &[&str]) -> String {
    let output = ruvsim(args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(1),
        "expected exit status 1: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// A path as a command-line argument (scratch and model paths are UTF-8 here).
fn text(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// A fresh directory for one test's files.
fn scratch_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli_model")
        .join(test);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create scratch directory");
    dir
}

/// A small model shape for crafted inputs.
fn small_config(precision: Precision) -> ModelConfig {
    ModelConfig {
        shape: ModelShape {
            dim: 32,
            hidden_dim: 48,
            n_layers: 2,
            n_heads: 4,
            n_kv_heads: 2,
            vocab_size: 64,
            seq_len: 32,
            shared_classifier: false,
        },
        precision,
        attention: AttentionPattern::Full,
    }
}

/// A llama2.c checkpoint of [`small_config`] with synthetic weights.
fn small_checkpoint_bytes() -> Vec<u8> {
    let config = small_config(Precision::F32);
    let checkpoint = Checkpoint {
        shape: ModelShape {
            dim: config.shape.dim,
            hidden_dim: config.shape.hidden_dim,
            n_layers: config.shape.n_layers,
            n_heads: config.shape.n_heads,
            n_kv_heads: config.shape.n_kv_heads,
            vocab_size: config.shape.vocab_size,
            seq_len: config.shape.seq_len,
            shared_classifier: config.shape.shared_classifier,
        },
        weights: synthetic_weights(&config, 3).expect("synthetic weights"),
    };
    checkpoint.to_bytes().expect("serialise checkpoint")
}

fn precision_names() -> [&'static str; 4] {
    ["f32", "int8", "int4", "binary"]
}

#[test]
fn crafted_checkpoint_imports_at_every_precision() {
    let dir = scratch_dir("crafted_import");
    let checkpoint = dir.join("small.bin");
    fs::write(&checkpoint, small_checkpoint_bytes()).unwrap();
    for precision in precision_names() {
        let out = dir.join(format!("small-{precision}.ruvm"));
        let stdout = ruvsim_ok(&[
            "model",
            "import",
            "--llama2c",
            text(&checkpoint),
            "--precision",
            precision,
            "-o",
            text(&out),
        ]);
        assert!(stdout.contains(&format!("at {precision}")), "{stdout}");
        let info = ruvsim_ok(&["model", "info", text(&out)]);
        assert!(
            info.contains(&format!("precision: {precision}\n")),
            "{info}"
        );
        assert!(info.contains("classifier: separate (wcls)"), "{info}");
        assert!(
            info.contains(
                "config: dim 32, hidden 48, layers 2, heads 4, kv_heads 2, vocab 64, seq_len 32"
            ),
            "{info}"
        );
        let size = fs::metadata(&out).unwrap().len();
        assert!(info.contains(&format!("size: {size} bytes")), "{info}");
    }
}

#[test]
fn real_model_imports_and_info_reports_the_footprint() {
    let Some(dir_with_models) = model_dir::locate().expect("model directory") else {
        return;
    };
    let dir = scratch_dir("stories_import");
    let checkpoint = dir_with_models.join("stories260K.bin");
    let tokenizer = dir_with_models.join("tok512.bin");
    for precision in precision_names() {
        let out = dir.join(format!("stories260K-{precision}.ruvm"));
        let stdout = ruvsim_ok(&[
            "model",
            "import",
            "--llama2c",
            text(&checkpoint),
            "--tokenizer",
            text(&tokenizer),
            "--precision",
            precision,
            "-o",
            text(&out),
        ]);
        assert!(
            stdout.contains("matches the vocabulary (512 tokens)"),
            "{stdout}"
        );
        let info = ruvsim_ok(&["model", "info", text(&out)]);
        for expected in [
            "config: dim 64, hidden 172, layers 5, heads 8, kv_heads 4, vocab 512, seq_len 512\n",
            "head size: 8, kv_dim: 32\n",
            "classifier: shared with the token embedding\n",
            "attention: full\n",
            "checksums: header and payload CRC-32 verified\n",
            &format!("precision: {precision}\n"),
        ] {
            assert!(info.contains(expected), "missing {expected:?} in\n{info}");
        }
        // KV cache of one layer for 512 positions of kv_dim 32: keys and values, f32 elements;
        // integer models store i8 elements plus one u32 step per position and KV head.
        let layer_kv = if precision == "f32" {
            2 * 512 * 32 * 4
        } else {
            2 * 512 * 32 + 2 * 512 * 4 * 4
        };
        let expected = format!("KV cache {layer_kv} bytes (full context of 512)");
        let per_layer = info.lines().find(|l| l.starts_with("per layer:")).unwrap();
        assert!(per_layer.contains(&expected), "{per_layer}");
    }
}

#[test]
fn real_model_greedy_f32_matches_llama2c() {
    let Some(models) = model_dir::locate().expect("model directory") else {
        return;
    };
    let tokenizer = models.join("tok512.bin");
    let checkpoint = models.join("stories260K.bin");
    let dir = scratch_dir("stories_greedy");
    let imported = dir.join("stories260K-f32.ruvm");
    ruvsim_ok(&[
        "model",
        "import",
        "--llama2c",
        text(&checkpoint),
        "--precision",
        "f32",
        "-o",
        text(&imported),
    ]);
    // The checkpoint converted on the fly and the imported file give llama2.c's text.
    for model in [&checkpoint, &imported] {
        let stdout = ruvsim_ok(&[
            "generate",
            "--model",
            text(model),
            "--tokenizer",
            text(&tokenizer),
            "--steps",
            "256",
            "--temperature",
            "0",
        ]);
        assert_eq!(stdout, LLAMA2C_STORIES260K_GREEDY);
    }
}

#[test]
fn real_model_int8_continues_the_prompt() {
    let Some(models) = model_dir::locate().expect("model directory") else {
        return;
    };
    let output = ruvsim(&[
        "generate",
        "--model",
        text(&models.join("stories260K.bin")),
        "--precision",
        "int8",
        "--tokenizer",
        text(&models.join("tok512.bin")),
        "--prompt",
        "Once upon a time",
        "--steps",
        "40",
        "--seed",
        "5",
    ]);
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.starts_with("Once upon a time"), "{stdout}");
    assert!(stdout.len() > "Once upon a time".len() + 20, "{stdout}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("tokens/s on this host"), "{stderr}");
}

#[test]
fn real_model_tokenizer_must_match_the_vocabulary() {
    let Some(models) = model_dir::locate().expect("model directory") else {
        return;
    };
    let shape = STORIES_SHAPE.replace("vocab=512", "vocab=300");
    let stderr = ruvsim_err(&[
        "generate",
        "--synthetic",
        &shape,
        "--tokenizer",
        text(&models.join("tok512.bin")),
        "--steps",
        "4",
    ]);
    assert!(
        stderr.contains("not a llama2.c tokenizer for a vocabulary of 300"),
        "{stderr}"
    );
    assert!(stderr.contains("bytes after its 300 tokens"), "{stderr}");
}

#[test]
fn synthetic_generation_is_deterministic() {
    let run = |precision: &str, seed: &str| {
        ruvsim_ok(&[
            "generate",
            "--synthetic",
            STORIES_SHAPE,
            "--precision",
            precision,
            "--seed",
            seed,
            "--steps",
            "24",
            "--temperature",
            "0.9",
            "--top-p",
            "0.95",
        ])
    };
    for precision in ["f32", "int8"] {
        let first = run(precision, "11");
        assert_eq!(
            first,
            run(precision, "11"),
            "{precision}: same seed, same tokens"
        );
        let ids: Vec<u32> = first
            .split_whitespace()
            .map(|id| id.parse().expect("token ids"))
            .collect();
        assert_eq!(ids.len(), 24, "one token chosen per position: {first}");
        assert!(ids.iter().all(|&id| id < 512));
        assert_ne!(
            first,
            run(precision, "12"),
            "{precision}: another seed, other tokens"
        );
    }
}

#[test]
fn corrupt_model_files_fail_with_the_reason() {
    let dir = scratch_dir("corrupt");
    let good = synthetic_model(&small_config(Precision::Int8), 9).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        fs::write(&path, bytes).unwrap();
        path
    };
    let mut payload_flip = good.clone();
    let last = payload_flip.len() - 1;
    payload_flip[last] ^= 0x40;
    let mut header_flip = good.clone();
    header_flip[16] ^= 1;
    let cases = [
        (
            write("payload.ruvm", &payload_flip),
            "payload checksum mismatch",
        ),
        (
            write("header.ruvm", &header_flip),
            "header checksum mismatch",
        ),
        (
            write("truncated.ruvm", &good[..good.len() / 2]),
            "truncated",
        ),
        (
            write("garbage.ruvm", b"definitely not a model"),
            "bad magic",
        ),
        (write("empty.ruvm", b""), "truncated"),
    ];
    for (path, reason) in &cases {
        let stderr = ruvsim_err(&["model", "info", text(path)]);
        assert!(stderr.contains("is not a valid ruvsim model"), "{stderr}");
        assert!(
            stderr.contains(reason),
            "{path:?}: expected {reason:?} in {stderr}"
        );
    }
    let stderr = ruvsim_err(&["generate", "--model", text(&cases[0].0), "--steps", "2"]);
    assert!(stderr.contains("payload checksum mismatch"), "{stderr}");
    let missing = dir.join("missing.ruvm");
    let stderr = ruvsim_err(&["model", "info", text(&missing)]);
    assert!(stderr.contains("cannot read"), "{stderr}");
}

#[test]
fn corrupt_checkpoints_fail_with_the_reason() {
    let dir = scratch_dir("corrupt_checkpoint");
    let bytes = small_checkpoint_bytes();
    let truncated = dir.join("truncated.bin");
    fs::write(&truncated, &bytes[..bytes.len() - 4]).unwrap();
    let out = dir.join("out.ruvm");
    let import = |checkpoint: &Path| {
        ruvsim_err(&[
            "model",
            "import",
            "--llama2c",
            text(checkpoint),
            "--precision",
            "int8",
            "-o",
            text(&out),
        ])
    };
    let stderr = import(&truncated);
    assert!(stderr.contains("truncated inside tensor wcls"), "{stderr}");
    let mut bad_heads = bytes.clone();
    bad_heads[12..16].copy_from_slice(&3i32.to_le_bytes());
    let bad_heads_path = dir.join("bad_heads.bin");
    fs::write(&bad_heads_path, &bad_heads).unwrap();
    let stderr = import(&bad_heads_path);
    assert!(
        stderr.contains("dim 32 is not divisible by n_heads 3"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is written on failure");
    // The same truncated checkpoint given to generate is named as neither format.
    let stderr = ruvsim_err(&["generate", "--model", text(&truncated), "--steps", "2"]);
    assert!(stderr.contains("neither a ruvsim model"), "{stderr}");
}

#[test]
fn bad_arguments_are_refused_before_running() {
    let synthetic = ["generate", "--synthetic", STORIES_SHAPE];
    let with = |extra: &[&'static str]| [&synthetic[..], extra].concat();
    let cases: [(&[&str], &str); 5] = [
        (&["--steps", "513"], "outside 1..=512"),
        (&["--steps", "0"], "outside 1..=512"),
        (&["--steps", "4", "--top-p", "1.5"], "must be in (0, 1]"),
        (
            &["--steps", "4", "--temperature=-1"],
            "must be a finite number >= 0",
        ),
        (
            &["--steps", "4", "--prompt", "hello"],
            "--prompt needs --tokenizer",
        ),
    ];
    for (extra, reason) in cases {
        let stderr = ruvsim_err(&with(extra));
        assert!(stderr.contains(reason), "{extra:?}: {stderr}");
    }
    let output = ruvsim(&["generate", "--synthetic", "dim=64", "--steps", "2"]);
    assert_eq!(output.status.code(), Some(2), "clap rejects the shape");
    assert!(String::from_utf8_lossy(&output.stderr).contains("missing key `hidden`"));
}

#[test]
fn each_cause_is_printed_once() {
    let dir = scratch_dir("cause-once");
    let missing = dir.join("missing.bin");
    let stderr = ruvsim_err(&["generate", "--model", text(&missing), "--steps", "2"]);
    assert_eq!(stderr.matches("os error 2").count(), 1, "{stderr}");
    let short = dir.join("short.bin");
    fs::write(&short, b"x").unwrap();
    let stderr = ruvsim_err(&["generate", "--model", text(&short), "--steps", "2"]);
    assert_eq!(stderr.matches("too short").count(), 1, "{stderr}");
}
