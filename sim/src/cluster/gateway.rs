//! Where each replica's host is: nowhere (requests appear at the first stage), one chip for the
//! whole cluster, or one per group of a hierarchical topology (a host on every board, attached
//! to the board's gateway chip), so that a large cluster is not served through a single chip.

/// The host attachment of a cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gateway {
    /// No host: prompts appear at each replica's first stage, tokens count when chosen.
    None,
    /// One host attached to this chip serves every replica.
    Chip(u32),
    /// One host per group of `group_chips` consecutive chips, attached to the group's chip
    /// `offset`; a replica is served by the host of the group holding its first stage.
    PerGroup {
        /// Chips per group.
        group_chips: u32,
        /// The gateway chip's index inside its group.
        offset: u32,
    },
}

impl Gateway {
    /// The host chip serving a replica whose first stage is on `first_chip`.
    pub fn for_chip(self, first_chip: u32) -> Option<u32> {
        match self {
            Gateway::None => None,
            Gateway::Chip(chip) => Some(chip),
            Gateway::PerGroup {
                group_chips,
                offset,
            } => Some(first_chip / group_chips * group_chips + offset),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Gateway;

    #[test]
    fn each_group_has_its_own_host_chip() {
        let per_group = Gateway::PerGroup {
            group_chips: 5,
            offset: 4,
        };
        assert_eq!(per_group.for_chip(0), Some(4));
        assert_eq!(per_group.for_chip(4), Some(4));
        assert_eq!(per_group.for_chip(5), Some(9));
        assert_eq!(per_group.for_chip(12), Some(14));
        assert_eq!(Gateway::Chip(0).for_chip(12), Some(0));
        assert_eq!(Gateway::None.for_chip(12), None);
    }
}
