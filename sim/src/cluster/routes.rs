//! Routes on the live graph. While every chip is in service and every link up, a message follows
//! the topology's own route (arithmetic for the regular families). Once a chip is out (crashed,
//! or declared failed by its monitor), it forwards nothing, and while a link is down, messages
//! sent meanwhile go around it where the wiring allows (where it does not, they queue for it):
//! each destination's next hops are searched breadth-first over the chips still alive (and kept
//! until the next crash), so traffic goes around the dead chip where the wiring allows, and a
//! message with no live route fails its request with the cause "unreachable".

use std::collections::{BTreeMap, VecDeque};

use super::{Cluster, SimError};

/// Marks a chip with no live route to the destination in a next-hop table.
const NO_ROUTE: u32 = u32::MAX;

/// Destinations whose next-hop tables are kept at once (each holds one entry per chip).
const CACHED_DESTINATIONS: usize = 64;

/// Next-hop tables over the live chips, per destination.
#[derive(Debug, Default)]
pub(super) struct LiveRoutes {
    toward: BTreeMap<u32, Vec<u32>>,
}

impl LiveRoutes {
    /// Forgets every table (a chip went out of service: the live graph changed).
    pub fn clear(&mut self) {
        self.toward.clear();
    }
}

impl Cluster<'_, '_> {
    /// Whether physical chip `chip` is out of service (crashed or declared failed).
    pub(super) fn is_dead(&self, chip: u32) -> bool {
        self.faults.as_ref().is_some_and(|f| f.is_out(chip))
    }

    /// Whether any chip is out of service or any link down, so that routes must avoid them (a
    /// count, not a scan of every chip: this is asked on every hop).
    fn any_dead(&self) -> bool {
        self.faults
            .as_ref()
            .is_some_and(|f| f.out_of_service > 0 || !f.links_down.is_empty())
    }

    /// The next chip from `at` toward `to` (physical chips, `at != to`), or `None` when no live
    /// route exists.
    pub(super) fn next_live(&mut self, at: u32, to: u32) -> Result<Option<u32>, SimError> {
        if !self.any_dead() {
            return Ok(self.setup.topology.next_hop(at, to)?);
        }
        if !self.live_routes.toward.contains_key(&to) {
            let table = self.table_toward(to)?;
            if self.live_routes.toward.len() >= CACHED_DESTINATIONS {
                self.live_routes.clear();
            }
            self.live_routes.toward.insert(to, table);
        }
        let next = self
            .live_routes
            .toward
            .get(&to)
            .and_then(|table| table.get(at as usize).copied())
            .unwrap_or(NO_ROUTE);
        Ok((next != NO_ROUTE).then_some(next))
    }

    /// Every chip's next hop toward `to`: over live chips and links that are up where such a
    /// route exists, else over live chips through a link that is down (to queue for it). A chip
    /// with a route of up links has a next hop that has one too, so no message loops.
    fn table_toward(&self, to: u32) -> Result<Vec<u32>, SimError> {
        let up = self.search_toward(to, true)?;
        if self.faults.as_ref().is_none_or(|f| f.links_down.is_empty()) {
            return Ok(up);
        }
        let any = self.search_toward(to, false)?;
        Ok(up
            .iter()
            .zip(&any)
            .map(|(&up, &any)| if up == NO_ROUTE { any } else { up })
            .collect())
    }

    /// Every chip's next hop toward `to` over live chips (and, `up_only`, links that are up), by a
    /// breadth-first search from `to` (neighbours in ascending order, so ties break toward the
    /// lower chip id).
    fn search_toward(&self, to: u32, up_only: bool) -> Result<Vec<u32>, SimError> {
        let topology = self.setup.topology;
        let mut next = vec![NO_ROUTE; topology.chips() as usize];
        if self.is_dead(to) {
            return Ok(next);
        }
        let down = self.faults.as_ref().map(|f| &f.links_down);
        let link_down = |a: u32, b: u32| {
            up_only
                && down.is_some_and(|down| {
                    topology
                        .link_id(a, b)
                        .is_ok_and(|link| down.contains(&link))
                })
        };
        next[to as usize] = to;
        let mut queue = VecDeque::from([to]);
        while let Some(node) = queue.pop_front() {
            for neighbour in topology.neighbors(node)? {
                if next[neighbour as usize] == NO_ROUTE
                    && !self.is_dead(neighbour)
                    && !link_down(neighbour, node)
                {
                    next[neighbour as usize] = node;
                    queue.push_back(neighbour);
                }
            }
        }
        Ok(next)
    }

    /// The link joining neighbouring chips `a` and `b` (the one shared channel on a shared medium).
    pub(super) fn link_between(&self, a: u32, b: u32) -> Result<u32, SimError> {
        if self.setup.shared_medium {
            Ok(0)
        } else {
            Ok(self.setup.topology.link_id(a, b)?)
        }
    }

    /// The cause a request fails with when a message of it has no live route.
    pub(super) fn unreachable_cause(&self, from: u32, to: u32) -> String {
        let dead: Vec<String> = self
            .faults
            .as_ref()
            .map(|f| {
                (0..f.crashed.len() as u32)
                    .filter(|&chip| f.is_out(chip))
                    .map(|chip| chip.to_string())
                    .collect()
            })
            .unwrap_or_default();
        format!(
            "unreachable: no live route from chip {from} to chip {to} (out of service: chip {})",
            dead.join(", chip ")
        )
    }
}
