//! Pricing a task when it starts: how long a compute task occupies its chip (running the kernel
//! first in functional fidelity) and how long a hop occupies its link (with ESP-NOW's seeded
//! loss and retries, or a wired link's retransmissions). What each task did goes to the
//! [`Recorder`](super::recorder::Recorder).

use ruvsim_engine::rng::{self, Purpose};
use ruvsim_engine::time::{Duration, Time};
use ruvsim_hw::chip::step_time;
use ruvsim_hw::link::{DeliveryOutcome, LinkModel};

use super::{Cluster, SimError, Work};
use crate::kernel::Kernel;
use crate::result::records::TimelineSpan;

/// Where a compute task runs and what it computes.
struct ComputeTask {
    stream: u32,
    chip: u32,
    kernel: Kernel,
    pos: u32,
    flight: u32,
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
                self.recorder.span(TimelineSpan {
                    resource: chip,
                    start: now,
                    duration,
                    stream: u32::MAX,
                    kernel: None,
                    bytes: 0,
                    pos: None,
                    hop: None,
                });
                Ok(duration)
            }
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
        self.recorder.compute(chip, counts);
        let placement = &self.setup.plan.chip(chip).placement;
        let timing = step_time(
            &counts,
            config.precision,
            &self.setup.cpu,
            placement,
            self.setup.memory,
            self.setup.calibration,
        )?;
        self.recorder.span(TimelineSpan {
            resource: chip,
            start: now,
            duration: timing.total,
            stream,
            kernel: Some(kernel),
            bytes: 0,
            pos: Some(pos),
            hop: None,
        });
        Ok(timing.total)
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
        self.recorder.hop(link, bytes);
        let (time, lost) = self.link_delivery(link, bytes)?;
        if let Some(reason) = lost {
            let request = match deliver {
                Some(index) => Some(self.tokens[index as usize].request),
                None => self.streams[stream as usize].request,
            };
            if let Some(id) = request {
                self.failures[id as usize].get_or_insert(reason);
            }
        }
        self.recorder.span(TimelineSpan {
            resource: self.chips + link,
            start: now,
            duration: time,
            stream,
            kernel: None,
            bytes,
            pos: None,
            hop: Some(ends),
        });
        Ok(time)
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
