//! Energy of whole runs: a chip that never computes draws exactly its rest power for the whole
//! window; busy chips add up to the active and rest figures; the scenario's `[energy]` table
//! chooses the rest state and the battery.

use ruvsim_hw::calibration::{Calibration, Variant};
use ruvsim_hw::energy::PowerState;
use ruvsim_sim::result::RunResult;
use ruvsim_sim::run::{simulate, RunOptions};
use ruvsim_sim::scenario::{parse, LoadedScenario};

/// Two ESP32-S3 replicas of a small int8 model and one request: replica 1 (chip 1) never
/// computes.
fn two_replicas_one_request(energy: &str) -> LoadedScenario {
    let text = format!(
        r#"
[scenario]
name = "energy"
seed = 2
fidelity = "timing"

[model]
source = "synthetic"
shape = {{ dim = 64, hidden_dim = 128, n_layers = 2, n_heads = 4, n_kv_heads = 4, vocab_size = 256, seq_len = 64 }}
precision = "int8"

[cluster]
variant = "esp32s3"
topology = {{ kind = "chain", chips = 2 }}
link = {{ kind = "spi", clock_mhz = 40, lines = 1, mode = "polling_dma" }}
cpu = {{ clock_mhz = 240, cores_used = 2, kernel = "optimized" }}

[parallelism]
replicas = 2

[workload]
arrivals = {{ kind = "closed_loop", concurrency = 1 }}
requests = 1
prompt = {{ length = 4 }}
new_tokens = 6
{energy}
"#
    );
    LoadedScenario {
        scenario: parse("energy.toml", &text).unwrap_or_else(|e| panic!("{e}")),
        file: "energy.toml".into(),
        dir: ".".into(),
    }
}

fn run(loaded: &LoadedScenario) -> RunResult {
    simulate(loaded, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// `ps x uA x mV` zeptojoules, rounded to whole nanojoules as the result rounds them.
fn nanojoules(ps: u64, ua: u64, mv: u64) -> u64 {
    let zj = u128::from(ps) * u128::from(ua) * u128::from(mv);
    ((zj + 500_000_000_000) / 1_000_000_000_000) as u64
}

#[test]
fn a_chip_that_never_computes_draws_exactly_idle_power_for_the_window() {
    let result = run(&two_replicas_one_request(""));
    let energy = &result.energy;
    let idle = Calibration::builtin(Variant::Esp32S3).power.idle_ua;
    assert_eq!(energy.rest.state, PowerState::Idle);
    assert_eq!(energy.rest.current_ua, idle);
    let unused = &energy.chips[1];
    assert_eq!(unused.busy.as_ps(), 0, "replica 1 serves no request");
    assert_eq!(unused.active_nj, 0);
    assert_eq!(
        unused.total_nj,
        nanojoules(energy.window.as_ps(), idle, energy.supply_mv)
    );
    assert_eq!(unused.average_power_nw, idle * energy.supply_mv);
}

#[test]
fn busy_chip_is_charged_the_active_state_of_the_cpu_setup() {
    let result = run(&two_replicas_one_request(""));
    let energy = &result.energy;
    assert_eq!(
        energy.active.state,
        PowerState::Active {
            cores: 2,
            simd: true
        }
    );
    let worker = &energy.chips[0];
    assert!(worker.busy.as_ps() > 0);
    assert_eq!(worker.busy, result.chips[0].busy);
    assert_eq!(
        worker.active_nj,
        nanojoules(
            worker.busy.as_ps(),
            energy.active.current_ua,
            energy.supply_mv
        )
    );
    assert_eq!(
        worker.rest.as_ps() + worker.busy.as_ps(),
        energy.window.as_ps()
    );
    assert!(energy.window >= result.summary.makespan);
    let tokens = result.summary.tokens_generated;
    assert_eq!(tokens, 6);
    let per_token = energy.per_token_nj.unwrap();
    assert!(per_token.abs_diff(energy.total_nj / tokens) <= 1);
    assert!(energy.links.starts_with("not modelled"));
    assert_eq!(
        energy.clock_note, None,
        "the table's currents are at 240 MHz"
    );
}

#[test]
fn light_sleep_between_tasks_and_a_given_battery() {
    let result = run(&two_replicas_one_request(
        "[energy]\nbetween_tasks = \"light_sleep\"\nbattery_mah = 1000\nbattery_volts = 3.3\n",
    ));
    let energy = &result.energy;
    let light = Calibration::builtin(Variant::Esp32S3).power.light_sleep_ua;
    assert_eq!(energy.rest.state, PowerState::LightSleep);
    assert_eq!(
        energy.chips[1].total_nj,
        nanojoules(energy.window.as_ps(), light, energy.supply_mv)
    );
    let battery = &energy.battery;
    assert_eq!(battery.capacity_mah, 1000.0);
    assert!(battery.assumption.starts_with("scenario"));
    assert_eq!(battery.first_empty_board, Some(0));
    // 1 Ah x 3.3 V = 3.3 Wh over the cluster's average power.
    let watts = energy.average_power_nw.unwrap() as f64 * 1e-9;
    let hours = battery.cluster_hours.unwrap();
    assert!(
        (hours - 3.3 / watts).abs() / hours < 1e-6,
        "{hours} vs {}",
        3.3 / watts
    );
}

#[test]
fn bad_battery_is_a_clear_error() {
    let loaded = two_replicas_one_request("[energy]\nbattery_mah = -5\n");
    let error = simulate(&loaded, &RunOptions::default()).unwrap_err();
    assert!(error.to_string().contains("battery_mah"), "{error}");
}
