//! The discrete-event engine: tasks with dependencies, run one at a time on resources.
//!
//! Everything the simulator models is a *task* that occupies one *resource* (a chip's CPU, a link)
//! for a duration, after the tasks it depends on have finished. A resource runs one task at a time
//! and keeps a first-come-first-served queue of tasks that are ready but waiting for it. *Timers*
//! are plain events at a time (request arrivals, heartbeats).
//!
//! The engine knows nothing of chips or models: a [`Process`] decides how long a task takes when
//! it starts (a functional run executes the real kernel there) and what happens when it finishes
//! (typically: the next tasks of the token are added). Events pop from the [`EventQueue`] in
//! `(time, sequence)` order, and ready tasks queue on their resource in the order they became
//! ready, so the same inputs always give the same schedule.
//!
//! State is kept in flat arrays: task slots are reused through a free list (a [`TaskRef`] carries
//! the slot's generation, so a reference to a finished task is recognised as satisfied), each
//! resource's wait queue is an intrusive list threaded through the slots, and each task's
//! successors are a list threaded through one shared table of dependency edges, so a task costs
//! one small slot and no allocation of its own.
//!
//! A resource can be taken out of service ([`Engine::block`]: a crashed or hung chip, a link that
//! is down): its running task is interrupted and goes back to the head of its queue, and nothing
//! starts there until [`Engine::unblock`]. [`Engine::add_urgent_task`] puts a task at the head of a
//! queue (a spare loading the shard it takes over, before the queued work).

use thiserror::Error;

use crate::queue::{EventQueue, QueueError};
use crate::time::{Duration, Time};

/// Index of a resource (chip or link) in the engine's flat arrays.
pub type ResourceId = u32;

/// A handle to a task. Refers to a finished task once that task's slot has been reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TaskRef {
    slot: u32,
    generation: u32,
}

/// Marks the end of a resource's intrusive wait list.
const NONE: u32 = u32::MAX;

/// Why the engine stopped with an error.
#[derive(Debug, Error)]
pub enum EngineError {
    /// The event queue refused an event (a logic error in a process).
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// A task was given a resource outside the engine's range.
    #[error("resource {resource} does not exist (the engine has {count})")]
    NoSuchResource {
        /// The resource asked for.
        resource: ResourceId,
        /// Number of resources.
        count: u32,
    },
    /// Simulated time ran past the representable range.
    #[error("simulated time overflowed")]
    TimeOverflow,
    /// A task started or finished whose slot holds no task: a broken invariant of the engine
    /// itself.
    #[error("internal: slot {slot} holds no task")]
    EmptySlot {
        /// The slot.
        slot: u32,
    },
}

/// What an event in the queue means.
enum Event<M> {
    /// The task in this slot, started in this epoch of the slot, has finished (an interrupted
    /// task's slot moves to a new epoch, so its old completion is ignored).
    Done(u32, u32),
    /// The task in this slot left its resource earlier and its latency has passed: its
    /// result reaches its successors now.
    Arrived(u32),
    /// A timer set by the process.
    Timer(M),
}

/// One task slot.
struct Slot<T> {
    generation: u32,
    payload: Option<T>,
    resource: ResourceId,
    pending: u32,
    /// The last dependency edge added from this task ([`NONE`] when it has no successor); the
    /// list runs from the newest edge to the oldest.
    successors: u32,
    next_waiting: u32,
    /// Bumped when the running task is interrupted.
    epoch: u32,
}

/// A dependency edge: task `to` waits for the edge's owner; `next` is the owner's previous edge
/// (or the next free edge, on the free list).
#[derive(Clone, Copy)]
struct Edge {
    to: u32,
    next: u32,
}

/// Busy-time accounting of one resource.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResourceUse {
    /// Total time the resource spent running tasks.
    pub busy: Duration,
    /// Number of tasks it ran.
    pub tasks: u64,
}

/// The model that the engine drives: it prices tasks and reacts to their completion.
pub trait Process {
    /// What a task carries (which kernel, which transfer).
    type Task;
    /// What a timer carries.
    type Timer;
    /// Why the process failed; the engine's own errors convert into it, so a run reports one
    /// typed error whichever side failed.
    type Error: From<EngineError>;

    /// `task` starts on its resource at `now`; returns how long it occupies the resource.
    fn start(&mut self, task: &Self::Task, now: Time) -> Result<Duration, Self::Error>;

