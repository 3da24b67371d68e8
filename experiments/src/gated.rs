//! Event-gated workloads: an always-on low-power gate wakes the model only when it fires,
//! compared with an always-on model that polls at a fixed interval.
//!
//! The reference documents claim "SNN gating: 107x energy savings". This module simulates both
//! architectures over the same sensor events so that the claim can be set beside a number:
//!
//! - **Sensor events** arrive as a Poisson process (`rate_per_hour`) or are replayed from a file
//!   (microseconds from the start, one per line). Each stays observable for `event_duration_ms`.
//! - **Gated**: the gate evaluates one sensor frame every `frame_period_ms`. The first frame that
//!   sees an event fires with probability `detection` (one trial per event); a frame that sees no
//!   event fires with probability `false_positive`. Each firing frame wakes the model, which runs
//!   one inference; wake-ups queue first-come-first-served while the model is busy. Between
//!   inferences every chip is in light sleep, and the gate draws its own power throughout.
//! - **Polling**: the model wakes every `interval_ms` and runs one inference; an event is served
//!   by the first poll that starts while it is observable, otherwise it is missed. Between polls
//!   the chips rest in `between_polls` (default `idle`: always on, as the documents' baseline).
//!   The same polls are also accounted with the chips in light sleep between them: a polling
//!   design that sleeps is the harder baseline, and the result gives the ratio against both.
//!
//! The cost of one wake-up is simulated, not assumed: [`run_gated`] runs the scenario's own
//! cluster simulation for one request (its prompt and token budget, closed loop, one client), so
//! the latency and energy of an inference come from the model on its chip(s). The gate's power is
//! a parameter whose default is derived from the calibration ([`gate_power`]). Energy is integer
//! zeptojoules throughout ([`ruvsim_hw::energy`]); random draws come from seeded ChaCha streams.

mod events;
mod experiment;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use ruvsim_engine::rng::{bernoulli, Probability, RngError};
use ruvsim_engine::stats::Distribution;
use ruvsim_engine::time::{Duration, Time, TimeError};
use ruvsim_hw::energy::{Battery, Energy, EnergyError};
use ruvsim_hw::tier::Tier;

pub use events::{frames_in, sensor_events};
pub use experiment::{gate_power, run_gated, GatePower, GatedResult};
pub use ruvsim_sim::scenario::gated::{
    EventSource, GateSpec, GatedSpec, PollingSpec, DEFAULT_NEURONS, DEFAULT_SYNAPSES,
};

