//! The event-gated experiment of a scenario: its `[gated]` table, one simulated wake-up of its
//! cluster, the gate's power, and both architectures over the same events.

use ruvsim_core::{OpCounts, Precision};
use serde::{Deserialize, Serialize};

use super::{
    sensor_events, simulate_gated, GateSpec, GatedError, GatedOutcome, GatedSetup, GatedSpec,
    WakeCost,
};
use ruvsim_engine::rng::Probability;
use ruvsim_engine::time::Duration;
use ruvsim_hw::calibration::Calibration;
use ruvsim_hw::chip::{compute_time, CpuSetup};
use ruvsim_hw::energy::{
    battery_assumption, chip_energy, Battery, Energy, EnergyError, PowerDraw, PowerState,
    LINKS_NOT_MODELLED, WAKE_UPS_NOT_MODELLED,
};
use ruvsim_sim::run::{calibration_for, cpu_setup, simulate, RunOptions};
use ruvsim_sim::scenario::LoadedScenario;
use ruvsim_sim::workload::Arrivals;

/// The gate's power and how it was obtained.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GatePower {
    /// The gate's own power, nanowatts (beyond the chips' light sleep, which is counted apart).
    pub power_nw: u64,
    /// The gate's computation per frame on one core: the delay from a frame to the wake-up.
    pub compute_per_frame: Duration,
    /// The derivation, with the calibration figures it uses and their sources.
    pub derivation: String,
}

/// The gate's power: `spec.power_uw` if given, else derived from the calibration.
///
/// Derived default: the gate network (`synapses` int8 multiply-accumulates and `neurons` x 3
/// integer operations per frame) runs on one core of the model's chip at the scenario's clock and
/// kernels, priced by the calibrated cycle costs; between frames that chip sleeps. Its own power
/// is therefore the active-minus-light-sleep current for the compute time of each frame:
/// `(I_active,1 core - I_light_sleep) x V x t_frame / frame_period`. The light-sleep baseline
/// itself is counted with the other sleeping chips. Waking from light sleep every frame costs
/// time and charge that no source gives, so the derived figure is a lower bound.
pub fn gate_power(
    spec: &GateSpec,
    frame_period: Duration,
    calibration: &Calibration,
    cpu: &CpuSetup,
) -> Result<GatePower, GatedError> {
    let size = format!("{} synapses, {} neurons", spec.synapses, spec.neurons);
    let counts = OpCounts {
        mac_i8: spec.synapses,
        elementwise: spec
            .neurons
            .checked_mul(3)
            .ok_or_else(|| GatedError::Invalid {
                key: "gate.neurons",
                value: spec.neurons.to_string(),
                reason: "too large".into(),
            })?,
        ..OpCounts::default()
    };
    let gate_cpu = CpuSetup {
        cores_used: 1,
        ..*cpu
    };
    let compute = compute_time(&counts, Precision::Int8, &gate_cpu, calibration).map_err(|e| {
        GatedError::Invalid {
            key: "gate",
            value: size.clone(),
            reason: e.to_string(),
        }
    })?;
    if compute > frame_period {
        return Err(GatedError::Invalid {
            key: "gate.frame_period_ms",
            value: (frame_period.as_secs_f64() * 1e3).to_string(),
            reason: format!(
                "the gate's computation takes {} ms per frame, longer than the frame period",
                compute.as_secs_f64() * 1e3
            ),
        });
    }
    let supply = calibration.power.supply_mv;
    let active = PowerDraw::of(PowerState::active_for(&gate_cpu, calibration), calibration)?;
    let light = PowerDraw::of(PowerState::LightSleep, calibration)?;
    if let Some(uw) = spec.power_uw {
        if !(0.0..=1e9).contains(&uw) {
            return Err(GatedError::Invalid {
                key: "gate.power_uw",
                value: uw.to_string(),
                reason: "must be a number from 0 to 1e9".into(),
            });
        }
        return Ok(GatePower {
            power_nw: (uw * 1e3).round() as u64,
            compute_per_frame: compute,
            derivation: format!(
                "given: gate.power_uw = {uw} (scenario); wake-up delay is still the gate network's \
                 compute time on the chip ({} us)",
                compute.as_secs_f64() * 1e6
            ),
        });
    }
    let extra_ua = active
        .current_ua
        .checked_sub(light.current_ua)
        .ok_or_else(|| GatedError::Invalid {
            key: "gate",
            value: size.clone(),
            reason: format!(
                "the calibration's {} current ({} uA) is below its light-sleep current ({} uA)",
                active.state.describe(),
                active.current_ua,
                light.current_ua
            ),
        })?;
    let per_frame = Energy::of(compute, extra_ua, supply)?;
    let power_nw = per_frame.average_power_nw(frame_period)?.unwrap_or(0);
    Ok(GatePower {
        power_nw,
        compute_per_frame: compute,
        derivation: format!(
            "derived: a gate network of {} int8 synapses and {} neurons (x3 integer ops) per frame \
             takes {:.3} us on 1 core at {} MHz (calibrated cycle costs); at {} uA ({}: {}) \
             minus light sleep {} uA ({}) and {} mV ({}), every {} ms: {} nW. The light-sleep \
             baseline is counted with the sleeping chips; {}, so this is a lower bound",
            spec.synapses,
            spec.neurons,
            compute.as_secs_f64() * 1e6,
            gate_cpu.clock_mhz,
            active.current_ua,
            active.state.describe(),
            active.source,
            light.current_ua,
            light.source,
            supply,
            calibration
                .entry("power.supply_mv")
                .map(|e| e.source.to_string())
                .unwrap_or_default(),
            frame_period.as_secs_f64() * 1e3,
            power_nw,
            WAKE_UPS_NOT_MODELLED
        ),
    })
}

