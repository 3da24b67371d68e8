//! Tests of the link models.

use super::*;
use ruvsim_engine::rng::{stream, Purpose};

fn cal(variant: Variant) -> Calibration {
    Calibration::builtin(variant)
}

fn spi(clock_mhz: f64, lines: u32, mode: SpiMode) -> LinkConfig {
    LinkConfig::Spi(SpiConfig {
        clock_mhz,
        lines,
        mode,
        pins: SpiPins::Iomux,
    })
}

fn model(config: &LinkConfig, variant: Variant) -> Result<LinkModel, LinkError> {
    LinkModel::new(config, &cal(variant), &cal(variant))
}

#[test]
fn doubling_the_spi_clock_halves_the_data_phase_and_keeps_the_overhead() {
    let slow = model(&spi(20.0, 1, SpiMode::PollingDma), Variant::Esp32S3).unwrap();
    let fast = model(&spi(40.0, 1, SpiMode::PollingDma), Variant::Esp32S3).unwrap();
    for bytes in [1u64, 100, 4092, 10_000] {
        let a = slow.transfer_time(bytes).unwrap();
        let b = fast.transfer_time(bytes).unwrap();
        assert_eq!(a.data, b.data * 2, "{bytes} bytes");
        assert_eq!(a.overhead, b.overhead);
        assert_eq!(a.transactions, b.transactions);
        assert_eq!(a.total, a.overhead + a.data);
    }
    // 1000 bytes on 1 line at 40 MHz: 8000 bits x 25 ns = 200 us, plus 11 us polling+DMA.
    let t = fast.transfer_time(1_000).unwrap();
    assert_eq!(t.data, Duration::from_us(200));
    assert_eq!(t.overhead, Duration::from_us(11));
}

#[test]
fn spi_lines_divide_the_data_phase() {
    let one = model(&spi(40.0, 1, SpiMode::PollingDma), Variant::Esp32S3).unwrap();
    let quad = model(&spi(40.0, 4, SpiMode::PollingDma), Variant::Esp32S3).unwrap();
    assert_eq!(
        one.transfer_time(4_000).unwrap().data,
        quad.transfer_time(4_000).unwrap().data * 4
    );
}

#[test]
fn spi_chunks_at_the_maximum_transaction_size() {
    let dma = model(&spi(40.0, 1, SpiMode::InterruptDma), Variant::Esp32S3).unwrap();
    assert_eq!(dma.transfer_time(4_092).unwrap().transactions, 1);
    assert_eq!(dma.transfer_time(4_093).unwrap().transactions, 2);
    let t = dma.transfer_time(3 * 4_092).unwrap();
    assert_eq!(t.transactions, 3);
    assert_eq!(t.overhead, Duration::from_us(3 * 26));
    let cpu = model(&spi(40.0, 1, SpiMode::PollingCpu), Variant::Esp32S3).unwrap();
    assert_eq!(cpu.transfer_time(64).unwrap().transactions, 1);
    assert_eq!(cpu.transfer_time(65).unwrap().transactions, 2);
    assert_eq!(cpu.transfer_time(0).unwrap(), TransferTiming::default());
}

#[test]
fn spi_configuration_is_validated_against_both_ends() {
    let err = model(&spi(40.0, 3, SpiMode::PollingDma), Variant::Esp32S3).unwrap_err();
    assert_eq!(err, LinkError::Lines(3));
    let err = model(&spi(100.0, 1, SpiMode::PollingDma), Variant::Esp32S3).unwrap_err();
    assert!(err.to_string().contains("IO_MUX"), "{err}");
    // An ESP32 slave accepts at most 10 MHz even when the S3 master could drive 80.
    let err = LinkModel::new(
        &spi(20.0, 1, SpiMode::PollingDma),
        &cal(Variant::Esp32S3),
        &cal(Variant::Esp32),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            LinkError::AboveMax {
                limit: "SPI slave clock",
                variant: Variant::Esp32,
                ..
            }
        ),
        "{err}"
    );
    let gpio = LinkConfig::Spi(SpiConfig {
        clock_mhz: 50.0,
        lines: 1,
        mode: SpiMode::PollingDma,
        pins: SpiPins::GpioMatrix,
    });
    assert!(model(&gpio, Variant::Esp32S3)
        .unwrap_err()
        .to_string()
        .contains("GPIO matrix"));
    assert!(model(&spi(0.0, 1, SpiMode::PollingDma), Variant::Esp32S3).is_err());
    assert!(model(&spi(f64::NAN, 1, SpiMode::PollingDma), Variant::Esp32S3).is_err());
}

#[test]
fn uart_sends_ten_bits_per_byte() {
    let uart = model(
        &LinkConfig::Uart(UartConfig { baud: 1_000_000 }),
        Variant::Esp32C3,
    )
    .unwrap();
    let t = uart.transfer_time(100).unwrap();
    assert_eq!(t.data, Duration::from_us(1_000));
    assert_eq!(t.overhead, Duration::ZERO);
    assert_eq!(t.transactions, 1);
    let err = model(
        &LinkConfig::Uart(UartConfig { baud: 6_000_000 }),
        Variant::Esp32C3,
    )
    .unwrap_err();
    assert!(err.to_string().contains("UART maximum baud"), "{err}");
}