    /// How long after leaving its resource `task`'s result reaches its successors: a delay that
    /// occupies nothing (a switch's store-and-forward latency, a frame's flight through an access
    /// point). The resource takes its next task at once; [`Process::finish`] and the successors
    /// wait. Zero by default.
    fn latency(&self, _task: &Self::Task) -> Duration {
        Duration::ZERO
    }

    /// `task` finished at `now`; may add tasks and timers through `engine`.
    fn finish(
        &mut self,
        task: Self::Task,
        now: Time,
        engine: &mut Engine<Self::Task, Self::Timer>,
    ) -> Result<(), Self::Error>;

    /// A timer fired at `now`; may add tasks and timers through `engine`.
    fn timer(
        &mut self,
        timer: Self::Timer,
        now: Time,
        engine: &mut Engine<Self::Task, Self::Timer>,
    ) -> Result<(), Self::Error>;
}

/// Tasks, resources and the event queue of one run.
pub struct Engine<T, M> {
    queue: EventQueue<Event<M>>,
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    /// Per resource: the running task's slot, or `NONE`.
    running: Vec<u32>,
    /// Per resource: head and tail of the wait list.
    wait_head: Vec<u32>,
    wait_tail: Vec<u32>,
    usage: Vec<ResourceUse>,
    /// Per resource: whether it is out of service.
    blocked: Vec<bool>,
    /// Per resource: when its running task will end.
    running_end: Vec<Time>,
    /// Dependency edges of every pending task, threaded into per-task lists.
    edges: Vec<Edge>,
    /// Head of the list of free edges.
    free_edge: u32,
    /// Slots that became ready and wait to be dispatched.
    ready: Vec<u32>,
    events: u64,
}

impl<T, M> Engine<T, M> {
    /// Bytes one pending task occupies in the engine's slot table and, for one dependency, its
    /// edge table, so a run's memory can be estimated before it is built.
    pub const TASK_BYTES: usize = std::mem::size_of::<Slot<T>>() + std::mem::size_of::<Edge>();

    /// Bytes the engine keeps per resource (wait list ends, the running slot, busy time, the
    /// blocked flag).
    pub const RESOURCE_BYTES: usize = 3 * std::mem::size_of::<u32>()
        + std::mem::size_of::<Time>()
        + std::mem::size_of::<ResourceUse>()
        + std::mem::size_of::<bool>();

    /// An engine with `resources` resources, all idle, at time zero.
    pub fn new(resources: u32) -> Self {
        let n = resources as usize;
        Engine {
            queue: EventQueue::new(),
            slots: Vec::new(),
            free: Vec::new(),
            running: vec![NONE; n],
            wait_head: vec![NONE; n],
            wait_tail: vec![NONE; n],
            usage: vec![ResourceUse::default(); n],
            blocked: vec![false; n],
            running_end: vec![Time::ZERO; n],
            edges: Vec::new(),
            free_edge: NONE,
            ready: Vec::new(),
            events: 0,
        }
    }

    /// Makes room for `tasks` pending tasks at once, so that a run whose size is known ahead
    /// grows its slot table once instead of doubling it (each doubling briefly holds the old and
    /// the new table). Pages of the room that are never used are never touched.
    pub fn reserve_tasks(&mut self, tasks: usize) {
        self.slots.reserve(tasks.saturating_sub(self.slots.len()));
        self.edges.reserve(tasks.saturating_sub(self.edges.len()));
        self.free.reserve(tasks.saturating_sub(self.free.len()));
    }

    /// The current simulated time (the time of the last event).
    pub fn now(&self) -> Time {
        self.queue.now()
    }

    /// Number of events processed so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Busy time and task count per resource.
    pub fn usage(&self) -> &[ResourceUse] {
        &self.usage
    }

