//! `ruvsim model info`: what a ruvsim model file holds and what it costs in memory.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use ruvsim_core::format::{TensorKind, VERSION};
use ruvsim_core::llama2c::Checkpoint;
use ruvsim_core::model::Model;
use ruvsim_core::{footprint, AttentionPattern, Shard, Span};

use ruvsim_core::model_file;

/// Arguments of `ruvsim model info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// The ruvsim model file.
    file: PathBuf,
}

/// Validates the file (checksums included) and prints its description.
pub fn run(args: &InfoArgs) -> anyhow::Result<()> {
    let bytes = model_file::read(&args.file)?;
    if !model_file::is_ruvsim_model(&bytes) && Checkpoint::parse(&bytes).is_ok() {
        bail!(
            "{} is a llama2.c checkpoint, not a ruvsim model; convert it with \
             `ruvsim model import --llama2c {0} --precision ... -o OUT.ruvm`",
            args.file.display()
        );
    }
    let model = Model::parse(&bytes)
        .with_context(|| format!("{} is not a valid ruvsim model", args.file.display()))?;
    print!("{}", describe(&model)?);
    Ok(())
}

/// The report: one `key: value` line per fact, then the tensor table and the footprint.
fn describe(model: &Model) -> anyhow::Result<String> {
    let config = model.config();
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!("format: ruvsim model version {VERSION}"));
    line(format!("size: {} bytes", model.bytes().len()));
    line("checksums: header and payload CRC-32 verified".to_string());
    line(format!(
        "config: dim {}, hidden {}, layers {}, heads {}, kv_heads {}, vocab {}, seq_len {}",
        config.shape.dim,
        config.shape.hidden_dim,
        config.shape.n_layers,
        config.shape.n_heads,
        config.shape.n_kv_heads,
        config.shape.vocab_size,
        config.shape.seq_len
    ));
    line(format!(
        "head size: {}, kv_dim: {}",
        config.shape.head_size(),
        config.shape.kv_dim()
    ));
    line(format!(
        "classifier: {}",
        if config.shape.shared_classifier {
            "shared with the token embedding"
        } else {
            "separate (wcls)"
        }
    ));
    line(format!("attention: {}", attention_name(&config.attention)));
    line(format!("precision: {}", config.precision.name()));
    line("tensors:".to_string());
    for kind in TensorKind::ALL {
        if let Some(bytes) = model.tensor_bytes(kind) {
            let (rank, dims) = kind.shape(config);
            let shape: Vec<String> = dims[..usize::from(rank)]
                .iter()
                .map(u32::to_string)
                .collect();
            line(format!(
                "  {:<16} {:<7} [{}] {bytes} bytes",
                kind.name(),
                format!("{:?}", kind.dtype(config)).to_lowercase(),
                shape.join(", ")
            ));
        }
    }
    let context = config.shape.seq_len;
    let one_layer = Shard {
        embedding: false,
        layers: Span::new(0, 1),
        heads: Span::new(0, config.shape.n_heads),
        ffn_units: Span::new(0, config.shape.hidden_dim),
        vocab: Span::default(),
    };
    for (label, shard) in [
        ("per layer", one_layer),
        ("whole model", Shard::whole(config)),
    ] {
        let bytes = footprint(config, &shard, context)
            .with_context(|| format!("cannot compute the {label} footprint"))?;
        line(format!(
            "{label}: weights {} bytes, KV cache {} bytes (full context of {context}), \
             scratch {} bytes",
            bytes.weight_bytes, bytes.kv_bytes, bytes.scratch_bytes
        ));
    }
    Ok(out)
}

/// A readable spelling of an attention pattern.
fn attention_name(pattern: &AttentionPattern) -> String {
    match *pattern {
        AttentionPattern::Full => "full".to_string(),
        AttentionPattern::SlidingWindow { window } => format!("sliding window of {window}"),
        AttentionPattern::Strided { stride, local } => {
            format!("strided (every {stride}th position, last {local})")
        }
        AttentionPattern::Dilated { window, dilation } => {
            format!("dilated ({window} positions, {dilation} apart)")
        }
        AttentionPattern::BigBird {
            global,
            window,
            random,
            seed,
        } => format!("BigBird (first {global}, last {window}, {random} random, seed {seed})"),
    }
}
