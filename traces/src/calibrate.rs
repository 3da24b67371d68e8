//! Fitting the chip model's coefficients to traces by non-negative least squares.
//!
//! The chip model is linear in its coefficients (see [`ruvsim_hw::chip`], [`ruvsim_hw::memory`],
//! [`ruvsim_hw::link`]), so every timed phase and every SPI transmission is one equation:
//! - a phase: `duration = sum over op classes (count x cycles_per_op) / (clock x speed-up) + sum
//!   over streamed transfers ((bytes + cache line) x 8 / (bus clock x bits per clock)) /
//!   efficiency`, with unknowns `cycles.<kernel>.<class>` and `1 / memory.<region>.efficiency`
//!   and counts from the core's closed-form `predict` for the phase at its position;
//! - an SPI transmission: `duration - data phase = transactions x overhead` — unknown
//!   `links.spi.overhead_us.<mode>`.
//!
//! Rows are weighted by `1 / measured duration`, so the fit minimises relative error. The
//! two-core speed-up, bus widths, cache lines and transaction limits are not fitted: they come
//! from the variant's built-in table (the report says so). Columns with no signal or that are
//! linear combinations of others (the traces cannot tell them apart) are reported as not
//! determined and left out of the written file; so are fitted values the calibration refuses
//! (an efficiency above 1) or that the bound drove to zero.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ruvsim_core::{OpCounts, Phase, Precision, SamplerConfig};
use serde::Serialize;

use super::nnls::{nnls, undetermined_columns, Matrix};
use super::{BoardTrace, Trace, TraceError};
use ruvsim_hw::calibration::{Calibration, Variant};
use ruvsim_hw::chip::KernelKind;
use ruvsim_hw::link::{LinkConfig, LinkModel, SpiMode};
use ruvsim_hw::memory::{PsramMode, Region};
use ruvsim_sim::kernel::Kernel;

/// What a coefficient's fitted value became.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
pub enum Status {
    /// Determined and written to the calibration file.
    Fitted,
    /// The traces hold no signal for it.
    NoSignal,
    /// The traces cannot separate it from other coefficients.
    Confounded,
    /// Fitted, but not written (why).
    Rejected(String),
}

/// One coefficient of the fit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Coefficient {
    /// Calibration key (`cycles.optimized.mac_i8`).
    pub key: String,
    /// The value in the calibration's unit (cycles, fraction, microseconds).
    pub value: f64,
    /// The built-in table's value.
    pub builtin: f64,
    /// Outcome.
    pub status: Status,
}

/// The result of a fit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fit {
    /// Variant fitted.
    pub variant: Variant,
    /// Trace files used.
    pub files: Vec<String>,
    /// Equations from phases.
    pub phase_rows: usize,
    /// Equations from transmissions.
    pub link_rows: usize,
    /// Every coefficient the traces touch.
    pub coefficients: Vec<Coefficient>,
    /// Root mean square of the relative residuals, percent.
    pub residual_rms_pct: f64,
    /// Largest relative residual, percent.
    pub residual_max_pct: f64,
    /// Mean absolute relative residual per phase kind (and `link`), percent.
    pub residual_by_kind: Vec<(String, f64)>,
    /// What was assumed or left out, in words.
    pub notes: Vec<String>,
}

/// The column of an unknown and how its fitted value maps to the calibration entry.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Unknown {
    /// Cycles per operation: the coefficient is the entry.
    Cycles(String),
    /// `1 / efficiency` of a bus.
    InverseEfficiency(String),
    /// Per-transaction overhead in microseconds.
    OverheadUs(String),
}

impl Unknown {
    fn key(&self) -> &str {
        match self {
            Unknown::Cycles(k) | Unknown::InverseEfficiency(k) | Unknown::OverheadUs(k) => k,
        }
    }

    /// The entry's value for fitted coefficient `x`.
    fn entry(&self, x: f64) -> f64 {
        match self {
            Unknown::InverseEfficiency(_) if x > 0.0 => 1.0 / x,
            Unknown::InverseEfficiency(_) => f64::INFINITY,
            _ => x,
        }
    }
}

