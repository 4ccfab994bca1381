//! Tests of the time module through its public functions.

use super::*;
use crate::decode::decode;
use crate::record::RawRecord;

fn rfc(text: &str) -> String {
    Timestamp::parse(text).unwrap().to_string()
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

#[test]
fn parse_accepts_offsets_and_z() {
    assert_eq!(rfc("2024-03-01T12:00:00Z"), "2024-03-01T12:00:00Z");
    assert_eq!(rfc("2024-03-01T13:00:00+01:00"), "2024-03-01T12:00:00Z");
    assert_eq!(rfc("2024-03-01T13:00:00+0100"), "2024-03-01T12:00:00Z");
    assert_eq!(rfc("2024-03-01 13:00:00+01:00"), "2024-03-01T12:00:00Z");
    assert_eq!(rfc(" 2024-03-01T12:00:00.25Z "), "2024-03-01T12:00:00.250Z");
    assert_eq!(
        rfc("2024-03-01T07:00:00.123456-05:00"),
        "2024-03-01T12:00:00.123456Z"
    );
}

#[test]
fn parse_refuses_local_time_and_says_to_declare_a_zone() {
    for local in [
        "2024-03-01 12:00:00",
        "2024-03-01T12:00:00",
        "2024-03-01T12:00:00.5",
    ] {
        let detail = Timestamp::parse(local).unwrap_err().detail().to_string();
        assert!(detail.contains("has no UTC offset"), "{local}: {detail}");
        assert!(
            detail.contains("declare the field's format and zone"),
            "{detail}"
        );
    }
}

#[test]
fn parse_rejects_other_text() {
    for bad in [
        "",
        "2024-03-01",
        "12:00:00",
        "2024-13-01T00:00:00Z",
        "yesterday",
    ] {
        let failure = Timestamp::parse(bad).unwrap_err();
        assert!(
            failure.detail().contains("is not a timestamp"),
            "{bad}: {failure}"
        );
    }
}

#[test]
fn serde_uses_rfc3339_text() {
    let ts: Timestamp = serde_json::from_str("\"2024-03-01T13:00:00+01:00\"").unwrap();
    assert_eq!(
        serde_json::to_string(&ts).unwrap(),
        "\"2024-03-01T12:00:00Z\""
    );
    assert!(serde_json::from_str::<Timestamp>("\"nope\"").is_err());
    assert!(at("2024-03-01T12:00:00Z") < at("2024-03-01T12:00:01Z"));
}

#[test]
fn pattern_in_a_named_zone_follows_daylight_saving() {
    let berlin = |text| parse_timestamp_in(text, "%d.%m.%Y %H:%M", "Europe/Berlin");
    // Winter (CET, +01:00) and summer (CEST, +02:00).
    assert_eq!(
        berlin("01.03.2026 12:00").unwrap(),
        at("2026-03-01T11:00:00Z")
    );
    assert_eq!(
        berlin("01.07.2026 12:00").unwrap(),
        at("2026-07-01T10:00:00Z")
    );
    // The last minute before the spring change and the first after it.
    assert_eq!(
        berlin("29.03.2026 01:59").unwrap(),
        at("2026-03-29T00:59:00Z")
    );
    assert_eq!(
        berlin("29.03.2026 03:00").unwrap(),
        at("2026-03-29T01:00:00Z")
    );
}

#[test]
fn a_local_time_the_clocks_skip_is_a_failure() {
    let detail = parse_timestamp_in("2026-03-29 02:30", "%Y-%m-%d %H:%M", "Europe/Berlin")
        .unwrap_err()
        .detail()
        .to_string();
    assert_eq!(
        detail,
        "\"2026-03-29 02:30\" is not a time in Europe/Berlin: the clocks skip 2026-03-29 02:30:00 when they \
         change for daylight saving time"
    );
}

#[test]
fn a_local_time_that_happens_twice_is_a_failure() {
    let detail = parse_timestamp_in("2026-10-25 02:30", "%Y-%m-%d %H:%M", "Europe/Berlin")
        .unwrap_err()
        .detail()
        .to_string();
    assert_eq!(
        detail,
        "\"2026-10-25 02:30\" is ambiguous in Europe/Berlin: 2026-10-25 02:30:00 happens twice when the clocks \
         change for daylight saving time (at 00:30 and at 01:30 UTC); the data must carry its UTC offset to \
         tell them apart"
    );
    // With the offset in the data there is no doubt, and the zone is not needed.
    let format = "%Y-%m-%d %H:%M %:z";
    assert_eq!(
        parse_timestamp_in("2026-10-25 02:30 +02:00", format, "Europe/Berlin").unwrap(),
        at("2026-10-25T00:30:00Z")
    );
    assert_eq!(
        parse_timestamp_in("2026-10-25 02:30 +01:00", format, "Europe/Berlin").unwrap(),
        at("2026-10-25T01:30:00Z")
    );
}

#[test]
fn pattern_with_fixed_offset_utc_epoch_and_date_only() {
    assert_eq!(
        parse_timestamp_in("2026-10-25 02:30", "%Y-%m-%d %H:%M", "+01:00").unwrap(),
        at("2026-10-25T01:30:00Z")
    );
    assert_eq!(
        parse_timestamp_in("2026-10-25 02:30:15.5", "%Y-%m-%d %H:%M:%S%.f", "UTC").unwrap(),
        at("2026-10-25T02:30:15.5Z")
    );
    // %s is an instant: the zone does not move it.
    assert_eq!(
        parse_timestamp_in("1700000000", "%s", "Europe/Berlin").unwrap(),
        at("2023-11-14T22:13:20Z")
    );
    // A date alone is local midnight.
    assert_eq!(
        parse_timestamp_in("2026-03-01", "%Y-%m-%d", "Europe/Berlin").unwrap(),
        at("2026-02-28T23:00:00Z")
    );
    // 12-hour clock.
    assert_eq!(
        parse_timestamp_in("3/1/2026 1:05 PM", "%m/%d/%Y %I:%M %p", "America/Chicago").unwrap(),
        at("2026-03-01T19:05:00Z")
    );
}

#[test]
fn pattern_failures_name_text_and_format() {
    assert_eq!(
        parse_timestamp_in("2026-03-01", "%d.%m.%Y", "UTC")
            .unwrap_err()
            .detail(),
        "\"2026-03-01\" does not match the time format \"%d.%m.%Y\" (input contains invalid characters)"
    );
    assert!(parse_timestamp_in("31.02.2026", "%d.%m.%Y", "UTC").is_err());
    assert!(parse_timestamp_in("01.03.2026", "%d.%m.%Y", "Mars/Olympus")
        .unwrap_err()
        .detail()
        .contains("is not a time zone"));
    assert!(parse_timestamp_in("01.03.2026", "%Q", "UTC")
        .unwrap_err()
        .detail()
        .contains("is not a valid time format"));
}

#[test]
fn format_validation_for_reading() {
    for good in [
        "%Y-%m-%d %H:%M:%S",
        "%d.%m.%Y %H:%M",
        "%m/%d/%y %I:%M:%S %p",
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%F %T",
        "%Y-%m-%d",
        "%Y %j %H:%M",
        "%s",
    ] {
        assert_eq!(validate_format(good), Ok(()), "{good}");
    }
    let no_date = validate_format("%H:%M:%S").unwrap_err();
    assert!(no_date.contains("has no full date"), "{no_date}");
    assert!(validate_format("%Y-%m %H:%M")
        .unwrap_err()
        .contains("has no full date"));
    // A 12-hour clock without AM/PM cannot tell 04:05 from 16:05.
    let twelve = validate_format("%Y-%m-%d %I:%M").unwrap_err();
    assert!(
        twelve.contains("cannot be used to read timestamps"),
        "{twelve}"
    );
    for unknown in ["%Y-%m-%d %Q", "%Y-%m-%d %"] {
        let err = validate_format(unknown).unwrap_err();
        assert!(
            err.contains("is not a valid time format"),
            "{unknown}: {err}"
        );
    }
}

#[test]
fn formatting_in_a_zone() {
    let instant = at("2026-07-01T10:00:00.5Z");
    assert_eq!(
        format_timestamp(&instant, "%d.%m.%Y %H:%M:%S %Z", "Europe/Berlin"),
        "01.07.2026 12:00:00 CEST"
    );
    assert_eq!(
        format_timestamp(&instant, "%Y-%m-%dT%H:%M:%S%.3f%:z", "-05:00"),
        "2026-07-01T05:00:00.500-05:00"
    );
    assert_eq!(validate_output_format("%H:%M"), Ok(()));
    assert!(validate_output_format("%H:%Q").is_err());
    // Formats the compiler would have refused fall back to RFC 3339 instead of panicking.
    assert_eq!(
        format_timestamp(&instant, "%Q", "UTC"),
        "2026-07-01T10:00:00.500Z"
    );
    assert_eq!(
        format_timestamp(&instant, "%H", "Nowhere/Else"),
        "2026-07-01T10:00:00.500Z"
    );
}

#[test]
fn epoch_times() {
    assert_eq!(from_epoch_seconds(0.0).unwrap(), at("1970-01-01T00:00:00Z"));
    // Taken as the decimal it prints as: exactly .123 s, not the binary fraction's 0.122999906 s.
    assert_eq!(
        from_epoch_seconds(1_700_000_000.123).unwrap().to_string(),
        "2023-11-14T22:13:20.123Z"
    );
    assert_eq!(
        from_epoch_seconds(-1.5).unwrap(),
        at("1969-12-31T23:59:58.5Z")
    );
    assert!(from_epoch_seconds(f64::NAN).is_err());
    assert!(from_epoch_seconds(1e20)
        .unwrap_err()
        .detail()
        .contains("out of the timestamp range"));
    let millis = from_epoch_millis(1_700_000_000_123).unwrap();
    assert_eq!(millis.to_string(), "2023-11-14T22:13:20.123Z");
    assert_eq!(to_epoch_millis(&millis), 1_700_000_000_123);
    assert_eq!(to_epoch_millis(&at("1969-12-31T23:59:59.9995Z")), -1);
    assert!(from_epoch_millis(i64::MAX).is_err());
}

#[test]
fn arithmetic_keeps_nanoseconds_and_fails_out_of_range() {
    let start = at("2026-03-29T00:59:00Z");
    assert_eq!(
        add_seconds(&start, 0.000_000_001).unwrap().to_string(),
        "2026-03-29T00:59:00.000000001Z"
    );
    assert_eq!(
        add_seconds(&start, -60.25).unwrap(),
        at("2026-03-29T00:57:59.75Z")
    );
    assert_eq!(
        add_seconds(&start, 3600.0).unwrap(),
        at("2026-03-29T01:59:00Z")
    );
    assert!(add_seconds(&start, 1e15)
        .unwrap_err()
        .detail()
        .contains("out of the timestamp range"));
    assert!(add_seconds(&start, f64::INFINITY).is_err());
    let later = at("2026-03-29T01:00:00.5Z");
    assert_eq!(seconds_between(&later, &start), 60.5);
    assert_eq!(seconds_between(&start, &later), -60.5);
    assert_eq!(
        seconds_between(&add_seconds(&start, 0.000_000_001).unwrap(), &start),
        1e-9
    );
}

fn csv_row(header: &str, field: &str) -> RawRecord {
    RawRecord::csv(
        std::sync::Arc::from("mill"),
        1,
        std::sync::Arc::new(csv::StringRecord::from(vec![header])),
        csv::StringRecord::from(vec![field]),
    )
}

fn jsonl_line(text: &str) -> RawRecord {
    RawRecord::json_line(std::sync::Arc::from("mill"), 1, text)
}

#[derive(Debug, serde::Deserialize)]
struct Stamped {
    #[serde(deserialize_with = "local_berlin")]
    at: Timestamp,
}

#[derive(Debug, serde::Deserialize)]
struct MaybeStamped {
    #[serde(deserialize_with = "epoch_millis_optional", default)]
    at: Option<Timestamp>,
}

// The shape of the functions the compiler generates for a field with a declared format.
fn local_berlin<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    deserialize_timestamp_with(
        d,
        TimeFormat::Pattern {
            format: "%Y-%m-%d %H:%M:%S",
            zone: "Europe/Berlin",
        },
    )
}

