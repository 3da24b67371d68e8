//! Summarising a run: per-chip and per-link figures, energy, the bottleneck in words, and the
//! [`RunResult`] that every report reads.

use ruvsim_core::{footprint, Shard};
use ruvsim_engine::time::{Duration, Time};
use ruvsim_hw::chip::KernelKind;
use ruvsim_hw::energy::{self, EnergyInput};
use ruvsim_hw::memory::Placement;
use ruvsim_hw::tier::Tier;

use super::{BuiltRun, Executed, RunError};
use crate::cluster::SimError;
use crate::model_source::PreparedModel;
use crate::plan::Plan;
use crate::result::{
    summarise, summarise_streamed, Bottleneck, CalibrationEntry, ChipKind, ChipResult,
    ClusterSummary, LinkResult, ModelSummary, RunResult,
};
use crate::result::{FaultStats, Handover, RequestRecord};

/// The result of a built and executed run.
pub fn summarise_run(run: BuiltRun<'_>, executed: Executed) -> Result<RunResult, RunError> {
    let Executed {
        output,
        usage,
        events,
    } = executed;
    let BuiltRun {
        loaded,
        seed,
        fidelity,
        prepared,
        calibration,
        cpu,
        topology,
        shared_medium,
        concurrency,
        plan,
        backbone,
        records,
        ..
    } = run;
    let scenario = &loaded.scenario;
    let cluster_spec = &scenario.cluster;
    let functional = fidelity == crate::scenario::Fidelity::Functional;
    let summary = match &output.streamed {
        Some(streamed) => summarise_streamed(&output.requests, streamed, events),
        None => summarise(&output.requests, &output.tokens, events),
    };
    let makespan = summary.makespan;
    let utilisation = |busy: Duration| {
        if makespan == Duration::ZERO {
            0.0
        } else {
            busy.as_secs_f64() / makespan.as_secs_f64()
        }
    };
    let chip_count = topology.chips();
    let chips: Vec<ChipResult> = (0..chip_count)
        .map(|chip| {
            let kind = if chip >= plan.working_chips() {
                ChipKind::Spare
            } else if plan.is_draft(chip) {
                ChipKind::Draft
            } else if plan.expert_of(chip).is_some() {
                ChipKind::Expert
            } else {
                ChipKind::Target
            };
            let role = plan.chip(chip.min(plan.working_chips() - 1));
            let (footprint, placement) = match kind {
                ChipKind::Spare => (
                    Default::default(),
                    Placement::empty(role.placement.sram_budget),
                ),
                _ => (role.footprint, role.placement),
            };
            ChipResult {
                chip,
                kind,
                replica: plan.replica_of(chip.min(plan.working_chips() - 1)),
                stage: role.stage,
                rank: role.rank,
                busy: usage[chip as usize].busy,
                utilisation: utilisation(usage[chip as usize].busy),
                tasks: usage[chip as usize].tasks,
                counts: output.chip_counts[chip as usize],
                footprint,
                placement,
            }
        })
        .collect();
    let mut chips = chips;
    if let Some(faults) = &output.faults {
        hand_over(&mut chips, &faults.handovers, utilisation);
    }
    let links: Vec<LinkResult> = output
        .link_bytes
        .iter()
        .enumerate()
        .map(|(link, &bytes)| {
            let resource = chip_count as usize + link;
            LinkResult {
                link: link as u32,
                ends: match backbone.as_ref().and_then(|b| b.describe(link as u32)) {
                    Some(element) => element,
                    None if shared_medium => "shared medium".into(),
                    None => link_ends(&topology, link as u32),
                },
                pair: match topology.link_ends(link as u32) {
                    Ok(ruvsim_topologies::LinkEnds::Pair(a, b)) if !shared_medium => Some([a, b]),
                    _ => None,
                },
                bytes,
                messages: output.link_messages[link],
                busy: usage[resource].busy,
                utilisation: utilisation(usage[resource].busy),
            }
        })
        .collect();
    let busy: Vec<Duration> = chips.iter().map(|c| c.busy).collect();
    let energy = energy::account(&EnergyInput {
        calibration: &calibration,
        cpu: &cpu,
        spec: &scenario.energy,
        window: energy_window(&output.requests, output.first_work, output.last_work),
        busy: &busy,
        tokens: summary.tokens_generated,
    })?;
    let mut bottleneck = find_bottleneck(&chips, &links, &plan, concurrency);
    if let Some(stalls) = output.faults.as_ref().and_then(fault_stall) {
        bottleneck.explanation = format!("{stalls} {}", bottleneck.explanation);
    }
    let texts = output
        .requests
        .iter()
        .map(|r| {
            prepared
                .tokenizer
                .as_ref()
                .filter(|_| functional)
                .and_then(|t| t.decode(&r.tokens).ok())
        })
        .collect();
    Ok(RunResult {
        scenario: scenario.scenario.name.clone(),
        description: scenario.scenario.description.clone(),
        seed,
        fidelity,
        tier: Tier::Simulated,
        model: model_summary(&prepared)?,
        cluster: ClusterSummary {
            variant: cluster_spec.variant.display_name().into(),
            chips: chip_count,
            topology: topology.kind().into(),
            links: links.len() as u32,
            link: cluster_spec.link.to_string(),
            clock_mhz: cpu.clock_mhz,
            cores_used: cpu.cores_used,
            kernel: match cpu.kernel {
                KernelKind::PlainC => "plain C".into(),
                KernelKind::Optimized => "optimized".into(),
            },
        },
        plan,
        summary,
        records,
        requests: output.requests,
        tokens: output.tokens,
        chips,
        links,
        bottleneck,
        energy,
        texts,
        calibration: calibration
            .entries()
            .map(|(key, entry)| CalibrationEntry {
                key: key.to_string(),
                value: entry.value.to_string(),
                source: entry.source.to_string(),
            })
            .collect(),
        timeline: output.timeline,
        timeline_dropped: output.timeline_dropped,
        speculation: output.speculation,
        moe: output.moe,
        faults: output.faults,
    })
}

