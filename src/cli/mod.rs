//! Command-line definitions and dispatch. Each subcommand lives in its own module with its
//! argument struct and a `run` function; adding one means adding a module and a [`Command`]
//! variant.

mod calibrate;
mod capture;
mod gated;
mod generate;
mod gossip;
mod model;
mod project;
mod regress;
mod run;
mod simulation;
mod sweep;
mod synthetic_shape;
mod validate;
mod verify;

use std::str::FromStr;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand};

/// A clap parser for a type spelled by a fixed set of names (a precision, a fidelity): `--help`
/// lists the names, and the value is parsed by the type's own `FromStr`, so the spelling is
/// defined once, beside the type.
pub fn named_values<T>(names: &[&'static str]) -> impl TypedValueParser<Value = T>
where
    T: FromStr + Clone + Send + Sync + 'static,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    PossibleValuesParser::new(names.to_vec()).try_map(|name| name.parse::<T>())
}

/// Parses a seed: any 64-bit integer, a negative one taken as its two's complement (`-1` is
/// `18446744073709551615`), so that seeds written as signed numbers elsewhere work here too.
pub fn seed_value(text: &str) -> Result<u64, String> {
    text.parse::<u64>()
        .or_else(|_| text.parse::<i64>().map(|signed| signed as u64))
        .map_err(|_| {
            format!(
                "`{text}` is not a seed: give an integer from -9223372036854775808 to \
                 18446744073709551615"
            )
        })
}

/// Deterministic simulator and scaling projector for clusters of ESP32-class chips running a
/// tiny language model.
#[derive(Debug, Parser)]
#[command(name = "ruvsim", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Import, quantise and inspect models in the ruvsim model format.
    #[command(subcommand)]
    Model(model::ModelCommand),
    /// Generate text with a model on this host and report its speed.
    Generate(generate::GenerateArgs),
    /// Event-gated model vs polling model: energy, missed events, response time, the ratio.
    Gated(gated::GatedArgs),
    /// Gossip membership: rounds and time until every chip knows of a failure, by cluster size.
    Gossip(gossip::GossipArgs),
    /// Simulate one scenario: write its report folder and print the headline figures.
    Run(run::RunArgs),
    /// Run the scenarios of a baseline file and fail when a figure has regressed.
    Regress(regress::RegressArgs),
    /// How a design scales to N chips: simulate sizes up to M, fit, project to N.
    Project(project::ProjectArgs),
    /// Design-space search: simulate every combination of a sweep file's axes on every core;
    /// write the Pareto frontier over its objectives (`sweep merge`, `sweep show` too).
    Sweep(sweep::SweepArgs),
    /// Record the trace lines of several boards (serial ports, TCP streams) into one file.
    Capture(capture::CaptureArgs),
    /// Compare a trace with the simulation of its scenario; fail when the error is too large.
    Verify(verify::VerifyArgs),
    /// Fit cycle costs, memory efficiencies and link overheads to traces; write a calibration.
    Calibrate(calibrate::CalibrateArgs),
    /// Published board measurements against the simulation of their setups; fail when one is off.
    Validate(validate::ValidateArgs),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Model(command) => model::run(command),
        Command::Generate(args) => generate::run(&args),
        Command::Gated(args) => gated::run(&args),
        Command::Gossip(args) => gossip::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Regress(args) => regress::run(&args),
        Command::Project(args) => project::run(&args),
        Command::Sweep(args) => sweep::run(&args),
        Command::Capture(args) => capture::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Calibrate(args) => calibrate::run(&args),
        Command::Validate(args) => validate::run(&args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn argument_definitions_are_consistent() {
        Cli::command().debug_assert();
    }
}
