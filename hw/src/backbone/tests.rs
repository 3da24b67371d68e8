use super::*;
use crate::calibration::Calibration;

fn calibration(variant: Variant) -> Calibration {
    Calibration::builtin(variant)
}

fn ethernet(nic: EthernetNic) -> BackboneConfig {
    BackboneConfig::Ethernet(EthernetConfig {
        nic,
        spi_clock_mhz: 20.0,
        groups_per_host: 47,
        host_mbps: 1000.0,
        switch_latency_us: 5.0,
    })
}

#[test]
fn the_emac_exists_only_on_the_classic_esp32() {
    let config = ethernet(EthernetNic::Emac);
    assert!(Backbone::new(&config, &calibration(Variant::Esp32)).is_ok());
    let err = Backbone::new(&config, &calibration(Variant::Esp32S3)).unwrap_err();
    assert!(err.to_string().contains("use nic = \"w5500\""), "{err}");
}

#[test]
fn an_ethernet_token_goes_through_the_gateway_nic_then_the_hosts_port() {
    let backbone = Backbone::new(
        &ethernet(EthernetNic::W5500),
        &calibration(Variant::Esp32S3),
    )
    .unwrap();
    let up = backbone.legs(Route::ToHost, 4).unwrap();
    assert_eq!(up.len(), 2);
    assert_eq!(up[0].element, Element::Gateway);
    assert_eq!(up[0].latency, Duration::from_us(5));
    assert_eq!(up[1].element, Element::Host { toward_host: true });
    // A minimum frame at 1 Gbit/s: 84 bytes, 672 ns.
    assert_eq!(up[1].busy, Duration::from_ns(672));
    // The W5500's SPI work dominates: far longer than the frame's wire time.
    assert!(up[0].busy > Duration::from_us(30));
    let down = backbone.legs(Route::FromHost, 4).unwrap();
    assert_eq!(down[0].element, Element::Host { toward_host: false });
    // 5 us in the switch, then 6.72 us on the 100 Mbit/s port to the gateway.
    assert_eq!(down[0].latency, Duration::from_ns(11_720));
    assert!(down[1].receiver);
}

#[test]
fn radio_backbones_occupy_their_channel_for_the_frame_exchange() {
    let espnow = BackboneConfig::EspNow(EspNowBackboneConfig {
        rate: PhyRate::Dsss1Long,
        channels: 3,
        groups_per_host: 20,
    });
    let backbone = Backbone::new(&espnow, &calibration(Variant::Esp32S3)).unwrap();
    let up = backbone.legs(Route::ToHost, 250).unwrap();
    assert_eq!(up[0].busy, Duration::from_us(394));
    assert_eq!(up[1].element, Element::Channel);
    assert_eq!(up[1].busy, Duration::from_us(3_210));
    // Hosts 0, 1, 2 on channels 0, 1, 2; host 3 shares channel 0.
    assert_eq!(backbone.channel_of(0, 3), Some(0));
    assert_eq!(backbone.channels_used(100, 5), 3);

    let wifi = BackboneConfig::Wifi(WifiConfig {
        rate: PhyRate::Mcs7Lgi,
        channels: 3,
        groups_per_ap: 30,
        groups_per_host: 47,
        host_mbps: 1000.0,
        switch_latency_us: 5.0,
    });
    let backbone = Backbone::new(&wifi, &calibration(Variant::Esp32S3)).unwrap();
    let up = backbone.legs(Route::ToHost, 256).unwrap();
    assert_eq!(up[0].element, Element::Channel);
    assert_eq!(up[0].busy.as_ps(), PhyRate::Mcs7Lgi.exchange_ps(256 + 66));
    // Groups 0-29 on access point 0 (channel 0), 30-59 on channel 1, 90 back on channel 0.
    assert_eq!(backbone.channel_of(29, 0), Some(0));
    assert_eq!(backbone.channel_of(30, 0), Some(1));
    assert_eq!(backbone.channel_of(90, 1), Some(0));
}

#[test]
fn settings_outside_their_physical_range_are_refused_with_the_key() {
    let mut too_many = EspNowBackboneConfig {
        rate: PhyRate::Dsss1Long,
        channels: 3,
        groups_per_host: 21,
    };
    let err = Backbone::new(
        &BackboneConfig::EspNow(too_many.clone()),
        &calibration(Variant::Esp32),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("groups_per_host = 21 is above 20"),
        "{err}"
    );
    too_many.groups_per_host = 20;
    too_many.channels = 4;
    let err = Backbone::new(
        &BackboneConfig::EspNow(too_many),
        &calibration(Variant::Esp32),
    )
    .unwrap_err();
    assert!(err.to_string().contains("channels = 4"), "{err}");
    let mut fast = match ethernet(EthernetNic::W5500) {
        BackboneConfig::Ethernet(e) => e,
        _ => unreachable!(),
    };
    fast.spi_clock_mhz = 100.0;
    let err = Backbone::new(
        &BackboneConfig::Ethernet(fast),
        &calibration(Variant::Esp32S3),
    )
    .unwrap_err();
    assert!(err.to_string().contains("spi_clock_mhz = 100"), "{err}");
}
