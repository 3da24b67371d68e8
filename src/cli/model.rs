//! `ruvsim model ...`: subcommands that create and inspect model files.

mod import;
mod info;

use clap::Subcommand;

/// The `model` subcommands.
#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Import a llama2.c checkpoint, quantise it and write a ruvsim model file.
    Import(import::ImportArgs),
    /// Describe a ruvsim model file: configuration, precision, sizes, footprint, checksums.
    Info(info::InfoArgs),
}

/// Runs a `model` subcommand.
pub fn run(command: ModelCommand) -> anyhow::Result<()> {
    match command {
        ModelCommand::Import(args) => import::run(&args),
        ModelCommand::Info(args) => info::run(&args),
    }
}
