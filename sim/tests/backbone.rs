//! Backbones: a hierarchical cluster whose groups' gateway chips sit on switched Ethernet, Wi-Fi
//! or ESP-NOW, with hosts on the network. Every message between a host and a group crosses the
//! backbone's elements in order; radio channels are shared by the groups on them; settings that
//! cannot be built are refused with what would work.

use ruvsim_sim::result::RunResult;
use ruvsim_sim::run::{simulate, RunOptions};
use ruvsim_sim::scenario::{parse, LoadedScenario};

fn scenario(groups: u32, gateway: u32, link: &str, backbone: &str) -> LoadedScenario {
    let text = format!(
        r#"[scenario]
name = "backbone"
fidelity = "timing"
[model]
source = "synthetic"
shape = "stories260k"
seed = 7
precision = "int8"
[cluster]
variant = "esp32s3"
topology = {{ kind = "hierarchical", gateway = {gateway}, group = {{ kind = "chain", chips = 5 }}, top = {{ kind = "switched", chips = {groups} }} }}
link = {link}
{backbone}
[parallelism]
pipeline = 5
replicas = {groups}
[workload]
arrivals = {{ kind = "closed_loop", concurrency = {groups} }}
requests = {groups}
prompt = {{ length = 4 }}
new_tokens = 6
"#
    );
    LoadedScenario {
        scenario: parse("backbone.toml", &text).unwrap_or_else(|e| panic!("{e}")),
        file: "backbone.toml".into(),
        dir: ".".into(),
    }
}

const SPI: &str = r#"{ kind = "spi", clock_mhz = 40, lines = 2, mode = "polling_dma" }"#;
const ETHERNET: &str = r#"backbone = { kind = "ethernet", nic = "w5500", groups_per_host = 4 }"#;

fn run(loaded: &LoadedScenario) -> RunResult {
    simulate(loaded, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn refusal(loaded: &LoadedScenario) -> String {
    match simulate(loaded, &RunOptions::default()) {
        Ok(_) => panic!("the scenario should be refused"),
        Err(e) => e.to_string(),
    }
}

/// The link row whose `ends` text is `name`.
fn link<'a>(result: &'a RunResult, name: &str) -> &'a ruvsim_sim::result::LinkResult {
    result
        .links
        .iter()
        .find(|l| l.ends == name)
        .unwrap_or_else(|| panic!("no link {name}"))
}

#[test]
fn every_prompt_and_token_crosses_the_gateway_interface_and_the_hosts_port() {
    let result = run(&scenario(10, 0, SPI, ETHERNET));
    assert_eq!(result.summary.requests_completed, 10);
    // 10 groups, 4 per host: hosts 0 and 1 serve 4 groups, host 2 serves 2.
    for (host, groups) in [(0, 4), (1, 4), (2, 2)] {
        let up = link(
            &result,
            &format!("host {host}: switch port toward the host"),
        );
        let down = link(&result, &format!("host {host}: switch port from the host"));
        assert_eq!(
            up.messages,
            6 * groups,
            "host {host}: one message per token"
        );
        assert_eq!(down.messages, groups, "host {host}: one prompt per request");
        assert_eq!(down.bytes, 16 * groups, "4 prompt tokens of 4 bytes");
    }
    for group in 0..10 {
        let nic = link(&result, &format!("chip {}: backbone interface", group * 5));
        assert_eq!(
            nic.messages,
            6 + 1,
            "group {group}: its tokens and its prompt"
        );
        assert!(nic.busy > ruvsim_engine::time::Duration::ZERO);
    }
}

#[test]
fn groups_on_one_radio_channel_share_its_air() {
    let wifi = |channels: u32| {
        format!(
            "backbone = {{ kind = \"wifi\", rate = \"6m\", channels = {channels}, groups_per_ap = 1 }}"
        )
    };
    let one = run(&scenario(12, 0, SPI, &wifi(1)));
    let three = run(&scenario(12, 0, SPI, &wifi(3)));
    assert_eq!(one.summary.requests_completed, 12);
    assert_eq!(three.summary.requests_completed, 12);
    let air = |r: &RunResult, c: u32| link(r, &format!("radio channel {c}")).busy;
    // The same frames take the same air time in total, spread over three channels or one.
    let total_three = air(&three, 0) + air(&three, 1) + air(&three, 2);
    assert_eq!(air(&one, 0), total_three);
    assert!(
        one.summary.makespan > three.summary.makespan,
        "one channel: {:?}, three: {:?}",
        one.summary.makespan,
        three.summary.makespan
    );
}

#[test]
fn backbones_that_cannot_be_built_are_refused_with_what_would_work() {
    // The W5500 needs one of the gateway's two SPI hosts; chip 2 of a chain uses both.
    let err = refusal(&scenario(4, 2, SPI, ETHERNET));
    assert!(
        err.contains("W5500 takes one of the gateway chip's 2 SPI hosts"),
        "{err}"
    );
    // Over UART the gateway's SPI hosts are free.
    let uart = r#"{ kind = "uart", baud = 2000000 }"#;
    assert_eq!(
        run(&scenario(4, 2, uart, ETHERNET))
            .summary
            .requests_completed,
        4
    );
    // A switched level without a backbone says what it needs.
    let err = refusal(&scenario(4, 0, SPI, ""));
    assert!(err.contains("give cluster.backbone"), "{err}");
    // The EMAC exists only on the classic ESP32.
    let emac = r#"backbone = { kind = "ethernet", nic = "emac" }"#;
    let err = refusal(&scenario(4, 0, SPI, emac));
    assert!(err.contains("only the classic ESP32"), "{err}");
}
