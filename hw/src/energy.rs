//! Energy: every chip's time in each power state, integrated into joules, and battery life.
//!
//! The calibration tables hold the supply current of each power state per variant (active with one
//! or two cores, scalar or SIMD code; idle; light sleep; deep sleep), each with its source. A run
//! charges a chip's busy time (compute and memory stalls, as the engine accounts it) at the active
//! state matching the run's CPU setup: the cores used, and SIMD when the kernels are the optimised
//! ones on a variant with SIMD (the ESP32-S3's PIE). The rest of the accounting window is charged
//! at the rest state the scenario chooses (`[energy] between_tasks`, default `idle`).
//!
//! Arithmetic is exact: time in picoseconds x current in micro-amps x supply in millivolts is an
//! integer number of zeptojoules (1e-21 J), summed in `u128` ([`Energy`]) and rounded once to whole
//! nanojoules for the result. Average power in nanowatts is zeptojoules per picosecond.
//!
//! Not modelled, and said so in every result: link energy (no sourced figure for the energy of an
//! SPI, UART or ESP-NOW transfer; a chip waiting on a link is charged its rest state), transitions
//! into and out of light sleep (no sourced wake-up time or charge), and the clock dependence of the
//! currents (the tables hold one clock's row; a run at another clock uses it, with a note).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::calibration::{Calibration, Power};
use crate::chip::{CpuSetup, KernelKind};
use crate::tier::Tier;
use ruvsim_engine::time::Duration;

/// Battery capacity when a scenario gives none: an example single-cell Li-ion pack (a scenario
/// assumption, not a calibration figure).
pub const DEFAULT_BATTERY_MAH: f64 = 2000.0;
/// Battery voltage when a scenario gives none: the nominal voltage of a single Li-ion/LiPo cell.
pub const DEFAULT_BATTERY_VOLTS: f64 = 3.7;

/// What the result says about link energy.
pub const LINKS_NOT_MODELLED: &str = "not modelled: no sourced figure for the energy of an SPI, \
     UART or ESP-NOW transfer; a chip whose link is transferring is charged its rest state";
/// What the result says about sleep transitions.
pub const WAKE_UPS_NOT_MODELLED: &str = "not modelled: no sourced figure for the time or charge \
     of entering and leaving light sleep";

/// `[energy]` in a scenario: how chips spend the time between tasks, and the battery.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnergySpec {
    /// Power state of a chip between its tasks (default `idle`).
    #[serde(default)]
    pub between_tasks: RestState,
    /// Battery capacity in mAh (default [`DEFAULT_BATTERY_MAH`]).
    #[serde(default = "default_battery_mah")]
    pub battery_mah: f64,
    /// Battery voltage (default [`DEFAULT_BATTERY_VOLTS`]); a regulator is assumed lossless.
    #[serde(default = "default_battery_volts")]
    pub battery_volts: f64,
}

fn default_battery_mah() -> f64 {
    DEFAULT_BATTERY_MAH
}

fn default_battery_volts() -> f64 {
    DEFAULT_BATTERY_VOLTS
}

impl Default for EnergySpec {
    fn default() -> Self {
        EnergySpec {
            between_tasks: RestState::Idle,
            battery_mah: DEFAULT_BATTERY_MAH,
            battery_volts: DEFAULT_BATTERY_VOLTS,
        }
    }
}

/// The power state of a chip that is not running a task.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestState {
    /// CPU waiting for an interrupt, clocks running: ready at once.
    #[default]
    Idle,
    /// Light sleep between tasks (wake-up costs not modelled: no sourced figure).
    LightSleep,
}

/// A power state of the calibration tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PowerState {
    /// Running code on `cores` cores, with 128-bit SIMD instructions or scalar code.
    Active {
        /// Cores busy (1 or 2).
        cores: u32,
        /// Whether the code is SIMD.
        simd: bool,
    },
    /// CPU idle (waiting for interrupt), clocks running.
    Idle,
    /// Light sleep.
    LightSleep,
    /// Deep sleep.
    DeepSleep,
}

impl PowerState {
    /// The active state of a run's CPU setup: its cores, and SIMD when the kernels are the
    /// optimised ones on a variant that has SIMD.
    pub fn active_for(cpu: &CpuSetup, calibration: &Calibration) -> PowerState {
        PowerState::Active {
            cores: cpu.cores_used,
            simd: calibration.cpu.simd && cpu.kernel == KernelKind::Optimized,
        }
    }

