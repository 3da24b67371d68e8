use super::*;
use ruvsim_hw::energy::Energy;

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s).unwrap()
}

fn at(s: f64) -> Time {
    Time::ZERO.checked_add(secs(s)).unwrap()
}

/// 100 s, frames every 100 ms, polls every 10 s, a 2 s inference of 1 J; events visible 1 s.
fn setup(events: &[f64], detection: f64, false_positive: f64) -> GatedSetup {
    GatedSetup {
        duration: secs(100.0),
        events: events.iter().map(|&s| at(s)).collect(),
        event_duration: secs(1.0),
        frame_period: secs(0.1),
        detection: Probability::new(detection).unwrap(),
        false_positive: Probability::new(false_positive).unwrap(),
        gate_latency: Duration::ZERO,
        gate_power_nw: 500_000,
        asleep_power_nw: 1_000_000,
        poll_interval: secs(10.0),
        polling_rest_power_nw: 100_000_000,
        wake: WakeCost {
            latency: secs(2.0),
            energy_nj: 1_000_000_000,
            energy: Energy::from_zj(1_000_000_000_000_000_000_000),
            how: "test".into(),
        },
        battery: Battery::new(2000.0, 3.7).unwrap(),
        seed: 3,
    }
}

#[test]
fn a_perfect_gate_wakes_exactly_once_per_event() {
    let events = [1.0, 7.25, 20.0, 33.3, 61.05, 99.5];
    let outcome = simulate_gated(&setup(&events, 1.0, 0.0)).unwrap();
    let gated = &outcome.gated;
    assert_eq!(outcome.events, 6);
    assert_eq!(gated.inferences, 6);
    assert_eq!(gated.detected, 6);
    assert_eq!(gated.useful_inferences, 6);
    assert_eq!(gated.wasted_inferences, 0);
    assert_eq!(gated.missed, 0);
}

#[test]
fn a_gate_that_never_fires_misses_every_event() {
    let events = [1.0, 7.25, 20.0, 33.3];
    let outcome = simulate_gated(&setup(&events, 0.0, 0.0)).unwrap();
    assert_eq!(outcome.gated.inferences, 0);
    assert_eq!(outcome.gated.detected, 0);
    assert_eq!(outcome.gated.missed, 4);
    assert_eq!(outcome.gated.response_time.count, 0);
}

#[test]
fn energy_ratio_follows_hand_arithmetic() {
    // Events at 10.05 s and 19.5 s, each visible for 1 s.
    // Gated: frames at 10.1 s and 19.5 s fire; inferences end at 12.1 s and 21.5 s (responses
    // 2.05 s and 2 s). Energy over the 100 s window: 2 x 1 J + 1 mW x (100 - 4) s asleep
    // + 0.5 mW x 100 s gate = 2.146 J.
    // Polling: polls at 0, 10, ..., 90 s: 10 inferences = 10 J, + 100 mW x (100 - 20) s = 8 J,
    // 18 J in all. The 10.05 s event is gone by the 20 s poll (missed); the 19.5 s event is seen
    // by it (response 20 + 2 - 19.5 = 2.5 s). Ratio 18 / 2.146.
    let outcome = simulate_gated(&setup(&[10.05, 19.5], 1.0, 0.0)).unwrap();
    assert_eq!(outcome.window, secs(100.0));
    let gated = &outcome.gated;
    assert_eq!(gated.inferences, 2);
    assert_eq!(gated.inference_nj, 2_000_000_000);
    assert_eq!(gated.rest_nj, 96_000_000);
    assert_eq!(gated.gate_nj, 50_000_000);
    assert_eq!(gated.total_nj, 2_146_000_000);
    assert_eq!(gated.response_time.min, secs(2.0));
    assert_eq!(gated.response_time.max, secs(2.05));
    assert_eq!(gated.average_power_nw, 21_460_000);
    let polling = &outcome.polling;
    assert_eq!(polling.inferences, 10);
    assert_eq!(polling.useful_inferences, 1);
    assert_eq!(polling.wasted_inferences, 9);
    assert_eq!((polling.detected, polling.missed), (1, 1));
    assert_eq!(polling.response_time.max, secs(2.5));
    assert_eq!(polling.total_nj, 18_000_000_000);
    assert_eq!(polling.gate_nj, 0);
    let ratio = outcome.energy_ratio.unwrap();
    assert!((ratio - 18.0 / 2.146).abs() < 1e-12, "{ratio}");
    // Polling that sleeps at 1 mW between polls: 10 J + 1 mW x 80 s = 10.08 J.
    assert_eq!(outcome.polling_asleep.total_nj, 10_080_000_000);
    let asleep = outcome.energy_ratio_asleep.unwrap();
    assert!((asleep - 10.08 / 2.146).abs() < 1e-12, "{asleep}");
    // Battery: 7.4 Wh at 21.46 mW.
    let hours = gated.battery_hours.unwrap();
    assert!((hours - 7.4 / 0.02146).abs() < 1e-9, "{hours}");
}

