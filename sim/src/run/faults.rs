//! The scenario's `[faults]` table turned into the cluster's fault setup, in simulator units,
//! every value checked and every error naming its key.

use ruvsim_engine::rng::Probability;
use ruvsim_engine::time::{Duration, Time};

use crate::cluster::{FaultSetup, ScheduledFault};
use crate::scenario::{FaultEvent, FaultSpec};
use ruvsim_topologies::Topology;

/// The latest a fault may end, in milliseconds (about 115 days): simulated time is 64-bit
/// picoseconds (about 213 days), and half of it is kept for the run to go on after a fault.
pub const FAULT_HORIZON_MS: f64 = 1e10;

/// The shortest heartbeat period, in milliseconds (100 us). Each period every chip sends a message,
/// so the simulated events grow as the run's length over the period; 100 us is already the order of
/// one small transfer (a UART at 115,200 baud needs about 0.7 ms for 8 bytes).
pub const MIN_HEARTBEAT_PERIOD_MS: f64 = 0.1;

/// The largest heartbeat message, in bytes.
pub const MAX_HEARTBEAT_BYTES: u32 = 1_024;

/// A `[faults]` value in milliseconds as a duration, within the horizon; the error names `key`.
fn ms(value: f64, key: &str) -> Result<Duration, String> {
    if !(0.0..=FAULT_HORIZON_MS).contains(&value) {
        return Err(format!(
            "faults.{key} = {value}: valid 0..={FAULT_HORIZON_MS:.0} ms (faults must end within \
             about 115 days of simulated time, which is 64-bit picoseconds)"
        ));
    }
    Duration::from_secs_f64(value / 1000.0).map_err(|e| format!("faults.{key} = {value}: {e}"))
}

/// Checks that `sum` (of the values named in `keys`) ends within the horizon.
fn within_horizon(sum: f64, keys: &str) -> Result<(), String> {
    if sum <= FAULT_HORIZON_MS {
        Ok(())
    } else {
        Err(format!(
            "faults.{keys} = {sum} ms together: valid 0..={FAULT_HORIZON_MS:.0} ms (faults must end \
             within about 115 days of simulated time, which is 64-bit picoseconds)"
        ))
    }
}

