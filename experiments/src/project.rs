//! How a design scales: simulate a family of sizes event by event, fit a scaling model to them,
//! and project to sizes too large to simulate, every figure labelled with its tier.
//!
//! [`project`] takes one replica of a base design ([`BaseDesign`]: a scenario or the built-in
//! pipeline5 design) and first chooses how to build it large: with `auto` it simulates the same
//! size ([`PROBE_REPLICAS`]) as the best wiring of chips with one host at chip 0
//! ([`layout::choose`]) and as boards on each backbone ([`backbone`]: Ethernet, Wi-Fi, ESP-NOW,
//! hosts on the network), and keeps the fastest, recording every trial. It then multiplies the
//! replica 1, 2, 4, ... times and up to the target ([`sizes::family`]), lays out each size in the
//! chosen design ([`wiring::Layout`]), and simulates it in timing fidelity with a closed-loop load
//! proportional to its replicas. A scaling model is chosen and fitted ([`fit::select`]) with the
//! largest simulated size held back to state its error; only sizes beyond the simulation limit
//! (a million chips by default) are projected, carrying that error, and never above the design's
//! capacity bound ([`bound`]). Energy is not modelled; cost is chips x a price the user gives.

pub mod backbone;
pub mod base;
pub mod bound;
pub mod error;
pub mod fit;
pub mod latency;
pub mod layout;
mod lstsq;
pub mod result;
pub mod row;
pub mod sizes;
pub mod wiring;

pub use base::BaseDesign;
pub use error::ProjectError;
pub use layout::TopologyChoice;
pub use result::{BaseSummary, CostBasis, DesignTrial, FitReport, Projection};
pub use row::{Row, SimulatedFigures};
pub use wiring::Layout;

use crate::project::backbone::BackboneKind;
use crate::project::bound::GatewayTraffic;
use crate::project::fit::{Observation, SizeFeatures};
use crate::project::latency::LatencyFit;
use ruvsim_engine::time::PS_PER_MS;
use ruvsim_hw::tier::Tier;
use ruvsim_sim::result::RunResult;
use ruvsim_sim::run::{simulate, RunOptions};
use ruvsim_sim::scenario::Fidelity;

/// Default simulation limit in chips: the largest size simulated event by event, so that every
/// size up to a million chips is simulated rather than projected. With the built-in design
/// `ruvsim project --chips 1000000` takes under two minutes on a 2-core machine.
pub const DEFAULT_MAX_SIM_CHIPS: u32 = 1_048_576;

/// Replicas at which `auto` compares the candidate designs (or the largest simulated size, when
/// smaller): enough boards that a backbone's shared elements (hosts, radio channels) and a
/// single gateway's links carry the load of many replicas.
pub const PROBE_REPLICAS: u32 = 1024;

/// What to project.
#[derive(Clone, Debug)]
pub struct ProjectRequest {
    /// The design to scale.
    pub base: BaseDesign,
    /// The target size, in chips.
    pub chips: u32,
    /// The largest size simulated, in chips.
    pub max_sim_chips: u32,
    /// How each size is wired.
    pub topology: TopologyChoice,
    /// Chip counts to give a figure for besides the family (for instance the sizes of the
    /// reference documents' scaling table).
    pub compare_at: Vec<u32>,
    /// Price of one chip in US dollars, as the user gives it.
    pub chip_price_usd: Option<f64>,
    /// Options passed to every simulation (model directory, calibration file, seed); fidelity
    /// is always timing.
    pub run_options: RunOptions,
}

