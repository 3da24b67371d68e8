//! `sweep.html`: one self-contained page (inline CSS and SVG, no scripts): what was swept, how
//! many designs were simulated, infeasible or pruned, the frontier charts, the frontier's
//! designs, the best design per objective with its whole scenario, why designs were infeasible,
//! and how to get any design's full report.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ruvsim_experiments::sweep::design::scenario_text;
use ruvsim_experiments::sweep::{DesignRow, Metric, Status, SweepResult};

use super::{pareto_chart, SWEEP_FILES};
use crate::format::{escape, grouped, significant};
use crate::html::style::CSS;
use crate::html::{badge, badge_cell, chart, note, num, para, table, text, Cell};

/// Most frontier designs listed in the page (all are in `pareto.csv`).
const MOST_FRONTIER_ROWS: usize = 200;

/// Most distinct reasons listed for infeasible designs (all are in `sweep.csv`).
const MOST_REASONS: usize = 30;

/// Example ids listed per reason.
const EXAMPLES_PER_REASON: usize = 5;

/// The whole page.
pub fn render(result: &SweepResult) -> String {
    let h = &result.header;
    let title = format!("ruvsim sweep: {}", h.name);
    let mut out = String::with_capacity(256 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{t}</title>\n<style>\n{CSS}.side {{ display: flex; flex-wrap: wrap; gap: 18px; \
         align-items: flex-start; }}\n</style>\n</head>\n<body>\n<header>\n<h1>{t}</h1>\n",
        t = escape(&title)
    );
    if !h.description.is_empty() {
        let _ = writeln!(out, "<p class=\"lead\">{}</p>", escape(&h.description));
    }
    let _ = writeln!(
        out,
        "<p class=\"legend\">Every figure of a design is {}: computed event by event by \
         simulating that design. Cost is user input: chips x the price the sweep file gives.</p>\n\
         </header>\n<main>",
        badge("simulated"),
    );
    let sections = [
        ("summary", "Summary", summary(result)),
        ("sweep", "What was swept", swept(result)),
        ("charts", "Pareto frontier", charts(result)),
        ("frontier", "Designs on the frontier", frontier(result)),
        ("best", "Best design per objective", best(result)),
        (
            "infeasible",
            "Infeasible and pruned designs",
            infeasible(result),
        ),
    ];
    for (id, heading, body) in sections {
        let _ = write!(
            out,
            "<section id=\"{id}\">\n<h2>{}</h2>\n{body}</section>\n",
            escape(heading)
        );
    }
    let _ = write!(
        out,
        "</main>\n<footer>\n<p>Written by <code>ruvsim sweep</code> from <code>{}</code>. Beside \
         this page: <code>{}</code> (every design), <code>{}</code> (the frontier) and \
         <code>{}</code> (everything, including the sweep file: shards merge from it and \
         <code>ruvsim sweep show</code> rebuilds any design from it).</p>\n</footer>\n</body>\n\
         </html>\n",
        escape(&h.sweep_file),
        SWEEP_FILES[0],
        SWEEP_FILES[1],
        SWEEP_FILES[2]
    );
    out
}

/// Counts, the best designs in one line each, and how to get any design's report.
fn summary(result: &SweepResult) -> String {
    let h = &result.header;
    let simulated = result.count(Status::Simulated);
    let meeting = result.rows.iter().filter(|r| r.meets_constraints()).count();
    let mut out = String::new();
    if let Some(shard) = result.shard {
        out.push_str(&format!(
            "<p class=\"warning\">This is shard {shard} of the sweep: its {} designs only, and \
             a frontier among them. <code>ruvsim sweep merge</code> with every shard's folder \
             writes the whole sweep's files.</p>\n",
            grouped(result.rows.len() as u64)
        ));
    }
    let _ = writeln!(
        out,
        "<p class=\"callout\"><strong>{}</strong> designs: {} simulated, {} infeasible, {} \
         pruned; <strong>{}</strong> meet every constraint, <strong>{}</strong> of them on the \
         Pareto frontier over {}.</p>",
        grouped(result.rows.len() as u64),
        grouped(simulated as u64),
        grouped(result.count(Status::Infeasible) as u64),
        grouped(result.count(Status::Pruned) as u64),
        grouped(meeting as u64),
        grouped(result.frontier.len() as u64),
        escape(&objective_list(result)),
    );
    if !result.best.is_empty() {
        out.push_str("<ul>\n");
        for b in &result.best {
            let _ = writeln!(
                out,
                "<li>{}: design <a href=\"#design-{}\">{}</a>, {} {}</li>",
                escape(&b.objective.to_string()),
                b.id,
                b.id,
                escape(&figure(b.objective.metric, b.value)),
                badge(if b.objective.metric.is_input() {
                    "user input"
                } else {
                    "simulated"
                })
            );
        }
        out.push_str("</ul>\n");
    } else if h.total_designs > 0 {
        out.push_str(&para("No design meets every constraint."));
    }
    out.push_str(&para(
        "Any design's full report: ruvsim sweep show DIR ID writes its scenario \
         (DIR/design-ID.toml) and prints the ruvsim run command that simulates it alone with \
         every chart and table, the same figures as here.",
    ));
    out
}

