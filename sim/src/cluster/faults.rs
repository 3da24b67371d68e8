//! Faults and fail-over: crashes, hangs, links going down and lost messages; detection by
//! heartbeat; a spare chip taking over a failed chip's part after loading it from flash and
//! recomputing the key/value cache of the requests in flight.
//!
//! Detection is computed from the heartbeat settings rather than simulated message by message:
//! every chip sends a heartbeat each `period`, and the monitor, checking each `period`, declares a
//! chip failed at the first check at which its last heartbeat is older than `timeout`. (Heartbeat
//! traffic itself is not put on the links.)
//!
//! Work is charged to *roles* (the plan's chip ids), while messages travel between the physical
//! chips that hold the roles: after a fail-over, the spare's position in the topology is what the
//! routes use. A scheduled fault names a physical chip: a crash of an idle spare takes it out of
//! the pool, a hang of an idle spare delays its take-over until the hang ends, and a fault of a
//! chip that already crashed changes nothing. Outages of one chip or link may overlap: it is back
//! in service when the last of them ends, and a chip that crashes during a hang stays down.

use ruvsim_core::Phase;
use std::collections::{BTreeSet, VecDeque};

use rand_chacha::ChaCha8Rng;

use super::{Cluster, Kernel, Outcome, SimError, Timer, Work};
use crate::result::stats::{FaultEvent, FaultStats, Handover};
use crate::scenario::FailurePolicy;
use ruvsim_engine::engine::Engine;
use ruvsim_engine::rng::{self, bernoulli, exponential_before, Probability, Purpose};
use ruvsim_engine::stats::Distribution;
use ruvsim_engine::time::{Duration, Time};
use ruvsim_hw::chip::step_time;
use ruvsim_hw::memory::{read_time, Region};

/// A fault at a known time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ScheduledFault {
    /// A chip stops for good.
    Crash {
        /// Chip (role) id.
        chip: u32,
        /// When.
        at: Time,
    },
    /// A chip stops for a while.
    Hang {
        /// Chip (role) id.
        chip: u32,
        /// When.
        at: Time,
        /// How long.
        length: Duration,
    },
    /// A link carries nothing for a while.
    LinkDown {
        /// One end.
        from: u32,
        /// The other end.
        to: u32,
        /// When.
        at: Time,
        /// How long.
        length: Duration,
    },
}

/// Fault settings of a run, in simulator units.
#[derive(Clone, Debug)]
pub struct FaultSetup {
    /// Heartbeat and check period.
    pub period: Duration,
    /// Silence after which a chip is declared failed.
    pub timeout: Duration,
    /// What happens to the requests of a replica that lost a chip.
    pub policy: FailurePolicy,
    /// Scheduled faults.
    pub events: Vec<ScheduledFault>,
    /// Mean time between crashes of one chip, for seeded random crashes.
    pub mtbf: Option<Duration>,
    /// Wired links: loss probability of one transmission.
    pub message_loss: Probability,
    /// Wired links: wait before resending a lost message.
    pub ack_timeout: Duration,
    /// Wired links: transmissions before a message is given up.
    pub max_attempts: u32,
}

impl FaultSetup {
    /// When the monitor declares a chip that stopped at `stopped` failed: at the first check (a
    /// multiple of the period) at which the last heartbeat (the last multiple of the period not
    /// after `stopped`) is older than the timeout.
    pub fn detection(&self, stopped: Time) -> Time {
        let period = self.period.as_ps();
        let last_heartbeat = stopped.as_ps() / period * period;
        let silent_until = last_heartbeat + self.timeout.as_ps();
        Time::from_ps((silent_until / period + 1) * period)
    }
}

/// [`Faults::role_of`] of a spare that holds no role yet.
pub(super) const NO_ROLE: u32 = u32::MAX;

/// Fault state of a run.
pub(super) struct Faults {
    pub setup: FaultSetup,
    /// Physical chip holding each role (identity until a fail-over).
    pub physical: Vec<u32>,
    pub spares: VecDeque<u32>,
    /// Per physical chip: the role it holds, or [`NO_ROLE`] for a spare not yet in service.
    pub role_of: Vec<u32>,
    /// Per physical chip: it crashed.
    pub crashed: Vec<bool>,
    /// Per physical chip: the end of its latest hang.
    pub hung_until: Vec<Time>,
    /// Per link resource: the end of its latest outage.
    pub link_down_until: std::collections::BTreeMap<u32, Time>,
    /// Per role: its running task was interrupted and will start again; in functional fidelity
    /// the kernel already ran, so the restart is charged its predicted counts without running it
    /// twice.
    pub interrupted: Vec<bool>,
    pub retried: BTreeSet<u32>,
    pub failed: BTreeSet<u32>,
    pub detect: Vec<Duration>,
    pub recover: Vec<Duration>,
    pub stats: FaultStats,
    pub loss_rngs: std::collections::BTreeMap<u32, ChaCha8Rng>,
}

