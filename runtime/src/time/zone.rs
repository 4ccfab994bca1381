//! Time zones of local wall-clock times: IANA names (`Europe/Berlin`, `UTC`) and fixed offsets (`+01:00`).
//!
//! A local time names an instant only together with its zone, and not even then at a daylight-saving change:
//! in spring the clocks skip an hour (its local times do not exist), in autumn they repeat one (its local times
//! happen twice). [`Zone::instant_of`] reports both as failures rather than guessing, because a guessed hour
//! silently reorders the data of a whole shift.

use std::cell::RefCell;
use std::fmt;

use chrono::{
    DateTime, Datelike, FixedOffset, MappedLocalTime, NaiveDate, NaiveDateTime, Offset, TimeDelta,
    Timelike, Utc,
};
use jiff::tz::{AmbiguousOffset, TimeZone, TimeZoneDatabase};
use smol_str::SmolStr;

use crate::decode_rule::DecodeRule;

/// A time zone as a mapping names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Zone {
    /// An IANA time-zone database name: `Europe/Berlin`, `America/Chicago`, `UTC`. The database is
    /// the copy compiled into the program (jiff's bundled tzdb), not the host's
    /// `/usr/share/zoneinfo`: the check and every host that runs the program agree on which
    /// names exist and what they mean. Its zones carry the tz database's rule for the years after
    /// their last listed transition, so daylight saving time goes on after 2037 and 2100.
    Named(TimeZone),
    /// A fixed offset from UTC, all year round: `+01:00`.
    Fixed(FixedOffset),
}

impl Zone {
    /// An IANA name (exact spelling, as in the tz database), `Z`, or a fixed offset `+HH:MM`, `-HH:MM`, `+HHMM`
    /// or `+HH`.
    pub(crate) fn parse(name: &str) -> Result<Zone, String> {
        if let Some(offset) = parse_fixed_offset(name)? {
            return Ok(Zone::Fixed(offset));
        }
        // jiff looks names up regardless of case; a mapping spells them exactly, as the tz
        // database does, so that one zone has one spelling in every mapping.
        match TimeZoneDatabase::bundled().get(name) {
            Ok(tz) if tz.iana_name() == Some(name) => Ok(Zone::Named(tz)),
            Ok(tz) => Err(format!(
                "{name:?} is not a time zone: the tz database spells it {:?}",
                tz.iana_name().unwrap_or_default()
            )),
            Err(_) => Err(format!(
                "{name:?} is not a time zone: use an IANA name such as \"Europe/Berlin\" or \"UTC\", \
                 or a fixed offset such as \"+01:00\""
            )),
        }
    }

    /// The instant the local time `local` means in this zone. `text` is what `local` was read from, for
    /// messages.
    ///
    /// A local leap second (`23:59:60`, which chrono holds as second 59 plus a second's worth of
    /// nanoseconds) keeps its extra second; whether UTC had a leap second at the instant it
    /// means is for [`range::checked`](super::range::checked) to say.
    pub(crate) fn instant_of(
        &self,
        local: &NaiveDateTime,
        text: &str,
        zone_name: &str,
    ) -> Result<DateTime<Utc>, String> {
        let offset_seconds = match self {
            Zone::Fixed(offset) => offset.local_minus_utc(),
            Zone::Named(tz) => {
                let civil = civil(local).ok_or_else(|| {
                    DecodeRule::TimeOutOfRange.note();
                    format!(
                        "{text:?} is outside the years 0000 to 9999, the years an RFC 3339 timestamp can write"
                    )
                })?;
                match tz.to_ambiguous_timestamp(civil).offset() {
                    AmbiguousOffset::Unambiguous { offset } => offset.seconds(),
                    AmbiguousOffset::Gap { .. } => {
                        DecodeRule::SkippedLocalTime.note();
                        return Err(format!(
                            "{text:?} is not a time in {zone_name}: the clocks skip {local} when they change for \
                             daylight saving time"
                        ));
                    }
                    AmbiguousOffset::Fold { before, after } => {
                        DecodeRule::RepeatedLocalTime.note();
                        let utc_at = |offset: jiff::tz::Offset| {
                            (*local - TimeDelta::seconds(i64::from(offset.seconds())))
                                .format("%H:%M")
                        };
                        return Err(format!(
                            "{text:?} is ambiguous in {zone_name}: {local} happens twice when the clocks change for \
                             daylight saving time (at {} and at {} UTC); the data must carry its UTC offset to tell \
                             them apart",
                            utc_at(before),
                            utc_at(after),
                        ));
                    }
                }
            }
        };
        // chrono's arithmetic moves a leap second onto the next second: shift the time without
        // it, and put it back on the instant.
        let nanos = local.nanosecond();
        let utc = (local
            .with_nanosecond(nanos % 1_000_000_000)
            .unwrap_or(*local)
            - TimeDelta::seconds(i64::from(offset_seconds)))
        .and_utc();
        if nanos < 1_000_000_000 {
            return Ok(utc);
        }
        // chrono holds a leap second only on a second 59; an offset with seconds (a zone's local
        // mean time before 1900) moves it elsewhere, where UTC never had one.
        utc.with_nanosecond(nanos).ok_or_else(|| {
            DecodeRule::TimeOutOfRange.note();
            format!(
                "{text:?} has a second 60, which is not 23:59:60 UTC: UTC has a second 60 only at a \
                 leap second"
            )
        })
    }

