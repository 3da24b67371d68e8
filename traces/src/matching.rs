//! Whether a trace was made with the scenario's setup: same model file (checksum), same
//! configuration, same partition of the model onto chips, same chip and CPU settings. A trace that
//! differs is refused with every difference named, so measured and simulated numbers are never
//! compared across different setups.

use std::path::Path;

use ruvsim_core::trace::model_crc32;
use ruvsim_core::{ModelConfig, Shard, Span};

use super::{Trace, TraceError};
use ruvsim_sim::model_source::{prepare, resolve, ModelError};
use ruvsim_sim::result::RunResult;
use ruvsim_sim::scenario::{LoadedScenario, ModelSpec};

/// The checksums a board running the scenario's model may state: the model in the ruvsim format,
/// and for a llama2.c or ruvsim source the file as given (firmware may hold either).
pub fn scenario_checksums(
    loaded: &LoadedScenario,
    model_dir: Option<&Path>,
) -> Result<Vec<u32>, ModelError> {
    let spec = &loaded.scenario.model;
    let prepared = prepare(spec, None, true, model_dir, &loaded.dir)?;
    let mut sums: Vec<u32> = prepared
        .bytes
        .as_deref()
        .map(model_crc32)
        .into_iter()
        .collect();
    if let ModelSpec::Llama2c { path, .. } | ModelSpec::File { path, .. } = spec {
        let file = resolve(path, model_dir, &loaded.dir)?;
        let bytes = std::fs::read(&file).map_err(|source| ModelError::Read {
            file: file.display().to_string(),
            source,
        })?;
        sums.push(model_crc32(&bytes));
    }
    sums.sort_unstable();
    sums.dedup();
    Ok(sums)
}

/// Fails with every difference between the trace's boards and the scenario's run.
pub fn check_matches(
    trace: &Trace,
    loaded: &LoadedScenario,
    result: &RunResult,
    checksums: &[u32],
) -> Result<(), TraceError> {
    let mut differences = Vec::new();
    let chips = result.chips.len() as u32;
    let variant = loaded.scenario.cluster.variant;
    let mut claimed: Vec<(u32, &str)> = Vec::new();
    for board in &trace.boards {
        let h = &board.header;
        let who = format!("board `{}` (chip {})", h.board, h.chip);
        if h.chip >= chips {
            differences.push(format!(
                "{who}: the scenario has {chips} chip(s) (0..={})",
                chips.saturating_sub(1)
            ));
            continue;
        }
        if let Some((_, other)) = claimed.iter().find(|(c, _)| *c == h.chip) {
            differences.push(format!("{who}: board `{other}` also plays chip {}", h.chip));
        }
        claimed.push((h.chip, &h.board));
        if !checksums.contains(&h.model_crc32) {
            let expected: Vec<String> = checksums.iter().map(|c| format!("{c:08x}")).collect();
            differences.push(format!(
                "{who}: model checksum crc32:{:08x}, the scenario's model has {}",
                h.model_crc32,
                expected.join(" or ")
            ));
        }
        if h.variant != variant {
            differences.push(format!(
                "{who}: variant {}, the scenario uses {variant}",
                h.variant
            ));
        }
        differences.extend(
            config_differences(&h.config, &result.model.config)
                .into_iter()
                .map(|d| format!("{who}: {d}")),
        );
        let planned = result.plan.chip(h.chip).shard;
        differences.extend(
            partition_differences(&h.partition, &planned)
                .into_iter()
                .map(|d| format!("{who}: partition {d}")),
        );
        let cluster = &result.cluster;
        if h.clock_mhz != cluster.clock_mhz {
            differences.push(format!(
                "{who}: CPU clock {} MHz, the scenario runs {} MHz",
                h.clock_mhz, cluster.clock_mhz
            ));
        }
        if h.cores != cluster.cores_used {
            differences.push(format!(
                "{who}: {} core(s), the scenario uses {}",
                h.cores, cluster.cores_used
            ));
        }
        let kernel = match h.kernel {
            ruvsim_hw::chip::KernelKind::PlainC => "plain C",
            ruvsim_hw::chip::KernelKind::Optimized => "optimized",
        };
        if kernel != cluster.kernel {
            differences.push(format!(
                "{who}: {kernel} kernels, the scenario uses {}",
                cluster.kernel
            ));
        }
    }
    if differences.is_empty() {
        Ok(())
    } else {
        Err(TraceError::Mismatch {
            origin: trace.origin.clone(),
            scenario: loaded.file.clone(),
            differences,
        })
    }
}

/// Each field in which two model configurations differ, in words.
pub fn config_differences(board: &ModelConfig, scenario: &ModelConfig) -> Vec<String> {
    let fields: [(&str, String, String); 10] = [
        (
            "precision",
            format!("{:?}", board.precision),
            format!("{:?}", scenario.precision),
        ),
        (
            "dim",
            board.shape.dim.to_string(),
            scenario.shape.dim.to_string(),
        ),
        (
            "hidden",
            board.shape.hidden_dim.to_string(),
            scenario.shape.hidden_dim.to_string(),
        ),
        (
            "layers",
            board.shape.n_layers.to_string(),
            scenario.shape.n_layers.to_string(),
        ),
        (
            "heads",
            board.shape.n_heads.to_string(),
            scenario.shape.n_heads.to_string(),
        ),
        (
            "kv_heads",
            board.shape.n_kv_heads.to_string(),
            scenario.shape.n_kv_heads.to_string(),
        ),
        (
            "vocab",
            board.shape.vocab_size.to_string(),
            scenario.shape.vocab_size.to_string(),
        ),
        (
            "seq_len",
            board.shape.seq_len.to_string(),
            scenario.shape.seq_len.to_string(),
        ),
        (
            "shared classifier",
            board.shape.shared_classifier.to_string(),
            scenario.shape.shared_classifier.to_string(),
        ),
        (
            "attention",
            format!("{:?}", board.attention),
            format!("{:?}", scenario.attention),
        ),
    ];
    fields
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(name, a, b)| format!("model {name} {a}, the scenario's is {b}"))
        .collect()
}

/// Each part in which a board's partition differs from the plan's shard for its chip.
pub fn partition_differences(board: &Shard, planned: &Shard) -> Vec<String> {
    let span = |s: Span| {
        if s.is_empty() {
            "none".to_string()
        } else {
            format!("{}..{}", s.start, s.end)
        }
    };
    let mut out = Vec::new();
    if board.embedding != planned.embedding {
        out.push(format!(
            "embedding {}, the plan's chip {}",
            if board.embedding { "held" } else { "not held" },
            if planned.embedding {
                "holds it"
            } else {
                "does not"
            }
        ));
    }
    let parts = [
        ("layers", board.layers, planned.layers),
        ("heads", board.heads, planned.heads),
        ("feed-forward units", board.ffn_units, planned.ffn_units),
        ("vocabulary rows", board.vocab, planned.vocab),
    ];
    for (name, held, plan) in parts {
        if held != plan && !(held.is_empty() && plan.is_empty()) {
            out.push(format!(
                "{name} {}, the plan gives this chip {}",
                span(held),
                span(plan)
            ));
        }
    }
    out
}
