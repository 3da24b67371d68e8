//! Designs by id. A design's id is its index in the cartesian product of the axes, the first
//! axis varying slowest and the last fastest, so ids are stable for a given sweep file whatever
//! the threads or shards. A design's scenario is the base tree with each axis's value set at its
//! key, then the derived keys, then `scenario.name = "<sweep>-<id>"`, read by the normal scenario
//! parser.

use toml::Table;

use ruvsim_hw::calibration::Variant;
use ruvsim_sim::scenario::{parse, LoadedScenario};

use crate::sweep::error::SweepError;
use crate::sweep::metric::Metric;
use crate::sweep::spec::Sweep;
use crate::sweep::tree::{label, set};

/// The position of each axis's value in design `id` (mixed radix, last axis fastest).
pub fn value_indices(sweep: &Sweep, id: u64) -> Vec<usize> {
    let mut rest = id;
    let mut indices = vec![0; sweep.axes.len()];
    for (slot, axis) in indices.iter_mut().zip(&sweep.axes).rev() {
        let n = axis.values.len() as u64;
        *slot = (rest % n) as usize;
        rest /= n;
    }
    indices
}

/// Design `id`'s axis values as labels, in axis order.
pub fn value_labels(sweep: &Sweep, id: u64) -> Vec<String> {
    value_indices(sweep, id)
        .into_iter()
        .zip(&sweep.axes)
        .map(|(i, axis)| label(&axis.values[i]))
        .collect()
}

