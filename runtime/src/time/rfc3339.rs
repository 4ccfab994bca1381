//! RFC 3339 text of a timestamp without allocating, and the common form of RFC 3339 read
//! without chrono's general parser: every timestamp a source reads and a target writes goes
//! through here. chrono's formatter (which builds a `String`) was a tenth of a generated
//! program's time in the benchmark, and its parser about 600 instructions per timestamp.
//!
//! The text written is exactly chrono's `to_rfc3339_opts(AutoSi, true)`; years outside
//! 0..=9999 and leap seconds, which that form writes differently, are left to chrono. The
//! parser takes `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` and gives what chrono gives; any
//! other text (a leap second, a lowercase `t`, more than nine fraction digits...) is left to
//! chrono, which decides.

use chrono::{Datelike, Timelike};

use super::range;
use super::Timestamp;

/// Enough for `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
pub(crate) type Buffer = [u8; 30];

/// The text in `buffer`, or `None` when chrono must write it.
pub(crate) fn write(instant: &Timestamp, buffer: &mut Buffer) -> Option<usize> {
    // The naive UTC time once: each field of a `DateTime` converts to local time again.
    let t = instant.0.naive_utc();
    let year = t.year();
    let nanos = t.nanosecond();
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return None;
    }
    put(buffer, 0, 4, year as u32);
    buffer[4] = b'-';
    put(buffer, 5, 2, t.month());
    buffer[7] = b'-';
    put(buffer, 8, 2, t.day());
    buffer[10] = b'T';
    put(buffer, 11, 2, t.hour());
    buffer[13] = b':';
    put(buffer, 14, 2, t.minute());
    buffer[16] = b':';
    put(buffer, 17, 2, t.second());
    // Fractions as chrono's AutoSi writes them: none, milli-, micro- or nanoseconds.
    let (digits, fraction) = if nanos == 0 {
        (0, 0)
    } else if nanos.is_multiple_of(1_000_000) {
        (3, nanos / 1_000_000)
    } else if nanos.is_multiple_of(1_000) {
        (6, nanos / 1_000)
    } else {
        (9, nanos)
    };
    let mut end = 19;
    if digits > 0 {
        buffer[19] = b'.';
        put(buffer, 20, digits, fraction);
        end = 20 + digits;
    }
    buffer[end] = b'Z';
    Some(end + 1)
}

/// The instant `text` means, when it has the common RFC 3339 form; `None` otherwise (including
/// when it is not a valid time at all: chrono then says why).
pub(crate) fn parse(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let year = two_digits(b, 0)? * 100 + two_digits(b, 2)?;
    let (month, day) = (two_digits(b, 5)?, two_digits(b, 8)?);
    let (hour, minute, second) = (two_digits(b, 11)?, two_digits(b, 14)?, two_digits(b, 17)?);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut at = 19;
    let mut nanos = 0;
    if b[at] == b'.' {
        at += 1;
        let mut scale = 1_000_000_000;
        while let Some(digit) = b.get(at).map(|c| c.wrapping_sub(b'0')).filter(|d| *d < 10) {
            scale /= 10;
            if scale == 0 {
                return None; // more than nine digits: chrono's rule
            }
            nanos += u32::from(digit) * scale;
            at += 1;
        }
        if scale == 1_000_000_000 {
            return None;
        }
    }
    let offset_seconds = match &b[at..] {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (hours, minutes) = (two_digits(b, at + 1)?, two_digits(b, at + 4)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let magnitude = i64::from(hours * 3600 + minutes * 60);
            if *sign == b'-' {
                -magnitude
            } else {
                magnitude
            }
        }
        _ => return None,
    };
    let local = days_from_civil(i64::from(year), month, day) * 86_400
        + i64::from(hour * 3600 + minute * 60 + second);
    let utc = local - offset_seconds;
    // An offset can move year 0000 or 9999 out of the range; chrono reads it, and the range
    // check says why it is refused.
    if !(range::FIRST_SECOND..=range::LAST_SECOND).contains(&utc) {
        return None;
    }
    chrono::DateTime::from_timestamp(utc, nanos).map(Timestamp)
}