#[test]
fn wake_ups_queue_behind_a_busy_model() {
    // Two events 0.5 s apart with a 2 s inference: the second waits for the first.
    let outcome = simulate_gated(&setup(&[10.0, 10.5], 1.0, 0.0)).unwrap();
    assert_eq!(outcome.gated.response_time.min, secs(2.0));
    assert_eq!(outcome.gated.response_time.max, secs(3.5));
}

#[test]
fn false_positives_follow_their_rate_and_the_seed() {
    let mut noisy = setup(&[], 1.0, 0.01);
    noisy.duration = secs(10_000.0);
    let a = simulate_gated(&noisy).unwrap();
    // 100,000 frames x 1%: 1,000 expected, standard deviation about 31.5; allow six.
    let wasted = a.gated.wasted_inferences as i64;
    assert!((wasted - 1_000).abs() < 190, "{wasted}");
    assert_eq!(a, simulate_gated(&noisy).unwrap());
    noisy.seed = 4;
    assert_ne!(a.gated.wasted_inferences, 0);
    assert_ne!(a, simulate_gated(&noisy).unwrap());
}

#[test]
fn frames_seeing_an_event_never_fire_falsely() {
    // Every frame without an event fires; the event's own frames fire only by detection.
    let mut always = setup(&[50.0], 0.0, 1.0);
    always.duration = secs(100.0);
    let outcome = simulate_gated(&always).unwrap();
    // 1,000 frames, 10 of them (50.0 .. 50.9 s) see the event.
    assert_eq!(outcome.frames, 1_000);
    assert_eq!(outcome.gated.wasted_inferences, 990);
    assert_eq!(outcome.gated.detected, 0);
}

#[test]
fn polls_faster_than_an_inference_are_refused() {
    let mut fast = setup(&[], 1.0, 0.0);
    fast.poll_interval = secs(1.0);
    assert!(matches!(
        simulate_gated(&fast),
        Err(GatedError::PollTooFast { .. })
    ));
}

#[test]
fn poisson_events_are_seeded_and_at_their_rate() {
    let source = EventSource::Poisson {
        rate_per_hour: 3600.0,
    };
    let dir = std::path::Path::new(".");
    let events = sensor_events(&source, secs(10_000.0), 9, dir).unwrap();
    // 10,000 expected, standard deviation 100; allow six.
    assert!(
        (events.len() as i64 - 10_000).abs() < 600,
        "{}",
        events.len()
    );
    assert!(events.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(
        events,
        sensor_events(&source, secs(10_000.0), 9, dir).unwrap()
    );
    let bad = EventSource::Poisson { rate_per_hour: 0.0 };
    assert!(sensor_events(&bad, secs(1.0), 9, dir).is_err());
}

fn gate_spec(power_uw: Option<f64>) -> GateSpec {
    GateSpec {
        frame_period_ms: 100.0,
        detection: 0.9,
        false_positive: 0.0,
        synapses: DEFAULT_SYNAPSES,
        neurons: DEFAULT_NEURONS,
        power_uw,
    }
}

#[test]
fn derived_gate_power_follows_hand_arithmetic() {
    use ruvsim_hw::calibration::{Calibration, Variant};
    use ruvsim_hw::chip::{CpuSetup, KernelKind};
    let s3 = Calibration::builtin(Variant::Esp32S3);
    let cpu = CpuSetup {
        clock_mhz: 240,
        cores_used: 2,
        kernel: KernelKind::Optimized,
    };
    let gate = gate_power(&gate_spec(None), secs(0.1), &s3, &cpu).unwrap();
    // 1,024 int8 MACs x 1.326 cycles + 64 x 3 element-wise ops x 3.025 cycles = 1,938.624
    // cycles on one core at 240 MHz = 8.0776 us, at 72.4 mA (1 core, SIMD) - 0.24 mA (light
    // sleep) x 3.3 V, once per 100 ms: 8.0776e-6 s x 0.238128 W / 0.1 s = 19.235 uW.
    assert_eq!(gate.compute_per_frame.as_ps(), 8_077_600);
    assert_eq!(gate.power_nw, 19_235);
    assert!(gate.derivation.contains("240 uA"), "{}", gate.derivation);
    let given = gate_power(&gate_spec(Some(12.5)), secs(0.1), &s3, &cpu).unwrap();
    assert_eq!(given.power_nw, 12_500);
    assert_eq!(given.compute_per_frame, gate.compute_per_frame);
    assert!(gate_power(&gate_spec(Some(-1.0)), secs(0.1), &s3, &cpu).is_err());
    // A frame shorter than the gate's computation cannot be kept up with.
    let too_fast = gate_power(&gate_spec(None), Duration::from_us(5), &s3, &cpu);
    assert!(matches!(
        too_fast,
        Err(GatedError::Invalid {
            key: "gate.frame_period_ms",
            ..
        })
    ));
}
