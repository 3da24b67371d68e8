//! A board's header: the `H` fields it printed, merged and typed, every problem naming its line.

use ruvsim_core::trace::{parse_attention, parse_partition, ClockSource, Origin, FORMAT_VERSION};
use ruvsim_core::ModelShape;
use ruvsim_core::{ModelConfig, Precision, SamplerConfig, Shard};

use super::LineIssue;
use ruvsim_hw::calibration::Variant;
use ruvsim_hw::chip::KernelKind;
use ruvsim_hw::link::{
    EspNowConfig, EspNowVersion, LinkConfig, SpiConfig, SpiMode, SpiPins, UartConfig,
};
use ruvsim_hw::memory::{PsramMode, Region};

/// One `key=value` of an `H` record.
#[derive(Clone, Debug)]
pub struct HeaderField {
    /// Key.
    pub key: String,
    /// Value, escapes removed.
    pub value: String,
    /// Line it was on.
    pub line: usize,
    /// Whether the board had already printed events (a re-printed header, after a reset).
    pub after_events: bool,
}

/// What a board states about itself.
#[derive(Clone, Debug, PartialEq)]
pub struct BoardHeader {
    /// Board id.
    pub board: String,
    /// Chip of the scenario's cluster the board plays.
    pub chip: u32,
    /// Chip variant.
    pub variant: Variant,
    /// CPU clock.
    pub clock_mhz: u32,
    /// Cores the engine uses.
    pub cores: u32,
    /// Kernel implementation.
    pub kernel: KernelKind,
    /// Timestamp source (required once the board has timed events).
    pub clock: Option<ClockSource>,
    /// Measured on a board, or written by the simulator.
    pub origin: Origin,
    /// Where a published figure comes from.
    pub source: Option<String>,
    /// CRC-32 of the model file.
    pub model_crc32: u32,
    /// Model configuration.
    pub config: ModelConfig,
    /// The part of the model the board holds.
    pub partition: Shard,
    /// Where the weights live (`weights=`), when stated.
    pub weights: Option<Region>,
    /// Where the KV cache lives (`kv=`), when stated.
    pub kv_cache: Option<Region>,
    /// PSRAM interface and clock (`psram=quad@80`), when stated.
    pub psram: Option<(PsramMode, u32)>,
    /// Flash clock (`flash_mhz=`), when stated.
    pub flash_mhz: Option<u32>,
    /// The link the board's transfers use (`link=`), when stated.
    pub link: Option<LinkConfig>,
    /// The sampler (`sampler=T/K/P` in Q16.16 / count / Q16.16), when stated.
    pub sampler: Option<SamplerConfig>,
    /// Line of the first header field.
    pub line: usize,
}

/// Every header key, for "did you mean" suggestions.
const KEYS: [&str; 28] = [
    "v",
    "board",
    "chip",
    "variant",
    "clock_mhz",
    "cores",
    "kernel",
    "clock",
    "origin",
    "source",
    "model",
    "precision",
    "dim",
    "hidden",
    "layers",
    "heads",
    "kv_heads",
    "vocab",
    "seq_len",
    "shared",
    "attention",
    "partition",
    "weights",
    "kv",
    "psram",
    "flash_mhz",
    "link",
    "sampler",
];

/// Typed access to the merged fields, collecting every problem.
struct Fields<'a> {
    source: &'a str,
    fields: Vec<&'a HeaderField>,
    first_line: usize,
    issues: Vec<LineIssue>,
}

impl<'a> Fields<'a> {
    fn field(&self, key: &str) -> Option<&'a HeaderField> {
        self.fields.iter().copied().find(|f| f.key == key)
    }

    fn issue(&mut self, line: usize, reason: String) {
        self.issues.push(LineIssue { line, reason });
    }

    /// The value of `key`, with `convert` applied; records an issue if absent or invalid.
    fn required<T>(
        &mut self,
        key: &str,
        expected: &str,
        convert: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        match self.field(key) {
            Some(_) => self.optional(key, expected, convert),
            None => {
                let (line, source) = (self.first_line, self.source);
                self.issue(
                    line,
                    format!("header{} lacks `{key}=` ({expected})", describe(source)),
                );
                None
            }
        }
    }

    fn optional<T>(
        &mut self,
        key: &str,
        expected: &str,
        convert: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let field = self.field(key)?;
        let value = convert(&field.value);
        if value.is_none() {
            self.issue(
                field.line,
                format!("header field `{key}` = `{}` is not {expected}", field.value),
            );
        }
        value
    }

    fn number(&mut self, key: &str) -> Option<u32> {
        self.required(key, "a whole number", |v| v.parse().ok())
    }
}

