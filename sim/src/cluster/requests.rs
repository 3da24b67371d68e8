//! The life of a request: it waits for a free stream, its prompt enters the cluster, each chosen
//! token is recorded and delivered (to the gateway, when there is one), and the request ends
//! completed or failed with its cause; in a closed loop its client then sends the next one.

use rand_chacha::rand_core::Rng;

use ruvsim_hw::phases::PhaseTimes;

use super::{
    Cluster, Outcome, RequestRecord, SimError, Stream, Timer, TokenGraph, TokenRecord, Work,
    TOKEN_BYTES,
};
use ruvsim_engine::engine::Engine;
use ruvsim_engine::rng::{self, Purpose};
use ruvsim_engine::time::Time;

impl Cluster<'_, '_> {
    /// Closed loop: the next client request enters the queue at `now`.
    pub(super) fn issue_next(&mut self, now: Time) {
        if (self.next_request as usize) < self.requests.len() {
            let id = self.next_request;
            self.next_request += 1;
            self.requests[id as usize].arrival = Some(now);
            self.pending.push_back(id);
        }
    }

    /// Gives waiting requests to free streams: the replica with most free streams first.
    pub(super) fn dispatch(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        now: Time,
    ) -> Result<(), SimError> {
        self.fail_unservable(now)?;
        self.close_after_workload(engine)?;
        while let Some(&id) = self.pending.front() {
            let Some(stream) = self.free.choose() else {
                break;
            };
            self.pending.pop_front();
            self.admit(engine, id, stream, now)?;
        }
        Ok(())
    }

    /// Frees `stream` for the next request.
    pub(super) fn release_stream(&mut self, stream: u32) {
        self.streams[stream as usize].request = None;
        self.free.set_busy(stream, false);
    }

    /// Starts request `id` on `stream`: its whole prompt enters the pipeline.
    pub(super) fn admit(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        id: u32,
        stream: u32,
        now: Time,
    ) -> Result<(), SimError> {
        let request = self.requests[id as usize].clone();
        let replica = self.streams[stream as usize].replica;
        self.streams[stream as usize] = Stream {
            replica,
            request: Some(id),
            token_start: now,
            acceptance_rng: self.setup.speculation.and_then(|s| s.acceptance).map(|_| {
                Box::new(rng::stream(
                    self.setup.seed,
                    Purpose::Speculation,
                    u64::from(id),
                ))
            }),
            ..Stream::default()
        };
        self.free.set_busy(stream, true);
        self.records[id as usize] = Some(RequestRecord {
            id,
            arrival: request.arrival.unwrap_or(now),
            start: now,
            first_token: None,
            end: now,
            replica,
            prompt_tokens: request.prompt.len() as u32,
            generated: 0,
            tokens: Vec::new(),
            outcome: Outcome::Completed,
        });
        if let Some(functional) = self.functional.as_mut() {
            let seed = rng::stream(self.setup.seed, Purpose::Sampling, u64::from(id)).next_u64();
            functional.start_request(stream, self.setup.sampler, seed);
        }
        if let Some(draft) = self.speculative.draft.as_mut() {
            draft.start_request(stream, self.setup.sampler, 0);
        }
        let first = self.leader(replica, 0);
        let uploaded = match self.setup.gateway.for_chip(first) {
            Some(gateway) => {
                let bytes = TOKEN_BYTES * request.prompt.len() as u32;
                let arrived = if self.setup.backbone.is_some() {
                    self.send_from_host(engine, stream, gateway, bytes, &[])?
                } else {
                    Vec::new()
                };
                self.send_marked(engine, stream, gateway, first, bytes, &arrived, None)?
            }
            None => Vec::new(),
        };
        // The prompt's first token now; each further one when the previous one's embedding
        // finishes (`embedded`), which is before it could start anyway (a stream's tasks on a
        // chip run in order), so only the graphs in flight are held.
        self.streams[stream as usize].prefilled = 1;
        let first_token = request.prompt[0];
        let only = request.prompt.len() == 1;
        self.schedule_token(engine, stream, 0, first_token, only, &uploaded)?;
        if let Some(draft_chip) = self.setup.plan.draft_chip(replica) {
            // The draft takes the prompt into its own context, next to the target's prefill.
            let bytes = TOKEN_BYTES * request.prompt.len() as u32;
            let mut after =
                self.send_marked(engine, stream, first, draft_chip, bytes, &uploaded, None)?;
            for (pos, &token) in request.prompt.iter().enumerate() {
                after = vec![self.draft_task(engine, stream, pos as u32, token, false, &after)?];
            }
        }
        Ok(())
    }

