//! `ruvsim capture`: records several boards at once into one merged trace
//! ([`ruvsim_traces::capture`]).

use std::path::PathBuf;

use clap::Args;
use ruvsim_traces::capture::{baud_rate, record, Source};

/// Arguments of `ruvsim capture`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    ruvsim capture --port /dev/ttyUSB0 --port /dev/ttyUSB1 --baud 921600 -o run.trace\n  \
    ruvsim capture --tcp 192.168.4.1:3333 -o board.trace")]
pub struct CaptureArgs {
    /// A serial device to read; repeat for several boards.
    #[arg(long = "port", value_name = "DEV")]
    ports: Vec<PathBuf>,
    /// Baud rate of the serial ports.
    #[arg(long, default_value_t = 115_200, value_name = "B")]
    baud: u32,
    /// A TCP stream to read (HOST:PORT); repeat for several boards.
    #[arg(long = "tcp", value_name = "HOST:PORT")]
    tcp: Vec<String>,
    /// The merged trace to write.
    #[arg(
        short = 'o',
        long = "output",
        visible_alias = "out",
        value_name = "FILE"
    )]
    output: PathBuf,
}

/// Records until every source closes or Ctrl-C, then reports the lines per source.
pub fn run(args: &CaptureArgs) -> anyhow::Result<()> {
    if args.ports.is_empty() && args.tcp.is_empty() {
        anyhow::bail!("nothing to capture: give at least one --port DEV or --tcp HOST:PORT");
    }
    let baud = baud_rate(args.baud)?;
    let sources: Vec<Source> = args
        .ports
        .iter()
        .cloned()
        .map(Source::Serial)
        .chain(args.tcp.iter().cloned().map(Source::Tcp))
        .collect();
    let counts = record(sources, baud, &args.output)?;
    for (name, lines) in counts {
        eprintln!("{name}: {lines} line(s)");
    }
    eprintln!("trace: {}", args.output.display());
    Ok(())
}
