//! The part each chip plays in a result's plan: a chip of a replica's target pipeline, a
//! replica's speculative draft chip, a spare, or neither (a chip the plan does not cover).

use ruvsim_sim::plan::ChipPlan;
use ruvsim_sim::result::RunResult;

/// What a chip does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Role<'a> {
    /// Part of a replica's target model.
    Target(&'a ChipPlan),
    /// The speculative draft of replica `replica`.
    Draft {
        /// Whose draft.
        replica: u32,
        /// What it holds.
        plan: &'a ChipPlan,
    },
    /// A mixture-of-experts expert of replica `replica`.
    Expert {
        /// Whose expert.
        replica: u32,
        /// What it holds.
        plan: &'a ChipPlan,
    },
    /// A spare, idle until it takes over a failed chip (whose work is then counted there).
    Spare,
    /// Not in the plan.
    Unplanned,
}

impl<'a> Role<'a> {
    /// The chip's plan, if it has one.
    pub fn plan(self) -> Option<&'a ChipPlan> {
        match self {
            Role::Target(plan) | Role::Draft { plan, .. } | Role::Expert { plan, .. } => Some(plan),
            Role::Spare | Role::Unplanned => None,
        }
    }
}

/// Chips running the target model (`replicas x pipeline x tensor`), without overflow.
pub fn target_chips(result: &RunResult) -> u64 {
    let p = &result.plan;
    u64::from(p.replicas) * u64::from(p.pipeline) * u64::from(p.tensor)
}

/// The role of global chip `chip` (chip ids: every replica's target chips, then one draft chip
/// per replica when the plan speculates).
pub fn role(result: &RunResult, chip: u32) -> Role<'_> {
    let p = &result.plan;
    let per_replica = u64::from(p.pipeline) * u64::from(p.tensor);
    let target = target_chips(result);
    let chip = u64::from(chip);
    if chip < target {
        return p
            .chips
            .get((chip % per_replica) as usize)
            .map_or(Role::Unplanned, Role::Target);
    }
    let drafts = u64::from(p.draft_chips());
    let experts = u64::from(p.replicas) * u64::from(p.experts());
    match (&p.draft, &p.moe) {
        (Some(draft), _) if chip - target < drafts => Role::Draft {
            replica: (chip - target) as u32,
            plan: &draft.chip,
        },
        (_, Some(moe)) if chip - target - drafts < experts => Role::Expert {
            replica: ((chip - target - drafts) / u64::from(p.experts())) as u32,
            plan: &moe.chip,
        },
        _ if chip - target - drafts - experts < u64::from(p.spares) => Role::Spare,
        _ => Role::Unplanned,
    }
}
