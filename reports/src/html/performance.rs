//! Sections about how the run went: the summary table, throughput, latency, utilisation and the
//! bottleneck.

use ruvsim_engine::stats::Distribution;
use ruvsim_sim::result::Outcome;
use ruvsim_sim::result::RunResult;

use super::{badge, badge_cell, chart, note, num, para, table, text, Cell};
use crate::charts::bars::{utilisation_chart, utilisation_histogram, Bar};
use crate::charts::latency::latency_chart;
use crate::charts::throughput::{throughput_chart, token_buckets};
use crate::format::{self, escape};
use crate::select::{busiest, spread, HTML_ROW_CAP};
use crate::summary::summary_rows;

/// The answer in one sentence, for the first screen: throughput, per chip, the time between
/// tokens and to the first token a client sees, and how many requests completed.
fn verdict(result: &RunResult) -> String {
    let s = &result.summary;
    let chips = result.cluster.chips.max(1);
    let time = |d: ruvsim_engine::time::Duration| {
        let (value, unit) = format::scaled_seconds(d.as_secs_f64());
        format!("{value} {unit}")
    };
    let total = s.requests_completed + s.requests_failed;
    let failed = if s.requests_failed > 0 {
        format!(
            "; <b>{} failed</b> (see below)",
            format::grouped(s.requests_failed.into())
        )
    } else {
        String::new()
    };
    format!(
        "<p class=\"callout\"><strong>{} tok/s</strong> {} from {} x {} ({} tok/s per chip); \
         each stream receives a token every {} (p50) and its first after {} (p50); {} of {} \
         requests completed{failed}.</p>\n",
        format::number(s.throughput_tok_s),
        badge(result.tier.label()),
        format::grouped(chips.into()),
        escape(&result.cluster.variant),
        format::significant(s.throughput_tok_s / f64::from(chips)),
        time(s.inter_token_latency.p50),
        time(s.time_to_first_token.p50),
        format::grouped(s.requests_completed.into()),
        format::grouped(total.into()),
    )
}

/// The verdict, the bottleneck and what would help, the headline table, and any failed requests.
pub(super) fn summary(result: &RunResult) -> String {
    let c = &result.cluster;
    let mut out = format!(
        "<p><b>{}</b> x {} on a {} topology, pipeline {} x tensor {} x replicas {}; {} requests, \
         {} fidelity.</p>\n",
        format::grouped(c.chips.into()),
        escape(&c.variant),
        escape(&c.topology),
        result.plan.pipeline,
        result.plan.tensor,
        format::grouped(result.plan.replicas.into()),
        format::grouped(result.requests.len() as u64),
        result.fidelity.name()
    );
    out.push_str(&verdict(result));
    out.push_str(&format!(
        "<div class=\"callout\"><b>Bottleneck:</b> {} {}</div>\n",
        escape(&result.bottleneck.explanation),
        badge(result.tier.label())
    ));
    let rows = summary_rows(result)
        .into_iter()
        .map(|row| {
            let (value, unit) = row.display();
            vec![
                text(row.figure.clone()),
                num(value),
                text(unit),
                badge_cell(row.tier.label()),
            ]
        })
        .collect();
    out.push_str(&table(&["figure", "value", "unit", "tier"], rows));
    let failed: Vec<Vec<Cell>> = result
        .requests
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Completed => None,
            Outcome::Failed { reason } => Some(vec![
                num(r.id.to_string()),
                num(r.generated.to_string()),
                text(reason.clone()),
            ]),
        })
        .collect();
    if !failed.is_empty() {
        let total = failed.len();
        out.push_str(&format!(
            "<h3>Failed requests ({})</h3>\n",
            format::grouped(total as u64)
        ));
        out.push_str(&table(
            &["request", "tokens generated", "why it ended"],
            failed.into_iter().take(HTML_ROW_CAP).collect(),
        ));
        if total > HTML_ROW_CAP {
            out.push_str(&note(&format!(
                "{} more failed requests are in result.json.",
                total - HTML_ROW_CAP
            )));
        }
    }
    out
}

