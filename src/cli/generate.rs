//! `ruvsim generate`: runs a model on this host, llama2.c-style, and reports its speed.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, ensure, Context};
use clap::Args;
use ruvsim_core::model_file::{load_model_file, read_tokenizer, ModelBytes};
use ruvsim_core::synthetic::synthetic_model;
use ruvsim_core::tokenizer::{Tokenizer, BOS};
use ruvsim_core::{generate, Model, OwnedWorkspace, Precision, Sampler, SamplerConfig, Shard};

use crate::cli::named_values;
use crate::cli::synthetic_shape::SyntheticShape;

/// One in Q16.16, the fixed-point format of the sampler's parameters.
const Q16_ONE: f64 = 65536.0;

/// Arguments of `ruvsim generate`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    ruvsim generate --model stories260K-int8.ruvm --tokenizer tok512.bin --prompt \"Once upon a time\" --steps 64\n  \
    ruvsim generate --model stories260K.bin --precision int4 --tokenizer tok512.bin --prompt \"Lily\" --steps 64 --temperature 0\n  \
    ruvsim generate --synthetic dim=64,hidden=172,layers=5,heads=8,kv_heads=4,vocab=512,seq=512 --seed 7 --steps 32")]
pub struct GenerateArgs {
    /// A ruvsim model file, or a llama2.c checkpoint (recognised by the absence of the ruvsim
    /// magic) which is quantised on the fly to --precision.
    #[arg(long, value_name = "FILE", required_unless_present = "synthetic")]
    model: Option<PathBuf>,
    /// A synthetic model of this shape with weights drawn from --seed, e.g.
    /// dim=64,hidden=172,layers=5,heads=8,kv_heads=4,vocab=512,seq=512[,shared=true]
    /// (the classifier is separate unless shared=true).
    #[arg(long, value_name = "SHAPE", conflicts_with = "model")]
    synthetic: Option<SyntheticShape>,
    /// Precision for a llama2.c checkpoint or a synthetic model [default: f32]. A ruvsim model
    /// file keeps its own precision.
    #[arg(long, value_parser = named_values::<Precision>(&Precision::ALL.map(Precision::name)))]
    precision: Option<Precision>,
    /// llama2.c tokenizer (e.g. tok512.bin). Without one, token ids are printed instead of text.
    #[arg(long, value_name = "PATH")]
    tokenizer: Option<PathBuf>,
    /// Text to start from (needs --tokenizer). Without it, generation starts from BOS alone.
    #[arg(long, value_name = "TEXT")]
    prompt: Option<String>,
    /// Positions to run, prompt included (llama2.c's -n); at most the model's seq_len. With a
    /// tokenizer, generation also stops when the model emits BOS, as llama2.c does.
    #[arg(long, value_name = "N")]
    steps: u32,
    /// Softmax temperature; 0 is greedy (argmax).
    #[arg(
        long,
        value_name = "T",
        default_value_t = 1.0,
        allow_negative_numbers = true
    )]
    temperature: f64,
    /// Nucleus sampling: keep the most likely tokens up to this probability mass, in (0, 1].
    #[arg(
        long,
        value_name = "P",
        default_value_t = 1.0,
        allow_negative_numbers = true
    )]
    top_p: f64,
    /// Sample among the K most likely tokens only; 0 means all (with --top-p below 1, the
    /// nucleus is then taken over the whole vocabulary).
    #[arg(long, value_name = "K", default_value_t = 0)]
    top_k: u32,
    /// Seed of the sampler's random stream, and of the weights of a --synthetic model.
    #[arg(long, value_name = "S", default_value_t = 0, allow_negative_numbers = true, value_parser = crate::cli::seed_value)]
    seed: u64,
}