/// Converts and checks a scenario's `[faults]` table for a cluster wired as `topology`.
pub fn fault_setup(spec: &FaultSpec, topology: &Topology) -> Result<FaultSetup, String> {
    let chips = topology.chips();
    let period = ms(spec.heartbeat.period_ms, "heartbeat.period_ms")?;
    let timeout = ms(spec.heartbeat.timeout_ms, "heartbeat.timeout_ms")?;
    within_horizon(
        spec.heartbeat.timeout_ms + 2.0 * spec.heartbeat.period_ms,
        "heartbeat.timeout_ms + 2 x heartbeat.period_ms",
    )?;
    if spec.heartbeat.period_ms < MIN_HEARTBEAT_PERIOD_MS {
        return Err(format!(
            "faults.heartbeat.period_ms = {}: valid {MIN_HEARTBEAT_PERIOD_MS}..={FAULT_HORIZON_MS:.0} \
             ms (every chip sends a heartbeat each period over the links: shorter periods only \
             fill the links, and the simulation, with heartbeats)",
            spec.heartbeat.period_ms
        ));
    }
    if timeout < period {
        return Err(format!(
            "faults.heartbeat.timeout_ms = {}: valid {}..={FAULT_HORIZON_MS:.0} ms (at least one \
             period: a monitor cannot notice a silence shorter than the time between heartbeats)",
            spec.heartbeat.timeout_ms, spec.heartbeat.period_ms
        ));
    }
    if !(1..=MAX_HEARTBEAT_BYTES).contains(&spec.heartbeat.bytes) {
        return Err(format!(
            "faults.heartbeat.bytes = {}: valid 1..={MAX_HEARTBEAT_BYTES} (one message on a link)",
            spec.heartbeat.bytes
        ));
    }
    if chips < 2 {
        return Err(
            "faults: a crash is noticed by another chip missing its heartbeats, and this cluster \
             has one chip (valid: faults with at least two chips)"
                .into(),
        );
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
    let at = |t: f64| {
        Time::ZERO
            .checked_add(ms(t, "events.at_ms")?)
            .ok_or_else(|| format!("faults.events.at_ms = {t}: beyond simulated time"))
    };
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
                    chip: {
                        within_horizon(at_ms + for_ms, "events.at_ms + events.for_ms")?;
                        chip_in_range(chip, "chip")?
                    },
                    at: at(at_ms)?,
                    length: ms(for_ms, "events.for_ms")?,
                },
                FaultEvent::LinkDown {
                    from,
                    to,
                    at_ms,
                    for_ms,
                } => ScheduledFault::LinkDown {
                    from: {
                        within_horizon(at_ms + for_ms, "events.at_ms + events.for_ms")?;
                        let (a, b) = (chip_in_range(from, "from")?, chip_in_range(to, "to")?);
                        if topology.link_id(a, b).is_err() {
                            return Err(format!(
                                "faults.events: link_down from = {a}, to = {b}: no link joins \
                                 chips {a} and {b} in this {} (valid: two neighbours)",
                                topology.kind()
                            ));
                        }
                        a
                    },
                    to: chip_in_range(to, "to")?,
                    at: at(at_ms)?,
                    length: ms(for_ms, "events.for_ms")?,
                },
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let mtbf = match spec.mtbf_hours {
        Some(hours) if hours.is_finite() && hours > 0.0 => Some(
            Duration::from_secs_f64(hours * 3_600.0)
                .map_err(|e| format!("faults.mtbf_hours = {hours}: {e}"))?,
        ),
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
    within_horizon(
        spec.ack_timeout_ms * f64::from(spec.max_attempts),
        "ack_timeout_ms x max_attempts",
    )?;
    Ok(FaultSetup {
        period,
        timeout,
        heartbeat_bytes: spec.heartbeat.bytes,
        policy: spec.policy,
        events,
        mtbf,
        message_loss: Probability::new(spec.message_loss)
            .map_err(|e| format!("faults.message_loss = {}: {e}", spec.message_loss))?,
        ack_timeout: ms(spec.ack_timeout_ms, "ack_timeout_ms")?,
        max_attempts: spec.max_attempts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> FaultSpec {
        toml::from_str(text).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Four chips in a chain.
    fn chain() -> Topology {
        let spec: ruvsim_topologies::TopologySpec =
            toml::from_str("kind = \"chain\"\nchips = 4").unwrap();
        spec.build_relative_to(std::path::Path::new(".")).unwrap()
    }

    #[test]
    fn a_link_outage_needs_a_link() {
        let far = "events = [{ kind = \"link_down\", from = 0, to = 2, at_ms = 5, for_ms = 5 }]";
        let err = fault_setup(&spec(far), &chain()).unwrap_err();
        assert!(err.contains("no link joins chips 0 and 2"), "{err}");
        let near = "events = [{ kind = \"link_down\", from = 1, to = 2, at_ms = 5, for_ms = 5 }]";
        assert!(fault_setup(&spec(near), &chain()).is_ok());
    }

    #[test]
    fn times_beyond_the_horizon_name_their_keys_and_the_valid_range() {
        let cases = [
            (
                "events = [{ kind = \"hang\", chip = 0, at_ms = 9e9, for_ms = 9e9 }]",
                "events.at_ms + events.for_ms",
            ),
            (
                "events = [{ kind = \"crash\", chip = 0, at_ms = 2e10 }]",
                "events.at_ms = 20000000000",
            ),
            (
                "heartbeat = { period_ms = 10, timeout_ms = 1.8e10 }",
                "heartbeat.timeout_ms",
            ),
            (
                "message_loss = 0.5\nack_timeout_ms = 1e10\nmax_attempts = 3",
                "ack_timeout_ms x max_attempts",
            ),
        ];
        for (text, key) in cases {
            let err = fault_setup(&spec(text), &chain()).unwrap_err();
            assert!(err.contains(key), "{text}: {err}");
            assert!(err.contains("valid 0..=10000000000 ms"), "{text}: {err}");
        }
        // A realistic mean time between failures is not bounded by the horizon: later crashes
        // simply fall after the run.
        assert!(fault_setup(&spec("mtbf_hours = 1000"), &chain()).is_ok());
    }
}