/// Tokens per time bucket.
pub(super) fn throughput(result: &RunResult) -> String {
    let buckets = token_buckets(result);
    let makespan = format::scaled_seconds(result.summary.makespan.as_secs_f64());
    let mut out = para(&format!(
        "Generated tokens counted in buckets of {} ms from the first arrival, as tokens per \
         second; the run's mean is {} tok/s over a makespan of {} {}.",
        format::millis(buckets.width_ps),
        format::number(result.summary.throughput_tok_s),
        makespan.0,
        makespan.1
    ));
    out.push_str(&chart(
        "throughput",
        &format!("Throughput over time ({}).", result.tier.label()),
        throughput_chart(result),
    ));
    out
}

/// One distribution as a table row (milliseconds).
fn distribution_row(name: &str, d: &Distribution, tier: &str) -> Vec<Cell> {
    let ms = |d: ruvsim_engine::time::Duration| num(format::millis(d.as_ps()));
    vec![
        text(name),
        num(format::grouped(d.count)),
        ms(d.min),
        ms(d.mean),
        ms(d.p50),
        ms(d.p90),
        ms(d.p99),
        ms(d.max),
        badge_cell(tier),
    ]
}

/// CDFs and the distribution table.
pub(super) fn latency(result: &RunResult) -> String {
    let s = &result.summary;
    let tier = result.tier.label();
    let mut out = if s.inter_token_streamed {
        note(
            "No per-token records were kept in this run (--records summary), so there is no \
             cumulative chart; the table's inter-token figures were gathered as the tokens \
             arrived.",
        )
    } else {
        chart(
            "latency",
            &format!(
                "Cumulative distribution of inter-token latency and time to first token ({tier})."
            ),
            latency_chart(result),
        )
    };
    out.push_str(&table(
        &[
            "latency (ms)",
            "samples",
            "min",
            "mean",
            "p50",
            "p90",
            "p99",
            "max",
            "tier",
        ],
        vec![
            distribution_row("time to first token", &s.time_to_first_token, tier),
            distribution_row("inter-token latency", &s.inter_token_latency, tier),
            distribution_row("request latency", &s.request_latency, tier),
            distribution_row("queue wait", &s.queue_wait, tier),
        ],
    ));
    out.push_str(&note(if s.inter_token_streamed {
        "Percentiles are nearest-rank over exact picosecond samples, except inter-token latency: \
         its count, minimum, mean and maximum are exact and its percentiles come from a histogram \
         of three significant digits (within 0.1%). Times are rounded to the microsecond here."
    } else {
        "Percentiles are nearest-rank over exact picosecond samples; times are rounded to the \
         microsecond here (tokens.csv has them to the picosecond)."
    }));
    out
}

/// The utilisation of chips or links, in three parts: what comes before the bar chart (the
/// aggregates, and for a large cluster the distribution of all of them), the table, and the bars
/// (of the busiest, at most [`HTML_ROW_CAP`]).
fn resources(
    what: &str,
    utilisations: &[f64],
    label: impl Fn(usize) -> String,
    row: impl Fn(usize) -> Vec<Cell>,
    headers: &[&str],
) -> (String, String, Vec<Bar>) {
    let selection = busiest(utilisations, HTML_ROW_CAP);
    let (mean, min, max) = spread(utilisations);
    let mut out = String::new();
    if selection.elided() > 0 {
        out.push_str(&format!(
            "<p class=\"warning\">{} {what}s: the distribution below counts every one; the bar \
             chart and table after it show the {} busiest, and {} are left out there (the CSV \
             file lists every one). Over all {what}s: mean {}, least {}, most {} busy.</p>\n",
            format::grouped(selection.total as u64),
            selection.shown.len(),
            format::grouped(selection.elided() as u64),
            format::percent(mean),
            format::percent(min),
            format::percent(max)
        ));
        out.push_str(&chart(
            &format!("{what}s-distribution"),
            &format!(
                "How many {what}s were busy how much of the makespan, in steps of 5 points \
                 (all {} of them).",
                format::grouped(selection.total as u64)
            ),
            utilisation_histogram("utilisation distribution", utilisations, what),
        ));
    } else if !utilisations.is_empty() {
        out.push_str(&note(&format!(
            "Over all {what}s: mean {}, least {}, most {} busy.",
            format::percent(mean),
            format::percent(min),
            format::percent(max)
        )));
    }
    let bars = selection
        .shown
        .iter()
        .map(|&i| Bar {
            label: label(i),
            utilisation: utilisations[i],
        })
        .collect();
    let table_html = table(headers, selection.shown.iter().map(|&i| row(i)).collect());
    (out, table_html, bars)
}

