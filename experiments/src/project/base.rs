//! The design a projection scales: one replica's model, precision, chip variant, link, CPU,
//! memory and partition (pipeline x tensor), and the workload every size serves per replica.

use std::path::PathBuf;

use ruvsim_topologies::{LinkKind, PortBudget, TopologySpec};

use crate::project::error::ProjectError;
use crate::project::wiring::Layout;
use ruvsim_hw::calibration::Variant;
use ruvsim_sim::scenario::{parse, Fidelity, LoadedScenario};
use ruvsim_sim::workload::Arrivals;

/// The built-in base design: the `pipeline5` scenario's chips, link and model (five ESP32-S3 in
/// an SPI chain, one layer each of an int8 stories260K-shaped synthetic model), serving one client
/// per pipeline with 4-token prompts and 8 new tokens, as the library's scale scenarios do: light
/// enough per replica that a million chips simulate event by event within two minutes. So
/// `ruvsim project` works from any directory without a scenario file; `--scenario` takes any
/// other design and workload.
pub const DEFAULT_BASE_TOML: &str = r#"
[scenario]
name = "pipeline5"
description = "Five ESP32-S3 in an SPI chain, one layer each, int8 stories260K-shaped model, one client per pipeline."
seed = 1
fidelity = "timing"

[model]
source = "synthetic"
shape = "stories260k"
seed = 7
precision = "int8"

[cluster]
variant = "esp32s3"
topology = { kind = "chain", chips = 5 }
link = { kind = "spi", clock_mhz = 40, lines = 2, mode = "polling_dma" }
cpu = { clock_mhz = 240, cores_used = 2, kernel = "optimized" }

[parallelism]
pipeline = 5
tensor = 1
replicas = 1

[workload]
arrivals = { kind = "closed_loop", concurrency = 1 }
requests = 1
prompt = { length = 4 }
new_tokens = 8
"#;

/// Name the built-in base is reported under.
pub const DEFAULT_BASE_NAME: &str = "built-in pipeline5 design";

/// Requests each stream of a replica serves in a run of the family. Replicas are independent
/// but for what they share (a gateway, a host, a channel), so the ramp at the start and the
/// drain at the end are the same share of every size's makespan; one request per stream keeps
/// the largest sizes within the time budget.
pub const REQUESTS_PER_STREAM: u32 = 1;

/// The chip a host is attached to in every size of the family.
pub const GATEWAY_CHIP: u32 = 0;

/// One replica of the design, ready to be multiplied.
#[derive(Clone, Debug)]
pub struct BaseDesign {
    /// The scenario the design came from (its topology, replicas and workload are replaced per
    /// size).
    pub loaded: LoadedScenario,
    /// Where it came from, for messages (`built-in pipeline5 design` or the file).
    pub origin: String,
    /// Pipeline stages per replica.
    pub pipeline: u32,
    /// Chips per stage.
    pub tensor: u32,
    /// Streams each replica serves at once.
    pub streams_per_replica: u32,
    /// Requests each replica serves in a run.
    pub requests_per_replica: u32,
}

impl BaseDesign {
    /// The built-in design ([`DEFAULT_BASE_TOML`]).
    pub fn builtin() -> Result<BaseDesign, ProjectError> {
        let scenario = parse("built-in base design", DEFAULT_BASE_TOML)?;
        Ok(BaseDesign::from_scenario(
            LoadedScenario {
                scenario,
                file: DEFAULT_BASE_NAME.into(),
                dir: PathBuf::from("."),
            },
            DEFAULT_BASE_NAME.into(),
        ))
    }

    /// The design of a loaded scenario: its per-replica partition (its `replicas` is ignored:
    /// the projection chooses it), and its streams per replica (from `streams_per_replica`, or
    /// the closed-loop concurrency spread over its replicas, or 1).
    pub fn from_scenario(loaded: LoadedScenario, origin: String) -> BaseDesign {
        let parallelism = &loaded.scenario.parallelism;
        let replicas = parallelism.replicas.max(1);
        let streams_per_replica =
            parallelism
                .streams_per_replica
                .unwrap_or(match loaded.scenario.workload.arrivals {
                    Arrivals::ClosedLoop { concurrency } => concurrency.div_ceil(replicas).max(1),
                    _ => 1,
                });
        BaseDesign {
            pipeline: parallelism.pipeline,
            tensor: parallelism.tensor,
            streams_per_replica,
            requests_per_replica: streams_per_replica.saturating_mul(REQUESTS_PER_STREAM),
            origin,
            loaded,
        }
    }

    /// Replaces the chip variant of every chip.
    pub fn set_variant(&mut self, variant: Variant) {
        self.loaded.scenario.cluster.variant = variant;
    }

    /// Chips of one replica.
    pub fn chips_per_replica(&self) -> u32 {
        self.pipeline.saturating_mul(self.tensor)
    }

