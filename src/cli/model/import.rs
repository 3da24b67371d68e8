//! `ruvsim model import`: a llama2.c checkpoint in, a quantised ruvsim model file out.

use std::fs;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use ruvsim_core::model::Model;
use ruvsim_core::Precision;

use crate::cli::named_values;
use ruvsim_core::model_file;

/// Arguments of `ruvsim model import`.
#[derive(Debug, Args)]
#[command(
    after_help = "The ruvsim model format does not carry a tokenizer: keep the llama2.c \
    tokenizer file beside the model and pass it to `ruvsim generate --tokenizer`.\n\n\
    Example: ruvsim model import --llama2c stories260K.bin --tokenizer tok512.bin \
    --precision int8 -o stories260K-int8.ruvm"
)]
pub struct ImportArgs {
    /// The llama2.c checkpoint (legacy version 0 format, e.g. stories260K.bin).
    #[arg(long = "llama2c", value_name = "PATH")]
    checkpoint: PathBuf,
    /// A llama2.c tokenizer (e.g. tok512.bin), checked against the checkpoint's vocabulary.
    /// The model file does not include it.
    #[arg(long, value_name = "PATH")]
    tokenizer: Option<PathBuf>,
    /// Precision to quantise the weight matrices to.
    #[arg(long, value_parser = named_values::<Precision>(&Precision::ALL.map(Precision::name)))]
    precision: Precision,
    /// Where to write the ruvsim model file.
    #[arg(short, long, visible_alias = "out", value_name = "OUT.ruvm")]
    output: PathBuf,
}

/// Imports, quantises, checks the result reads back, and writes it.
pub fn run(args: &ImportArgs) -> anyhow::Result<()> {
    let checkpoint = model_file::read_checkpoint(&args.checkpoint)?;
    let tokenizer = args
        .tokenizer
        .as_deref()
        .map(|path| model_file::read_tokenizer(path, checkpoint.shape.vocab_size))
        .transpose()?;
    let precision = args.precision;
    let bytes = model_file::encode_checkpoint(&checkpoint, precision)?;
    // Reading the encoded bytes back catches a writer/reader disagreement here, not on a chip.
    Model::parse(&bytes).context("the encoded model does not read back")?;
    fs::write(&args.output, &bytes)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    println!(
        "imported {} -> {}: {} bytes at {}",
        args.checkpoint.display(),
        args.output.display(),
        bytes.len(),
        precision.name()
    );
    if let (Some(path), Some(tokenizer)) = (&args.tokenizer, tokenizer) {
        println!(
            "tokenizer {} matches the vocabulary ({} tokens); it is not stored in the model file, \
             pass it to `ruvsim generate --tokenizer`",
            path.display(),
            tokenizer.vocab_size()
        );
    }
    Ok(())
}
