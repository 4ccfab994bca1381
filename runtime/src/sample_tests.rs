use super::*;
use crate::decode::decode;
use crate::record::RawRecord;
use crate::time::Timestamp;
use std::sync::Arc;

/// The shape the compiler generates for a source field with quality and source timestamp (generated structs
/// allow non-snake-case names, since schema field names are kept as they are).
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
struct Spindle {
    #[serde(rename = "speed", default)]
    speed: SampleValue<f64>,
    #[serde(rename = "speed_quality", default)]
    speed__quality: Quality,
    #[serde(rename = "speed_timestamp", default)]
    speed__timestamp: Option<Timestamp>,
    #[serde(rename = "count", default)]
    count: SampleValue<i64>,
    #[serde(rename = "program", default)]
    program: SampleValue<String>,
    #[serde(rename = "running", default)]
    running: SampleValue<bool>,
    #[serde(rename = "changed_at", default)]
    changed_at: SampleValue<Timestamp>,
}

const HEADERS: &[&str] = &[
    "speed",
    "speed_quality",
    "speed_timestamp",
    "count",
    "program",
    "running",
    "changed_at",
];

fn from_csv(fields: &[&str]) -> Spindle {
    let raw = RawRecord::csv(
        Arc::from("mill"),
        1,
        Arc::new(csv::StringRecord::from(HEADERS.to_vec())),
        csv::StringRecord::from(fields.to_vec()),
    );
    decode(&raw, "Spindle").unwrap()
}

fn from_jsonl(line: &str) -> Spindle {
    decode(&RawRecord::json_line(Arc::from("mill"), 1, line), "Spindle").unwrap()
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

#[test]
fn csv_values_of_every_kind() {
    let row = from_csv(&[
        " 1200.5",
        "Good",
        "2026-03-01T12:00:00Z",
        "7",
        "O1234",
        "TRUE",
        "2026-03-01T11:59:00+00:00",
    ]);
    assert_eq!(row.speed, SampleValue::Value(1200.5));
    assert_eq!(row.speed__quality, Quality::Good);
    assert_eq!(row.speed__timestamp, Some(at("2026-03-01T12:00:00Z")));
    assert_eq!(row.count, SampleValue::Value(7));
    assert_eq!(row.program, SampleValue::Value("O1234".to_string()));
    assert_eq!(row.running, SampleValue::Value(true));
    assert_eq!(
        row.changed_at,
        SampleValue::Value(at("2026-03-01T11:59:00Z"))
    );
    assert_eq!(good(&row.speed, row.speed__quality, "speed"), Ok(1200.5));
}

#[test]
fn csv_unavailable_missing_and_garbled_are_not_decode_errors() {
    let row = from_csv(&["UNAVAILABLE", "", "", "", "UNAVAILABLE", "yes", "soon"]);
    assert_eq!(row.speed, SampleValue::Unavailable);
    // The column is empty, which reads as UNCERTAIN; the value's quality is BAD.
    assert_eq!(row.speed__quality, Quality::Uncertain);
    assert_eq!(row.speed.quality(row.speed__quality), Quality::Bad);
    assert_eq!(row.speed__timestamp, None);
    assert_eq!(row.count, SampleValue::Missing);
    // Exactly UNAVAILABLE, even for text.
    assert_eq!(row.program, SampleValue::Unavailable);
    assert_eq!(row.running, SampleValue::Garbled("yes".to_string()));
    assert_eq!(row.changed_at, SampleValue::Garbled("soon".to_string()));

    let row = from_csv(&["abc", "bad", "", "1.5", "unavailable", " ", ""]);
    assert_eq!(row.speed, SampleValue::Garbled("abc".to_string()));
    assert_eq!(row.count, SampleValue::Garbled("1.5".to_string()));
    assert_eq!(row.program, SampleValue::Value("unavailable".to_string()));
    assert_eq!(row.running, SampleValue::Missing);
}

#[test]
fn jsonl_values_numbers_text_null_and_absent() {
    let row = from_jsonl(
        r#"{"speed": 1200.5, "speed_quality": 0, "count": 7, "program": "O1234", "running": false,
            "changed_at": "2026-03-01T11:59:00Z", "speed_timestamp": "2026-03-01T12:00:00Z"}"#,
    );
    assert_eq!(row.speed, SampleValue::Value(1200.5));
    assert_eq!(row.speed__quality, Quality::Good);
    assert_eq!(row.speed__timestamp, Some(at("2026-03-01T12:00:00Z")));
    assert_eq!(row.count, SampleValue::Value(7));
    assert_eq!(row.running, SampleValue::Value(false));

    let row = from_jsonl(
        r#"{"speed": "UNAVAILABLE", "speed_quality": 2147483648, "count": null, "program": 42,
            "running": [true]}"#,
    );
    assert_eq!(row.speed, SampleValue::Unavailable);
    assert_eq!(row.speed__quality, Quality::Bad);
    assert_eq!(row.speed__timestamp, None);
    assert_eq!(row.count, SampleValue::Missing);
    // A number where text is declared reads as the text it is written as, as it would from CSV.
    assert_eq!(row.program, SampleValue::Value("42".to_string()));
    assert_eq!(row.running, SampleValue::Garbled("[true]".to_string()));
    assert_eq!(row.changed_at, SampleValue::Missing);

    let row = from_jsonl(r#"{"speed": "1.5e3", "count": "2.5"}"#);
    assert_eq!(row.speed, SampleValue::Value(1500.0));
    assert_eq!(row.speed__quality, Quality::Uncertain);
    // Text is a reading, which may be garbled; the flow decides what a garbled count means.
    assert_eq!(row.count, SampleValue::Garbled("2.5".to_string()));
}

