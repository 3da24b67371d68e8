//! `timeline.json`: the run's compute and transfer spans in the Chrome trace-event format, which
//! Perfetto (ui.perfetto.dev) and `chrome://tracing` open.
//!
//! Tracks: process 1 holds one thread per chip (`tid` = chip id + 1), process 2 one thread per
//! link (`tid` = link id + 1), process 3 one thread per request (`tid` = request id + 1) with an
//! instant event (`ph: "i"`) where each of its tokens reached its host; ids start at 1 because
//! trace viewers treat 0 as "no process". Spans are complete events (`ph: "X"`). Their start and
//! end are first cut to whole nanoseconds (the simulation's picoseconds, rounded down), and `ts`
//! and `dur` are those nanoseconds as microseconds with three decimals, so a span that ends where
//! the next begins still ends there after a viewer's conversion (no 1-ns overlaps, which Perfetto
//! would draw as nesting). Processes and threads are named by metadata events (`ph: "M"`), emitted
//! only for tracks that have events, so a 100,000-chip run does not carry 100,000 empty tracks.
//! Events are sorted by track, then time, so every track is monotone. When the run dropped spans
//! because of its timeline limit, a global instant event on process 4 says how many, and
//! `otherData.timeline_dropped` holds the count. Process 5 marks every crash, hang, link outage,
//! detection and fail-over with an instant event on the track of the chip it concerns (compute
//! spans are on the track of the physical chip that ran them, so a spare has its own).
//!
//! The events are typed structs serialised by serde: [`write_chrome_trace`] streams them to a file
//! (one event per line), [`chrome_trace`] gives the same document as a [`serde_json::Value`].

use std::collections::BTreeSet;
use std::io::{self, Write};

use ruvsim_engine::time::PS_PER_NS;
use ruvsim_sim::result::records::NO_STREAM;
use ruvsim_sim::result::RunResult;
use serde::Serialize;
use serde_json::Value;

/// Process id of the chip tracks.
pub const CHIPS_PID: u32 = 1;
/// Process id of the link tracks.
pub const LINKS_PID: u32 = 2;
/// Process id of the request tracks (token markers).
pub const REQUESTS_PID: u32 = 3;
/// Process id of run-wide notes (dropped spans).
pub const NOTES_PID: u32 = 4;
/// Process id of the fault markers (one thread per chip a fault concerns).
pub const FAULTS_PID: u32 = 5;

/// Picoseconds cut to whole nanoseconds.
fn ns(ps: u64) -> u64 {
    ps / PS_PER_NS
}

/// Whole nanoseconds as trace microseconds (three decimals, exact in the written text).
fn us(ns: u64) -> f64 {
    ns as f64 / 1_000.0
}

/// The arguments of an event.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
enum Args {
    /// A compute or transfer span.
    Span { stream: u32, bytes: u32 },
    /// A token marker.
    Token { request: u32, index: u32, pos: u32 },
    /// The dropped-spans note.
    Dropped { dropped_spans: u64 },
    /// A fault marker.
    Fault { kind: String },
    /// A process or thread name.
    Name { name: String },
    /// A process or thread sort position.
    Sort { sort_index: u32 },
}

/// One trace event.
#[derive(Clone, Debug, Serialize)]
struct Event {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    cat: Option<&'static str>,
    ph: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ts: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dur: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    s: Option<&'static str>,
    pid: u32,
    tid: u32,
    args: Args,
}

impl Event {
    /// A metadata event.
    fn meta(pid: u32, tid: u32, name: &str, args: Args) -> Event {
        Event {
            name: name.to_string(),
            cat: None,
            ph: "M",
            ts: None,
            dur: None,
            s: None,
            pid,
            tid,
            args,
        }
    }
}

/// Run-wide facts for the trace's `otherData`.
#[derive(Clone, Debug, Serialize)]
struct OtherData<'a> {
    scenario: &'a str,
    seed: u64,
    tier: &'static str,
    timeline_dropped: u64,
}

/// The whole trace document.
#[derive(Clone, Debug, Serialize)]
struct Trace<'a> {
    #[serde(rename = "traceEvents")]
    trace_events: Vec<Event>,
    #[serde(rename = "displayTimeUnit")]
    display_time_unit: &'static str,
    #[serde(rename = "otherData")]
    other_data: OtherData<'a>,
}

