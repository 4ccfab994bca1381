//! Epoch times and arithmetic on timestamps.
//!
//! Fractional seconds are taken as the decimal number they print as, not as their binary value: 1.1 seconds is
//! 1.100000000 s, not the 1.100000000000000088817841970012523 s the f64 holds. That keeps nanosecond-exact
//! results from epoch times such as `1700000000.123`, which as a binary fraction is 122999906 ns (the same
//! reasoning as [`round`](crate::stdlib::round)).

use std::fmt::Write as _;

use chrono::{DateTime, TimeDelta};

use super::range;
use super::Timestamp;
use crate::decode_rule::DecodeRule;
use crate::outcome::Failure;

const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// The instant `seconds` after 1970-01-01T00:00:00Z (negative: before), to the nanosecond.
pub fn from_epoch_seconds(seconds: f64) -> Result<Timestamp, Failure> {
    let nanos = f64_nanos(seconds, EpochUnit::Seconds)
        .ok_or_else(|| Failure::new(format!("{seconds} is not a number of epoch seconds")))?;
    from_epoch_nanos(nanos, &seconds.to_string(), "seconds")
}

/// The instant `millis` milliseconds after 1970-01-01T00:00:00Z.
pub fn from_epoch_millis(millis: i64) -> Result<Timestamp, Failure> {
    from_epoch_nanos(
        i128::from(millis) * 1_000_000,
        &millis.to_string(),
        "milliseconds",
    )
}

/// Milliseconds since 1970-01-01T00:00:00Z, rounded down (towards the past) to a whole millisecond.
pub fn to_epoch_millis(instant: &Timestamp) -> i64 {
    instant.0.timestamp_millis()
}

/// `later - earlier` in seconds, negative when `later` is before `earlier`, to the precision of an f64: that
/// resolves nanoseconds for spans up to about 100 days, and coarser steps beyond.
pub fn seconds_between(later: &Timestamp, earlier: &Timestamp) -> f64 {
    let span = later.0 - earlier.0;
    // Whole seconds and the nanoseconds past them have the same sign, so their sum is the span.
    span.num_seconds() as f64 + f64::from(span.subsec_nanos()) / 1e9
}

/// `instant` moved by `seconds` (negative: back), to the nanosecond. Fails for a non-finite amount and for a
/// result outside the years 0000 to 9999.
pub fn add_seconds(instant: &Timestamp, seconds: f64) -> Result<Timestamp, Failure> {
    let out_of_range = || {
        Failure::new(format!(
            "{instant} + {seconds} s is out of the timestamp range"
        ))
    };
    let nanos = f64_nanos(seconds, EpochUnit::Seconds)
        .ok_or_else(|| Failure::new(format!("cannot add {seconds} seconds to a timestamp")))?;
    let whole = i64::try_from(nanos.div_euclid(NANOS_PER_SECOND)).map_err(|_| out_of_range())?;
    let fraction = nanos.rem_euclid(NANOS_PER_SECOND) as u32;
    let delta = TimeDelta::new(whole, fraction).ok_or_else(out_of_range)?;
    let moved = instant
        .0
        .checked_add_signed(delta)
        .ok_or_else(out_of_range)?;
    range::checked(moved, || format!("{instant} + {seconds} s")).map_err(Failure::new)
}

/// `instant` moved by a duration the mapping wrote as a literal (`t + 5[min]`), which is finite:
/// the result is clamped to the timestamp range (0000-01-01T00:00:00Z to
/// 9999-12-31T23:59:59.999999999Z) instead of failing, since only a timestamp within that
/// duration of the range's ends could leave it.
pub fn add_seconds_saturating(instant: &Timestamp, seconds: f64) -> Timestamp {
    add_seconds(instant, seconds).unwrap_or_else(|_| {
        let (limit, nanos) = if seconds < 0.0 {
            (range::FIRST_SECOND, 0)
        } else {
            (range::LAST_SECOND, 999_999_999)
        };
        Timestamp(DateTime::from_timestamp(limit, nanos).unwrap_or_default())
    })
}

/// The unit of an epoch time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EpochUnit {
    Seconds,
    Millis,
}

impl EpochUnit {
    fn nanos(self) -> i128 {
        match self {
            EpochUnit::Seconds => NANOS_PER_SECOND,
            EpochUnit::Millis => 1_000_000,
        }
    }