impl Faults {
    pub fn new(setup: FaultSetup, working_chips: u32, spares: u32) -> Faults {
        Faults {
            setup,
            physical: (0..working_chips).collect(),
            spares: (working_chips..working_chips + spares).collect(),
            role_of: (0..working_chips)
                .chain(std::iter::repeat_n(NO_ROLE, spares as usize))
                .collect(),
            crashed: vec![false; (working_chips + spares) as usize],
            hung_until: vec![Time::ZERO; (working_chips + spares) as usize],
            link_down_until: std::collections::BTreeMap::new(),
            interrupted: vec![false; working_chips as usize],
            retried: BTreeSet::new(),
            failed: BTreeSet::new(),
            detect: Vec::new(),
            recover: Vec::new(),
            stats: FaultStats {
                spares,
                ..FaultStats::default()
            },
            loss_rngs: std::collections::BTreeMap::new(),
        }
    }
}

impl Faults {
    /// Logs a fault event for the timeline and the report.
    fn log(&mut self, at: Time, kind: &str, chip: u32, detail: String) {
        self.stats.events.push(FaultEvent {
            at,
            kind: kind.to_string(),
            chip,
            detail,
        });
    }
}

impl Cluster<'_, '_> {
    /// The physical chip now holding role `chip`.
    pub(super) fn physical(&self, chip: u32) -> u32 {
        match &self.faults {
            Some(faults) => faults.physical.get(chip as usize).copied().unwrap_or(chip),
            None => chip,
        }
    }

    /// Whether role `chip`'s next compute task restarts an interrupted one (and clears that).
    pub(super) fn take_interrupted(&mut self, chip: u32) -> bool {
        self.faults
            .as_mut()
            .and_then(|f| f.interrupted.get_mut(chip as usize))
            .is_some_and(std::mem::take)
    }

    /// Sets the timers of every scheduled and random fault.
    pub(super) fn schedule_faults(
        &mut self,
        engine: &mut Engine<Work, Timer>,
    ) -> Result<(), SimError> {
        let Some(faults) = &self.faults else {
            return Ok(());
        };
        let mut timers = Vec::new();
        for event in &faults.setup.events {
            match *event {
                ScheduledFault::Crash { chip, at } => timers.push((at, Timer::Crash(chip))),
                ScheduledFault::Hang { chip, at, length } => {
                    timers.push((at, Timer::Hang(chip, length)))
                }
                ScheduledFault::LinkDown {
                    from,
                    to,
                    at,
                    length,
                } => timers.push((at, Timer::LinkDown(from, to, length))),
            }
        }
        if let Some(mtbf) = faults.setup.mtbf {
            // One draw per physical chip, spares included: a spare can fail idle, or after it
            // took over a role.
            let physical = self.setup.plan.working_chips() + self.setup.plan.spares;
            for chip in 0..physical {
                let mut stream = rng::stream(self.setup.seed, Purpose::Faults, u64::from(chip));
                // A draw past half of simulated time is a crash after any run: not scheduled.
                let horizon = Duration::from_ps(u64::MAX / 2);
                let after = exponential_before(&mut stream, mtbf, horizon);
                if let Some(at) = after.and_then(|after| Time::ZERO.checked_add(after)) {
                    timers.push((at, Timer::Crash(chip)));
                }
            }
        }
        for (at, timer) in timers {
            engine.set_timer(at, timer)?;
        }
        Ok(())
    }

    /// Whether every request has ended (late faults then change nothing).
    fn all_ended(&self) -> bool {
        self.ended.iter().all(|&e| e)
    }

