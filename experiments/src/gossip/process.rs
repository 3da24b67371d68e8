//! The gossip protocol as a [`Process`] on the event engine: round timers, messages hop by hop.
//!
//! Resources are the topology's links (one resource for a shared medium); a message is a chain of
//! hop tasks, each added when the previous hop finishes, so relays queue on busy links like any
//! other traffic. Per-chip state lives in flat arrays indexed by chip id.

use std::collections::{BTreeMap, VecDeque};

use rand_chacha::rand_core::Rng;
use rand_chacha::ChaCha8Rng;

use super::{GossipError, GossipMode, GossipRun, GossipSetup, PeerChoice};
use ruvsim_engine::engine::{Engine, EngineError, Process};
use ruvsim_engine::rng::{self, Purpose};
use ruvsim_engine::time::{Duration, Time};
use ruvsim_hw::link::{DeliveryOutcome, LinkModel};

/// Marks a chip that does not know of the failure yet.
const UNINFORMED: u32 = u32::MAX;

/// The timer of round `0`, `1`, ...
#[derive(Clone, Copy, Debug)]
pub struct Round(pub u32);

/// What a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// The rumour, pushed.
    Push,
    /// A push-pull digest; the receiver replies.
    Request,
    /// The reply to a request.
    Reply,
}

/// One gossip message in flight.
#[derive(Clone, Copy, Debug)]
struct Message {
    kind: Kind,
    sender: u32,
    target: u32,
    /// Whether the sender knew of the failure when it sent this.
    rumour: bool,
}

/// One hop of a message: from chip `at` to its neighbour `next`.
#[derive(Clone, Copy, Debug)]
pub struct Hop {
    at: u32,
    next: u32,
    message: Message,
}

/// Neighbour lists of every chip, flattened (compressed sparse rows).
struct Neighbours {
    offsets: Vec<u32>,
    list: Vec<u32>,
}

impl Neighbours {
    fn of(topology: &ruvsim_topologies::Topology) -> Result<Neighbours, GossipError> {
        let mut offsets = Vec::with_capacity(topology.chips() as usize + 1);
        let mut list = Vec::new();
        offsets.push(0);
        for chip in 0..topology.chips() {
            list.extend(topology.neighbors(chip)?);
            offsets.push(list.len() as u32);
        }
        Ok(Neighbours { offsets, list })
    }

    fn of_chip(&self, chip: u32) -> &[u32] {
        let (start, end) = (self.offsets[chip as usize], self.offsets[chip as usize + 1]);
        &self.list[start as usize..end as usize]
    }
}

/// A uniform draw in `0..n` (n > 0) without modulo bias: draws below `2^64 mod n` are rejected.
fn uniform_below(rng: &mut ChaCha8Rng, n: u32) -> u32 {
    let n = u64::from(n);
    let threshold = n.wrapping_neg() % n;
    loop {
        let draw = rng.next_u64();
        if draw >= threshold {
            return (draw % n) as u32;
        }
    }
}

/// The protocol's state.
pub struct Gossip<'a> {
    setup: &'a GossipSetup<'a>,
    chips: u32,
    alive: Vec<bool>,
    /// Round (1-based; 0 for the detector) during which each chip learned of the failure, or
    /// [`UNINFORMED`].
    informed_round: Vec<u32>,
    informed_live: u32,
    live: u32,
    detector: u32,
    neighbours: Option<Neighbours>,
    peer_rngs: Vec<ChaCha8Rng>,
    loss_rngs: BTreeMap<u32, ChaCha8Rng>,
    /// Per lossy link, whether each transfer in flight was lost (transfers on one link finish in
    /// the order they start).
    lost_in_flight: BTreeMap<u32, VecDeque<bool>>,
    transfer: Duration,
    converged_at: Option<Time>,
    rounds_started: u32,
    messages: u64,
    transfers: u64,
    lost: u64,
    peers: Vec<u32>,
}

