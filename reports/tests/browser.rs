//! The report in a real browser: headless Chromium loads `report.html` from a file, and the test
//! checks the page title, that every chart rendered as an SVG with drawn elements (from the
//! dumped DOM), that every section shows something or says why not, that nothing was logged as a
//! console error or failed request, and saves a screenshot next to the report. The summary-only
//! report and the projection page get the same section and console checks.
//!
//! Skips with a message when no Chromium is installed (`apt-get install chromium`), unless
//! `RUVSIM_REQUIRE_ALL=1`, when a missing browser is a failure. `RUVSIM_CHROMIUM` names the
//! browser binary explicitly.

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ruvsim_reports::{write_run_report, Records};

/// Longest a browser run may take before the test gives up on it.
const BROWSER_LIMIT: Duration = Duration::from_secs(120);

/// The browser binary, or why there is none.
fn chromium() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("RUVSIM_CHROMIUM") {
        return Ok(PathBuf::from(path));
    }
    let names = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ];
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            format!(
                "no Chromium found on PATH (looked for {})",
                names.join(", ")
            )
        })
}

/// Runs the browser headless on `page` with `extra` arguments; returns (stdout, stderr). The
/// output goes through files beside the profile, so a large DOM cannot fill a pipe and stall.
fn browse(browser: &Path, profile: &Path, page: &Path, extra: &[String]) -> (String, String) {
    let (out_path, err_path) = (
        profile.with_extension("stdout"),
        profile.with_extension("stderr"),
    );
    let file = |path: &Path| File::create(path).expect("browser output file");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::from(file(&out_path)))
        .stderr(Stdio::from(file(&err_path)))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("browser status") {
            break status;
        }
        if started.elapsed() > BROWSER_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the browser did not finish within {BROWSER_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let read = |path: &Path| String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
    assert!(
        status.success(),
        "browser failed: {status:?}\n{}",
        read(&err_path)
    );
    (read(&out_path), read(&err_path))
}

/// Every `<section>` of the rendered page holds more than its heading: a chart, a table, or at
/// least a sentence saying why there is nothing to show.
fn every_section_has_content_or_says_why(dom: &str, at_least: usize) {
    let mut rest = dom;
    let mut sections = 0;
    while let Some(start) = rest.find("<section") {
        let body = &rest[start..];
        let end = body.find("</section>").expect("section end");
        let section = &body[..end];
        let after_heading = section
            .find("</h2>")
            .map_or(section, |h| &section[h + "</h2>".len()..]);
        let text: String = {
            let mut inside_tag = false;
            after_heading
                .chars()
                .filter(|&c| {
                    match c {
                        '<' => inside_tag = true,
                        '>' => {
                            inside_tag = false;
                            return false;
                        }
                        _ => {}
                    }
                    !inside_tag
                })
                .collect()
        };
        let has_figure = after_heading.contains("<svg") || after_heading.contains("<table");
        assert!(
            has_figure || text.split_whitespace().count() >= 5,
            "a section shows nothing and says nothing: {}",
            &section[..section.len().min(200)]
        );
        sections += 1;
        rest = &body[end..];
    }
    assert!(sections >= at_least, "only {sections} sections in the page");
}

/// Each chart of `ids` is in the DOM with plotted elements.
fn charts_are_drawn(dom: &str, ids: &[&str]) {
    for id in ids {
        let start = dom
            .find(&format!("id=\"chart-{id}\""))
            .unwrap_or_else(|| panic!("chart {id} missing from the DOM"));
        let figure = &dom[start..start + dom[start..].find("</figure>").expect("figure end")];
        assert!(figure.contains("<svg"), "chart {id} has no svg");
        let drawn = ["<rect", "<circle", "<polyline", "<path", "<line", "<text"]
            .iter()
            .map(|tag| figure.matches(tag).count())
            .sum::<usize>();
        assert!(drawn > 5, "chart {id}: {drawn} drawn elements");
    }
}

