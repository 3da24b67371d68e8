//! The real stories260K checkpoint (llama2.c) imported at every precision.
//!
//! Needs `RUVSIM_MODEL_DIR` (with `stories260K.bin` and `tok512.bin`); without it the tests print
//! why and pass, unless `RUVSIM_REQUIRE_ALL=1`, when they fail.

mod common;

use ruvsim_core::llama2c::Checkpoint;
use ruvsim_core::tokenizer::Tokenizer;
use ruvsim_core::{encode_model, model_dir, Precision};

const PROMPT: &str = "Once upon a time";
/// Length of the f32 greedy text the precisions are measured on.
const TEXT_TOKENS: usize = 256;

struct RealModel {
    checkpoint: Checkpoint,
    tokenizer: Tokenizer,
}

fn load() -> Option<RealModel> {
    let checkpoint_path = model_dir::locate_file("stories260K.bin").expect("model directory")?;
    let tokenizer_path = model_dir::locate_file("tok512.bin").expect("model directory")?;
    let checkpoint = Checkpoint::parse(&std::fs::read(checkpoint_path).expect("read checkpoint"))
        .expect("parse");
    let tokenizer = Tokenizer::parse(
        &std::fs::read(tokenizer_path).expect("read tokenizer"),
        checkpoint.shape.vocab_size,
    )
    .expect("parse tokenizer");
    Some(RealModel {
        checkpoint,
        tokenizer,
    })
}

impl RealModel {
    fn model_bytes(&self, precision: Precision) -> Vec<u8> {
        encode_model(&self.checkpoint.config(precision), &self.checkpoint.weights).expect("encode")
    }

    fn prompt(&self) -> Vec<u32> {
        self.tokenizer.encode(PROMPT, true, false)
    }
}

#[test]
fn int8_generates_the_same_story_as_f32() {
    let Some(real) = load() else { return };
    let prompt = real.prompt();
    let f32_tokens = common::greedy(&real.model_bytes(Precision::F32), &prompt, 20);
    let int8_tokens = common::greedy(&real.model_bytes(Precision::Int8), &prompt, 20);
    let f32_text = real.tokenizer.decode(&f32_tokens).expect("decode");
    let int8_text = real.tokenizer.decode(&int8_tokens).expect("decode");
    println!("f32:  {PROMPT}{f32_text}");
    println!("int8: {PROMPT}{int8_text}");
    assert_eq!(int8_tokens, f32_tokens, "first 20 generated tokens differ");
    let words = f32_text.split_whitespace().count();
    assert!(words >= 8, "the story should be words, got {f32_text:?}");
}

/// Top-1 agreement with f32 and perplexity of the f32 greedy text, per precision.
fn measure(
    real: &RealModel,
    text: &[u32],
    f32_logits: &[ruvsim_core::Vector],
    precision: Precision,
) -> (f64, f64) {
    let logits = common::logits_for(&real.model_bytes(precision), text);
    let mut agree = 0;
    let mut nll = 0.0;
    let scored = text.len() - 1;
    for pos in 0..scored {
        let mine = ruvsim_core::argmax(logits[pos].as_ref(), &mut Default::default()).unwrap();
        let reference =
            ruvsim_core::argmax(f32_logits[pos].as_ref(), &mut Default::default()).unwrap();
        agree += usize::from(mine == reference);
        nll -= common::log_prob(&logits[pos], text[pos + 1]);
    }
    (agree as f64 / scored as f64, (nll / scored as f64).exp())
}

#[test]
fn quantised_precisions_track_f32_teacher_forced() {
    let Some(real) = load() else { return };
    let prompt = real.prompt();
    let f32_bytes = real.model_bytes(Precision::F32);
    let generated = common::greedy(&f32_bytes, &prompt, TEXT_TOKENS - prompt.len());
    let text: Vec<u32> = prompt.iter().chain(&generated).copied().collect();
    assert_eq!(text.len(), TEXT_TOKENS);
    let f32_logits = common::logits_for(&f32_bytes, &text);
    let (_, f32_ppl) = measure(&real, &text, &f32_logits, Precision::F32);
    println!("f32: perplexity {f32_ppl:.4}");
    let mut results = Vec::new();
    for precision in [Precision::Int8, Precision::Int4, Precision::Binary] {
        let (agreement, ppl) = measure(&real, &text, &f32_logits, precision);
        println!(
            "{precision:?}: top-1 agreement {:.2}%, perplexity {ppl:.4} ({:+.2}% vs f32)",
            100.0 * agreement,
            100.0 * (ppl / f32_ppl - 1.0)
        );
        results.push((precision, agreement, ppl));
    }
    let (_, int8_agreement, int8_ppl) = results[0];
    assert!(
        int8_agreement >= 0.95,
        "int8 top-1 agreement {int8_agreement}"
    );
    assert!(
        (int8_ppl / f32_ppl - 1.0).abs() <= 0.05,
        "int8 perplexity {int8_ppl} vs f32 {f32_ppl}"
    );
}
