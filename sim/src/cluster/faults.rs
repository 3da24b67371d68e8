//! Faults: crashes, hangs, links going down and lost messages, the fault state of a run, and the
//! requests they fail. A chip declared failed (by its watcher, [`heartbeat`](super::heartbeat))
//! is replaced by a spare ([`recovery`](super::recovery)).
//!
//! A declared chip is out of service for good, whether it had crashed, was hung, or was running
//! and only its heartbeats were lost (a false detection): it forwards nothing from then on.
//!
//! Work is charged to *roles* (the plan's chip ids), while messages travel between the physical
//! chips that hold the roles: after a fail-over, the spare's position in the topology is what the
//! routes use. A scheduled fault names a physical chip: a crash of an idle spare takes it out of
//! the pool, a hang of an idle spare delays its take-over until the hang ends, and a fault of a
//! chip that already crashed changes nothing. Outages of one chip or link may overlap: it is back
//! in service when the last of them ends, and a chip that crashes during a hang stays down.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use rand_chacha::ChaCha8Rng;

use super::{Cluster, Outcome, SimError, Timer, Work};
use crate::result::stats::{FaultEvent, FaultStats};
use crate::scenario::FailurePolicy;
use ruvsim_engine::engine::Engine;
use ruvsim_engine::rng::{self, bernoulli, exponential_before, Probability, Purpose};
use ruvsim_engine::stats::Distribution;
use ruvsim_engine::time::{Duration, Time};

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
    /// Bytes of one heartbeat message.
    pub heartbeat_bytes: u32,
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

/// Takes role `role`'s engine resource out of service; whether it cut a compute task short (which
/// then starts again: [`Faults::interrupted`]). A heartbeat wake it cuts short simply restarts.
pub(super) fn stop_role(engine: &mut Engine<Work, Timer>, role: u32) -> Result<bool, SimError> {
    let waking = matches!(engine.running(role), Some(Work::HeartbeatWake { .. }));
    Ok(engine.block(role)? && !waking)
}

/// [`Faults::role_of`] of a spare that holds no role yet.
pub(super) const NO_ROLE: u32 = u32::MAX;

/// Heartbeat wakes that preempted a running task, by key, until they are over.
#[derive(Debug, Default)]
pub(super) struct PreemptingWakes {
    next: u32,
    wakes: BTreeMap<u32, Work>,
}

impl PreemptingWakes {
    /// Keeps `wake` until its end; the key its timer carries.
    pub fn insert(&mut self, wake: Work) -> u32 {
        let key = self.next;
        self.next = self.next.wrapping_add(1);
        self.wakes.insert(key, wake);
        key
    }

