//! The scenario's `[faults]` table turned into the cluster's fault setup, in simulator units,
//! every value checked and every error naming its key.

use ruvsim_engine::rng::Probability;
use ruvsim_engine::time::{Duration, Time};

use crate::cluster::{FaultSetup, ScheduledFault};
use crate::scenario::{FaultEvent, FaultSpec};

/// A `[faults]` value in milliseconds as a duration; the error names `key`.
fn ms(value: f64, key: &str) -> Result<Duration, String> {
    Duration::from_secs_f64(value / 1000.0).map_err(|e| format!("faults.{key} = {value}: {e}"))
}

/// Converts and checks a scenario's `[faults]` table for a cluster of `chips` chips.
pub fn fault_setup(spec: &FaultSpec, chips: u32) -> Result<FaultSetup, String> {
    let period = ms(spec.heartbeat.period_ms, "heartbeat.period_ms")?;
    let timeout = ms(spec.heartbeat.timeout_ms, "heartbeat.timeout_ms")?;
    if period == Duration::ZERO || timeout < period {
        return Err(format!(
            "faults.heartbeat: period_ms must be positive and timeout_ms at least one period \
             (got period {} ms, timeout {} ms)",
            spec.heartbeat.period_ms, spec.heartbeat.timeout_ms
        ));
    }
    let chip_in_range = |chip: u32, key: &str| {
        if chip < chips {
            Ok(chip)
        } else {
            Err(format!(
                "faults.events: {key} = {chip} is not a chip of this {chips}-chip cluster \
                 (valid: 0..={})",
                chips - 1
            ))
        }
    };
    let at = |t: f64| Ok::<Time, String>(Time::ZERO + ms(t, "events.at_ms")?);
    let events = spec
        .events
        .iter()
        .map(|event| {
            Ok(match *event {
                FaultEvent::Crash { chip, at_ms } => ScheduledFault::Crash {
                    chip: chip_in_range(chip, "chip")?,
                    at: at(at_ms)?,
                },
                FaultEvent::Hang {
                    chip,
                    at_ms,
                    for_ms,
                } => ScheduledFault::Hang {
                    chip: chip_in_range(chip, "chip")?,
                    at: at(at_ms)?,
                    length: ms(for_ms, "events.for_ms")?,
                },
                FaultEvent::LinkDown {
                    from,
                    to,
                    at_ms,
                    for_ms,
                } => ScheduledFault::LinkDown {
                    from: chip_in_range(from, "from")?,
                    to: chip_in_range(to, "to")?,
                    at: at(at_ms)?,
                    length: ms(for_ms, "events.for_ms")?,
                },
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let mtbf = match spec.mtbf_hours {
        Some(hours) if hours.is_finite() && hours > 0.0 => {
            Some(ms(hours * 3_600_000.0, "mtbf_hours")?)
        }
        Some(hours) => {
            return Err(format!(
                "faults.mtbf_hours = {hours} must be a positive number of hours"
            ))
        }
        None => None,
    };
    if spec.max_attempts == 0 {
        return Err("faults.max_attempts must be at least 1".into());
    }
    Ok(FaultSetup {
        period,
        timeout,
        policy: spec.policy,
        events,
        mtbf,
        message_loss: Probability::new(spec.message_loss)
            .map_err(|e| format!("faults.message_loss = {}: {e}", spec.message_loss))?,
        ack_timeout: ms(spec.ack_timeout_ms, "ack_timeout_ms")?,
        max_attempts: spec.max_attempts,
    })
}