/// One equation: terms (unknown, coefficient of it), target, its kind for the residual report.
struct Row {
    terms: Vec<(Unknown, f64)>,
    target_ps: f64,
    kind: String,
}

/// The calibration keys of each op class for a precision and kernel.
fn op_terms(counts: &OpCounts, precision: Precision, kernel: KernelKind) -> [(String, u64); 7] {
    let table = match kernel {
        KernelKind::PlainC => "cycles.plain_c",
        KernelKind::Optimized => "cycles.optimized",
    };
    let float = precision == Precision::F32;
    let class = |name: &str| format!("{table}.{name}");
    [
        (class("mac_f32"), counts.mac_f32),
        (class("mac_i8"), counts.mac_i8),
        (class("mac_i4"), counts.mac_i4),
        (class("xnor_word"), counts.xnor_words),
        (
            class(if float {
                "attn_mac_f32"
            } else {
                "attn_mac_int"
            }),
            counts.attn_mac,
        ),
        (class("lut"), counts.lut),
        (
            class(if float {
                "elementwise_f32"
            } else {
                "elementwise_int"
            }),
            counts.elementwise,
        ),
    ]
}

/// The bus a region streams over on this board: calibration prefix, clock, bits per clock,
/// cache line.
fn bus_of(
    region: Region,
    board: &BoardTrace,
    calibration: &Calibration,
) -> Result<Option<(String, u32, u32, u32)>, String> {
    let h = &board.header;
    match region {
        Region::Sram => Ok(None),
        Region::SdCard => Err(
            "an SD card streams beside compute (their times overlap, which a \
                               linear fit cannot express)"
                .into(),
        ),
        Region::Flash => {
            let clock = h.flash_mhz.ok_or("its header lacks `flash_mhz=`")?;
            let bus = calibration.memory.flash;
            Ok(Some((
                "memory.flash".into(),
                clock,
                bus.bits_per_clock,
                bus.cache_line_bytes,
            )))
        }
        Region::Psram => {
            let (mode, clock) = h.psram.ok_or("its header lacks `psram=quad@MHZ`")?;
            let psram = calibration
                .memory
                .psram
                .ok_or(format!("{} has no PSRAM", h.variant))?;
            let (name, bus) = match mode {
                PsramMode::Quad => ("quad", psram.quad),
                PsramMode::Octal => (
                    "octal",
                    psram
                        .octal
                        .ok_or(format!("{} has no octal PSRAM", h.variant))?,
                ),
            };
            Ok(Some((
                format!("memory.psram.{name}"),
                clock,
                bus.bits_per_clock,
                bus.cache_line_bytes,
            )))
        }
    }
}