#[test]
fn a_json_number_or_boolean_of_another_type_is_a_decode_reject() {
    // The source typed it (an OPC UA Double, a Sparkplug Float): not the schema's type is a wrong schema or
    // node, not a bad reading, so the record is rejected whole, with the reason.
    for (line, why) in [
        (
            r#"{"speed": 1.0, "count": 3.0}"#,
            "floating point `3.0`, expected i64",
        ),
        (
            r#"{"speed": 1.0, "count": 1e3}"#,
            "floating point `1000.0`, expected i64",
        ),
        (
            r#"{"speed": true, "count": 1}"#,
            "boolean `true`, expected f64",
        ),
    ] {
        let reject =
            decode::<Spindle>(&RawRecord::json_line(Arc::from("mill"), 1, line), "Spindle")
                .unwrap_err();
        let detail = format!("{reject:?}");
        assert!(detail.contains(why), "{line}: {detail}");
    }
    // A whole number is a float, and a number is the text it is written as.
    let row = from_jsonl(r#"{"speed": 1200, "count": 7, "program": 42}"#);
    assert_eq!(row.speed, SampleValue::Value(1200.0));
    assert_eq!(row.program, SampleValue::Value("42".to_string()));
}

#[test]
fn quality_from_names_and_status_codes() {
    let cases = [
        ("good", Quality::Good),
        ("GOOD", Quality::Good),
        (" Uncertain ", Quality::Uncertain),
        ("bad", Quality::Bad),
        ("GoodClamped", Quality::Good),
        ("UncertainLastUsableValue", Quality::Uncertain),
        ("BadCommunicationError", Quality::Bad),
        ("0", Quality::Good),
        ("0x00A30000", Quality::Good),
        ("1083310080", Quality::Uncertain), // 0x40920000 UncertainSubNormal
        ("0x80050000", Quality::Bad),       // BadCommunicationError
        ("2147483648", Quality::Bad),       // 0x80000000 as unsigned...
        ("-2147483648", Quality::Bad),      // ...and as a signed 32-bit integer
        ("0xC0000000", Quality::Bad),
        ("", Quality::Uncertain),
    ];
    for (text, expected) in cases {
        assert_eq!(Quality::parse(text), Ok(expected), "{text:?}");
    }
    for bad in ["ok", "1.0", "0xZZ", "99999999999", "0x1FFFFFFFF"] {
        let err = Quality::parse(bad).unwrap_err();
        assert!(err.contains("is not a signal quality"), "{bad}: {err}");
    }
}

/// `Quality::parse` as it was before it compared in place: on a lowercase copy.
fn quality_through_a_lowercase_copy(text: &str) -> Option<Quality> {
    let lower = text.trim().to_ascii_lowercase();
    if lower.is_empty() {
        return Some(Quality::Uncertain);
    }
    for (prefix, quality) in [
        ("good", Quality::Good),
        ("uncertain", Quality::Uncertain),
        ("bad", Quality::Bad),
    ] {
        if lower.starts_with(prefix) {
            return Some(quality);
        }
    }
    let code = match lower.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => lower
            .parse::<u32>()
            .ok()
            .or_else(|| lower.parse::<i32>().ok().map(|signed| signed as u32)),
    };
    code.map(Quality::from_status_code)
}