/// Simulates the family, fits, projects. `on_row` sees each simulated row as soon as it is done
/// (for progress output); the result does not depend on it.
pub fn project(
    request: &ProjectRequest,
    on_row: &mut dyn FnMut(&Row),
) -> Result<Projection, ProjectError> {
    let base = &request.base;
    let cpr = base.chips_per_replica();
    if cpr == 0 {
        return Err(ProjectError::EmptyReplica {
            base: base.origin.clone(),
            pipeline: base.pipeline,
            tensor: base.tensor,
        });
    }
    let target = request.chips / cpr;
    if target == 0 {
        return Err(ProjectError::TooFewChips {
            chips: request.chips,
            chips_per_replica: cpr,
            pipeline: base.pipeline,
            tensor: base.tensor,
        });
    }
    let max_sim = request.max_sim_chips / cpr;
    if max_sim == 0 {
        return Err(ProjectError::MaxSimTooSmall {
            max_sim_chips: request.max_sim_chips,
            chips_per_replica: cpr,
        });
    }
    if let Some(price) = request.chip_price_usd {
        if !(price.is_finite() && price >= 0.0) {
            return Err(ProjectError::InvalidPrice { price });
        }
    }
    let family = sizes::family(target, max_sim);
    let mut notes = Vec::new();
    let (choice, designs) = match request.topology {
        TopologyChoice::Auto => choose_design(request, target.min(max_sim).min(PROBE_REPLICAS))?,
        forced => (forced, Vec::new()),
    };
    if !request.chips.is_multiple_of(cpr) {
        notes.push(format!(
            "{} chips make {target} whole replicas of {cpr}; the other {} chip(s) are left out",
            request.chips,
            request.chips % cpr
        ));
    }

    let mut rows: Vec<Row> = Vec::new();
    let mut first: Option<(BaseSummary, GatewayTraffic)> = None;
    for &replicas in &family.simulated {
        let Some(layout) = layout_or_skip(request, choice, replicas, target, &mut notes)? else {
            continue;
        };
        let result = run_size(request, replicas, &layout, first.is_none())?;
        let (_, traffic) = match &first {
            Some(known) => known,
            None => first.insert(describe_base(request, &result)?),
        };
        let row = simulated_row(layout, &result, traffic, request.chip_price_usd);
        on_row(&row);
        rows.push(row);
    }
    let Some((base_summary, traffic)) = first else {
        if let Some(skipped) = notes.iter().find_map(|n| n.strip_prefix(SKIPPED)) {
            return Err(ProjectError::NothingBuildable {
                max_sim_chips: request.max_sim_chips,
                first: skipped.to_string(),
            });
        }
        return Err(ProjectError::TooFewSizes {
            simulated: 0,
            needed: 1,
            max_sim_chips: request.max_sim_chips,
            chips: request.chips,
            suggested: u64::from(request.max_sim_chips) * 4,
        });
    };

    let fit = fit_rows(&rows, &traffic);
    let fit = match (fit, family.projected.is_empty()) {
        (Ok(fit), _) => Some(fit),
        (Err(reason), true) => {
            notes.push(format!("no scaling model fitted: {reason}"));
            None
        }
        (Err(_), false) => {
            return Err(ProjectError::TooFewSizes {
                simulated: rows.len(),
                needed: 3,
                max_sim_chips: request.max_sim_chips,
                chips: request.chips,
                suggested: u64::from(cpr) * 4,
            })
        }
    };
    if let Some(fit) = &fit {
        for &replicas in &family.projected {
            if let Some(layout) = layout_or_skip(request, choice, replicas, target, &mut notes)? {
                rows.push(projected_row(layout, fit, &traffic, request.chip_price_usd));
            }
        }
    }
    if let Some(warning) = rows
        .iter()
        .find(|r| r.replicas == target)
        .and_then(one_gateway_warning)
    {
        notes.push(warning);
    }
    let comparisons = comparison_rows(request, choice, &rows, fit.as_ref(), &traffic, &mut notes)?;
    Ok(Projection {
        base: base_summary,
        chips_requested: request.chips,
        target_replicas: target,
        max_sim_chips: request.max_sim_chips,
        topology_choice: request.topology.label().to_string(),
        design: choice.label().to_string(),
        designs,
        rows,
        comparisons,
        fit,
        energy: "not modelled".into(),
        cost: CostBasis::new(request.chip_price_usd),
        notes,
    })
}

/// How a note about a size the family could not wire begins.
const SKIPPED: &str = "skipped: ";

/// Mean hops to the gateway beyond which a single-gateway design is called out as one nobody
/// would build: past it most of a token's time is spent travelling to the host, not computing.
pub const FAR_GATEWAY_HOPS: f64 = 16.0;

/// A warning when the target's design serves every replica through one gateway chip that is
/// either the throughput limit (the figure is the gateway's capacity bound, not the chips') or
/// [`FAR_GATEWAY_HOPS`] away on average; `None` when the design is reasonable.
fn one_gateway_warning(row: &Row) -> Option<String> {
    let layout = &row.layout;
    let far = layout.gateway_hops_mean > FAR_GATEWAY_HOPS;
    if !(row.capped || far) {
        return None;
    }
    Some(format!(
        "not a design to build as it stands: at {} chips, {} serves all {} replicas through one \
         gateway chip, {:.0} hops away on average{}; a hierarchical design with a host per \
         board (cluster.gateway_per_group) keeps each replica's traffic on its own board",
        row.chips,
        layout.description,
        row.replicas,
        layout.gateway_hops_mean,
        if row.capped {
            ", and its throughput is that gateway's capacity bound, not what the chips can do"
        } else {
            ""
        }
    ))
}

