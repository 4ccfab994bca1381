//! `round` against the implementation it replaced, which formatted and parsed on every call and
//! is kept here as the reference ([`reference`]): both of the new paths ([`round_scaled`] where
//! it decides, [`round_shortest`] always) and `round` itself must give the reference's bits on
//! more than ten million values: seeded random floats of every magnitude, decimal ties at the
//! rounding digit and their neighbours, exhaustive families of short decimals, binary fractions
//! and whole numbers, the extremes (subnormals, `f64::MAX`, scaled values past 2^53), negatives,
//! and digits from -5 to 15.

use super::round::{round, round_scaled, round_shortest};

/// `round` as it was: the shortest digits formatted with `{:e}`, rounded as text, and the
/// kept digits parsed back (two allocations and a parse per call).
fn reference(x: f64, digits: i64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    let scientific = format!("{:e}", x.abs());
    let (mantissa, exponent) = match scientific.split_once('e') {
        Some(parts) => parts,
        None => return x,
    };
    let Ok(exponent) = exponent.parse::<i64>() else {
        return x;
    };
    let significant: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    let keep = (exponent + 1).saturating_add(digits);
    if keep >= significant.len() as i64 {
        return x;
    }
    if keep < 0 {
        return 0.0_f64.copysign(x);
    }
    let keep = keep as usize;
    let mut kept: Vec<u8> = significant[..keep].to_vec();
    if significant[keep] >= b'5' {
        increment_decimal(&mut kept);
    }
    let kept = if kept.is_empty() {
        "0".to_string()
    } else {
        String::from_utf8_lossy(&kept).into_owned()
    };
    let rounded = format!("{kept}e{}", -digits)
        .parse::<f64>()
        .unwrap_or(x.abs());
    rounded.copysign(x)
}

fn increment_decimal(digits: &mut Vec<u8>) {
    for digit in digits.iter_mut().rev() {
        if *digit == b'9' {
            *digit = b'0';
        } else {
            *digit += 1;
            return;
        }
    }
    digits.insert(0, b'1');
}

/// The digits every family is rounded at (besides the extreme ones the extremes try).
const DIGITS: std::ops::RangeInclusive<i64> = -5..=15;

/// Counts what was compared, and checks one value at one number of digits.
#[derive(Default)]
struct Comparison {
    values: u64,
    decided_scaled: u64,
    decided_by_digits: u64,
}

impl Comparison {
    /// Compares `x` and `-x` at `digits`: bit for bit, so that -0.0 and 0.0 differ.
    fn check(&mut self, x: f64, digits: i64) {
        for x in [x, -x] {
            self.values += 1;
            let expected = reference(x, digits);
            let same =
                |got: f64| got.to_bits() == expected.to_bits() || got.is_nan() && expected.is_nan();
            let got = round(x, digits);
            assert!(
                same(got),
                "round({x:e} = {:#x}, {digits}) is {got:e}, the reference {expected:e}",
                x.to_bits()
            );
            if !x.is_finite() || x == 0.0 {
                continue;
            }
            // Where the scaled path decides, the digits' path is checked too, on every fourth
            // value (it formats, and this runs in debug builds).
            match round_scaled(x.abs(), digits) {
                Some(scaled) => {
                    self.decided_scaled += 1;
                    let scaled = scaled.copysign(x);
                    assert!(
                        same(scaled),
                        "round_scaled({x:e}, {digits}) is {scaled:e}, the reference {expected:e}"
                    );
                    if !self.values.is_multiple_of(4) {
                        continue;
                    }
                }
                // `round` itself went by the digits.
                None => {
                    self.decided_by_digits += 1;
                    continue;
                }
            }
            let shortest = round_shortest(x.abs(), digits).copysign(x);
            assert!(
                same(shortest),
                "round_shortest({x:e}, {digits}) is {shortest:e}, the reference {expected:e}"
            );
        }
    }

    /// `x`, its neighbours and theirs, at `digits`.
    fn check_around(&mut self, x: f64, digits: i64) {
        self.check(x, digits);
        self.check(x.next_up(), digits);
        self.check(x.next_down(), digits);
        self.check(x.next_up().next_up(), digits);
        self.check(x.next_down().next_down(), digits);
    }
}

/// SplitMix64: a seeded, portable sequence, so every run compares the same values.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn digits(&mut self) -> i64 {
        DIGITS.start() + self.below((DIGITS.end() - DIGITS.start() + 1) as u64) as i64
    }

    /// A float uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1_u64 << 53) as f64
    }
}

/// m · 10^exponent as the nearest float (m < 2^53 and |exponent| ≤ 22: one rounding), which
/// prints as m · 10^exponent when m has at most 15 digits.
fn decimal(m: u64, exponent: i64) -> f64 {
    let power = 10_f64.powi(exponent.unsigned_abs() as i32);
    if exponent >= 0 {
        m as f64 * power
    } else {
        m as f64 / power
    }
}

