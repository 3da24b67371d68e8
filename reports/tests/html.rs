//! The HTML page: self-contained, escaped, every section and chart present, tier badges, the
//! claims check for each kind of setup, and a huge cluster kept to a readable size.

mod common;

use ruvsim_reports::claims::{check, Verdict, CLAIMS};
use ruvsim_reports::html::render;
use ruvsim_reports::select::HTML_ROW_CAP;
use ruvsim_reports::{write_run_report, Records};
use ruvsim_sim::result::{LinkResult, RunResult};

/// The markup of the `<figure>` (or warning) with id `chart-{id}`.
fn chart<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"chart-{id}\""))
        .unwrap_or_else(|| panic!("chart {id} missing"));
    let end = html[start..]
        .find("</figure>")
        .map_or(html.len(), |e| start + e);
    &html[start..end]
}

fn verdict<'a>(checks: &'a [ruvsim_reports::claims::ClaimCheck], id: &str) -> &'a Verdict {
    &checks.iter().find(|c| c.claim.id == id).unwrap().verdict
}

#[test]
fn the_page_is_self_contained_and_escaped() {
    let html = render(&common::pipeline5(), Records::All);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<title>ruvsim report: test &lt;scenario&gt; &amp; co</title>"));
    assert!(
        !html.contains("<scenario>"),
        "the scenario name must be escaped"
    );
    assert!(!html.contains("<script"), "no scripts");
    for attribute in ["src=", "href=\"http", "url(", "@import"] {
        assert!(!html.contains(attribute), "external reference {attribute}");
    }
    for section in [
        "summary",
        "scenario",
        "plan",
        "cluster",
        "throughput",
        "latency",
        "utilisation",
        "bottleneck",
        "energy",
        "text",
        "claims",
        "calibration",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{section}\">")),
            "{section}"
        );
    }
}

#[test]
fn every_chart_is_drawn() {
    let html = render(&common::pipeline5(), Records::All);
    for id in [
        "memory",
        "topology",
        "throughput",
        "latency",
        "chips",
        "links",
    ] {
        let figure = chart(&html, id);
        assert!(figure.contains("<svg"), "{id}: no svg");
        let drawn = ["<rect", "<circle", "<polyline", "<path", "<line"]
            .iter()
            .map(|tag| figure.matches(tag).count())
            .sum::<usize>();
        assert!(drawn > 5, "{id}: only {drawn} drawn elements");
        assert!(figure.contains("<text"), "{id}: no labels");
    }
}

#[test]
fn figures_carry_their_tier_and_energy_is_not_invented() {
    let result = common::pipeline5();
    let html = render(&result, Records::All);
    let summary = &html[html.find("<section id=\"summary\">").unwrap()..];
    let summary = &summary[..summary.find("</section>").unwrap()];
    let rows = summary.matches("<tr>").count() - 1;
    assert_eq!(
        summary.matches("tier tier-simulated").count(),
        rows + 2,
        "one badge per summary row, one for the verdict, one for the bottleneck"
    );
    let energy = &html[html.find("<section id=\"energy\">").unwrap()..];
    let energy = &energy[..energy.find("</section>").unwrap()];
    assert!(energy.contains("energy, all chips"));
    assert!(
        energy.contains(&result.energy.active.key),
        "the current's calibration key"
    );
    assert!(energy.contains("Cost is not modelled"));
    assert!(html.contains("random (synthetic)"));
}

#[test]
fn timing_runs_say_there_is_no_text() {
    let html = render(&common::tensor4(), Records::All);
    assert!(html.contains("Timing fidelity: chips were charged predicted operation counts"));
}