/// Loads the model and tokenizer, generates, and prints the text (or token ids) to stdout and
/// the speed to stderr.
pub fn run(args: &GenerateArgs) -> anyhow::Result<()> {
    let precision = args.precision;
    let source = match (&args.model, &args.synthetic) {
        (Some(path), None) => load_model_file(path, precision)?,
        (None, Some(shape)) => synthetic(shape, precision.unwrap_or(Precision::F32), args.seed)?,
        _ => bail!("give exactly one of --model and --synthetic"),
    };
    let model = Model::parse(&source.bytes)
        .with_context(|| format!("{} is not a valid model", source.origin))?;
    let config = *model.config();
    let tokenizer = args
        .tokenizer
        .as_deref()
        .map(|path| read_tokenizer(path, config.shape.vocab_size))
        .transpose()?;
    let prompt = prompt_tokens(tokenizer.as_ref(), args.prompt.as_deref())?;
    ensure!(
        (1..=config.shape.seq_len).contains(&args.steps),
        "--steps {} is outside 1..={} (the model's seq_len)",
        args.steps,
        config.shape.seq_len
    );
    ensure!(
        prompt.len() as u64 <= u64::from(args.steps),
        "the prompt is {} tokens (BOS included), more than --steps {}",
        prompt.len(),
        args.steps
    );
    let mut sampler = Sampler::new(sampler_config(args, config.shape.vocab_size)?, args.seed);
    // BOS delimits sequences of text (llama2.c stops there); token ids without a tokenizer have
    // no such meaning, so a run without one always takes every step.
    let stop_token = tokenizer.is_some().then_some(BOS);
    let mut workspace = OwnedWorkspace::new(&config, &Shard::whole(&config), args.steps)
        .context("cannot allocate the workspace")?;
    let start = Instant::now();
    let generation = generate(
        &model,
        &mut workspace,
        &prompt,
        args.steps,
        &mut sampler,
        stop_token,
    )?;
    let seconds = start.elapsed().as_secs_f64();

    match &tokenizer {
        Some(tokenizer) => println!("{}", tokenizer.decode(&generation.tokens)?),
        None => {
            let ids: Vec<String> = generation.tokens.iter().map(u32::to_string).collect();
            println!("{}", ids.join(" "));
        }
    }
    if generation.stopped {
        eprintln!("stopped: the model chose BOS (end of sequence)");
    }
    eprintln!(
        "{} positions in {:.3} s: {:.1} tokens/s on this host ({})",
        generation.positions,
        seconds,
        f64::from(generation.positions) / seconds.max(f64::MIN_POSITIVE),
        source.origin
    );
    Ok(())
}

/// BOS followed by the encoded prompt, as llama2.c starts a sequence.
fn prompt_tokens(tokenizer: Option<&Tokenizer>, prompt: Option<&str>) -> anyhow::Result<Vec<u32>> {
    match (tokenizer, prompt) {
        (Some(tokenizer), Some(text)) => Ok(tokenizer.encode(text, true, false)),
        (None, Some(_)) => bail!("--prompt needs --tokenizer to encode the text"),
        (_, None) => Ok(vec![BOS]),
    }
}

/// Converts the sampling arguments to the core's fixed-point [`SamplerConfig`].
fn sampler_config(args: &GenerateArgs, vocab_size: u32) -> anyhow::Result<SamplerConfig> {
    ensure!(
        args.temperature.is_finite() && args.temperature >= 0.0,
        "--temperature {} must be a finite number >= 0",
        args.temperature
    );
    let temperature = (args.temperature * Q16_ONE).round();
    ensure!(
        temperature <= f64::from(u32::MAX),
        "--temperature {} is too large (at most {})",
        args.temperature,
        f64::from(u32::MAX) / Q16_ONE
    );
    ensure!(
        args.temperature == 0.0 || temperature > 0.0,
        "--temperature {} is below the sampler's resolution of 1/65536; use 0 for greedy",
        args.temperature
    );
    ensure!(
        args.top_p > 0.0 && args.top_p <= 1.0,
        "--top-p {} must be in (0, 1]",
        args.top_p
    );
    let top_p_q16 = (args.top_p * Q16_ONE).round().max(1.0) as u32;
    // The core's nucleus works on a top-k candidate list; k = vocabulary means "all tokens".
    let top_k = if args.top_k == 0 && top_p_q16 < 1 << 16 {
        vocab_size
    } else {
        args.top_k
    };
    let config = SamplerConfig {
        temperature_q16: temperature as u32,
        top_k,
        top_p_q16,
    };
    config
        .validate(vocab_size)
        .context("invalid sampling parameters")?;
    Ok(config)
}

/// A seeded synthetic model of `shape` at `precision`.
fn synthetic(
    shape: &SyntheticShape,
    precision: Precision,
    seed: u64,
) -> anyhow::Result<ModelBytes> {
    let bytes = synthetic_model(&shape.config(precision), seed)
        .context("cannot build the synthetic model")?;
    Ok(ModelBytes {
        bytes,
        origin: format!(
            "synthetic model {shape} at {}, seed {seed}",
            precision.name()
        ),
    })
}
