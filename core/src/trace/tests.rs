use crate::config::ModelShape;
use std::string::String;
use std::vec::Vec;

use super::*;
use crate::config::{AttentionPattern, ModelConfig, Precision};
use crate::workspace::Shard;

/// A clock that advances by a fixed step at every reading.
struct Steps {
    now: u64,
    step: u64,
}

impl Clock for Steps {
    fn now(&mut self) -> u64 {
        self.now += self.step;
        self.now
    }
}

fn tracer() -> Tracer<Steps, String> {
    Tracer::new(Steps { now: 0, step: 7 }, String::new())
}

fn records(text: &str) -> Vec<&str> {
    text.lines()
        .map(|line| line.strip_prefix(TAG).expect("every line is tagged").trim())
        .collect()
}

fn event(record: &str) -> Event<'_> {
    match parse_record(record) {
        Ok(Record::Event(event)) => event,
        other => panic!("{record}: {other:?}"),
    }
}

fn every_phase() -> [Phase; 7] {
    [
        Phase::Embed,
        Phase::Layers(Span::new(1, 3)),
        Phase::Attention {
            layer: 2,
            heads: Span::new(0, 4),
        },
        Phase::Ffn {
            layer: 4,
            units: Span::new(16, 64),
        },
        Phase::Combine {
            layer: 1,
            block: Block::Ffn,
            ranks: 3,
        },
        Phase::Classify(Span::new(0, 512)),
        Phase::Sample,
    ]
}

#[test]
fn every_event_parses_back_to_itself() {
    let events = [
        Event::TokenStart {
            req: 0,
            pos: 3,
            t: 10,
        },
        Event::TokenStart {
            req: 2,
            pos: 0,
            t: 11,
        },
        Event::TokenEnd {
            req: 1,
            pos: 9,
            token: Some(42),
            t: u64::MAX,
        },
        Event::TokenEnd {
            req: 0,
            pos: 9,
            token: None,
            t: 0,
        },
        Event::Transmit {
            peer: "board-2",
            bytes: 256,
            t: 5,
            dt: 99,
        },
        Event::Receive {
            peer: "b0",
            bytes: 4,
            t: 1,
            dt: 2,
        },
        Event::Summary {
            tok_s: 32.83,
            tokens: Some(200),
        },
        Event::Summary {
            tok_s: 1e-3,
            tokens: None,
        },
    ];
    let phases = every_phase().into_iter().flat_map(|phase| {
        [
            Event::PhaseStart {
                phase,
                stream: 0,
                pos: 1,
                t: 2,
            },
            Event::PhaseEnd {
                phase,
                stream: 5,
                pos: 511,
                t: 3,
            },
        ]
    });
    for original in events.into_iter().chain(phases) {
        let mut text = String::new();
        write_event(&mut text, &original).unwrap();
        assert_eq!(event(&text), original, "{text}");
    }
}

#[test]
fn tracer_stamps_phases_and_links_with_its_clock() {
    let mut t = tracer();
    t.token_start(0, 4).unwrap();
    let value = t.phase(Phase::Layers(Span::new(0, 5)), 4, || 17).unwrap();
    assert_eq!(value, 17);
    let started = t.now();
    t.transmitted("b1", 64, started).unwrap();
    t.token_end(0, 4, Some(9)).unwrap();
    let (_, text) = t.into_parts();
    let lines = records(&text);
    assert_eq!(
        lines,
        [
            "TS p=4 t=7",
            "PS layers span=0..5 p=4 t=14",
            "PE layers span=0..5 p=4 t=21",
            "TX peer=b1 bytes=64 t=28 dt=7",
            "TE p=4 tok=9 t=42",
        ]
    );
}

#[test]
fn transmit_across_a_counter_wrap_measures_the_short_way() {
    // A 32-bit cycle counter read 10 ticks before its wrap when the send began, and reads 10 now.
    let started = (1u64 << 32) - 10;
    let mut t = Tracer::new(Steps { now: 0, step: 10 }, String::new());
    t.transmitted("b1", 1, started).unwrap();
    let (_, text) = t.into_parts();
    assert_eq!(
        event(records(&text)[0]),
        Event::Transmit {
            peer: "b1",
            bytes: 1,
            t: started,
            dt: 20
        }
    );
    assert_eq!(ClockSource::Ccount.elapsed(started, 10), 20);
    assert_eq!(ClockSource::EspTimer.elapsed(5, 12), 7);
}

