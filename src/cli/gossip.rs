//! `ruvsim gossip`: gossip membership against cluster size. Simulates, message by message, how
//! many rounds and how long it takes until every live chip knows of a failed chip, for each
//! topology family, peer choice and size asked for, and fits rounds against log2 n to set beside
//! the reference documents' "O(log n) convergence".

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{anyhow, Context};
use clap::Args;
use ruvsim_engine::time::Duration;
use ruvsim_experiments::gossip::{
    parse_link, run_study, Family, GossipConfig, GossipMode, PeerChoice, SweepSpec,
    DEFAULT_MESSAGE_BYTES,
};
use ruvsim_hw::calibration::Variant;
use ruvsim_reports::gossip;

use crate::cli::named_values;

/// The default link: the library's SPI setting (40 MHz, 2 lines, polling with DMA).
const DEFAULT_LINK: &str = r#"{ kind = "spi", clock_mhz = 40, lines = 2, mode = "polling_dma" }"#;

/// Arguments of `ruvsim gossip`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    ruvsim gossip\n  \
    ruvsim gossip --family hypercube --peers random --sizes 1024,65536 --seeds 1\n  \
    ruvsim gossip --link '{ kind = \"uart\", baud = 2000000 }' --out /tmp/gossip")]
pub struct GossipArgs {
    /// Topology families.
    #[arg(
        long = "family",
        value_delimiter = ',',
        default_value = "hypercube,torus3d",
        value_parser = named_values::<Family>(&Family::ALL.iter().map(|f| f.name()).collect::<Vec<_>>())
    )]
    families: Vec<Family>,
    /// Cluster sizes (powers of two). The default study takes about 7 s on a 2-core machine;
    /// adding 65536 takes about 80 s (each size costs about four times the one before).
    #[arg(long, value_delimiter = ',', default_value = "256,1024,4096,16384")]
    sizes: Vec<u32>,
    /// Peer choices: `neighbours` (topology neighbours, one hop per message; the library
    /// default) or `random` (uniformly random chips, routed hop by hop).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "neighbours,random",
        value_parser = named_values::<PeerChoice>(&PeerChoice::ALL.iter().map(|p| p.name()).collect::<Vec<_>>())
    )]
    peers: Vec<PeerChoice>,
    /// Push, or push-pull (digest exchange).
    #[arg(
        long,
        default_value = "push-pull",
        value_parser = named_values::<GossipMode>(&GossipMode::ALL.iter().map(|m| m.name()).collect::<Vec<_>>())
    )]
    mode: GossipMode,
    /// Peers contacted per chip and round.
    #[arg(long, default_value_t = 1)]
    fanout: u32,
    /// Runs per size, with seeds `seed`, `seed + 1`, ...
    #[arg(long, default_value_t = 3)]
    seeds: u64,
    /// First seed.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_parser = crate::cli::seed_value)]
    seed: u64,
    /// Time between gossip rounds, milliseconds.
    #[arg(long, default_value_t = 10.0)]
    period_ms: f64,
    /// Bytes per gossip message.
    #[arg(long, default_value_t = DEFAULT_MESSAGE_BYTES)]
    message_bytes: u32,
    /// Rounds after which a run stops unconverged.
    #[arg(long, default_value_t = 1_000)]
    max_rounds: u32,
    /// Chip variant (link limits, ports).
    #[arg(long, default_value = "esp32s3")]
    variant: String,
    /// The link, as a scenario's inline table.
    #[arg(long, default_value = DEFAULT_LINK)]
    link: String,
    /// Folder for report.md, gossip.csv and gossip.json (nothing is written without it).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print the whole result as JSON on stdout instead of the markdown report.
    #[arg(long)]
    json: bool,
}

/// Runs the sweep, printing each point's host wall time on stderr, then the report.
pub fn run(args: &GossipArgs) -> anyhow::Result<()> {
    let variant: Variant = args.variant.parse()?;
    let link = parse_link(&args.link)?;
    let period = Duration::from_secs_f64(args.period_ms / 1e3)
        .map_err(|e| anyhow!("--period-ms {}: {e}", args.period_ms))?;
    let spec = SweepSpec {
        variant,
        link,
        config: GossipConfig {
            mode: args.mode,
            peers: PeerChoice::Neighbours,
            fanout: args.fanout,
            period,
            message_bytes: args.message_bytes,
            max_rounds: args.max_rounds,
        },
        seeds: (0..args.seeds).map(|i| args.seed + i).collect(),
        failed: 0,
    };
    let mut started = Instant::now();
    let study = run_study(&args.families, &args.peers, &args.sizes, spec, |point| {
        eprintln!(
            "{} {} {}: {} run(s) in {:.2} s (host wall time)",
            point.family.name(),
            point.peers.name(),
            point.chips,
            point.runs.len(),
            started.elapsed().as_secs_f64()
        );
        started = Instant::now();
    })?;
    let text = gossip::markdown(&study);
    let json = serde_json::to_string_pretty(&study)?;
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        for (name, content) in [
            ("report.md", text.as_str()),
            ("gossip.csv", &gossip::csv(&study.points)),
            ("gossip.json", &json),
        ] {
            let path = out.join(name);
            std::fs::write(&path, content)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    if args.json {
        println!("{json}");
    } else {
        print!("{text}");
    }
    Ok(())
}
