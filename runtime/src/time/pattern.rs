//! Timestamps in a declared format: a chrono strftime pattern read as local time in a declared zone.
//!
//! Shop-floor systems mostly log local wall-clock time without an offset (`29.03.2026 02:30:00`); the mapping
//! declares the pattern and the zone, and [`parse_timestamp_in`] turns the text into an instant, failing (never
//! guessing) for the local times a daylight-saving change skips or repeats.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::sync::OnceLock;

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{DateTime, NaiveTime, Offset as _, Utc};

use super::numeric_layout::NumericLayout;
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
///
/// A mapping's format and zone are the same for every record: [`ZonedFormat`] resolves them once.
pub fn parse_timestamp_in(text: &str, format: &str, zone: &str) -> Result<Timestamp, Failure> {
    let zone_value = Zone::named(zone).map_err(Failure::new)?;
    with_compiled(format, |compiled| {
        parse_with(text, format, compiled, &zone_value, zone)
    })
    .map_err(Failure::new)
}

/// A strftime format and a zone as a mapping declares them for a field or a call, resolved once,
/// on first use (chrono's items and, for the usual formats, a [`NumericLayout`]; the zone's
/// rules): what [`parse_timestamp_in`] and [`format_timestamp`] do, with the same results and
/// failures, without finding the format and the zone again for every value. A generated program
/// declares one per field as a `static`:
///
/// ```
/// static FORMAT: fdi_runtime::time::ZonedFormat =
///     fdi_runtime::time::ZonedFormat::new("%d.%m.%Y %H:%M", "Europe/Berlin");
/// let instant = FORMAT.parse("29.03.2026 03:30").unwrap();
/// assert_eq!(instant.to_string(), "2026-03-29T01:30:00Z");
/// assert!(FORMAT.parse("29.03.2026 02:30").is_err(), "the clocks skip 02:00 to 03:00");
/// ```
#[derive(Debug)]
pub struct ZonedFormat {
    format: &'static str,
    zone: &'static str,
    resolved: OnceLock<Resolved>,
}

/// A format and zone resolved. Either may be wrong only if the compiler's checks were bypassed:
/// then every value fails, in the words `parse_timestamp_in` would use.
#[derive(Debug)]
struct Resolved {
    zone: Result<Zone, String>,
    compiled: Result<Compiled, String>,
}

impl ZonedFormat {
    /// `format` read as [`parse_timestamp_in`] reads it, in `zone`; resolved when first used, and
    /// never fails (see `Resolved`).
    pub const fn new(format: &'static str, zone: &'static str) -> ZonedFormat {
        ZonedFormat {
            format,
            zone,
            resolved: OnceLock::new(),
        }
    }

    /// The format, as the mapping declares it.
    pub fn format_text(&self) -> &str {
        self.format
    }

    fn resolved(&self) -> &Resolved {
        self.resolved.get_or_init(|| Resolved {
            zone: Zone::parse(self.zone),
            compiled: Compiled::new(self.format),
        })
    }

    /// The instant `text` means: [`parse_timestamp_in`]`(text, format, zone)`.
    pub fn parse(&self, text: &str) -> Result<Timestamp, Failure> {
        let resolved = self.resolved();
        let zone = resolved
            .zone
            .as_ref()
            .map_err(|e| Failure::new(e.as_str()))?;
        let compiled = resolved
            .compiled
            .as_ref()
            .map_err(|e| Failure::new(e.as_str()))?;
        parse_with(text, self.format, compiled, zone, self.zone).map_err(Failure::new)
    }

    /// `instant` written in the format and zone: [`format_timestamp`]`(instant, format, zone)`.
    pub fn format(&self, instant: &Timestamp) -> String {
        match self.resolved() {
            Resolved {
                zone: Ok(zone),
                compiled: Ok(compiled),
            } => format_with(instant, &compiled.items, zone),
            _ => instant.to_rfc3339(),
        }
    }
}

/// A format's items, and its numeric layout when it has one.
#[derive(Debug)]
struct Compiled {
    items: Vec<Item<'static>>,
    layout: Option<NumericLayout>,
}

