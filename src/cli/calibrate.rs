//! `ruvsim calibrate`: fits the chip model's coefficients to traces and writes them as a
//! calibration file that `ruvsim run --calibration FILE` and scenarios' `[calibration] file = ...`
//! accept, reporting the fit's residuals and what the traces could not determine.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use ruvsim_hw::calibration::{Calibration, Variant};
use ruvsim_traces::calibrate::{fit, Status};
use ruvsim_traces::read_trace;

/// Arguments of `ruvsim calibrate`.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  \
    ruvsim calibrate --trace board0.trace --trace board1.trace --variant esp32s3 -o fitted.toml\n  \
    ruvsim run scenarios/pipeline5.toml --calibration fitted.toml")]
pub struct CalibrateArgs {
    /// A trace with timed phases or SPI transmissions; repeat for several.
    #[arg(long = "trace", value_name = "FILE", required = true)]
    traces: Vec<PathBuf>,
    /// The chip variant to fit (needed when the traces hold several).
    #[arg(long, value_name = "V")]
    variant: Option<String>,
    /// The calibration file to write.
    #[arg(
        short = 'o',
        long = "output",
        visible_alias = "out",
        value_name = "CALIBRATION.toml"
    )]
    output: PathBuf,
}

/// Fits, prints the coefficients and residuals, writes the file.
pub fn run(args: &CalibrateArgs) -> anyhow::Result<()> {
    let variant = args
        .variant
        .as_deref()
        .map(str::parse::<Variant>)
        .transpose()?;
    let traces = args
        .traces
        .iter()
        .map(|path| read_trace(path))
        .collect::<Result<Vec<_>, _>>()?;
    let fitted = fit(&traces, variant)?;
    let text = fitted.to_toml();
    // The file must load as the simulator will load it.
    let mut check = Calibration::builtin(fitted.variant);
    check
        .apply_overrides(&text, &args.output.display().to_string())
        .context("the fitted calibration does not load")?;
    std::fs::write(&args.output, &text)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    println!(
        "{} fitted from {} phase and {} transmission equation(s)",
        fitted.variant, fitted.phase_rows, fitted.link_rows
    );
    println!(
        "  {:<40} {:>12} {:>12}  status",
        "coefficient", "fitted", "built-in"
    );
    for c in &fitted.coefficients {
        let status = match &c.status {
            Status::Fitted => "written".to_string(),
            Status::NoSignal => "not determined: no signal in the traces".to_string(),
            Status::Confounded => {
                "not determined: cannot be separated from other coefficients".to_string()
            }
            Status::Rejected(reason) => format!("not written: {reason}"),
        };
        let value = if matches!(c.status, Status::NoSignal | Status::Confounded) {
            "-".to_string()
        } else {
            format!("{:.4}", c.value)
        };
        println!(
            "  {:<40} {:>12} {:>12.4}  {status}",
            c.key, value, c.builtin
        );
    }
    println!(
        "residuals (relative): RMS {:.4}%, max {:.4}%",
        fitted.residual_rms_pct, fitted.residual_max_pct
    );
    for (kind, mean) in &fitted.residual_by_kind {
        println!("  {kind}: mean |residual| {mean:.4}%");
    }
    for note in &fitted.notes {
        println!("note: {note}");
    }
    if !fitted
        .coefficients
        .iter()
        .any(|c| c.status == Status::Fitted)
    {
        bail!(
            "no coefficient could be determined from these traces; {} written without entries",
            args.output.display()
        );
    }
    println!("calibration: {}", args.output.display());
    Ok(())
}
