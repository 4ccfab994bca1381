//! Dimensions: exponents of the seven SI base dimensions, and of angle.

use std::fmt::Write as _;

/// The SI base dimensions, then angle, in the order [`Dimension::exponents`] lists them.
///
/// SI counts angles as dimensionless; fdi tracks them as a dimension of their own so that a
/// factor 2*pi can never appear or vanish silently (see `units.yaml`).
pub const BASE_DIMENSIONS: [&str; 8] = [
    "length",
    "mass",
    "time",
    "current",
    "temperature",
    "amount",
    "luminosity",
    "angle",
];

/// Where angle is in [`BASE_DIMENSIONS`].
const ANGLE: usize = 7;

/// The order base dimensions are written in a formula: mass first, as engineers write
/// `mass*length^2/time^3`.
const FORMULA_ORDER: [usize; 8] = [1, 0, 7, 2, 3, 4, 5, 6];

/// What a quantity is made of, e.g. power is mass * length^2 / time^3 and angular speed is
/// angle / time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Dimension([i32; 8]);

impl Dimension {
    pub const NONE: Dimension = Dimension([0; 8]);

    pub fn new(exponents: [i32; 8]) -> Dimension {
        Dimension(exponents)
    }

    /// Exponents of length, mass, time, current, temperature, amount, luminosity, angle.
    pub fn exponents(&self) -> [i32; 8] {
        self.0
    }

    pub fn is_dimensionless(&self) -> bool {
        self.0 == [0; 8]
    }

    /// The power of angle: 1 for `rad`, `rpm` and `Hz` (which counts cycles), 0 for `1/s`.
    pub fn angle(&self) -> i32 {
        self.0[ANGLE]
    }

    /// The dimension with angle left out: what SI would call it.
    pub fn without_angle(&self) -> Dimension {
        let mut exponents = self.0;
        exponents[ANGLE] = 0;
        Dimension(exponents)
    }

    /// The largest exponent in absolute value, to keep units bounded.
    pub(crate) fn max_abs_exponent(&self) -> u32 {
        self.0.iter().map(|e| e.unsigned_abs()).max().unwrap_or(0)
    }

    /// `self * other^exp`; exponents saturate (callers reject large ones anyway).
    pub(crate) fn plus_times(self, other: Dimension, exp: i32) -> Dimension {
        let mut result = self.0;
        for (r, o) in result.iter_mut().zip(other.0) {
            *r = r.saturating_add(o.saturating_mul(exp));
        }
        Dimension(result)
    }

    /// The dimension as a formula of base dimensions: `length/time`, `mass*length^2/time^3`,
    /// `1/time`, `length/(time^2*current)`, or `dimensionless`.
    pub fn formula(&self) -> String {
        if self.is_dimensionless() {
            return "dimensionless".to_owned();
        }
        let mut above = String::new();
        let mut below = String::new();
        for i in FORMULA_ORDER {
            let exp = self.0[i];
            let (part, power) = match exp {
                0 => continue,
                e if e > 0 => (&mut above, e),
                e => (&mut below, -e),
            };
            if !part.is_empty() {
                part.push('*');
            }
            part.push_str(BASE_DIMENSIONS[i]);
            if power != 1 {
                let _ = write!(part, "^{power}");
            }
        }
        if below.contains('*') {
            below = format!("({below})");
        }
        match (above.is_empty(), below.is_empty()) {
            (_, true) => above,
            (true, false) => format!("1/{below}"),
            (false, false) => format!("{above}/{below}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_put_mass_first_and_divide_once() {
        assert_eq!(
            Dimension([2, 1, -3, 0, 0, 0, 0, 0]).formula(),
            "mass*length^2/time^3"
        );
        assert_eq!(
            Dimension([1, 0, -1, 0, 0, 0, 0, 0]).formula(),
            "length/time"
        );
        assert_eq!(Dimension([0, 0, -1, 0, 0, 0, 0, 0]).formula(), "1/time");
        assert_eq!(
            Dimension([-3, 1, 0, 0, 0, 0, 0, 0]).formula(),
            "mass/length^3"
        );
        assert_eq!(
            Dimension([1, 0, -2, -1, 0, 0, 0, 0]).formula(),
            "length/(time^2*current)"
        );
        assert_eq!(Dimension([0, 0, -1, 0, 0, 0, 0, 1]).formula(), "angle/time");
        assert_eq!(Dimension::NONE.formula(), "dimensionless");
    }

    #[test]
    fn exponents_saturate() {
        let big = Dimension([i32::MAX; 8]).plus_times(Dimension([i32::MAX; 8]), i32::MAX);
        assert_eq!(big.exponents(), [i32::MAX; 8]);
    }
}