#[test]
fn claims_apply_by_kind_of_setup() {
    let pipeline = common::pipeline5();
    let checks = check(&pipeline, None);
    assert_eq!(checks.len(), CLAIMS.len());
    match verdict(&checks, "pipeline-1003") {
        Verdict::Compared { value, .. } => assert_eq!(*value, pipeline.summary.throughput_tok_s),
        other => panic!("{other:?}"),
    }
    let claimed = checks
        .iter()
        .find(|c| c.claim.id == "pipeline-1003")
        .unwrap();
    let ratio = 1003.0 / pipeline.summary.throughput_tok_s;
    assert_eq!(claimed.ratio(), Some((ratio, ratio)));
    match verdict(&checks, "pipeline-4.2x") {
        Verdict::NoFigure(why) => assert!(why.contains("run the standalone scenario"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        verdict(&checks, "tensor-3.5x"),
        Verdict::DoesNotApply(_)
    ));
    assert!(matches!(
        verdict(&checks, "single-esp32s3-4000"),
        Verdict::DoesNotApply(_)
    ));
    assert!(matches!(
        verdict(&checks, "scaling-100"),
        Verdict::DoesNotApply(_)
    ));

    let alone = common::standalone();
    let single = check(&alone, None);
    assert!(matches!(
        verdict(&single, "single-esp32s3-4000"),
        Verdict::Compared { .. }
    ));
    assert!(matches!(
        verdict(&single, "single-esp32-236"),
        Verdict::DoesNotApply(_)
    ));
    assert!(matches!(
        verdict(&single, "pipeline-4.2x"),
        Verdict::DoesNotApply(_)
    ));
    match verdict(&single, "single-esp32s3-2ms") {
        Verdict::Compared { value, .. } => {
            let mean_ms = alone.summary.inter_token_latency.mean.as_ps() as f64 / 1e9;
            assert_eq!(*value, mean_ms);
        }
        other => panic!("{other:?}"),
    }

    let tensor = check(&common::tensor4(), None);
    assert!(matches!(
        verdict(&tensor, "tensor-3.5x"),
        Verdict::NoFigure(_)
    ));
    assert!(matches!(
        verdict(&tensor, "pipeline-4.2x"),
        Verdict::DoesNotApply(_)
    ));
}

#[test]
fn speed_ups_need_a_matching_baseline() {
    let pipeline = common::pipeline5();
    let alone = common::standalone();
    let checks = check(&pipeline, Some(&alone));
    match verdict(&checks, "pipeline-4.2x") {
        Verdict::Compared { value, basis, .. } => {
            let expected = pipeline.summary.throughput_tok_s / alone.summary.throughput_tok_s;
            assert_eq!(*value, expected);
            assert!(basis.contains("standalone"), "{basis}");
        }
        other => panic!("{other:?}"),
    }
    let wrong = check(&pipeline, Some(&common::tensor4()));
    match verdict(&wrong, "pipeline-4.2x") {
        Verdict::NoFigure(why) => assert!(why.contains("has 4 chips"), "{why}"),
        other => panic!("{other:?}"),
    }
}

/// A 5-stage pipeline result widened to `replicas` identical replicas on a chain, with varied
/// utilisation: what a huge run hands the report writer.
fn widened(base: &RunResult, replicas: u32) -> RunResult {
    let mut result = base.clone();
    let per = base.plan.chips_per_replica();
    let chips = replicas * per;
    result.plan.replicas = replicas;
    result.cluster.chips = chips;
    result.chips = (0..chips)
        .map(|chip| {
            let mut c = base.chips[(chip % per) as usize].clone();
            c.chip = chip;
            c.replica = chip / per;
            c.utilisation = ((u64::from(chip) * 7919) % 1000) as f64 / 1000.0;
            c
        })
        .collect();
    let template: &LinkResult = &base.links[0];
    result.links = (0..chips - 1)
        .map(|link| LinkResult {
            link,
            ends: format!("{}-{}", link, link + 1),
            pair: Some([link, link + 1]),
            utilisation: ((u64::from(link) * 104_729) % 1000) as f64 / 1000.0,
            ..template.clone()
        })
        .collect();
    result.cluster.links = chips - 1;
    result
}

#[test]
fn huge_clusters_are_capped_in_the_page_but_not_in_the_csv() {
    let result = widened(&common::pipeline5(), 20_000);
    assert_eq!(result.chips.len(), 100_000);
    let dir = common::scratch("html-huge");
    write_run_report(&result, &dir, Records::All).unwrap();
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("Too many chips to draw (100,000 chips"));
    assert!(html.contains("100,000 chips: the distribution below counts every one"));
    assert!(html.contains(&format!(
        "the bar chart and table after it show the {HTML_ROW_CAP} busiest"
    )));
    assert!(html.contains("99,936 are left out there"));
    assert!(html.contains("id=\"chart-chips-distribution\""));
    assert!(html.contains("id=\"chart-links-distribution\""));
    assert!(html.len() < 2_000_000, "page is {} bytes", html.len());
    let chips_csv = std::fs::read_to_string(dir.join("chips.csv")).unwrap();
    assert_eq!(chips_csv.lines().count(), 100_001);
    let links_csv = std::fs::read_to_string(dir.join("links.csv")).unwrap();
    assert_eq!(links_csv.lines().count(), 100_000);
}