/// `auto`'s choice of design: simulates `probe` replicas as the best wiring of chips with one host
/// at chip 0, and on each backbone (every replica on a board of its own), and keeps the one with
/// the highest throughput. Returns it and every trial (a design that cannot be built or run says
/// why). When none runs, the wiring of chips is kept, so that its own error is reported.
fn choose_design(
    request: &ProjectRequest,
    probe: u32,
) -> Result<(TopologyChoice, Vec<DesignTrial>), ProjectError> {
    let candidates = std::iter::once(TopologyChoice::Auto)
        .chain(BackboneKind::ALL.map(TopologyChoice::Backbone));
    let mut trials = Vec::new();
    let mut best: Option<(f64, TopologyChoice, usize)> = None;
    for choice in candidates {
        let design = match choice {
            TopologyChoice::Auto => "one host at chip 0".to_string(),
            other => other.label().to_string(),
        };
        let tried = layout::choose(probe, &request.base, choice).and_then(|layout| {
            let result = run_size(request, probe, &layout, false)?;
            Ok((layout, result))
        });
        let trial = match tried {
            Ok((layout, result)) => {
                let throughput = result.summary.throughput_tok_s;
                if best.is_none_or(|(t, _, _)| throughput > t) {
                    best = Some((throughput, choice, trials.len()));
                }
                DesignTrial {
                    design,
                    description: layout.description,
                    chips: layout.chips,
                    throughput_tok_s: Some(throughput),
                    bottleneck: format!(
                        "{} ({:.0}% busy)",
                        result.bottleneck.resource,
                        result.bottleneck.utilisation * 100.0
                    ),
                    refused: None,
                    chosen: false,
                }
            }
            Err(e) => DesignTrial {
                design,
                description: String::new(),
                chips: probe.saturating_mul(request.base.chips_per_replica()),
                throughput_tok_s: None,
                bottleneck: String::new(),
                refused: Some(e.to_string()),
                chosen: false,
            },
        };
        trials.push(trial);
    }
    Ok(match best {
        Some((_, choice, index)) => {
            trials[index].chosen = true;
            (choice, trials)
        }
        None => (TopologyChoice::Auto, trials),
    })
}

