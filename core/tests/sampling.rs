//! Token choice: greedy ties, seeded sampling against the softmax it claims, top-k and top-p.

use ruvsim_core::{argmax, OpCounts, SampleError, Sampler, SamplerConfig, VecRef};

fn q16(values: &[f64]) -> Vec<i32> {
    values
        .iter()
        .map(|v| (v * 65536.0).round() as i32)
        .collect()
}

fn histogram(config: SamplerConfig, logits: &[i32], draws: usize, seed: u64) -> Vec<usize> {
    let mut sampler = Sampler::new(config, seed);
    let mut counts = vec![0; logits.len()];
    for _ in 0..draws {
        let token = sampler
            .sample(VecRef::Q16(logits), &mut OpCounts::default())
            .unwrap();
        counts[token as usize] += 1;
    }
    counts
}

#[test]
fn greedy_ties_go_to_the_lowest_index() {
    let counts = &mut OpCounts::default();
    assert_eq!(argmax(VecRef::Q16(&[1, 5, 5, 2]), counts).unwrap(), 1);
    assert_eq!(argmax(VecRef::F32(&[0.5, 0.5, -1.0]), counts).unwrap(), 0);
    assert_eq!(
        argmax(VecRef::F32(&[0.5, f32::NAN]), counts).unwrap_err(),
        SampleError::Logit { index: 1 }
    );
    assert_eq!(
        argmax(VecRef::Q16(&[]), counts).unwrap_err(),
        SampleError::Empty
    );
}

#[test]
fn temperature_sampling_follows_the_softmax() {
    let logits = [1.0, 0.0, -1.0, 0.5];
    let draws = 40_000;
    let config = SamplerConfig {
        temperature_q16: 1 << 16,
        top_k: 0,
        top_p_q16: 1 << 16,
    };
    let counts = histogram(config, &q16(&logits), draws, 3);
    let total: f64 = logits.iter().map(|l: &f64| l.exp()).sum();
    for (count, logit) in counts.iter().zip(logits) {
        let expected = draws as f64 * logit.exp() / total;
        let sigma = expected.sqrt();
        assert!((*count as f64 - expected).abs() < 5.0 * sigma, "{counts:?}");
    }
    assert_eq!(counts, histogram(config, &q16(&logits), draws, 3), "seeded");
    assert_ne!(counts, histogram(config, &q16(&logits), draws, 4));
}

#[test]
fn top_k_and_top_p_restrict_the_candidates() {
    // Probabilities 0.5, 0.3, 0.2 (and a negligible fourth).
    let logits = q16(&[0.5f64.ln(), 0.3f64.ln(), 0.2f64.ln(), -30.0]);
    let top1 = SamplerConfig {
        temperature_q16: 1 << 16,
        top_k: 1,
        top_p_q16: 1 << 16,
    };
    assert_eq!(histogram(top1, &logits, 500, 1), vec![500, 0, 0, 0]);
    let nucleus = SamplerConfig {
        temperature_q16: 1 << 16,
        top_k: 3,
        top_p_q16: (0.6 * 65536.0) as u32,
    };
    let counts = histogram(nucleus, &logits, 8000, 2);
    assert_eq!(counts[2] + counts[3], 0, "{counts:?}");
    let share = counts[0] as f64 / 8000.0;
    assert!((share - 0.625).abs() < 0.03, "{counts:?}");
}

#[test]
fn invalid_parameters_are_refused() {
    let logits = [0, 1, 2];
    let mut bad_k = Sampler::new(
        SamplerConfig {
            temperature_q16: 1,
            top_k: 4,
            top_p_q16: 1 << 16,
        },
        0,
    );
    assert_eq!(
        bad_k
            .sample(VecRef::Q16(&logits), &mut OpCounts::default())
            .unwrap_err(),
        SampleError::TopK {
            top_k: 4,
            vocab_size: 3
        }
    );
    let mut no_k = Sampler::new(
        SamplerConfig {
            temperature_q16: 1 << 16,
            top_k: 0,
            top_p_q16: 1000,
        },
        0,
    );
    assert_eq!(
        no_k.sample(VecRef::Q16(&logits), &mut OpCounts::default())
            .unwrap_err(),
        SampleError::TopPWithoutTopK
    );
}