fn model_summary(prepared: &PreparedModel) -> Result<ModelSummary, RunError> {
    let config = prepared.config;
    let weight_bytes = match &prepared.bytes {
        Some(bytes) => bytes.len() as u64,
        None => {
            footprint(&config, &Shard::whole(&config), 1)
                .map_err(|e| RunError::Sim(SimError::Core(e)))?
                .weight_bytes
        }
    };
    Ok(ModelSummary {
        source: format!("{} ({})", prepared.source, config.precision.name()),
        config,
        weight_bytes,
        synthetic: prepared.synthetic,
    })
}

fn link_ends(topology: &ruvsim_topologies::Topology, link: u32) -> String {
    match topology.link_ends(link) {
        Ok(ruvsim_topologies::LinkEnds::Pair(a, b)) => format!("{a}-{b}"),
        Ok(ruvsim_topologies::LinkEnds::Shared {
            first, count: 1, ..
        }) => format!("chip {first}: backbone interface"),
        Ok(ruvsim_topologies::LinkEnds::Shared { count, .. }) => format!("shared by {count} chips"),
        Err(_) => "unknown".into(),
    }
}

/// Splits each taken-over role's work between the chip that failed (up to the hand-over) and the
/// spare (after it): the engine accounts work per role, the report per physical chip.
fn hand_over(
    chips: &mut [ChipResult],
    handovers: &[Handover],
    utilisation: impl Fn(Duration) -> f64,
) {
    for handover in handovers {
        let (role, spare) = (handover.role as usize, handover.spare as usize);
        if role >= chips.len() || spare >= chips.len() {
            continue;
        }
        let after_busy = chips[role]
            .busy
            .checked_sub(handover.busy_before)
            .unwrap_or(Duration::ZERO);
        let after_tasks = chips[role].tasks.saturating_sub(handover.tasks_before);
        chips[role].busy = handover.busy_before;
        chips[role].tasks = handover.tasks_before;
        chips[spare].busy = chips[spare].busy.saturating_add(after_busy);
        chips[spare].tasks += after_tasks;
        for chip in [role, spare] {
            chips[chip].utilisation = utilisation(chips[chip].busy);
        }
    }
}

/// The span energy is accounted over: from the first arrival (or the first work, when a spare's
/// recovery starts before any request arrives) to the end of the last work (a failed request's
/// last transfers can end after the last request does; a fault timer that fires after all work
/// ended does not lengthen it).
fn energy_window(
    requests: &[RequestRecord],
    first_work: Option<Time>,
    last_work: Time,
) -> Duration {
    let start = requests
        .iter()
        .map(|r| r.arrival)
        .chain(first_work)
        .min()
        .unwrap_or(Time::ZERO);
    let end = requests.iter().map(|r| r.end).fold(last_work, Time::max);
    end.checked_duration_since(start).unwrap_or(Duration::ZERO)
}

