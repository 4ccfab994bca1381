//! Which instants a [`Timestamp`] can be: those RFC 3339 can write, and leap seconds only where
//! UTC had one.
//!
//! * **Years 0000 to 9999.** RFC 3339 writes a year in four digits; chrono would write year 10000
//!   as `+10000-01-01T00:00:00Z`, which no RFC 3339 reader takes. Every way to make a timestamp
//!   (reading text, epoch times, arithmetic) fails outside that range instead of writing what its
//!   own reader, and every other, refuses.
//! * **Second 60 only at a real leap second.** UTC inserted 27 leap seconds, each at 23:59:60 UTC
//!   on the last day of June or December ([`LEAP_SECOND_DAYS`], from IERS Bulletin C); no other
//!   instant has a second 60. A leap second is kept (chrono holds it as second 59 plus a second's
//!   worth of nanoseconds) and written back as `23:59:60Z`; any other `:60`, including a local
//!   `23:59:60` that is not 23:59:60 UTC, is a failure, never rounded to a neighbouring second.

use chrono::{DateTime, Datelike, Timelike, Utc};

use super::Timestamp;
use crate::decode_rule::DecodeRule;

/// 0000-01-01T00:00:00Z in seconds since 1970-01-01T00:00:00Z.
pub(crate) const FIRST_SECOND: i64 = -62_167_219_200;
/// 9999-12-31T23:59:59Z in seconds since 1970-01-01T00:00:00Z.
pub(crate) const LAST_SECOND: i64 = 253_402_300_799;

/// The days at whose end UTC inserted a leap second (23:59:60 UTC), as (year, month, day).
/// IERS Bulletin C announces each one about six months ahead; none has been inserted since the
/// end of 2016.
pub(crate) const LEAP_SECOND_DAYS: [(i32, u32, u32); 27] = [
    (1972, 6, 30),
    (1972, 12, 31),
    (1973, 12, 31),
    (1974, 12, 31),
    (1975, 12, 31),
    (1976, 12, 31),
    (1977, 12, 31),
    (1978, 12, 31),
    (1979, 12, 31),
    (1981, 6, 30),
    (1982, 6, 30),
    (1983, 6, 30),
    (1985, 6, 30),
    (1987, 12, 31),
    (1989, 12, 31),
    (1990, 12, 31),
    (1992, 6, 30),
    (1993, 6, 30),
    (1994, 6, 30),
    (1995, 12, 31),
    (1997, 6, 30),
    (1998, 12, 31),
    (2005, 12, 31),
    (2008, 12, 31),
    (2012, 6, 30),
    (2015, 6, 30),
    (2016, 12, 31),
];

/// `instant` as a timestamp, or why it cannot be one. `shown` gives what it was read or computed
/// from, for the message; it is called only for a failure.
pub(crate) fn checked(
    instant: DateTime<Utc>,
    shown: impl FnOnce() -> String,
) -> Result<Timestamp, String> {
    let seconds = instant.timestamp();
    if !(FIRST_SECOND..=LAST_SECOND).contains(&seconds) {
        DecodeRule::TimeOutOfRange.note();
        return Err(format!(
            "{} is outside the years 0000 to 9999, the years an RFC 3339 timestamp can write",
            shown()
        ));
    }
    if instant.nanosecond() >= 1_000_000_000 && !is_leap_second(&instant) {
        DecodeRule::TimeOutOfRange.note();
        let utc = instant.naive_utc();
        return Err(format!(
            "{} has a second 60, which is {} UTC: UTC has a second 60 only at a leap second, \
             23:59:60 UTC at the end of a day the IERS inserted one (the last was 2016-12-31)",
            shown(),
            utc.format("%Y-%m-%d %H:%M:60")
        ));
    }
    Ok(Timestamp(instant))
}

/// Whether the leap-second instant (second 59 plus a second's worth of nanoseconds) is
/// 23:59:60 UTC at the end of a day in [`LEAP_SECOND_DAYS`].
fn is_leap_second(instant: &DateTime<Utc>) -> bool {
    let utc = instant.naive_utc();
    (utc.hour(), utc.minute(), utc.second()) == (23, 59, 59)
        && LEAP_SECOND_DAYS.contains(&(utc.year(), utc.month(), utc.day()))
}

