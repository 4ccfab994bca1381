//! Exact unit factors: a rational number times a power of pi.
//!
//! Unit factors are kept exact so that the constants of a conversion are rounded once, at the
//! end: in -> mm is then exactly `25.4`, mm -> in is `5/127` correctly rounded, rpm -> Hz is
//! exactly `1/60` (the pi in both cancels) and degC -> degF is exactly `1.8` and `32`. Computing
//! with rounded f64 factors instead gives `25.400000000000002` and friends, which would then be
//! printed into generated code.
//!
//! Every operation is checked: on overflow it returns `None` and the caller falls back to f64.

use std::f64::consts::PI;

/// `num / den * pi^pi`, reduced, with `den > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Exact {
    num: i128,
    den: i128,
    pi: i32,
}

/// Powers of ten or pi beyond this are rejected rather than computed; no real unit needs them.
const MAX_POWER: u32 = 64;

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Exact {
    pub const ZERO: Exact = Exact {
        num: 0,
        den: 1,
        pi: 0,
    };
    pub const ONE: Exact = Exact {
        num: 1,
        den: 1,
        pi: 0,
    };
    pub const PI: Exact = Exact {
        num: 1,
        den: 1,
        pi: 1,
    };

    /// `num / den * pi^pi` in lowest terms, `None` when `den` is 0 or a sign cannot be moved.
    pub fn new(num: i128, den: i128, pi: i32) -> Option<Exact> {
        if den == 0 {
            return None;
        }
        if num == 0 {
            return Some(Exact::ZERO);
        }
        let g = gcd(num.unsigned_abs(), den.unsigned_abs());
        let g = i128::try_from(g).ok()?;
        let (mut num, mut den) = (num / g, den / g);
        if den < 0 {
            num = num.checked_neg()?;
            den = den.checked_neg()?;
        }
        Some(Exact { num, den, pi })
    }

    pub fn integer(n: i128) -> Exact {
        Exact {
            num: n,
            den: 1,
            pi: 0,
        }
    }

    pub fn is_zero(self) -> bool {
        self.num == 0
    }

    pub fn mul(self, other: Exact) -> Option<Exact> {
        if self.is_zero() || other.is_zero() {
            return Some(Exact::ZERO);
        }
        // Cross-reduce first so that products stay small.
        let g1 = i128::try_from(gcd(self.num.unsigned_abs(), other.den.unsigned_abs())).ok()?;
        let g2 = i128::try_from(gcd(other.num.unsigned_abs(), self.den.unsigned_abs())).ok()?;
        let num = (self.num / g1).checked_mul(other.num / g2)?;
        let den = (self.den / g2).checked_mul(other.den / g1)?;
        Exact::new(num, den, self.pi.checked_add(other.pi)?)
    }

    pub fn recip(self) -> Option<Exact> {
        Exact::new(self.den, self.num, self.pi.checked_neg()?)
    }

    pub fn div(self, other: Exact) -> Option<Exact> {
        self.mul(other.recip()?)
    }

    pub fn powi(self, exp: i32) -> Option<Exact> {
        if exp.unsigned_abs() > MAX_POWER {
            return None;
        }
        let base = if exp < 0 { self.recip()? } else { self };
        let mut result = Exact::ONE;
        for _ in 0..exp.unsigned_abs() {
            result = result.mul(base)?;
        }
        Some(result)
    }

    /// Whether the number is a finite decimal fraction (`25.4`, `0.001`, `60`), so that its
    /// decimal literal is the exact value: no pi, and a denominator of only 2s and 5s.
    pub fn is_finite_decimal(self) -> bool {
        let mut den = self.den;
        for prime in [2, 5] {
            while den % prime == 0 {
                den /= prime;
            }
        }
        self.pi == 0 && den == 1
    }

    /// Sum of two numbers with the same power of pi (offsets have none); `None` otherwise.
    pub fn add(self, other: Exact) -> Option<Exact> {
        if other.is_zero() {
            return Some(self);
        }
        if self.is_zero() {
            return Some(other);
        }
        if self.pi != other.pi {
            return None;
        }
        let num = self
            .num
            .checked_mul(other.den)?
            .checked_add(other.num.checked_mul(self.den)?)?;
        Exact::new(num, self.den.checked_mul(other.den)?, self.pi)
    }

    pub fn sub(self, other: Exact) -> Option<Exact> {
        self.add(Exact::new(other.num.checked_neg()?, other.den, other.pi)?)
    }

    /// The nearest f64, rounded once where the numbers allow: `num * pi^k / den` for k >= 0 and
    /// `num / (den * pi^k)` otherwise, so that `pi/30` and `1/(2*pi)` are single roundings.
    pub fn to_f64(self) -> f64 {
        let pi_power = PI.powi(self.pi.saturating_abs());
        let (num, den) = (self.num as f64, self.den as f64);
        if self.pi >= 0 {
            num * pi_power / den
        } else {
            num / (den * pi_power)
        }
    }

    /// Reads a factor of the unit table: decimals (`0.0254`, `1e-6`), `pi`, `*`, `/` and integer
    /// powers (`0.0254^2`), evaluated left to right.
    pub fn parse(text: &str) -> Result<Exact, String> {
        let mut result = Exact::ONE;
        let mut dividing = false;
        for (i, piece) in split_keeping_operators(text).into_iter().enumerate() {
            match piece {
                "*" | "/" if i % 2 == 1 => dividing = piece == "/",
                _ if i % 2 == 0 => {
                    let (base, exp) = match piece.split_once('^') {
                        Some((base, exp)) => (
                            base,
                            exp.trim()
                                .parse::<i32>()
                                .map_err(|_| format!("bad exponent in `{text}`"))?,
                        ),
                        None => (piece, 1),
                    };
                    let value = match base.trim() {
                        "pi" => Exact::PI,
                        number => parse_decimal(number)
                            .ok_or_else(|| format!("`{number}` is not a number in `{text}`"))?,
                    };
                    let value = value
                        .powi(exp)
                        .ok_or_else(|| format!("`{text}` is out of range"))?;
                    result = if dividing {
                        result.div(value)
                    } else {
                        result.mul(value)
                    }
                    .ok_or_else(|| format!("`{text}` is out of range"))?;
                }
                _ => return Err(format!("`{text}` is not a product of numbers")),
            }
        }
        Ok(result)
    }
}