    /// The embedding of `stream`'s token at `pos` finished: during the prompt, the next prompt
    /// token's graph is built (its embedding follows this token's first-stage work on the same
    /// chip, so it could not have started earlier).
    pub(super) fn embedded(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        stream: u32,
        pos: u32,
    ) -> Result<(), SimError> {
        let state = &self.streams[stream as usize];
        let (Some(id), next) = (state.request, state.prefilled) else {
            return Ok(());
        };
        let prompt = &self.requests[id as usize].prompt;
        if pos + 1 != next || next as usize >= prompt.len() {
            return Ok(());
        }
        let token = prompt[next as usize];
        let last = next as usize + 1 == prompt.len();
        self.streams[stream as usize].prefilled = next + 1;
        self.schedule_token(engine, stream, next, token, last, &[])
    }

    /// A token's last task finished at `now`.
    pub(super) fn token_done(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        stream: u32,
        pos: u32,
        flight: u32,
        sampled: bool,
        now: Time,
    ) -> Result<(), SimError> {
        if let Some(functional) = self.functional.as_mut() {
            functional.end_flight(flight);
        }
        if !sampled {
            return Ok(());
        }
        let Some(id) = self.streams[stream as usize].request else {
            // The request failed (a fault) while this token was on its way.
            return Ok(());
        };
        if self.ended[id as usize] {
            return Ok(());
        }
        if let Some(reason) = self.failures[id as usize].clone() {
            return self.finish_request(engine, stream, id, now, Outcome::Failed { reason });
        }
        if let Some(round) = self.streams[stream as usize].round.as_mut() {
            round.verified += 1;
            if round.verified <= round.k {
                return Ok(());
            }
            return self.resolve_round(engine, stream, now);
        }
        if self.emit(engine, stream, 1, pos, now)? {
            return Ok(());
        }
        let next_input = self.streams[stream as usize].chosen_last.unwrap_or(0);
        let replica = self.streams[stream as usize].replica;
        let plan = self.setup.plan;
        let last_leader = self.leader(replica, plan.pipeline - 1);
        if let Some(draft_chip) = plan.draft_chip(replica) {
            // The draft learns the chosen token and starts proposing after it.
            let after = self.send_marked(
                engine,
                stream,
                last_leader,
                draft_chip,
                TOKEN_BYTES,
                &[],
                None,
            )?;
            return self.start_round(engine, stream, pos + 1, next_input, &after);
        }
        // The chosen token travels back to the first stage, which embeds it.
        let ctx = TokenGraph {
            stream,
            pos: pos + 1,
            flight: 0,
        };
        let first_leader = self.leader(replica, 0);
        let after = self.send(engine, &ctx, last_leader, first_leader, TOKEN_BYTES, &[])?;
        self.schedule_token(engine, stream, pos + 1, next_input, true, &after)
    }

