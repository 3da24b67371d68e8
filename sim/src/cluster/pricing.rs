//! Pricing a task when it starts: how long a compute task occupies its chip (running the kernel
//! first in functional fidelity) and how long a hop occupies its link (with ESP-NOW's seeded
//! loss and retries, or a wired link's retransmissions). What each task did goes to the
//! [`Recorder`](super::recorder::Recorder).

use ruvsim_engine::rng::{self, Purpose};
use ruvsim_engine::time::{Duration, Time};
use ruvsim_hw::chip::{core_phases, step_time, ChipError};
use ruvsim_hw::firmware::{
    llama2c_time, ChipContext, FirmwareError, FirmwareProfile, Llama2cFirmware,
};
use ruvsim_hw::link::{DeliveryOutcome, LinkModel};
use ruvsim_hw::phases::PhaseTimes;

use super::{Cluster, SimError, Work};
use crate::kernel::Kernel;
use crate::result::records::{TimelineSpan, NO_STREAM};

/// Where a compute task runs and what it computes.
struct ComputeTask {
    stream: u32,
    chip: u32,
    kernel: Kernel,
    pos: u32,
    flight: u32,
}

/// A compute task's phases under the llama2.c profile: each core phase it stands for, and, after
/// choosing a token, the firmware's `vTaskDelay` up to its tick (charged as an overhead).
fn llama2c_task(
    firmware: &Llama2cFirmware,
    kernel: &Kernel,
    pos: u32,
    chip: &ChipContext,
    now: Time,
) -> Result<PhaseTimes, SimError> {
    use ruvsim_core::{Phase, Span};
    let shape = chip.shape;
    let phases: Vec<Phase> = match *kernel {
        Kernel::Phase(phase) => vec![phase],
        Kernel::Forward { sample } => {
            let mut whole = vec![
                Phase::Embed,
                Phase::Layers(Span::new(0, shape.n_layers)),
                Phase::Classify(Span::new(0, shape.vocab_size)),
            ];
            if sample {
                whole.push(Phase::Sample);
            }
            whole
        }
        Kernel::MoeAttention { .. } | Kernel::Expert { .. } | Kernel::MoeCombine { .. } => {
            return Err(FirmwareError::Unsupported("a mixture-of-experts kernel").into())
        }
    };
    let mut total = PhaseTimes::default();
    for phase in &phases {
        let times = llama2c_time(firmware, phase, pos, chip)?;
        total = total.plus(&times).map_err(ChipError::Time)?;
    }
    if phases.contains(&Phase::Sample) {
        let busy = total.total().map_err(ChipError::Time)?;
        let end = Duration::from_ps(now.as_ps())
            .checked_add(busy)
            .ok_or(ChipError::Time(ruvsim_engine::time::TimeError::Overflow))?;
        let wake = firmware.after_delay(end).map_err(ChipError::Time)?;
        total.overheads = total
            .overheads
            .checked_add(wake - end)
            .ok_or(ChipError::Time(ruvsim_engine::time::TimeError::Overflow))?;
    }
    Ok(total)
}

/// Which message a hop carries and over which link.
struct HopTask {
    stream: u32,
    link: u32,
    ends: [u32; 2],
    bytes: u32,
    deliver: Option<u32>,
}