/// `"2*pi/60"` -> `["2", "*", "pi", "/", "60"]`.
fn split_keeping_operators(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c == '*' || c == '/' {
            pieces.push(&text[start..i]);
            pieces.push(&text[i..i + 1]);
            start = i + 1;
        }
    }
    pieces.push(&text[start..]);
    pieces
}

/// An exact decimal: `12`, `0.0254`, `3.6e6`, `1e-9`.
fn parse_decimal(text: &str) -> Option<Exact> {
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num: i128 = digits.parse().ok()?;
    let frac_len = i32::try_from(fraction.len()).ok()?;
    let ten_power = Exact::integer(10).powi(exponent.checked_sub(frac_len)?)?;
    Exact::integer(num).mul(ten_power)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact() {
        assert_eq!(
            Exact::parse("0.0254"),
            Ok(Exact::new(127, 5000, 0).unwrap())
        );
        assert_eq!(Exact::parse("3.6e6"), Ok(Exact::integer(3_600_000)));
        assert_eq!(
            Exact::parse("1e-9"),
            Ok(Exact::new(1, 1_000_000_000, 0).unwrap())
        );
        assert_eq!(Exact::parse("2*pi/60"), Ok(Exact::new(1, 30, 1).unwrap()));
        assert_eq!(Exact::parse("0.0254^2").unwrap().to_f64(), 0.00064516);
    }

    #[test]
    fn bad_factors_are_errors() {
        for text in [
            "", "x", "1..2", "1e", "*", "2**3", "2^x", "1/0", "10^999", "-1",
        ] {
            assert!(Exact::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn rounding_happens_once() {
        let pi_30 = Exact::new(1, 30, 1).unwrap();
        assert_eq!(pi_30.to_f64(), 2.0 * PI / 60.0);
        assert_eq!(pi_30.recip().unwrap().to_f64(), 60.0 / (2.0 * PI));
        assert_eq!(Exact::new(127, 5, 0).unwrap().to_f64(), 25.4);
    }

    #[test]
    fn finite_decimals_are_recognised() {
        for text in ["25.4", "0.001", "60", "1.8", "3.785411784"] {
            assert!(Exact::parse(text).unwrap().is_finite_decimal(), "{text}");
        }
        for text in ["5/127", "1/60", "5/9", "pi", "2*pi/60"] {
            assert!(!Exact::parse(text).unwrap().is_finite_decimal(), "{text}");
        }
    }

    #[test]
    fn overflow_is_none_not_a_panic() {
        let big = Exact::integer(i128::MAX);
        assert_eq!(big.mul(big), None);
        assert_eq!(Exact::integer(10).powi(40), None);
        assert_eq!(Exact::integer(2).powi(1000), None);
        assert_eq!(Exact::ZERO.recip(), None);
        assert_eq!(Exact::integer(i128::MIN).sub(Exact::ONE), None);
    }

    #[test]
    fn offsets_add_exactly() {
        let c = Exact::parse("273.15").unwrap();
        let f = Exact::parse("459.67*5/9").unwrap();
        // (273.15 - 255.372...) * 9/5 = 32 exactly
        let shift = c.sub(f).unwrap().div(Exact::parse("5/9").unwrap()).unwrap();
        assert_eq!(shift, Exact::integer(32));
    }
}
