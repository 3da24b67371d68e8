//! Heartbeats as traffic, and detection from the heartbeats actually missed.
//!
//! Every `period` (a tick), each chip in service sends a heartbeat message of the configured size
//! to the chip that watches it. Its timer wakes its CPU: one task wake of `firmware.task_wake`
//! cycles at active power, an interrupt that delays the task the chip is running by as much. The
//! message then goes hop by hop over the live routes, occupying each link like any message; it can
//! be lost on a lossy link, and is lost at a link that is down or a chip that is out of service.
//! The watcher's CPU is woken again to take it in. At each tick, each watcher checks the chips it
//! watches and declares failed one it has heard nothing from for more than `timeout`. Detection
//! therefore follows from the heartbeats missed: a crash or a long hang is noticed one timeout
//! after the last heartbeat that got through, and heartbeats lost on the way can make a watcher
//! declare a chip that was running (counted as declared while running).
//!
//! Who watches whom: every chip of a replica is watched by the replica's first chip, and the first
//! chip by the replica's second (by the next replica's first chip when replicas have one chip).
//! When that chip is out of service, the duty passes along the same rule, and failing that to the
//! lowest-numbered chip still in service (a spare, possibly). A new watcher counts a chip's silence
//! from when it began to watch, and a watcher that was hung from when it resumed. Spares not yet
//! holding a role are not watched: a spare that crashes idle simply leaves the pool.
//!
//! Heartbeats stop with the workload: the tick is not set again once every request has ended, and
//! heartbeat hops neither start nor end the run's window. A heartbeat between groups of a backbone
//! is taken as delivered without occupying the backbone (only the chips' own links carry it).

use ruvsim_engine::engine::Engine;
use ruvsim_engine::time::{Duration, Time};

use super::faults::NO_ROLE;
use super::{Cluster, SimError, Timer, Work};
use crate::result::records::{TimelineSpan, NO_STREAM};

impl Cluster<'_, '_> {
    /// A heartbeat tick: every watcher checks the chips it watches, then every chip in service
    /// sends its heartbeat; the next tick follows one period later while requests remain.
    pub(super) fn on_heartbeat_tick(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        now: Time,
    ) -> Result<(), SimError> {
        let Some(period) = self.faults.as_ref().map(|f| f.setup.period) else {
            return Ok(());
        };
        if self.all_ended() {
            return Ok(());
        }
        let roles = self.setup.plan.working_chips();
        for role in 0..roles {
            if self.closed {
                // A declaration failed the last requests: the run has ended.
                return Ok(());
            }
            self.check(engine, role, now)?;
        }
        for role in 0..roles {
            self.send_heartbeat(engine, role, now)?;
        }
        // Fault times are validated to end well before simulated time runs out; past it, no
        // further tick is needed.
        if let Some(next) = now.checked_add(period) {
            engine.set_timer(next, Timer::Heartbeat)?;
        }
        Ok(())
    }

    /// The role that watches role `role` (see the module's rule).
    fn monitor_of(&self, role: u32) -> u32 {
        let plan = self.setup.plan;
        let replica = plan.replica_of(role);
        let first = plan.chip_id(replica, 0, 0);
        if role != first {
            first
        } else if plan.chips_per_replica() > 1 {
            first + 1
        } else {
            plan.chip_id((replica + 1) % plan.replicas.max(1), 0, 0)
        }
    }

    /// The physical chip watching role `role` now: along [`Cluster::monitor_of`] to the first
    /// chip in service, else the lowest-numbered chip in service; `None` when no other is.
    fn watcher(&self, role: u32) -> Option<u32> {
        let faults = self.faults.as_ref()?;
        let own = faults.physical[role as usize];
        let mut monitor = role;
        for _ in 0..faults.physical.len() {
            monitor = self.monitor_of(monitor);
            let chip = faults.physical[monitor as usize];
            if chip != own && !faults.is_out(chip) {
                return Some(chip);
            }
        }
        (0..faults.crashed.len() as u32).find(|&chip| chip != own && !faults.is_out(chip))
    }

