//! `projection.html`: one self-contained page (inline CSS and SVG, no scripts) with the headline
//! figure, the design scaled, the scaling chart beside the documents' scaling table, the table
//! over sizes, the fit and its candidates, energy and cost, and notes.

use std::fmt::Write as _;

use ruvsim_experiments::project::{Projection, Row};

use super::{
    claim_rows, design_lines, display_row, fit_sentence, hop_sentence, host_sentence,
    scaling_chart, signed_percent, throughput_text, with_error, DISPLAY_HEADERS,
};
use crate::claims::CLAIMED;
use crate::format::{escape, grouped, number, percent};
use crate::html::style::CSS;
use crate::html::{badge, badge_cell, chart, note, num, para, table, text, Cell};

/// The whole page.
pub fn render(projection: &Projection) -> String {
    let title = format!(
        "ruvsim projection: {} to {} chips",
        projection.base.name,
        grouped(projection.chips_requested.into())
    );
    let mut out = String::with_capacity(128 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{t}</title>\n<style>\n{CSS}.side {{ display: flex; flex-wrap: wrap; gap: 18px; \
         align-items: flex-start; }}\n</style>\n</head>\n<body>\n<header>\n<h1>{t}</h1>\n",
        t = escape(&title)
    );
    let _ = writeln!(
        out,
        "<p class=\"legend\">Every figure carries its tier: {} computed event by event by this \
         simulation, {} extrapolated from the simulated sizes by a fitted scaling model (with \
         the error it made on a held-back simulated size), {} stated by a reference document \
         (closed-form arithmetic, not a measurement).</p>\n</header>\n<main>",
        badge("simulated"),
        badge("projected"),
        badge(CLAIMED)
    );
    let sections = [
        ("summary", "Summary", summary(projection)),
        ("design", "Design scaled", design(projection)),
        ("scaling", "Scaling", scaling(projection)),
        ("sizes", "Sizes", sizes(projection)),
        ("fit", "Scaling model", fit(projection)),
        ("energy", "Energy and cost", energy_and_cost(projection)),
        ("notes", "Notes", notes(projection)),
    ];
    for (id, heading, body) in sections {
        let _ = write!(
            out,
            "<section id=\"{id}\">\n<h2>{}</h2>\n{body}</section>\n",
            escape(heading)
        );
    }
    out.push_str(
        "</main>\n<footer>\n<p>Written by <code>ruvsim project</code>. Beside this page: \
         <code>projection.csv</code> (the table over sizes) and <code>projection.json</code> \
         (everything, including the fit's parameters).</p>\n</footer>\n</body>\n</html>\n",
    );
    out
}

/// The headline: the target size's figure with its tier and error, the fit and the hops.
fn summary(projection: &Projection) -> String {
    let mut out = String::new();
    if let Some(row) = projection.rows.last() {
        let _ = writeln!(
            out,
            "<p class=\"callout\">At {} chips ({} replicas, {}): <strong>{} tok/s</strong> {}{}, \
             {} tok/s per chip, p50 {} ms between tokens.</p>",
            grouped(row.chips.into()),
            grouped(row.replicas.into()),
            escape(&row.layout.description),
            escape(&throughput_text(row)),
            badge(row.tier.label()),
            if row.capped {
                " (at the capacity bound)"
            } else {
                ""
            },
            escape(&number(row.tok_s_per_chip)),
            escape(&with_error(row.latency_p50_ms, row.latency_error)),
        );
    }
    out.push_str(&para(&fit_sentence(projection)));
    out.push_str(&para(&format!(
        "{} {}",
        host_sentence(projection),
        hop_sentence(projection)
    )));
    let trials = design_lines(projection);
    if !trials.is_empty() {
        out.push_str(&para(
            "The design was chosen by simulating each candidate at the same size and keeping \
             the highest throughput:",
        ));
        out.push_str("<ul>\n");
        for line in trials {
            let _ = writeln!(out, "<li>{}</li>", escape(&line));
        }
        out.push_str("</ul>\n");
    }
    out
}

/// The base design and the workload of every size.
fn design(projection: &Projection) -> String {
    let b = &projection.base;
    let facts = [
        ("from", b.origin.clone()),
        ("model", b.model.clone()),
        ("chip", b.variant.clone()),
        ("link", b.link.clone()),
        (
            "one replica",
            format!(
                "pipeline {} x tensor {} = {} chips",
                b.pipeline, b.tensor, b.chips_per_replica
            ),
        ),
        (
            "load per replica",
            format!(
                "closed loop, {} stream(s), {} request(s) of {} prompt + {} new tokens; timing \
                 fidelity",
                grouped(b.streams_per_replica.into()),
                grouped(b.requests_per_replica.into()),
                b.prompt_tokens,
                b.new_tokens
            ),
        ),
        ("topology", projection.topology_choice.clone()),
        (
            "simulated up to",
            format!("{} chips", grouped(projection.max_sim_chips.into())),
        ),
    ];
    let mut out = String::from("<dl class=\"facts\">\n");
    for (term, value) in facts {
        let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", escape(term), escape(&value));
    }
    out.push_str("</dl>\n");
    out
}