    /// The state a [`RestState`] names.
    pub fn rest(state: RestState) -> PowerState {
        match state {
            RestState::Idle => PowerState::Idle,
            RestState::LightSleep => PowerState::LightSleep,
        }
    }

    /// The calibration key of this state's current.
    pub fn key(self) -> &'static str {
        match self {
            PowerState::Active {
                cores: 1,
                simd: false,
            } => "power.active_1core_ma",
            PowerState::Active { simd: false, .. } => "power.active_2core_ma",
            PowerState::Active {
                cores: 1,
                simd: true,
            } => "power.active_simd_1core_ma",
            PowerState::Active { simd: true, .. } => "power.active_simd_2core_ma",
            PowerState::Idle => "power.idle_ma",
            PowerState::LightSleep => "power.light_sleep_ua",
            PowerState::DeepSleep => "power.deep_sleep_ua",
        }
    }

    /// A short description (`active, 2 cores, SIMD`).
    pub fn describe(self) -> String {
        match self {
            PowerState::Active { cores, simd } => format!(
                "active, {cores} core{}, {}",
                if cores == 1 { "" } else { "s" },
                if simd { "SIMD (128-bit)" } else { "scalar" }
            ),
            PowerState::Idle => "idle".into(),
            PowerState::LightSleep => "light sleep".into(),
            PowerState::DeepSleep => "deep sleep".into(),
        }
    }

    /// The table's current for this state, if the variant has the state.
    fn current_ua(self, power: &Power) -> Option<u64> {
        match self {
            PowerState::Active {
                cores: 1,
                simd: false,
            } => Some(power.active_1core_ua),
            PowerState::Active {
                cores: 2,
                simd: false,
            } => power.active_2core_ua,
            PowerState::Active {
                cores: 1,
                simd: true,
            } => power.active_simd_1core_ua,
            PowerState::Active {
                cores: 2,
                simd: true,
            } => power.active_simd_2core_ua,
            PowerState::Active { .. } => None,
            PowerState::Idle => Some(power.idle_ua),
            PowerState::LightSleep => Some(power.light_sleep_ua),
            PowerState::DeepSleep => Some(power.deep_sleep_ua),
        }
    }
}

/// A power state's current, with where the figure comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PowerDraw {
    /// The state.
    pub state: PowerState,
    /// Supply current in micro-amps.
    pub current_ua: u64,
    /// The calibration key.
    pub key: String,
    /// The calibration entry's source or derivation.
    pub source: String,
}

impl PowerDraw {
    /// The draw of `state` on `calibration`'s variant.
    pub fn of(state: PowerState, calibration: &Calibration) -> Result<PowerDraw, EnergyError> {
        let current_ua =
            state
                .current_ua(&calibration.power)
                .ok_or_else(|| EnergyError::NoSuchState {
                    state: state.describe(),
                    variant: calibration.variant.display_name(),
                    key: state.key(),
                })?;
        Ok(PowerDraw {
            state,
            current_ua,
            key: state.key().into(),
            source: source_of(calibration, state.key()),
        })
    }

    /// Power at `supply_mv`, in nanowatts.
    pub fn power_nw(&self, supply_mv: u64) -> Result<u64, EnergyError> {
        self.current_ua
            .checked_mul(supply_mv)
            .ok_or(EnergyError::Overflow)
    }
}

/// The calibration entry's source text, for the result.
fn source_of(calibration: &Calibration, key: &str) -> String {
    calibration
        .entry(key)
        .map(|entry| entry.source.to_string())
        .unwrap_or_else(|| format!("calibration key {key}"))
}

/// An exact amount of energy in zeptojoules (1e-21 J): picoseconds x micro-amps x millivolts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Energy(u128);

/// Zeptojoules per nanojoule.
const ZJ_PER_NJ: u128 = 1_000_000_000_000;

impl Energy {
    /// No energy.
    pub const ZERO: Energy = Energy(0);

    /// The energy of drawing `current_ua` at `supply_mv` for `time` (exact; an error only for
    /// currents and voltages far outside any chip's, which could overflow `u128`).
    pub fn of(time: Duration, current_ua: u64, supply_mv: u64) -> Result<Energy, EnergyError> {
        u128::from(time.as_ps())
            .checked_mul(u128::from(current_ua))
            .and_then(|e| e.checked_mul(u128::from(supply_mv)))
            .map(Energy)
            .ok_or(EnergyError::Overflow)
    }

