//! Unit tests of the cluster process itself: the task graph one token becomes, what a chip out
//! of service does to it, and the order of a stream's tokens. Each builds a small scenario, runs
//! the process on the engine, and reads what the recorder kept.

use ruvsim_core::{Phase, Span};
use ruvsim_engine::engine::Engine;
use ruvsim_engine::time::Time;

use super::Cluster;
use crate::kernel::Kernel;
use crate::result::records::TimelineSpan;
use crate::run::{build, RunOptions};
use crate::scenario::{parse, Fidelity, LoadedScenario};

/// Model width: every hidden state is `DIM * 4` bytes on a link.
const DIM: u32 = 64;

/// `stages` ESP32-S3 in an SPI chain, one stream, a one-token prompt and `new_tokens` to
/// generate, a model of `stages` layers (one per stage).
fn chain(stages: u32, new_tokens: u32) -> LoadedScenario {
    let text = format!(
        r#"
[scenario]
name = "cluster-test"
seed = 3
[model]
source = "synthetic"
shape = {{ dim = {DIM}, hidden_dim = 128, n_layers = {stages}, n_heads = 4, n_kv_heads = 4, vocab_size = 256, seq_len = 64 }}
precision = "int8"
[cluster]
variant = "esp32s3"
topology = {{ kind = "chain", chips = {stages} }}
link = {{ kind = "spi", clock_mhz = 40, lines = 1, mode = "polling_dma" }}
[parallelism]
pipeline = {stages}
[workload]
arrivals = {{ kind = "closed_loop", concurrency = 1 }}
requests = 1
prompt = {{ tokens = [7] }}
new_tokens = {new_tokens}
"#
    );
    LoadedScenario {
        scenario: parse("cluster-test.toml", &text).unwrap_or_else(|e| panic!("{e}")),
        file: "cluster-test.toml".into(),
        dir: ".".into(),
    }
}

/// Runs the cluster process of `loaded` in timing fidelity, with `blocked` chips out of service
/// from the start, and returns its timeline and generated-token count.
fn run_process(loaded: &LoadedScenario, blocked: &[u32]) -> (Vec<TimelineSpan>, usize) {
    let options = RunOptions {
        fidelity: Some(Fidelity::Timing),
        ..RunOptions::default()
    };
    let mut run = build(loaded, &options).unwrap_or_else(|e| panic!("{e}"));
    let requests = std::mem::take(&mut run.requests);
    let mut cluster = Cluster::new(run.cluster_setup(), None, None, None, requests)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut engine = Engine::new(cluster.resources());
    for &chip in blocked {
        engine.block(chip).unwrap_or_else(|e| panic!("{e}"));
    }
    cluster.prime(&mut engine).unwrap_or_else(|e| panic!("{e}"));
    engine
        .run(&mut cluster, Time::MAX)
        .unwrap_or_else(|e| panic!("{e}"));
    (
        cluster.recorder.timeline,
        cluster.tokens.into_parts().0.len(),
    )
}

/// The kernels run on `chip`, in start order.
fn kernels_on(timeline: &[TimelineSpan], chip: u32) -> Vec<Kernel> {
    timeline
        .iter()
        .filter(|span| span.resource == chip)
        .filter_map(|span| span.kernel)
        .collect()
}

#[test]
fn one_token_over_three_stages_is_embed_layers_classify_sample_and_two_hops() {
    let (timeline, tokens) = run_process(&chain(3, 1), &[]);
    assert_eq!(tokens, 1);
    let layers = |stage: u32| Kernel::Phase(Phase::Layers(Span::new(stage, stage + 1)));
    assert_eq!(
        kernels_on(&timeline, 0),
        [Kernel::Phase(Phase::Embed), layers(0)]
    );
    assert_eq!(kernels_on(&timeline, 1), [layers(1)]);
    assert_eq!(
        kernels_on(&timeline, 2),
        [
            layers(2),
            Kernel::Phase(Phase::Classify(Span::new(0, 256))),
            Kernel::Phase(Phase::Sample)
        ]
    );
    // Chips are resources 0..3, the chain's two links 3 and 4: the hidden state crosses each once.
    let hops: Vec<(u32, [u32; 2], u32)> = timeline
        .iter()
        .filter_map(|span| span.hop.map(|hop| (span.resource, hop, span.bytes)))
        .collect();
    assert_eq!(hops, [(3, [0, 1], DIM * 4), (4, [1, 2], DIM * 4)]);
    // Each task starts when the one it depends on has finished.
    for pair in timeline.windows(2) {
        assert!(
            pair[1].start >= pair[0].start + pair[0].duration,
            "{pair:?} overlap on one token's path"
        );
    }
}

#[test]
fn a_chip_out_of_service_stops_the_tasks_that_need_it() {
    let (timeline, tokens) = run_process(&chain(3, 1), &[1]);
    assert_eq!(tokens, 0, "no token can pass the blocked middle stage");
    assert!(kernels_on(&timeline, 1).is_empty(), "nothing ran on chip 1");
    assert!(
        kernels_on(&timeline, 2).is_empty(),
        "nothing downstream of chip 1 ran"
    );
    assert_eq!(
        kernels_on(&timeline, 0).len(),
        2,
        "the first stage ran and its output crossed to chip 1"
    );
}

#[test]
fn a_streams_next_token_starts_only_after_the_previous_one_was_chosen() {
    let (timeline, tokens) = run_process(&chain(2, 4), &[]);
    assert_eq!(tokens, 4);
    let samples: Vec<&TimelineSpan> = timeline
        .iter()
        .filter(|span| span.kernel == Some(Kernel::Phase(Phase::Sample)))
        .collect();
    let embeds: Vec<&TimelineSpan> = timeline
        .iter()
        .filter(|span| span.kernel == Some(Kernel::Phase(Phase::Embed)))
        .collect();
    assert_eq!((samples.len(), embeds.len()), (4, 4));
    for (sample, next_embed) in samples.iter().zip(&embeds[1..]) {
        assert_eq!(next_embed.pos, sample.pos.map(|pos| pos + 1));
        assert!(
            next_embed.start >= sample.start + sample.duration,
            "token at {:?} started before the token at {:?} was chosen",
            next_embed.pos,
            sample.pos
        );
    }
}