#[test]
fn espnow_fragments_at_the_payload_limit() {
    let v1 = model(
        &LinkConfig::EspNow(EspNowConfig {
            version: EspNowVersion::V1,
            loss: 0.0,
            max_attempts: 1,
        }),
        Variant::Esp32,
    )
    .unwrap();
    let t = v1.transfer_time(600).unwrap();
    assert_eq!(t.transactions, 3);
    assert_eq!(t.data, Duration::from_us(4_800));
    let LinkModel::EspNow(radio) = v1 else {
        panic!("not ESP-NOW")
    };
    // 250 bytes at 214 kbps = 9,345.79 us per packet, of which 2,000 us airtime at 1 Mbps.
    assert_eq!(radio.packet_overhead.as_ps(), 9_345_794_393 - 2_000_000_000);
    assert_eq!(t.overhead, radio.packet_overhead * 3);
    let v2 = model(
        &LinkConfig::EspNow(EspNowConfig {
            version: EspNowVersion::V2,
            loss: 0.0,
            max_attempts: 1,
        }),
        Variant::Esp32,
    )
    .unwrap();
    assert_eq!(v2.transfer_time(1_470).unwrap().transactions, 1);
    assert_eq!(v2.transfer_time(1_471).unwrap().transactions, 2);
}

fn lossy(loss: f64, max_attempts: u32) -> LinkModel {
    model(
        &LinkConfig::EspNow(EspNowConfig {
            version: EspNowVersion::V1,
            loss,
            max_attempts,
        }),
        Variant::Esp32S3,
    )
    .unwrap()
}

#[test]
fn lossless_retries_match_the_deterministic_time() {
    let link = lossy(0.0, 3);
    let mut rng = stream(1, Purpose::LinkLoss, 0);
    let delivery = link.transfer_with_retries(1_000, &mut rng).unwrap();
    let timing = link.transfer_time(1_000).unwrap();
    assert_eq!(delivery.time, timing.total);
    assert_eq!(delivery.attempts, timing.transactions);
    assert_eq!(delivery.outcome, DeliveryOutcome::Delivered);
}

#[test]
fn loss_causes_retransmissions_deterministically() {
    let link = lossy(0.3, 10);
    let run = |seed| {
        let mut rng = stream(seed, Purpose::LinkLoss, 4);
        link.transfer_with_retries(25_000, &mut rng).unwrap()
    };
    let first = run(7);
    assert_eq!(first, run(7));
    assert_eq!(first.outcome, DeliveryOutcome::Delivered);
    // 100 packets at 30% loss: about 143 transmissions expected.
    assert!(
        first.attempts > 110 && first.attempts < 180,
        "{}",
        first.attempts
    );
    let per_packet = link.transfer_time(250).unwrap().total;
    assert_eq!(first.time, per_packet * first.attempts);
    assert_ne!(run(8), first);
}

#[test]
fn exhausted_attempts_fail_the_message_and_say_which_packet() {
    let link = lossy(0.9, 2);
    let mut rng = stream(3, Purpose::LinkLoss, 0);
    let delivery = link.transfer_with_retries(250 * 50, &mut rng).unwrap();
    let DeliveryOutcome::Failed { packet } = delivery.outcome else {
        panic!("a 90% loss link delivered 50 packets: {delivery:?}")
    };
    assert!(packet < 50);
    assert!(delivery.attempts >= 2 && delivery.attempts <= 2 * (packet + 1));
}

#[test]
fn espnow_settings_are_validated() {
    let config = |loss, max_attempts| {
        LinkConfig::EspNow(EspNowConfig {
            version: EspNowVersion::V1,
            loss,
            max_attempts,
        })
    };
    assert_eq!(
        model(&config(1.0, 1), Variant::Esp32).unwrap_err(),
        LinkError::Loss(1.0)
    );
    assert_eq!(
        model(&config(-0.1, 1), Variant::Esp32).unwrap_err(),
        LinkError::Loss(-0.1)
    );
    assert_eq!(
        model(&config(0.1, 0), Variant::Esp32).unwrap_err(),
        LinkError::NoAttempts
    );
}

#[test]
fn scenario_syntax_deserializes_and_rejects_typos() {
    #[derive(Deserialize)]
    struct Holder {
        link: LinkConfig,
    }
    let parsed: Holder = toml::from_str(
        "link = { kind = \"spi\", clock_mhz = 40, lines = 1, mode = \"polling_dma\" }",
    )
    .unwrap();
    assert_eq!(parsed.link, spi(40.0, 1, SpiMode::PollingDma));
    let parsed: Holder = toml::from_str("link = { kind = \"espnow\", loss = 0.05 }").unwrap();
    assert!(matches!(
        parsed.link,
        LinkConfig::EspNow(EspNowConfig {
            max_attempts: 5,
            ..
        })
    ));
    let parsed: Holder = toml::from_str("link = { kind = \"uart\", baud = 115200 }").unwrap();
    assert_eq!(parsed.link, LinkConfig::Uart(UartConfig { baud: 115_200 }));
    assert!(
        toml::from_str::<Holder>("link = { kind = \"uart\", baud = 115200, parity = 1 }").is_err()
    );
    assert!(toml::from_str::<Holder>("link = { kind = \"can\" }").is_err());
    assert!(toml::from_str::<Holder>(
        "link = { kind = \"spi\", clock_mhz = 40, lines = 1, mode = \"dma\" }"
    )
    .is_err());
}
