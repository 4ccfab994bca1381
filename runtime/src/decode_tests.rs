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
    assert_eq!(reject.reason, "record does not match MillSample");
    assert_eq!(
        reject.detail.as_deref(),
        Some("column \"load\": \"1,5\" is not a number")
    );

    let raw = csv(HEADERS, &["0", "M", "NaN", "3", "", "", "true", "RUN", ""]);
    let detail = decode::<MillSample>(&raw, "MillSample")
        .unwrap_err()
        .detail
        .unwrap();
    assert!(detail.contains("is not a finite number"), "{detail}");

    let raw = csv(HEADERS, &["0", "M", "1", "3", "", "", "true", "STOP", ""]);
    let detail = decode::<MillSample>(&raw, "MillSample")
        .unwrap_err()
        .detail
        .unwrap();
    assert!(
        detail.starts_with("column \"mode\": unknown variant `STOP`"),
        "{detail}"
    );
}

#[test]
fn csv_row_of_wrong_length_is_rejected() {
    let raw = csv(HEADERS, &["0", "M"]);
    let reject = decode::<MillSample>(&raw, "MillSample").unwrap_err();
    assert_eq!(
        reject.detail.as_deref(),
        Some("the row has 2 fields but the header has 9 columns")
    );
}

#[test]
fn csv_missing_column_is_named() {
    let raw = csv(&["machine"], &["M"]);
    let detail = decode::<MillSample>(&raw, "MillSample")
        .unwrap_err()
        .detail
        .unwrap();
    assert_eq!(detail, "missing field `load`");
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
    let detail = decode::<MillSample>(&raw, "MillSample")
        .unwrap_err()
        .detail
        .unwrap();
    assert!(
        detail.starts_with("field \"load\": invalid type: string \"x\""),
        "{detail}"
    );

    let raw = RawRecord::json_line(Arc::from("s"), 1, "{oops");
    let detail = decode::<MillSample>(&raw, "MillSample")
        .unwrap_err()
        .detail
        .unwrap();
    assert!(detail.starts_with("the line is not valid JSON"), "{detail}");

    let raw = RawRecord::json_line(Arc::from("s"), 1, "[1,2]");
    assert!(decode::<MillSample>(&raw, "MillSample").is_err());
}

#[test]
fn messages_decode_as_json_and_refuse_bytes_that_are_not_utf8() {
    let message = |bytes: &[u8]| RawRecord::message(Arc::from("broker"), 7, "plant/m1", bytes);
    let raw = message(br#"{"machine":"M","load":1.5,"count":2,"active":true,"mode":"IDLE"}"#);
    let sample: MillSample = decode(&raw, "MillSample").unwrap();
    assert_eq!((sample.load, sample.mode), (1.5, Mode::Idle));

    let reject = decode::<MillSample>(&message(b"{oops"), "MillSample").unwrap_err();
    assert_eq!(reject.reason, "record does not match MillSample");
    let detail = reject.detail.unwrap();
    assert!(
        detail.starts_with("the message is not valid JSON"),
        "{detail}"
    );

    let raw = message(&[b'{', 0xc3, 0x28, b'}']);
    let detail = decode::<MillSample>(&raw, "MillSample")
        .unwrap_err()
        .detail
        .unwrap();
    assert_eq!(
        detail,
        "the message is not UTF-8 text (invalid byte at offset 1)"
    );
}