#[test]
fn quality_in_place_reads_as_a_lowercase_copy_does() {
    let words = [
        "good",
        "GOOD",
        "gOoD",
        "Go",
        "goo",
        "g\u{f6}od",
        "GoodClamped",
        "uncertain",
        "UNCERTAIN",
        "Uncert",
        "BAD",
        "bAd",
        "ba",
        "BadCommunicationError",
        "\u{212a}bad",
        "0",
        "00",
        "+5",
        "-1",
        "0x",
        "0X",
        "0xff",
        "0XFF",
        "0xC0000000",
        "0Xc0000000",
        "+0x5",
        "0x+5",
        "0x-5",
        "2147483648",
        "-2147483648",
        "4294967295",
        "4294967296",
        "1.0",
        "ok",
        "\u{e9}",
        "",
        " ",
        "\t bad \n",
        "\u{a0}good\u{a0}",
        "0x\u{e9}",
        "\u{130}",
    ];
    for word in words {
        for text in [
            word.to_string(),
            format!(" {word}"),
            format!("{word}x"),
            format!("{word}7"),
        ] {
            assert_eq!(
                Quality::parse(&text).ok(),
                quality_through_a_lowercase_copy(&text),
                "{text:?}"
            );
        }
    }
}

#[test]
fn quality_errors_are_decode_errors_naming_the_column() {
    let raw = RawRecord::csv(
        Arc::from("mill"),
        3,
        Arc::new(csv::StringRecord::from(HEADERS.to_vec())),
        csv::StringRecord::from(vec!["1", "fine", "", "", "", "", ""]),
    );
    let reject = decode::<Spindle>(&raw, "Spindle").unwrap_err();
    let detail = reject.detail.unwrap();
    assert!(
        detail.starts_with("column \"speed_quality\": \"fine\" is not a signal quality"),
        "{detail}"
    );
    let reject = decode::<Spindle>(
        &RawRecord::json_line(Arc::from("mill"), 1, r#"{"speed_quality": -1.5}"#),
        "Spindle",
    )
    .unwrap_err();
    assert!(reject
        .detail
        .unwrap()
        .contains("is not an OPC UA status code"));
}

#[test]
fn quality_is_the_builtin_enum() {
    assert_eq!(Quality::default(), Quality::Uncertain);
    assert_eq!(Quality::Bad.code(), "BAD");
    assert_eq!(crate::stdlib::string(&Quality::Good), "GOOD");
    assert_eq!(
        serde_json::to_string(&Quality::Uncertain).unwrap(),
        "\"UNCERTAIN\""
    );
    let back: Quality = serde_json::from_str("\"UNCERTAIN\"").unwrap();
    assert_eq!(back, Quality::Uncertain);
}

#[test]
fn good_and_value_explain_what_is_wrong() {
    let speed = SampleValue::Value(1200.5);
    assert_eq!(good(&speed, Quality::Good, "speed"), Ok(1200.5));
    assert_eq!(
        good(&speed, Quality::Bad, "speed").unwrap_err().detail(),
        "speed has quality BAD"
    );
    assert_eq!(
        good(&speed, Quality::Uncertain, "speed")
            .unwrap_err()
            .detail(),
        "speed has quality UNCERTAIN"
    );
    assert_eq!(speed.value("speed"), Ok(1200.5));

    let unavailable = SampleValue::<f64>::Unavailable;
    assert_eq!(
        good(&unavailable, Quality::Good, "speed")
            .unwrap_err()
            .detail(),
        "speed is UNAVAILABLE"
    );
    assert_eq!(
        unavailable.value("speed").unwrap_err().detail(),
        "speed is UNAVAILABLE"
    );
    assert_eq!(
        SampleValue::<f64>::Missing
            .value("speed")
            .unwrap_err()
            .detail(),
        "field speed is empty"
    );

    let garbled = SampleValue::<f64>::Garbled("abc".to_string());
    assert_eq!(
        good(&garbled, Quality::Good, "speed").unwrap_err().detail(),
        "speed: \"abc\" is not a number"
    );
    // Junk of bad quality fails for its quality.
    assert_eq!(
        good(&garbled, Quality::Bad, "speed").unwrap_err().detail(),
        "speed has quality BAD"
    );
    assert_eq!(
        garbled.value("speed").unwrap_err().detail(),
        "speed: \"abc\" is not a number"
    );
    let garbled_time = SampleValue::<Timestamp>::Garbled("2026-03-01 12:00".to_string());
    assert!(garbled_time
        .value("changed_at")
        .unwrap_err()
        .detail()
        .starts_with("changed_at: \"2026-03-01 12:00\" is not a timestamp"));
}

enum MachineCodeRule {}
impl crate::IdRule for MachineCodeRule {
    const TYPE_NAME: &'static str = "MachineCode";
    const BASE: crate::IdBase = crate::IdBase::Text;
    const PATTERN: Option<&'static str> = Some("MILL-[0-9]{2}");
    fn compiled_pattern() -> &'static std::sync::OnceLock<crate::IdPattern> {
        static COMPILED: std::sync::OnceLock<crate::IdPattern> = std::sync::OnceLock::new();
        &COMPILED
    }
}
type MachineCode = crate::Id<MachineCodeRule>;