    /// Role `role`'s watcher checks it: declared failed when silent for more than the timeout.
    fn check(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        role: u32,
        now: Time,
    ) -> Result<(), SimError> {
        let watcher = self.watcher(role);
        let Some(faults) = self.faults.as_mut() else {
            return Ok(());
        };
        let chip = faults.physical[role as usize];
        if faults.declared[chip as usize] {
            return Ok(());
        }
        let Some(watcher) = watcher else {
            // No other chip is in service to notice; a crashed chip is declared all the same, so
            // that its requests end with their cause rather than wait forever.
            if faults.crashed[chip as usize] {
                self.on_detect(engine, role, now)?;
            }
            return Ok(());
        };
        if faults.watcher_of[role as usize] != watcher {
            faults.watcher_of[role as usize] = watcher;
            faults.last_heard[role as usize] = faults.last_heard[role as usize].max(now);
        }
        if faults.is_hung(watcher, now) {
            return Ok(());
        }
        let since = faults.last_heard[role as usize].max(faults.hung_until[watcher as usize]);
        let silence = now.checked_duration_since(since).unwrap_or(Duration::ZERO);
        if silence > faults.setup.timeout {
            self.on_detect(engine, role, now)?;
        }
        Ok(())
    }

    /// Role `role`'s chip sends a heartbeat to its watcher, unless it is out of service or hung.
    fn send_heartbeat(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        role: u32,
        now: Time,
    ) -> Result<(), SimError> {
        let watcher = self.watcher(role);
        let Some(faults) = self.faults.as_mut() else {
            return Ok(());
        };
        let chip = faults.physical[role as usize];
        let Some(watcher) = watcher else {
            return Ok(());
        };
        if faults.is_out(chip) || faults.is_hung(chip, now) {
            return Ok(());
        }
        faults.stats.heartbeats_sent += 1;
        self.wake_for_heartbeat(engine, role, chip, watcher, now, false)
    }

    /// Wakes physical chip `chip`'s CPU for role `role`'s heartbeat to `to` (sent at `sent`): to
    /// send it, or, `received`, to take it in. The wake is an interrupt: a task the chip is running
    /// is delayed by it (and the heartbeat goes on when it is over); an idle chip runs it as a
    /// task at once, and a hung one first thing when it resumes. It belongs to the engine
    /// resource of the role the chip holds (its own id for a spare holding none).
    fn wake_for_heartbeat(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        role: u32,
        chip: u32,
        to: u32,
        sent: Time,
        received: bool,
    ) -> Result<(), SimError> {
        let Some(faults) = self.faults.as_mut() else {
            return Ok(());
        };
        let resource = faults
            .role_of
            .get(chip as usize)
            .copied()
            .filter(|&held| held != NO_ROLE)
            .unwrap_or(chip);
        let work = Work::HeartbeatWake {
            role,
            chip,
            to,
            sent,
            received,
        };
        let wake = self.wake_time()?;
        if engine.preempt(resource, wake)? {
            let key = self
                .faults
                .as_mut()
                .map_or(0, |f| f.preempting.insert(work));
            let done = engine
                .now()
                .checked_add(wake)
                .ok_or_else(|| SimError::Internal("heartbeat wake past simulated time".into()))?;
            engine.set_timer(done, Timer::HeartbeatWoken(key))?;
        } else {
            engine.add_urgent_task(resource, work)?;
        }
        Ok(())
    }

    /// The CPU time of one heartbeat wake at the chips' clock.
    fn wake_time(&self) -> Result<Duration, SimError> {
        let clock_hz = u64::from(self.setup.cpu.clock_mhz) * 1_000_000;
        Duration::from_millicycles(
            u128::from(self.setup.calibration.firmware.task_wake),
            clock_hz,
        )
        .map_err(|e| SimError::Internal(format!("heartbeat wake time: {e}")))
    }

    /// A wake that preempted a running task is over.
    pub(super) fn on_heartbeat_woken(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        key: u32,
        now: Time,
    ) -> Result<(), SimError> {
        let woken = self.faults.as_mut().and_then(|f| f.preempting.remove(key));
        if let Some(Work::HeartbeatWake {
            role,
            chip,
            to,
            sent,
            received,
        }) = woken
        {
            if self.is_dead(chip) {
                self.heartbeat_lost();
                return Ok(());
            }
            self.heartbeat_woken(engine, role, chip, to, sent, received, now)?;
        }
        Ok(())
    }

    /// A chip's CPU starts a heartbeat wake: its time, on that chip's track (nothing on a chip
    /// out of service, or one that no longer holds the role it was queued for).
    pub(super) fn price_heartbeat_wake(
        &mut self,
        role: u32,
        chip: u32,
        sent: Time,
        now: Time,
    ) -> Result<Duration, SimError> {
        if self.is_dead(chip) {
            if let Some(faults) = self.faults.as_mut() {
                faults.lost_heartbeats.insert((role, sent));
            }
            return Ok(Duration::ZERO);
        }
        let wake = self.wake_time()?;
        self.recorder.span(TimelineSpan {
            resource: chip,
            start: now,
            duration: wake,
            stream: NO_STREAM,
            kernel: None,
            bytes: 0,
            pos: None,
            hop: None,
            heartbeat: true,
        });
        Ok(wake)
    }