    /// The energy of a constant `power_nw` (nanowatts) for `time`: nW x ps = zJ, exactly.
    pub fn of_power(power_nw: u64, time: Duration) -> Result<Energy, EnergyError> {
        u128::from(power_nw)
            .checked_mul(u128::from(time.as_ps()))
            .map(Energy)
            .ok_or(EnergyError::Overflow)
    }

    /// An exact amount in zeptojoules.
    pub const fn from_zj(zj: u128) -> Energy {
        Energy(zj)
    }

    /// Zeptojoules.
    pub const fn as_zj(self) -> u128 {
        self.0
    }

    /// Whole nanojoules, rounded to nearest (ties up).
    pub fn as_nj(self) -> Result<u64, EnergyError> {
        nearest_nj(self.0)
    }

    /// Joules, for reporting only.
    pub fn as_joules_f64(self) -> f64 {
        self.0 as f64 * 1e-21
    }

    /// Average power over `window` in nanowatts (zeptojoules per picosecond), rounded down;
    /// `None` for an empty window.
    pub fn average_power_nw(self, window: Duration) -> Result<Option<u64>, EnergyError> {
        if window == Duration::ZERO {
            return Ok(None);
        }
        u64::try_from(self.0 / u128::from(window.as_ps()))
            .map(Some)
            .map_err(|_| EnergyError::Overflow)
    }

    /// `self x factor`.
    pub fn checked_mul(self, factor: u64) -> Result<Energy, EnergyError> {
        self.0
            .checked_mul(u128::from(factor))
            .map(Energy)
            .ok_or(EnergyError::Overflow)
    }

    /// `self + other`.
    pub fn checked_add(self, other: Energy) -> Result<Energy, EnergyError> {
        self.0
            .checked_add(other.0)
            .map(Energy)
            .ok_or(EnergyError::Overflow)
    }
}

/// `zj` in whole nanojoules, rounded to nearest (ties up).
fn nearest_nj(zj: u128) -> Result<u64, EnergyError> {
    let rounded = zj / ZJ_PER_NJ + u128::from(zj % ZJ_PER_NJ >= ZJ_PER_NJ / 2);
    u64::try_from(rounded).map_err(|_| EnergyError::Overflow)
}

/// Why energy could not be accounted.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EnergyError {
    /// The variant's table has no current for the state the run needs.
    #[error("{variant} has no `{key}` entry for the state `{state}` this run needs")]
    NoSuchState {
        /// The state.
        state: String,
        /// The variant.
        variant: &'static str,
        /// The missing calibration key.
        key: &'static str,
    },
    /// A battery setting is not a usable number.
    #[error("energy.{key} = {value}: {reason}")]
    Battery {
        /// `battery_mah` or `battery_volts`.
        key: &'static str,
        /// The value given.
        value: f64,
        /// What would be valid.
        reason: &'static str,
    },
    /// A chip was busy longer than the accounting window (a broken invariant of the caller).
    #[error("chip {chip} was busy {busy_ps} ps, longer than the {window_ps} ps window")]
    BusyExceedsWindow {
        /// The chip.
        chip: u32,
        /// Its busy time.
        busy_ps: u64,
        /// The window.
        window_ps: u64,
    },
    /// An energy too large to represent (whole nanojoules in `u64`, zeptojoules in `u128`).
    #[error("energy overflows its integer representation")]
    Overflow,
}

/// A validated battery: capacity and voltage as exact integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Battery {
    /// Capacity in micro-amp-hours.
    pub capacity_uah: u64,
    /// Voltage in millivolts.
    pub millivolts: u64,
}

impl Battery {
    /// Validates a scenario's `battery_mah` and `battery_volts`: positive, finite, and no finer
    /// than 1 uAh and 1 mV (nothing is rounded away silently).
    pub fn new(mah: f64, volts: f64) -> Result<Battery, EnergyError> {
        Ok(Battery {
            capacity_uah: whole_thousandths("battery_mah", mah)?,
            millivolts: whole_thousandths("battery_volts", volts)?,
        })
    }

    /// The stored energy (lossless regulator assumed).
    pub fn energy(&self) -> Energy {
        // 1 uAh x 1 mV = 3.6e-3 C x 1e-3 V = 3.6e-6 J = 3.6e15 zJ.
        Energy(u128::from(self.capacity_uah) * u128::from(self.millivolts) * 3_600_000_000_000_000)
    }

    /// Hours this battery runs a load that used `used` over `window`; `None` for no load.
    pub fn hours(&self, used: Energy, window: Duration) -> Option<f64> {
        (used.as_zj() > 0).then(|| {
            self.energy().as_zj() as f64 / used.as_zj() as f64 * window.as_secs_f64() / 3600.0
        })
    }
}