#[test]
fn identifier_samples_validate_and_keep_bad_text() {
    let valid = SampleValue::<MachineCode>::from_text("MILL-01");
    assert_eq!(
        valid.value("machine").unwrap(),
        MachineCode::parse("MILL-01").unwrap()
    );
    let invalid = SampleValue::<MachineCode>::from_text("MX-1");
    assert_eq!(invalid, SampleValue::Garbled("MX-1".to_string()));
    assert_eq!(
        invalid.value("machine").unwrap_err().detail(),
        "machine: \"MX-1\" is not a valid MachineCode: it does not match ^MILL-[0-9]{2}$"
    );
    let from_json: SampleValue<MachineCode> = serde_json::from_str("\"MILL-02\"").unwrap();
    assert_eq!(from_json.value("machine").unwrap().as_str(), "MILL-02");
}

#[test]
fn quality_codes_are_usable_as_match_patterns() {
    // Generated code matches on `Quality::GOOD` like on any enum code.
    let describe = |q: Quality| match q {
        Quality::GOOD => "good",
        Quality::UNCERTAIN => "uncertain",
        Quality::BAD => "bad",
    };
    assert_eq!(describe(Quality::Good), "good");
    assert_eq!(describe(Quality::Uncertain), "uncertain");
    assert_eq!(describe(Quality::Bad), "bad");
}