    fn name(self) -> &'static str {
        match self {
            EpochUnit::Seconds => "seconds",
            EpochUnit::Millis => "milliseconds",
        }
    }
}

/// Epoch time in text (`"1700000000"`, `"1700000000.123"`, `"-1.5"`, `"1.7e9"`), for decoding. Surrounding
/// whitespace is ignored.
pub(crate) fn from_epoch_text(text: &str, unit: EpochUnit) -> Result<Timestamp, Failure> {
    let trimmed = text.trim();
    let nanos = decimal_nanos(trimmed, unit).or_else(|| {
        // Not a plain decimal: perhaps with an exponent.
        trimmed.parse::<f64>().ok().and_then(|x| f64_nanos(x, unit))
    });
    let nanos = nanos.ok_or_else(|| {
        DecodeRule::NotAnEpochTime.note();
        Failure::new(format!("{text:?} is not a number of epoch {}", unit.name()))
    })?;
    from_epoch_nanos(nanos, trimmed, unit.name())
}

/// An epoch time given as a float, for decoding JSON numbers.
pub(crate) fn from_epoch_f64(value: f64, unit: EpochUnit) -> Result<Timestamp, Failure> {
    let nanos = f64_nanos(value, unit).ok_or_else(|| {
        DecodeRule::NotAnEpochTime.note();
        Failure::new(format!("{value} is not a number of epoch {}", unit.name()))
    })?;
    from_epoch_nanos(nanos, &value.to_string(), unit.name())
}

fn from_epoch_nanos(nanos: i128, shown: &str, unit: &str) -> Result<Timestamp, Failure> {
    let out_of_range = || {
        DecodeRule::TimeOutOfRange.note();
        Failure::new(format!(
            "{shown} epoch {unit} is out of the timestamp range"
        ))
    };
    let seconds = i64::try_from(nanos.div_euclid(NANOS_PER_SECOND)).map_err(|_| out_of_range())?;
    let fraction = nanos.rem_euclid(NANOS_PER_SECOND) as u32;
    let instant = DateTime::from_timestamp(seconds, fraction).ok_or_else(out_of_range)?;
    range::checked(instant, || format!("{shown} epoch {unit}")).map_err(Failure::new)
}

/// A finite float in `unit` as nanoseconds, through the decimal it prints as.
fn f64_nanos(value: f64, unit: EpochUnit) -> Option<i128> {
    if !value.is_finite() {
        return None;
    }
    if let Some(nanos) = whole_nanos(value, unit) {
        return Some(nanos);
    }
    // `{}` never uses an exponent and prints the shortest decimal that reads back as the same value.
    let mut text = DecimalText::default();
    match write!(text, "{value}") {
        Ok(()) => decimal_nanos(text.as_str(), unit),
        Err(_) => decimal_nanos(&value.to_string(), unit),
    }
}

/// `value` in `unit` as nanoseconds without writing it, when a whole number of nanoseconds reads
/// back as `value`: then that number is the decimal `value` prints as, to the nanosecond, and
/// [`f64_nanos`] gives the same. `None` when the amount is too large for that to hold, or needs
/// digits finer than a nanosecond: [`f64_nanos`] writes those.
///
/// Why the same: `value` prints as the shortest decimal that reads back as `value`, that is, one
/// within half a binary step (ulp) of it. Below the bound here a step is shorter than a
/// nanosecond, so at most one whole number of nanoseconds lies within half a step either side of
/// `value`; when `n` ns reads back as `value` it is that one, and a decimal with fewer digits that
/// reads back as `value` is a whole number of nanoseconds too (fewer digits end no further right),
/// so it is `n` ns. The unit test `whole_nanos_agrees_with_the_printed_decimal` compares both on
/// millions of values.
fn whole_nanos(value: f64, unit: EpochUnit) -> Option<i128> {
    let per_unit = unit.nanos() as f64;
    // A step of `value` is at most |value| * 2^-52: less than a nanosecond below this bound.
    if value.abs() * f64::EPSILON * per_unit >= 0.5 {
        return None;
    }
    let nanos = (value * per_unit).round();
    // Exact division of two exactly held integers, rounded once: the float that the decimal
    // `nanos` ns reads as.
    (nanos / per_unit == value).then_some(nanos as i128)
}