impl Cluster<'_, '_> {
    /// The time `work` occupies its resource.
    pub(super) fn price(&mut self, work: &Work, now: Time) -> Result<Duration, SimError> {
        match *work {
            Work::Compute {
                stream,
                chip,
                kernel,
                pos,
                flight,
                ..
            } => self.price_compute(
                ComputeTask {
                    stream,
                    chip,
                    kernel,
                    pos,
                    flight,
                },
                now,
            ),
            Work::Recover { chip, duration, .. } => {
                // On the spare's own track: it is the spare that loads and recomputes.
                self.recorder.span(TimelineSpan {
                    resource: self.physical(chip),
                    start: now,
                    duration,
                    stream: NO_STREAM,
                    kernel: None,
                    bytes: 0,
                    pos: None,
                    hop: None,
                    heartbeat: false,
                });
                Ok(duration)
            }
            Work::Backbone {
                stream,
                link,
                ends,
                bytes,
                route,
                leg,
                ..
            } => {
                let busy = self.backbone_leg(route, leg, bytes)?.busy;
                self.recorder.hop(link, bytes);
                self.recorder.span(TimelineSpan {
                    resource: self.chips + link,
                    start: now,
                    duration: busy,
                    stream,
                    kernel: None,
                    bytes,
                    pos: None,
                    hop: Some(ends),
                    heartbeat: false,
                });
                Ok(busy)
            }
            Work::Heartbeat {
                role,
                link,
                ends,
                sent,
                ..
            } => self.price_heartbeat(role, link, ends, sent, now),
            Work::HeartbeatWake {
                role, chip, sent, ..
            } => self.price_heartbeat_wake(role, chip, sent, now),
            Work::Hop {
                stream,
                link,
                ends,
                bytes,
                deliver,
            } => self.price_hop(
                HopTask {
                    stream,
                    link,
                    ends,
                    bytes,
                    deliver,
                },
                now,
            ),
        }
    }

    /// A compute task: its operation counts (from running the kernel in functional fidelity, or
    /// the closed-form prediction), priced by the chip model. A task of a failed request costs
    /// nothing.
    fn price_compute(&mut self, task: ComputeTask, now: Time) -> Result<Duration, SimError> {
        let ComputeTask {
            stream,
            chip,
            kernel,
            pos,
            flight,
        } = task;
        let request = self.streams[stream as usize].request;
        if request.is_some_and(|id| self.failures[id as usize].is_some()) {
            return Ok(Duration::ZERO);
        }
        let restarted = self.take_interrupted(chip);
        let on_draft = self.is_draft_chip(chip);
        let (executor, executor_chip, config) = if on_draft {
            let draft_config = self.setup.plan.draft.as_ref().map(|d| d.config);
            let replica = chip - self.setup.plan.target_chips();
            (
                self.speculative.draft.as_mut(),
                replica,
                draft_config.unwrap_or(self.setup.config),
            )
        } else {
            (self.functional.as_mut(), chip, self.setup.config)
        };
        let counts = match executor {
            Some(_) if restarted => kernel.predict(&config, self.setup.sampler, pos)?,
            Some(executor) => {
                let (counts, sampled) =
                    executor.run(executor_chip, stream, flight, &kernel, pos)?;
                if let Some(token) = sampled {
                    self.sampled(stream, token, on_draft);
                }
                counts
            }
            None => kernel.predict(&config, self.setup.sampler, pos)?,
        };
        // Counts and spans go to the physical chip that ran the task (a spare after a fail-over).
        let physical = self.physical(chip);
        self.recorder.compute(physical, counts);
        let placement = &self.setup.plan.chip(chip).placement;
        let phases = match self.setup.firmware {
            FirmwareProfile::Core => {
                let timing = step_time(
                    &counts,
                    config.precision,
                    &self.setup.cpu,
                    placement,
                    self.setup.memory,
                    self.setup.calibration,
                )?;
                core_phases(
                    &counts,
                    config.precision,
                    &self.setup.cpu,
                    self.setup.calibration,
                    &timing,
                )?
            }
            FirmwareProfile::Llama2c(firmware) => {
                let context = ChipContext {
                    shape: &config.shape,
                    cpu: &self.setup.cpu,
                    placement,
                    memory: self.setup.memory,
                    calibration: self.setup.calibration,
                };
                llama2c_task(&firmware, &kernel, pos, &context, now)?
            }
        };
        let total = phases.total().map_err(ChipError::Time)?;
        if let Some(state) = self.streams.get_mut(stream as usize) {
            state.phases = state.phases.plus(&phases).map_err(ChipError::Time)?;
        }
        self.recorder.span(TimelineSpan {
            resource: physical,
            start: now,
            duration: total,
            stream,
            kernel: Some(kernel),
            bytes: 0,
            pos: Some(pos),
            hop: None,
            heartbeat: false,
        });
        Ok(total)
    }