/// The chart beside the documents' scaling table.
fn scaling(projection: &Projection) -> String {
    let rows = claim_rows(projection)
        .into_iter()
        .map(|c| {
            let figure = c.figure.as_ref();
            vec![
                num(grouped(c.claim.chips.into())),
                text(c.claim.setup),
                num(c.claim.value_text()),
                badge_cell(CLAIMED),
                num(figure.map_or("no figure".into(), throughput_text)),
                figure.map_or(text(""), |r| badge_cell(r.tier.label())),
                num(c.ratio().map_or(String::new(), |x| format!("{x:.2}x"))),
                text(figure.map_or(String::new(), |r| r.layout.description.clone())),
            ]
        })
        .collect();
    let table = table(
        &[
            "chips",
            "document's setup",
            "claimed",
            "tier",
            "ruvsim (tok/s)",
            "tier",
            "claim / ruvsim",
            "ruvsim topology",
        ],
        rows,
    );
    format!(
        "<div class=\"side\">\n<div>{}</div>\n<div>\n<h3>The reference documents' scaling table</h3>\n{}{}</div>\n</div>\n",
        chart(
            "scaling",
            "Throughput against chips. Solid: simulated; dashed with the shaded band: projected \
             with its stated error; grey: the capacity bound; crosses: claimed.",
            scaling_chart(projection)
        ),
        table,
        note(
            "The documents' figures (ruvllm-esp32 README, Massive Scale > Scaling Performance) \
             are closed-form claims. ruvsim's figure at the same chip count is simulated when \
             that size was simulated, otherwise projected; its design is the one scaled here, \
             which may differ from the document's."
        )
    )
}

/// The table over sizes, with the wiring figures beside the display columns.
fn sizes(projection: &Projection) -> String {
    let mut headers: Vec<&str> = DISPLAY_HEADERS.to_vec();
    headers.extend([
        "stage hops",
        "gateway links",
        "mean hops to gateway",
        "capacity bound (tok/s)",
        "cost (USD)",
    ]);
    let rows = projection.rows.iter().map(size_cells).collect();
    table(&headers, rows)
}

fn size_cells(row: &Row) -> Vec<Cell> {
    let d = display_row(row);
    let mut cells = vec![
        num(d.chips),
        text(d.topology),
        num(d.replicas),
        num(d.throughput),
        num(d.latency_p50_ms),
        num(d.tok_s_per_chip),
        Cell::Html(format!(
            "{}{}",
            badge(row.tier.label()),
            if row.capped { " at bound" } else { "" }
        )),
    ];
    cells.extend([
        num(row.layout.stage_hops.to_string()),
        num(row.layout.gateway_ports.to_string()),
        num(format!("{:.1}", row.layout.gateway_hops_mean)),
        num(row.capacity_tok_s.map_or("none".into(), number)),
        num(row.cost_usd.map_or("-".into(), number)),
    ]);
    cells
}

/// The chosen model, its parameters, every candidate, and the latency model.
fn fit(projection: &Projection) -> String {
    let Some(fit) = &projection.fit else {
        return para(&fit_sentence(projection));
    };
    let mut out = para(&fit_sentence(projection));
    let model = &fit.selection.model;
    let parameters = model
        .kind
        .parameters()
        .iter()
        .zip(&model.params)
        .map(|(&(name, unit), value)| vec![text(name), num(format!("{value:.6e}")), text(unit)])
        .collect();
    out.push_str("<h3>Parameters (refitted on every simulated size)</h3>\n");
    out.push_str(&table(&["parameter", "value", "unit"], parameters));
    let candidates = fit
        .selection
        .candidates
        .iter()
        .map(|c| {
            let status = if c.kind == model.kind {
                "chosen".to_string()
            } else {
                c.rejected
                    .clone()
                    .unwrap_or_else(|| "larger residual".into())
            };
            vec![
                text(c.kind.name()),
                text(c.kind.formula()),
                num(c.residual.map_or("-".into(), percent)),
                num(c.held_back_error.map_or("-".into(), signed_percent)),
                text(status),
            ]
        })
        .collect();
    out.push_str("<h3>Candidates</h3>\n");
    out.push_str(&table(
        &[
            "model",
            "formula",
            "residual per degree of freedom",
            "error on held-back size",
            "status",
        ],
        candidates,
    ));
    out.push_str(&note(SYMBOLS));
    match &fit.latency {
        Some(l) => out.push_str(&para(&format!(
            "Latency: p50 time between tokens = k x R / T with k = {:.4} (ms x tok/s per replica), \
             T the projected throughput; off by {} on the held-back size.",
            l.k,
            signed_percent(l.held_back_error)
        ))),
        None => out.push_str(&para(
            "Latency is not projected: the runs have no time between tokens.",
        )),
    }
    out
}

/// What the formulas' symbols mean.
const SYMBOLS: &str =
    "T: throughput (tok/s); R: replicas; N: chips; h: mean hops from a replica's \
    last stage to the gateway; g: the gateway's links (1 on a shared medium). Every prediction is \
    capped by the capacity bound (a single gateway's links, or a backbone's shared elements).";

/// Energy (not modelled) and cost (chips x the user's price).
fn energy_and_cost(projection: &Projection) -> String {
    let mut out = para(&format!(
        "Energy: {} for projections; no figure is given rather than an invented one.",
        projection.energy
    ));
    out.push_str(&para(&format!(
        "Cost: {}.",
        match projection.cost.price_usd {
            Some(price) => format!("{} per chip, {}", number(price), projection.cost.source),
            None => projection.cost.source.clone(),
        }
    )));
    out
}

fn notes(projection: &Projection) -> String {
    if projection.notes.is_empty() {
        return para("Nothing to note: no size was left out, and no caveat applies to the design.");
    }
    let mut out = String::from("<ul>\n");
    for n in &projection.notes {
        let _ = writeln!(out, "<li>{}</li>", escape(n));
    }
    out.push_str("</ul>\n");
    out
}