fn describe(source: &str) -> String {
    if source.is_empty() {
        String::new()
    } else {
        format!(" of source `{source}`")
    }
}

/// Merges a source's `H` fields and types them.
pub fn build_header(source: &str, raw: &[HeaderField]) -> Result<BoardHeader, Vec<LineIssue>> {
    let first_line = raw.first().map_or(0, |f| f.line);
    let mut fields = Fields {
        source,
        fields: Vec::new(),
        first_line,
        issues: Vec::new(),
    };
    if raw.is_empty() {
        return Err(vec![LineIssue {
            line: 0,
            reason: format!(
                "source{} printed trace events but no header (`H` records)",
                describe(source)
            ),
        }]);
    }
    for field in raw {
        if !KEYS.contains(&field.key.as_str()) {
            let nearest = KEYS
                .iter()
                .min_by_key(|k| strsim::levenshtein(k, &field.key))
                .copied()
                .unwrap_or_default();
            fields.issue(
                field.line,
                format!(
                    "unknown header field `{}` (did you mean `{nearest}`?)",
                    field.key
                ),
            );
            continue;
        }
        match fields.field(&field.key) {
            Some(earlier) if earlier.value == field.value => {}
            Some(earlier) => {
                let reason = if field.after_events {
                    format!(
                        "header field `{}` changed from `{}` (line {}) to `{}` after events \
                         (board reset?); split the trace at the reset",
                        field.key, earlier.value, earlier.line, field.value
                    )
                } else {
                    format!(
                        "header field `{}` given twice with different values (`{}` on line {})",
                        field.key, earlier.value, earlier.line
                    )
                };
                fields.issue(field.line, reason);
            }
            None => fields.fields.push(field),
        }
    }
    fields.required("v", "the format version", |v| {
        (v == FORMAT_VERSION.to_string()).then_some(())
    });
    let board = fields.required("board", "the board id", |v| {
        (!v.is_empty()).then(|| v.to_string())
    });
    let chip = fields.number("chip");
    let variant = fields.required(
        "variant",
        "a chip variant (esp32, esp32s2, esp32s3, esp32c3, esp32c6)",
        |v| v.parse::<Variant>().ok(),
    );
    let clock_mhz = fields.number("clock_mhz");
    let cores = fields.number("cores");
    let kernel = fields.required("kernel", "plain_c or optimized", |v| match v {
        "plain_c" => Some(KernelKind::PlainC),
        "optimized" => Some(KernelKind::Optimized),
        _ => None,
    });
    let clock = fields.optional(
        "clock",
        "esp_timer, ccount or mcycle",
        ClockSource::from_name,
    );
    let origin = fields.required("origin", "measured or synthetic", Origin::from_name);
    let source_text = fields.field("source").map(|f| f.value.clone());
    let model_crc32 = fields.required("model", "crc32:<8 hex digits>", |v| {
        v.strip_prefix("crc32:")
            .filter(|hex| hex.len() == 8)
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
    });
    let config = model_config(&mut fields);
    let partition = fields.required(
        "partition",
        "a partition such as embed,layers:0..5,heads:0..8,units:0..172,vocab:0..512",
        parse_partition,
    );
    let weights = fields.optional("weights", "sram, psram, flash or sd", region);
    let kv_cache = fields.optional("kv", "sram or psram", region);
    let psram = fields.optional("psram", "quad@MHZ or octal@MHZ", |v| {
        let (mode, mhz) = v.split_once('@')?;
        let mode = match mode {
            "quad" => PsramMode::Quad,
            "octal" => PsramMode::Octal,
            _ => return None,
        };
        Some((mode, mhz.parse().ok()?))
    });
    let flash_mhz = fields.optional("flash_mhz", "a whole number", |v| v.parse().ok());
    let link = fields.optional(
        "link",
        "spi:MHZ:LINES:MODE, uart:BAUD or espnow:v1|v2",
        parse_link,
    );
    let sampler = fields.optional("sampler", "TEMPERATURE_Q16/TOP_K/TOP_P_Q16", |v| {
        let mut parts = v.split('/').map(|p| p.parse::<u32>().ok());
        let sampler = SamplerConfig {
            temperature_q16: parts.next()??,
            top_k: parts.next()??,
            top_p_q16: parts.next()??,
        };
        parts.next().is_none().then_some(sampler)
    });
    let issues = fields.issues;
    match (
        board,
        chip,
        variant,
        clock_mhz,
        cores,
        kernel,
        origin,
        model_crc32,
        config,
        partition,
    ) {
        (
            Some(board),
            Some(chip),
            Some(variant),
            Some(clock_mhz),
            Some(cores),
            Some(kernel),
            Some(origin),
            Some(model_crc32),
            Some(config),
            Some(partition),
        ) if issues.is_empty() => Ok(BoardHeader {
            board,
            chip,
            variant,
            clock_mhz,
            cores,
            kernel,
            clock,
            origin,
            source: source_text,
            model_crc32,
            config,
            partition,
            weights,
            kv_cache,
            psram,
            flash_mhz,
            link,
            sampler,
            line: first_line,
        }),
        _ => Err(issues),
    }
}