/// Builds the trace: metadata first, then every track's events in time order.
fn build(result: &RunResult) -> Trace<'_> {
    let chips = result.chips.len() as u64;
    let mut placed: Vec<(u32, u32, u64, Event)> =
        Vec::with_capacity(result.timeline.len() + result.tokens.len() + 1);
    let mut tracks: BTreeSet<(u32, u32)> = BTreeSet::new();
    for span in &result.timeline {
        let resource = u64::from(span.resource);
        let (pid, tid) = if resource < chips {
            (CHIPS_PID, span.resource + 1)
        } else {
            (LINKS_PID, (resource - chips) as u32 + 1)
        };
        let (name, cat) = match (&span.kernel, span.heartbeat, span.hop) {
            (Some(kernel), _, _) => (kernel.label(), "compute"),
            (None, true, Some(_)) => (format!("heartbeat {} B", span.bytes), "heartbeat"),
            (None, true, None) => ("heartbeat: task wake".to_string(), "heartbeat"),
            (None, false, None) if span.stream == NO_STREAM => {
                ("recovery: load and rebuild".to_string(), "recovery")
            }
            (None, false, _) => (format!("transfer {} B", span.bytes), "transfer"),
        };
        tracks.insert((pid, tid));
        let start = span.start.as_ps();
        let end = start.saturating_add(span.duration.as_ps());
        placed.push((
            pid,
            tid,
            start,
            Event {
                name,
                cat: Some(cat),
                ph: "X",
                ts: Some(us(ns(start))),
                dur: Some(us(ns(end) - ns(start))),
                s: None,
                pid,
                tid,
                args: Args::Span {
                    stream: span.stream,
                    bytes: span.bytes,
                },
            },
        ));
    }
    for token in &result.tokens {
        let (pid, tid, end) = (REQUESTS_PID, token.request + 1, token.end.as_ps());
        tracks.insert((pid, tid));
        placed.push((
            pid,
            tid,
            end,
            Event {
                name: format!("token {}", token.index),
                cat: Some("token"),
                ph: "i",
                ts: Some(us(ns(end))),
                dur: None,
                s: Some("t"),
                pid,
                tid,
                args: Args::Token {
                    request: token.request,
                    index: token.index,
                    pos: token.pos,
                },
            },
        ));
    }
    for event in result.faults.iter().flat_map(|f| &f.events) {
        let (pid, tid, at) = (FAULTS_PID, event.chip + 1, event.at.as_ps());
        tracks.insert((pid, tid));
        placed.push((
            pid,
            tid,
            at,
            Event {
                name: event.detail.clone(),
                cat: Some("fault"),
                ph: "i",
                ts: Some(us(ns(at))),
                dur: None,
                s: Some("g"),
                pid,
                tid,
                args: Args::Fault {
                    kind: event.kind.clone(),
                },
            },
        ));
    }
    if result.timeline_dropped > 0 {
        let last = result
            .timeline
            .iter()
            .map(|s| s.start.as_ps())
            .max()
            .unwrap_or(0);
        tracks.insert((NOTES_PID, 1));
        placed.push((
            NOTES_PID,
            1,
            last,
            Event {
                name: format!(
                    "{} spans after this point were dropped (timeline limit)",
                    result.timeline_dropped
                ),
                cat: Some("note"),
                ph: "i",
                ts: Some(us(ns(last))),
                dur: None,
                s: Some("g"),
                pid: NOTES_PID,
                tid: 1,
                args: Args::Dropped {
                    dropped_spans: result.timeline_dropped,
                },
            },
        ));
    }
    // Stable sort: events of a track that start together keep their recording order.
    placed.sort_by_key(|&(pid, tid, ps, _)| (pid, tid, ps));

    let mut events = metadata(&tracks);
    events.extend(placed.into_iter().map(|(_, _, _, event)| event));
    Trace {
        trace_events: events,
        display_time_unit: "ms",
        other_data: OtherData {
            scenario: &result.scenario,
            seed: result.seed,
            tier: result.tier.label(),
            timeline_dropped: result.timeline_dropped,
        },
    }
}

/// Process and thread names (and sort order) for every track that has events.
fn metadata(tracks: &BTreeSet<(u32, u32)>) -> Vec<Event> {
    let mut events = Vec::new();
    let mut named_process = None;
    for &(pid, tid) in tracks {
        if named_process != Some(pid) {
            named_process = Some(pid);
            let name = match pid {
                CHIPS_PID => "chips",
                LINKS_PID => "links",
                REQUESTS_PID => "requests (token markers)",
                FAULTS_PID => "faults",
                _ => "ruvsim run",
            };
            let name = Args::Name { name: name.into() };
            events.push(Event::meta(pid, 1, "process_name", name));
            let sort = Args::Sort { sort_index: pid };
            events.push(Event::meta(pid, 1, "process_sort_index", sort));
        }
        let name = match pid {
            CHIPS_PID => format!("chip {}", tid - 1),
            LINKS_PID => format!("link {}", tid - 1),
            REQUESTS_PID => format!("request {}", tid - 1),
            FAULTS_PID => format!("chip {} faults", tid - 1),
            _ => "notes".to_string(),
        };
        events.push(Event::meta(pid, tid, "thread_name", Args::Name { name }));
        let sort = Args::Sort { sort_index: tid };
        events.push(Event::meta(pid, tid, "thread_sort_index", sort));
    }
    events
}

/// The run as a Chrome trace (`{"traceEvents": [...], "displayTimeUnit": "ms", "otherData": {...}}`).
pub fn chrome_trace(result: &RunResult) -> Value {
    serde_json::to_value(build(result))
        .expect("trace events hold only strings, numbers and string-keyed objects")
}

/// Writes the trace of [`chrome_trace`] as compact JSON, one event per line.
pub fn write_chrome_trace<W: Write>(result: &RunResult, out: &mut W) -> io::Result<()> {
    let trace = build(result);
    out.write_all(b"{\"traceEvents\":[\n")?;
    for (i, event) in trace.trace_events.iter().enumerate() {
        if i > 0 {
            out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut *out, event).map_err(io::Error::other)?;
    }
    out.write_all(b"\n],\"displayTimeUnit\":")?;
    serde_json::to_writer(&mut *out, trace.display_time_unit).map_err(io::Error::other)?;
    out.write_all(b",\"otherData\":")?;
    serde_json::to_writer(&mut *out, &trace.other_data).map_err(io::Error::other)?;
    out.write_all(b"}\n")
}
