//! Planner tests: partitions, budgets and the explanation of a plan that does not fit.
use super::*;
use ruvsim_core::AttentionPattern;
use ruvsim_core::ModelShape;
use ruvsim_core::Precision;
use ruvsim_hw::calibration::Variant;
use ruvsim_hw::chip::KernelKind;

fn stories(precision: Precision) -> ModelConfig {
    ModelConfig {
        shape: ModelShape::preset("stories260k").expect("a preset"),
        precision,
        attention: AttentionPattern::Full,
    }
}

fn request<'a>(
    config: ModelConfig,
    calibration: &'a Calibration,
    memory: &'a MemorySetup,
    pipeline: u32,
    tensor: u32,
) -> PlanRequest<'a> {
    PlanRequest {
        config,
        pipeline,
        tensor,
        replicas: 1,
        layers_per_stage: None,
        chips: pipeline * tensor,
        streams_per_replica: 1,
        context_len: 256,
        sampler: SamplerConfig::GREEDY,
        calibration,
        cpu: CpuSetup {
            clock_mhz: 240,
            cores_used: 2,
            kernel: KernelKind::Optimized,
        },
        memory,
        draft: None,
        spares: 0,
        moe: None,
    }
}

#[test]
fn pipeline_covers_every_layer_once() {
    let cal = Calibration::builtin(Variant::Esp32S3);
    let memory = MemorySetup::default();
    let plan = plan(&request(stories(Precision::Int8), &cal, &memory, 5, 1)).unwrap();
    assert_eq!(plan.stages.len(), 5);
    assert_eq!(plan.stages.first().unwrap().start, 0);
    assert_eq!(plan.stages.last().unwrap().end, 5);
    assert!(plan.stages.windows(2).all(|w| w[0].end == w[1].start));
    assert!(plan.chips[0].shard.embedding);
    assert!(!plan.chips[4].shard.vocab.is_empty());
}

#[test]
fn tensor_shards_partition_heads_units_and_vocab() {
    let cal = Calibration::builtin(Variant::Esp32S3);
    let memory = MemorySetup::default();
    let plan = plan(&request(stories(Precision::Int8), &cal, &memory, 1, 3)).unwrap();
    let heads: u32 = plan.chips.iter().map(|c| c.shard.heads.len()).sum();
    let units: u32 = plan.chips.iter().map(|c| c.shard.ffn_units.len()).sum();
    let vocab: u32 = plan.chips.iter().map(|c| c.shard.vocab.len()).sum();
    assert_eq!((heads, units, vocab), (8, 172, 512));
    assert!(plan
        .chips
        .iter()
        .all(|c| c.shard.ffn_units.start % FFN_GROUP == 0));
}

#[test]
fn f32_stories_on_one_s3_without_psram_explains_what_fits() {
    let cal = Calibration::builtin(Variant::Esp32S3);
    let memory = MemorySetup::default();
    let err = plan(&request(stories(Precision::F32), &cal, &memory, 1, 1)).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("chip 0"), "{text}");
    assert!(text.contains("bytes over"), "{text}");
    assert!(text.contains("in SRAM"), "{text}");
    // f32 weights (about 1 MB) do not fit any pipeline of five S3s: the embedding and one
    // f32 layer already exceed one chip's usable SRAM. int4 or PSRAM do.
    assert!(text.contains("precision = \"int4\""), "{text}");
    assert!(text.contains("MiB of PSRAM"), "{text}");
    assert!(!text.contains("pipeline = "), "{text}");
}

#[test]
fn chip_count_must_match() {
    let cal = Calibration::builtin(Variant::Esp32S3);
    let memory = MemorySetup::default();
    let mut r = request(stories(Precision::Int8), &cal, &memory, 5, 1);
    r.chips = 6;
    assert!(matches!(
        plan(&r),
        Err(PlanError::ChipCount {
            chips: 6,
            needed: 5,
            ..
        })
    ));
}

#[test]
fn split_span_is_a_partition() {
    for count in [1u32, 7, 172, 512] {
        for parts in 1..=count.min(9) {
            for granule in [1u32, 16] {
                if count.div_ceil(granule) < parts {
                    continue;
                }
                let spans: Vec<Span> = (0..parts)
                    .map(|p| split_span(count, parts, granule, p))
                    .collect();
                assert_eq!(spans[0].start, 0);
                assert_eq!(spans.last().unwrap().end, count);
                assert!(spans.windows(2).all(|w| w[0].end == w[1].start));
                assert!(spans.iter().all(|s| !s.is_empty()));
            }
        }
    }
}