/// `value x 1000` as an integer, if `value` is positive, finite and a whole number of thousandths.
fn whole_thousandths(key: &'static str, value: f64) -> Result<u64, EnergyError> {
    let error = |reason| EnergyError::Battery { key, value, reason };
    if !value.is_finite() || value <= 0.0 || value > 1e12 {
        return Err(error("must be a positive number (at most 1e12)"));
    }
    let scaled = value * 1000.0;
    let whole = scaled.round();
    if (scaled - whole).abs() > 1e-6 * whole.max(1.0) {
        return Err(error("must be a whole number of thousandths (1 uAh, 1 mV)"));
    }
    Ok(whole as u64)
}

/// Battery life of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatteryLife {
    /// Capacity in mAh, as given.
    pub capacity_mah: f64,
    /// Voltage, as given.
    pub volts: f64,
    /// Where the battery figures come from (the scenario, or the stated defaults).
    pub assumption: String,
    /// Hours one such battery powers the whole cluster at the run's average power.
    pub cluster_hours: Option<f64>,
    /// With one such battery per board: the board that drains first.
    pub first_empty_board: Option<u32>,
    /// With one such battery per board: hours until the first board is empty.
    pub board_hours: Option<f64>,
}

/// One chip's energy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChipEnergy {
    /// Chip id.
    pub chip: u32,
    /// Time in the active state.
    pub busy: Duration,
    /// Time in the rest state (the window minus `busy`).
    pub rest: Duration,
    /// Energy in the active state, nanojoules.
    pub active_nj: u64,
    /// Energy in the rest state, nanojoules.
    pub rest_nj: u64,
    /// Both, nanojoules (rounded once from the exact sum).
    pub total_nj: u64,
    /// Average power over the window, nanowatts.
    pub average_power_nw: u64,
}

/// The energy of a run (tier: simulated).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnergyResult {
    /// `simulated`: state times come from the event simulation.
    pub tier: Tier,
    /// The span energy is accounted over: from the first arrival to the end of the last work.
    pub window: Duration,
    /// Supply voltage, millivolts.
    pub supply_mv: u64,
    /// Where the supply voltage comes from.
    pub supply_source: String,
    /// The state busy time is charged at.
    pub active: PowerDraw,
    /// The state the rest of the window is charged at.
    pub rest: PowerDraw,
    /// Set when the run's clock differs from the clock the currents were measured at.
    pub clock_note: Option<String>,
    /// Per chip.
    pub chips: Vec<ChipEnergy>,
    /// All chips, nanojoules (rounded once from the exact sum).
    pub total_nj: u64,
    /// All chips' active-state energy, nanojoules.
    pub active_nj: u64,
    /// All chips' rest-state energy, nanojoules.
    pub rest_nj: u64,
    /// Total energy per generated token, nanojoules (`None` without tokens).
    pub per_token_nj: Option<u64>,
    /// Average power of the cluster over the window, nanowatts (`None` for an empty window).
    pub average_power_nw: Option<u64>,
    /// Battery life at that average power.
    pub battery: BatteryLife,
    /// Link energy: not modelled, and why.
    pub links: String,
    /// Sleep transitions: not modelled, and why.
    pub wake_ups: String,
}

/// One chip's energy over a window, split by state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChipSplit {
    /// Energy while busy.
    pub active: Energy,
    /// Energy while resting.
    pub rest: Energy,
    /// Time resting: the window minus the busy time.
    pub rest_time: Duration,
}

impl ChipSplit {
    /// Both states.
    pub fn total(&self) -> Result<Energy, EnergyError> {
        self.active.checked_add(self.rest)
    }
}

/// Chip `chip`, busy for `busy` out of `window`: busy time at `active`, the rest at `rest`.
pub fn chip_energy(
    chip: u32,
    busy: Duration,
    window: Duration,
    active: &PowerDraw,
    rest: &PowerDraw,
    supply_mv: u64,
) -> Result<ChipSplit, EnergyError> {
    let rest_time = window
        .checked_sub(busy)
        .ok_or(EnergyError::BusyExceedsWindow {
            chip,
            busy_ps: busy.as_ps(),
            window_ps: window.as_ps(),
        })?;
    Ok(ChipSplit {
        active: Energy::of(busy, active.current_ua, supply_mv)?,
        rest: Energy::of(rest_time, rest.current_ua, supply_mv)?,
        rest_time,
    })
}

