//! Sections that put the run in context: energy and cost, the generated text, the reference
//! documents' claims, and the calibration the figures rest on.

use ruvsim_sim::result::RunResult;
use ruvsim_sim::scenario::Fidelity;

use super::{badge, note, num, para, table, text, Cell};
use crate::claims::{check, ClaimCheck, Verdict, CLAIMED};
use crate::format::{self, escape};
use crate::select::HTML_ROW_CAP;

/// Energy and cost are not modelled yet: say so rather than show a guess.
pub(super) fn energy() -> String {
    para(
        "Energy and cost are not modelled by ruvsim yet, so no figure is given here. The \
         reference documents' power and price figures (e.g. 0.5 W and $4 per chip) are not \
         checked by this run.",
    )
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
            let comparison = match check.optimism() {
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
    out
}
