//! Sections that put the run in context: energy and cost, the generated text, the reference
//! documents' claims, and the calibration the figures rest on.

use ruvsim_hw::calibration::sources;
use ruvsim_sim::result::RunResult;
use ruvsim_sim::scenario::Fidelity;

use super::{badge, badge_cell, note, num, para, table, text, Cell};
use crate::claims::{check, ClaimCheck, Verdict, CLAIMED};
use crate::format::{self, escape};
use crate::select::HTML_ROW_CAP;

/// Energy from the simulated power-state times, the currents it rests on, and battery life;
/// cost is not modelled, and the page says so rather than show a guess.
pub(super) fn energy(result: &RunResult) -> String {
    let e = &result.energy;
    let tier = e.tier.label();
    let joules = |nj: u64| format!("{} J", format::significant(nj as f64 / 1e9));
    let mut rows = vec![
        vec![
            text("energy, all chips"),
            num(joules(e.total_nj)),
            badge_cell(tier),
        ],
        vec![
            text("  while busy"),
            num(joules(e.active_nj)),
            badge_cell(tier),
        ],
        vec![
            text("  while resting"),
            num(joules(e.rest_nj)),
            badge_cell(tier),
        ],
    ];
    if let Some(nj) = e.per_token_nj {
        let mj = format!("{} mJ", format::significant(nj as f64 / 1e6));
        rows.push(vec![
            text("energy per generated token"),
            num(mj),
            badge_cell(tier),
        ]);
    }
    if let Some(nw) = e.average_power_nw {
        let mw = format!("{} mW", format::significant(nw as f64 / 1e6));
        rows.push(vec![
            text("average power of the cluster"),
            num(mw),
            badge_cell(tier),
        ]);
    }
    let b = &e.battery;
    if let Some(hours) = b.cluster_hours {
        rows.push(vec![
            text("battery life, one battery for the whole cluster"),
            num(format!("{} h", format::significant(hours))),
            badge_cell(tier),
        ]);
    }
    if let (Some(hours), Some(board)) = (b.board_hours, b.first_empty_board) {
        rows.push(vec![
            text(format!(
                "battery life, one battery per board (chip {board} empties first)"
            )),
            num(format!("{} h", format::significant(hours))),
            badge_cell(tier),
        ]);
    }
    let mut out = para(&format!(
        "Each chip's busy time is charged at the active-state current and the rest of the {} ms \
         window at the resting state's, at {} mV.",
        format::millis(e.window.as_ps()),
        e.supply_mv
    ));
    out.push_str(&table(&["figure", "value", "tier"], rows));
    let draw = |role: &str, d: &ruvsim_hw::energy::PowerDraw| {
        vec![
            text(role),
            text(d.state.describe()),
            num(format!(
                "{} mA",
                format::significant(d.current_ua as f64 / 1000.0)
            )),
            text(d.key.clone()),
            text(d.source.clone()),
        ]
    };
    out.push_str(&table(
        &[
            "charged for",
            "power state",
            "current",
            "calibration key",
            "source",
        ],
        vec![draw("busy time", &e.active), draw("the rest", &e.rest)],
    ));
    let mut notes = vec![
        format!("Supply voltage: {}.", e.supply_source),
        format!(
            "Battery: {} mAh at {} V ({}).",
            b.capacity_mah, b.volts, b.assumption
        ),
        format!("Links: {}", e.links),
        format!("Sleep transitions: {}", e.wake_ups),
    ];
    notes.extend(e.clock_note.clone());
    for n in notes {
        out.push_str(&note(&n));
    }
    out.push_str(&para(
        "Cost is not modelled by ruvsim: the calibration holds no prices, so no cost figure is \
         given. The reference documents' prices (e.g. $4 per chip) are not checked by this run.",
    ));
    out
}