impl Compiled {
    fn new(format: &str) -> Result<Compiled, String> {
        let items: Vec<Item<'static>> = items(format)?.into_iter().map(Item::to_owned).collect();
        Ok(Compiled {
            layout: NumericLayout::of(&items),
            items,
        })
    }

    /// The format without its numeric layout: the general parser only (for tests comparing the two).
    #[cfg(test)]
    fn general(format: &str) -> Result<Compiled, String> {
        Compiled::new(format).map(|compiled| Compiled {
            layout: None,
            ..compiled
        })
    }
}

/// Whether `format` is read by its numeric layout when it can be.
#[cfg(test)]
pub(super) fn has_numeric_layout(format: &str) -> bool {
    Compiled::new(format).is_ok_and(|compiled| compiled.layout.is_some())
}

/// [`parse_timestamp_in`] with the general parser only: the judge of the numeric layout's fast path.
#[cfg(test)]
pub(super) fn parse_in_general(text: &str, format: &str, zone: &str) -> Result<Timestamp, String> {
    let compiled = Compiled::general(format)?;
    parse_with(text, format, &compiled, &Zone::parse(zone)?, zone)
}

fn parse_with(
    text: &str,
    format: &str,
    compiled: &Compiled,
    zone: &Zone,
    zone_name: &str,
) -> Result<Timestamp, String> {
    let trimmed = text.trim();
    if let Some(local) = compiled.layout.as_ref().and_then(|l| l.read(trimmed)) {
        let instant = zone.instant_of(&local, text, zone_name)?;
        return range::checked(instant, || format!("{text:?}"));
    }
    let mut parsed = Parsed::new();
    let mismatch = |e: chrono::ParseError| {
        DecodeRule::NotInTimeFormat.note();
        format!("{text:?} does not match the time format {format:?} ({e})")
    };
    chrono::format::parse(&mut parsed, trimmed, compiled.items.iter()).map_err(mismatch)?;
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
    with_compiled(format, |compiled| {
        Ok(format_with(instant, &compiled.items, &zone))
    })
    .unwrap_or_else(|_| instant.to_rfc3339())
}

/// Room for a formatted timestamp from the start: an RFC 3339 time with nanoseconds and an offset
/// takes 35 bytes, so growing from empty would reallocate four times per value.
const FORMATTED_CAPACITY: usize = 48;

fn format_with(instant: &Timestamp, items: &[Item<'_>], zone: &Zone) -> String {
    let local = instant.0.with_timezone(&zone.offset_at(&instant.0));
    let mut text = String::with_capacity(FORMATTED_CAPACITY);
    // `write_to`, not `write!`: chrono's `Display` formats into a `String` of its own, grown
    // from empty, and copies that.
    match local.format_with_items(items.iter()).write_to(&mut text) {
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
    let compiled = Compiled::new(format)?;
    let read =
        parse_with(&written, format, &compiled, &Zone::Fixed(Utc.fix()), "UTC").map_err(|e| {
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

/// How many formats [`with_compiled`] keeps per thread: a mapping reads and writes few.
const FORMATS_KEPT: usize = 4;

/// Calls `f` with the format compiled, which is kept for the last formats a thread used: a
/// format that is not a literal of the mapping (which [`ZonedFormat`] resolves once) is mostly
/// the same for every value too, and splitting it into items costs more than reading a value
/// with them.
fn with_compiled<T>(
    format: &str,
    f: impl FnOnce(&Compiled) -> Result<T, String>,
) -> Result<T, String> {
    thread_local! {
        static KEPT: RefCell<Vec<(Box<str>, Compiled)>> = const { RefCell::new(Vec::new()) };
    }
    KEPT.with_borrow_mut(|kept| {
        let at = match kept.iter().position(|(kept, _)| **kept == *format) {
            Some(at) => at,
            None => {
                let compiled = Compiled::new(format)?;
                if kept.len() == FORMATS_KEPT {
                    kept.remove(0);
                }
                kept.push((format.into(), compiled));
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
