//! Local times in zones with daylight saving time, up to year 2999, checked against the zones'
//! published rules: the expected instants are computed here with a small calendar of our own,
//! never from the code under test.
//!
//! * Europe/Berlin: summer time from the last Sunday of March, 01:00 UTC, to the last Sunday of
//!   October, 01:00 UTC; +01:00 (CET) in winter, +02:00 (CEST) in summer.
//! * America/New_York: from the second Sunday of March, 02:00 local, to the first Sunday of
//!   November, 02:00 local; -05:00 (EST) in winter, -04:00 (EDT) in summer.
//! * Australia/Sydney (southern hemisphere): from the first Sunday of October, 02:00 local, to
//!   the first Sunday of April, 03:00 local; +10:00 (AEST) in winter, +11:00 (AEDT) in summer.

use super::*;

/// Years before and after 2037 (the end of 32-bit time) and 2100 (where chrono-tz stopped).
const YEARS: [i64; 9] = [2026, 2037, 2038, 2099, 2100, 2101, 2137, 2400, 2999];

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// 0 for Sunday ... 6 for Saturday (1970-01-01 was a Thursday).
fn weekday(year: i64, month: i64, day: i64) -> i64 {
    (days_from_civil(year, month, day) + 4).rem_euclid(7)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    days_from_civil(year + month / 12, month % 12 + 1, 1) - days_from_civil(year, month, 1)
}

/// The day of the month of the `n`th Sunday (1-based).
fn nth_sunday(year: i64, month: i64, n: i64) -> i64 {
    let first = 1 + (7 - weekday(year, month, 1)) % 7;
    first + 7 * (n - 1)
}

fn last_sunday(year: i64, month: i64) -> i64 {
    let last = days_in_month(year, month);
    last - weekday(year, month, last)
}

/// Epoch seconds of a local wall-clock time at a UTC offset in hours.
fn epoch_of(
    (year, month, day): (i64, i64, i64),
    (hour, minute): (i64, i64),
    offset_hours: i64,
) -> i64 {
    days_from_civil(year, month, day) * 86_400 + (hour - offset_hours) * 3600 + minute * 60
}

/// What reading a local time gives: its epoch seconds, or the kind of failure.
#[derive(Debug, PartialEq)]
enum Reading {
    At(i64),
    Skipped,
    Repeated,
}

fn read(zone: &str, (year, month, day): (i64, i64, i64), (hour, minute): (i64, i64)) -> Reading {
    let text = format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}");
    match parse_timestamp_in(&text, "%Y-%m-%d %H:%M", zone) {
        Ok(instant) => Reading::At(instant.as_datetime().timestamp()),
        Err(failure) if failure.detail().contains("the clocks skip") => Reading::Skipped,
        Err(failure) if failure.detail().contains("happens twice") => Reading::Repeated,
        Err(failure) => panic!("{zone} {text}: {failure}"),
    }
}

/// The local times around both changes of one year, with what each must give.
struct Change {
    zone: &'static str,
    winter: i64,
    summer: i64,
    /// Whether January is summer.
    southern: bool,
    /// The day the clocks go forward, the local hour that is skipped.
    forward: ((i64, i64, i64), i64),
    /// The day the clocks go back, the local hour that happens twice.
    back: ((i64, i64, i64), i64),
}

fn changes(year: i64) -> [Change; 3] {
    [
        Change {
            zone: "Europe/Berlin",
            winter: 1,
            summer: 2,
            southern: false,
            // 01:00 UTC is 02:00 CET in spring and 03:00 CEST in autumn.
            forward: ((year, 3, last_sunday(year, 3)), 2),
            back: ((year, 10, last_sunday(year, 10)), 2),
        },
        Change {
            zone: "America/New_York",
            winter: -5,
            summer: -4,
            southern: false,
            forward: ((year, 3, nth_sunday(year, 3, 2)), 2),
            // 02:00 EDT becomes 01:00 EST: the hour from 01:00 happens twice.
            back: ((year, 11, nth_sunday(year, 11, 1)), 1),
        },
        Change {
            zone: "Australia/Sydney",
            winter: 10,
            summer: 11,
            southern: true,
            forward: ((year, 10, nth_sunday(year, 10, 1)), 2),
            // 03:00 AEDT becomes 02:00 AEST.
            back: ((year, 4, nth_sunday(year, 4, 1)), 2),
        },
    ]
}