impl<'a> Gossip<'a> {
    /// Validates the setup and places the rumour at the detector.
    pub fn new(setup: &'a GossipSetup<'a>) -> Result<Gossip<'a>, GossipError> {
        let topology = setup.topology;
        let chips = topology.chips();
        let config = &setup.config;
        let invalid = |reason: String| Err(GossipError::Invalid(reason));
        if config.fanout == 0 {
            return invalid("fanout must be at least 1".into());
        }
        if config.period == Duration::ZERO || config.message_bytes == 0 || config.max_rounds == 0 {
            return invalid("period, message_bytes and max_rounds must be greater than 0".into());
        }
        let mut alive = vec![true; chips as usize];
        for &chip in std::iter::once(&setup.failed).chain(setup.dead) {
            match alive.get_mut(chip as usize) {
                Some(flag) => *flag = false,
                None => {
                    return invalid(format!(
                        "dead chip {chip} is not a chip of this {chips}-chip topology"
                    ))
                }
            }
        }
        let detector = topology
            .neighbors(setup.failed)?
            .into_iter()
            .find(|&n| alive[n as usize]);
        let Some(detector) = detector else {
            return invalid(format!(
                "chip {} has no live neighbour to detect its failure",
                setup.failed
            ));
        };
        let live = alive.iter().filter(|&&a| a).count() as u32;
        let mut informed_round = vec![UNINFORMED; chips as usize];
        informed_round[detector as usize] = 0;
        let transfer = setup
            .link
            .transfer_time(u64::from(config.message_bytes))?
            .total;
        Ok(Gossip {
            setup,
            chips,
            alive,
            informed_round,
            informed_live: 1,
            live,
            detector,
            neighbours: match config.peers {
                PeerChoice::Neighbours => Some(Neighbours::of(topology)?),
                PeerChoice::Random => None,
            },
            peer_rngs: (0..chips)
                .map(|chip| rng::stream(setup.seed, Purpose::Gossip, u64::from(chip)))
                .collect(),
            loss_rngs: BTreeMap::new(),
            lost_in_flight: BTreeMap::new(),
            transfer,
            converged_at: (live == 1).then_some(Time::ZERO),
            rounds_started: 0,
            messages: 0,
            transfers: 0,
            lost: 0,
            peers: Vec::new(),
        })
    }

    /// Resources the engine needs: one per link, or one shared medium.
    pub fn resources(&self) -> u32 {
        if self.setup.shared_medium {
            1
        } else {
            self.setup.topology.link_count()
        }
    }

    fn informed(&self, chip: u32) -> bool {
        self.informed_round[chip as usize] != UNINFORMED
    }

    /// Picks this round's peers of `chip` into `self.peers`.
    fn choose_peers(&mut self, chip: u32) {
        let fanout = self.setup.config.fanout as usize;
        let avoid_failed = self.informed(chip);
        let failed = self.setup.failed;
        let rng = &mut self.peer_rngs[chip as usize];
        self.peers.clear();
        match &self.neighbours {
            Some(neighbours) => {
                self.peers.extend(
                    neighbours
                        .of_chip(chip)
                        .iter()
                        .copied()
                        .filter(|&n| !(avoid_failed && n == failed)),
                );
                // Partial Fisher-Yates: the first `fanout` entries become a uniform sample.
                let take = fanout.min(self.peers.len());
                for i in 0..take {
                    let j = i + uniform_below(rng, (self.peers.len() - i) as u32) as usize;
                    self.peers.swap(i, j);
                }
                self.peers.truncate(take);
            }
            None => {
                let candidates = self.chips as usize - 1 - usize::from(avoid_failed);
                let take = fanout.min(candidates);
                while self.peers.len() < take {
                    let peer = uniform_below(rng, self.chips);
                    let excluded = peer == chip || (avoid_failed && peer == failed);
                    if !excluded && !self.peers.contains(&peer) {
                        self.peers.push(peer);
                    }
                }
            }
        }
    }

    /// Starts `message` on its first hop from its sender.
    fn send(
        &mut self,
        engine: &mut Engine<Hop, Round>,
        message: Message,
    ) -> Result<(), GossipError> {
        self.messages += 1;
        self.hop(engine, message.sender, message)
    }

    /// Adds the hop of `message` from `at` toward its target.
    fn hop(
        &mut self,
        engine: &mut Engine<Hop, Round>,
        at: u32,
        message: Message,
    ) -> Result<(), GossipError> {
        let topology = self.setup.topology;
        let next = topology.next_hop(at, message.target)?.ok_or_else(|| {
            GossipError::Invalid(format!("a message from chip {at} is addressed to itself"))
        })?;
        let link = if self.setup.shared_medium {
            0
        } else {
            topology.link_id(at, next)?
        };
        engine.add_task(link, Hop { at, next, message }, &[])?;
        Ok(())
    }

    /// `chip` learns of the failure at `now`, during the latest round started.
    fn inform(&mut self, chip: u32, now: Time) {
        if self.informed(chip) {
            return;
        }
        self.informed_round[chip as usize] = self.rounds_started;
        self.informed_live += 1;
        if self.informed_live == self.live {
            self.converged_at = Some(now);
        }
    }

    /// `message` reached its target.
    fn deliver(
        &mut self,
        engine: &mut Engine<Hop, Round>,
        message: Message,
        now: Time,
    ) -> Result<(), GossipError> {
        if message.rumour {
            self.inform(message.target, now);
        }
        if message.kind == Kind::Request {
            let reply = Message {
                kind: Kind::Reply,
                sender: message.target,
                target: message.sender,
                rumour: self.informed(message.target),
            };
            self.send(engine, reply)?;
        }
        Ok(())
    }

    /// The link of `hop`, as the engine's resource numbering has it.
    fn link_of(&self, hop: &Hop) -> Result<u32, GossipError> {
        Ok(if self.setup.shared_medium {
            0
        } else {
            self.setup.topology.link_id(hop.at, hop.next)?
        })
    }

    /// The run's figures.
    pub fn into_run(self, events: u64) -> GossipRun {
        let period = self.setup.config.period.as_ps();
        let rounds = match self.converged_at {
            Some(at) => (at.as_ps() / period + 1) as u32,
            None => self.rounds_started,
        };
        let mut spread = vec![0u32; self.rounds_started as usize + 1];
        for &round in self.informed_round.iter().filter(|&&r| r != UNINFORMED) {
            spread[round as usize] += 1;
        }
        for r in 1..spread.len() {
            spread[r] += spread[r - 1];
        }
        GossipRun {
            chips: self.chips,
            live: self.live,
            failed: self.setup.failed,
            detector: self.detector,
            converged: self.converged_at.is_some(),
            rounds,
            time: self.converged_at.map(Time::since_start),
            informed: self.informed_live,
            spread,
            messages: self.messages,
            transfers: self.transfers,
            lost: self.lost,
            events,
        }
    }
}

