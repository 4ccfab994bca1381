//! The functions mapping expressions call (`fdi_runtime::stdlib::trim(...)`).
//!
//! Everything that can fail on input returns `Result<_, Failure>`: the mapping decides with `else reject` or a
//! default what a failure means. Nothing here panics on input.

use crate::identifier::{Id, IdRule};
use crate::outcome::Failure;
use crate::time::Timestamp;

// The time functions live with `Timestamp`; mapping expressions call them from here like every other function.
pub use crate::time::{
    add_seconds, format_timestamp, from_epoch_millis, from_epoch_seconds, parse_timestamp_in,
    seconds_between, to_epoch_millis,
};

mod round;
#[cfg(test)]
mod round_tests;
pub use round::round;

/// Removes leading and trailing whitespace.
pub fn trim(s: &str) -> String {
    s.trim().to_string()
}

/// Lower case (Unicode).
pub fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// Upper case (Unicode).
pub fn upper(s: &str) -> String {
    s.to_uppercase()
}

/// Parses an integer, ignoring surrounding whitespace: `Failure("\"12a\" is not an integer")`.
pub fn parse_int(s: &str) -> Result<i64, Failure> {
    s.trim()
        .parse::<i64>()
        .map_err(|_| Failure::refused_text(s, "is not an integer"))
}

/// Parses a finite number, ignoring surrounding whitespace; NaN and infinity texts are not numbers:
/// `Failure("\"x\" is not a number")`.
pub fn parse_float(s: &str) -> Result<f64, Failure> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(Failure::refused_text(s, "is not a number")),
    }
}

/// RFC 3339 / ISO 8601 with a UTC offset; see [`Timestamp::parse`]. Text without an offset fails: read it with
/// [`parse_timestamp_in`] and a declared zone instead.
pub fn parse_timestamp(s: &str) -> Result<Timestamp, Failure> {
    Timestamp::parse(s)
}

/// Only whole numbers in `i64` range: `1.0` -> `1`, `1.5` -> `Failure`.
pub fn to_int(x: f64) -> Result<i64, Failure> {
    if !x.is_finite() || x.fract() != 0.0 {
        return Err(Failure::refused_number(x, "is not a whole number"));
    }
    // 2^63 is exactly representable; every whole f64 in [-2^63, 2^63) fits in an i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if !(-LIMIT..LIMIT).contains(&x) {
        return Err(Failure::refused_number(
            x,
            "is out of the 64-bit integer range",
        ));
    }
    Ok(x as i64)
}

/// An integer as a float (exact up to 2^53).
pub fn to_float(x: i64) -> f64 {
    x as f64
}

/// The parts joined without separator.
pub fn concat(parts: &[&str]) -> String {
    parts.concat()
}

/// The code of a generated enum's value (the text it has in the mapping and in the data).
pub trait EnumCode {
    fn code(&self) -> &'static str;
}

/// Any value as text, for `string(x)`.
///
/// Floats use Rust's `{}` formatting: the shortest text that reads back as the same value, without exponent and
/// without a trailing `.0` (`1.0` -> `"1"`, `0.1` -> `"0.1"`, `1e21` -> `"1000000000000000000000"`).
/// Timestamps are RFC 3339, identifiers their text, enums their code.
///
/// Implemented for values, not references (`string(&x)` / `string(s.as_str())`): a blanket impl for `&T` would
/// overlap with the one for generated enums.
pub trait AsText {
    fn as_text(&self) -> String;
}

impl AsText for str {
    fn as_text(&self) -> String {
        self.to_string()
    }
}

impl AsText for String {
    fn as_text(&self) -> String {
        self.clone()
    }
}

impl AsText for i64 {
    fn as_text(&self) -> String {
        self.to_string()
    }
}

impl AsText for f64 {
    fn as_text(&self) -> String {
        self.to_string()
    }
}

impl AsText for bool {
    fn as_text(&self) -> String {
        self.to_string()
    }
}

impl AsText for Timestamp {
    fn as_text(&self) -> String {
        self.to_rfc3339()
    }
}

impl<R: IdRule> AsText for Id<R> {
    fn as_text(&self) -> String {
        self.as_str().to_string()
    }
}

/// Generated enums implement [`EnumCode`] and get `AsText` from it.
impl<E: EnumCode> AsText for E {
    fn as_text(&self) -> String {
        self.code().to_string()
    }
}

/// Any value as text (see [`AsText`]).
pub fn string<T: AsText + ?Sized>(x: &T) -> String {
    x.as_text()
}

/// `a / b` truncated toward zero; division by zero fails. (`+`, `-` and `*` on ints saturate in
/// generated code, see docs/language.md, so they need no function here.)
pub fn div_int(a: i64, b: i64) -> Result<i64, Failure> {
    if b == 0 {
        return Err(Failure::new(format!("division by zero in {a} / 0")));
    }
    a.checked_div(b).ok_or_else(|| overflow(a, "/", b))
}