/// The two ASCII digits at `at` as a number; `None` if either is not a digit.
fn two_digits(b: &[u8], at: usize) -> Option<u32> {
    let tens = b.get(at)?.wrapping_sub(b'0');
    let ones = b.get(at + 1)?.wrapping_sub(b'0');
    (tens < 10 && ones < 10).then(|| u32::from(tens) * 10 + u32::from(ones))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// `value` as `digits` decimal digits, zero-padded, at `at`.
fn put(buffer: &mut Buffer, at: usize, digits: usize, value: u32) {
    let mut v = value;
    for i in (0..digits).rev() {
        buffer[at + i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{SecondsFormat, TimeZone, Utc};

    fn chrono_text(instant: &Timestamp) -> String {
        instant.0.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }

    fn ours(instant: &Timestamp) -> Option<String> {
        let mut buffer = [0; 30];
        let len = write(instant, &mut buffer)?;
        Some(String::from_utf8(buffer[..len].to_vec()).expect("ASCII"))
    }

    #[test]
    fn writes_what_chrono_writes() {
        // A deterministic spread of instants over 0000..9999 with every kind of fraction.
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let min = Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap().timestamp();
        let max = Utc
            .with_ymd_and_hms(9999, 12, 31, 23, 59, 59)
            .unwrap()
            .timestamp();
        for i in 0..200_000u64 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let seconds = min + (seed % (max - min) as u64) as i64;
            let nanos = match i % 4 {
                0 => 0,
                1 => (seed % 1000) as u32 * 1_000_000,
                2 => (seed % 1_000_000) as u32 * 1_000,
                _ => (seed % 1_000_000_000) as u32,
            };
            let instant = Timestamp(Utc.timestamp_opt(seconds, nanos).unwrap());
            assert_eq!(
                ours(&instant).as_deref(),
                Some(chrono_text(&instant).as_str())
            );
        }
    }

    /// The fast parser gives chrono's instant for every text it takes, and takes the common
    /// forms: every fraction length, both offset signs, dates across leap years.
    #[test]
    fn parses_what_chrono_parses() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut taken = 0;
        for i in 0..100_000u64 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let year = seed % 10_000;
            let text = format!(
                "{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{}",
                1 + seed / 7 % 13,  // 13: an invalid month now and then
                1 + seed / 11 % 31, // 31 in a 30-day month, Feb 29 in common years
                seed / 13 % 25,
                seed / 17 % 61,
                seed / 19 % 61,
                [
                    String::new(),
                    format!(".{}", seed % 10),
                    format!(".{:09}", seed % 1_000_000_000),
                    format!(".{:03}", seed % 1000)
                ][(i % 4) as usize],
                ["Z", "+01:00", "-05:30", "+23:59", "-00:00", "z", "+24:00"][(i % 7) as usize],
            );
            let chrono = chrono::DateTime::parse_from_rfc3339(&text)
                .ok()
                .map(|t| t.to_utc());
            match parse(&text) {
                Some(ours) => {
                    taken += 1;
                    assert_eq!(Some(ours.0), chrono, "{text}");
                }
                None => assert!(
                    chrono.is_none()
                        || text.ends_with('z')
                        || text.contains(":60")
                        || chrono.is_some_and(|t| !(0..=9999).contains(&t.year())),
                    "{text} was left to chrono, which reads it as {chrono:?}"
                ),
            }
        }
        assert!(taken > 40_000, "only {taken} texts took the fast path");
    }

    #[test]
    fn leaves_instants_an_offset_moves_out_of_the_years_0000_to_9999_to_chrono() {
        assert!(parse("9999-12-31T23:00:00+01:00").is_some());
        assert_eq!(parse("9999-12-31T23:00:00-01:00"), None);
        assert_eq!(parse("0000-01-01T00:30:00+01:00"), None);
        assert!(parse("0000-01-01T00:30:00-01:00").is_some());
    }

    #[test]
    fn leaves_other_years_to_chrono() {
        let far = Timestamp(Utc.with_ymd_and_hms(12_000, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(ours(&far), None);
        let before = Timestamp(Utc.with_ymd_and_hms(-1, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(ours(&before), None);
    }
}
