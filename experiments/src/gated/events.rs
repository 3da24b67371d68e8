//! Sensor events and sampling instants: when events happen, which gate frame or poll first sees
//! each, and which frames fire falsely.
//!
//! Random streams (see [`ruvsim_engine::rng`]): sensor event times use purpose `Arrivals` with entity
//! [`SENSOR_EVENTS`]; the gate's detection and false-positive draws use purpose `Workload` with
//! entities [`DETECTION`] and [`FALSE_POSITIVES`]. The entities sit above 2^32 so that they never
//! meet the workload's own streams (entity 0), and each kind of draw has its own stream, so
//! changing the false-positive rate does not change which events are detected.

use rand_chacha::rand_core::Rng;

use super::{EventSource, GatedError, GatedSetup};
use ruvsim_engine::rng::{self, Purpose};
use ruvsim_engine::time::{Duration, Time, TimeError};
use ruvsim_sim::workload::parse_replay;

/// Purpose of the sensor event stream.
pub const EVENT_PURPOSE: Purpose = Purpose::Arrivals;
/// Entity of the sensor event stream.
pub const SENSOR_EVENTS: u64 = 1 << 32;
/// Purpose of the gate's streams.
pub const GATE_PURPOSE: Purpose = Purpose::Workload;
/// Entity of the gate's detection draws (one per event that a frame sees).
pub const DETECTION: u64 = 1 << 32;
/// Entity of the gate's false-positive draws.
pub const FALSE_POSITIVES: u64 = (1 << 32) + 1;

/// The sensor events of a run in `[0, duration)`, ascending. A replayed file's path is relative
/// to `dir`; a replayed event at or after `duration` is an error (never dropped silently).
pub fn sensor_events(
    source: &EventSource,
    duration: Duration,
    seed: u64,
    dir: &std::path::Path,
) -> Result<Vec<Time>, GatedError> {
    let end = Time::ZERO
        .checked_add(duration)
        .ok_or(TimeError::Overflow)?;
    match source {
        EventSource::Poisson { rate_per_hour } => {
            if !(rate_per_hour.is_finite() && *rate_per_hour > 0.0) {
                return Err(GatedError::Invalid {
                    key: "events.rate_per_hour",
                    value: rate_per_hour.to_string(),
                    reason: "must be a positive number".into(),
                });
            }
            let mean = Duration::from_secs_f64(3600.0 / rate_per_hour)?;
            let mut stream = rng::stream(seed, EVENT_PURPOSE, SENSOR_EVENTS);
            let mut times = Vec::new();
            let mut at = Time::ZERO;
            loop {
                let gap = rng::exponential(&mut stream, mean)?;
                match at.checked_add(gap) {
                    Some(next) if next < end => {
                        times.push(next);
                        at = next;
                    }
                    _ => return Ok(times),
                }
            }
        }
        EventSource::Replay { file } => {
            let path = dir.join(file);
            let name = path.display().to_string();
            let text = std::fs::read_to_string(&path).map_err(|e| GatedError::Read {
                file: name.clone(),
                reason: e.to_string(),
            })?;
            let times = parse_replay(&name, &text)?;
            if let Some(late) = times.iter().find(|&&t| t >= end) {
                return Err(GatedError::Invalid {
                    key: "events.file",
                    value: name,
                    reason: format!(
                        "the event at {} s is not before the end of the run ({} s); raise \
                         gated.duration_s or shorten the file",
                        late.as_secs_f64(),
                        duration.as_secs_f64()
                    ),
                });
            }
            Ok(times)
        }
    }
}

/// Number of sampling instants `k x period` in `[0, duration)`.
pub fn frames_in(duration: Duration, period: Duration) -> Result<u64, GatedError> {
    if period == Duration::ZERO {
        return Err(GatedError::Invalid {
            key: "frame_period_ms / polling.interval_ms",
            value: "0".into(),
            reason: "must be greater than zero".into(),
        });
    }
    Ok(duration.as_ps().div_ceil(period.as_ps()))
}

/// The instant of sample `k`.
pub(super) fn sample_time(k: u64, period: Duration) -> Result<Time, TimeError> {
    period
        .checked_mul(k)
        .map(|d| Time::ZERO.checked_add(d).unwrap_or(Time::MAX))
        .ok_or(TimeError::Overflow)
}

/// The first of `count` samples (every `period`) that sees the event at `event`: at or after it,
/// while it is observable. `None` if no sample falls in the event's window.
pub(super) fn first_sample(
    event: Time,
    setup: &GatedSetup,
    period: Duration,
    count: u64,
) -> Result<Option<u64>, GatedError> {
    let k = event.as_ps().div_ceil(period.as_ps());
    if k >= count {
        return Ok(None);
    }
    let visible_until = event
        .checked_add(setup.event_duration)
        .ok_or(TimeError::Overflow)?;
    Ok((sample_time(k, period)? < visible_until).then_some(k))
}

/// Whether an event is observable at `at` (events ascending, all equally long).
fn covered(events: &[Time], event_duration: Duration, at: Time) -> bool {
    let started = events.partition_point(|&t| t <= at);
    started > 0
        && events[started - 1]
            .checked_add(event_duration)
            .is_none_or(|end| at < end)
}

/// The frames among `frames` that see no event and fire anyway, ascending. Each such frame is an
/// independent trial with the false-positive probability; the gaps between successes are drawn
/// as geometric variables (one draw per false positive, not per frame), and successes that land
/// on a frame seeing an event are discarded (no false-positive trial happens there).
pub(super) fn false_positive_frames(
    setup: &GatedSetup,
    frames: u64,
) -> Result<Vec<u64>, GatedError> {
    let p = setup.false_positive.as_f64();
    let mut fired = Vec::new();
    if p == 0.0 {
        return Ok(fired);
    }
    let mut stream = rng::stream(setup.seed, GATE_PURPOSE, FALSE_POSITIVES);
    // ln(1 - p), negative for 0 < p < 1; p = 1 fires every frame (gap 0).
    let log_miss = libm::log1p(-p);
    let mut frame = 0u64;
    while frame < frames {
        let gap = if p >= 1.0 {
            0.0
        } else {
            let u = ((stream.next_u64() >> 11) + 1) as f64 * (1.0 / 9_007_199_254_740_992.0);
            (libm::log(u) / log_miss).floor()
        };
        if gap >= (frames - frame) as f64 {
            break;
        }
        frame += gap as u64;
        if !covered(
            &setup.events,
            setup.event_duration,
            sample_time(frame, setup.frame_period)?,
        ) {
            fired.push(frame);
        }
        frame += 1;
    }
    Ok(fired)
}