/// The equations of one board's phases.
fn phase_rows(
    board: &BoardTrace,
    calibration: &Calibration,
    notes: &mut Vec<String>,
) -> Result<Vec<Row>, TraceError> {
    let h = &board.header;
    if board.phases.is_empty() {
        return Ok(Vec::new());
    }
    let (Some(weights), Some(kv)) = (h.weights, h.kv_cache) else {
        notes.push(format!(
            "board `{}`: phases not used, its header lacks `weights=` and `kv=` (where memory \
             time comes from)",
            h.board
        ));
        return Ok(Vec::new());
    };
    let buses = [weights, kv].map(|region| bus_of(region, board, calibration));
    let (weights_bus, kv_bus) = match buses {
        [Ok(w), Ok(k)] => (w, k),
        [Err(reason), _] | [_, Err(reason)] => {
            notes.push(format!("board `{}`: phases not used: {reason}", h.board));
            return Ok(Vec::new());
        }
    };
    let speedup = if h.cores == 1 {
        1.0
    } else {
        f64::from(h.cores) * f64::from(calibration.cpu.parallel_efficiency_ppm) / 1e6
    };
    let clock_hz = f64::from(h.clock_mhz) * 1e6;
    let sampler = h.sampler;
    let mut rows = Vec::new();
    let mut skipped_samples = 0;
    for span in &board.phases {
        let kernel = Kernel::Phase(span.phase);
        let sampler = match (kernel, sampler) {
            (Kernel::Phase(Phase::Sample), None) => {
                skipped_samples += 1;
                continue;
            }
            (_, Some(sampler)) => sampler,
            // Only sampling depends on the sampler.
            (_, None) => SamplerConfig::GREEDY,
        };
        let counts = kernel.predict(&h.config, sampler, span.pos).map_err(|e| {
            TraceError::Invalid(format!(
                "board `{}` line {}: phase cannot be priced: {e}",
                h.board, span.line
            ))
        })?;
        let mut terms: Vec<(Unknown, f64)> = op_terms(&counts, h.config.precision, h.kernel)
            .into_iter()
            .map(|(key, count)| {
                (
                    Unknown::Cycles(key),
                    count as f64 * 1e12 / (clock_hz * speedup),
                )
            })
            .collect();
        let streams = [
            (&weights_bus, counts.weight_bytes),
            (&kv_bus, counts.kv_read_bytes + counts.kv_write_bytes),
        ];
        for (bus, bytes) in streams {
            if let (Some((prefix, clock, bits, line)), true) = (bus, bytes > 0) {
                // One fill per cache line, each taking data(line) / efficiency clocks (the trace
                // header does not state the line size, so the table's is assumed).
                let bits_moved = (bytes.div_ceil(u64::from(*line)) * u64::from(*line)) as f64 * 8.0;
                let rate = f64::from(*clock) * 1e6 * f64::from(*bits);
                terms.push((
                    Unknown::InverseEfficiency(format!("{prefix}.efficiency")),
                    bits_moved * 1e12 / rate,
                ));
            }
        }
        rows.push(Row {
            terms,
            target_ps: span.duration.as_ps() as f64,
            kind: span.phase.name().to_string(),
        });
    }
    if skipped_samples > 0 {
        notes.push(format!(
            "board `{}`: {skipped_samples} sample phase(s) not used, its header lacks `sampler=`",
            h.board
        ));
    }
    Ok(rows)
}

/// The equations of one board's SPI transmissions.
fn link_rows(
    board: &BoardTrace,
    calibration: &Calibration,
    notes: &mut Vec<String>,
) -> Result<Vec<Row>, TraceError> {
    let h = &board.header;
    if board.transmits.is_empty() {
        return Ok(Vec::new());
    }
    let spi = match &h.link {
        Some(LinkConfig::Spi(spi)) => spi.clone(),
        Some(_) => {
            notes.push(format!(
                "board `{}`: transmissions not used, only SPI per-transaction overheads are \
                 fitted (UART has none; ESP-NOW's comes from a measured throughput)",
                h.board
            ));
            return Ok(Vec::new());
        }
        None => {
            notes.push(format!(
                "board `{}`: transmissions not used, its header lacks `link=`",
                h.board
            ));
            return Ok(Vec::new());
        }
    };
    let model = LinkModel::new(&LinkConfig::Spi(spi.clone()), calibration, calibration)
        .map_err(|e| TraceError::Invalid(format!("board `{}`: link: {e}", h.board)))?;
    let mode = match spi.mode {
        SpiMode::InterruptDma => "interrupt_dma",
        SpiMode::InterruptCpu => "interrupt_cpu",
        SpiMode::PollingDma => "polling_dma",
        SpiMode::PollingCpu => "polling_cpu",
    };
    let mut rows = Vec::new();
    for tx in &board.transmits {
        let timing = model
            .transfer_time(u64::from(tx.bytes))
            .map_err(|e| TraceError::Invalid(format!("board `{}`: link: {e}", h.board)))?;
        rows.push(Row {
            terms: vec![(
                Unknown::OverheadUs(format!("links.spi.overhead_us.{mode}")),
                timing.transactions as f64 * 1e6,
            )],
            target_ps: tx.duration.as_ps() as f64 - timing.data.as_ps() as f64,
            kind: "link".into(),
        });
    }
    Ok(rows)
}

