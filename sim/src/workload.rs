//! Workloads: which requests arrive, when, with what prompt and how many tokens to generate.
//!
//! A workload is described in a scenario's `[workload]` table and turned into a deterministic list
//! of [`Request`]s (open-loop arrivals) or a closed loop that keeps a fixed number of requests in
//! flight. Prompt text goes through the model's tokenizer; a synthetic prompt length draws token ids
//! from the scenario seed.

use rand_chacha::rand_core::Rng;
use ruvsim_core::tokenizer::Tokenizer;
use ruvsim_core::SamplerConfig;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use ruvsim_engine::rng::{self, Purpose};
use ruvsim_engine::time::{Duration, Time};

/// How requests arrive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Arrivals {
    /// `concurrency` requests are in flight at once; each completion starts the next request.
    ClosedLoop {
        /// Requests in flight at once (at least 1).
        concurrency: u32,
    },
    /// Open loop: independent arrivals at `rate_per_s` requests per second.
    Poisson {
        /// Mean arrival rate, requests per second (greater than 0).
        rate_per_s: f64,
    },
    /// Open loop: arrival times (microseconds from the start, one per line, ascending) replayed
    /// from a file; `#` starts a comment.
    Replay {
        /// Path of the arrival file, relative to the scenario file.
        file: String,
    },
}

/// The prompt of every request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    untagged,
    deny_unknown_fields,
    expecting = "a prompt: { text = \"...\" }, { tokens = [1, 2, 3] } or { length = N }"
)]
pub enum PromptSpec {
    /// Text, encoded with the model's tokenizer.
    Text {
        /// The prompt text.
        text: String,
    },
    /// Token ids, used as given.
    Tokens {
        /// The prompt's token ids.
        tokens: Vec<u32>,
    },
    /// A synthetic prompt of `length` token ids drawn from the scenario seed.
    Length {
        /// Number of prompt tokens (at least 1).
        length: u32,
    },
}

/// A workload as a scenario describes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    /// How requests arrive.
    pub arrivals: Arrivals,
    /// Number of requests in the run (for a replay, at most the number of lines in the file).
    pub requests: u32,
    /// The prompt of each request.
    pub prompt: PromptSpec,
    /// New tokens each request generates after its prompt (at least 1).
    pub new_tokens: u32,
    /// How tokens are chosen (default greedy).
    #[serde(default)]
    pub sampling: SamplingSpec,
}

/// Token choice as a scenario writes it: `temperature = 0` is greedy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamplingSpec {
    /// Softmax temperature (0: greedy argmax).
    #[serde(default)]
    pub temperature: f64,
    /// Sample among the `top_k` most likely tokens (0: all).
    #[serde(default)]
    pub top_k: u32,
    /// Nucleus probability in (0, 1] (default 1: no nucleus cut).
    #[serde(default)]
    pub top_p: Option<f64>,
}

impl SamplingSpec {
    /// The core's integer sampler settings (Q16.16 temperature and top-p), validated against the
    /// vocabulary.
    pub fn to_sampler(&self, vocab_size: u32) -> Result<SamplerConfig, WorkloadError> {
        let q16 = |value: f64, key: &'static str| {
            if value.is_finite() && value >= 0.0 && value * 65536.0 <= f64::from(u32::MAX) {
                Ok((value * 65536.0).round() as u32)
            } else {
                Err(WorkloadError::Sampling(format!(
                    "sampling.{key} = {value} must be a finite number from 0 to 65535"
                )))
            }
        };
        let config = SamplerConfig {
            temperature_q16: q16(self.temperature, "temperature")?,
            top_k: self.top_k,
            top_p_q16: q16(self.top_p.unwrap_or(1.0), "top_p")?,
        };
        config
            .validate(vocab_size)
            .map_err(|e| WorkloadError::Sampling(format!("sampling: {e}")))?;
        Ok(config)
    }
}

/// One request of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Position in the workload (0-based).
    pub id: u32,
    /// Arrival time for open-loop workloads; `None` in a closed loop, where a request starts when
    /// a slot frees up.
    pub arrival: Option<Time>,
    /// Prompt token ids (the first is the BOS token where the tokenizer adds one).
    pub prompt: Vec<u32>,
    /// New tokens to generate.
    pub new_tokens: u32,
}