fn epoch_millis_optional<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Timestamp>, D::Error> {
    deserialize_optional_timestamp_with(d, TimeFormat::EpochMillis)
}

#[test]
fn declared_formats_decode_from_csv_and_json() {
    let row: Stamped = decode(&csv_row("at", "2026-03-01 12:00:00"), "Stamped").unwrap();
    assert_eq!(row.at, at("2026-03-01T11:00:00Z"));
    let line: Stamped = decode(&jsonl_line(r#"{"at": "2026-07-01 12:00:00"}"#), "Stamped").unwrap();
    assert_eq!(line.at, at("2026-07-01T10:00:00Z"));
    let reject = decode::<Stamped>(&csv_row("at", "2026-03-29 02:30:00"), "Stamped").unwrap_err();
    assert_eq!(
        reject.detail.as_deref(),
        Some(
            "column \"at\": \"2026-03-29 02:30:00\" is not a time in Europe/Berlin: the clocks skip \
             2026-03-29 02:30:00 when they change for daylight saving time"
        )
    );
    let reject = decode::<Stamped>(&csv_row("at", ""), "Stamped").unwrap_err();
    assert!(reject
        .detail
        .unwrap()
        .contains("does not match the time format"));
}

#[test]
fn optional_epoch_fields_accept_numbers_text_and_nothing() {
    let decoded = |raw: RawRecord| decode::<MaybeStamped>(&raw, "MaybeStamped").map(|r| r.at);
    let expected = Some(at("2023-11-14T22:13:20.123Z"));
    assert_eq!(decoded(csv_row("at", "1700000000123")), Ok(expected));
    assert_eq!(decoded(csv_row("at", " 1700000000123 ")), Ok(expected));
    assert_eq!(decoded(csv_row("at", "")), Ok(None));
    assert_eq!(
        decoded(jsonl_line(r#"{"at": 1700000000123}"#)),
        Ok(expected)
    );
    assert_eq!(
        decoded(jsonl_line(r#"{"at": "1700000000123"}"#)),
        Ok(expected)
    );
    assert_eq!(
        decoded(jsonl_line(r#"{"at": 1700000000123.0}"#)),
        Ok(expected)
    );
    assert_eq!(decoded(jsonl_line(r#"{"at": null}"#)), Ok(None));
    assert_eq!(decoded(jsonl_line(r#"{}"#)), Ok(None));
    let reject = decoded(jsonl_line(r#"{"at": "soon"}"#)).unwrap_err();
    assert_eq!(
        reject.detail.as_deref(),
        Some("field \"at\": \"soon\" is not a number of epoch milliseconds")
    );
}

#[test]
fn every_format_reads_text_and_numbers() {
    let seconds = TimeFormat::EpochSeconds;
    assert_eq!(
        seconds.parse("1700000000.5").unwrap(),
        at("2023-11-14T22:13:20.5Z")
    );
    assert_eq!(seconds.parse("1.7e9").unwrap(), at("2023-11-14T22:13:20Z"));
    assert!(seconds.parse("").is_err());
    assert_eq!(
        TimeFormat::Iso8601.parse("2024-03-01T12:00:00Z").unwrap(),
        at("2024-03-01T12:00:00Z")
    );
    let from_json = |format: TimeFormat<'static>, json: &str| {
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        deserialize_timestamp_with(value, format).map_err(|e| e.to_string())
    };
    assert_eq!(
        from_json(seconds, "1700000000"),
        Ok(at("2023-11-14T22:13:20Z"))
    );
    assert_eq!(
        from_json(seconds, "1700000000.25"),
        Ok(at("2023-11-14T22:13:20.25Z"))
    );
    // A date pattern of digits only, which a JSON writer may have turned into a number.
    let compact = TimeFormat::Pattern {
        format: "%Y%m%d",
        zone: "UTC",
    };
    assert_eq!(
        from_json(compact, "20260301"),
        Ok(at("2026-03-01T00:00:00Z"))
    );
    assert!(from_json(TimeFormat::Iso8601, "1700000000")
        .unwrap_err()
        .contains("is a number, not a timestamp"));
}

#[test]
fn moving_by_a_literal_duration_clamps_at_the_range_instead_of_failing() {
    let t = at("2026-03-29T01:30:00Z");
    assert_eq!(
        rfc(&add_seconds_saturating(&t, 300.0).to_rfc3339()),
        "2026-03-29T01:35:00Z"
    );
    assert_eq!(
        rfc(&add_seconds_saturating(&t, -0.25).to_rfc3339()),
        "2026-03-29T01:29:59.750Z"
    );
    // The ends of the years RFC 3339 can write, not chrono's far larger range.
    assert_eq!(
        add_seconds_saturating(&t, 1e300).to_string(),
        "9999-12-31T23:59:59.999999999Z"
    );
    assert_eq!(
        add_seconds_saturating(&t, -1e300).to_string(),
        "0000-01-01T00:00:00Z"
    );
}

/// Formats and zones are kept per thread; interleaving more of them than are kept gives each
/// call its own format and zone.
#[test]
fn interleaved_formats_and_zones_each_read_their_own() {
    let cases = [
        (
            "01.07.2026 12:00",
            "%d.%m.%Y %H:%M",
            "Europe/Berlin",
            "2026-07-01T10:00:00Z",
        ),
        (
            "2026-07-01 12:00",
            "%Y-%m-%d %H:%M",
            "America/New_York",
            "2026-07-01T16:00:00Z",
        ),
        (
            "07/01/2026 12:00",
            "%m/%d/%Y %H:%M",
            "Australia/Sydney",
            "2026-07-01T02:00:00Z",
        ),
        (
            "2026 182 12:00",
            "%Y %j %H:%M",
            "Asia/Tokyo",
            "2026-07-01T03:00:00Z",
        ),
        (
            "20260701 1200",
            "%Y%m%d %H%M",
            "+05:30",
            "2026-07-01T06:30:00Z",
        ),
        (
            "1.7.2026 12:00",
            "%-d.%-m.%Y %H:%M",
            "UTC",
            "2026-07-01T12:00:00Z",
        ),
    ];
    for round in 0..3 {
        for (text, format, zone, expected) in cases {
            assert_eq!(
                parse_timestamp_in(text, format, zone).map(|t| t.to_string()),
                Ok(expected.to_string()),
                "round {round}: {text} in {zone}"
            );
            assert_eq!(
                format_timestamp(&at(expected), format, zone),
                text,
                "{zone}"
            );
        }
    }
}