/// Everything an event-gated experiment produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GatedResult {
    /// Scenario name.
    pub scenario: String,
    /// Seed of the run.
    pub seed: u64,
    /// Chip variant.
    pub variant: String,
    /// Chips in the cluster.
    pub chips: u32,
    /// How long the device runs.
    pub duration: Duration,
    /// How long an event stays observable.
    pub event_duration: Duration,
    /// Time between gate frames.
    pub frame_period: Duration,
    /// Time between polls.
    pub poll_interval: Duration,
    /// Per-event detection probability.
    pub detection: f64,
    /// Per-frame false-positive probability.
    pub false_positive: f64,
    /// One simulated wake-up.
    pub wake: WakeCost,
    /// The gate's power.
    pub gate: GatePower,
    /// All chips asleep (gated, between inferences), nanowatts.
    pub asleep_power_nw: u64,
    /// What that is, with its source.
    pub asleep: String,
    /// The polling chips' state between polls (`idle`, `light sleep`).
    pub polling_rest_state: String,
    /// All chips between polls, nanowatts.
    pub polling_rest_power_nw: u64,
    /// What that is, with its source.
    pub polling_rest: String,
    /// The battery figures used.
    pub battery: String,
    /// Both architectures.
    pub outcome: GatedOutcome,
    /// What the figures leave out.
    pub not_modelled: Vec<String>,
}

fn positive_duration(key: &'static str, value: f64, scale: f64) -> Result<Duration, GatedError> {
    let error = |reason: &str| GatedError::Invalid {
        key,
        value: value.to_string(),
        reason: reason.into(),
    };
    if !(value.is_finite() && value > 0.0) {
        return Err(error("must be a positive number"));
    }
    Duration::from_secs_f64(value * scale).map_err(|e| error(&e.to_string()))
}

fn probability(key: &'static str, value: f64) -> Result<Probability, GatedError> {
    Probability::new(value).map_err(|e| GatedError::Invalid {
        key,
        value: value.to_string(),
        reason: e.to_string(),
    })
}

