//! RFC 3339 text of a timestamp without allocating: every timestamp a target writes goes
//! through here, and chrono's formatter (which builds a `String`) was a tenth of a generated
//! program's time in the benchmark. The text is exactly chrono's `to_rfc3339_opts(AutoSi,
//! true)`; years outside 0..=9999 and leap seconds, which that form writes differently, are
//! left to chrono.

use chrono::{Datelike, Timelike};

use super::Timestamp;

/// Enough for `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
pub(crate) type Buffer = [u8; 30];

/// The text in `buffer`, or `None` when chrono must write it.
pub(crate) fn write(instant: &Timestamp, buffer: &mut Buffer) -> Option<usize> {
    let t = instant.0;
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

    #[test]
    fn leaves_other_years_to_chrono() {
        let far = Timestamp(Utc.with_ymd_and_hms(12_000, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(ours(&far), None);
        let before = Timestamp(Utc.with_ymd_and_hms(-1, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(ours(&before), None);
    }
}
