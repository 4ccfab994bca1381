use super::*;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Deserialize, PartialEq)]
enum Mode {
    #[serde(rename = "RUN")]
    Run,
    #[serde(rename = "IDLE")]
    Idle,
}

#[derive(Debug, Deserialize, PartialEq)]
struct MillSample {
    #[serde(rename = "machine")]
    machine: String,
    load: f64,
    count: i64,
    note: Option<String>,
    spare: Option<i64>,
    active: bool,
    mode: Mode,
}

fn csv(headers: &[&str], fields: &[&str]) -> RawRecord {
    RawRecord::csv(
        Arc::from("mill"),
        1,
        Arc::new(csv::StringRecord::from(headers.to_vec())),
        csv::StringRecord::from(fields.to_vec()),
    )
}

const HEADERS: &[&str] = &[
    "", "machine", "load", "count", "note", "spare", "active", "mode", "unused",
];

#[test]
fn csv_maps_by_column_name_and_empty_is_none() {
    let raw = csv(
        HEADERS,
        &["0", "0042", " 1.5", "7 ", "", "", "TRUE", "RUN", "x"],
    );
    let sample: MillSample = decode(&raw, "MillSample").unwrap();
    assert_eq!(
        sample,
        MillSample {
            machine: "0042".into(),
            load: 1.5,
            count: 7,
            note: None,
            spare: None,
            active: true,
            mode: Mode::Run,
        }
    );
    let raw = csv(
        HEADERS,
        &["0", "M", "2", "3", "hi", "4", "false", "IDLE", ""],
    );
    let sample: MillSample = decode(&raw, "MillSample").unwrap();
    assert_eq!(
        (sample.note.as_deref(), sample.spare, sample.mode),
        (Some("hi"), Some(4), Mode::Idle)
    );
}

#[test]
fn csv_errors_name_the_column() {
    let raw = csv(HEADERS, &["0", "M", "1,5", "3", "", "", "true", "RUN", ""]);
    let reject = decode::<MillSample>(&raw, "MillSample").unwrap_err();
    assert_eq!(reject.reason, "not a number");
    assert_eq!(
        reject.detail.as_deref(),
        Some("column \"load\": \"1,5\" is not a number")
    );

    let raw = csv(HEADERS, &["0", "M", "NaN", "3", "", "", "true", "RUN", ""]);
    let reject = decode::<MillSample>(&raw, "MillSample").unwrap_err();
    assert_eq!(reject.reason, "not a finite number");
    let detail = reject.detail.unwrap();
    assert!(detail.contains("is not a finite number"), "{detail}");

    let raw = csv(HEADERS, &["0", "M", "1", "3", "", "", "true", "STOP", ""]);
    let reject = decode::<MillSample>(&raw, "MillSample").unwrap_err();
    assert_eq!(reject.reason, "not a code of Mode");
    let detail = reject.detail.unwrap();
    assert!(
        detail.starts_with("column \"mode\": unknown variant `STOP`"),
        "{detail}"
    );
}

#[test]
fn csv_row_of_wrong_length_is_rejected() {
    let raw = csv(HEADERS, &["0", "M"]);
    let reject = decode::<MillSample>(&raw, "MillSample").unwrap_err();
    assert_eq!(reject.reason, "wrong number of fields");
    assert_eq!(
        reject.detail.as_deref(),
        Some("the row has 2 fields but the header has 9 columns")
    );
}

#[test]
fn csv_missing_column_is_named() {
    let raw = csv(&["machine"], &["M"]);
    let reject = decode::<MillSample>(&raw, "MillSample").unwrap_err();
    assert_eq!(reject.reason, "missing column");
    assert_eq!(reject.detail.unwrap(), "missing field `load`");
}