    /// Physical chip `chip` stops for good at `now`: the role it holds stops until a spare takes
    /// over; an idle spare leaves the pool.
    pub(super) fn on_crash(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        chip: u32,
        now: Time,
    ) -> Result<(), SimError> {
        if self.all_ended() {
            return Ok(());
        }
        let Some(faults) = self.faults.as_mut() else {
            return Ok(());
        };
        if faults
            .crashed
            .get(chip as usize)
            .is_none_or(|&crashed| crashed)
        {
            return Ok(());
        }
        faults.crashed[chip as usize] = true;
        faults.stats.crashes += 1;
        faults.log(now, "crash", chip, format!("chip {chip} crashed"));
        // The live graph changed: routes are searched again around the dead chip.
        self.live_routes.clear();
        let Some(faults) = self.faults.as_mut() else {
            return Ok(());
        };
        let role = faults.role_of[chip as usize];
        if role == NO_ROLE {
            faults.spares.retain(|&spare| spare != chip);
            return Ok(());
        }
        let detected = faults.setup.detection(now);
        faults.interrupted[role as usize] |= engine.block(role)?;
        engine.set_timer(detected, Timer::Detect(role, now))?;
        Ok(())
    }

    /// Physical chip `chip` stops for `length`; longer than the heartbeat timeout counts as a
    /// crash. The role it holds resumes when its last overlapping hang ends.
    pub(super) fn on_hang(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        chip: u32,
        length: Duration,
        now: Time,
    ) -> Result<(), SimError> {
        let Some(faults) = self.faults.as_mut() else {
            return Ok(());
        };
        if length >= faults.setup.timeout {
            return self.on_crash(engine, chip, now);
        }
        if faults
            .crashed
            .get(chip as usize)
            .is_none_or(|&crashed| crashed)
        {
            return Ok(());
        }
        faults.stats.hangs += 1;
        let end = now + length;
        faults.log(
            now,
            "hang",
            chip,
            format!("chip {chip} hangs for {:.3} ms", length.as_secs_f64() * 1e3),
        );
        let hung_until = &mut faults.hung_until[chip as usize];
        let already_hung = *hung_until > now;
        *hung_until = (*hung_until).max(end);
        let role = faults.role_of[chip as usize];
        if role == NO_ROLE {
            // An idle spare: a take-over during the hang waits for its end.
            return Ok(());
        }
        if !already_hung {
            faults.interrupted[role as usize] |= engine.block(role)?;
        }
        engine.set_timer(end, Timer::Resume(role))?;
        Ok(())
    }

    /// An outage of `resource` (a role's chip or a link) may have ended at `now`: it is put
    /// back in service unless a longer overlapping outage is still on or its chip crashed.
    pub(super) fn on_resume(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        resource: u32,
        now: Time,
    ) -> Result<(), SimError> {
        if let Some(faults) = &self.faults {
            let still_out = if resource < self.chips {
                let chip = faults.physical.get(resource as usize).copied();
                chip.is_some_and(|chip| {
                    faults.crashed[chip as usize] || faults.hung_until[chip as usize] > now
                })
            } else {
                faults
                    .link_down_until
                    .get(&resource)
                    .is_some_and(|&until| until > now)
            };
            if still_out {
                return Ok(());
            }
        }
        engine.unblock(resource, self)?;
        Ok(())
    }

    /// The link between physical chips `from` and `to` is down for `length`.
    pub(super) fn on_link_down(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        from: u32,
        to: u32,
        length: Duration,
        now: Time,
    ) -> Result<(), SimError> {
        let link = if self.setup.shared_medium {
            0
        } else {
            self.setup.topology.link_id(from, to)?
        };
        let resource = self.chips + link;
        let end = now + length;
        if let Some(faults) = self.faults.as_mut() {
            faults.stats.link_outages += 1;
            faults.log(
                now,
                "link down",
                from.min(to),
                format!(
                    "link {from}-{to} down for {:.3} ms",
                    length.as_secs_f64() * 1e3
                ),
            );
            let until = faults.link_down_until.entry(resource).or_insert(Time::ZERO);
            *until = (*until).max(end);
        }
        engine.block(resource)?;
        engine.set_timer(end, Timer::Resume(resource))?;
        Ok(())
    }

