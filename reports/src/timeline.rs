//! `timeline.json`: the run's compute and transfer spans in the Chrome trace-event format, which
//! Perfetto (ui.perfetto.dev) and `chrome://tracing` open.
//!
//! Tracks: process 1 holds one thread per chip (`tid` = chip id), process 2 one thread per link
//! (`tid` = link id), process 3 one thread per request with an instant event (`ph: "i"`) where each
//! of its tokens was chosen. Spans are complete events (`ph: "X"`) with `ts` and `dur` in
//! microseconds (fractional: the simulation's picoseconds divided by 10^6). Processes and threads
//! are named by metadata events (`ph: "M"`), emitted only for tracks that have events, so a
//! 100,000-chip run does not carry 100,000 empty tracks. Events are sorted by track, then time,
//! so every track is monotone. When the run dropped spans because of its timeline limit, a global
//! instant event on process 0 says how many, and `otherData.timeline_dropped` holds the count.

use std::collections::BTreeSet;

use ruvsim_sim::result::RunResult;
use ruvsim_sim::time::PS_PER_US;
use serde_json::{json, Value};

/// Process id of the chip tracks.
pub const CHIPS_PID: u32 = 1;
/// Process id of the link tracks.
pub const LINKS_PID: u32 = 2;
/// Process id of the request tracks (token markers).
pub const REQUESTS_PID: u32 = 3;
/// Process id of run-wide notes (dropped spans).
pub const NOTES_PID: u32 = 0;

/// Picoseconds as trace microseconds.
fn us(ps: u64) -> f64 {
    ps as f64 / PS_PER_US as f64
}

/// One event before sorting: its track, its exact start, and the JSON.
struct Placed {
    pid: u32,
    tid: u32,
    ps: u64,
    event: Value,
}

/// The run as a Chrome trace (`{"traceEvents": [...], "displayTimeUnit": "ms", "otherData": {...}}`).
pub fn chrome_trace(result: &RunResult) -> Value {
    let chips = result.chips.len() as u64;
    let mut placed = Vec::with_capacity(result.timeline.len() + result.tokens.len() + 1);
    let mut tracks: BTreeSet<(u32, u32)> = BTreeSet::new();
    for span in &result.timeline {
        let resource = u64::from(span.resource);
        let (pid, tid) = if resource < chips {
            (CHIPS_PID, span.resource)
        } else {
            (LINKS_PID, (resource - chips) as u32)
        };
        let (name, cat) = match &span.kernel {
            Some(kernel) => (kernel.label(), "compute"),
            None => (format!("transfer {} B", span.bytes), "transfer"),
        };
        tracks.insert((pid, tid));
        placed.push(Placed {
            pid,
            tid,
            ps: span.start.as_ps(),
            event: json!({
                "name": name,
                "cat": cat,
                "ph": "X",
                "ts": us(span.start.as_ps()),
                "dur": us(span.duration.as_ps()),
                "pid": pid,
                "tid": tid,
                "args": { "stream": span.stream, "bytes": span.bytes },
            }),
        });
    }
    for token in &result.tokens {
        tracks.insert((REQUESTS_PID, token.request));
        placed.push(Placed {
            pid: REQUESTS_PID,
            tid: token.request,
            ps: token.end.as_ps(),
            event: json!({
                "name": format!("token {}", token.index),
                "cat": "token",
                "ph": "i",
                "s": "t",
                "ts": us(token.end.as_ps()),
                "pid": REQUESTS_PID,
                "tid": token.request,
                "args": { "request": token.request, "index": token.index, "pos": token.pos },
            }),
        });
    }
    if result.timeline_dropped > 0 {
        let last = result
            .timeline
            .iter()
            .map(|s| s.start.as_ps())
            .max()
            .unwrap_or(0);
        tracks.insert((NOTES_PID, 0));
        placed.push(Placed {
            pid: NOTES_PID,
            tid: 0,
            ps: last,
            event: json!({
                "name": format!(
                    "{} spans after this point were dropped (timeline limit)",
                    result.timeline_dropped
                ),
                "cat": "note",
                "ph": "i",
                "s": "g",
                "ts": us(last),
                "pid": NOTES_PID,
                "tid": 0,
                "args": { "dropped_spans": result.timeline_dropped },
            }),
        });
    }
    // Stable sort: events of a track that start together keep their recording order.
    placed.sort_by_key(|p| (p.pid, p.tid, p.ps));

    let mut events = metadata(&tracks);
    events.extend(placed.into_iter().map(|p| p.event));
    json!({
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": {
            "scenario": result.scenario,
            "seed": result.seed,
            "tier": result.tier.label(),
            "timeline_dropped": result.timeline_dropped,
        },
    })
}

/// Process and thread names (and sort order) for every track that has events.
fn metadata(tracks: &BTreeSet<(u32, u32)>) -> Vec<Value> {
    let mut events = Vec::new();
    let mut named_process = None;
    for &(pid, tid) in tracks {
        if named_process != Some(pid) {
            named_process = Some(pid);
            let name = match pid {
                CHIPS_PID => "chips",
                LINKS_PID => "links",
                REQUESTS_PID => "requests (token markers)",
                _ => "ruvsim run",
            };
            events.push(meta(pid, 0, "process_name", json!({ "name": name })));
            events.push(meta(
                pid,
                0,
                "process_sort_index",
                json!({ "sort_index": pid }),
            ));
        }
        let name = match pid {
            CHIPS_PID => format!("chip {tid}"),
            LINKS_PID => format!("link {tid}"),
            REQUESTS_PID => format!("request {tid}"),
            _ => "notes".to_string(),
        };
        events.push(meta(pid, tid, "thread_name", json!({ "name": name })));
        events.push(meta(
            pid,
            tid,
            "thread_sort_index",
            json!({ "sort_index": tid }),
        ));
    }
    events
}

fn meta(pid: u32, tid: u32, name: &str, args: Value) -> Value {
    json!({ "name": name, "ph": "M", "pid": pid, "tid": tid, "args": args })
}