/// Fits the coefficients of `variant` (or the one variant the traces hold) to `traces`.
pub fn fit(traces: &[Trace], variant: Option<Variant>) -> Result<Fit, TraceError> {
    let boards: Vec<&BoardTrace> = traces.iter().flat_map(|t| &t.boards).collect();
    let mut variants: Vec<Variant> = boards.iter().map(|b| b.header.variant).collect();
    variants.sort();
    variants.dedup();
    let variant = match (variant, variants.as_slice()) {
        (Some(v), _) if variants.contains(&v) => v,
        (Some(v), found) => {
            return Err(TraceError::Invalid(format!(
                "no board in the traces is a {v} (found: {})",
                names(found)
            )))
        }
        (None, [one]) => *one,
        (None, found) => {
            return Err(TraceError::Invalid(format!(
                "the traces hold boards of several variants ({}); choose one with --variant",
                names(found)
            )))
        }
    };
    let calibration = Calibration::builtin(variant);
    let mut notes = vec![format!(
        "not fitted, taken from the built-in {variant} table: two-core parallel efficiency {}, bus \
         widths and cache lines, SPI transaction limits",
        f64::from(calibration.cpu.parallel_efficiency_ppm) / 1e6
    )];
    let mut rows = Vec::new();
    let mut link_count = 0;
    for board in boards.iter().filter(|b| b.header.variant == variant) {
        rows.extend(phase_rows(board, &calibration, &mut notes)?);
        let links = link_rows(board, &calibration, &mut notes)?;
        link_count += links.len();
        rows.extend(links);
    }
    rows.retain(|row| row.target_ps > 0.0);
    if rows.is_empty() {
        return Err(TraceError::Invalid(
            "the traces hold no timed phases or SPI transmissions to fit (a summary-only trace \
             cannot calibrate per-operation costs)"
                .into(),
        ));
    }
    let unknowns: Vec<Unknown> = {
        let mut all: Vec<Unknown> = rows
            .iter()
            .flat_map(|r| r.terms.iter().map(|(u, _)| u.clone()))
            .collect();
        all.sort();
        all.dedup();
        all
    };
    let index: BTreeMap<&Unknown, usize> =
        unknowns.iter().enumerate().map(|(i, u)| (u, i)).collect();
    let matrix_rows: Vec<Vec<f64>> = rows
        .iter()
        .map(|row| {
            let mut dense = vec![0.0; unknowns.len()];
            for (unknown, value) in &row.terms {
                dense[index[unknown]] += value / row.target_ps;
            }
            dense
        })
        .collect();
    let a = Matrix::from_rows(&matrix_rows, unknowns.len())
        .map_err(|e| TraceError::Invalid(e.to_string()))?;
    // Scale columns to unit norm so the solver and the rank test see comparable columns.
    let norms: Vec<f64> = (0..a.cols()).map(|j| a.column_norm(j)).collect();
    let scaled_rows: Vec<Vec<f64>> = matrix_rows
        .iter()
        .map(|r| {
            r.iter()
                .zip(&norms)
                .map(|(v, n)| if *n > 0.0 { v / n } else { 0.0 })
                .collect()
        })
        .collect();
    let scaled = Matrix::from_rows(&scaled_rows, unknowns.len())
        .map_err(|e| TraceError::Invalid(e.to_string()))?;
    let ones = vec![1.0; rows.len()];
    let solution = nnls(&scaled, &ones).map_err(|e| TraceError::Invalid(e.to_string()))?;
    let x: Vec<f64> = solution
        .iter()
        .zip(&norms)
        .map(|(s, n)| if *n > 0.0 { s / n } else { 0.0 })
        .collect();
    let (no_signal, confounded) = undetermined_columns(&a);
    let predicted = a.times(&x);
    let residuals: Vec<f64> = predicted.iter().map(|p| (p - 1.0) * 100.0).collect();
    let mut by_kind: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (row, r) in rows.iter().zip(&residuals) {
        by_kind.entry(row.kind.clone()).or_default().push(r.abs());
    }
    let coefficients = unknowns
        .iter()
        .enumerate()
        .map(|(j, unknown)| {
            coefficient(
                unknown,
                x[j],
                &calibration,
                no_signal.contains(&j),
                confounded.contains(&j),
            )
        })
        .collect();
    let files = traces.iter().map(|t| t.origin.clone()).collect();
    Ok(Fit {
        variant,
        files,
        phase_rows: rows.len() - link_count,
        link_rows: link_count,
        coefficients,
        residual_rms_pct: (residuals.iter().map(|r| r * r).sum::<f64>() / residuals.len() as f64)
            .sqrt(),
        residual_max_pct: residuals.iter().fold(0.0, |m, r| m.max(r.abs())),
        residual_by_kind: by_kind
            .into_iter()
            .map(|(kind, r)| (kind, r.iter().sum::<f64>() / r.len() as f64))
            .collect(),
        notes,
    })
}