/// Why a workload could not be built.
#[derive(Debug, Error, PartialEq)]
pub enum WorkloadError {
    /// A count that must be positive is zero.
    #[error("workload.{key} must be at least 1")]
    Zero {
        /// The key that is zero.
        key: &'static str,
    },
    /// The Poisson rate is not a positive finite number.
    #[error("workload.arrivals.rate_per_s must be a positive number, got {0}")]
    BadRate(f64),
    /// Prompt plus generated tokens exceed the model's context.
    #[error(
        "a prompt of {prompt} tokens plus {new_tokens} new tokens exceeds the model's context of \
         {seq_len} tokens; lower workload.new_tokens to at most {room}"
    )]
    ContextTooLong {
        /// Prompt tokens.
        prompt: usize,
        /// New tokens requested.
        new_tokens: u32,
        /// The model's context length.
        seq_len: u32,
        /// The largest `new_tokens` that fits.
        room: usize,
    },
    /// A prompt token id is outside the vocabulary.
    #[error("prompt token {token} is outside the vocabulary of {vocab_size}")]
    TokenOutOfVocabulary {
        /// The offending token id.
        token: u32,
        /// The model's vocabulary size.
        vocab_size: u32,
    },
    /// A text prompt was given but the model has no tokenizer.
    #[error(
        "workload.prompt.text needs a tokenizer, and this model has none; give \
         prompt = {{ tokens = [...] }} or prompt = {{ length = N }}"
    )]
    NoTokenizer,
    /// The replay file is malformed.
    #[error("{file}:{line}: {reason}")]
    Replay {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// Invalid sampling settings.
    #[error("workload.{0}")]
    Sampling(String),
    /// The replay file has fewer arrivals than requests.
    #[error("{file} holds {found} arrivals but workload.requests is {requested}")]
    ReplayTooShort {
        /// The file.
        file: String,
        /// Arrivals found.
        found: usize,
        /// Requests asked for.
        requested: u32,
    },
}

/// Parses a replay file's text: one arrival time in microseconds per line, ascending.
pub fn parse_replay(file: &str, text: &str) -> Result<Vec<Time>, WorkloadError> {
    let mut times = Vec::new();
    let mut previous = Time::ZERO;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let error = |reason: String| WorkloadError::Replay {
            file: file.to_string(),
            line: index + 1,
            reason,
        };
        let us: u64 = line.parse().map_err(|_| {
            error(format!(
                "`{line}` is not a whole number of microseconds since the start"
            ))
        })?;
        let at = Duration::checked_from_us(us)
            .map(|d| Time::ZERO.checked_add(d).unwrap_or(Time::MAX))
            .map_err(|e| error(e.to_string()))?;
        if at < previous {
            return Err(error(format!(
                "arrival {us} us is earlier than the line before; arrivals must be ascending"
            )));
        }
        previous = at;
        times.push(at);
    }
    Ok(times)
}

/// Builds the requests of a workload.
///
/// Prompt text is encoded with `tokenizer` (with a BOS token, as llama2.c does);
/// `replay_text` is the content of the replay file when the arrivals are replayed.
pub fn build_requests(
    spec: &WorkloadSpec,
    seed: u64,
    vocab_size: u32,
    seq_len: u32,
    tokenizer: Option<&Tokenizer>,
    replay_text: Option<&str>,
) -> Result<Vec<Request>, WorkloadError> {
    if spec.requests == 0 {
        return Err(WorkloadError::Zero { key: "requests" });
    }
    if spec.new_tokens == 0 {
        return Err(WorkloadError::Zero { key: "new_tokens" });
    }
    let arrivals = arrival_times(spec, seed, replay_text)?;
    let mut prompt_rng = rng::stream(seed, Purpose::Workload, 0);
    // A text prompt is the same for every request: encoded once.
    let encoded = match &spec.prompt {
        PromptSpec::Text { text } => Some(
            tokenizer
                .ok_or(WorkloadError::NoTokenizer)?
                .encode(text, true, false),
        ),
        _ => None,
    };
    let mut requests = Vec::with_capacity(spec.requests as usize);
    for id in 0..spec.requests {
        let prompt = match &spec.prompt {
            PromptSpec::Text { .. } => encoded.clone().unwrap_or_default(),
            PromptSpec::Tokens { tokens } => tokens.clone(),
            PromptSpec::Length { length } => {
                if *length == 0 {
                    return Err(WorkloadError::Zero {
                        key: "prompt.length",
                    });
                }
                (0..*length)
                    .map(|_| (prompt_rng.next_u64() % u64::from(vocab_size)) as u32)
                    .collect()
            }
        };
        if prompt.is_empty() {
            return Err(WorkloadError::Zero { key: "prompt" });
        }
        if let Some(&token) = prompt.iter().find(|&&t| t >= vocab_size) {
            return Err(WorkloadError::TokenOutOfVocabulary { token, vocab_size });
        }
        let total = prompt.len() + spec.new_tokens as usize;
        if total > seq_len as usize {
            return Err(WorkloadError::ContextTooLong {
                prompt: prompt.len(),
                new_tokens: spec.new_tokens,
                seq_len,
                room: (seq_len as usize).saturating_sub(prompt.len()),
            });
        }
        requests.push(Request {
            id,
            arrival: arrivals.as_ref().map(|times| times[id as usize]),
            prompt,
            new_tokens: spec.new_tokens,
        });
    }
    Ok(requests)
}