    /// A heartbeat wake ended at `now`: the sender's message leaves, or the watcher has heard it.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn heartbeat_woken(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        role: u32,
        chip: u32,
        to: u32,
        sent: Time,
        received: bool,
        now: Time,
    ) -> Result<(), SimError> {
        let lost = self
            .faults
            .as_mut()
            .is_some_and(|f| f.lost_heartbeats.remove(&(role, sent)));
        if lost {
            self.heartbeat_lost();
        } else if received {
            self.heartbeat_heard(role, now);
        } else {
            self.heartbeat_hop(engine, role, chip, to, sent)?;
        }
        Ok(())
    }

    /// Puts role `role`'s heartbeat (sent at `sent`) on its next hop from chip `at` toward chip
    /// `to`; it is lost when no live route or a link that is down is on the way.
    fn heartbeat_hop(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        role: u32,
        mut at: u32,
        to: u32,
        sent: Time,
    ) -> Result<(), SimError> {
        while at != to {
            let Some(next) = self.next_live(at, to)? else {
                self.heartbeat_lost();
                return Ok(());
            };
            if self
                .setup
                .backbone
                .as_ref()
                .is_some_and(|b| b.crosses(at, next))
            {
                at = next;
                continue;
            }
            let link = self.link_between(at, next)?;
            if engine.is_blocked(self.chips + link) {
                self.heartbeat_lost();
                return Ok(());
            }
            let work = Work::Heartbeat {
                role,
                link,
                ends: [at, next],
                to,
                sent,
            };
            engine.add_task(self.chips + link, work, &[])?;
            return Ok(());
        }
        self.wake_for_heartbeat(engine, role, to, to, sent, true)
    }

    /// Counts a heartbeat lost on its way.
    fn heartbeat_lost(&mut self) {
        if let Some(faults) = self.faults.as_mut() {
            faults.stats.heartbeats_lost += 1;
        }
    }

    /// The watcher received role `role`'s heartbeat at `now`.
    fn heartbeat_heard(&mut self, role: u32, now: Time) {
        if let Some(faults) = self.faults.as_mut() {
            let heard = &mut faults.last_heard[role as usize];
            *heard = (*heard).max(now);
        }
    }

    /// A heartbeat hop starts on `link`: its transfer time (a lossy link may lose it); nothing
    /// crosses to or from a chip out of service.
    pub(super) fn price_heartbeat(
        &mut self,
        role: u32,
        link: u32,
        ends: [u32; 2],
        sent: Time,
        now: Time,
    ) -> Result<Duration, SimError> {
        let Some(bytes) = self.faults.as_ref().map(|f| f.setup.heartbeat_bytes) else {
            return Ok(Duration::ZERO);
        };
        if ends.iter().any(|&chip| self.is_dead(chip)) {
            if let Some(faults) = self.faults.as_mut() {
                faults.lost_heartbeats.insert((role, sent));
            }
            return Ok(Duration::ZERO);
        }
        let (time, lost) = self.transmit(link, ends, bytes, NO_STREAM, now)?;
        if let Some(faults) = self.faults.as_mut() {
            faults.stats.heartbeat_bytes += u64::from(bytes);
            faults.stats.heartbeat_link_time =
                faults
                    .stats
                    .heartbeat_link_time
                    .checked_add(time)
                    .ok_or_else(|| SimError::Internal("heartbeat link time overflows".into()))?;
            if lost.is_some() {
                faults.lost_heartbeats.insert((role, sent));
            }
        }
        Ok(time)
    }

    /// A heartbeat hop ended: on to the next hop, or to the watcher's CPU.
    pub(super) fn heartbeat_hop_done(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        role: u32,
        ends: [u32; 2],
        to: u32,
        sent: Time,
    ) -> Result<(), SimError> {
        let lost = self
            .faults
            .as_mut()
            .is_some_and(|f| f.lost_heartbeats.remove(&(role, sent)));
        if lost {
            self.heartbeat_lost();
            return Ok(());
        }
        self.heartbeat_hop(engine, role, ends[1], to, sent)
    }
}