/// `key = value` for each axis of design `id`, joined by commas (for messages).
pub fn describe(sweep: &Sweep, id: u64) -> String {
    sweep
        .axes
        .iter()
        .zip(value_labels(sweep, id))
        .map(|(axis, value)| format!("{} = {value}", axis.key))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The scenario name of design `id`: `<sweep name>-<id>`.
pub fn scenario_name(sweep: &Sweep, id: u64) -> String {
    format!("{}-{id}", sweep.name())
}

/// Design `id`'s scenario as TOML text, ready for `ruvsim run`.
pub fn scenario_text(sweep: &Sweep, id: u64) -> Result<String, SweepError> {
    let error = |message: String| SweepError::Design {
        file: sweep.file.clone(),
        id,
        values: describe(sweep, id),
        message,
    };
    if id >= sweep.total {
        return Err(error(format!(
            "there is no design {id}: the sweep has designs 0 to {}",
            sweep.total.saturating_sub(1)
        )));
    }
    let mut tree: Table = sweep.base.clone();
    for (axis, i) in sweep.axes.iter().zip(value_indices(sweep, id)) {
        set(&mut tree, &axis.key, axis.values[i].clone()).map_err(error)?;
    }
    for rule in &sweep.spec.derive {
        rule.apply(&mut tree).map_err(error)?;
    }
    set(
        &mut tree,
        "scenario.name",
        toml::Value::String(scenario_name(sweep, id)),
    )
    .map_err(error)?;
    toml::to_string(&tree).map_err(|e| error(format!("cannot write the scenario: {e}")))
}

/// Design `id` parsed as a scenario, its relative paths resolving beside the base scenario.
/// A design the parser refuses means the sweep file is wrong (a misspelt key, a value of the
/// wrong type), so the error names the design's values and the parser's reason.
pub fn scenario(sweep: &Sweep, id: u64) -> Result<LoadedScenario, SweepError> {
    let text = scenario_text(sweep, id)?;
    let name = scenario_name(sweep, id);
    let scenario = parse(&name, &text).map_err(|e| SweepError::Design {
        file: sweep.file.clone(),
        id,
        values: describe(sweep, id),
        message: e.message,
    })?;
    if sweep.uses(Metric::CostUsd) && price(sweep, scenario.cluster.variant).is_none() {
        return Err(SweepError::Design {
            file: sweep.file.clone(),
            id,
            values: describe(sweep, id),
            message: format!(
                "cost_usd is used but [cost] price_usd gives no price for {}: add {} = <USD \
                 per chip>",
                scenario.cluster.variant.name(),
                scenario.cluster.variant.name()
            ),
        });
    }
    Ok(LoadedScenario {
        scenario,
        file: name,
        dir: sweep.base_dir.clone(),
    })
}

/// The user's price of one chip of `variant`, when given.
pub fn price(sweep: &Sweep, variant: Variant) -> Option<f64> {
    sweep.prices.get(&variant).copied()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::sweep::spec;

    const SWEEP: &str = r#"
[sweep]
name = "t"
objectives = ["max throughput_tok_s"]

[base.scenario]
name = "base"
fidelity = "timing"
[base.model]
source = "synthetic"
shape = "stories260k"
precision = "int8"
[base.cluster]
variant = "esp32s3"
topology = { kind = "chain", chips = 1 }
link = { kind = "spi", clock_mhz = 40, lines = 2, mode = "polling_dma" }
[base.parallelism]
pipeline = 1
[base.workload]
arrivals = { kind = "closed_loop", concurrency = 1 }
requests = 1
prompt = { length = 4 }
new_tokens = 4

[[axis]]
key = "cluster.variant"
values = ["esp32s3", "esp32"]

[[axis]]
key = "parallelism.pipeline"
range = { from = 1, to = 3 }

[[derive]]
key = "cluster.topology.chips"
product = ["parallelism.pipeline", 2]
"#;

    fn sweep(text: &str) -> Sweep {
        spec::parse("t.toml", text, Path::new("."), None).unwrap()
    }

    #[test]
    fn ids_count_in_the_axes_order_last_fastest() {
        let s = sweep(SWEEP);
        assert_eq!(s.total, 6);
        assert_eq!(value_labels(&s, 0), ["esp32s3", "1"]);
        assert_eq!(value_labels(&s, 2), ["esp32s3", "3"]);
        assert_eq!(value_labels(&s, 3), ["esp32", "1"]);
        assert_eq!(
            describe(&s, 5),
            "cluster.variant = esp32, parallelism.pipeline = 3"
        );
    }

    #[test]
    fn a_design_is_the_base_with_its_values_and_derived_keys() {
        let s = sweep(SWEEP);
        let loaded = scenario(&s, 4).unwrap();
        let sc = &loaded.scenario;
        assert_eq!(sc.scenario.name, "t-4");
        assert_eq!(sc.cluster.variant, Variant::Esp32);
        assert_eq!(sc.parallelism.pipeline, 2);
        assert_eq!(sc.cluster.topology.chips().unwrap(), 4);
        let text = scenario_text(&s, 4).unwrap();
        assert_eq!(
            parse("again", &text).unwrap(),
            *sc,
            "the text is the scenario"
        );
    }

    #[test]
    fn a_value_the_parser_refuses_names_the_design_and_key() {
        let s = sweep(&SWEEP.replace("\"esp32\"]", "\"esp32s4\"]"));
        assert!(scenario(&s, 0).is_ok());
        let err = scenario(&s, 3).unwrap_err().to_string();
        assert!(
            err.starts_with("t.toml: design 3 (cluster.variant = esp32s4"),
            "{err}"
        );
        assert!(err.contains("esp32s4"), "{err}");
        let err = scenario(&s, 6).unwrap_err().to_string();
        assert!(err.contains("no design 6"), "{err}");
    }

    #[test]
    fn a_missing_price_is_refused_when_cost_is_used() {
        let text = SWEEP.replace(
            "objectives = [\"max throughput_tok_s\"]",
            "objectives = [\"min cost_usd\"]\n[cost]\nprice_usd = { esp32s3 = 4.0 }",
        );
        let s = sweep(&text);
        assert!(scenario(&s, 0).is_ok());
        let err = scenario(&s, 3).unwrap_err().to_string();
        assert!(err.contains("no price for esp32"), "{err}");
    }
}