    /// Emits the stream's next `count` chosen tokens (the first chosen for input position `pos`)
    /// to its request at `now`: records them and sends them to the gateway. Returns whether the
    /// request has all its tokens (the stream is then free).
    pub(super) fn emit(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        stream: u32,
        count: u32,
        pos: u32,
        now: Time,
    ) -> Result<bool, SimError> {
        let plan = self.setup.plan;
        let state = &mut self.streams[stream as usize];
        let id = state.request.ok_or_else(|| {
            SimError::Internal(format!("stream {stream} emits without a request"))
        })?;
        let wanted = self.requests[id as usize].new_tokens;
        let count = count.min(wanted - state.generated);
        let chosen: Vec<u32> = state.chosen.drain(..).collect();
        let start = state.token_start;
        let phases = std::mem::take(&mut state.phases);
        let first_index = state.generated;
        state.generated += count;
        state.token_start = now;
        state.chosen_last = chosen
            .get(count as usize - 1)
            .copied()
            .or(state.chosen_last);
        let generated = state.generated;
        let replica = state.replica;
        let record = self.records[id as usize]
            .as_mut()
            .ok_or_else(|| SimError::Internal(format!("request {id} has no record")))?;
        record.generated = generated;
        record
            .tokens
            .extend(chosen.iter().take(count as usize).copied());
        let last_leader = self.leader(replica, plan.pipeline - 1);
        let first_leader = self.leader(replica, 0);
        for i in 0..count {
            let record_index = self.tokens.chosen(TokenRecord {
                request: id,
                index: first_index + i,
                pos: pos + i,
                stages: plan.pipeline,
                start,
                end: now,
                phases: if i == 0 {
                    phases
                } else {
                    PhaseTimes::default()
                },
            });

            if let Some(progress) = &self.setup.progress {
                progress.token();
            }
            match self.setup.gateway.for_chip(first_leader) {
                Some(gateway) if self.setup.backbone.is_some() => {
                    let at_gateway = self.send_marked(
                        engine,
                        stream,
                        last_leader,
                        gateway,
                        TOKEN_BYTES,
                        &[],
                        None,
                    )?;
                    self.send_to_host(
                        engine,
                        stream,
                        gateway,
                        TOKEN_BYTES,
                        &at_gateway,
                        Some(record_index),
                    )?;
                }
                Some(gateway) if gateway != last_leader => {
                    self.send_marked(
                        engine,
                        stream,
                        last_leader,
                        gateway,
                        TOKEN_BYTES,
                        &[],
                        Some(record_index),
                    )?;
                }
                _ => self.deliver(engine, record_index, now)?,
            }
        }
        if generated >= wanted {
            // The stream is free for the next request; the request ends when its last token
            // reaches the user.
            self.release_stream(stream);
            self.dispatch(engine, now)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Token record `index` reached the user at `now`; its request ends with its last token.
    pub(super) fn deliver(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        index: u32,
        now: Time,
    ) -> Result<(), SimError> {
        let (id, position) = self.tokens.arrived(index, now).ok_or_else(|| {
            SimError::Internal(format!("token {index} arrived but is not travelling"))
        })?;
        let record = self.records[id as usize]
            .as_mut()
            .ok_or_else(|| SimError::Internal(format!("request {id} has no record")))?;
        if self.ended[id as usize] {
            // A token lost on its way has already failed the request.
            return Ok(());
        }
        if let Some(reason) = self.failures[id as usize].clone() {
            return self.end_request(engine, id, now, Outcome::Failed { reason });
        }
        record.first_token.get_or_insert(now);
        if position + 1 == self.requests[id as usize].new_tokens {
            self.end_request(engine, id, now, Outcome::Completed)?;
        }
        Ok(())
    }

    /// Ends a request that failed on `stream`, freeing the stream.
    pub(super) fn finish_request(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        stream: u32,
        id: u32,
        now: Time,
        outcome: Outcome,
    ) -> Result<(), SimError> {
        self.release_stream(stream);
        self.end_request(engine, id, now, outcome)
    }

    /// Records the end of request `id`; in a closed loop its client issues the next request.
    pub(super) fn end_request(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        id: u32,
        now: Time,
        outcome: Outcome,
    ) -> Result<(), SimError> {
        if let Some(record) = self.records[id as usize].as_mut() {
            record.end = now;
            record.outcome = outcome;
        }
        self.mark_ended(id);
        if self.setup.concurrency.is_some() {
            self.issue_next(now);
        }
        self.dispatch(engine, now)
    }
}