#[test]
fn header_lines_hold_every_field() {
    let config = ModelConfig {
        shape: ModelShape::preset("stories260k").expect("a preset"),
        precision: Precision::F32,
        attention: AttentionPattern::BigBird {
            global: 2,
            window: 8,
            random: 3,
            seed: 99,
        },
    };
    let header = Header {
        board: "s3 #1",
        chip: 0,
        variant: "esp32s3",
        clock_mhz: 240,
        cores: 2,
        kernel: "optimized",
        clock: ClockSource::EspTimer,
        origin: Origin::Measured,
        source: Some("a \"quoted\" \\ source"),
        model_crc32: 0x0123_abcd,
        config,
        partition: Shard::whole(&config),
        extra: &[("weights", "psram"), ("psram", "quad@80")],
    };
    let mut t = tracer();
    t.header(&header).unwrap();
    let (_, text) = t.into_parts();
    let mut fields = Vec::new();
    for record in records(&text) {
        match parse_record(record) {
            Ok(Record::Header(tokens)) => {
                for token in tokens {
                    match token.unwrap() {
                        Token::Field(key, value) => {
                            fields.push((key, value.chars().collect::<String>()))
                        }
                        Token::Word(w) => panic!("bare word {w}"),
                    }
                }
            }
            other => panic!("{other:?}"),
        }
    }
    let get = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("{key} missing in {text}"))
    };
    assert_eq!(get("board"), "s3 #1");
    assert_eq!(get("source"), "a \"quoted\" \\ source");
    assert_eq!(get("model"), "crc32:0123abcd");
    assert_eq!(get("clock"), "esp_timer");
    assert_eq!(get("origin"), "measured");
    assert_eq!(
        get("precision").parse::<Precision>().ok(),
        Some(Precision::F32)
    );
    assert_eq!(parse_attention(get("attention")), Some(config.attention));
    assert_eq!(
        parse_partition(get("partition")),
        Some(Shard::whole(&config))
    );
    assert_eq!(get("psram"), "quad@80");
    assert_eq!(get("v"), "1");
}

#[test]
fn partitions_and_patterns_round_trip() {
    let shards = [
        Shard {
            embedding: false,
            layers: Span::new(2, 3),
            heads: Span::new(4, 8),
            ffn_units: Span::new(0, 16),
            vocab: Span::default(),
        },
        Shard {
            embedding: false,
            layers: Span::default(),
            heads: Span::default(),
            ffn_units: Span::default(),
            vocab: Span::default(),
        },
    ];
    for shard in shards {
        let mut text = String::new();
        write_partition(&mut text, &shard).unwrap();
        assert_eq!(parse_partition(&text), Some(shard), "{text}");
    }
    for pattern in [
        AttentionPattern::Full,
        AttentionPattern::SlidingWindow { window: 32 },
        AttentionPattern::Strided {
            stride: 4,
            local: 8,
        },
        AttentionPattern::Dilated {
            window: 8,
            dilation: 2,
        },
    ] {
        let mut text = String::new();
        write_attention(&mut text, &pattern).unwrap();
        assert_eq!(parse_attention(&text), Some(pattern), "{text}");
    }
    assert_eq!(parse_partition("embed,embed"), None);
    assert_eq!(parse_partition("layers:3..1"), None);
    assert_eq!(parse_partition("rows:0..4"), None);
    assert_eq!(parse_attention("window:8:9"), None);
}

#[test]
fn malformed_records_say_what_is_wrong() {
    let cases = [
        ("", "empty record"),
        ("XX p=1", "unknown record kind `XX`"),
        ("TS p=1", "TS record lacks `t=`"),
        ("TS p=1 t=2 t=3", "field `t` appears twice"),
        ("TS p=x t=2", "field `p` = `x` is not a whole number"),
        ("TS p=-1 t=2", "is not a whole number"),
        ("TS p=1 t=2 tok=3", "TS record has no field `tok`"),
        ("PS p=1 t=2", "lacks the phase name"),
        ("PS warp p=1 t=2", "unknown phase `warp`"),
        ("PS embed span=0..1 p=1 t=2", "has no field `span`"),
        ("PS layers span=3..1 p=1 t=2", "is not a range"),
        ("PS combine layer=0 block=x ranks=2 p=0 t=0", "attn or ffn"),
        ("TX peer=\"b1 bytes=3", "never ends"),
        ("TX peer=b1 bytes=3 t=1", "lacks `dt=`"),
        ("S tok_s=-3", "positive number"),
        ("TE p=1 t=99999999999999999999", "is not a whole number"),
        ("TS =3", "no name"),
        ("TS p=1 t=2 extra", "unexpected word `extra`"),
    ];
    for (record, expected) in cases {
        let message = match parse_record(record) {
            Err(error) => std::format!("{error}"),
            Ok(other) => panic!("{record:?} parsed as {other:?}"),
        };
        assert!(message.contains(expected), "{record:?}: {message}");
    }
}

#[test]
fn values_with_line_breaks_are_refused_not_altered() {
    let mut text = String::new();
    assert!(write_value(&mut text, "two\nlines").is_err());
    let mut text = String::new();
    write_value(&mut text, "").unwrap();
    assert_eq!(text, "\"\"");
}

#[test]
fn model_checksum_is_crc32_of_the_file() {
    // The CRC-32 check value of the IEEE polynomial.
    assert_eq!(model_crc32(b"123456789"), 0xcbf4_3926);
}