#[cfg(test)]
mod tests {
    use crate::time::{
        add_seconds, from_epoch_millis, from_epoch_seconds, parse_timestamp_in, seconds_between,
        to_epoch_millis, Timestamp,
    };

    fn written(text: &str) -> Result<String, String> {
        Timestamp::parse(text)
            .map(|t| t.to_string())
            .map_err(|f| f.detail().to_string())
    }

    #[test]
    fn a_leap_second_is_read_and_written_back_as_23_59_60_utc() {
        assert_eq!(
            written("2016-12-31T23:59:60Z").as_deref(),
            Ok("2016-12-31T23:59:60Z")
        );
        assert_eq!(
            written("2015-06-30T23:59:60.5Z").as_deref(),
            Ok("2015-06-30T23:59:60.500Z")
        );
        // The same second with an offset: 00:59:60 in Berlin's winter time.
        assert_eq!(
            written("2017-01-01T00:59:60+01:00").as_deref(),
            Ok("2016-12-31T23:59:60Z")
        );
        // What it writes, it reads again as the same instant, between the seconds around it.
        let leap = Timestamp::parse("2016-12-31T23:59:60Z").unwrap();
        assert_eq!(Timestamp::parse(&leap.to_string()).unwrap(), leap);
        assert!(Timestamp::parse("2016-12-31T23:59:59Z").unwrap() < leap);
        assert!(leap < Timestamp::parse("2017-01-01T00:00:00Z").unwrap());
        // Epoch times count no leap seconds (as Unix time does): the leap second's is the next
        // second's, and the span across it is one second.
        let next = Timestamp::parse("2017-01-01T00:00:00Z").unwrap();
        let before = Timestamp::parse("2016-12-31T23:59:59Z").unwrap();
        assert_eq!(to_epoch_millis(&leap), to_epoch_millis(&next));
        assert_eq!(to_epoch_millis(&next), 1_483_228_800_000);
        assert_eq!(seconds_between(&next, &before), 1.0);
    }

    #[test]
    fn a_second_60_where_utc_had_no_leap_second_is_refused() {
        assert_eq!(
            written("2024-06-30T23:59:60Z").unwrap_err(),
            "\"2024-06-30T23:59:60Z\" has a second 60, which is 2024-06-30 23:59:60 UTC: UTC has a \
             second 60 only at a leap second, 23:59:60 UTC at the end of a day the IERS inserted one \
             (the last was 2016-12-31)"
        );
        for not_a_leap_second in [
            // The right day, but 23:59:60 local time in Berlin is 22:59:60 UTC.
            "2016-12-31T23:59:60+01:00",
            "2016-12-31T12:30:60Z",
            "2016-06-30T23:59:60Z",
            "2016-12-31 23:59:60+0100",
        ] {
            let detail = written(not_a_leap_second).unwrap_err();
            assert!(
                detail.contains("has a second 60"),
                "{not_a_leap_second}: {detail}"
            );
        }
    }

    #[test]
    fn a_local_23_59_60_is_a_leap_second_only_where_it_is_23_59_60_utc() {
        let local = |text: &str, zone: &str| {
            parse_timestamp_in(text, "%Y-%m-%d %H:%M:%S", zone)
                .map(|t| t.to_string())
                .map_err(|f| f.detail().to_string())
        };
        assert_eq!(
            local("2016-12-31 23:59:60", "UTC").as_deref(),
            Ok("2016-12-31T23:59:60Z")
        );
        assert_eq!(
            local("2017-01-01 00:59:60", "Europe/Berlin").as_deref(),
            Ok("2016-12-31T23:59:60Z")
        );
        assert_eq!(
            local("2016-12-31 18:59:60", "America/New_York").as_deref(),
            Ok("2016-12-31T23:59:60Z")
        );
        let refused = local("2016-12-31 23:59:60", "Europe/Berlin").unwrap_err();
        assert_eq!(
            refused,
            "\"2016-12-31 23:59:60\" has a second 60, which is 2016-12-31 22:59:60 UTC: UTC has a \
             second 60 only at a leap second, 23:59:60 UTC at the end of a day the IERS inserted one \
             (the last was 2016-12-31)"
        );
        assert!(local("2026-03-01 12:00:60", "+01:00").is_err());
    }