/// A figure for people: chips whole, dollars with cents, the rest to four significant digits.
fn figure(metric: Metric, value: f64) -> String {
    match metric {
        Metric::Chips => grouped(value.round() as u64),
        Metric::CostUsd => format!("{value:.2}"),
        _ => significant(value),
    }
}

/// The objectives in words.
fn objective_list(result: &SweepResult) -> String {
    result
        .header
        .objectives
        .iter()
        .map(|o| o.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The sweep file's content as facts.
fn swept(result: &SweepResult) -> String {
    let h = &result.header;
    let joined = |items: Vec<String>, none: &str| {
        if items.is_empty() {
            none.to_string()
        } else {
            items.join("; ")
        }
    };
    let prices = h
        .prices_usd
        .iter()
        .map(|(v, p)| format!("{v}: {p} USD"))
        .collect::<Vec<_>>();
    let facts = [
        ("sweep file", h.sweep_file.clone()),
        (
            "base scenario",
            if h.base_text.is_some() {
                "a file named by sweep.base (its text is in sweep.json)".to_string()
            } else {
                "the inline [base] table".to_string()
            },
        ),
        ("designs", grouped(h.total_designs)),
        ("derived keys", joined(h.derive.clone(), "none")),
        (
            "constraints",
            joined(
                h.constraints.iter().map(|c| c.to_string()).collect(),
                "none",
            ),
        ),
        ("objectives", objective_list(result)),
        ("prices per chip", joined(prices, "none")),
        ("price source", h.cost_source.clone()),
        ("pruning", h.prune_rule.clone()),
        (
            "design ids",
            "the index in the axes' product, the first axis varying slowest".to_string(),
        ),
    ];
    let mut out = String::from("<dl class=\"facts\">\n");
    for (term, value) in facts {
        let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", escape(term), escape(&value));
    }
    out.push_str("</dl>\n");
    let rows = h
        .axes
        .iter()
        .map(|a| {
            vec![
                text(a.key.clone()),
                num(a.values.len().to_string()),
                text(a.values.join(", ")),
            ]
        })
        .collect();
    out.push_str(&table(&["axis", "values", "which"], rows));
    out
}

/// One chart per pair of objectives.
fn charts(result: &SweepResult) -> String {
    let objectives = &result.header.objectives;
    if objectives.len() < 2 {
        return para(
            "One objective: the frontier is the best design, listed below; charts need two.",
        );
    }
    let mut out = String::from("<div class=\"side\">\n");
    for (i, &x) in objectives.iter().enumerate() {
        for &y in &objectives[i + 1..] {
            let data = super::ScatterData::of(result, x, y);
            let mut caption = format!(
                "{} against {}: every simulated design; orange: the frontier{}.",
                y.metric.label(),
                x.metric.label(),
                if data.frontier.len() <= super::chart::MOST_LABELS {
                    ", labelled by id"
                } else {
                    " (too many designs to label: pareto.csv lists them)"
                }
            );
            if data.left_out > 0 {
                let _ = write!(
                    caption,
                    " {} design(s) without a positive value of both are not drawn.",
                    data.left_out
                );
            }
            let _ = writeln!(
                out,
                "<div>{}</div>",
                chart(
                    &format!("{}-{}", x.metric, y.metric),
                    &caption,
                    pareto_chart(result, x, y)
                )
            );
        }
    }
    out.push_str("</div>\n");
    out
}

/// The frontier's designs as a table.
fn frontier(result: &SweepResult) -> String {
    let rows: Vec<&DesignRow> = result.rows.iter().filter(|r| r.pareto).collect();
    if rows.is_empty() {
        return para("No design meets every constraint, so the frontier is empty.");
    }
    let metrics = shown_metrics(result);
    let mut headers: Vec<String> = vec!["id".into()];
    headers.extend(result.header.axes.iter().map(|a| a.key.clone()));
    headers.extend(metrics.iter().map(|m| m.label().to_string()));
    headers.push("tier".into());
    let cells = rows
        .iter()
        .take(MOST_FRONTIER_ROWS)
        .map(|row| {
            let mut cells = vec![num(row.id.to_string())];
            cells.extend(row.values.iter().map(|v| text(v.clone())));
            cells.extend(
                metrics
                    .iter()
                    .map(|&m| num(row.value(m).map_or("-".into(), |v| figure(m, v)))),
            );
            cells.push(badge_cell("simulated"));
            cells
        })
        .collect();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut out = table(&headers, cells);
    if rows.len() > MOST_FRONTIER_ROWS {
        out.push_str(&note(&format!(
            "The first {MOST_FRONTIER_ROWS} of {} frontier designs; pareto.csv lists them all.",
            rows.len()
        )));
    }
    out
}

/// The figures the tables show: chips, cost when priced, the objectives' and constraints'
/// figures, and throughput, in [`Metric::ALL`] order.
fn shown_metrics(result: &SweepResult) -> Vec<Metric> {
    let h = &result.header;
    Metric::ALL
        .into_iter()
        .filter(|&m| {
            m == Metric::Chips
                || m == Metric::ThroughputTokS
                || (m == Metric::CostUsd && !h.prices_usd.is_empty())
                || h.objectives.iter().any(|o| o.metric == m)
                || h.constraints.iter().any(|c| c.metric() == Some(m))
        })
        .collect()
}

/// Each objective's best design with its figures and whole scenario.
fn best(result: &SweepResult) -> String {
    if result.best.is_empty() {
        return para("No design meets every constraint.");
    }
    let sweep = result.header.sweep();
    let mut out = String::new();
    let mut shown: Vec<u64> = Vec::new();
    for b in &result.best {
        let Some(row) = result.row(b.id) else {
            continue;
        };
        let _ = writeln!(
            out,
            "<h3>{}: design {}</h3>",
            escape(&b.objective.to_string()),
            b.id
        );
        let facts: Vec<Vec<Cell>> = result
            .header
            .axes
            .iter()
            .zip(&row.values)
            .map(|(a, v)| vec![text(a.key.clone()), text(v.clone())])
            .chain(shown_metrics(result).into_iter().map(|m| {
                vec![
                    text(m.label()),
                    num(row.value(m).map_or("-".into(), |v| figure(m, v))),
                ]
            }))
            .collect();
        out.push_str(&table(&["", "design"], facts));
        if let Some(bottleneck) = row.figures.as_ref().map(|f| &f.bottleneck) {
            out.push_str(&para(&format!("Bottleneck: {bottleneck}")));
        }
        if shown.contains(&b.id) {
            out.push_str(&para("Its scenario is shown above."));
            continue;
        }
        shown.push(b.id);
        let scenario = sweep
            .as_ref()
            .map_err(|e| e.to_string())
            .and_then(|s| scenario_text(s, b.id).map_err(|e| e.to_string()));
        match scenario {
            Ok(text) => {
                let _ = writeln!(
                    out,
                    "<p id=\"design-{}\">Its scenario (<code>ruvsim sweep show DIR {}</code> \
                     writes it as <code>DIR/design-{}.toml</code> for <code>ruvsim run</code>):</p>\n\
                     <pre class=\"text\">{}</pre>",
                    b.id,
                    b.id,
                    b.id,
                    escape(&text)
                );
            }
            Err(reason) => {
                out.push_str(&para(&format!("Its scenario cannot be rebuilt: {reason}")))
            }
        }
    }
    out
}

/// Reasons of infeasible designs with counts and example ids, and the pruned designs' count.
fn infeasible(result: &SweepResult) -> String {
    let mut reasons: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for row in result
        .rows
        .iter()
        .filter(|r| r.status == Status::Infeasible)
    {
        reasons
            .entry(row.reason.as_deref().unwrap_or("no reason recorded"))
            .or_default()
            .push(row.id);
    }
    let mut out = para(&format!(
        "{} design(s) could not be built or do not fit; each keeps the simulator's reason in \
         sweep.csv. {} design(s) were pruned: {}.",
        grouped(result.count(Status::Infeasible) as u64),
        grouped(result.count(Status::Pruned) as u64),
        result.header.prune_rule
    ));
    if reasons.is_empty() {
        return out;
    }
    let mut by_count: Vec<(&str, Vec<u64>)> = reasons.into_iter().collect();
    by_count.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    let distinct = by_count.len();
    let rows = by_count
        .into_iter()
        .take(MOST_REASONS)
        .map(|(reason, ids)| {
            let examples: Vec<String> = ids
                .iter()
                .take(EXAMPLES_PER_REASON)
                .map(u64::to_string)
                .collect();
            vec![
                num(ids.len().to_string()),
                text(reason),
                text(examples.join(", ")),
            ]
        })
        .collect();
    out.push_str(&table(&["designs", "reason", "for example"], rows));
    if distinct > MOST_REASONS {
        out.push_str(&note(&format!(
            "The {MOST_REASONS} most frequent of {distinct} distinct reasons; sweep.csv has each \
             design's."
        )));
    }
    out
}