#[test]
fn an_unavailable_value_is_bad_whatever_its_quality_column_says() {
    for reported in [Quality::Good, Quality::Uncertain, Quality::Bad] {
        assert_eq!(
            SampleValue::<f64>::Unavailable.quality(reported),
            Quality::Bad
        );
        // Any other value has the quality its source reported.
        assert_eq!(SampleValue::Value(1.0).quality(reported), reported);
        assert_eq!(SampleValue::<f64>::Missing.quality(reported), reported);
        assert_eq!(
            SampleValue::<f64>::Garbled("abc".into()).quality(reported),
            reported
        );
    }
}

/// The reading `SampleValue` had before it read text where it lies: every value through a
/// `serde_json::Value` first. The reference its visitor is compared with.
fn through_a_json_value<'de, T: serde::de::DeserializeOwned, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<SampleValue<T>, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    SampleValue::from_json_value(value)
}

/// Texts of every shape a sample's value comes in: numbers at and beyond every integer's range,
/// floats, booleans, UNAVAILABLE, blanks, garbage, and (in JSON) lists and objects.
fn sample_texts() -> Vec<String> {
    let mut texts: Vec<String> = [
        "0",
        "-0",
        "1",
        "-1",
        "1.5",
        " 2.5 ",
        "1e3",
        "1E400",
        "-1e-400",
        "3.0",
        "007",
        "+7",
        "0x1f",
        "NaN",
        "inf",
        "-inf",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "123456789012345678901234567890",
        "true",
        "false",
        "True",
        "null",
        "",
        " ",
        "UNAVAILABLE",
        "unavailable",
        " UNAVAILABLE",
        "abc",
        "12.5.1",
        "1,5",
        "ü",
        "2024-03-01T12:00:00Z",
        "2024-03-01 12:00:00+01:00",
    ]
    .iter()
    .map(|text| text.to_string())
    .collect();
    // Seeded: random floats, integers and short texts of number-like characters.
    let mut state: u64 = 0x5a3b_1e00_0017_0001;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..3000 {
        let bits = next();
        texts.push(serde_json::to_string(&f64::from_bits(bits)).unwrap());
        texts.push((bits as i64 >> (bits % 64)).to_string());
        let alphabet = b"0123456789.-+eE x";
        let len = (next() % 8) as usize;
        texts.push(
            (0..len)
                .map(|_| alphabet[(next() % 17) as usize] as char)
                .collect(),
        );
    }
    texts
}

fn same_reading<T>(texts: &[String])
where
    T: serde::de::DeserializeOwned + std::fmt::Debug + PartialEq,
{
    for text in texts {
        // As a CSV field, and as JSON: the text itself (when it is JSON) and the text quoted.
        let csv = SampleValue::<T>::deserialize(CsvField(text)).map_err(|e| e.to_string());
        let reference = through_a_json_value::<T, _>(CsvField(text)).map_err(|e| e.to_string());
        assert_eq!(csv, reference, "CSV field {text:?}");
        let quoted = serde_json::to_string(text).unwrap();
        for json in [text.as_str(), &quoted] {
            let read = serde_json::from_str::<SampleValue<T>>(json).map_err(|e| e.to_string());
            let mut deserializer = serde_json::Deserializer::from_str(json);
            let reference = through_a_json_value::<T, _>(&mut deserializer)
                .and_then(|value| deserializer.end().map(|()| value))
                .map_err(|e| e.to_string());
            assert_eq!(read, reference, "JSON {json}");
        }
        crate::decode_rule::clear();
    }
}

#[test]
fn a_sample_reads_as_it_did_through_a_json_value() {
    let mut texts = sample_texts();
    texts.extend(["[]", "[1, \"a\"]", "{}", "{\"a\": 1}", "[null]"].map(String::from));
    same_reading::<f64>(&texts);
    same_reading::<i64>(&texts);
    same_reading::<u8>(&texts);
    same_reading::<bool>(&texts);
    same_reading::<String>(&texts);
    same_reading::<Timestamp>(&texts);
}
