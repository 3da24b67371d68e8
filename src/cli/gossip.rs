//! `ruvsim gossip`: gossip membership against cluster size. Simulates, message by message, how
//! many rounds and how long it takes until every live chip knows of a failed chip, for each
//! topology family, peer choice and size asked for, and fits rounds against log2 n to set beside
//! the reference documents' "O(log n) convergence".

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{anyhow, Context};
use clap::{Args, ValueEnum};
use ruvsim_engine::time::Duration;
use ruvsim_experiments::gossip::{
    fit_log2, parse_link, sweep_point, Family, GossipConfig, GossipMode, LogFit, PeerChoice,
    SweepPoint, SweepSpec, DEFAULT_MESSAGE_BYTES,
};
use ruvsim_hw::calibration::Variant;
use ruvsim_hw::link::LinkConfig;
use serde::Serialize;

/// What the reference documents claim.
const CLAIM: &str =
    "The reference README (ruvllm-esp32-README.md) claims \"Gossip Protocol: State \
    sync with O(log n) convergence\" (Massive Scale features) and \"Gossip Protocol: O(log n) \
    state convergence\" (Federation features).";

/// The default link: the library's SPI setting (40 MHz, 2 lines, polling with DMA).
const DEFAULT_LINK: &str = r#"{ kind = "spi", clock_mhz = 40, lines = 2, mode = "polling_dma" }"#;

/// `--family`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum FamilyArg {
    Hypercube,
    Torus3d,
    Torus2d,
}

impl From<FamilyArg> for Family {
    fn from(arg: FamilyArg) -> Family {
        match arg {
            FamilyArg::Hypercube => Family::Hypercube,
            FamilyArg::Torus3d => Family::Torus3d,
            FamilyArg::Torus2d => Family::Torus2d,
        }
    }
}

/// `--peers`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum PeersArg {
    /// Topology neighbours, one hop per message (the library default).
    Neighbours,
    /// Uniformly random chips, routed hop by hop.
    Random,
}

impl From<PeersArg> for PeerChoice {
    fn from(arg: PeersArg) -> PeerChoice {
        match arg {
            PeersArg::Neighbours => PeerChoice::Neighbours,
            PeersArg::Random => PeerChoice::Random,
        }
    }
}

/// `--mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    Push,
    PushPull,
}

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
        value_enum,
        value_delimiter = ',',
        default_value = "hypercube,torus3d"
    )]
    families: Vec<FamilyArg>,
    /// Cluster sizes (powers of two).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "256,1024,4096,16384,65536"
    )]
    sizes: Vec<u32>,
    /// Peer choices.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "neighbours,random"
    )]
    peers: Vec<PeersArg>,
    /// Push, or push-pull (digest exchange).
    #[arg(long, value_enum, default_value = "push-pull")]
    mode: ModeArg,
    /// Peers contacted per chip and round.
    #[arg(long, default_value_t = 1)]
    fanout: u32,
    /// Runs per size, with seeds `seed`, `seed + 1`, ...
    #[arg(long, default_value_t = 3)]
    seeds: u64,
    /// First seed.
    #[arg(long, default_value_t = 1)]
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

/// Every point of the sweep and the fits.
#[derive(Serialize)]
struct GossipReport {
    spec: SweepSpec,
    points: Vec<SweepPoint>,
    fits: Vec<FitRow>,
}

/// A fit of one family and peer choice.
#[derive(Serialize)]
struct FitRow {
    family: Family,
    peers: PeerChoice,
    fit: Option<LogFit>,
}

/// Runs the sweep, printing each point's host wall time on stderr, then the report.
pub fn run(args: &GossipArgs) -> anyhow::Result<()> {
    let variant: Variant = args.variant.parse()?;
    let link = parse_link(&args.link)?;
    let period = Duration::from_secs_f64(args.period_ms / 1e3)
        .map_err(|e| anyhow!("--period-ms {}: {e}", args.period_ms))?;
    let mut spec = SweepSpec {
        variant,
        link,
        config: GossipConfig {
            mode: match args.mode {
                ModeArg::Push => GossipMode::Push,
                ModeArg::PushPull => GossipMode::PushPull,
            },
            peers: PeerChoice::Neighbours,
            fanout: args.fanout,
            period,
            message_bytes: args.message_bytes,
            max_rounds: args.max_rounds,
        },
        seeds: (0..args.seeds).map(|i| args.seed + i).collect(),
        failed: 0,
    };
    let mut points = Vec::new();
    let mut fits = Vec::new();
    for &family in &args.families {
        for &peers in &args.peers {
            spec.config.peers = peers.into();
            let mut fitted = Vec::new();
            for &chips in &args.sizes {
                let started = Instant::now();
                let point = sweep_point(family.into(), chips, &spec)?;
                eprintln!(
                    "{} {} {chips}: {} run(s) in {:.2} s (host wall time)",
                    Family::from(family).name(),
                    peers_name(spec.config.peers),
                    point.runs.len(),
                    started.elapsed().as_secs_f64()
                );
                if let Some(mean) = point.rounds_mean {
                    fitted.push((point.log2_chips, mean));
                }
                points.push(point);
            }
            fits.push(FitRow {
                family: family.into(),
                peers: peers.into(),
                fit: fit_log2(&fitted),
            });
        }
    }
    let report = GossipReport { spec, points, fits };
    let text = markdown(&report);
    let json = serde_json::to_string_pretty(&report)?;
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        for (name, content) in [
            ("report.md", text.as_str()),
            ("gossip.csv", &csv(&report.points)),
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

fn peers_name(peers: PeerChoice) -> &'static str {
    match peers {
        PeerChoice::Neighbours => "neighbours",
        PeerChoice::Random => "random",
    }
}

fn optional<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or("-".into(), |v| v.to_string())
}

