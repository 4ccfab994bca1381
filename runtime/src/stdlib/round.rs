//! `round(x, digits)`: half away from zero on the decimal number `x` prints as, exactly and without
//! allocating.
//!
//! The meaning is that of the decimal text: `x`'s shortest round-trip digits (what `{:e}` prints)
//! rounded half away from zero at `digits` decimal places, read back as the nearest float. Most
//! calls need no text at all: `x * 10^digits` is computed in floating point, and unless it lies
//! so close to a half that the decimal digits and the binary value could fall on different sides
//! of it, the float's own rounding is the decimal one ([`round_scaled`]). Only the rest (ties of
//! the decimal text such as `2.675`, huge or tiny scales) print the digits, into a buffer on the
//! stack, and decide from them ([`round_shortest`]). `round_tests.rs` proves both equal to the
//! implementation that formatted and parsed on every call, on more than ten million values.

use std::fmt::{self, Write as _};

/// Round half away from zero to `digits` decimal places (digits may be 0; negative digits round to tens etc.).
///
/// Rounds the *decimal* number the value prints as (its shortest round-trip form), so `round(2.675, 2)` is
/// `2.68` as a person expects, although the binary value closest to 2.675 is slightly below it. Non-finite
/// values are returned unchanged.
///
/// ```
/// use fdi_runtime::stdlib::round;
/// assert_eq!(round(2.675, 2), 2.68);
/// assert_eq!(round(-1.25, 1), -1.3);
/// assert_eq!(round(1234.0, -2), 1200.0);
/// ```
pub fn round(x: f64, digits: i64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    let magnitude = x.abs();
    match round_scaled(magnitude, digits) {
        Some(rounded) => rounded.copysign(x),
        None => round_shortest(magnitude, digits).copysign(x),
    }
}

/// The powers of ten a float holds exactly: 10^22 is the last (5^22 < 2^53 < 5^23).
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// 2^52: from here up every float is a whole number, and below it a whole number plus one
/// is exact.
const TWO_POW_52: f64 = 4_503_599_627_370_496.0;

/// 2^-50, the relative distance from a half within which [`round_scaled`] does not decide.
const UNDECIDED: f64 = 1.0 / 1_125_899_906_842_624.0;

/// `magnitude` (finite, positive) rounded in floating point, or `None` when only its decimal
/// digits can decide.
///
/// Let X be the float, D its shortest decimal (|D - X| ≤ half an ulp of X ≤ X·2^-53) and P
/// = 10^|digits| (exact). The scaled value s = RN(X·P) or RN(X/P) is within s·2^-53 of the
/// exact X·10^digits, so D·10^digits lies within about s·2^-52 of s. When s's fraction is
/// farther than s·2^-50 from one half, D·10^digits rounds half away from zero to the same
/// whole number N as s does; N < 2^52 is exact, and N/P or N·P of exact operands is the
/// correctly rounded float of N·10^-digits, which is what reading the decimal result back gives.
/// (A subnormal X is off by at most 2^-1075 from D, but then s is far below one half.)
pub(super) fn round_scaled(magnitude: f64, digits: i64) -> Option<f64> {
    // A float of 2^52 or more is whole and prints at most 17 significant digits, none of
    // them after the decimal point: rounding to a decimal place keeps it.
    if digits >= 0 && magnitude >= TWO_POW_52 {
        return Some(magnitude);
    }
    let power = *EXACT_POWERS_OF_TEN.get(usize::try_from(digits.unsigned_abs()).ok()?)?;
    let scaled = if digits >= 0 {
        magnitude * power
    } else {
        magnitude / power
    };
    if scaled >= TWO_POW_52 {
        return None;
    }
    // Both exact: `whole` is a float below 2^52 (truncating a positive float is its floor, and
    // the conversion is one instruction where `floor` may be a call), and `scaled - whole`
    // loses no bit (Sterbenz).
    let whole = (scaled as u64) as f64;
    let fraction = scaled - whole;
    if (fraction - 0.5).abs() <= scaled * UNDECIDED {
        return None;
    }
    let kept = if fraction > 0.5 { whole + 1.0 } else { whole };
    Some(if digits >= 0 {
        kept / power
    } else {
        kept * power
    })
}

/// The rounding decided on the shortest decimal digits of `magnitude` (finite, positive),
/// printed into and read back from buffers on the stack. Out of line: the common path stays small.
#[cold]
#[inline(never)]
pub(super) fn round_shortest(magnitude: f64, digits: i64) -> f64 {
    // Shortest round-trip digits in scientific form: "2.675e0" -> digits "2675", exponent 0.
    let mut scientific = StackText::new();
    if write!(scientific, "{magnitude:e}").is_err() {
        return magnitude;
    }
    let Some((mantissa, exponent)) = scientific.as_str().split_once('e') else {
        return magnitude;
    };
    let Ok(exponent) = exponent.parse::<i64>() else {
        return magnitude;
    };
    // One more place than a float has significant digits (17), for the carry of `increment`.
    let mut significant = [0_u8; 18];
    let mut count = 0;
    for digit in mantissa.bytes().filter(u8::is_ascii_digit) {
        let Some(slot) = significant.get_mut(count) else {
            return magnitude;
        };
        *slot = digit;
        count += 1;
    }
    // Number of significant digits kept: those before the decimal point plus `digits` after it.
    let keep = (exponent + 1).saturating_add(digits);
    if keep >= count as i64 {
        return magnitude;
    }
    if keep < 0 {
        return 0.0;
    }
    let keep = keep as usize;
    let mut end = keep;
    if significant[keep] >= b'5' && !increment(&mut significant[..keep]) {
        // All nines became zeros: the kept digits are a 1 and those zeros, one place more.
        significant[keep] = b'0';
        significant[0] = b'1';
        end = keep + 1;
    }
    let kept = match &significant[..end] {
        [] => "0",
        kept => std::str::from_utf8(kept).unwrap_or("0"),
    };
    // The kept digits are an integer M, and the result is M * 10^-digits.
    let mut decimal = StackText::new();
    let written = decimal
        .write_str(kept)
        .and_then(|()| write!(decimal, "e{}", -digits));
    match written {
        Ok(()) => decimal.as_str().parse::<f64>().unwrap_or(magnitude),
        Err(_) => magnitude,
    }
}

/// Adds one to a decimal digit string in place; `false` when it carried out of the first
/// digit (`"99"` became `"00"`).
fn increment(digits: &mut [u8]) -> bool {
    for digit in digits.iter_mut().rev() {
        if *digit == b'9' {
            *digit = b'0';
        } else {
            *digit += 1;
            return true;
        }
    }
    false
}

/// Text written into a fixed buffer on the stack: `{:e}` of a float is at most 24 bytes
/// ("2.2250738585072014e-308"), and 18 kept digits with an exponent fit too.
struct StackText {
    bytes: [u8; 48],
    len: usize,
}

impl StackText {
    fn new() -> Self {
        StackText {
            bytes: [0; 48],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        // Only whole `&str`s are ever copied in, so the bytes are UTF-8.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