/// Why an event-gated experiment could not run.
#[derive(Debug, Error)]
pub enum GatedError {
    /// The scenario has no `[gated]` table.
    #[error("{file} has no [gated] table (see scenarios/event-gated.toml)")]
    NoGatedTable {
        /// The scenario file.
        file: String,
    },
    /// A setting is out of range.
    #[error("gated.{key} = {value}: {reason}")]
    Invalid {
        /// Dotted key under `[gated]`.
        key: &'static str,
        /// The value given.
        value: String,
        /// What would be valid.
        reason: String,
    },
    /// The one-inference simulation failed.
    #[error("simulating one wake-up: {0}")]
    Run(#[from] ruvsim_sim::run::RunError),
    /// The one-inference simulation ended without completing its request.
    #[error("the one-inference run did not complete its request: {0}")]
    WakeFailed(String),
    /// Polls closer together than one inference.
    #[error(
        "gated.polling.interval_ms: a poll every {interval_ms} ms is shorter than one inference \
         ({latency_ms} ms); the model could never keep up"
    )]
    PollTooFast {
        /// The interval.
        interval_ms: f64,
        /// One inference.
        latency_ms: f64,
    },
    /// The replay file could not be read or parsed.
    #[error(transparent)]
    Replay(#[from] ruvsim_sim::workload::WorkloadError),
    /// A replay file could not be read.
    #[error("cannot read {file}: {reason}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// An energy figure could not be computed.
    #[error("energy: {0}")]
    Energy(#[from] EnergyError),
    /// A time beyond the simulated range.
    #[error("time: {0}")]
    Time(#[from] TimeError),
    /// A random draw was misconfigured.
    #[error("{0}")]
    Rng(#[from] RngError),
}

/// The cost of one wake-up: one inference on the cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WakeCost {
    /// From the wake-up to the last generated token.
    pub latency: Duration,
    /// Energy of all chips over that time, nanojoules.
    pub energy_nj: u64,
    /// Exact energy (zeptojoules), for the arithmetic.
    #[serde(skip)]
    pub energy: Energy,
    /// How it was obtained.
    pub how: String,
}

/// Everything [`simulate_gated`] needs, in simulator units.
#[derive(Clone, Debug)]
pub struct GatedSetup {
    /// How long the device runs; events and frames fall in `[0, duration)`.
    pub duration: Duration,
    /// Event times, ascending, each before `duration`.
    pub events: Vec<Time>,
    /// How long an event stays observable.
    pub event_duration: Duration,
    /// Time between gate frames.
    pub frame_period: Duration,
    /// Per-event detection probability.
    pub detection: Probability,
    /// Per-frame false-positive probability.
    pub false_positive: Probability,
    /// Time from a frame to the wake-up (the gate's computation on that frame).
    pub gate_latency: Duration,
    /// The gate's own power, nanowatts, drawn for the whole window.
    pub gate_power_nw: u64,
    /// All chips asleep between gated inferences, nanowatts.
    pub asleep_power_nw: u64,
    /// Time between polls.
    pub poll_interval: Duration,
    /// All chips between polls, nanowatts.
    pub polling_rest_power_nw: u64,
    /// One inference.
    pub wake: WakeCost,
    /// The battery, for battery life.
    pub battery: Battery,
    /// Seed of the gate's random draws.
    pub seed: u64,
}

/// One architecture's figures over the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModeResult {
    /// Inferences run.
    pub inferences: u64,
    /// Inferences that served at least one event.
    pub useful_inferences: u64,
    /// Inferences that served none (gated: false wake-ups; polling: empty polls).
    pub wasted_inferences: u64,
    /// Events served.
    pub detected: u64,
    /// Events never served.
    pub missed: u64,
    /// From an event to the end of the inference that served it.
    pub response_time: Distribution,
    /// Energy of the inferences, nanojoules.
    pub inference_nj: u64,
    /// Energy of the chips between inferences, nanojoules.
    pub rest_nj: u64,
    /// Energy of the gate, nanojoules (0 for polling).
    pub gate_nj: u64,
    /// Everything, nanojoules.
    pub total_nj: u64,
    /// Average power over the window, nanowatts.
    pub average_power_nw: u64,
    /// Hours the scenario's battery lasts at that power.
    pub battery_hours: Option<f64>,
}

/// The outcome of [`simulate_gated`]: both architectures over the same events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GatedOutcome {
    /// `simulated`.
    pub tier: Tier,
    /// Sensor events.
    pub events: u64,
    /// Gate frames evaluated.
    pub frames: u64,
    /// The window both are accounted over: the run, or longer if an inference ends after it.
    pub window: Duration,
    /// Gate-woken model.
    pub gated: ModeResult,
    /// Polling model, resting in `between_polls` between polls.
    pub polling: ModeResult,
    /// Polling model in light sleep between polls (the same polls; a second, harder baseline).
    pub polling_asleep: ModeResult,
    /// Polling energy / gated energy (`None` if the gated energy is zero).
    pub energy_ratio: Option<f64>,
    /// Light-sleeping polling energy / gated energy.
    pub energy_ratio_asleep: Option<f64>,
}

/// One inference start queued behind another: returns the inference end times, in order.
fn serve_fifo(wakes: &[Time], latency: Duration) -> Result<Vec<Time>, GatedError> {
    let mut free = Time::ZERO;
    wakes
        .iter()
        .map(|&wake| {
            let end = wake
                .max(free)
                .checked_add(latency)
                .ok_or(TimeError::Overflow)?;
            free = end;
            Ok(end)
        })
        .collect()
}

