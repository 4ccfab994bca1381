//! Time zones of local wall-clock times: IANA names (`Europe/Berlin`, `UTC`) and fixed offsets (`+01:00`).
//!
//! A local time names an instant only together with its zone, and not even then at a daylight-saving change:
//! in spring the clocks skip an hour (its local times do not exist), in autumn they repeat one (its local times
//! happen twice). [`Zone::instant_of`] reports both as failures rather than guessing, because a guessed hour
//! silently reorders the data of a whole shift.

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A time zone as a mapping names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Zone {
    /// An IANA time-zone database name: `Europe/Berlin`, `America/Chicago`, `UTC`.
    Named(Tz),
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
        name.parse::<Tz>().map(Zone::Named).map_err(|_| {
            format!(
                "{name:?} is not a time zone: use an IANA name such as \"Europe/Berlin\" or \"UTC\", \
                 or a fixed offset such as \"+01:00\""
            )
        })
    }

    /// The instant the local time `local` means in this zone. `text` is what `local` was read from, for
    /// messages.
    pub(crate) fn instant_of(
        self,
        local: &NaiveDateTime,
        text: &str,
        zone_name: &str,
    ) -> Result<DateTime<Utc>, String> {
        let result = match self {
            Zone::Named(tz) => tz.from_local_datetime(local).map(|t| t.with_timezone(&Utc)),
            Zone::Fixed(offset) => offset
                .from_local_datetime(local)
                .map(|t| t.with_timezone(&Utc)),
        };
        match result {
            LocalResult::Single(instant) => Ok(instant),
            LocalResult::None => Err(format!(
                "{text:?} is not a time in {zone_name}: the clocks skip {local} when they change for \
                 daylight saving time"
            )),
            LocalResult::Ambiguous(first, second) => Err(format!(
                "{text:?} is ambiguous in {zone_name}: {local} happens twice when the clocks change for \
                 daylight saving time (at {} and at {} UTC); the data must carry its UTC offset to tell them \
                 apart",
                first.format("%H:%M"),
                second.format("%H:%M"),
            )),
        }
    }
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
        assert!(validate_zone("europe/berlin").is_err(), "names are exact");
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