#[test]
fn json_lines_decode_and_name_the_field() {
    let raw = RawRecord::json_line(
        Arc::from("s"),
        1,
        r#"{"machine":"M","load":1,"count":2,"active":false,"mode":"RUN","extra":[1]}"#,
    );
    let sample: MillSample = decode(&raw, "MillSample").unwrap();
    assert_eq!((sample.load, sample.note), (1.0, None));

    let raw = RawRecord::json_line(Arc::from("s"), 1, r#"{"machine":"M","load":"x"}"#);
    let reject = decode::<MillSample>(&raw, "MillSample").unwrap_err();
    assert_eq!(reject.reason, "not a number");
    let detail = reject.detail.unwrap();
    assert!(
        detail.starts_with("field \"load\": invalid type: string \"x\""),
        "{detail}"
    );

    let raw = RawRecord::json_line(Arc::from("s"), 1, "{oops");
    let reject = decode::<MillSample>(&raw, "MillSample").unwrap_err();
    assert_eq!(reject.reason, "not valid JSON");
    let detail = reject.detail.unwrap();
    assert!(detail.starts_with("the line is not valid JSON"), "{detail}");

    let raw = RawRecord::json_line(Arc::from("s"), 1, "[1,2]");
    let reject = decode::<MillSample>(&raw, "MillSample").unwrap_err();
    assert_eq!(reject.reason, "not a JSON object");
}

#[test]
fn messages_decode_as_json_and_refuse_bytes_that_are_not_utf8() {
    let message = |bytes: &[u8]| RawRecord::message(Arc::from("broker"), 7, "plant/m1", bytes);
    let raw = message(br#"{"machine":"M","load":1.5,"count":2,"active":true,"mode":"IDLE"}"#);
    let sample: MillSample = decode(&raw, "MillSample").unwrap();
    assert_eq!((sample.load, sample.mode), (1.5, Mode::Idle));

    let reject = decode::<MillSample>(&message(b"{oops"), "MillSample").unwrap_err();
    assert_eq!(reject.reason, "not valid JSON");
    let detail = reject.detail.unwrap();
    assert!(
        detail.starts_with("the message is not valid JSON"),
        "{detail}"
    );

    let raw = message(&[b'{', 0xc3, 0x28, b'}']);
    let reject = decode::<MillSample>(&raw, "MillSample").unwrap_err();
    assert_eq!(reject.reason, "not UTF-8 text");
    assert_eq!(
        reject.detail.unwrap(),
        "the message is not UTF-8 text (invalid byte at offset 1)"
    );
}

/// A GS1 part number as the compiler generates it for `Gtin14: { base: string, length: 14,
/// check_digit: gs1_mod10 }`.
enum Gtin14Rule {}
impl crate::IdRule for Gtin14Rule {
    const TYPE_NAME: &'static str = "Gtin14";
    const BASE: crate::IdBase = crate::IdBase::Text;
    const PATTERN: Option<&'static str> = Some("[0-9]+");
    const MIN_LEN: Option<usize> = Some(14);
    const MAX_LEN: Option<usize> = Some(14);
    const CHECK_DIGIT: Option<crate::CheckDigit> = Some(crate::CheckDigit::Gs1Mod10);
    fn compiled_pattern() -> &'static std::sync::OnceLock<crate::IdPattern> {
        static COMPILED: std::sync::OnceLock<crate::IdPattern> = std::sync::OnceLock::new();
        &COMPILED
    }
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct GaugeReading {
    part: crate::Id<Gtin14Rule>,
    #[serde(deserialize_with = "local_berlin")]
    measured_at: crate::Timestamp,
    logged_at: crate::Timestamp,
    #[serde(deserialize_with = "epoch_seconds")]
    sent_at: crate::Timestamp,
}

fn local_berlin<'de, D: serde::Deserializer<'de>>(d: D) -> Result<crate::Timestamp, D::Error> {
    let format = crate::TimeFormat::Pattern {
        format: "%Y-%m-%d %H:%M",
        zone: "Europe/Berlin",
    };
    crate::deserialize_timestamp_with(d, format)
}

fn epoch_seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<crate::Timestamp, D::Error> {
    crate::deserialize_timestamp_with(d, crate::TimeFormat::EpochSeconds)
}

/// Each rule of an identifier type and a timestamp format gives its own reason, the same from a
/// CSV row and a JSON line; the detail keeps the value.
#[test]
fn each_broken_rule_is_its_own_reason() {
    const GOOD: [&str; 4] = [
        "00614141000418",
        "2026-03-29 01:30",
        "2026-03-29T00:30:00Z",
        "1774744200",
    ];
    // (column, value, reason)
    let cases = [
        ("part", "0061414100041X", "Gtin14 pattern"),
        ("part", "0614141000418", "Gtin14 length"),
        ("part", "00614141000419", "Gtin14 check digit"),
        ("measured_at", "29.03.2026 01:30", "not in the time format"),
        (
            "measured_at",
            "2026-03-29 02:30",
            "local time skipped by a clock change",
        ),
        (
            "measured_at",
            "2026-10-25 02:30",
            "local time repeated by a clock change",
        ),
        (
            "logged_at",
            "2026-03-29 00:30:00",
            "local time without UTC offset",
        ),
        ("logged_at", "yesterday", "not a timestamp"),
        ("sent_at", "soon", "not an epoch time"),
        ("sent_at", "300000000000", "time out of range"),
    ];
    let headers = ["part", "measured_at", "logged_at", "sent_at"];
    let good: GaugeReading = decode(&csv(&headers, &GOOD), "GaugeReading").unwrap();
    assert_eq!(good.part.as_str(), GOOD[0]);
    for (column, value, reason) in cases {
        let index = headers.iter().position(|h| *h == column).unwrap();
        let mut fields = GOOD;
        fields[index] = value;
        let from_csv = decode::<GaugeReading>(&csv(&headers, &fields), "GaugeReading").unwrap_err();
        assert_eq!(from_csv.reason, reason, "{column} = {value:?}: {from_csv}");
        let detail = from_csv.detail.unwrap();
        assert!(detail.contains(value), "{detail}");

        let members: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .zip(fields)
            .map(|(h, f)| (h.to_string(), serde_json::Value::from(f)))
            .collect();
        let line = serde_json::Value::Object(members).to_string();
        let raw = RawRecord::json_line(Arc::from("s"), 1, &line);
        let from_json = decode::<GaugeReading>(&raw, "GaugeReading").unwrap_err();
        assert_eq!(from_json.reason, reason, "{line}: {from_json}");
    }
}

/// A rule that failed outside decode (the mapping converting a value itself) is not taken for
/// the reason of the next record that fails decode.
#[test]
fn a_rule_noted_outside_decode_is_forgotten() {
    assert!(crate::Timestamp::parse("yesterday").is_err());
    let raw = RawRecord::json_line(
        Arc::from("s"),
        1,
        r#"{"machine":"M","load":1,"count":2,"active":false,"mode":[]}"#,
    );
    let reject = decode::<MillSample>(&raw, "MillSample").unwrap_err();
    assert_eq!(reject.reason, "not a code of Mode");
    let raw = RawRecord::json_line(Arc::from("s"), 1, r#"{"machine":"M","load":1}"#);
    let reject = decode::<MillSample>(&raw, "MillSample").unwrap_err();
    assert_eq!(reject.reason, "missing field");
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Observation {
    #[serde(default)]
    speed: crate::SampleValue<f64>,
    count: i64,
}

/// Garbled sample text is a value the flow handles, not a decode failure: the rule it broke is not
/// the reason of the record's real failure.
#[test]
fn garbled_sample_text_is_not_the_reason() {
    let raw = csv(&["speed", "count"], &["fast", "x"]);
    let reject = decode::<Observation>(&raw, "Observation").unwrap_err();
    assert_eq!(reject.reason, "not an integer");
    let raw = csv(&["speed"], &["fast"]);
    let reject = decode::<Observation>(&raw, "Observation").unwrap_err();
    assert_eq!(reject.reason, "missing column");
}

/// A quality that is no quality name or status code has its own reason, from text and from a
/// number too large for a status code.
#[test]
fn a_quality_that_is_none_is_its_own_reason() {
    #[derive(Debug, Deserialize)]
    struct Reading {
        #[allow(dead_code)]
        quality: crate::Quality,
    }
    let headers = ["quality"];
    assert!(decode::<Reading>(&csv(&headers, &["GoodClamped"]), "Reading").is_ok());
    let from_csv = decode::<Reading>(&csv(&headers, &["OK"]), "Reading").unwrap_err();
    assert_eq!(from_csv.reason, "not a signal quality", "{from_csv}");
    assert!(from_csv.detail.unwrap().contains("OK"));
    for line in [r#"{"quality":"OK"}"#, r#"{"quality":99999999999}"#] {
        let raw = RawRecord::json_line(Arc::from("s"), 1, line);
        let from_json = decode::<Reading>(&raw, "Reading").unwrap_err();
        assert_eq!(
            from_json.reason, "not a signal quality",
            "{line}: {from_json}"
        );
    }
}

/// A source record's optional text as the generated code declares it: borrowed through
/// `optional_text`, beside serde's own `Option<Cow<str>>` (the general path, which copies).
#[derive(Debug, Deserialize)]
struct OptionalNotes<'r> {
    #[serde(borrow, default, deserialize_with = "optional_text")]
    borrowed: Option<std::borrow::Cow<'r, str>>,
    #[serde(borrow, default)]
    general: Option<std::borrow::Cow<'r, str>>,
}

#[test]
fn optional_text_decodes_as_serde_does_and_borrows_what_it_can() {
    use std::borrow::Cow;
    // Both fields get the same value in each line, so each line asks both paths the same thing.
    for value in [
        None,
        Some("null"),
        Some("\"M-07\""),
        Some("\"\""),
        Some("\"with \\\"quotes\\\" and \\u00e9\""),
        Some("5"),
        Some("true"),
        Some("[\"a\"]"),
    ] {
        let line = match value {
            None => "{}".to_string(),
            Some(v) => format!("{{\"borrowed\":{v},\"general\":{v}}}"),
        };
        let raw = RawRecord::json_line(Arc::from("events"), 1, line.clone());
        let decoded: Result<OptionalNotes, Reject> = decode(&raw, "Notes");
        match decoded {
            Ok(notes) => {
                assert_eq!(notes.borrowed, notes.general, "{line}");
                let escaped = line.contains('\\');
                if let Some(text) = &notes.borrowed {
                    assert_eq!(matches!(text, Cow::Borrowed(_)), !escaped, "{line}");
                }
            }
            Err(reject) => {
                // The same reject whichever field fails first: decode each path alone.
                let only = |field: &str| {
                    let line = format!("{{\"{field}\":{}}}", value.unwrap());
                    let raw = RawRecord::json_line(Arc::from("events"), 1, line);
                    decode::<OptionalNotes>(&raw, "Notes").unwrap_err()
                };
                let (borrowed, general) = (only("borrowed"), only("general"));
                assert_eq!(borrowed.reason, general.reason, "{line}: {reject:?}");
                assert_eq!(
                    borrowed.detail.map(|d| d.replace("borrowed", "general")),
                    general.detail,
                    "{line}"
                );
            }
        }
    }
    // CSV: an empty cell is absent, any other text a value, on both paths.
    for cell in ["", "O1441", " padded "] {
        let raw = csv(&["borrowed", "general"], &[cell, cell]);
        let notes: OptionalNotes = decode(&raw, "Notes").unwrap();
        assert_eq!(notes.borrowed, notes.general, "{cell:?}");
    }
}