#[test]
fn round_matches_the_reference_on_ten_million_values() {
    let mut comparison = Comparison::default();
    let mut rng = SplitMix64(0x0fd1_0017);

    // Any bit pattern of a finite float, at every number of digits (mostly huge or tiny).
    for _ in 0..300_000 {
        let x = f64::from_bits(rng.next());
        comparison.check(x, rng.digits());
    }
    // Magnitudes a mapping meets, log-uniform from 1e-6 to 1e12.
    for _ in 0..1_200_000 {
        let x = 10_f64.powf(rng.unit() * 18.0 - 6.0);
        comparison.check(x, rng.digits());
    }
    // Decimal ties: values whose shortest digits end in 5 at the first dropped place, with
    // their neighbours, at that number of digits and the ones around it.
    for _ in 0..300_000 {
        let digits = rng.digits();
        let significant = 1 + rng.below(14) as u32;
        let m = rng.below(10_u64.pow(significant - 1)) * 10 + 5;
        let x = decimal(m, -(digits + 1));
        comparison.check_around(x, digits);
        comparison.check(x, digits - 1);
        comparison.check(x, digits + 1);
    }
    // Short decimals, exhaustively: 0.000 to 200.000 at 0, 1 and 2 digits (every tie of
    // those places among them).
    for k in 0..200_000 {
        let x = decimal(k, -3);
        for digits in 0..=2 {
            comparison.check(x, digits);
        }
    }
    // Binary fractions k/1024, exhaustively up to 100: their decimals are exact, so many are
    // ties (0.125, 2.5) of the text and of the binary value at once.
    for k in 1..102_400 {
        let x = k as f64 / 1024.0;
        for digits in 0..=4 {
            comparison.check(x, digits);
        }
    }
    // Whole numbers at negative digits: 1250 at -2, 49 and 51 at -2.
    for k in 1..100_000 {
        for digits in -5..=-1 {
            comparison.check(k as f64, digits);
        }
    }
    // Where x·10^digits passes 2^52 and 2^53: 1e15 to 1e17, with and without fractions.
    for _ in 0..200_000 {
        let x = 1e15 + rng.unit() * 99e15;
        comparison.check_around(x, rng.digits());
    }
    // Subnormals and the smallest normals.
    for _ in 0..100_000 {
        let x = f64::from_bits(rng.below(1 << 53));
        comparison.check(x, rng.digits());
    }
    // The extremes, at every digit and at digits far outside.
    let extremes = [
        f64::MAX,
        f64::MIN_POSITIVE,
        f64::MIN_POSITIVE.next_down(),
        f64::from_bits(1),
        f64::EPSILON,
        0.5,
        1.0,
        9.5,
        99.5,
        999_999_999_999_999.5,
        4_503_599_627_370_495.5,
        4_503_599_627_370_496.0,
        9_007_199_254_740_993.0,
        1e15,
        1e16,
        1e17,
        1e22,
        1e23,
        1.7976931348623157e308,
        2.2250738585072014e-308,
        0.0,
        f64::INFINITY,
        f64::NAN,
    ];
    let extreme_digits = [
        i64::MIN,
        i64::MIN + 1,
        -400,
        -309,
        -308,
        -307,
        -23,
        -22,
        23,
        22,
        300,
        323,
        324,
        340,
        400,
        i64::MAX,
    ];
    for x in extremes {
        for digits in DIGITS.chain(extreme_digits) {
            comparison.check(x, digits);
            if x.is_finite() && x != 0.0 {
                comparison.check_around(x, digits);
            }
        }
    }

    eprintln!(
        "round: {} values compared, {} decided scaled, {} by the digits",
        comparison.values, comparison.decided_scaled, comparison.decided_by_digits
    );
    assert!(
        comparison.values >= 10_000_000,
        "only {} values compared",
        comparison.values
    );
    // Both paths were exercised, and the scaled one decided nearly everything.
    assert!(
        comparison.decided_by_digits >= 500_000,
        "{}",
        comparison.decided_by_digits
    );
    assert!(
        comparison.decided_scaled >= 8_000_000,
        "{}",
        comparison.decided_scaled
    );
}

#[test]
fn round_half_away_from_zero_on_the_decimal_text() {
    assert_eq!(round(2.5, 0), 3.0);
    assert_eq!(round(-2.5, 0), -3.0);
    assert_eq!(round(2.675, 2), 2.68);
    assert_eq!(round(1.005, 2), 1.01);
    assert_eq!(round(9.995, 2), 10.0);
    assert_eq!(round(0.95, 0), 1.0);
    assert_eq!(round(999.95, 1), 1000.0);
    assert_eq!(round(0.05, 0), 0.0);
    assert_eq!(round(0.5, 0), 1.0);
    assert_eq!(round(-0.04, 1).to_bits(), (-0.0_f64).to_bits());
    assert_eq!(round(-0.0, 2).to_bits(), (-0.0_f64).to_bits());
    assert_eq!(round(f64::MAX, -308), f64::INFINITY);
    assert_eq!(round(1e300, 5), 1e300);
    assert_eq!(round(5e-324, 323), 1e-323);
    assert_eq!(round(5e-324, 324), 5e-324);
}