fn model_config(fields: &mut Fields<'_>) -> Option<ModelConfig> {
    let precision = fields.required("precision", "f32, int8, int4 or binary", |name| {
        name.parse::<Precision>().ok()
    });
    let dim = fields.number("dim");
    let hidden = fields.number("hidden");
    let layers = fields.number("layers");
    let heads = fields.number("heads");
    let kv_heads = fields.number("kv_heads");
    let vocab = fields.number("vocab");
    let seq_len = fields.number("seq_len");
    let shared = fields.required("shared", "0 or 1", |v| match v {
        "0" => Some(false),
        "1" => Some(true),
        _ => None,
    });
    let attention = fields.required(
        "attention",
        "full, window:W, strided:S:L, dilated:W:D or bigbird:G:W:R:SEED",
        parse_attention,
    );
    let config = ModelConfig {
        shape: ModelShape {
            dim: dim?,
            hidden_dim: hidden?,
            n_layers: layers?,
            n_heads: heads?,
            n_kv_heads: kv_heads?,
            vocab_size: vocab?,
            seq_len: seq_len?,
            shared_classifier: shared?,
        },
        precision: precision?,
        attention: attention?,
    };
    if let Err(e) = config.validate() {
        let line = fields.field("dim").map_or(fields.first_line, |f| f.line);
        fields.issue(line, format!("header model configuration is invalid: {e}"));
        return None;
    }
    Some(config)
}

fn region(text: &str) -> Option<Region> {
    match text {
        "sram" => Some(Region::Sram),
        "psram" => Some(Region::Psram),
        "flash" => Some(Region::Flash),
        "sd" => Some(Region::SdCard),
        _ => None,
    }
}

/// The header spelling of a region.
pub fn region_spelling(region: Region) -> &'static str {
    match region {
        Region::Sram => "sram",
        Region::Psram => "psram",
        Region::Flash => "flash",
        Region::SdCard => "sd",
    }
}

/// Reads `spi:40:2:polling_dma`, `uart:115200` or `espnow:v1`.
pub fn parse_link(text: &str) -> Option<LinkConfig> {
    let parts: Vec<&str> = text.split(':').collect();
    match parts.as_slice() {
        ["spi", mhz, lines, mode] => Some(LinkConfig::Spi(SpiConfig {
            clock_mhz: mhz.parse().ok().filter(|v: &f64| v.is_finite())?,
            lines: lines.parse().ok()?,
            mode: match *mode {
                "interrupt_dma" => SpiMode::InterruptDma,
                "interrupt_cpu" => SpiMode::InterruptCpu,
                "polling_dma" => SpiMode::PollingDma,
                "polling_cpu" => SpiMode::PollingCpu,
                _ => return None,
            },
            pins: SpiPins::Iomux,
        })),
        ["uart", baud] => Some(LinkConfig::Uart(UartConfig {
            baud: baud.parse().ok()?,
        })),
        ["espnow", version] => Some(LinkConfig::EspNow(EspNowConfig {
            version: match *version {
                "v1" => EspNowVersion::V1,
                "v2" => EspNowVersion::V2,
                _ => return None,
            },
            loss: 0.0,
            max_attempts: 1,
        })),
        _ => None,
    }
}

/// The header spelling of a link (the inverse of [`parse_link`]).
pub fn link_spelling(link: &LinkConfig) -> String {
    match link {
        LinkConfig::Spi(spi) => {
            let mode = match spi.mode {
                SpiMode::InterruptDma => "interrupt_dma",
                SpiMode::InterruptCpu => "interrupt_cpu",
                SpiMode::PollingDma => "polling_dma",
                SpiMode::PollingCpu => "polling_cpu",
            };
            format!("spi:{}:{}:{mode}", spi.clock_mhz, spi.lines)
        }
        LinkConfig::Uart(uart) => format!("uart:{}", uart.baud),
        LinkConfig::EspNow(radio) => match radio.version {
            EspNowVersion::V1 => "espnow:v1".into(),
            EspNowVersion::V2 => "espnow:v2".into(),
        },
    }
}
