//! `report.html`: one self-contained page (inline CSS and SVG, no scripts, no network) that a
//! person reads top to bottom: summary, scenario and plan, the cluster, throughput, latency,
//! utilisation, the bottleneck, energy and cost, generated text, the claims check and the
//! calibration used. Every figure carries its tier badge.

mod context;
mod performance;
mod phases;
mod setup;
pub(crate) mod style;

use std::fmt::Write as _;

use ruvsim_sim::result::RunResult;

use crate::charts::ChartError;
use crate::format::escape;
use ruvsim_sim::record_volume::Records;

/// One table cell.
pub(crate) enum Cell {
    /// Plain text (escaped).
    Text(String),
    /// A number or other right-aligned text (escaped).
    Num(String),
    /// Ready-made markup (badges, links): written as is.
    Html(String),
}

/// Text cell.
pub(crate) fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

/// Right-aligned cell.
pub(crate) fn num(value: impl Into<String>) -> Cell {
    Cell::Num(value.into())
}

/// A table with a header row.
pub(crate) fn table(headers: &[&str], rows: Vec<Vec<Cell>>) -> String {
    let mut out = String::from("<div class=\"scroll\"><table>\n<thead><tr>");
    for h in headers {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            match cell {
                Cell::Text(t) => {
                    let _ = write!(out, "<td>{}</td>", escape(&t));
                }
                Cell::Num(t) => {
                    let _ = write!(out, "<td class=\"num\">{}</td>", escape(&t));
                }
                Cell::Html(h) => {
                    let _ = write!(out, "<td>{h}</td>");
                }
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
    out
}

/// A tier badge (`measured`, `simulated`, `projected`, or `claimed`).
pub(crate) fn badge(label: &str) -> String {
    let label = escape(label);
    format!("<span class=\"tier tier-{label}\">{label}</span>")
}

/// A badge as a table cell.
pub(crate) fn badge_cell(label: &str) -> Cell {
    Cell::Html(badge(label))
}

/// A chart in a figure with a caption, or the reason it could not be drawn.
pub(crate) fn chart(id: &str, caption: &str, svg: Result<String, ChartError>) -> String {
    match svg {
        Ok(svg) => format!(
            "<figure class=\"chart\" id=\"chart-{id}\">\n{svg}\n<figcaption>{}</figcaption></figure>\n",
            escape(caption)
        ),
        Err(e) => format!(
            "<p class=\"warning\" id=\"chart-{id}\">This chart could not be drawn: {}</p>\n",
            escape(&e.to_string())
        ),
    }
}

/// A paragraph of escaped text.
pub(crate) fn para(text: &str) -> String {
    format!("<p>{}</p>\n", escape(text))
}

/// A note (muted paragraph) of escaped text.
pub(crate) fn note(text: &str) -> String {
    format!("<p class=\"note\">{}</p>\n", escape(text))
}

/// A page section with an anchor.
struct Section {
    id: &'static str,
    title: &'static str,
    body: String,
}

/// The whole page for `result`.
pub fn render(result: &RunResult, records: Records) -> String {
    let sections = [
        Section {
            id: "summary",
            title: "Summary",
            body: performance::summary(result),
        },
        Section {
            id: "scenario",
            title: "Scenario and model",
            body: setup::scenario(result),
        },
        Section {
            id: "plan",
            title: "Plan: who holds what",
            body: setup::plan(result),
        },
        Section {
            id: "cluster",
            title: "Cluster",
            body: setup::cluster(result),
        },
        Section {
            id: "throughput",
            title: "Throughput over time",
            body: performance::throughput(result),
        },
        Section {
            id: "latency",
            title: "Latency",
            body: performance::latency(result),
        },
        Section {
            id: "phases",
            title: "Where a token's time went",
            body: phases::phases(result),
        },
        Section {
            id: "utilisation",
            title: "Utilisation",
            body: performance::utilisation(result),
        },
        Section {
            id: "bottleneck",
            title: "Bottleneck",
            body: performance::bottleneck(result),
        },
        Section {
            id: "energy",
            title: "Energy and cost",
            body: context::energy(result),
        },
        Section {
            id: "text",
            title: "Generated text",
            body: context::generated_text(result),
        },
        Section {
            id: "claims",
            title: "Claims check",
            body: context::claims(result),
        },
        Section {
            id: "calibration",
            title: "Calibration used",
            body: context::calibration(result),
        },
    ];
    let mut out = String::with_capacity(256 * 1024);
    let title = format!("ruvsim report: {}", result.scenario);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{}</style>\n</head>\n<body>\n<header>\n<h1>{}</h1>\n",
        escape(&title),
        style::CSS,
        escape(&title)
    );
    if !result.description.is_empty() {
        let _ = writeln!(out, "<p class=\"lead\">{}</p>", escape(&result.description));
    }
    let _ = writeln!(
        out,
        "<p class=\"legend\">Every figure carries its tier: {} recorded on hardware, {} computed \
         event by event by this simulation, {} extrapolated beyond what was simulated, {} stated \
         by a reference document.</p>",
        badge("measured"),
        badge("simulated"),
        badge("projected"),
        badge("claimed")
    );
    out.push_str("<nav><ul>");
    for s in &sections {
        let _ = write!(
            out,
            "<li><a href=\"#{}\">{}</a></li>",
            s.id,
            escape(s.title)
        );
    }
    out.push_str("</ul></nav>\n</header>\n<main>\n");
    for s in sections {
        let _ = write!(
            out,
            "<section id=\"{}\">\n<h2>{}</h2>\n{}</section>\n",
            s.id,
            escape(s.title),
            s.body
        );
    }
    let beside = match records {
        Records::All => {
            "<code>summary.csv</code>, <code>tokens.csv</code>, <code>phases.csv</code>, \
             <code>chips.csv</code>, <code>links.csv</code> (every row), <code>result.json</code> \
             (the whole result) and <code>timeline.json</code> (open it in ui.perfetto.dev)"
        }
        Records::Summary => {
            "<code>summary.csv</code> and <code>result.json</code> (the summary only: this run \
             was written with <code>--records summary</code>, so no per-token, per-chip or \
             timeline files)"
        }
    };
    let _ = write!(
        out,
        "</main>\n<footer>\n<p>Written by ruvsim from scenario <code>{}</code>, seed {}, {} \
         fidelity. Beside this page: {beside}.</p>\n</footer>\n</body>\n</html>\n",
        escape(&result.scenario),
        result.seed,
        result.fidelity.name()
    );
    out
}