/// The layout of a size, or `None` (with a note) when a forced family cannot build it and it is
/// not the target.
fn layout_or_skip(
    request: &ProjectRequest,
    choice: TopologyChoice,
    replicas: u32,
    target: u32,
    notes: &mut Vec<String>,
) -> Result<Option<Layout>, ProjectError> {
    match layout::choose(replicas, &request.base, choice) {
        Ok(layout) => Ok(Some(layout)),
        Err(e @ ProjectError::TopologyUnavailable { .. }) if replicas != target => {
            notes.push(format!("{SKIPPED}{e}"));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The base design's summary and link times, from its first run.
fn describe_base(
    request: &ProjectRequest,
    first: &RunResult,
) -> Result<(BaseSummary, GatewayTraffic), ProjectError> {
    let summary = BaseSummary::new(&request.base, first);
    let traffic = GatewayTraffic::of(
        &request.base.loaded,
        &request.run_options,
        summary.prompt_tokens,
    )?;
    Ok((summary, traffic))
}

/// Simulates one size; a failure of the first (one replica) is the base design's.
fn run_size(
    request: &ProjectRequest,
    replicas: u32,
    layout: &Layout,
    first: bool,
) -> Result<RunResult, ProjectError> {
    let loaded = request.base.scenario_for_layout(layout)?;
    let options = RunOptions {
        fidelity: Some(Fidelity::Timing),
        timeline_limit: Some(0),
        ..request.run_options.clone()
    };
    simulate(&loaded, &options).map_err(|source| match source {
        source if first => ProjectError::BaseDoesNotRun {
            base: request.base.origin.clone(),
            source,
        },
        source => ProjectError::Simulation {
            chips: layout.chips,
            replicas,
            source,
        },
    })
}

fn simulated_row(
    layout: Layout,
    result: &RunResult,
    traffic: &GatewayTraffic,
    price: Option<f64>,
) -> Row {
    let summary = &result.summary;
    let latency_ms = summary.inter_token_latency.p50.as_ps() as f64 / PS_PER_MS as f64;
    Row {
        chips: layout.chips,
        replicas: layout.replicas,
        throughput_tok_s: summary.throughput_tok_s,
        latency_p50_ms: latency_ms,
        tok_s_per_chip: summary.throughput_tok_s / f64::from(layout.chips),
        capacity_tok_s: traffic.bound(&layout),
        capped: false,
        tier: Tier::Simulated,
        throughput_error: None,
        latency_error: None,
        cost_usd: price.map(|p| p * f64::from(layout.chips)),
        simulated: Some(SimulatedFigures::of(result)),
        layout,
    }
}

fn projected_row(
    layout: Layout,
    fit: &FitReport,
    traffic: &GatewayTraffic,
    price: Option<f64>,
) -> Row {
    let features = features(&layout, traffic);
    let model = &fit.selection.model;
    let throughput = model.predict(&features);
    Row {
        chips: layout.chips,
        replicas: layout.replicas,
        throughput_tok_s: throughput,
        latency_p50_ms: fit
            .latency
            .as_ref()
            .map_or(0.0, |l| l.predict(features.replicas, throughput)),
        tok_s_per_chip: throughput / f64::from(layout.chips),
        capacity_tok_s: traffic.bound(&layout),
        capped: model.model_figure(&features) > features.capacity,
        tier: Tier::Projected,
        throughput_error: Some(fit.selection.held_back_error.abs()),
        latency_error: fit.latency.as_ref().map(|l| l.held_back_error.abs()),
        cost_usd: price.map(|p| p * f64::from(layout.chips)),
        simulated: None,
        layout,
    }
}

/// The features the scaling models use, from a layout.
fn features(layout: &Layout, traffic: &GatewayTraffic) -> SizeFeatures {
    SizeFeatures {
        replicas: f64::from(layout.replicas),
        chips: f64::from(layout.chips),
        gateway_hops: layout.gateway_hops_mean,
        gateway_ports: f64::from(layout.gateway_ports),
        capacity: traffic.bound(layout).unwrap_or(f64::INFINITY),
    }
}

/// Fits throughput and latency to the simulated rows (ascending size; the last is held back).
fn fit_rows(rows: &[Row], traffic: &GatewayTraffic) -> Result<FitReport, String> {
    let observations: Vec<Observation> = rows
        .iter()
        .map(|r| Observation {
            size: features(&r.layout, traffic),
            throughput: r.throughput_tok_s,
        })
        .collect();
    if let Some(bad) = rows.iter().find(|r| r.throughput_tok_s <= 0.0) {
        return Err(format!(
            "the size of {} chips generated no tokens",
            bad.chips
        ));
    }
    let selection = fit::select(&observations)?;
    let held = rows.last().ok_or("no simulated size")?;
    let latency = LatencyFit::fit(rows, selection.held_back_predicted).ok();
    Ok(FitReport {
        held_back_chips: held.chips,
        held_back_simulated: held.throughput_tok_s,
        latency,
        selection,
    })
}

/// Figures at the requested comparison sizes: the simulated row when the size was simulated,
/// otherwise projected (sizes a forced family cannot build are noted and left out).
fn comparison_rows(
    request: &ProjectRequest,
    choice: TopologyChoice,
    rows: &[Row],
    fit: Option<&FitReport>,
    traffic: &GatewayTraffic,
    notes: &mut Vec<String>,
) -> Result<Vec<Row>, ProjectError> {
    let cpr = request.base.chips_per_replica();
    let mut out = Vec::new();
    for &chips in &request.compare_at {
        let replicas = chips / cpr;
        if replicas == 0 {
            notes.push(format!(
                "no figure at {chips} chips: fewer than one replica ({cpr} chips)"
            ));
            continue;
        }
        if let Some(row) = rows
            .iter()
            .find(|r| r.replicas == replicas && r.tier == Tier::Simulated)
        {
            out.push(row.clone());
            continue;
        }
        let Some(fit) = fit else {
            notes.push(format!(
                "no figure at {chips} chips: no scaling model was fitted"
            ));
            continue;
        };
        match layout::choose(replicas, &request.base, choice) {
            Ok(layout) => out.push(projected_row(layout, fit, traffic, request.chip_price_usd)),
            Err(e @ ProjectError::TopologyUnavailable { .. }) => {
                notes.push(format!("no figure at {chips} chips: {e}"));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A projection of the built-in design to `chips`, simulating up to `max_sim_chips`.
    fn projection(chips: u32, max_sim_chips: u32) -> Projection {
        projection_as(chips, max_sim_chips, TopologyChoice::Auto)
    }

    /// [`projection`] laid out as `topology`.
    fn projection_as(chips: u32, max_sim_chips: u32, topology: TopologyChoice) -> Projection {
        let request = ProjectRequest {
            base: BaseDesign::builtin().unwrap(),
            chips,
            max_sim_chips,
            topology,
            compare_at: vec![5, 100],
            chip_price_usd: Some(4.0),
            run_options: RunOptions::default(),
        };
        project(&request, &mut |_| {}).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_fit_predicts_the_next_simulated_size_within_its_stated_error() {
        // Fitted on 1, 2, 4 replicas with 8 held back, projected to 16; then 16 simulated.
        let projected = projection(80, 40);
        let fit = projected.fit.as_ref().expect("a fit");
        let held = projected.rows.iter().find(|r| r.chips == 40).unwrap();
        assert_eq!(held.tier, Tier::Simulated);
        let stated = fit.selection.held_back_error.abs();
        let predicted = fit.selection.held_back_predicted;
        assert!(
            ((predicted - held.throughput_tok_s) / held.throughput_tok_s).abs()
                <= stated * (1.0 + 1e-9) + 1e-12
        );
        let at_80 = projected.rows.last().unwrap();
        assert_eq!((at_80.chips, at_80.tier), (80, Tier::Projected));
        let simulated = projection(80, 80);
        let truth = simulated.rows.last().unwrap();
        assert_eq!((truth.chips, truth.tier), (80, Tier::Simulated));
        let error = (at_80.throughput_tok_s / truth.throughput_tok_s - 1.0).abs();
        assert!(
            error <= stated.max(0.01),
            "projected {} vs simulated {}: {error} > stated {stated}",
            at_80.throughput_tok_s,
            truth.throughput_tok_s
        );
    }

    #[test]
    fn rows_carry_their_tier_and_simulated_sizes_respect_the_capacity_bound() {
        let p = projection(200, 20);
        let tiers: Vec<(u32, Tier)> = p.rows.iter().map(|r| (r.chips, r.tier)).collect();
        assert_eq!(
            tiers,
            vec![
                (5, Tier::Simulated),
                (10, Tier::Simulated),
                (20, Tier::Simulated),
                (40, Tier::Projected),
                (80, Tier::Projected),
                (160, Tier::Projected),
                (200, Tier::Projected),
            ]
        );
        for row in &p.rows {
            assert_eq!(row.simulated.is_some(), row.tier == Tier::Simulated);
            assert_eq!(row.throughput_error.is_some(), row.tier == Tier::Projected);
            assert_eq!(row.cost_usd, Some(4.0 * f64::from(row.chips)));
            let bound = row
                .capacity_tok_s
                .expect("tokens cross the gateway's links");
            assert!(row.throughput_tok_s <= bound, "{} chips", row.chips);
        }
        // The claim sizes: 5 chips was simulated, 100 chips is projected.
        let compared: Vec<(u32, Tier)> = p.comparisons.iter().map(|r| (r.chips, r.tier)).collect();
        assert_eq!(compared, vec![(5, Tier::Simulated), (100, Tier::Projected)]);
        assert_eq!(p.energy, "not modelled");
    }

    /// The band of a projected row never crosses the capacity bound, and is the symmetric
    /// held-back error where the bound is out of reach.
    #[test]
    fn projected_bands_never_cross_the_capacity_bound() {
        let espnow = TopologyChoice::Backbone(BackboneKind::Espnow);
        let p = projection_as(100_000, 640, espnow);
        let mut capped = 0;
        for row in p.rows.iter().filter(|r| r.tier == Tier::Projected) {
            let (low, high) = row.throughput_band().expect("a projected row has a band");
            let error = row.throughput_error.expect("a projected row has an error");
            assert!(low <= row.throughput_tok_s && row.throughput_tok_s <= high + 1e-9);
            if let Some(bound) = row.capacity_tok_s {
                assert!(
                    high <= bound,
                    "{} chips: band top {high} above {bound}",
                    row.chips
                );
            }
            if high < row.throughput_tok_s * (1.0 + error) {
                capped += 1;
            }
        }
        assert!(
            capped > 0,
            "three ESP-NOW channels reach their bound by 100,000 chips"
        );
    }

    /// A ring of 100,000 chips with one gateway is called out, not presented as a design.
    #[test]
    fn a_single_gateway_ring_of_a_hundred_thousand_is_called_out() {
        let p = projection_as(100_000, 640, TopologyChoice::Family("ring"));
        assert!(
            p.notes
                .iter()
                .any(|n| n.starts_with("not a design to build") && n.contains("gateway_per_group")),
            "{:?}",
            p.notes
        );
        let small = projection_as(40, 640, TopologyChoice::Family("ring"));
        assert!(
            !small.notes.iter().any(|n| n.starts_with("not a design")),
            "{:?}",
            small.notes
        );
    }

    /// `auto` simulates every candidate design at one size and keeps the fastest: at 5,120 chips
    /// one gateway on a ring and the radio backbones' three channels are saturated, boards on
    /// Ethernet are not.
    #[test]
    fn auto_chooses_among_buildable_designs_and_says_why() {
        let p = projection(5_120, 5_120);
        assert_eq!(p.designs.len(), 4);
        let chosen: Vec<&DesignTrial> = p.designs.iter().filter(|t| t.chosen).collect();
        assert_eq!(chosen.len(), 1);
        assert_eq!(chosen[0].design, "ethernet");
        assert_eq!(p.design, "ethernet");
        let best = chosen[0].throughput_tok_s.unwrap();
        for trial in &p.designs {
            assert_eq!(trial.chips, 5_120);
            assert!(trial.throughput_tok_s.unwrap() <= best, "{trial:?}");
        }
        let radio = p.designs.iter().find(|t| t.design == "wifi").unwrap();
        assert!(radio.bottleneck.contains("radio channel"), "{radio:?}");
        // Every size is laid out as the chosen design and simulated.
        for row in &p.rows {
            assert!(row.layout.backbone.is_some());
            assert_eq!(row.tier, Tier::Simulated);
        }
    }

    #[test]
    fn a_target_within_the_limit_is_only_simulated() {
        let p = projection(30, 640);
        assert!(p.rows.iter().all(|r| r.tier == Tier::Simulated));
        let chips: Vec<u32> = p.rows.iter().map(|r| r.chips).collect();
        assert_eq!(chips, vec![5, 10, 20, 30]);
        assert!(p.fit.is_some(), "four sizes are enough to fit");
        assert!(p.notes.is_empty(), "{:?}", p.notes);
    }

    fn request(chips: u32, max_sim_chips: u32) -> ProjectRequest {
        ProjectRequest {
            base: BaseDesign::builtin().unwrap(),
            chips,
            max_sim_chips,
            topology: TopologyChoice::Auto,
            compare_at: Vec::new(),
            chip_price_usd: None,
            run_options: RunOptions::default(),
        }
    }

    fn error(request: &ProjectRequest) -> String {
        project(request, &mut |_| {}).unwrap_err().to_string()
    }

    /// A family that cannot wire any size of the base design says so, instead of advising a
    /// larger simulation limit that would fail the same way.
    #[test]
    fn a_family_that_wires_no_size_says_why_not_raise_the_limit() {
        let hypercube = ProjectRequest {
            topology: TopologyChoice::Family("hypercube"),
            ..request(100_000, 640)
        };
        let err = error(&hypercube);
        assert!(
            err.contains("could be wired") && err.contains("hypercube"),
            "{err}"
        );
        assert!(!err.contains("raise --max-sim-chips"), "{err}");
    }

    #[test]
    fn bad_sizes_and_prices_are_refused_with_what_would_work() {
        assert!(error(&request(0, 640)).contains("--chips 0 is smaller than one replica"));
        assert!(error(&request(4, 640)).contains("give at least 5"));
        assert!(error(&request(100, 3)).contains("--max-sim-chips 3 is smaller than one replica"));
        let few = error(&request(100, 10));
        assert!(
            few.contains("raise --max-sim-chips to at least 20"),
            "{few}"
        );
        let mut priced = request(10, 10);
        priced.chip_price_usd = Some(-1.0);
        assert!(error(&priced).contains("not a price"));
    }

    #[test]
    fn a_base_design_that_does_not_fit_says_so() {
        let mut r = request(10, 10);
        r.base.loaded.scenario.model = ruvsim_sim::scenario::ModelSpec::Synthetic {
            shape: ruvsim_sim::scenario::ShapeSpec::Preset("stories110m".into()),
            seed: 1,
            precision: ruvsim_core::Precision::Int8,
            attention: ruvsim_core::AttentionPattern::Full,
        };
        let text = error(&r);
        assert!(text.contains("does not run as one replica"), "{text}");
        assert!(text.contains("does not fit"), "{text}");
    }
}