/// Below this share of the makespan a resource counts as idle for the charts: every bar would
/// round to 0.0%.
const IDLE_SHARE: f64 = 0.001;

/// Chips and links: how busy each was.
pub(super) fn utilisation(result: &RunResult) -> String {
    let tier = result.tier.label();
    let chip_use: Vec<f64> = result.chips.iter().map(|c| c.utilisation).collect();
    let (chip_intro, chip_table, chip_bars) = resources(
        "chip",
        &chip_use,
        |i| result.chips[i].chip.to_string(),
        |i| {
            let c = &result.chips[i];
            vec![
                num(c.chip.to_string()),
                num(c.replica.to_string()),
                num(c.stage.to_string()),
                num(c.rank.to_string()),
                num(format::grouped(c.tasks)),
                num(format::millis(c.busy.as_ps())),
                num(format::percent(c.utilisation)),
                badge_cell(tier),
            ]
        },
        &[
            "chip",
            "replica",
            "stage",
            "rank",
            "tasks",
            "busy (ms)",
            "busy",
            "tier",
        ],
    );
    let mut out = String::from("<h3>Chips</h3>\n");
    let most_busy = chip_use.iter().copied().fold(0.0, f64::max);
    if most_busy < IDLE_SHARE {
        // A chart of bars that all round to 0.0% says nothing a sentence cannot.
        let most_busy = format::significant(most_busy * 100.0);
        out.push_str(&para(&format!(
            "Every one of the {} chips computed less than {} of the makespan (the busiest {}%): \
             the chips are not what limits this run (see the bottleneck). chips.csv lists each.",
            format::grouped(chip_use.len() as u64),
            format::percent(IDLE_SHARE),
            most_busy
        )));
    } else {
        out.push_str(&chip_intro);
        out.push_str(&chart(
            "chips",
            "Fraction of the makespan each chip was computing.",
            utilisation_chart("chip utilisation", &chip_bars, "chip"),
        ));
        out.push_str(&chip_table);
    }

    out.push_str("<h3>Links</h3>\n");
    if result.links.is_empty() {
        out.push_str(&para("This cluster has no links (a single chip)."));
    } else if result.links.iter().all(|l| l.messages == 0) {
        out.push_str(&para(&format!(
            "None of the {} links carried a message in this run (every replica's work stayed on \
             its own chip), so there is nothing to chart.",
            format::grouped(result.links.len() as u64)
        )));
    } else {
        let link_use: Vec<f64> = result.links.iter().map(|l| l.utilisation).collect();
        let (link_intro, link_table, link_bars) = resources(
            "link",
            &link_use,
            |i| result.links[i].ends.clone(),
            |i| {
                let l = &result.links[i];
                vec![
                    num(l.link.to_string()),
                    text(l.ends.clone()),
                    num(format::grouped(l.bytes)),
                    num(format::grouped(l.messages)),
                    num(format::millis(l.busy.as_ps())),
                    num(format::percent(l.utilisation)),
                    badge_cell(tier),
                ]
            },
            &[
                "link",
                "ends",
                "bytes",
                "messages",
                "busy (ms)",
                "busy",
                "tier",
            ],
        );
        out.push_str(&link_intro);
        out.push_str(&chart(
            "links",
            "Fraction of the makespan each link was transmitting.",
            utilisation_chart("link utilisation", &link_bars, "link (ends)"),
        ));
        out.push_str(&link_table);
    }
    if result.timeline_dropped > 0 {
        out.push_str(&note(&format!(
            "timeline.json holds {} spans; {} later spans were not recorded (the run's timeline \
             limit). Utilisation above counts every span.",
            format::grouped(result.timeline.len() as u64),
            format::grouped(result.timeline_dropped)
        )));
    }
    out
}

/// The busiest resource and why.
pub(super) fn bottleneck(result: &RunResult) -> String {
    let b = &result.bottleneck;
    table(
        &["busiest resource", "busy", "why", "tier"],
        vec![vec![
            text(b.resource.clone()),
            num(format::percent(b.utilisation)),
            text(b.explanation.clone()),
            badge_cell(result.tier.label()),
        ]],
    )
}