/// What [`account`] needs from a run.
#[derive(Clone, Copy, Debug)]
pub struct EnergyInput<'a> {
    /// The chips' calibration.
    pub calibration: &'a Calibration,
    /// The run's CPU setup.
    pub cpu: &'a CpuSetup,
    /// The scenario's `[energy]` table.
    pub spec: &'a EnergySpec,
    /// The accounting window.
    pub window: Duration,
    /// Each chip's busy time, by chip id.
    pub busy: &'a [Duration],
    /// Tokens generated in the window.
    pub tokens: u64,
}

/// Integrates every chip's busy and rest time into energy, per chip and in total.
pub fn account(input: &EnergyInput) -> Result<EnergyResult, EnergyError> {
    let calibration = input.calibration;
    let power = &calibration.power;
    let supply_mv = power.supply_mv;
    let active = PowerDraw::of(PowerState::active_for(input.cpu, calibration), calibration)?;
    let rest = PowerDraw::of(PowerState::rest(input.spec.between_tasks), calibration)?;
    let battery = Battery::new(input.spec.battery_mah, input.spec.battery_volts)?;

    let mut chips = Vec::with_capacity(input.busy.len());
    let (mut active_total, mut rest_total) = (Energy::ZERO, Energy::ZERO);
    let mut hungriest: Option<(u32, Energy)> = None;
    for (chip, &busy) in (0u32..).zip(input.busy) {
        let split = chip_energy(chip, busy, input.window, &active, &rest, supply_mv)?;
        let (active_energy, rest_energy, rest_time) = (split.active, split.rest, split.rest_time);
        let total = active_energy.checked_add(rest_energy)?;
        if hungriest.is_none_or(|(_, most)| total > most) {
            hungriest = Some((chip, total));
        }
        active_total = active_total.checked_add(active_energy)?;
        rest_total = rest_total.checked_add(rest_energy)?;
        chips.push(ChipEnergy {
            chip,
            busy,
            rest: rest_time,
            active_nj: active_energy.as_nj()?,
            rest_nj: rest_energy.as_nj()?,
            total_nj: total.as_nj()?,
            average_power_nw: total.average_power_nw(input.window)?.unwrap_or(0),
        });
    }
    let total = active_total.checked_add(rest_total)?;
    let per_token_nj = match input.tokens {
        0 => None,
        tokens => Some(nearest_nj(total.as_zj() / u128::from(tokens))?),
    };
    let clock_note = (input.cpu.clock_mhz != power.reference_clock_mhz).then(|| {
        format!(
            "currents are the table's {} MHz figures; this run clocks at {} MHz (the calibration \
             has no row for that clock), so active and idle energy are those of the {} MHz row",
            power.reference_clock_mhz, input.cpu.clock_mhz, power.reference_clock_mhz
        )
    });
    Ok(EnergyResult {
        tier: Tier::Simulated,
        window: input.window,
        supply_mv,
        supply_source: source_of(calibration, "power.supply_mv"),
        active,
        rest,
        clock_note,
        total_nj: total.as_nj()?,
        active_nj: active_total.as_nj()?,
        rest_nj: rest_total.as_nj()?,
        per_token_nj,
        average_power_nw: total.average_power_nw(input.window)?,
        battery: BatteryLife {
            capacity_mah: input.spec.battery_mah,
            volts: input.spec.battery_volts,
            assumption: battery_assumption(input.spec),
            cluster_hours: battery.hours(total, input.window),
            first_empty_board: hungriest.map(|(chip, _)| chip),
            board_hours: hungriest.and_then(|(_, energy)| battery.hours(energy, input.window)),
        },
        chips,
        links: LINKS_NOT_MODELLED.into(),
        wake_ups: WAKE_UPS_NOT_MODELLED.into(),
    })
}

/// Says whether the battery figures are the scenario's or the defaults.
pub fn battery_assumption(spec: &EnergySpec) -> String {
    let defaults =
        spec.battery_mah == DEFAULT_BATTERY_MAH && spec.battery_volts == DEFAULT_BATTERY_VOLTS;
    if defaults {
        format!(
            "default: {DEFAULT_BATTERY_MAH} mAh at {DEFAULT_BATTERY_VOLTS} V (a single Li-ion \
             cell); lossless regulator assumed"
        )
    } else {
        "scenario [energy] battery_mah and battery_volts; lossless regulator assumed".into()
    }
}

#[cfg(test)]
mod tests;