    /// The chip variant.
    pub fn variant(&self) -> Variant {
        self.loaded.scenario.cluster.variant
    }

    /// The link kind wiring the chips.
    pub fn link_kind(&self) -> LinkKind {
        self.loaded.scenario.cluster.link.kind()
    }

    /// The link kind's name (`SPI`, `UART`, `ESP-NOW`).
    pub fn link_name(&self) -> &'static str {
        match self.link_kind() {
            LinkKind::Spi => "SPI",
            LinkKind::Uart => "UART",
            LinkKind::EspNow => "ESP-NOW",
        }
    }

    /// What the link kind offers each chip of this variant.
    pub fn port_budget(&self) -> PortBudget {
        self.variant().port_budget(self.link_kind())
    }

    /// Whether the simulator treats every link as one shared medium whatever the wiring
    /// (ESP-NOW: one radio channel).
    pub fn link_is_shared_medium(&self) -> bool {
        self.link_kind() == LinkKind::EspNow
    }

    /// The scenario of `replicas` copies wired as `topology`: gateway at chip 0, closed loop with
    /// `streams_per_replica x replicas` clients and `requests_per_replica x replicas` requests,
    /// timing fidelity.
    pub fn scenario_for(
        &self,
        replicas: u32,
        topology: TopologySpec,
    ) -> Result<LoadedScenario, ProjectError> {
        let chips = checked(
            "chips",
            u64::from(replicas) * u64::from(self.chips_per_replica()),
        )?;
        let concurrency = checked(
            "concurrent streams",
            u64::from(replicas) * u64::from(self.streams_per_replica),
        )?;
        let requests = checked(
            "requests",
            u64::from(replicas) * u64::from(self.requests_per_replica),
        )?;
        let mut loaded = self.loaded.clone();
        let scenario = &mut loaded.scenario;
        scenario.scenario.name = format!("{}-{chips}-chips", scenario.scenario.name);
        scenario.scenario.fidelity = Fidelity::Timing;
        scenario.cluster.topology = topology;
        scenario.cluster.gateway = Some(GATEWAY_CHIP);
        scenario.parallelism.replicas = replicas;
        scenario.parallelism.streams_per_replica = Some(self.streams_per_replica);
        scenario.workload.arrivals = Arrivals::ClosedLoop { concurrency };
        scenario.workload.requests = requests;
        Ok(loaded)
    }
}

impl BaseDesign {
    /// The scenario of one size of the family laid out as `layout`: [`BaseDesign::scenario_for`]
    /// its wiring, and on a backbone the backbone with the hosts on it instead of a host at
    /// chip 0.
    pub fn scenario_for_layout(&self, layout: &Layout) -> Result<LoadedScenario, ProjectError> {
        let mut loaded = self.scenario_for(layout.replicas, layout.spec.clone())?;
        if let Some(backbone) = &layout.backbone {
            let cluster = &mut loaded.scenario.cluster;
            cluster.backbone = Some(backbone.clone());
            cluster.gateway = None;
            cluster.gateway_per_group = false;
        }
        Ok(loaded)
    }
}

/// `value` as a `u32`, or the error naming `what`.
fn checked(what: &'static str, value: u64) -> Result<u32, ProjectError> {
    u32::try_from(value).map_err(|_| ProjectError::TooLarge { what, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_is_the_pipeline5_design() {
        let base = BaseDesign::builtin().unwrap();
        assert_eq!((base.pipeline, base.tensor), (5, 1));
        assert_eq!(base.chips_per_replica(), 5);
        assert_eq!(base.streams_per_replica, 1);
        assert_eq!(base.requests_per_replica, REQUESTS_PER_STREAM);
        assert_eq!(base.variant(), Variant::Esp32S3);
        assert_eq!(base.port_budget().ports_per_chip, 2);
    }

    #[test]
    fn a_size_scales_the_workload_with_its_replicas() {
        let base = BaseDesign::builtin().unwrap();
        let loaded = base
            .scenario_for(4, TopologySpec::Ring { chips: 20 })
            .unwrap();
        let s = &loaded.scenario;
        assert_eq!(s.parallelism.replicas, 4);
        assert_eq!(s.workload.arrivals, Arrivals::ClosedLoop { concurrency: 4 });
        assert_eq!(s.workload.requests, 4 * base.requests_per_replica);
        assert_eq!(s.cluster.gateway, Some(GATEWAY_CHIP));
        assert_eq!(s.scenario.fidelity, Fidelity::Timing);
    }

    #[test]
    fn sizes_beyond_32_bit_ids_are_refused() {
        let base = BaseDesign::builtin().unwrap();
        let err = base
            .scenario_for(u32::MAX, TopologySpec::Ring { chips: 3 })
            .unwrap_err();
        assert!(
            matches!(err, ProjectError::TooLarge { what: "chips", .. }),
            "{err}"
        );
    }
}
