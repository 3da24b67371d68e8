//! The report folder: every file written, byte-identical for the same result, CSV tables with
//! their documented headers, `result.json` as the whole result, and `timeline.json` as a valid
//! Chrome trace.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use ruvsim_reports::csv::{CHIP_COLUMNS, LINK_COLUMNS, SUMMARY_COLUMNS, TOKEN_COLUMNS};
use ruvsim_reports::{summary_rows, write_run_report, Records, ReportError};
use ruvsim_sim::result::RunResult;
use ruvsim_sim::run::{simulate, RunOptions};
use ruvsim_sim::scenario::Fidelity;
use serde_json::Value;

fn read(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Rows of a CSV file without quoted fields, header first.
fn rows(text: &str) -> Vec<Vec<&str>> {
    text.lines().map(|l| l.split(',').collect()).collect()
}

#[test]
fn writes_every_file_and_returns_their_paths() {
    let dir = common::scratch("files-all").join("nested/report");
    let result = common::pipeline5();
    let paths = write_run_report(&result, &dir, Records::All).unwrap();
    let expected: Vec<_> = Records::All.files().iter().map(|f| dir.join(f)).collect();
    assert_eq!(paths, expected);
    for path in &paths {
        let size = fs::metadata(path).unwrap().len();
        assert!(size > 0, "{} is empty", path.display());
    }
}

#[test]
fn the_same_result_gives_byte_identical_files() {
    let (a, b) = (
        common::scratch("files-det-a"),
        common::scratch("files-det-b"),
    );
    write_run_report(&common::pipeline5(), &a, Records::All).unwrap();
    write_run_report(&common::pipeline5(), &b, Records::All).unwrap();
    for file in Records::All.files() {
        assert!(
            fs::read(a.join(file)).unwrap() == fs::read(b.join(file)).unwrap(),
            "{file} differs between two writes of the same run"
        );
    }
}

#[test]
fn result_json_is_the_whole_result() {
    let dir = common::scratch("files-json");
    let result = common::pipeline5();
    write_run_report(&result, &dir, Records::All).unwrap();
    let back: RunResult = serde_json::from_str(&read(&dir, "result.json")).unwrap();
    // Compared whole, without printing two copies of a large result on failure.
    assert!(
        back == result,
        "result.json does not read back as the result written"
    );
}

#[test]
fn csv_files_have_their_headers_and_a_row_per_record() {
    let dir = common::scratch("files-csv");
    let result = common::pipeline5();
    write_run_report(&result, &dir, Records::All).unwrap();
    for (file, header, records) in [
        ("summary.csv", SUMMARY_COLUMNS, summary_rows(&result).len()),
        ("tokens.csv", TOKEN_COLUMNS, result.tokens.len()),
        ("chips.csv", CHIP_COLUMNS, result.chips.len()),
        ("links.csv", LINK_COLUMNS, result.links.len()),
    ] {
        let text = read(&dir, file);
        let table = rows(&text);
        assert_eq!(table[0], header, "{file} header");
        assert_eq!(table.len() - 1, records, "{file} rows");
        for row in &table[1..] {
            assert_eq!(row.len(), header.len(), "{file}: {row:?}");
            assert_eq!(*row.last().unwrap(), "simulated", "{file}: tier column");
        }
    }

    // Values read back agree with the result.
    let tokens = read(&dir, "tokens.csv");
    for (row, token) in rows(&tokens)[1..].iter().zip(&result.tokens) {
        let us = |s: &str| s.parse::<f64>().unwrap();
        assert_eq!(row[0], token.request.to_string());
        assert!((us(row[5]) - token.end.as_ps() as f64 / 1e6).abs() < 1e-6);
        assert!((us(row[5]) - us(row[4]) - us(row[6])).abs() < 1e-6);
    }
    let chips = read(&dir, "chips.csv");
    let column = |name: &str| CHIP_COLUMNS.iter().position(|c| *c == name).unwrap();
    for (row, chip) in rows(&chips)[1..].iter().zip(&result.chips) {
        assert_eq!(
            row[column("utilisation")].parse::<f64>().unwrap(),
            chip.utilisation
        );
        assert_eq!(
            row[column("sram_budget_bytes")],
            chip.placement.sram_budget.to_string()
        );
        let energy = &result.energy.chips[chip.chip as usize];
        assert_eq!(row[column("energy_nj")], energy.total_nj.to_string());
        assert_eq!(row[column("role")], "target");
        let plan = &result.plan.chips[chip.chip as usize];
        assert_eq!(
            row[column("layer_start")],
            plan.shard.layers.start.to_string()
        );
        assert_eq!(row[column("layer_end")], plan.shard.layers.end.to_string());
    }
    let links = read(&dir, "links.csv");
    for (row, link) in rows(&links)[1..].iter().zip(&result.links) {
        let [a, b] = link.pair.expect("a chain has point-to-point links");
        assert_eq!(
            (row[2], row[3]),
            (a.to_string().as_str(), b.to_string().as_str())
        );
        assert_eq!(row[4], link.bytes.to_string());
    }
}

/// Checks the trace's structure and returns its events.
fn check_trace(trace: &Value) -> Vec<Value> {
    let events = trace["traceEvents"].as_array().expect("traceEvents array");
    let mut named = BTreeMap::new();
    let mut last_ts: BTreeMap<(u64, u64), f64> = BTreeMap::new();
    // Per track, where the last span ends, in nanoseconds as a viewer converts `ts` and `dur`.
    let mut span_end: BTreeMap<(u64, u64), i64> = BTreeMap::new();
    let nanos = |us: f64| (us * 1_000.0).round() as i64;
    for event in events {
        let ph = event["ph"].as_str().expect("ph");
        let pid = event["pid"].as_u64().expect("pid");
        let tid = event["tid"].as_u64().expect("tid");
        assert!(pid >= 1 && tid >= 1, "ids start at 1: {pid}/{tid}");
        match ph {
            "M" => {
                let name = event["name"].as_str().unwrap();
                assert!(
                    [
                        "process_name",
                        "thread_name",
                        "process_sort_index",
                        "thread_sort_index"
                    ]
                    .contains(&name),
                    "{name}"
                );
                if name == "thread_name" {
                    named.insert(
                        (pid, tid),
                        event["args"]["name"].as_str().unwrap().to_string(),
                    );
                }
            }
            "X" | "i" => {
                let ts = event["ts"].as_f64().expect("ts");
                assert!(ts >= 0.0);
                if ph == "X" {
                    let dur = event["dur"].as_f64().expect("dur");
                    assert!(dur >= 0.0);
                    // No span starts before the previous one on its track has ended.
                    let end = span_end.entry((pid, tid)).or_insert(0);
                    assert!(
                        nanos(ts) >= *end,
                        "track {pid}/{tid}: a span at {ts} us overlaps one ending at {end} ns"
                    );
                    *end = nanos(ts) + nanos(dur);
                } else {
                    assert!(["t", "p", "g"].contains(&event["s"].as_str().unwrap()));
                }
                assert!(named.contains_key(&(pid, tid)), "unnamed track {pid}/{tid}");
                let previous = last_ts.insert((pid, tid), ts).unwrap_or(0.0);
                assert!(
                    ts >= previous,
                    "track {pid}/{tid} goes back from {previous} to {ts}"
                );
            }
            other => panic!("unexpected phase {other}"),
        }
    }
    events.clone()
}

#[test]
fn timeline_is_a_chrome_trace_of_every_span_and_token() {
    let dir = common::scratch("files-trace");
    let result = common::pipeline5();
    write_run_report(&result, &dir, Records::All).unwrap();
    let trace: Value = serde_json::from_str(&read(&dir, "timeline.json")).unwrap();
    assert!(
        trace == ruvsim_reports::timeline::chrome_trace(&result),
        "the streamed file and the in-memory trace differ"
    );
    let events = check_trace(&trace);
    let spans: Vec<&Value> = events.iter().filter(|e| e["ph"] == "X").collect();
    let tokens = events
        .iter()
        .filter(|e| e["ph"] == "i" && e["cat"] == "token")
        .count();
    assert_eq!(spans.len(), result.timeline.len());
    assert_eq!(tokens, result.tokens.len());
    assert_eq!(result.timeline_dropped, 0);
    // Each chip's compute spans add up to its busy time.
    for chip in &result.chips {
        let busy_us: f64 = spans
            .iter()
            .filter(|e| e["pid"] == 1 && e["tid"] == chip.chip + 1)
            .map(|e| e["dur"].as_f64().unwrap())
            .sum();
        let expected = chip.busy.as_ps() as f64 / 1e6;
        // Each span is cut to whole nanoseconds at both ends: at most 1 ns lost per span.
        let spans_of_chip = spans
            .iter()
            .filter(|e| e["pid"] == 1 && e["tid"] == chip.chip + 1)
            .count() as f64;
        assert!(
            (busy_us - expected).abs() <= 1e-3 * spans_of_chip + 1e-6,
            "chip {}: {busy_us} us of spans, busy {expected} us",
            chip.chip
        );
    }
    assert!(spans
        .iter()
        .any(|e| e["pid"] == 2 && e["cat"] == "transfer"));
}

#[test]
fn dropped_spans_are_announced_in_the_trace() {
    let loaded = common::scenario(5, "chain", "pipeline = 5", 2, 2, 6);
    let result = simulate(
        &loaded,
        &RunOptions {
            fidelity: Some(Fidelity::Timing),
            timeline_limit: Some(10),
            ..RunOptions::default()
        },
    )
    .unwrap();
    assert!(result.timeline_dropped > 0);
    let trace = ruvsim_reports::timeline::chrome_trace(&result);
    let events = check_trace(&trace);
    let notes: Vec<&Value> = events.iter().filter(|e| e["cat"] == "note").collect();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["args"]["dropped_spans"], result.timeline_dropped);
    assert_eq!(
        trace["otherData"]["timeline_dropped"],
        result.timeline_dropped
    );
}

#[test]
fn inconsistent_results_and_unwritable_folders_are_errors() {
    let dir = common::scratch("files-bad");
    let mut result = common::pipeline5();
    result.chips.pop();
    match write_run_report(&result, &dir, Records::All) {
        Err(ReportError::Inconsistent(reason)) => {
            assert!(reason.contains("cluster.chips"), "{reason}")
        }
        other => panic!("expected an inconsistency, got {other:?}"),
    }
    let mut result = common::pipeline5();
    result.plan.tensor = 0;
    assert!(matches!(
        write_run_report(&result, &dir, Records::All),
        Err(ReportError::Inconsistent(_))
    ));

    let file = dir.join("a-file");
    fs::write(&file, "not a folder").unwrap();
    match write_run_report(&common::pipeline5(), &file.join("report"), Records::All) {
        Err(e @ ReportError::CreateDir { .. }) => assert!(e.to_string().contains("a-file")),
        other => panic!("expected a folder error, got {other:?}"),
    }
}