/// A float written with `{}` on the stack: the longest, the smallest subnormal, takes 326 bytes
/// (`-0.` and 323 more digits); anything longer reports an error and is written to a `String`.
struct DecimalText {
    bytes: [u8; 400],
    len: usize,
}

impl Default for DecimalText {
    fn default() -> Self {
        DecimalText {
            bytes: [0; 400],
            len: 0,
        }
    }
}

impl DecimalText {
    fn as_str(&self) -> &str {
        // Only whole `&str`s are copied in, so the bytes are UTF-8.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl std::fmt::Write for DecimalText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        self.bytes
            .get_mut(self.len..end)
            .ok_or(std::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// A plain decimal (`-12.345`) in `unit` as nanoseconds; digits finer than a nanosecond are rounded half away
/// from zero. `None` when the text is not a plain decimal.
fn decimal_nanos(text: &str, unit: EpochUnit) -> Option<i128> {
    let (negative, unsigned) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let mut nanos: i128 = 0;
    for digit in whole.bytes() {
        // Past 10^30 no timestamp is in range anyway; saturating there keeps the arithmetic from overflowing
        // while the caller still reports "out of range".
        nanos = (nanos * 10 + i128::from(digit - b'0')).min(10_i128.pow(30));
    }
    nanos = nanos.saturating_mul(unit.nanos());
    // Each fraction digit is worth a tenth of the one before; those worth less than a nanosecond only round.
    let mut place = unit.nanos();
    let mut digits = fraction.bytes();
    for digit in digits.by_ref() {
        place /= 10;
        nanos += i128::from(digit - b'0') * place;
        if place == 1 {
            break;
        }
    }
    if digits.next().is_some_and(|d| d >= b'5') {
        nanos += 1;
    }
    Some(if negative { -nanos } else { nanos })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`f64_nanos`] computed before [`whole_nanos`]: through the decimal `to_string` prints.
    fn printed_nanos(value: f64, unit: EpochUnit) -> Option<i128> {
        value
            .is_finite()
            .then(|| decimal_nanos(&value.to_string(), unit))
            .flatten()
    }

    fn assert_agrees(value: f64) {
        for unit in [EpochUnit::Seconds, EpochUnit::Millis] {
            assert_eq!(
                f64_nanos(value, unit),
                printed_nanos(value, unit),
                "{value:?} {unit:?}"
            );
            assert_eq!(
                f64_nanos(-value, unit),
                printed_nanos(-value, unit),
                "{:?} {unit:?}",
                -value
            );
        }
    }

    #[test]
    fn whole_nanos_agrees_with_the_printed_decimal() {
        let chosen = [
            0.0,
            0.1,
            0.2,
            0.3,
            1.1,
            0.5,
            1.5,
            2.5,
            0.000_000_000_5,
            0.000_000_001_5,
            0.000_000_002_5,
            0.000_000_000_499_999,
            1e-9,
            1e-10,
            1e-300,
            f64::MIN_POSITIVE,
            5e-324,
            59.999_999_999_5,
            3600.0,
            86_400.123_456_789,
            4_194_303.999_999_999,
            4_194_304.000_000_001,
            8_388_608.5,
            1_700_000_000.123,
            1e15,
            1e300,
            f64::MAX,
            f64::INFINITY,
            f64::NAN,
        ];
        for value in chosen {
            assert_agrees(value);
        }
        // Amounts a mapping adds take the way without text.
        assert_eq!(whole_nanos(0.1, EpochUnit::Seconds), Some(100_000_000));
        assert_eq!(
            whole_nanos(-3600.5, EpochUnit::Seconds),
            Some(-3_600_500_000_000)
        );
        assert_eq!(whole_nanos(1.5e-9, EpochUnit::Seconds), None);
        // Decimals with up to 12 fraction digits at many magnitudes, and floats from their bits:
        // a seeded xorshift keeps the run repeatable.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..250_000 {
            let digits = next() % 1_000_000_000_000_000;
            let places = (next() % 19) as i32;
            assert_agrees(digits as f64 / 10f64.powi(places));
            let millis = (next() % 100_000_000_000) as f64;
            assert_agrees(millis / 1e3);
            assert_agrees(f64::from_bits(next()));
            // Around the bound where a step becomes a nanosecond.
            let near_bound = f64::from_bits(0x4140_0000_0000_0000 + next() % (1 << 52));
            assert_agrees(near_bound);
        }
    }
}
