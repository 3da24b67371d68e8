//! Fail-over: a chip its watcher declared failed goes out of service for good, and a spare takes
//! over its part, loading it from flash and recomputing the key/value cache of the requests in
//! flight; without a spare (or under the `fail` policy) the requests that needed it fail with the
//! cause.

use super::faults::{stop_role, NO_ROLE};
use super::{Cluster, Kernel, SimError, Timer, Work};
use crate::result::stats::Handover;
use crate::scenario::FailurePolicy;
use ruvsim_core::Phase;
use ruvsim_engine::engine::Engine;
use ruvsim_engine::time::{Duration, Time};
use ruvsim_hw::chip::step_time;
use ruvsim_hw::memory::{read_time, Region};

impl Cluster<'_, '_> {
    /// Role `chip`'s monitor declared its physical chip failed at `now`: the chip is out of
    /// service for good (stopped if it was running); fail over to a spare, or fail the requests
    /// that needed it.
    pub(super) fn on_detect(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        chip: u32,
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
        // A chip running but cut off from the chip that watches it (a partition): why it fell
        // silent, found before it is declared (a declared chip is out of the live graph).
        let failed_chip = self.physical(chip);
        let watcher = self
            .faults
            .as_ref()
            .map(|f| f.watcher_of[chip as usize])
            .filter(|&w| w != NO_ROLE && w != failed_chip);
        let cut_off = match watcher {
            Some(watcher) if !self.is_dead(failed_chip) => self
                .next_live(failed_chip, watcher)?
                .is_none()
                .then(|| self.unreachable_cause(failed_chip, watcher)),
            _ => None,
        };
        let Some(faults) = self.faults.as_mut() else {
            return Ok(());
        };
        // When it stopped, if it had: a chip still running was declared on lost heartbeats alone.
        let stopped = (faults.crashed[failed_chip as usize] || faults.is_hung(failed_chip, now))
            .then(|| faults.stopped_at[failed_chip as usize]);
        faults.declared[failed_chip as usize] = true;
        if !faults.crashed[failed_chip as usize] {
            faults.out_of_service += 1;
        }
        match stopped {
            Some(stopped) => faults.detect.push(now - stopped),
            None => {
                faults.stats.false_detections += 1;
                faults.interrupted[chip as usize] |= stop_role(engine, chip)?;
            }
        }
        let spare = faults.spares.pop_front();
        let policy = faults.setup.policy;
        // A spare still hung starts loading when its hang ends.
        let spare_wait = spare.map_or(Duration::ZERO, |spare| {
            faults.hung_until[spare as usize]
                .checked_duration_since(now)
                .unwrap_or(Duration::ZERO)
        });
        faults.log(
            now,
            "detected",
            failed_chip,
            match stopped {
                Some(_) => format!("chip {failed_chip} declared failed"),
                None => {
                    format!("chip {failed_chip} declared failed while running (heartbeats lost)")
                }
            },
        );
        if let Some(spare) = spare {
            faults.physical[chip as usize] = spare;
            faults.role_of[spare as usize] = chip;
            faults.role_of[failed_chip as usize] = NO_ROLE;
            // The monitor starts counting the spare's silence from the take-over.
            faults.last_heard[chip as usize] = now;
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
        let timeout_ms = faults.setup.timeout.as_secs_f64() * 1e3;
        let declared = match stopped {
            Some(stopped) => format!(
                "chip {chip} stopped at {:.3} ms and was declared failed {:.3} ms later",
                stopped.as_secs_f64() * 1e3,
                (now - stopped).as_secs_f64() * 1e3,
            ),
            None => match cut_off {
                Some(unreachable) => format!(
                    "{unreachable}, which watches its heartbeats: chip {chip} was declared \
                     failed at {:.3} ms while running",
                    now.as_secs_f64() * 1e3,
                ),
                None => format!(
                    "chip {chip} was declared failed at {:.3} ms while running: its monitor had \
                     no heartbeat from it for more than {timeout_ms:.3} ms (lost on the links)",
                    now.as_secs_f64() * 1e3,
                ),
            },
        };
        // The live graph changed: a declared chip forwards nothing.
        self.live_routes.clear();
        let cause = format!(
            "{declared}{}",
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
        if self.closed {
            // Those were the last requests: nothing is left to recover for.
            return Ok(());
        }
        if spare.is_none() {
            self.fail_unservable(now)?;
            return self.close_after_workload(engine);
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
                stopped: stopped.unwrap_or(now),
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
}
