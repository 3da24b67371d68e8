//! The gossip study's report: Markdown with the fits and the reference documents' claim beside
//! them, and one CSV row per seed run.

use std::fmt::Write as _;

use ruvsim_experiments::gossip::{GossipStudy, SweepPoint};

/// What the reference documents claim.
const CLAIM: &str =
    "The reference README (ruvllm-esp32-README.md) claims \"Gossip Protocol: State \
    sync with O(log n) convergence\" (Massive Scale features) and \"Gossip Protocol: O(log n) \
    state convergence\" (Federation features).";

/// An optional figure, or `-`.
fn optional<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or("-".into(), |v| v.to_string())
}

/// The study as a Markdown report: every point, the fits, and the claim beside them.
pub fn markdown(report: &GossipStudy) -> String {
    let spec = &report.spec;
    let config = &spec.config;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "# Gossip membership: rounds until every live chip knows of a failure (tier: simulated)\n\n\
         {} gossip, fanout {}, a round every {} ms, {}-byte messages over {} links between {} \
         chips; chip 0 fails, its lowest live neighbour starts the rumour; seeds {:?}. Messages \
         are simulated hop by hop on the event engine (no model computation). \"Not buildable\": \
         the chips lack the ports the wiring needs on this link kind (simulated regardless).\n",
        config.mode.name(),
        config.fanout,
        config.period.as_secs_f64() * 1e3,
        config.message_bytes,
        spec.link,
        spec.variant.display_name(),
        spec.seeds,
    );
    let _ = writeln!(
        text,
        "| family | peers | chips | log2 n | diameter | rounds mean (min-max) | rounds / log2 n | \
         time ms | transfers per message | ports needed / available | converged |\n\
         |---|---|---:|---:|---:|---|---:|---:|---:|---|---|"
    );
    for point in &report.points {
        let runs = point.runs.len() as f64;
        let transfers: f64 = point.runs.iter().map(|r| r.transfers as f64).sum::<f64>() / runs;
        let messages: f64 = point.runs.iter().map(|r| r.messages as f64).sum::<f64>() / runs;
        let converged = point.runs.iter().filter(|r| r.converged).count();
        let _ = writeln!(
            text,
            "| {} | {} | {} | {:.0} | {} | {} ({}-{}) | {} | {} | {:.2} | {} / {}{} | {}/{} |",
            point.family.name(),
            point.peers.name(),
            point.chips,
            point.log2_chips,
            point.diameter,
            optional(point.rounds_mean.map(|m| format!("{m:.2}"))),
            optional(point.rounds_min),
            optional(point.rounds_max),
            optional(
                point
                    .rounds_mean
                    .map(|m| format!("{:.2}", m / point.log2_chips))
            ),
            optional(
                point
                    .time_mean
                    .map(|t| format!("{:.2}", t.as_secs_f64() * 1e3))
            ),
            if messages > 0.0 {
                transfers / messages
            } else {
                0.0
            },
            point.ports.needed,
            point.ports.available,
            if point.ports.buildable {
                ""
            } else {
                " (not buildable)"
            },
            converged,
            point.runs.len(),
        );
    }
    let _ = writeln!(
        text,
        "\nFits of mean rounds against log2 n (tier: projected, a closed form fitted to the \
         simulated points above, with its largest relative error on them):\n\n\
         | family | peers | rounds = c x log2 n | max error | rounds = a + b x log2 n | max error |\n\
         |---|---|---|---:|---|---:|"
    );
    for row in &report.fits {
        match &row.fit {
            Some(fit) => {
                let _ = writeln!(
                    text,
                    "| {} | {} | c = {:.3} | {:.1}% | a = {:.2}, b = {:.3} | {:.1}% |",
                    row.family.name(),
                    row.peers.name(),
                    fit.c,
                    fit.c_max_relative_error * 100.0,
                    fit.a,
                    fit.b,
                    fit.ab_max_relative_error * 100.0
                );
            }
            None => {
                let _ = writeln!(
                    text,
                    "| {} | {} | too few converged sizes to fit | | | |",
                    row.family.name(),
                    row.peers.name()
                );
            }
        }
    }
    let _ = writeln!(
        text,
        "\n{CLAIM} Neighbour gossip moves the rumour a hop or two per round (one in push; a push \
         and then a pull reply in push-pull), so its rounds follow the diameter column: \
         logarithmic on a hypercube, whose diameter is log2 n, but growing as the cube root of n \
         on a 3-D torus. Random peers approach the textbook O(log n) rounds on any wiring, but \
         every message costs the transfers of its route (the transfers-per-message column)."
    );
    text
}

/// The study as CSV: one row per seed run of every point.
pub fn csv(points: &[SweepPoint]) -> String {
    let mut text = String::from(
        "family,peers,mode,chips,log2_chips,diameter,seed,converged,rounds,time_ps,messages,\
         transfers,lost,events,tier\n",
    );
    for point in points {
        for run in &point.runs {
            let _ = writeln!(
                text,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},simulated",
                point.family.name(),
                point.peers.name(),
                point.mode.name(),
                point.chips,
                point.log2_chips,
                point.diameter,
                run.seed,
                run.converged,
                run.rounds,
                optional(run.time.map(|t| t.as_ps())),
                run.messages,
                run.transfers,
                run.lost,
                run.events,
            );
        }
    }
    text
}
