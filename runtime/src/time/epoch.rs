//! Epoch times and arithmetic on timestamps.
//!
//! Fractional seconds are taken as the decimal number they print as, not as their binary value: 1.1 seconds is
//! 1.100000000 s, not the 1.100000000000000088817841970012523 s the f64 holds. That keeps nanosecond-exact
//! results from epoch times such as `1700000000.123`, which as a binary fraction is 122999906 ns (the same
//! reasoning as [`round`](crate::stdlib::round)).

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
    // `{}` never uses an exponent and prints the shortest decimal that reads back as the same value.
    decimal_nanos(&value.to_string(), unit)
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