    /// The offset from UTC in this zone at `instant`, named by the zone's abbreviation (`CEST`)
    /// where it has one; a fixed offset is named by itself (`+01:00`).
    pub(crate) fn offset_at(&self, instant: &DateTime<Utc>) -> ZoneOffset {
        match self {
            Zone::Fixed(offset) => ZoneOffset {
                fixed: *offset,
                abbreviation: None,
            },
            Zone::Named(tz) => {
                let at = jiff::Timestamp::new(instant.timestamp(), 0).unwrap_or_default();
                let info = tz.to_offset_info(at);
                // The tz database's offsets are within ±15:00, chrono's range is ±23:59:59.
                ZoneOffset {
                    fixed: FixedOffset::east_opt(info.offset().seconds()).unwrap_or(Utc.fix()),
                    abbreviation: Some(SmolStr::new(info.abbreviation())),
                }
            }
        }
    }

    /// The zone called `name`, as [`Zone::parse`] gives it, from a small cache per thread: a
    /// program reads and writes its local times in one zone or few, and looking a name up in the
    /// database (a lock and a search) costs more than the conversion itself.
    pub(crate) fn named(name: &str) -> Result<Zone, String> {
        thread_local! {
            static KEPT: RefCell<Vec<(Box<str>, Zone)>> = const { RefCell::new(Vec::new()) };
        }
        KEPT.with_borrow_mut(|kept| {
            if let Some((_, zone)) = kept.iter().find(|(kept, _)| **kept == *name) {
                return Ok(zone.clone());
            }
            let zone = Zone::parse(name)?;
            if kept.len() == ZONES_KEPT {
                kept.remove(0);
            }
            kept.push((name.into(), zone.clone()));
            Ok(zone)
        })
    }
}

/// How many zones [`Zone::named`] keeps per thread.
const ZONES_KEPT: usize = 4;

/// A zone's offset at one instant, as chrono formats it: `%z` writes the offset, `%Z` the zone's
/// abbreviation (which chrono's own `FixedOffset` does not know).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ZoneOffset {
    fixed: FixedOffset,
    abbreviation: Option<SmolStr>,
}

impl fmt::Display for ZoneOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.abbreviation {
            Some(abbreviation) => f.write_str(abbreviation),
            None => fmt::Display::fmt(&self.fixed, f),
        }
    }
}

impl Offset for ZoneOffset {
    fn fix(&self) -> FixedOffset {
        self.fixed
    }
}

/// The offset is its own time zone, as chrono's `FixedOffset` is: it is made for one instant
/// only, so every instant gets it.
impl chrono::TimeZone for ZoneOffset {
    type Offset = ZoneOffset;

    fn from_offset(offset: &ZoneOffset) -> Self {
        offset.clone()
    }

    fn offset_from_local_date(&self, _: &NaiveDate) -> MappedLocalTime<ZoneOffset> {
        MappedLocalTime::Single(self.clone())
    }

    fn offset_from_local_datetime(&self, _: &NaiveDateTime) -> MappedLocalTime<ZoneOffset> {
        MappedLocalTime::Single(self.clone())
    }

    fn offset_from_utc_date(&self, _: &NaiveDate) -> ZoneOffset {
        self.clone()
    }

    fn offset_from_utc_datetime(&self, _: &NaiveDateTime) -> ZoneOffset {
        self.clone()
    }
}