    /// The monitor declared role `chip` (stopped at `stopped`) failed at `now`: fail over to a
    /// spare, or fail the requests that needed it.
    pub(super) fn on_detect(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        chip: u32,
        stopped: Time,
        now: Time,
    ) -> Result<(), SimError> {
        let plan = self.setup.plan;
        let replica = plan.replica_of(chip);
        let in_flight: Vec<(u32, u32)> = self
            .streams
            .iter()
            .enumerate()
            .filter(|(_, s)| s.replica == replica)
            .filter_map(|(i, s)| s.request.map(|id| (i as u32, id)))
            .collect();
        let Some(faults) = self.faults.as_mut() else {
            return Ok(());
        };
        faults.detect.push(now - stopped);
        let spare = faults.spares.pop_front();
        let policy = faults.setup.policy;
        // A spare still hung starts loading when its hang ends.
        let spare_wait = spare.map_or(Duration::ZERO, |spare| {
            faults.hung_until[spare as usize]
                .checked_duration_since(now)
                .unwrap_or(Duration::ZERO)
        });
        let failed_chip = faults.physical[chip as usize];
        faults.log(
            now,
            "detected",
            failed_chip,
            format!("chip {failed_chip} declared failed"),
        );
        if let Some(spare) = spare {
            faults.physical[chip as usize] = spare;
            faults.role_of[spare as usize] = chip;
            faults.stats.failovers += 1;
            let usage = engine
                .usage()
                .get(chip as usize)
                .copied()
                .unwrap_or_default();
            faults.stats.handovers.push(Handover {
                role: chip,
                spare,
                at: now,
                busy_before: usage.busy,
                tasks_before: usage.tasks,
            });
            faults.log(
                now,
                "fail-over",
                spare,
                format!("spare chip {spare} takes over chip {chip}'s role"),
            );
        }
        let cause = format!(
            "chip {chip} stopped at {:.3} ms and was declared failed {:.3} ms later{}",
            stopped.as_secs_f64() * 1e3,
            (now - stopped).as_secs_f64() * 1e3,
            match (spare, policy) {
                (None, _) => "; no spare was left to take over".to_string(),
                (Some(_), FailurePolicy::Fail) => "; the failure policy fails its requests".into(),
                (Some(_), FailurePolicy::Retry) => String::new(),
            }
        );
        if spare.is_none() {
            // Mark the replica dead first, so that the requests failed below do not hand their
            // streams to it again.
            self.free.kill(replica);
        }
        if spare.is_none() || policy == FailurePolicy::Fail {
            for &(stream, id) in &in_flight {
                self.fail_request(engine, stream, id, &cause, now)?;
            }
        }
        if spare.is_none() {
            return self.fail_unservable(now);
        }
        // The spare loads the role's weights from its flash, then recomputes the key/value cache
        // of every request still in flight, before the queued work resumes.
        let role = plan.chip(chip);
        let load = read_time(
            Region::Flash,
            role.footprint.weights_bytes,
            self.setup.memory,
            self.setup.calibration,
        )
        .map_err(|e| SimError::Internal(e.to_string()))?;
        let mut rebuild = Duration::ZERO;
        let mut positions = 0u64;
        if policy == FailurePolicy::Retry {
            for &(_, id) in &in_flight {
                let context = self.requests[id as usize].prompt.len() as u32
                    + self.records[id as usize]
                        .as_ref()
                        .map_or(0, |r| r.generated);
                for pos in 0..context {
                    rebuild += self.rebuild_time(chip, pos)?;
                }
                positions += u64::from(context);
            }
        }
        if let Some(faults) = self.faults.as_mut() {
            faults.stats.tokens_recomputed += positions;
            if policy == FailurePolicy::Retry {
                faults.retried.extend(in_flight.iter().map(|&(_, id)| id));
            }
        }
        engine.add_urgent_task(
            chip,
            Work::Recover {
                chip,
                duration: spare_wait + load + rebuild,
                stopped,
            },
        )?;
        engine.unblock(chip, self)?;
        Ok(())
    }

    /// Time for role `chip` to recompute its part of the token at `pos` (its layers).
    fn rebuild_time(&self, chip: u32, pos: u32) -> Result<Duration, SimError> {
        let plan = self.setup.plan;
        if plan.expert_of(chip).is_some() {
            // Experts keep no key/value cache: loading the weights is all a spare has to do.
            return Ok(Duration::ZERO);
        }
        let role = plan.chip(chip);
        let config = if self.is_draft_chip(chip) {
            plan.draft.as_ref().map_or(self.setup.config, |d| d.config)
        } else {
            self.setup.config
        };
        let shard = role.shard;
        let kernels: Vec<Kernel> = if plan.tensor == 1 || self.is_draft_chip(chip) {
            vec![Kernel::Phase(Phase::Layers(shard.layers))]
        } else {
            (shard.layers.start..shard.layers.end)
                .flat_map(|layer| {
                    [
                        Kernel::Phase(Phase::Attention {
                            layer,
                            heads: shard.heads,
                        }),
                        Kernel::Phase(Phase::Ffn {
                            layer,
                            units: shard.ffn_units,
                        }),
                    ]
                })
                .collect()
        };
        let mut counts = ruvsim_core::OpCounts::default();
        for kernel in kernels {
            counts += kernel.predict(&config, self.setup.sampler, pos)?;
        }
        Ok(step_time(
            &counts,
            config.precision,
            &self.setup.cpu,
            &role.placement,
            self.setup.memory,
            self.setup.calibration,
        )?
        .total)
    }