/// The remainder of `a / b` (sign of `a`); division by zero fails.
pub fn rem_int(a: i64, b: i64) -> Result<i64, Failure> {
    if b == 0 {
        return Err(Failure::new(format!("division by zero in {a} % 0")));
    }
    a.checked_rem(b).ok_or_else(|| overflow(a, "%", b))
}

fn overflow(a: i64, op: &str, b: i64) -> Failure {
    Failure::new(format!("integer overflow in {a} {op} {b}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_half_away_from_zero() {
        assert_eq!(round(2.5, 0), 3.0);
        assert_eq!(round(-2.5, 0), -3.0);
        assert_eq!(round(2.4, 0), 2.0);
        assert_eq!(round(2.675, 2), 2.68);
        assert_eq!(round(1.005, 2), 1.01);
        assert_eq!(round(-1.005, 2), -1.01);
        assert_eq!(round(0.125, 2), 0.13);
        assert_eq!(round(9.995, 2), 10.0);
        assert_eq!(round(1234.5, -1), 1230.0);
        assert_eq!(round(1235.0, -1), 1240.0);
        assert_eq!(round(1250.0, -2), 1300.0);
        assert_eq!(round(49.0, -2), 0.0);
        assert_eq!(round(51.0, -2), 100.0);
        assert_eq!(round(0.4, -3), 0.0);
        assert_eq!(round(2.71234, 10), 2.71234);
        assert_eq!(round(1e-7, 3), 0.0);
        assert_eq!(round(0.00051, 3), 0.001);
        assert_eq!(round(1.0, i64::MAX), 1.0);
        assert_eq!(round(1.0, i64::MIN), 0.0);
        assert!(round(f64::NAN, 2).is_nan());
        assert_eq!(round(f64::INFINITY, 2), f64::INFINITY);
    }

    #[test]
    fn to_int_only_whole_numbers_in_range() {
        assert_eq!(to_int(1.0), Ok(1));
        assert_eq!(to_int(-3.0), Ok(-3));
        assert_eq!(
            to_int(1.5).unwrap_err().detail(),
            "1.5 is not a whole number"
        );
        assert!(to_int(f64::NAN).is_err());
        assert!(to_int(1e19)
            .unwrap_err()
            .detail()
            .contains("out of the 64-bit integer range"));
        assert_eq!(to_int(-9_223_372_036_854_775_808.0), Ok(i64::MIN));
        assert!(to_int(9_223_372_036_854_775_808.0).is_err());
        assert_eq!(to_float(3), 3.0);
    }

    #[test]
    fn parse_functions_trim_and_explain() {
        assert_eq!(parse_int(" 42 "), Ok(42));
        assert_eq!(parse_int("-7"), Ok(-7));
        assert_eq!(
            parse_int("12a").unwrap_err().detail(),
            "\"12a\" is not an integer"
        );
        assert!(parse_int("1.0").is_err());
        assert!(parse_int("99999999999999999999").is_err());
        assert_eq!(parse_float(" 1.5"), Ok(1.5));
        assert_eq!(parse_float("1e3"), Ok(1000.0));
        assert_eq!(
            parse_float("x").unwrap_err().detail(),
            "\"x\" is not a number"
        );
        for bad in ["NaN", "inf", "-infinity", "1e400", ""] {
            assert!(parse_float(bad).is_err(), "{bad}");
        }
        assert!(parse_timestamp("2024-03-01 12:00:00Z").is_ok());
        assert!(parse_timestamp("2024-03-01 12:00:00").is_err());
        assert!(parse_timestamp("soon").is_err());
    }

    #[test]
    fn text_functions() {
        assert_eq!(trim("  a b "), "a b");
        assert_eq!(lower("MiLL"), "mill");
        assert_eq!(upper("mill-01"), "MILL-01");
        assert_eq!(concat(&["MILL", "-", "01"]), "MILL-01");
    }

    enum Phase {
        Running,
    }
    impl EnumCode for Phase {
        fn code(&self) -> &'static str {
            match self {
                Phase::Running => "RUN",
            }
        }
    }

    #[test]
    fn string_of_every_kind_of_value() {
        assert_eq!(string("a"), "a");
        assert_eq!(string(&"b".to_string()), "b");
        assert_eq!(string(&42_i64), "42");
        assert_eq!(string(&1.0_f64), "1");
        assert_eq!(string(&0.1_f64), "0.1");
        assert_eq!(string(&true), "true");
        assert_eq!(string(&Phase::Running), "RUN");
        let ts = Timestamp::parse("2024-03-01 13:00:00+01:00").unwrap();
        assert_eq!(string(&ts), "2024-03-01T12:00:00Z");
    }

    #[test]
    fn integer_division_fails_instead_of_panicking() {
        assert_eq!(div_int(7, 2), Ok(3));
        assert_eq!(div_int(-7, 2), Ok(-3));
        assert_eq!(
            div_int(1, 0).unwrap_err().detail(),
            "division by zero in 1 / 0"
        );
        assert!(div_int(i64::MIN, -1).is_err());
        assert_eq!(rem_int(-7, 2), Ok(-1));
        assert!(rem_int(1, 0).is_err());
        assert!(rem_int(i64::MIN, -1).is_err());
    }
}