/// Runs the scenario's `[gated]` experiment: simulates one wake-up of its cluster (one request of
/// its workload), derives the gate's power, and simulates the gated and polling architectures.
pub fn run_gated(loaded: &LoadedScenario, options: &RunOptions) -> Result<GatedResult, GatedError> {
    let scenario = &loaded.scenario;
    let spec: &GatedSpec = scenario
        .gated
        .as_ref()
        .ok_or_else(|| GatedError::NoGatedTable {
            file: loaded.file.clone(),
        })?;
    let seed = options.seed.unwrap_or(scenario.scenario.seed);
    let duration = positive_duration("duration_s", spec.duration_s, 1.0)?;
    let event_duration = positive_duration("event_duration_ms", spec.event_duration_ms, 1e-3)?;
    let frame_period = positive_duration("gate.frame_period_ms", spec.gate.frame_period_ms, 1e-3)?;
    let poll_interval = positive_duration("polling.interval_ms", spec.polling.interval_ms, 1e-3)?;
    let detection = probability("gate.detection", spec.gate.detection)?;
    let false_positive = probability("gate.false_positive", spec.gate.false_positive)?;
    let battery = Battery::new(scenario.energy.battery_mah, scenario.energy.battery_volts)?;

    let wake = simulate_wake(loaded, options)?;
    let calibration = calibration_for(loaded, options)?;
    let cpu = cpu_setup(&scenario.cluster, &calibration);
    let gate = gate_power(&spec.gate, frame_period, &calibration, &cpu)?;
    let chips = scenario
        .cluster
        .topology
        .chips()
        .map_err(ruvsim_sim::run::RunError::from)?;
    let supply = calibration.power.supply_mv;
    let light = PowerDraw::of(PowerState::LightSleep, &calibration)?;
    let between_polls = PowerDraw::of(PowerState::rest(spec.polling.between_polls), &calibration)?;
    let all_chips = |draw: &PowerDraw| -> Result<u64, EnergyError> {
        draw.power_nw(supply)?
            .checked_mul(u64::from(chips))
            .ok_or(EnergyError::Overflow)
    };
    let describe = |draw: &PowerDraw| {
        format!(
            "{chips} chip(s) x {} ({} uA at {supply} mV; {})",
            draw.state.describe(),
            draw.current_ua,
            draw.source
        )
    };

    let setup = GatedSetup {
        duration,
        events: sensor_events(&spec.events, duration, seed, &loaded.dir)?,
        event_duration,
        frame_period,
        detection,
        false_positive,
        gate_latency: gate.compute_per_frame,
        gate_power_nw: gate.power_nw,
        asleep_power_nw: all_chips(&light)?,
        poll_interval,
        polling_rest_power_nw: all_chips(&between_polls)?,
        wake,
        battery,
        seed,
    };
    let outcome = simulate_gated(&setup)?;
    Ok(GatedResult {
        scenario: scenario.scenario.name.clone(),
        seed,
        variant: scenario.cluster.variant.display_name().into(),
        chips,
        duration,
        event_duration,
        frame_period,
        poll_interval,
        detection: spec.gate.detection,
        false_positive: spec.gate.false_positive,
        wake: setup.wake,
        gate,
        asleep_power_nw: setup.asleep_power_nw,
        asleep: describe(&light),
        polling_rest_state: between_polls.state.describe(),
        polling_rest_power_nw: setup.polling_rest_power_nw,
        polling_rest: describe(&between_polls),
        battery: battery_assumption(&scenario.energy),
        outcome,
        not_modelled: vec![
            format!("link energy: {LINKS_NOT_MODELLED}"),
            format!("sleep transitions: {WAKE_UPS_NOT_MODELLED}"),
            "the gate's computation during an inference is charged on top of the inference".into(),
            "the polling model is assumed to recognise every event it samples".into(),
        ],
    })
}

/// One wake-up: the scenario's cluster simulation for a single request of its workload (same
/// prompt and token budget, one client), with every chip's energy over that inference.
fn simulate_wake(loaded: &LoadedScenario, options: &RunOptions) -> Result<WakeCost, GatedError> {
    let mut single = loaded.clone();
    single.scenario.workload.requests = 1;
    single.scenario.workload.arrivals = Arrivals::ClosedLoop { concurrency: 1 };
    let run = simulate(&single, options)?;
    if run.summary.requests_completed != 1 {
        let reason = run
            .requests
            .first()
            .map(|r| format!("{:?}", r.outcome))
            .unwrap_or_else(|| "no request ran".into());
        return Err(GatedError::WakeFailed(reason));
    }
    let energy = &run.energy;
    let mut total = Energy::ZERO;
    for chip in &energy.chips {
        let split = chip_energy(
            chip.chip,
            chip.busy,
            energy.window,
            &energy.active,
            &energy.rest,
            energy.supply_mv,
        )?;
        total = total.checked_add(split.total()?)?;
    }
    let request = &run.requests[0];
    Ok(WakeCost {
        latency: energy.window,
        energy_nj: total.as_nj()?,
        energy: total,
        how: format!(
            "simulated: one request ({} prompt + {} generated tokens) of the scenario's model on \
             its {}-chip {} cluster ({} fidelity), chips busy at {} and waiting at {}",
            request.prompt_tokens,
            request.generated,
            run.cluster.chips,
            run.cluster.variant,
            run.fidelity,
            energy.active.state.describe(),
            energy.rest.state.describe()
        ),
    })
}