    /// A spare finished taking over role `chip` (stopped at `stopped`) at `now`.
    pub(super) fn on_recovered(&mut self, stopped: Time, now: Time) {
        if let Some(faults) = self.faults.as_mut() {
            faults.recover.push(now - stopped);
        }
    }

    /// Fails request `id` on `stream` with `cause` at `now` (once).
    fn fail_request(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        stream: u32,
        id: u32,
        cause: &str,
        now: Time,
    ) -> Result<(), SimError> {
        if self.ended[id as usize] {
            return Ok(());
        }
        self.failures[id as usize].get_or_insert_with(|| cause.to_string());
        if let Some(faults) = self.faults.as_mut() {
            faults.failed.insert(id);
        }
        if self.streams[stream as usize].request == Some(id) {
            self.release_stream(stream);
        }
        self.end_request(
            engine,
            id,
            now,
            Outcome::Failed {
                reason: cause.to_string(),
            },
        )
    }

    /// Fails every waiting request when no replica is left to serve it.
    pub(super) fn fail_unservable(&mut self, now: Time) -> Result<(), SimError> {
        if self.free.any_alive() {
            return Ok(());
        }
        let cause = "no replica is left: every replica lost a chip that no spare replaced";
        while let Some(id) = self.pending.pop_front() {
            if !self.ended[id as usize] {
                self.failures[id as usize].get_or_insert_with(|| cause.to_string());
                if let Some(faults) = self.faults.as_mut() {
                    faults.failed.insert(id);
                }
                let arrival = self.requests[id as usize].arrival.unwrap_or(now);
                self.records[id as usize] = Some(super::RequestRecord {
                    id,
                    arrival,
                    start: now,
                    first_token: None,
                    end: now,
                    replica: u32::MAX,
                    prompt_tokens: self.requests[id as usize].prompt.len() as u32,
                    generated: 0,
                    tokens: Vec::new(),
                    outcome: Outcome::Failed {
                        reason: cause.to_string(),
                    },
                });
                self.ended[id as usize] = true;
                if self.setup.concurrency.is_some() {
                    self.issue_next(now);
                }
            }
        }
        Ok(())
    }

    /// Wired-link loss: transmissions of one message (each failed one costs the transfer and the
    /// acknowledgement timeout), and whether it got through.
    pub(super) fn wired_delivery(
        &mut self,
        link: u32,
        transfer: Duration,
    ) -> (Duration, u32, bool) {
        let seed = self.setup.seed;
        let Some(faults) = self.faults.as_mut() else {
            return (transfer, 1, true);
        };
        if faults.setup.message_loss == Probability::NEVER {
            return (transfer, 1, true);
        }
        let rng = faults
            .loss_rngs
            .entry(link)
            .or_insert_with(|| rng::stream(seed, Purpose::LinkLoss, u64::from(link)));
        let mut time = Duration::ZERO;
        for attempt in 1..=faults.setup.max_attempts {
            time += transfer;
            if !bernoulli(rng, faults.setup.message_loss) {
                faults.stats.retransmissions += u64::from(attempt - 1);
                return (time, attempt, true);
            }
            time += faults.setup.ack_timeout;
        }
        faults.stats.retransmissions += u64::from(faults.setup.max_attempts - 1);
        (time, faults.setup.max_attempts, false)
    }

    /// The run's fault totals.
    pub(super) fn fault_stats(&self) -> Option<FaultStats> {
        self.faults.as_ref().map(|f| FaultStats {
            requests_retried: f.retried.difference(&f.failed).count() as u32,
            requests_failed: f.failed.len() as u32,
            time_to_detect: Distribution::of(&f.detect),
            time_to_recover: Distribution::of(&f.recover),
            ..f.stats.clone()
        })
    }
}
