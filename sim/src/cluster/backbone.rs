//! A hierarchical cluster whose groups' gateways sit on a backbone (`cluster.backbone`): where
//! each element of the backbone lives among the engine's resources, and the hop tasks of a
//! message between a host and a gateway, or between two groups' gateways.
//!
//! Resources after the topology's links: on Ethernet and Wi-Fi, two per host (its switch port
//! toward the host, and from it); on ESP-NOW, one per host (the bridge chip's radio software);
//! then one per radio channel in use. A gateway's own interface is the topology's top-level
//! attachment link of its group (a `switched` top gives each group one), so its traffic shows
//! in that link's row.

use ruvsim_engine::engine::{Engine, TaskRef};
use ruvsim_hw::backbone::{Backbone, Element, Leg, Route};

use super::{Cluster, SimError, Timer, Work};

/// The backbone of a hierarchical cluster and where its elements are.
#[derive(Clone, Debug)]
pub struct BackboneLayout {
    /// The checked backbone.
    pub backbone: Backbone,
    /// Chips per group.
    pub group_chips: u32,
    /// Groups.
    pub groups: u32,
    /// Link id of group 0's top-level attachment (group `g`'s is this plus `g`).
    pub first_attachment: u32,
    /// Link id of the first resource after the topology's links.
    pub first_extra: u32,
}

impl BackboneLayout {
    /// Hosts serving the groups.
    pub fn hosts(&self) -> u32 {
        self.groups
            .div_ceil(self.backbone.config().groups_per_host())
    }

    /// The host serving group `group`.
    pub fn host_of(&self, group: u32) -> u32 {
        group / self.backbone.config().groups_per_host()
    }

    fn host_resources(&self) -> u32 {
        if self.backbone.hosts_on_switch() {
            2
        } else {
            1
        }
    }

    /// Resources the backbone adds after the topology's links.
    pub fn extra_resources(&self) -> u32 {
        self.hosts() * self.host_resources()
            + self.backbone.channels_used(self.groups, self.hosts())
    }

    /// The link id (resource after the chips) a leg of group `group`'s traffic occupies.
    fn link_of(&self, element: Element, group: u32) -> u32 {
        let host = self.host_of(group);
        match element {
            Element::Gateway => self.first_attachment + group,
            Element::Host { toward_host } => {
                self.first_extra
                    + host * self.host_resources()
                    + u32::from(!toward_host && self.backbone.hosts_on_switch())
            }
            Element::Channel => {
                let channel = self.backbone.channel_of(group, host).unwrap_or(0);
                self.first_extra + self.hosts() * self.host_resources() + channel
            }
        }
    }

    /// What a link id beyond the topology's links is, in words (`None` for the topology's own).
    pub fn describe(&self, link: u32) -> Option<String> {
        let index = link.checked_sub(self.first_extra)?;
        let host_links = self.hosts() * self.host_resources();
        Some(if index < host_links {
            let host = index / self.host_resources();
            match (self.backbone.hosts_on_switch(), index % 2) {
                (true, 0) => format!("host {host}: switch port toward the host"),
                (true, _) => format!("host {host}: switch port from the host"),
                (false, _) => format!("host {host}: ESP-NOW bridge software"),
            }
        } else {
            format!("radio channel {}", index - host_links)
        })
    }

    /// Whether a hop from `from` to `next` crosses the backbone (two different groups).
    pub fn crosses(&self, from: u32, next: u32) -> bool {
        from / self.group_chips != next / self.group_chips
    }
}

impl Cluster<'_, '_> {
    fn layout(&self) -> Result<&BackboneLayout, SimError> {
        self.setup
            .backbone
            .as_ref()
            .ok_or_else(|| SimError::Internal("a backbone hop without a backbone".into()))
    }

    /// The legs of a message of `bytes` along `route`.
    fn legs(&self, route: Route, bytes: u32) -> Result<[Leg; 2], SimError> {
        self.layout()?
            .backbone
            .legs(route, u64::from(bytes))
            .map_err(|e| SimError::Internal(format!("backbone: {e}")))
    }

    /// Leg `leg` of a backbone message: how long it occupies its element, and its latency.
    pub(super) fn backbone_leg(&self, route: Route, leg: u8, bytes: u32) -> Result<Leg, SimError> {
        Ok(self.legs(route, bytes)?[usize::from(leg)])
    }

    /// Adds the hop tasks of a message of `bytes` of `stream` along `route`, between the
    /// gateways `ends` (the same chip twice for a host), the last marked as delivering token
    /// record `deliver`.
    #[allow(clippy::too_many_arguments)]
    fn add_legs(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        stream: u32,
        route: Route,
        ends: [u32; 2],
        bytes: u32,
        after: &[TaskRef],
        deliver: Option<u32>,
    ) -> Result<Vec<TaskRef>, SimError> {
        let legs = self.legs(route, bytes)?;
        let layout = self.layout()?;
        let groups = ends.map(|chip| chip / layout.group_chips);
        let links = legs.map(|leg| layout.link_of(leg.element, groups[usize::from(leg.receiver)]));
        let mut current = after.to_vec();
        for (index, link) in links.into_iter().enumerate() {
            let work = Work::Backbone {
                stream,
                link,
                ends,
                bytes,
                deliver: if index + 1 == links.len() {
                    deliver
                } else {
                    None
                },
                route,
                leg: index as u8,
            };
            current = vec![engine.add_task(self.chips + link, work, &current)?];
        }
        Ok(current)
    }

    /// A message of `bytes` from the host serving `gateway`'s group down to `gateway`.
    pub(super) fn send_from_host(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        stream: u32,
        gateway: u32,
        bytes: u32,
        after: &[TaskRef],
    ) -> Result<Vec<TaskRef>, SimError> {
        let ends = [gateway, gateway];
        self.add_legs(engine, stream, Route::FromHost, ends, bytes, after, None)
    }

    /// A message of `bytes` from `gateway` up to the host serving its group; the last leg
    /// delivers token record `deliver`.
    pub(super) fn send_to_host(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        stream: u32,
        gateway: u32,
        bytes: u32,
        after: &[TaskRef],
        deliver: Option<u32>,
    ) -> Result<Vec<TaskRef>, SimError> {
        let ends = [gateway, gateway];
        self.add_legs(engine, stream, Route::ToHost, ends, bytes, after, deliver)
    }

    /// A message of `bytes` over the backbone from gateway `from` to gateway `to` of another
    /// group; the last leg delivers token record `deliver`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn send_between_groups(
        &mut self,
        engine: &mut Engine<Work, Timer>,
        stream: u32,
        from: u32,
        to: u32,
        bytes: u32,
        after: &[TaskRef],
        deliver: Option<u32>,
    ) -> Result<Vec<TaskRef>, SimError> {
        let layout = self.layout()?;
        let groups = [from / layout.group_chips, to / layout.group_chips];
        let channels = groups.map(|g| layout.backbone.channel_of(g, layout.host_of(g)));
        if !layout.backbone.hosts_on_switch() && channels[0] != channels[1] {
            return Err(SimError::Internal(format!(
                "groups {} and {} are on different ESP-NOW channels and cannot exchange frames",
                groups[0], groups[1]
            )));
        }
        let route = Route::BetweenGroups;
        self.add_legs(engine, stream, route, [from, to], bytes, after, deliver)
    }
}