    /// The wake of `key`, once.
    pub fn remove(&mut self, key: u32) -> Option<Work> {
        self.wakes.remove(&key)
    }
}

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
    /// Per physical chip: its monitor declared it failed (it is out of service for good).
    pub declared: Vec<bool>,
    /// Physical chips crashed or declared failed: routes avoid them while any is.
    pub out_of_service: u32,
    /// Per physical chip: when it stopped (its crash, or the start of its current hang).
    pub stopped_at: Vec<Time>,
    /// Per physical chip: the end of its latest hang.
    pub hung_until: Vec<Time>,
    /// Per role: when its monitor last received a heartbeat from it (or began to watch it).
    pub last_heard: Vec<Time>,
    /// Per role: the physical chip watching it, once a check has chosen one.
    pub watcher_of: Vec<u32>,
    /// Heartbeats lost on the way (by role and sending time), until their last hop ends.
    pub lost_heartbeats: BTreeSet<(u32, Time)>,
    /// Heartbeat wakes preempting a running task.
    pub preempting: PreemptingWakes,
    /// Per link resource: the end of its latest outage.
    pub link_down_until: std::collections::BTreeMap<u32, Time>,
    /// Point-to-point links (ids) down now: messages sent meanwhile are routed around them.
    pub links_down: BTreeSet<u32>,
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
            declared: vec![false; (working_chips + spares) as usize],
            out_of_service: 0,
            stopped_at: vec![Time::ZERO; (working_chips + spares) as usize],
            hung_until: vec![Time::ZERO; (working_chips + spares) as usize],
            last_heard: vec![Time::ZERO; working_chips as usize],
            watcher_of: vec![NO_ROLE; working_chips as usize],
            lost_heartbeats: BTreeSet::new(),
            preempting: PreemptingWakes::default(),
            link_down_until: std::collections::BTreeMap::new(),
            links_down: BTreeSet::new(),
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
    /// Whether physical chip `chip` is out of service for good (crashed or declared failed).
    pub fn is_out(&self, chip: u32) -> bool {
        let chip = chip as usize;
        self.crashed.get(chip).copied().unwrap_or(false)
            || self.declared.get(chip).copied().unwrap_or(false)
    }

    /// Whether physical chip `chip` is hung at `now`.
    pub fn is_hung(&self, chip: u32, now: Time) -> bool {
        self.hung_until
            .get(chip as usize)
            .is_some_and(|&end| end > now)
    }

    /// Logs a fault event for the timeline and the report.
    pub(super) fn log(&mut self, at: Time, kind: &str, chip: u32, detail: String) {
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
        // After the faults at time 0, so that a chip crashed at 0 sends no heartbeat.
        engine.set_timer(Time::ZERO, Timer::Heartbeat)?;
        Ok(())
    }

    /// Whether every request has ended (late faults then change nothing).
    pub(super) fn all_ended(&self) -> bool {
        self.ended_count == self.ended.len()
    }

    /// Records that request `id` ended (once).
    pub(super) fn mark_ended(&mut self, id: u32) {
        if let Some(ended) = self.ended.get_mut(id as usize) {
            self.ended_count += usize::from(!*ended);
            *ended = true;
        }
    }

    /// When faults are simulated and every request has ended, takes every chip and link out of
    /// service at once, so that the run ends with its workload: a spare still loading, a
    /// heartbeat or a message still on a link is cut there (the engine takes back the unspent
    /// part of a running task), and nothing runs after the window.
    pub(super) fn close_after_workload(
        &mut self,
        engine: &mut Engine<Work, Timer>,
    ) -> Result<(), SimError> {
        if self.faults.is_none() || self.closed || !self.all_ended() {
            return Ok(());
        }
        self.closed = true;
        for resource in 0..self.resources() {
            engine.block(resource)?;
        }
        Ok(())
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
        let declared = faults.declared[chip as usize];
        if !faults.is_hung(chip, now) {
            faults.stopped_at[chip as usize] = now;
        }
        faults.crashed[chip as usize] = true;
        faults.out_of_service += u32::from(!declared);
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
        if !declared {
            // The role stops until its monitor notices the silence and a spare takes over.
            faults.interrupted[role as usize] |= stop_role(engine, role)?;
        }
        Ok(())
    }

    /// Physical chip `chip` stops for `length` (and sends no heartbeat meanwhile: its monitor may
    /// declare it failed). The role it holds resumes when its last overlapping hang ends.
    pub(super) fn on_hang(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        chip: u32,
        length: Duration,
        now: Time,
    ) -> Result<(), SimError> {
        if self.all_ended() {
            // After the workload: nothing is left for the hang to stop.
            return Ok(());
        }
        let Some(faults) = self.faults.as_mut() else {
            return Ok(());
        };
        if faults.is_out(chip) {
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
        let already_hung = faults.is_hung(chip, now);
        if !already_hung {
            faults.stopped_at[chip as usize] = now;
        }
        let hung_until = &mut faults.hung_until[chip as usize];
        *hung_until = (*hung_until).max(end);
        let role = faults.role_of[chip as usize];
        if role == NO_ROLE {
            // An idle spare: a take-over during the hang waits for its end.
            return Ok(());
        }
        if !already_hung {
            faults.interrupted[role as usize] |= stop_role(engine, role)?;
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
        if self.closed {
            return Ok(());
        }
        if let Some(faults) = &self.faults {
            let still_out = if resource < self.chips {
                let chip = faults.physical.get(resource as usize).copied();
                chip.is_some_and(|chip| faults.is_out(chip) || faults.is_hung(chip, now))
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
        let link = resource.checked_sub(self.chips);
        if let (Some(link), Some(faults)) = (link, self.faults.as_mut()) {
            if faults.links_down.remove(&link) {
                // The live graph changed: routes may use the link again.
                self.live_routes.clear();
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
        if self.all_ended() {
            // After the workload: nothing is left for the outage to stop.
            return Ok(());
        }
        let link = self.link_between(from, to)?;
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
            if !self.setup.shared_medium && faults.links_down.insert(link) {
                // The live graph changed: messages sent from now on go around the link.
                self.live_routes.clear();
            }
        }
        engine.block(resource)?;
        engine.set_timer(end, Timer::Resume(resource))?;
        Ok(())
    }

    /// Fails request `id` on `stream` with `cause` at `now` (once).
    pub(super) fn fail_request(
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
                self.mark_ended(id);
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