    #[test]
    fn every_leap_second_of_the_table_and_no_neighbour_is_accepted() {
        for (year, month, day) in super::LEAP_SECOND_DAYS {
            let text = format!("{year}-{month:02}-{day:02}T23:59:60Z");
            assert_eq!(written(&text), Ok(text.clone()));
            let a_day_early = format!("{year}-{month:02}-{:02}T23:59:60Z", day - 1);
            assert!(written(&a_day_early).is_err(), "{a_day_early}");
        }
    }

    /// The table agrees with the tz database's list of leap seconds (`leapseconds`, which the
    /// `tzdata` package installs), an independent copy of IERS Bulletin C.
    #[test]
    fn the_leap_second_table_is_the_tz_databases() {
        let path = "/usr/share/zoneinfo/leapseconds";
        let list = std::fs::read_to_string(path).unwrap_or_else(|e| {
            panic!(
                "cannot read {path} ({e}): install the tz database (`apt-get install tzdata` on \
                 Debian and Ubuntu), which this test compares the leap-second table with"
            )
        });
        let month_number = |name: &str| {
            [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ]
            .iter()
            .position(|m| *m == name)
            .map(|i| i as u32 + 1)
        };
        let listed: Vec<(i32, u32, u32)> = list
            .lines()
            .filter_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                match fields.as_slice() {
                    ["Leap", year, month, day, "23:59:60", "+", _] => {
                        Some((year.parse().ok()?, month_number(month)?, day.parse().ok()?))
                    }
                    _ => None,
                }
            })
            .collect();
        assert!(
            !list
                .lines()
                .any(|l| l.starts_with("Leap") && l.contains("\t-\t")),
            "a leap second was removed: the table has no such case"
        );
        assert_eq!(listed, super::LEAP_SECOND_DAYS.to_vec());
    }

    #[test]
    fn years_outside_0000_to_9999_are_refused_everywhere() {
        assert_eq!(
            written("9999-12-31T23:59:59.999999999Z").as_deref(),
            Ok("9999-12-31T23:59:59.999999999Z")
        );
        assert_eq!(
            written("0000-01-01T00:00:00Z").as_deref(),
            Ok("0000-01-01T00:00:00Z")
        );
        // An offset that moves the instant into year 10000 or year -1.
        assert_eq!(
            written("9999-12-31T23:30:00-01:00").unwrap_err(),
            "\"9999-12-31T23:30:00-01:00\" is outside the years 0000 to 9999, the years an RFC 3339 \
             timestamp can write"
        );
        assert!(written("0000-01-01T00:30:00+01:00").is_err());
        assert!(written("+10000-01-01T00:00:00Z").is_err());
        // Epoch times: the last second of 9999 and the one after it.
        assert_eq!(
            from_epoch_seconds(253_402_300_799.0).unwrap().to_string(),
            "9999-12-31T23:59:59Z"
        );
        assert!(from_epoch_seconds(253_402_300_800.0)
            .unwrap_err()
            .detail()
            .contains("outside the years 0000 to 9999"));
        assert!(from_epoch_millis(-62_167_219_200_001).is_err());
        assert_eq!(
            from_epoch_millis(-62_167_219_200_000).unwrap().to_string(),
            "0000-01-01T00:00:00Z"
        );
        // Arithmetic.
        let last = Timestamp::parse("9999-12-31T23:59:59Z").unwrap();
        assert!(add_seconds(&last, 1.0)
            .unwrap_err()
            .detail()
            .contains("outside the years 0000 to 9999"));
        // Local time: 00:30 on 1 January of year 0000 in Berlin is in year -1 in UTC.
        let detail = parse_timestamp_in("0000-01-01 00:30", "%Y-%m-%d %H:%M", "Europe/Berlin")
            .unwrap_err()
            .detail()
            .to_string();
        assert!(
            detail.contains("outside the years 0000 to 9999"),
            "{detail}"
        );
        assert!(parse_timestamp_in("10000-01-01 00:30", "%Y-%m-%d %H:%M", "UTC").is_err());
    }
}