#[test]
fn the_report_renders_in_chromium() {
    let browser = match chromium() {
        Ok(path) => path,
        Err(why) if std::env::var("RUVSIM_REQUIRE_ALL").as_deref() == Ok("1") => {
            panic!("RUVSIM_REQUIRE_ALL=1 but {why}")
        }
        Err(why) => {
            println!("skipping the browser test: {why}");
            return;
        }
    };
    let dir = common::scratch("browser");
    let result = common::pipeline5();
    write_run_report(&result, &dir.join("report"), Records::All).unwrap();
    let page = dir.join("report/report.html");

    let (dom, log) = browse(
        &browser,
        &dir.join("profile"),
        &page,
        &["--dump-dom".into()],
    );
    let title = format!(
        "<title>ruvsim report: {}</title>",
        result
            .scenario
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    );
    assert!(dom.contains(&title), "title missing from the DOM");
    charts_are_drawn(
        &dom,
        &[
            "memory",
            "topology",
            "throughput",
            "latency",
            "chips",
            "links",
        ],
    );
    for line in log.lines() {
        assert!(
            !(line.contains("Uncaught") || line.contains("CONSOLE") || line.contains("net::ERR")),
            "browser reported: {line}"
        );
    }
    every_section_has_content_or_says_why(&dom, 10);

    let shot = dir.join("report/screenshot.png");
    browse(
        &browser,
        &dir.join("profile"),
        &page,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,4000".into(),
        ],
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG"), "screenshot is not a PNG");
    assert!(png.len() > 20_000, "screenshot is nearly empty");
    println!("screenshot: {}", shot.display());
}

/// The summary-only report, the report of a cluster larger than its tables list one by one, and
/// the projection page: every section shows something or says why not, the large cluster's
/// distribution charts are drawn, and the browser logs no error.
#[test]
fn the_summary_report_and_the_projection_page_render_in_chromium() {
    let browser = match chromium() {
        Ok(path) => path,
        Err(why) if std::env::var("RUVSIM_REQUIRE_ALL").as_deref() == Ok("1") => {
            panic!("RUVSIM_REQUIRE_ALL=1 but {why}")
        }
        Err(why) => {
            println!("skipping the browser test: {why}");
            return;
        }
    };
    let dir = common::scratch("browser-pages");
    let result = common::pipeline5();
    write_run_report(&result, &dir.join("summary"), Records::Summary).unwrap();
    // More chips than the report lists one by one: the distributions of all of them come first.
    let large = common::run(
        &common::scenario(100, "ring", "pipeline = 5\nreplicas = 20", 20, 20, 4),
        ruvsim_sim::scenario::Fidelity::Timing,
    );
    write_run_report(&large, &dir.join("large"), Records::All).unwrap();
    let request = ruvsim_experiments::project::ProjectRequest {
        base: ruvsim_experiments::project::BaseDesign::builtin().unwrap(),
        chips: 20,
        max_sim_chips: 20,
        topology: ruvsim_experiments::project::TopologyChoice::Auto,
        compare_at: Vec::new(),
        chip_price_usd: Some(4.0),
        run_options: ruvsim_sim::run::RunOptions::default(),
    };
    let projection = ruvsim_experiments::project::project(&request, &mut |_| {}).unwrap();
    ruvsim_reports::projection::write_projection_report(&projection, &dir.join("projection"))
        .unwrap();
    for (name, page, sections) in [
        ("summary", dir.join("summary/report.html"), 10),
        ("large", dir.join("large/report.html"), 10),
        ("projection", dir.join("projection/projection.html"), 5),
    ] {
        let (dom, log) = browse(
            &browser,
            &dir.join(format!("profile-{name}")),
            &page,
            &["--dump-dom".into()],
        );
        every_section_has_content_or_says_why(&dom, sections);
        if name == "large" {
            charts_are_drawn(
                &dom,
                &["chips-distribution", "chips", "links-distribution", "links"],
            );
        }
        for line in log.lines() {
            assert!(
                !(line.contains("Uncaught")
                    || line.contains("CONSOLE")
                    || line.contains("net::ERR")),
                "{name}: browser reported: {line}"
            );
        }
    }
}