/// Generated text per request (functional fidelity with a tokenizer), else why there is none.
pub(super) fn generated_text(result: &RunResult) -> String {
    if result.fidelity == Fidelity::Timing {
        return para(
            "Timing fidelity: chips were charged predicted operation counts and computed no \
             tokens, so there is no text. Run with functional fidelity to see it.",
        );
    }
    let mut out = String::new();
    if result.model.synthetic {
        out.push_str(
            "<p class=\"warning\">The model's weights are random (synthetic): the text below is \
             what those weights produce and means nothing. It shows that the chips computed real \
             tokens, and that every plan chooses the same ones.</p>\n",
        );
    }
    let shown = result.requests.len().min(HTML_ROW_CAP);
    let rows = result
        .requests
        .iter()
        .take(shown)
        .enumerate()
        .map(|(i, request)| {
            let body = match result.texts.get(i).and_then(Option::as_ref) {
                Some(t) => t.clone(),
                None if request.tokens.is_empty() => "(no tokens generated)".into(),
                None => format!(
                    "token ids (no tokenizer): {}",
                    request
                        .tokens
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            };
            vec![
                num(request.id.to_string()),
                Cell::Html(format!("<pre class=\"text\">{}</pre>", escape(&body))),
            ]
        })
        .collect();
    if shown > 0 {
        out.push_str(&table(&["request", "generated"], rows));
    }
    if shown < result.requests.len() {
        out.push_str(&note(&format!(
            "{} more requests are not shown; result.json has every request's tokens and text.",
            format::grouped((result.requests.len() - shown) as u64)
        )));
    }
    if result.requests.is_empty() {
        out.push_str(&para("The run had no requests."));
    }
    out
}

/// ruvsim's side of an applicable claim, as cells: figure with badge, and the comparison.
fn verdict_cells(check: &ClaimCheck) -> [Cell; 2] {
    match &check.verdict {
        Verdict::Compared {
            value,
            tier,
            basis,
            caveats,
        } => {
            let unit = check.claim.quantity.unit();
            let sep = if unit == "x" { "" } else { " " };
            let comparison = match check.ratio() {
                Some((low, high)) if (low - high).abs() < 1e-12 => {
                    format!("the claim is {}x ruvsim's figure", format::short(low))
                }
                Some((low, high)) => format!(
                    "the claim is {}x to {}x ruvsim's figure",
                    format::short(low),
                    format::short(high)
                ),
                None => "no comparison (ruvsim's figure is zero)".into(),
            };
            let comparison = if check.claim.quantity.lower_is_better() {
                format!("{comparison}; lower is better here")
            } else {
                comparison
            };
            let mut notes = format!("{} ({})", escape(&comparison), escape(basis));
            for caveat in caveats {
                notes.push_str(&format!(
                    "<br><span class=\"note\">{}</span>",
                    escape(caveat)
                ));
            }
            [
                Cell::Html(format!(
                    "{}{sep}{} {}",
                    escape(&format::number(*value)),
                    escape(unit),
                    badge(tier.label())
                )),
                Cell::Html(notes),
            ]
        }
        Verdict::NoFigure(why) => [text("-"), text(why.clone())],
        Verdict::DoesNotApply(why) => [text("-"), text(why.clone())],
    }
}

/// The claims check: applicable claims beside ruvsim's figures, then the rest with the reason.
pub(super) fn claims(result: &RunResult) -> String {
    let checks = check(result, None);
    let (applies, others): (Vec<&ClaimCheck>, Vec<&ClaimCheck>) = checks
        .iter()
        .partition(|c| !matches!(c.verdict, Verdict::DoesNotApply(_)));
    let mut out = para(
        "What the reference documents claim for this kind of setup, beside ruvsim's figure for \
         this scenario. The documents' multi-chip figures are closed-form arithmetic, not \
         measurements; they are labelled as claims whatever the documents call them (their own \
         label is in the last column). A speed-up is only shown against a standalone baseline \
         run of the same model.",
    );
    let row = |c: &ClaimCheck| {
        let [figure, comparison] = verdict_cells(c);
        vec![
            text(c.claim.setup),
            Cell::Html(format!(
                "{} {}",
                escape(&c.claim.value_text()),
                badge(CLAIMED)
            )),
            figure,
            comparison,
            text(format!(
                "{} > {}",
                c.claim.source.document, c.claim.source.section
            )),
            text(c.claim.source.label),
        ]
    };
    let headers = [
        "claimed setup",
        "claim",
        "ruvsim",
        "comparison",
        "source",
        "document's label",
    ];
    if applies.is_empty() {
        out.push_str(&para(
            "No claim in the reference documents is about this kind of setup.",
        ));
    } else {
        out.push_str(&table(&headers, applies.iter().map(|c| row(c)).collect()));
    }
    out.push_str("<h3>Claims about other setups</h3>\n");
    out.push_str(&table(
        &["claimed setup", "claim", "source", "why it does not apply"],
        others
            .iter()
            .map(|c| {
                vec![
                    text(c.claim.setup),
                    Cell::Html(format!(
                        "{} {}",
                        escape(&c.claim.value_text()),
                        badge(CLAIMED)
                    )),
                    text(format!(
                        "{} > {}",
                        c.claim.source.document, c.claim.source.section
                    )),
                    text(match &c.verdict {
                        Verdict::DoesNotApply(why) => why.clone(),
                        _ => String::new(),
                    }),
                ]
            })
            .collect(),
    ));
    out
}

/// The calibration table with its sources.
pub(super) fn calibration(result: &RunResult) -> String {
    let mut out = para(
        "Every hardware number the simulation used, with where it comes from (a citation, a \
         derivation, or the override that set it).",
    );
    out.push_str(&table(
        &["key", "value", "source"],
        result
            .calibration
            .iter()
            .map(|e| {
                vec![
                    text(e.key.clone()),
                    num(e.value.clone()),
                    text(e.source.clone()),
                ]
            })
            .collect(),
    ));
    out.push_str(&citations(result));
    out
}

/// What each "CAL sN" in the sources above leads to: section N of the sources document shipped in
/// the repository, its title, and the public documents and repositories it cites.
fn citations(result: &RunResult) -> String {
    let mut numbers: Vec<u32> = result
        .calibration
        .iter()
        .flat_map(|e| sources::cited(&e.source))
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    if numbers.is_empty() {
        return String::new();
    }
    let mut out = para(&format!(
        "\"CAL sN\" is section N of {} in the ruvsim repository, which quotes each figure with \
         its public source (repository paths at the commits it names):",
        sources::SOURCES_PATH
    ));
    out.push_str(&table(
        &[
            "citation",
            "section",
            "public documents and repositories it cites",
        ],
        numbers
            .into_iter()
            .map(|n| {
                let (title, documents) = match sources::section(n) {
                    Some(section) if section.documents.is_empty() => (
                        section.title,
                        "no further document: the section derives its figures, saying how".into(),
                    ),
                    Some(section) => (section.title, section.documents.join("; ")),
                    None => ("(no such section)".into(), String::new()),
                };
                vec![text(format!("CAL s{n}")), text(title), text(documents)]
            })
            .collect(),
    ));
    out
}