    /// A hop: the link's transfer time, including retries; a message lost on every attempt fails
    /// the request it belongs to.
    fn price_hop(&mut self, task: HopTask, now: Time) -> Result<Duration, SimError> {
        let HopTask {
            stream,
            link,
            ends,
            bytes,
            deliver,
        } = task;
        if ends.iter().any(|&chip| self.is_dead(chip)) {
            // Queued before the chip crashed: it never crosses the link to or from the dead
            // chip (occupies nothing); what it carried is recomputed by the recovery.
            if let Some(faults) = self.faults.as_mut() {
                faults.stats.stranded_messages += 1;
            }
            return Ok(Duration::ZERO);
        }
        let (time, lost) = self.transmit(link, ends, bytes, stream, now)?;
        if let Some(reason) = lost {
            let request = match deliver {
                Some(index) => self.tokens.request_of(index),
                None => self.streams[stream as usize].request,
            };
            if let Some(id) = request {
                self.failures[id as usize].get_or_insert(reason);
            }
        }
        Ok(time)
    }

    /// A message of `bytes` (of `stream`, or a heartbeat for [`NO_STREAM`]) crosses `link`
    /// between `ends` from `now`: its traffic and timeline span are recorded; how long it
    /// occupies the link, and why it was lost if it was.
    pub(super) fn transmit(
        &mut self,
        link: u32,
        ends: [u32; 2],
        bytes: u32,
        stream: u32,
        now: Time,
    ) -> Result<(Duration, Option<String>), SimError> {
        self.recorder.hop(link, bytes);
        let (time, lost) = self.link_delivery(link, bytes)?;
        self.recorder.span(TimelineSpan {
            resource: self.chips + link,
            start: now,
            duration: time,
            stream,
            kernel: None,
            bytes,
            pos: None,
            hop: Some(ends),
            heartbeat: stream == NO_STREAM,
        });
        Ok((time, lost))
    }

    /// How long `bytes` occupy `link`, and why the message was lost if it was.
    fn link_delivery(
        &mut self,
        link: u32,
        bytes: u32,
    ) -> Result<(Duration, Option<String>), SimError> {
        if matches!(self.setup.link, LinkModel::EspNow(_)) {
            let seed = self.setup.seed;
            let rng = self
                .link_rngs
                .entry(link)
                .or_insert_with(|| rng::stream(seed, Purpose::LinkLoss, u64::from(link)));
            let delivery = self
                .setup
                .link
                .transfer_with_retries(u64::from(bytes), rng)?;
            // Every transmission beyond the first of each packet sent is a retransmission.
            let first_sends = match delivery.outcome {
                DeliveryOutcome::Failed { packet } => packet + 1,
                _ => {
                    self.setup
                        .link
                        .transfer_time(u64::from(bytes))?
                        .transactions
                }
            };
            if let Some(faults) = self.faults.as_mut() {
                faults.stats.retransmissions += delivery.attempts.saturating_sub(first_sends);
            }
            let lost = match delivery.outcome {
                DeliveryOutcome::Failed { packet } => Some(format!(
                    "message of {bytes} bytes lost on link {link}: packet {packet} was lost on \
                     every attempt ({} transmissions of the message)",
                    delivery.attempts
                )),
                _ => None,
            };
            Ok((delivery.time, lost))
        } else {
            let transfer = self.setup.link.transfer_time(u64::from(bytes))?.total;
            let (time, attempts, delivered) = self.wired_delivery(link, transfer);
            let lost = (!delivered).then(|| {
                format!(
                    "message of {bytes} bytes lost on link {link} after {attempts} transmissions"
                )
            });
            Ok((time, lost))
        }
    }

    /// Remembers the token functional sampling chose for `stream` until its task finishes.
    fn sampled(&mut self, stream: u32, token: u32, by_draft: bool) {
        let state = &mut self.streams[stream as usize];
        match (&mut state.round, by_draft) {
            (Some(round), true) => round.proposals.push(token),
            _ => state.chosen.push(token),
        }
    }
}