    /// Adds a task on `resource` that becomes ready when every task in `after` has finished (at
    /// once if they all have). It starts when the resource is free.
    pub fn add_task(
        &mut self,
        resource: ResourceId,
        task: T,
        after: &[TaskRef],
    ) -> Result<TaskRef, EngineError> {
        if resource as usize >= self.running.len() {
            return Err(EngineError::NoSuchResource {
                resource,
                count: self.running.len() as u32,
            });
        }
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    payload: None,
                    resource,
                    pending: 0,
                    successors: NONE,
                    next_waiting: NONE,
                    epoch: 0,
                });
                (self.slots.len() - 1) as u32
            }
        };
        let mut pending = 0;
        for dependency in after {
            let dep = &self.slots[dependency.slot as usize];
            if dep.generation == dependency.generation && dep.payload.is_some() {
                let edge = Edge {
                    to: slot,
                    next: dep.successors,
                };
                let index = match self.free_edge {
                    NONE => {
                        self.edges.push(edge);
                        (self.edges.len() - 1) as u32
                    }
                    free => {
                        self.free_edge = self.edges[free as usize].next;
                        self.edges[free as usize] = edge;
                        free
                    }
                };
                self.slots[dependency.slot as usize].successors = index;
                pending += 1;
            }
        }
        let entry = &mut self.slots[slot as usize];
        entry.payload = Some(task);
        entry.resource = resource;
        entry.pending = pending;
        entry.next_waiting = NONE;
        if pending == 0 {
            self.ready.push(slot);
        }
        Ok(TaskRef {
            slot,
            generation: entry.generation,
        })
    }

    /// Sets a timer that fires at `at` (not earlier than now).
    pub fn set_timer(&mut self, at: Time, timer: M) -> Result<(), EngineError> {
        self.queue.push(at, Event::Timer(timer))?;
        Ok(())
    }

    /// Runs until no event is left, or until the next event would be later than `until`.
    pub fn run<P>(&mut self, process: &mut P, until: Time) -> Result<(), P::Error>
    where
        P: Process<Task = T, Timer = M>,
    {
        self.dispatch_ready(process)?;
        while let Some(at) = self.queue.peek_time() {
            if at > until {
                break;
            }
            let Some((now, _, event)) = self.queue.pop() else {
                break;
            };
            self.events += 1;
            match event {
                Event::Done(slot, epoch) => {
                    if self.slots[slot as usize].epoch == epoch {
                        self.leave_resource(slot, now, process)?;
                    }
                }
                Event::Arrived(slot) => self.complete(slot, now, process)?,
                Event::Timer(timer) => process.timer(timer, now, self)?,
            }
            self.dispatch_ready(process)?;
        }
        Ok(())
    }

    /// The task in `slot` has finished occupying its resource: the resource takes its next
    /// task, and the task completes now or, when it has a latency, once that has passed.
    fn leave_resource<P>(&mut self, slot: u32, now: Time, process: &mut P) -> Result<(), P::Error>
    where
        P: Process<Task = T, Timer = M>,
    {
        let entry = &self.slots[slot as usize];
        let resource = entry.resource;
        let Some(task) = entry.payload.as_ref() else {
            return Err(EngineError::EmptySlot { slot }.into());
        };
        let latency = process.latency(task);
        if latency == Duration::ZERO {
            return self.complete(slot, now, process);
        }
        let arrival = now.checked_add(latency).ok_or(EngineError::TimeOverflow)?;
        self.queue
            .push(arrival, Event::Arrived(slot))
            .map_err(EngineError::from)?;
        self.running[resource as usize] = NONE;
        self.start_next(resource, now, process)
    }

    /// Frees the finished task's slot (and its resource, if it still holds it), releases its
    /// successors, tells the process.
    fn complete<P>(&mut self, slot: u32, now: Time, process: &mut P) -> Result<(), P::Error>
    where
        P: Process<Task = T, Timer = M>,
    {
        let entry = &mut self.slots[slot as usize];
        let resource = entry.resource;
        let Some(task) = entry.payload.take() else {
            return Err(EngineError::EmptySlot { slot }.into());
        };
        entry.generation = entry.generation.wrapping_add(1);
        let newest = std::mem::replace(&mut entry.successors, NONE);
        // The list runs newest first: successors become ready in the order they were added, so
        // the ones released here are put back in that order.
        let first_ready = self.ready.len();
        let mut edge = newest;
        while edge != NONE {
            let Edge { to, next } = self.edges[edge as usize];
            let waiting = &mut self.slots[to as usize];
            waiting.pending -= 1;
            if waiting.pending == 0 {
                self.ready.push(to);
            }
            if next == NONE {
                // The oldest edge: hand the whole list to the free list.
                self.edges[edge as usize].next = self.free_edge;
                self.free_edge = newest;
            }
            edge = next;
        }
        self.ready[first_ready..].reverse();
        self.free.push(slot);
        if self.running[resource as usize] == slot {
            self.running[resource as usize] = NONE;
            self.start_next(resource, now, process)?;
        }
        process.finish(task, now, self)
    }

    /// Starts the head of `resource`'s queue, if the resource is idle and in service.
    fn start_next<P>(
        &mut self,
        resource: ResourceId,
        now: Time,
        process: &mut P,
    ) -> Result<(), P::Error>
    where
        P: Process<Task = T, Timer = M>,
    {
        let r = resource as usize;
        let head = self.wait_head[r];
        if head == NONE || self.running[r] != NONE || self.blocked[r] {
            return Ok(());
        }
        self.wait_head[r] = self.slots[head as usize].next_waiting;
        if self.wait_head[r] == NONE {
            self.wait_tail[r] = NONE;
        }
        self.start(head, now, process)
    }

    /// Takes `resource` out of service at the current time: its running task is interrupted
    /// (its busy time so far is kept, the rest is not spent) and waits at the head of its queue;
    /// nothing starts there until [`Engine::unblock`]. Returns whether a task was interrupted
    /// (it will be started again, so a process with side effects can tell).
    pub fn block(&mut self, resource: ResourceId) -> Result<bool, EngineError> {
        let r = self.check_resource(resource)?;
        self.blocked[r] = true;
        let slot = self.running[r];
        if slot == NONE {
            return Ok(false);
        }
        let now = self.queue.now();
        let entry = &mut self.slots[slot as usize];
        entry.epoch = entry.epoch.wrapping_add(1);
        let unspent = self.running_end[r]
            .checked_duration_since(now)
            .unwrap_or(Duration::ZERO);
        self.usage[r].busy = self.usage[r]
            .busy
            .checked_sub(unspent)
            .unwrap_or(Duration::ZERO);
        self.running[r] = NONE;
        self.push_front(r, slot);
        Ok(true)
    }

    /// Puts `resource` back in service; its queue resumes at the current time.
    pub fn unblock<P>(&mut self, resource: ResourceId, process: &mut P) -> Result<(), P::Error>
    where
        P: Process<Task = T, Timer = M>,
    {
        let r = self.check_resource(resource)?;
        self.blocked[r] = false;
        let now = self.queue.now();
        self.start_next(resource, now, process)
    }

    /// Delays the task `resource` is running by `extra`, as an interrupt taking the processor
    /// for that long would: it finishes `extra` later, and the resource is busy `extra` longer.
    /// Returns whether a task was running (nothing changes otherwise).
    pub fn preempt(&mut self, resource: ResourceId, extra: Duration) -> Result<bool, EngineError> {
        let r = self.check_resource(resource)?;
        let slot = self.running[r];
        if slot == NONE {
            return Ok(false);
        }
        let end = self.running_end[r]
            .checked_add(extra)
            .ok_or(EngineError::TimeOverflow)?;
        let entry = &mut self.slots[slot as usize];
        // The completion already queued belongs to the old epoch and is ignored.
        entry.epoch = entry.epoch.wrapping_add(1);
        let epoch = entry.epoch;
        self.running_end[r] = end;
        self.usage[r].busy = self.usage[r]
            .busy
            .checked_add(extra)
            .ok_or(EngineError::TimeOverflow)?;
        self.queue
            .push(end, Event::Done(slot, epoch))
            .map_err(EngineError::from)?;
        Ok(true)
    }

    /// The task `resource` is running now, if any (a process that is about to block the resource
    /// can tell what it interrupts).
    pub fn running(&self, resource: ResourceId) -> Option<&T> {
        let slot = *self.running.get(resource as usize)?;
        if slot == NONE {
            return None;
        }
        self.slots.get(slot as usize)?.payload.as_ref()
    }

    /// Whether `resource` is out of service.
    pub fn is_blocked(&self, resource: ResourceId) -> bool {
        self.blocked
            .get(resource as usize)
            .copied()
            .unwrap_or(false)
    }

    /// Adds a task with no dependencies at the head of `resource`'s queue: it is the next to
    /// start there (at once when the resource is idle and in service).
    pub fn add_urgent_task(
        &mut self,
        resource: ResourceId,
        task: T,
    ) -> Result<TaskRef, EngineError> {
        let task = self.add_task(resource, task, &[])?;
        let r = resource as usize;
        if self.running[r] == NONE && !self.blocked[r] {
            // Nothing runs there: the ready list starts it when the engine next dispatches.
            return Ok(task);
        }
        // `add_task` put it on the ready list; move it to the head of the queue instead.
        if self.ready.last() == Some(&task.slot) {
            self.ready.pop();
        }
        self.push_front(resource as usize, task.slot);
        Ok(task)
    }

    fn push_front(&mut self, r: usize, slot: u32) {
        self.slots[slot as usize].next_waiting = self.wait_head[r];
        if self.wait_head[r] == NONE {
            self.wait_tail[r] = slot;
        }
        self.wait_head[r] = slot;
    }

    fn check_resource(&self, resource: ResourceId) -> Result<usize, EngineError> {
        if (resource as usize) < self.running.len() {
            Ok(resource as usize)
        } else {
            Err(EngineError::NoSuchResource {
                resource,
                count: self.running.len() as u32,
            })
        }
    }

    /// Starts every ready task whose resource is idle; queues the others on their resource.
    fn dispatch_ready<P>(&mut self, process: &mut P) -> Result<(), P::Error>
    where
        P: Process<Task = T, Timer = M>,
    {
        let now = self.queue.now();
        let mut index = 0;
        while index < self.ready.len() {
            let slot = self.ready[index];
            index += 1;
            let resource = self.slots[slot as usize].resource as usize;
            if self.running[resource] == NONE
                && !self.blocked[resource]
                && self.wait_head[resource] == NONE
            {
                self.start(slot, now, process)?;
            } else {
                match self.wait_tail[resource] {
                    NONE => self.wait_head[resource] = slot,
                    tail => self.slots[tail as usize].next_waiting = slot,
                }
                self.wait_tail[resource] = slot;
            }
        }
        self.ready.clear();
        Ok(())
    }

    /// Starts the task in `slot` on its (idle) resource at `now`.
    fn start<P>(&mut self, slot: u32, now: Time, process: &mut P) -> Result<(), P::Error>
    where
        P: Process<Task = T, Timer = M>,
    {
        let entry = &self.slots[slot as usize];
        let resource = entry.resource as usize;
        let Some(task) = entry.payload.as_ref() else {
            return Err(EngineError::EmptySlot { slot }.into());
        };
        let duration = process.start(task, now)?;
        let end = now.checked_add(duration).ok_or(EngineError::TimeOverflow)?;
        self.running[resource] = slot;
        self.running_end[resource] = end;
        let usage = &mut self.usage[resource];
        usage.busy = usage
            .busy
            .checked_add(duration)
            .ok_or(EngineError::TimeOverflow)?;
        usage.tasks += 1;
        let epoch = self.slots[slot as usize].epoch;
        self.queue
            .push(end, Event::Done(slot, epoch))
            .map_err(EngineError::from)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tasks are `(name, duration in ps)`; finishing records `(name, end time)`.
    #[derive(Default)]
    struct Recorder {
        finished: Vec<(&'static str, u64)>,
        started: Vec<(&'static str, u64)>,
    }

    impl Process for Recorder {
        type Task = (&'static str, u64);
        type Timer = &'static str;
        type Error = EngineError;

        fn start(&mut self, task: &Self::Task, now: Time) -> Result<Duration, EngineError> {
            self.started.push((task.0, now.as_ps()));
            Ok(Duration::from_ps(task.1))
        }

        fn finish(
            &mut self,
            task: Self::Task,
            now: Time,
            _engine: &mut Engine<Self::Task, Self::Timer>,
        ) -> Result<(), EngineError> {
            self.finished.push((task.0, now.as_ps()));
            Ok(())
        }

        fn timer(
            &mut self,
            timer: Self::Timer,
            _now: Time,
            engine: &mut Engine<Self::Task, Self::Timer>,
        ) -> Result<(), EngineError> {
            engine.add_task(0, (timer, 5), &[])?;
            Ok(())
        }
    }

    /// A [`Recorder`] whose timers run a test's script (which may hand the recorder to the engine
    /// as the process, to unblock a resource).
    struct Scripted {
        recorder: Recorder,
        script: Script,
    }

    /// What a [`Scripted`] process does on a timer.
    type Script = fn(
        &'static str,
        &mut Engine<(&'static str, u64), &'static str>,
        &mut Recorder,
    ) -> Result<(), EngineError>;

    impl Process for Scripted {
        type Task = (&'static str, u64);
        type Timer = &'static str;
        type Error = EngineError;
        fn start(&mut self, task: &Self::Task, now: Time) -> Result<Duration, EngineError> {
            self.recorder.start(task, now)
        }
        fn finish(
            &mut self,
            task: Self::Task,
            now: Time,
            engine: &mut Engine<Self::Task, Self::Timer>,
        ) -> Result<(), EngineError> {
            self.recorder.finish(task, now, engine)
        }
        fn timer(
            &mut self,
            timer: Self::Timer,
            _now: Time,
            engine: &mut Engine<Self::Task, Self::Timer>,
        ) -> Result<(), EngineError> {
            (self.script)(timer, engine, &mut self.recorder)
        }
    }

    /// Runs `engine` to the end with `script` on its timers; what the recorder saw.
    fn run_scripted(
        engine: &mut Engine<(&'static str, u64), &'static str>,
        script: Script,
    ) -> Recorder {
        let mut process = Scripted {
            recorder: Recorder::default(),
            script,
        };
        engine.run(&mut process, Time::MAX).unwrap();
        process.recorder
    }

    #[test]
    fn dependencies_and_resource_exclusivity() {
        let mut engine = Engine::new(2);
        let mut p = Recorder::default();
        let a = engine.add_task(0, ("a", 10), &[]).unwrap();
        let b = engine.add_task(0, ("b", 10), &[]).unwrap();
        let c = engine.add_task(1, ("c", 3), &[a]).unwrap();
        engine.add_task(1, ("d", 1), &[b, c]).unwrap();
        engine.run(&mut p, Time::MAX).unwrap();
        assert_eq!(
            p.started,
            vec![("a", 0), ("b", 10), ("c", 10), ("d", 20)],
            "b waits for a on resource 0; c waits for a; d waits for b"
        );
        assert_eq!(p.finished.last(), Some(&("d", 21)));
        assert_eq!(engine.usage()[0].busy.as_ps(), 20);
        assert_eq!(engine.usage()[1].busy.as_ps(), 4);
    }

    /// Successors released by one task queue in the order they were added, also when their
    /// edges are reused by a second round of tasks.
    #[test]
    fn released_successors_queue_in_the_order_they_were_added() {
        let mut engine = Engine::new(2);
        let mut p = Recorder::default();
        for round in [["a", "b", "c", "d"], ["e", "f", "g", "h"]] {
            let first = engine.add_task(1, (round[0], 1), &[]).unwrap();
            for &name in &round[1..] {
                engine.add_task(0, (name, 1), &[first]).unwrap();
            }
            engine.run(&mut p, Time::MAX).unwrap();
        }
        let order: Vec<_> = p.started.iter().map(|s| s.0).collect();
        assert_eq!(order, ["a", "b", "c", "d", "e", "f", "g", "h"]);
        assert_eq!(
            engine.edges.len(),
            3,
            "the second round reuses the first one's edges"
        );
    }

    #[test]
    fn finished_dependencies_are_satisfied_after_slot_reuse() {
        let mut engine = Engine::new(1);
        let mut p = Recorder::default();
        let a = engine.add_task(0, ("a", 2), &[]).unwrap();
        engine.run(&mut p, Time::MAX).unwrap();
        let b = engine.add_task(0, ("b", 2), &[]).unwrap();
        // `a`'s slot was reused by `b`; depending on `a` must not wait for `b`.
        engine.add_task(0, ("c", 2), &[a]).unwrap();
        assert_ne!(a, b);
        engine.run(&mut p, Time::MAX).unwrap();
        assert_eq!(p.started, vec![("a", 0), ("b", 2), ("c", 4)]);
    }

    #[test]
    fn timers_fire_in_time_order_and_respect_the_horizon() {
        let mut engine = Engine::new(1);
        let mut p = Recorder::default();
        engine.set_timer(Time::from_ps(50), "late").unwrap();
        engine.set_timer(Time::from_ps(7), "early").unwrap();
        engine.run(&mut p, Time::from_ps(20)).unwrap();
        assert_eq!(p.finished, vec![("early", 12)]);
        engine.run(&mut p, Time::MAX).unwrap();
        assert_eq!(p.finished, vec![("early", 12), ("late", 55)]);
    }

    #[test]
    fn a_blocked_resource_interrupts_and_resumes_its_work() {
        let mut engine = Engine::new(1);
        engine.add_task(0, ("a", 10), &[]).unwrap();
        engine.add_task(0, ("b", 10), &[]).unwrap();
        engine.set_timer(Time::from_ps(4), "outage").unwrap();
        // At 4 ps the resource goes out of service until 20 ps; a reload task jumps the queue.
        let outage = run_scripted(&mut engine, |timer, engine, recorder| {
            match timer {
                "outage" => {
                    engine.block(0)?;
                    engine.add_urgent_task(0, ("reload", 3))?;
                    engine.set_timer(Time::from_ps(20), "back")?;
                }
                _ => engine.unblock(0, recorder)?,
            }
            Ok(())
        });
        // `a` ran 0..4, was interrupted, then `reload` ran first after the outage, then `a` again.
        assert_eq!(
            outage.started,
            vec![("a", 0), ("reload", 20), ("a", 23), ("b", 33)]
        );
        assert_eq!(outage.finished.last(), Some(&("b", 43)));
        assert_eq!(engine.usage()[0].busy.as_ps(), 4 + 3 + 10 + 10);
    }

    #[test]
    fn an_interrupt_delays_the_running_task_and_an_idle_resource_takes_urgent_work_at_once() {
        let mut engine = Engine::new(2);
        engine.add_task(0, ("a", 10), &[]).unwrap();
        engine.add_task(0, ("b", 10), &[]).unwrap();
        engine.set_timer(Time::from_ps(3), "irq").unwrap();
        engine.set_timer(Time::from_ps(5), "irq").unwrap();
        engine.set_timer(Time::from_ps(6), "idle").unwrap();
        let recorder = run_scripted(&mut engine, |timer, engine, _| {
            match timer {
                // Twice during `a`: each interrupt of 2 ps pushes its end back.
                "irq" => assert!(engine.preempt(0, Duration::from_ps(2))?),
                // Nothing runs on resource 1: no interrupt to take, the work starts at once.
                _ => {
                    assert!(!engine.preempt(1, Duration::from_ps(2))?);
                    engine.add_urgent_task(1, ("wake", 1))?;
                }
            }
            Ok(())
        });
        assert_eq!(
            recorder.finished,
            vec![("wake", 7), ("a", 14), ("b", 24)],
            "a: 10 + 2 x 2 ps"
        );
        assert_eq!(engine.usage()[0].busy.as_ps(), 24);
        assert_eq!(engine.usage()[1].busy.as_ps(), 1);
    }

    #[test]
    fn unknown_resource_is_an_error() {
        let mut engine: Engine<(&str, u64), &str> = Engine::new(1);
        assert!(matches!(
            engine.add_task(3, ("x", 1), &[]),
            Err(EngineError::NoSuchResource {
                resource: 3,
                count: 1
            })
        ));
    }

    /// A process whose tasks named `hop*` reach their successors 7 ps after leaving their
    /// resource.
    struct Delayed(Recorder);

    impl Process for Delayed {
        type Task = (&'static str, u64);
        type Timer = &'static str;
        type Error = EngineError;

        fn start(&mut self, task: &Self::Task, now: Time) -> Result<Duration, EngineError> {
            self.0.start(task, now)
        }

        fn latency(&self, task: &Self::Task) -> Duration {
            Duration::from_ps(if task.0.starts_with("hop") { 7 } else { 0 })
        }

        fn finish(
            &mut self,
            task: Self::Task,
            now: Time,
            engine: &mut Engine<Self::Task, Self::Timer>,
        ) -> Result<(), EngineError> {
            self.0.finish(task, now, engine)
        }

        fn timer(
            &mut self,
            timer: Self::Timer,
            now: Time,
            engine: &mut Engine<Self::Task, Self::Timer>,
        ) -> Result<(), EngineError> {
            self.0.timer(timer, now, engine)
        }
    }

    #[test]
    fn latency_frees_the_resource_at_once_and_delays_the_successors() {
        let mut engine = Engine::new(2);
        let hop = engine.add_task(0, ("hop1", 10), &[]).unwrap();
        engine.add_task(0, ("hop2", 10), &[]).unwrap();
        engine.add_task(1, ("after", 5), &[hop]).unwrap();
        let mut process = Delayed(Recorder::default());
        engine.run(&mut process, Time::MAX).unwrap();
        // hop2 starts when hop1 leaves the link (10), not when hop1 arrives (17); `after`
        // starts when hop1 arrives.
        assert_eq!(
            process.0.started,
            vec![("hop1", 0), ("hop2", 10), ("after", 17)]
        );
        assert_eq!(
            process.0.finished,
            vec![("hop1", 17), ("after", 22), ("hop2", 27)]
        );
        assert_eq!(engine.usage()[0].busy.as_ps(), 20);
    }
}