/// The report as markdown.
fn markdown(report: &GossipReport) -> String {
    let spec = &report.spec;
    let config = &spec.config;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "# Gossip membership: rounds until every live chip knows of a failure (tier: simulated)\n\n\
         {} gossip, fanout {}, a round every {} ms, {}-byte messages over {} links between {} \
         chips; chip 0 fails, its lowest live neighbour starts the rumour; seeds {:?}. Messages \
         are simulated hop by hop on the event engine (no model computation). \"Not buildable\": \
         the chips lack the ports the wiring needs on this link kind (simulated regardless).\n",
        mode_name(config.mode),
        config.fanout,
        config.period.as_secs_f64() * 1e3,
        config.message_bytes,
        link_name(spec),
        spec.variant.display_name(),
        spec.seeds,
    );
    let _ = writeln!(
        text,
        "| family | peers | chips | log2 n | diameter | rounds mean (min-max) | rounds / log2 n | \
         time ms | transfers per message | ports needed / available | converged |\n\
         |---|---|---:|---:|---:|---|---:|---:|---:|---|---|"
    );
    for point in &report.points {
        let runs = point.runs.len() as f64;
        let transfers: f64 = point.runs.iter().map(|r| r.transfers as f64).sum::<f64>() / runs;
        let messages: f64 = point.runs.iter().map(|r| r.messages as f64).sum::<f64>() / runs;
        let converged = point.runs.iter().filter(|r| r.converged).count();
        let _ = writeln!(
            text,
            "| {} | {} | {} | {:.0} | {} | {} ({}-{}) | {} | {} | {:.2} | {} / {}{} | {}/{} |",
            point.family.name(),
            peers_name(point.peers),
            point.chips,
            point.log2_chips,
            point.diameter,
            optional(point.rounds_mean.map(|m| format!("{m:.2}"))),
            optional(point.rounds_min),
            optional(point.rounds_max),
            optional(
                point
                    .rounds_mean
                    .map(|m| format!("{:.2}", m / point.log2_chips))
            ),
            optional(
                point
                    .time_mean
                    .map(|t| format!("{:.2}", t.as_secs_f64() * 1e3))
            ),
            if messages > 0.0 {
                transfers / messages
            } else {
                0.0
            },
            point.ports.needed,
            point.ports.available,
            if point.ports.buildable {
                ""
            } else {
                " (not buildable)"
            },
            converged,
            point.runs.len(),
        );
    }
    let _ = writeln!(
        text,
        "\nFits of mean rounds against log2 n (tier: projected, a closed form fitted to the \
         simulated points above, with its largest relative error on them):\n\n\
         | family | peers | rounds = c x log2 n | max error | rounds = a + b x log2 n | max error |\n\
         |---|---|---|---:|---|---:|"
    );
    for row in &report.fits {
        match &row.fit {
            Some(fit) => {
                let _ = writeln!(
                    text,
                    "| {} | {} | c = {:.3} | {:.1}% | a = {:.2}, b = {:.3} | {:.1}% |",
                    row.family.name(),
                    peers_name(row.peers),
                    fit.c,
                    fit.c_max_relative_error * 100.0,
                    fit.a,
                    fit.b,
                    fit.ab_max_relative_error * 100.0
                );
            }
            None => {
                let _ = writeln!(
                    text,
                    "| {} | {} | too few converged sizes to fit | | | |",
                    row.family.name(),
                    peers_name(row.peers)
                );
            }
        }
    }
    let _ = writeln!(
        text,
        "\n{CLAIM} Neighbour gossip moves the rumour a hop or two per round (one in push; a push \
         and then a pull reply in push-pull), so its rounds follow the diameter column: \
         logarithmic on a hypercube, whose diameter is log2 n, but growing as the cube root of n \
         on a 3-D torus. Random peers approach the textbook O(log n) rounds on any wiring, but \
         every message costs the transfers of its route (the transfers-per-message column)."
    );
    text
}

fn mode_name(mode: GossipMode) -> &'static str {
    match mode {
        GossipMode::Push => "push",
        GossipMode::PushPull => "push-pull",
    }
}

/// The link in words (`SPI 40 MHz x 2 lines, polling_dma`).
fn link_name(spec: &SweepSpec) -> String {
    match &spec.link {
        LinkConfig::Spi(spi) => format!(
            "SPI {} MHz x {} line(s), {}",
            spi.clock_mhz,
            spi.lines,
            serde_json::to_value(spi.mode)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        ),
        LinkConfig::Uart(uart) => format!("UART {} baud", uart.baud),
        LinkConfig::EspNow(radio) => format!("ESP-NOW (loss {}), one shared medium", radio.loss),
    }
}

/// One CSV row per seed run.
fn csv(points: &[SweepPoint]) -> String {
    let mut text = String::from(
        "family,peers,mode,chips,log2_chips,diameter,seed,converged,rounds,time_ps,messages,\
         transfers,lost,events,tier\n",
    );
    for point in points {
        for run in &point.runs {
            let _ = writeln!(
                text,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},simulated",
                point.family.name(),
                peers_name(point.peers),
                mode_name(point.mode),
                point.chips,
                point.log2_chips,
                point.diameter,
                run.seed,
                run.converged,
                run.rounds,
                optional(run.time.map(|t| t.as_ps())),
                run.messages,
                run.transfers,
                run.lost,
                run.events,
            );
        }
    }
    text
}