fn names(variants: &[Variant]) -> String {
    variants
        .iter()
        .map(|v| v.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The outcome for one unknown: its entry value and whether it may be written.
fn coefficient(
    unknown: &Unknown,
    x: f64,
    calibration: &Calibration,
    no_signal: bool,
    confounded: bool,
) -> Coefficient {
    let key = unknown.key().to_string();
    let builtin = calibration
        .entry(&key)
        .map(|e| match &e.value {
            ruvsim_hw::calibration::Value::Integer(v) => *v as f64,
            ruvsim_hw::calibration::Value::Float(v) => *v,
            _ => f64::NAN,
        })
        .unwrap_or(f64::NAN);
    let value = unknown.entry(x);
    let status = if no_signal {
        Status::NoSignal
    } else if confounded {
        Status::Confounded
    } else if x <= 0.0 {
        Status::Rejected("the non-negativity bound drove it to zero: the traces favour no cost at all, which is not physical".into())
    } else if matches!(unknown, Unknown::InverseEfficiency(_)) && value > 1.0 {
        Status::Rejected(format!("implies a bus efficiency of {value:.3}, above 1: the phases are faster than the bus allows, so the memory placement or bus clock in the header is probably wrong"))
    } else {
        Status::Fitted
    };
    Coefficient {
        key,
        value,
        builtin,
        status,
    }
}

impl Fit {
    /// The calibration file: the fitted entries as overrides (`ruvsim run --calibration FILE`,
    /// or a scenario's `[calibration] file = ...`), with comments on the fit.
    pub fn to_toml(&self) -> String {
        let source = format!("fitted by ruvsim calibrate from {}", self.files.join(", "));
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# Calibration overrides for {} {source}.",
            self.variant
        );
        let _ = writeln!(
            out,
            "# {} phase and {} transmission equation(s); relative residuals: RMS {:.4}%, max {:.4}%.",
            self.phase_rows, self.link_rows, self.residual_rms_pct, self.residual_max_pct
        );
        for c in self
            .coefficients
            .iter()
            .filter(|c| c.status != Status::Fitted)
        {
            let why = match &c.status {
                Status::NoSignal => "no signal in the traces".to_string(),
                Status::Confounded => {
                    "cannot be separated from other coefficients by these traces".to_string()
                }
                Status::Rejected(reason) => reason.clone(),
                Status::Fitted => String::new(),
            };
            let _ = writeln!(
                out,
                "# not written: {} ({why}); the built-in value stays",
                c.key
            );
        }
        let mut sections: BTreeMap<&str, Vec<&Coefficient>> = BTreeMap::new();
        for c in self
            .coefficients
            .iter()
            .filter(|c| c.status == Status::Fitted)
        {
            let (section, _) = c.key.rsplit_once('.').unwrap_or(("", &c.key));
            sections.entry(section).or_default().push(c);
        }
        let quoted = toml::Value::String(source.clone()).to_string();
        for (section, entries) in sections {
            let _ = writeln!(out, "\n[{section}]");
            for c in entries {
                let leaf = c.key.rsplit_once('.').map_or(c.key.as_str(), |(_, l)| l);
                let _ = writeln!(out, "{leaf} = {{ value = {}, source = {quoted} }}", c.value);
            }
        }
        out
    }

    /// The coefficient for `key`, if the traces touched it.
    pub fn coefficient(&self, key: &str) -> Option<&Coefficient> {
        self.coefficients.iter().find(|c| c.key == key)
    }
}