/// The local time as jiff's civil time; `None` for a year outside jiff's ±9999. A leap second is
/// read as second 59: the zone's offset is the same for both.
fn civil(local: &NaiveDateTime) -> Option<jiff::civil::DateTime> {
    let year = i16::try_from(local.year()).ok()?;
    let nanos = local.nanosecond() % 1_000_000_000;
    jiff::civil::DateTime::new(
        year,
        local.month() as i8,
        local.day() as i8,
        local.hour() as i8,
        local.minute() as i8,
        local.second() as i8,
        nanos as i32,
    )
    .ok()
}

/// Checks a zone as the compiler reads it from a mapping: an IANA time-zone database name in its exact spelling
/// (`Europe/Berlin`, `UTC`), `Z`, or a fixed offset `+HH:MM`, `-HH:MM`, `+HHMM` or `+HH`.
pub fn validate_zone(name: &str) -> Result<(), String> {
    Zone::parse(name).map(|_| ())
}

/// `Ok(None)` when `text` does not look like an offset at all (so it may be an IANA name), an error when it
/// looks like one but is out of range.
fn parse_fixed_offset(text: &str) -> Result<Option<FixedOffset>, String> {
    if text == "Z" {
        return Ok(FixedOffset::east_opt(0));
    }
    let sign = match text.as_bytes().first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Ok(None),
    };
    let digits: String = text[1..].chars().filter(|&c| c != ':').collect();
    let well_formed = digits.chars().all(|c| c.is_ascii_digit())
        && (digits.len() == 2 || digits.len() == 4)
        && text[1..]
            .find(':')
            .is_none_or(|colon| colon == 2 && digits.len() == 4);
    if !well_formed {
        return Err(format!(
            "{text:?} is not a UTC offset: write it as +HH:MM or -HH:MM, e.g. \"+01:00\""
        ));
    }
    // Both are ASCII digits by now, so parsing cannot fail; 99 would be refused as out of range below.
    let hours: i32 = digits[..2].parse().unwrap_or(99);
    let minutes: i32 = match digits.len() {
        4 => digits[2..].parse().unwrap_or(99),
        _ => 0,
    };
    if hours > 23 || minutes > 59 {
        return Err(format!("{text:?} is not a UTC offset: it is out of range"));
    }
    Ok(FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_offsets() {
        assert_eq!(validate_zone("Europe/Berlin"), Ok(()));
        assert_eq!(validate_zone("UTC"), Ok(()));
        assert_eq!(validate_zone("America/Argentina/Buenos_Aires"), Ok(()));
        // Links of the database's `backward` file, under their own names.
        for alias in [
            "US/Eastern",
            "Asia/Calcutta",
            "Etc/UTC",
            "GMT",
            "Europe/Kiev",
        ] {
            assert_eq!(validate_zone(alias), Ok(()), "{alias}");
        }
        assert_eq!(
            Zone::parse("+01:00"),
            Ok(Zone::Fixed(FixedOffset::east_opt(3600).unwrap()))
        );
        assert_eq!(
            Zone::parse("-0530"),
            Ok(Zone::Fixed(FixedOffset::east_opt(-19800).unwrap()))
        );
        assert_eq!(
            Zone::parse("+02"),
            Ok(Zone::Fixed(FixedOffset::east_opt(7200).unwrap()))
        );
        assert_eq!(
            Zone::parse("Z"),
            Ok(Zone::Fixed(FixedOffset::east_opt(0).unwrap()))
        );
    }

    #[test]
    fn rejects_what_is_not_a_zone() {
        let err = validate_zone("Europe/Berlinn").unwrap_err();
        assert!(
            err.starts_with("\"Europe/Berlinn\" is not a time zone"),
            "{err}"
        );
        assert_eq!(
            validate_zone("europe/berlin").unwrap_err(),
            "\"europe/berlin\" is not a time zone: the tz database spells it \"Europe/Berlin\""
        );
        assert!(validate_zone("utc").is_err(), "names are exact");
        assert!(validate_zone("").is_err());
        assert!(validate_zone("CEST").is_err());
        for bad in [
            "+1:00",
            "+01:0",
            "+0100:",
            "+24:00",
            "+01:60",
            "+",
            "-x1:00",
            "+01:00:00",
        ] {
            assert!(validate_zone(bad).is_err(), "{bad}");
        }
        assert!(validate_zone("+25:00")
            .unwrap_err()
            .contains("out of range"));
    }
}