impl Process for Gossip<'_> {
    type Task = Hop;
    type Error = GossipError;
    type Timer = Round;

    fn start(&mut self, hop: &Hop, _now: Time) -> Result<Duration, GossipError> {
        self.transfers += 1;
        if !matches!(self.setup.link, LinkModel::EspNow(_)) {
            return Ok(self.transfer);
        }
        let link = self.link_of(hop)?;
        let seed = self.setup.seed;
        let rng = self
            .loss_rngs
            .entry(link)
            .or_insert_with(|| rng::stream(seed, Purpose::LinkLoss, u64::from(link)));
        let delivery = self
            .setup
            .link
            .transfer_with_retries(u64::from(self.setup.config.message_bytes), rng)
            .map_err(GossipError::from)?;
        let lost = matches!(delivery.outcome, DeliveryOutcome::Failed { .. });
        self.lost_in_flight.entry(link).or_default().push_back(lost);
        Ok(delivery.time)
    }

    fn finish(
        &mut self,
        hop: Hop,
        now: Time,
        engine: &mut Engine<Hop, Round>,
    ) -> Result<(), GossipError> {
        let lost_on_air = match self.setup.link {
            LinkModel::EspNow(_) => {
                let link = self.link_of(&hop)?;
                self.lost_in_flight
                    .get_mut(&link)
                    .and_then(VecDeque::pop_front)
                    .ok_or_else(|| {
                        GossipError::Internal(format!(
                            "link {link} finished a transfer it never started"
                        ))
                    })?
            }
            _ => false,
        };
        if lost_on_air || !self.alive[hop.next as usize] {
            self.lost += 1;
            return Ok(());
        }
        if hop.next == hop.message.target {
            self.deliver(engine, hop.message, now)?;
        } else {
            self.hop(engine, hop.next, hop.message)?;
        }
        Ok(())
    }

    fn timer(
        &mut self,
        round: Round,
        _now: Time,
        engine: &mut Engine<Hop, Round>,
    ) -> Result<(), GossipError> {
        let config = self.setup.config;
        if self.converged_at.is_some() || round.0 >= config.max_rounds {
            return Ok(());
        }
        self.rounds_started = round.0 + 1;
        for chip in 0..self.chips {
            let informed = self.informed(chip);
            if !self.alive[chip as usize] || (config.mode == GossipMode::Push && !informed) {
                continue;
            }
            self.choose_peers(chip);
            let kind = match config.mode {
                GossipMode::Push => Kind::Push,
                GossipMode::PushPull => Kind::Request,
            };
            for index in 0..self.peers.len() {
                let message = Message {
                    kind,
                    sender: chip,
                    target: self.peers[index],
                    rumour: informed,
                };
                self.send(engine, message)?;
            }
        }
        let next = config
            .period
            .checked_mul(u64::from(round.0) + 1)
            .and_then(|t| Time::ZERO.checked_add(t))
            .ok_or(EngineError::TimeOverflow)?;
        engine.set_timer(next, Round(round.0 + 1))?;
        Ok(())
    }
}
