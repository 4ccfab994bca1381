//! The fast way of reading the usual local-time formats (`numeric_layout.rs`) against chrono's
//! general parser, and `ZonedFormat` against `parse_timestamp_in`: the same instant, or the same
//! failure in the same words, for every text. The texts are local times around the clock changes
//! of a zone with daylight saving time, written in each format, and every variant of them that
//! one edit makes (a character dropped, doubled, replaced by a space, a letter or another digit).

use super::pattern::{has_numeric_layout, parse_in_general};
use super::*;

/// Formats the fast way reads (the first ones) and formats it leaves to chrono.
const FORMATS: [(&str, bool); 12] = [
    ("%Y-%m-%d %H:%M:%S", true),
    ("%d.%m.%Y %H:%M", true),
    ("%Y%m%d%H%M%S", true),
    ("%Y%m%d", true),
    ("%m/%d/%Y %H:%M", true),
    ("%F %T", true),
    ("%Y-%m-%dT%H:%M", true),
    ("%-d.%-m.%Y %k:%M", true),
    ("%d %b %Y %H:%M", false),
    ("%Y-%m-%d %I:%M %p", false),
    ("%Y-%m-%d %H:%M:%S%.f", false),
    ("%Y-%m-%d %H", false),
];

const ZONES: [&str; 3] = ["Europe/Berlin", "America/Detroit", "+05:30"];

/// Local times around Berlin's and Detroit's changes of 2026 (skipped and repeated hours), a
/// leap day, a leap second and the ends of the years a timestamp can have.
fn samples() -> Vec<Timestamp> {
    let mut samples: Vec<Timestamp> = [
        "2026-03-29T00:15:00Z",
        "2026-03-29T01:45:07Z",
        "2026-10-25T00:30:59Z",
        "2026-10-25T01:30:00Z",
        "2026-03-08T07:30:00Z",
        "2026-11-01T05:30:00Z",
        "2028-02-29T12:00:00Z",
        "2016-12-31T23:59:60Z",
        "0000-01-02T00:00:00Z",
        "9999-12-30T23:59:59Z",
    ]
    .iter()
    .map(|text| Timestamp::parse(text).unwrap())
    .collect();
    // Every quarter of an hour across Berlin's spring change, written in its local time too.
    let start = Timestamp::parse("2026-03-29T00:00:00Z").unwrap();
    samples.extend((0..12).map(|i| add_seconds(&start, f64::from(i) * 900.0).unwrap()));
    samples
}

/// `text` and every text one edit away from it.
fn variants(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut variants = vec![
        text.to_string(),
        format!("  {text} "),
        String::new(),
        format!("{text}x"),
    ];
    for at in 0..chars.len() {
        let with = |replacement: &str| {
            let mut variant: String = chars[..at].iter().collect();
            variant.push_str(replacement);
            variant.extend(&chars[at + 1..]);
            variant
        };
        let this = chars[at].to_string();
        variants.push(with(""));
        variants.push(with(&format!("{this}{this}")));
        variants.push(with(" "));
        variants.push(with(&format!(" {this}")));
        variants.push(with("x"));
        variants.push(with("+"));
        variants.push(with("-"));
        variants.push(with("9"));
        variants.push(with("6"));
        variants.push(with("0"));
    }
    variants
}

#[test]
fn the_usual_formats_have_a_numeric_layout() {
    for (format, fast) in FORMATS {
        assert_eq!(has_numeric_layout(format), fast, "{format}");
    }
}

#[test]
fn numeric_layouts_and_zoned_formats_read_as_the_general_parser_does() {
    let mut compared = 0;
    let mut read = 0;
    for zone in ZONES {
        for (format, _) in FORMATS {
            let zoned = ZonedFormat::new(format, zone);
            for sample in samples() {
                for text in variants(&format_timestamp(&sample, format, zone)) {
                    let general = parse_in_general(&text, format, zone);
                    let fast =
                        parse_timestamp_in(&text, format, zone).map_err(|f| f.detail().to_string());
                    let resolved = zoned.parse(&text).map_err(|f| f.detail().to_string());
                    assert_eq!(fast, general, "{text:?} in {format:?}, {zone}");
                    assert_eq!(resolved, general, "{text:?} in {format:?}, {zone}");
                    compared += 1;
                    read += usize::from(general.is_ok());
                }
            }
        }
    }
    // Both the texts that name an instant and those that fail were compared, many of each.
    assert!(
        read > 5_000 && compared - read > 5_000,
        "{read} of {compared} read"
    );
}

#[test]
fn zoned_formats_write_as_format_timestamp_does() {
    for zone in ZONES.into_iter().chain(["UTC", "Nowhere/Else"]) {
        for format in FORMATS
            .map(|(format, _)| format)
            .into_iter()
            .chain(["%Z %z", "%Q"])
        {
            let zoned = ZonedFormat::new(format, zone);
            for sample in samples() {
                assert_eq!(
                    zoned.format(&sample),
                    format_timestamp(&sample, format, zone),
                    "{sample} in {format:?}, {zone}"
                );
            }
        }
    }
}

#[test]
fn a_zoned_format_that_is_wrong_fails_every_value_as_parse_timestamp_in_does() {
    for (format, zone) in [
        ("%Y-%m-%d", "Nowhere/Else"),
        ("%Y-%m-%d %Q", "UTC"),
        ("%Q", "Bad"),
    ] {
        let zoned = ZonedFormat::new(format, zone);
        let text = "2026-03-01";
        assert_eq!(
            zoned.parse(text).map_err(|f| f.detail().to_string()),
            parse_timestamp_in(text, format, zone).map_err(|f| f.detail().to_string()),
        );
    }
}
