//! Timestamps in a declared format: a chrono strftime pattern read as local time in a declared zone.
//!
//! Shop-floor systems mostly log local wall-clock time without an offset (`29.03.2026 02:30:00`); the mapping
//! declares the pattern and the zone, and [`parse_timestamp_in`] turns the text into an instant, failing (never
//! guessing) for the local times a daylight-saving change skips or repeats.

use std::cell::RefCell;
use std::fmt::Write as _;

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{DateTime, NaiveTime, Offset as _, Utc};

use super::range;
use super::zone::Zone;
use super::Timestamp;
use crate::decode_rule::DecodeRule;
use crate::outcome::Failure;

/// Reads `text` with the strftime pattern `format` as a local time in `zone`: an IANA name (`Europe/Berlin`,
/// `UTC`) or a fixed offset (`+01:00`), see [`validate_zone`](super::validate_zone). Surrounding whitespace is
/// ignored.
///
/// * When the text carries its own UTC offset (`%z`, `%:z`) or is an epoch time (`%s`), that fixes the instant
///   and `zone` is not used.
/// * A format with a date and no time of day means local midnight.
/// * A local time that does not exist or happens twice in `zone` (a daylight-saving change) is a failure.
pub fn parse_timestamp_in(text: &str, format: &str, zone: &str) -> Result<Timestamp, Failure> {
    let zone_value = Zone::named(zone).map_err(Failure::new)?;
    parse_with(text, format, &zone_value, zone).map_err(Failure::new)
}

fn parse_with(text: &str, format: &str, zone: &Zone, zone_name: &str) -> Result<Timestamp, String> {
    let mut parsed = Parsed::new();
    let mismatch = |e: chrono::ParseError| {
        DecodeRule::NotInTimeFormat.note();
        format!("{text:?} does not match the time format {format:?} ({e})")
    };
    with_items(format, |items| {
        chrono::format::parse(&mut parsed, text.trim(), items.iter()).map_err(mismatch)
    })?;
    if parsed.offset().is_some() || parsed.timestamp().is_some() {
        let instant = parsed.to_datetime().map_err(mismatch)?;
        return range::checked(instant.with_timezone(&Utc), || format!("{text:?}"));
    }
    let has_time_of_day = parsed.hour_div_12().is_some()
        || parsed.hour_mod_12().is_some()
        || parsed.minute().is_some()
        || parsed.second().is_some()
        || parsed.nanosecond().is_some();
    let local = if has_time_of_day {
        parsed.to_naive_datetime_with_offset(0).map_err(mismatch)?
    } else {
        parsed
            .to_naive_date()
            .map_err(mismatch)?
            .and_time(NaiveTime::MIN)
    };
    let instant = zone.instant_of(&local, text, zone_name)?;
    range::checked(instant, || format!("{text:?}"))
}

/// `instant` as local time in `zone`, written with the strftime pattern `format`.
///
/// The compiler validates both (with [`validate_output_format`] and [`validate_zone`](super::validate_zone)),
/// so neither can be wrong at run time; should one be anyway, this writes RFC 3339 in UTC rather than
/// panicking or writing half a text.
pub fn format_timestamp(instant: &Timestamp, format: &str, zone: &str) -> String {
    let Ok(zone) = Zone::named(zone) else {
        return instant.to_rfc3339();
    };
    let local = instant.0.with_timezone(&zone.offset_at(&instant.0));
    let mut text = String::new();
    let written = with_items(format, |items| {
        write!(text, "{}", local.format_with_items(items.iter())).map_err(|_| String::new())
    });
    match written {
        Ok(()) => text,
        Err(_) => instant.to_rfc3339(),
    }
}

/// Checks a format the compiler reads for *parsing* timestamps: chrono must understand every `%` specifier, and
/// the format must give a full date (year, month and day; or year and day of the year; or `%s`), since a text
/// without a date cannot name an instant.
///
/// It works by writing a reference instant with the format and reading it back, so whatever passes here can
/// read what it writes.
pub fn validate_format(format: &str) -> Result<(), String> {
    validate_output_format(format)?;
    // 2001-02-03 16:05:06.789 UTC: no two fields have the same value, and the hour is past noon so that a
    // 12-hour clock without AM/PM cannot read it back.
    let reference =
        Timestamp(DateTime::from_timestamp(981_216_306, 789_000_000).unwrap_or_default());
    let written = format_timestamp(&reference, format, "UTC");
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, &written, items(format)?.iter())
        .map_err(|e| format!("the time format {format:?} cannot read back what it writes ({e})"))?;
    if parsed.timestamp().is_none() && parsed.to_naive_date().is_err() {
        return Err(format!(
            "the time format {format:?} has no full date: it needs a year, month and day (%Y, %m, %d or %F), \
             a year and day of the year (%Y, %j), or epoch seconds (%s)"
        ));
    }
    let read = parse_with(&written, format, &Zone::Fixed(Utc.fix()), "UTC").map_err(|e| {
        format!("the time format {format:?} cannot be used to read timestamps: {e}")
    })?;
    if read.0.date_naive() != reference.0.date_naive() {
        return Err(format!(
            "the time format {format:?} does not read back the date it writes ({written:?} is read as {read})"
        ));
    }
    Ok(())
}

/// Checks a format the compiler reads for *writing* timestamps (`format_timestamp`): chrono must understand
/// every `%` specifier. A time of day alone (`"%H:%M"`) is fine here.
pub fn validate_output_format(format: &str) -> Result<(), String> {
    let items = items(format)?;
    let reference = DateTime::<Utc>::default();
    let mut text = String::new();
    write!(text, "{}", reference.format_with_items(items.iter()))
        .map_err(|_| format!("chrono cannot write timestamps with the time format {format:?}"))
}

/// How many formats [`with_items`] keeps per thread: a mapping reads and writes few.
const FORMATS_KEPT: usize = 4;

/// Calls `f` with the format's items, which are kept for the last formats a thread used: a
/// program reads a field's every value with one format, and splitting it into items costs more
/// than reading a value with them.
fn with_items<T>(
    format: &str,
    f: impl FnOnce(&[Item<'static>]) -> Result<T, String>,
) -> Result<T, String> {
    thread_local! {
        static KEPT: RefCell<Vec<(Box<str>, Vec<Item<'static>>)>> = const { RefCell::new(Vec::new()) };
    }
    KEPT.with_borrow_mut(|kept| {
        let at = match kept.iter().position(|(kept, _)| **kept == *format) {
            Some(at) => at,
            None => {
                let items = self::items(format)?
                    .into_iter()
                    .map(Item::to_owned)
                    .collect();
                if kept.len() == FORMATS_KEPT {
                    kept.remove(0);
                }
                kept.push((format.into(), items));
                kept.len() - 1
            }
        };
        f(&kept[at].1)
    })
}

/// The format's items, or an error when chrono does not understand a specifier.
fn items(format: &str) -> Result<Vec<Item<'_>>, String> {
    let items: Vec<Item<'_>> = StrftimeItems::new(format).collect();
    if items.contains(&Item::Error) {
        return Err(format!(
            "{format:?} is not a valid time format: it has a % specifier that chrono's strftime \
             does not know, or a lone % at the end"
        ));
    }
    Ok(items)
}