/// Simulates both architectures over `setup.events`.
pub fn simulate_gated(setup: &GatedSetup) -> Result<GatedOutcome, GatedError> {
    let latency = setup.wake.latency;
    if setup.poll_interval < latency {
        return Err(GatedError::PollTooFast {
            interval_ms: setup.poll_interval.as_secs_f64() * 1e3,
            latency_ms: latency.as_secs_f64() * 1e3,
        });
    }
    let frames = frames_in(setup.duration, setup.frame_period)?;

    // Gated: which frames fire, and which events each detecting frame serves.
    let mut detect_rng =
        ruvsim_engine::rng::stream(setup.seed, events::GATE_PURPOSE, events::DETECTION);
    let mut firing: Vec<(u64, Option<usize>)> = Vec::new();
    for (index, &event) in setup.events.iter().enumerate() {
        if let Some(frame) = events::first_sample(event, setup, setup.frame_period, frames)? {
            if bernoulli(&mut detect_rng, setup.detection) {
                firing.push((frame, Some(index)));
            }
        }
    }
    for frame in events::false_positive_frames(setup, frames)? {
        firing.push((frame, None));
    }
    firing.sort_unstable();
    let mut wakes: Vec<Time> = Vec::new();
    let mut wake_of_event: Vec<Option<usize>> = vec![None; setup.events.len()];
    let mut false_wakes = 0u64;
    let mut previous_frame = None;
    for &(frame, event) in &firing {
        if previous_frame != Some(frame) {
            let at = events::sample_time(frame, setup.frame_period)?;
            wakes.push(
                at.checked_add(setup.gate_latency)
                    .ok_or(TimeError::Overflow)?,
            );
            false_wakes += u64::from(event.is_none());
            previous_frame = Some(frame);
        }
        if let Some(event) = event {
            wake_of_event[event] = Some(wakes.len() - 1);
        }
    }
    let gated_ends = serve_fifo(&wakes, latency)?;
    let gated_responses = responses(&setup.events, &wake_of_event, &gated_ends)?;

    // Polling: every poll runs; an event is served by the first poll that sees it.
    let polls = frames_in(setup.duration, setup.poll_interval)?;
    let mut poll_of_event = Vec::with_capacity(setup.events.len());
    for &event in &setup.events {
        poll_of_event.push(events::first_sample(
            event,
            setup,
            setup.poll_interval,
            polls,
        )?);
    }
    let last_poll_end = match polls {
        0 => Time::ZERO,
        n => events::sample_time(n - 1, setup.poll_interval)?
            .checked_add(latency)
            .ok_or(TimeError::Overflow)?,
    };
    let mut useful_polls: Vec<u64> = poll_of_event.iter().flatten().copied().collect();
    useful_polls.dedup();
    let poll_responses = setup
        .events
        .iter()
        .zip(&poll_of_event)
        .filter_map(|(&event, poll)| poll.map(|k| (event, k)))
        .map(|(event, k)| {
            let end = events::sample_time(k, setup.poll_interval)?
                .checked_add(latency)
                .ok_or(TimeError::Overflow)?;
            end.checked_duration_since(event)
                .ok_or(GatedError::Time(TimeError::Overflow))
        })
        .collect::<Result<Vec<_>, _>>()?;

    let end = gated_ends
        .last()
        .copied()
        .unwrap_or(Time::ZERO)
        .max(last_poll_end)
        .max(
            Time::ZERO
                .checked_add(setup.duration)
                .ok_or(TimeError::Overflow)?,
        );
    let window = end.since_start();
    let gated = mode_result(
        setup,
        window,
        Counts {
            inferences: wakes.len() as u64,
            wasted: false_wakes,
            events: setup.events.len() as u64,
        },
        &gated_responses,
        setup.asleep_power_nw,
        setup.gate_power_nw,
    )?;
    let polling_with_rest = |rest_power_nw| {
        let counts = Counts {
            inferences: polls,
            wasted: polls - useful_polls.len() as u64,
            events: setup.events.len() as u64,
        };
        mode_result(setup, window, counts, &poll_responses, rest_power_nw, 0)
    };
    let polling = polling_with_rest(setup.polling_rest_power_nw)?;
    let polling_asleep = polling_with_rest(setup.asleep_power_nw)?;
    let ratio = |baseline: &ModeResult| {
        (gated.total_nj > 0).then(|| baseline.total_nj as f64 / gated.total_nj as f64)
    };
    let (energy_ratio, energy_ratio_asleep) = (ratio(&polling), ratio(&polling_asleep));
    Ok(GatedOutcome {
        tier: Tier::Simulated,
        events: setup.events.len() as u64,
        frames,
        window,
        gated,
        polling,
        polling_asleep,
        energy_ratio,
        energy_ratio_asleep,
    })
}

/// Response times of the served events: the end of the inference of their wake-up.
fn responses(
    events: &[Time],
    wake_of_event: &[Option<usize>],
    ends: &[Time],
) -> Result<Vec<Duration>, GatedError> {
    events
        .iter()
        .zip(wake_of_event)
        .filter_map(|(&event, wake)| wake.map(|w| (event, ends[w])))
        .map(|(event, end)| {
            end.checked_duration_since(event)
                .ok_or(GatedError::Time(TimeError::Overflow))
        })
        .collect()
}

/// Inference and event counts of one architecture.
struct Counts {
    inferences: u64,
    wasted: u64,
    events: u64,
}

/// Energy and events of one architecture: inferences at the simulated wake-up cost, the rest of
/// the window at `rest_power_nw`, and `gate_power_nw` for the whole window.
fn mode_result(
    setup: &GatedSetup,
    window: Duration,
    counts: Counts,
    served: &[Duration],
    rest_power_nw: u64,
    gate_power_nw: u64,
) -> Result<ModeResult, GatedError> {
    let awake = setup
        .wake
        .latency
        .checked_mul(counts.inferences)
        .ok_or(TimeError::Overflow)?;
    let resting = window.checked_sub(awake).ok_or(TimeError::Overflow)?;
    let inference = setup.wake.energy.checked_mul(counts.inferences)?;
    let rest = Energy::of_power(rest_power_nw, resting)?;
    let gate = Energy::of_power(gate_power_nw, window)?;
    let total = inference.checked_add(rest)?.checked_add(gate)?;
    let detected = served.len() as u64;
    Ok(ModeResult {
        inferences: counts.inferences,
        useful_inferences: counts.inferences - counts.wasted,
        wasted_inferences: counts.wasted,
        detected,
        missed: counts.events - detected,
        response_time: Distribution::of(served),
        inference_nj: inference.as_nj()?,
        rest_nj: rest.as_nj()?,
        gate_nj: gate.as_nj()?,
        total_nj: total.as_nj()?,
        average_power_nw: total.average_power_nw(window)?.unwrap_or(0),
        battery_hours: setup.battery.hours(total, window),
    })
}