/// Open-loop arrival times, or `None` for a closed loop.
fn arrival_times(
    spec: &WorkloadSpec,
    seed: u64,
    replay_text: Option<&str>,
) -> Result<Option<Vec<Time>>, WorkloadError> {
    match &spec.arrivals {
        Arrivals::ClosedLoop { concurrency } => {
            if *concurrency == 0 {
                return Err(WorkloadError::Zero {
                    key: "arrivals.concurrency",
                });
            }
            Ok(None)
        }
        Arrivals::Poisson { rate_per_s } => {
            if !(rate_per_s.is_finite() && *rate_per_s > 0.0) {
                return Err(WorkloadError::BadRate(*rate_per_s));
            }
            let mean = Duration::from_secs_f64(1.0 / rate_per_s)
                .map_err(|_| WorkloadError::BadRate(*rate_per_s))?;
            let mut stream = rng::stream(seed, Purpose::Arrivals, 0);
            let mut now = Time::ZERO;
            let mut times = Vec::with_capacity(spec.requests as usize);
            for _ in 0..spec.requests {
                let gap = rng::exponential(&mut stream, mean)
                    .map_err(|_| WorkloadError::BadRate(*rate_per_s))?;
                now = now.checked_add(gap).unwrap_or(Time::MAX);
                times.push(now);
            }
            Ok(Some(times))
        }
        Arrivals::Replay { file } => {
            let times = parse_replay(file, replay_text.unwrap_or(""))?;
            if times.len() < spec.requests as usize {
                return Err(WorkloadError::ReplayTooShort {
                    file: file.clone(),
                    found: times.len(),
                    requested: spec.requests,
                });
            }
            Ok(Some(times))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(arrivals: Arrivals, prompt: PromptSpec) -> WorkloadSpec {
        WorkloadSpec {
            arrivals,
            requests: 5,
            prompt,
            new_tokens: 4,
            sampling: SamplingSpec::default(),
        }
    }

    #[test]
    fn poisson_arrivals_are_seeded_and_ascending() {
        let s = spec(
            Arrivals::Poisson { rate_per_s: 10.0 },
            PromptSpec::Length { length: 3 },
        );
        let a = build_requests(&s, 1, 512, 64, None, None).unwrap();
        let b = build_requests(&s, 1, 512, 64, None, None).unwrap();
        let c = build_requests(&s, 2, 512, 64, None, None).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let times: Vec<Time> = a.iter().map(|r| r.arrival.unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        assert!(a
            .iter()
            .all(|r| r.prompt.len() == 3 && r.prompt.iter().all(|&t| t < 512)));
    }

    #[test]
    fn context_overflow_says_what_fits() {
        let mut s = spec(
            Arrivals::ClosedLoop { concurrency: 1 },
            PromptSpec::Tokens {
                tokens: vec![1, 2, 3],
            },
        );
        s.new_tokens = 10;
        let err = build_requests(&s, 0, 512, 8, None, None).unwrap_err();
        assert!(err.to_string().contains("at most 5"), "{err}");
    }

    #[test]
    fn text_prompt_without_tokenizer_is_an_error() {
        let s = spec(
            Arrivals::ClosedLoop { concurrency: 1 },
            PromptSpec::Text { text: "hi".into() },
        );
        assert_eq!(
            build_requests(&s, 0, 512, 64, None, None),
            Err(WorkloadError::NoTokenizer)
        );
    }

    #[test]
    fn replay_reports_the_bad_line() {
        let err = parse_replay("arrivals.txt", "# times\n10\n20\nabc\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "arrivals.txt:4: `abc` is not a whole number of microseconds since the start"
        );
        let err = parse_replay("a", "10\n5\n").unwrap_err();
        assert!(err.to_string().contains("ascending"));
    }
}