#[test]
fn daylight_saving_goes_on_after_2037_and_2100() {
    for year in YEARS {
        for change in changes(year) {
            let Change {
                zone,
                winter,
                summer,
                southern,
                forward: (spring, skipped),
                back: (autumn, twice),
            } = change;
            let cases = [
                // The minute before the skipped hour (still winter time), the hour itself, the
                // first minute after it (summer time).
                (
                    spring,
                    (skipped - 1, 59),
                    Reading::At(epoch_of(spring, (skipped - 1, 59), winter)),
                ),
                (spring, (skipped, 0), Reading::Skipped),
                (spring, (skipped, 30), Reading::Skipped),
                (spring, (skipped, 59), Reading::Skipped),
                (
                    spring,
                    (skipped + 1, 0),
                    Reading::At(epoch_of(spring, (skipped + 1, 0), summer)),
                ),
                // Before the repeated hour (summer time), the hour, after it (winter time).
                (
                    autumn,
                    (twice - 1, 59),
                    Reading::At(epoch_of(autumn, (twice - 1, 59), summer)),
                ),
                (autumn, (twice, 0), Reading::Repeated),
                (autumn, (twice, 30), Reading::Repeated),
                (
                    autumn,
                    (twice + 1, 0),
                    Reading::At(epoch_of(autumn, (twice + 1, 0), winter)),
                ),
            ];
            for (day, time, expected) in cases {
                assert_eq!(read(zone, day, time), expected, "{zone} {day:?} {time:?}");
            }
            // The middle of each season: January and July, one of them summer time.
            let (january, july) = if southern {
                (summer, winter)
            } else {
                (winter, summer)
            };
            for (month, offset) in [(1, january), (7, july)] {
                let day = (year, month, 15);
                assert_eq!(
                    read(zone, day, (12, 0)),
                    Reading::At(epoch_of(day, (12, 0), offset)),
                    "{zone} {day:?}"
                );
            }
        }
    }
}

#[test]
fn writing_local_time_after_2100_uses_the_zones_rules() {
    for year in YEARS {
        let summer = DateTime::from_timestamp(epoch_of((year, 7, 1), (10, 0), 0), 0).unwrap();
        let winter = DateTime::from_timestamp(epoch_of((year, 1, 1), (10, 0), 0), 0).unwrap();
        let local = |instant, zone| {
            format_timestamp(
                &Timestamp::from_datetime(instant).unwrap(),
                "%Y-%m-%d %H:%M %:z %Z",
                zone,
            )
        };
        assert_eq!(
            local(summer, "Europe/Berlin"),
            format!("{year}-07-01 12:00 +02:00 CEST")
        );
        assert_eq!(
            local(winter, "Europe/Berlin"),
            format!("{year}-01-01 11:00 +01:00 CET")
        );
        assert_eq!(
            local(summer, "America/New_York"),
            format!("{year}-07-01 06:00 -04:00 EDT")
        );
        assert_eq!(
            local(winter, "America/New_York"),
            format!("{year}-01-01 05:00 -05:00 EST")
        );
    }
}

#[test]
fn the_calendar_of_this_test_is_right() {
    // Known dates, from printed calendars.
    assert_eq!(weekday(2026, 12, 6), 0, "2026-12-06 is a Sunday");
    assert_eq!(weekday(2000, 1, 1), 6, "2000-01-01 was a Saturday");
    assert_eq!(last_sunday(2026, 3), 29);
    assert_eq!(last_sunday(2026, 10), 25);
    assert_eq!(nth_sunday(2026, 3, 2), 8);
    assert_eq!(nth_sunday(2026, 11, 1), 1);
    assert_eq!(days_in_month(2100, 2), 28, "2100 is not a leap year");
    assert_eq!(days_in_month(2400, 2), 29);
    assert_eq!(days_from_civil(1970, 1, 1), 0);
}
