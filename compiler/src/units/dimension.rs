//! Dimensions: exponents of the seven SI base dimensions.

use std::fmt::Write as _;

/// The SI base dimensions, in the order [`Dimension::exponents`] lists them.
pub const BASE_DIMENSIONS: [&str; 7] = [
    "length",
    "mass",
    "time",
    "current",
    "temperature",
    "amount",
    "luminosity",
];

/// The order base dimensions are written in a formula: mass first, as engineers write
/// `mass*length^2/time^3`.
const FORMULA_ORDER: [usize; 7] = [1, 0, 2, 3, 4, 5, 6];

/// What a quantity is made of, e.g. power is mass * length^2 / time^3. Angles are
/// dimensionless (see `units.yaml`), so there is no angle exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Dimension([i32; 7]);

impl Dimension {
    pub const NONE: Dimension = Dimension([0; 7]);

    pub fn new(exponents: [i32; 7]) -> Dimension {
        Dimension(exponents)
    }

    /// Exponents of length, mass, time, current, temperature, amount, luminosity.
    pub fn exponents(&self) -> [i32; 7] {
        self.0
    }

    pub fn is_dimensionless(&self) -> bool {
        self.0 == [0; 7]
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
        assert_eq!(Dimension([2, 1, -3, 0, 0, 0, 0]).formula(), "mass*length^2/time^3");
        assert_eq!(Dimension([1, 0, -1, 0, 0, 0, 0]).formula(), "length/time");
        assert_eq!(Dimension([0, 0, -1, 0, 0, 0, 0]).formula(), "1/time");
        assert_eq!(Dimension([-3, 1, 0, 0, 0, 0, 0]).formula(), "mass/length^3");
        assert_eq!(
            Dimension([1, 0, -2, -1, 0, 0, 0]).formula(),
            "length/(time^2*current)"
        );
        assert_eq!(Dimension::NONE.formula(), "dimensionless");
    }

    #[test]
    fn exponents_saturate() {
        let big = Dimension([i32::MAX; 7]).plus_times(Dimension([i32::MAX; 7]), i32::MAX);
        assert_eq!(big.exponents(), [i32::MAX; 7]);
    }
}