/// What faults took from the run, in words, when a chip stopped or was declared failed.
fn fault_stall(faults: &FaultStats) -> Option<String> {
    if faults.crashes == 0
        && faults.hangs == 0
        && faults.link_outages == 0
        && faults.false_detections == 0
    {
        return None;
    }
    let mut text = format!(
        "Faults stalled the run ({} crash(es), {} hang(s), {} link outage(s)",
        faults.crashes, faults.hangs, faults.link_outages
    );
    if faults.false_detections > 0 {
        text.push_str(&format!(
            ", {} chip(s) declared failed while running: their heartbeats did not reach their watcher",
            faults.false_detections
        ));
    }
    text.push(')');
    if faults.time_to_recover.count > 0 {
        text.push_str(&format!(
            ": a replica waited up to {:.1} ms from a chip stopping to its spare taking over",
            faults.time_to_recover.max.as_secs_f64() * 1e3
        ));
    } else if faults.time_to_detect.count > 0 {
        text.push_str(&format!(
            ": a stopped chip was declared failed after up to {:.1} ms",
            faults.time_to_detect.max.as_secs_f64() * 1e3
        ));
    }
    if faults.requests_failed > 0 {
        text.push_str(&format!(
            "; {} request(s) failed for it (see each request's cause)",
            faults.requests_failed
        ));
    }
    text.push('.');
    Some(text)
}

/// The busiest resource, and why it limits the run.
fn find_bottleneck(
    chips: &[ChipResult],
    links: &[LinkResult],
    plan: &Plan,
    concurrency: Option<u32>,
) -> Bottleneck {
    let busiest_chip = chips.iter().max_by(|a, b| {
        a.utilisation
            .total_cmp(&b.utilisation)
            .then(b.chip.cmp(&a.chip))
    });
    let busiest_link = links.iter().max_by(|a, b| {
        a.utilisation
            .total_cmp(&b.utilisation)
            .then(b.link.cmp(&a.link))
    });
    let (resource, utilisation, what) = match (busiest_chip, busiest_link) {
        (Some(c), Some(l)) if l.utilisation > c.utilisation => (
            format!("link {} ({})", l.link, l.ends),
            l.utilisation,
            format!(
                "it carries {} bytes in {} messages; transfers, not compute, set the pace",
                l.bytes, l.messages
            ),
        ),
        (Some(c), _) => {
            let layers = plan.chip(c.chip).shard.layers;
            let region = c.placement.weights.name();
            match c.kind {
                ChipKind::Draft => (
                    format!(
                        "chip {} (speculative draft of replica {})",
                        c.chip, c.replica
                    ),
                    c.utilisation,
                    format!(
                        "it runs the whole draft model ({} layers, weights in {region}), one \
                         proposal after another",
                        layers.end
                    ),
                ),
                ChipKind::Expert => (
                    format!(
                        "chip {} (expert {} of replica {})",
                        c.chip,
                        plan.expert_of(c.chip).unwrap_or(0),
                        c.replica
                    ),
                    c.utilisation,
                    format!(
                        "it holds an expert's feed-forward blocks with weights in {region}, and \
                         the router sends it more tokens than the others"
                    ),
                ),
                _ => (
                    format!("chip {} (stage {}, rank {})", c.chip, c.stage, c.rank),
                    c.utilisation,
                    format!(
                        "it holds {} with weights in {region}",
                        match layers.end.saturating_sub(layers.start) {
                            1 => format!("layer {}", layers.start),
                            _ => format!("layers {} to {}", layers.start, layers.end - 1),
                        }
                    ),
                ),
            }
        }
        (None, Some(l)) => (format!("link {}", l.link), l.utilisation, String::new()),
        (None, None) => ("none".into(), 0.0, String::new()),
    };
    let streams = plan.streams_per_replica;
    let explanation = if utilisation < 0.5 && plan.pipeline > 1 {
        format!(
            "No resource is saturated (the busiest, {resource}, is busy {:.0}% of the time): \
             decoding is sequential, so each stream's token must cross all {} stages before the \
             next can start, and {streams} stream(s) per replica{} cannot keep every stage busy. \
             More concurrent streams would raise throughput; a single stream cannot.",
            utilisation * 100.0,
            plan.pipeline,
            // The clients in all only when they are few enough to read at a glance: the summary
            // lists their count with its separators.
            concurrency.map_or(String::new(), |c| match c {
                1 => " (1 client)".to_string(),
                c if c < 1_000 => format!(" ({c} clients in all)"),
                _ => String::new(),
            }),
        )
    } else {
        format!(
            "{resource} is busy {:.0}% of the run: {what}.",
            utilisation * 100.0
        )
    };
    Bottleneck {
        resource,
        utilisation,
        explanation,
    }
}
