//! Sections about what was run: the scenario and model, the plan, and the cluster diagram.

use std::fmt::Write as _;

use ruvsim_sim::plan::ChipPlan;
use ruvsim_sim::result::RunResult;

use super::{chart, note, num, para, table, text, Cell};
use crate::charts::memory::{memory_chart, SramUse};
use crate::charts::topology::{topology_chart, MAX_DRAWN_CHIPS};
use crate::format::{self, escape};
use crate::select::HTML_ROW_CAP;

/// A definition list of (term, escaped value) pairs.
fn facts(items: &[(&str, String)]) -> String {
    let mut out = String::from("<dl class=\"facts\">\n");
    for (term, value) in items {
        let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", escape(term), escape(value));
    }
    out.push_str("</dl>\n");
    out
}

/// `a..b` for a span, `-` when empty.
fn span(start: u32, end: u32) -> String {
    match end.checked_sub(start) {
        None | Some(0) => "-".into(),
        Some(1) => start.to_string(),
        Some(_) => format!("{start}-{}", end - 1),
    }
}

/// The scenario and the model.
pub(super) fn scenario(result: &RunResult) -> String {
    let m = &result.model;
    let c = &m.config;
    let mut out = facts(&[
        ("scenario", result.scenario.clone()),
        ("seed", result.seed.to_string()),
        (
            "fidelity",
            format!(
                "{} ({})",
                result.fidelity.name(),
                match result.fidelity {
                    ruvsim_sim::scenario::Fidelity::Functional =>
                        "chips run the inference core on the weights: tokens are real",
                    ruvsim_sim::scenario::Fidelity::Timing =>
                        "chips are charged predicted operation counts; no weights are touched",
                }
            ),
        ),
        ("model", m.source.clone()),
        (
            "shape",
            format!(
                "dim {}, hidden {}, {} layers, {} heads ({} KV), vocabulary {}, context {}",
                c.shape.dim,
                c.shape.hidden_dim,
                c.shape.n_layers,
                c.shape.n_heads,
                c.shape.n_kv_heads,
                c.shape.vocab_size,
                c.shape.seq_len
            ),
        ),
        ("precision", c.precision.name().to_string()),
        ("model size", format::bytes(m.weight_bytes)),
    ]);
    if m.synthetic {
        out.push_str(&note(
            "The weights are synthetic (random, from a seed): timing is meaningful, the generated \
             text is not.",
        ));
    }
    out
}

/// The plan: parallelism, stages, and every chip of one replica against its SRAM budget.
pub(super) fn plan(result: &RunResult) -> String {
    let p = &result.plan;
    let mut out = format!(
        "<p>Pipeline <b>{}</b> x tensor <b>{}</b> x replicas <b>{}</b>; {} stream(s) per replica, \
         each with a KV cache for {} positions. Every replica holds the model the same way; the \
         table lists one replica's chips.</p>\n",
        p.pipeline,
        p.tensor,
        format::grouped(p.replicas.into()),
        p.streams_per_replica,
        p.context_len
    );
    let stages = p
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| vec![num(i.to_string()), text(span(s.start, s.end))])
        .collect();
    out.push_str(&table(&["stage", "layers"], stages));
    let shown = p.chips.len().min(HTML_ROW_CAP);
    // One replica's chips, labelled by index, then its draft chip when it speculates.
    let listed: Vec<(String, &ChipPlan)> = p
        .chips
        .iter()
        .take(shown)
        .enumerate()
        .map(|(i, chip)| (i.to_string(), chip))
        .chain(p.draft.iter().map(|d| ("draft".to_string(), &d.chip)))
        .collect();
    if let Some(draft) = &p.draft {
        let c = &draft.config;
        out.push_str(&para(&format!(
            "Each replica also has a speculative draft chip holding a draft model (dim {}, {} \
             layers, {} heads, {}), listed as \"draft\".",
            c.shape.dim,
            c.shape.n_layers,
            c.shape.n_heads,
            c.precision.name()
        )));
    }
    let rows = listed
        .iter()
        .map(|(label, chip)| {
            let s = &chip.shard;
            let pl = &chip.placement;
            let share = if pl.sram_budget > 0 {
                format::percent(pl.sram_used as f64 / pl.sram_budget as f64)
            } else {
                "no budget".into()
            };
            vec![
                num(label.clone()),
                num(chip.stage.to_string()),
                num(chip.rank.to_string()),
                text(if s.embedding { "yes" } else { "no" }),
                text(span(s.layers.start, s.layers.end)),
                text(span(s.heads.start, s.heads.end)),
                text(span(s.ffn_units.start, s.ffn_units.end)),
                text(span(s.vocab.start, s.vocab.end)),
                Cell::Text(format!(
                    "{} in {}",
                    format::bytes(chip.footprint.weights_bytes),
                    pl.weights.name()
                )),
                Cell::Text(format!(
                    "{} in {}",
                    format::bytes(chip.footprint.kv_cache_bytes),
                    pl.kv_cache.name()
                )),
                num(format::bytes(chip.footprint.activation_bytes)),
                num(format!(
                    "{} / {} ({share})",
                    format::bytes(pl.sram_used),
                    format::bytes(pl.sram_budget)
                )),
                num(format!("{} ms", format::millis(chip.token_time.as_ps()))),
            ]
        })
        .collect();
    out.push_str("<h3>Chips of one replica</h3>\n");
    out.push_str(&table(
        &[
            "chip",
            "stage",
            "rank",
            "embedding",
            "layers",
            "heads",
            "ffn units",
            "classifier rows",
            "weights",
            "KV cache",
            "activations",
            "SRAM used / budget",
            "predicted time per token",
        ],
        rows,
    ));
    if shown < p.chips.len() {
        out.push_str(&note(&format!(
            "{} more chips per replica are not listed here; chips.csv lists every chip.",
            p.chips.len() - shown
        )));
    }
    let bars: Vec<(String, SramUse)> = listed
        .iter()
        .map(|(label, chip)| (label.clone(), SramUse::of(chip)))
        .collect();
    out.push_str(&chart(
        "memory",
        "SRAM use per chip of one replica, by what it holds, against the SRAM a model may use \
         (red line). Weights or KV cache placed in PSRAM or flash are not in the bars; the table \
         says where they live.",
        memory_chart(&bars),
    ));
    out
}

/// The cluster: hardware facts and the node-link diagram.
pub(super) fn cluster(result: &RunResult) -> String {
    let c = &result.cluster;
    let mut out = facts(&[
        (
            "chips",
            format!("{} x {}", format::grouped(c.chips.into()), c.variant),
        ),
        ("topology", c.topology.clone()),
        ("links", format::grouped(c.links.into())),
        ("link", c.link.clone()),
        (
            "CPU",
            format!(
                "{} MHz, {} core(s) used, {} kernels",
                c.clock_mhz, c.cores_used, c.kernel
            ),
        ),
    ]);
    match topology_chart(result) {
        Some(svg) => out.push_str(&chart(
            "topology",
            "Chips placed by plan (columns: pipeline stages, rows: tensor ranks, blocks: \
             replicas), coloured from green (idle) to red (always busy); line thickness and \
             colour show link utilisation.",
            svg,
        )),
        None => out.push_str(&format!(
            "<p class=\"warning\">Too many chips to draw ({} chips; the diagram is drawn for up to \
             {MAX_DRAWN_CHIPS}). The utilisation section lists the busiest chips and links.</p>\n",
            format::grouped(c.chips.into())
        )),
    }
    out
}
