//! Units of measure for schema fields and expressions: parsing (`mm/min`, `N*m`, `m/s^2`),
//! dimensions, derived units and conversions.
//!
//! A pure module the type checker uses; it does no IO and never panics on any input text.
//!
//! - **The table is data.** Every unit symbol, its aliases, dimension, factor to SI and offset
//!   is one line of `units.yaml`. Prefixes are not applied automatically (`min` is minutes, not
//!   milli-inches), so a unit exists exactly when the table lists it.
//! - **Angles are a dimension** (SI calls them dimensionless): `rad` = 1, `deg` = pi/180,
//!   `rev` = 2*pi, each of dimension angle. A conversion therefore never adds or drops a
//!   factor 2*pi on its own: `N*m * rad/s` is `W` only after `/ 1[rad]`, and a count per
//!   second becomes `Hz` only after `* 1[rev]`. [`Unit::angle_difference`] tells the checker
//!   when that is the only thing wrong. **`Hz` counts cycles**: it is `rev/s` = 2*pi rad/s, so
//!   rpm -> Hz divides by 60 and rad/s -> Hz divides by 2*pi.
//! - **Conversions are one multiply-add**, `to = from * scale + shift`, whose constants are
//!   computed once from exact factors (see `exact.rs`) so that well-known pairs come out exact:
//!   in -> mm is `25.4`, degC -> degF is `1.8` and `32`. Where the scale is not a finite
//!   decimal but its reciprocal is (mm -> in is 1/25.4, rpm -> Hz is 1/60, degF -> degC is
//!   1/1.8), the program divides by the exact reciprocal instead ([`Arithmetic::AddDivide`]),
//!   so `25.4[mm] as [in]` is exactly 1 and 212 degF is exactly 100 degC.
//! - **Offset units** (degC, degF) cannot be multiplied, divided or raised to a power: 0 degC is
//!   not zero temperature, so `degC/min` or `1/degC` would be meaningless. The error says to
//!   convert to `K` first (a temperature rate is `K/min` or `delta_degC/min`).
//! - **Temperature differences** have units of their own, as in pint: `delta_degC` and
//!   `delta_degF` ([`Unit::difference_unit`]). They convert by the factor only, and never into
//!   or out of an offset unit ([`Unit::conversion_to`] refuses): 5 delta_degC is 5 K, not
//!   -268.15 degC.
//! - **Two kinds of equality.** `==` (and `Hash`) compares units as written, after merging
//!   repeated units (`m*m` is `m^2`) and aliases (`inch` is `in`): `N*m` equals `N * m` but not
//!   `m*N` or `J`, so a type shows the unit its author wrote. Whether a value needs converting
//!   is [`Unit::same_unit`]: same dimension, factor and offset to within 1e-12, so `N*m`, `m*N`
//!   and `J` are all the same unit. `Hash` cannot follow a tolerance, which is why `==` is the
//!   structural one; the checker compares units with `same_unit`.

mod dimension;
mod error;
mod exact;
mod parse;
mod table;

#[cfg(test)]
mod tests;

use std::fmt;
use std::hash::{Hash, Hasher};

pub use dimension::{Dimension, BASE_DIMENSIONS};
pub use error::UnitError;

use exact::Exact;
use table::table;

/// The largest power of a unit or dimension, to keep factors within f64 and exponents readable.
pub const MAX_EXPONENT: u32 = 12;

/// A unit of measure: a product of table units raised to powers, e.g. `kg*m/s^2`.
///
/// Equality is structural (see the module docs); use [`Unit::same_unit`] to ask whether values
/// need converting.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    /// As written, with repeated units merged and those with a positive power first. The other
    /// fields are computed from the terms alone, so equal terms mean equal units.
    terms: Vec<Term>,
    dim: Dimension,
    /// Value of one unit in SI units; always finite and positive.
    factor: f64,
    /// The factor exactly, when it fits (see `exact.rs`).
    exact: Option<Exact>,
    /// SI value of the unit's zero: non-zero only for degC and degF.
    offset: Exact,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Term {
    /// Index into the unit table.
    atom: usize,
    exp: i32,
}

/// Shows the symbol, not the table index, so that debug output (and any snapshot of it) does
/// not change when a unit is added to the table.
impl fmt::Debug for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}^{}", table().atoms[self.atom].symbol, self.exp)
    }
}

/// `Eq` holds: the f64 field is never NaN, since it is checked finite when a unit is made.
impl Eq for Unit {}

/// Hashes the terms, which determine every other field, so it agrees with `==`.
impl Hash for Unit {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.terms.hash(state);
    }
}

/// A conversion between two units of the same dimension: `to = from * scale + shift`,
/// computed as [`Conversion::arithmetic`] says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conversion {
    pub scale: f64,
    pub shift: f64,
    /// How generated code computes it, so that exact values stay exact.
    pub arithmetic: Arithmetic,
}

/// The arithmetic of a conversion, with constants rounded once from exact factors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arithmetic {
    /// `x * scale + shift`: for scales that are finite decimals (in -> mm is `* 25.4`,
    /// degC -> degF is `* 1.8 + 32`) or involve pi (rpm -> rad/s is `* (pi/30)`).
    MultiplyAdd { scale: f64, shift: f64 },
    /// `(x + shift) / divisor`: for scales whose reciprocal is a finite decimal and which are
    /// not (mm -> in is `/ 25.4`, rpm -> Hz is `/ 60`, degF -> degC is `(x - 32) / 1.8`).
    /// Multiplying by the rounded reciprocal would make `25.4 mm` 0.9999999999999999 in.
    AddDivide { shift: f64, divisor: f64 },
}

impl Conversion {
    pub const IDENTITY: Conversion = Conversion {
        scale: 1.0,
        shift: 0.0,
        arithmetic: Arithmetic::MultiplyAdd {
            scale: 1.0,
            shift: 0.0,
        },
    };

    /// Whether the conversion changes nothing, so the checker need not emit one.
    #[must_use]
    pub fn is_identity(&self) -> bool {
        self.scale == 1.0 && self.shift == 0.0
    }

    /// The converted value, computed as generated code computes it.
    #[must_use]
    pub fn apply(&self, x: f64) -> f64 {
        match self.arithmetic {
            Arithmetic::MultiplyAdd { scale, shift } => x * scale + shift,
            Arithmetic::AddDivide { shift, divisor } => (x + shift) / divisor,
        }
    }

    /// `x * scale + shift` computed in f64, for factors too large to keep exact.
    fn multiply_add(scale: f64, shift: f64) -> Conversion {
        Conversion {
            scale,
            shift,
            arithmetic: Arithmetic::MultiplyAdd { scale, shift },
        }
    }
}

/// The symbols of every unit in the table (not their aliases), in table order, e.g. for help
/// texts.
pub fn known_units() -> impl Iterator<Item = &'static str> {
    table().atoms.iter().map(|a| a.symbol.as_str())
}

impl Unit {
    /// Reads a unit expression: table units joined by `*` and `/` (left to right, so
    /// `kg/m/s^2` is kg/(m*s^2)), each with an optional integer power `^2`, `^-1`; `1` is the
    /// dimensionless unit (`1`, `1/s`). Whitespace around operators is allowed. Parentheses are
    /// not.
    pub fn parse(text: &str) -> Result<Unit, UnitError> {
        parse::parse_unit(text).map_err(|e| e.into_unit_error(text))
    }

    /// The second, the unit timestamp arithmetic works in. The table always has it: the
    /// table is compiled in, and `second_is_in_the_table` below fails if that ever changes.
    #[must_use]
    pub fn second() -> Unit {
        Unit::parse("s").expect("the embedded unit table defines `s`")
    }

    /// The unit of pure numbers, written `1`.
    #[must_use]
    pub fn dimensionless() -> Unit {
        Unit {
            terms: Vec::new(),
            dim: Dimension::NONE,
            factor: 1.0,
            exact: Some(Exact::ONE),
            offset: Exact::ZERO,
        }
    }

    /// Whether values of the two units measure the same kind of quantity (and so can be
    /// converted into each other, unless one is a temperature difference and the other a
    /// temperature on an offset scale, see [`Unit::confuses_difference`]).
    #[must_use]
    pub fn same_dimension(&self, other: &Unit) -> bool {
        self.dim == other.dim
    }

    /// When the two units differ only in their power of angle, `to`'s power minus this one's:
    /// 1 for `1/s` -> `Hz` (a rate becoming an angular speed), -1 for `N*m*rad/s` -> `W`.
    /// `None` when they differ otherwise or not at all.
    #[must_use]
    pub fn angle_difference(&self, to: &Unit) -> Option<i32> {
        let difference = to.dim.angle() - self.dim.angle();
        (difference != 0 && self.dim.without_angle() == to.dim.without_angle())
            .then_some(difference)
    }

    /// The power of angle in the unit: 1 for `rad`, `rpm`, `Hz`; 0 for `1/s` and `W`.
    #[must_use]
    pub fn angle_power(&self) -> i32 {
        self.dim.angle()
    }

    /// For a unit with an offset, the unit of a difference of two of its values:
    /// `delta_degC` for `degC`. `None` for every other unit, whose differences are in itself.
    #[must_use]
    pub fn difference_unit(&self) -> Option<Unit> {
        let atoms = &table().atoms;
        match self.terms.as_slice() {
            [t] if t.exp == 1 => Unit::atom(atoms[t.atom].difference?).ok(),
            _ => None,
        }
    }

    /// Whether the unit is that of temperature differences on an offset scale
    /// (`delta_degC`, `delta_degF`).
    #[must_use]
    pub fn is_temperature_difference(&self) -> bool {
        matches!(self.terms.as_slice(), [t] if t.exp == 1 && table().atoms[t.atom].is_difference)
    }

    /// Whether one unit is a temperature on an offset scale and the other a temperature
    /// difference (`degC` and `delta_degC`): no conversion turns one into the other.
    #[must_use]
    pub fn confuses_difference(&self, other: &Unit) -> bool {
        (self.has_offset() && other.is_temperature_difference())
            || (other.has_offset() && self.is_temperature_difference())
    }

    /// Whether values of the two units can be used as each other without conversion: same
    /// dimension, factor and offset to within 1e-12 relative (`N*m` and `J`, `ml` and `cm3`).
    #[must_use]
    pub fn same_unit(&self, other: &Unit) -> bool {
        self.dim == other.dim
            && nearly_equal(self.factor, other.factor)
            && nearly_equal(self.offset.to_f64(), other.offset.to_f64())
    }

    /// The conversion from this unit to `to`, or `None` when the dimensions differ or one is
    /// a temperature difference and the other a temperature on an offset scale. The identity
    /// when [`Unit::same_unit`] holds.
    #[must_use]
    pub fn conversion_to(&self, to: &Unit) -> Option<Conversion> {
        if self.dim != to.dim || self.confuses_difference(to) {
            return None;
        }
        if self.same_unit(to) {
            return Some(Conversion::IDENTITY);
        }
        let exact = || {
            let from_factor = self.exact?;
            let to_factor = to.exact?;
            let scale = from_factor.div(to_factor)?;
            let offsets = self.offset.sub(to.offset)?;
            let shift = offsets.div(to_factor)?;
            let divisor = scale.recip()?;
            let arithmetic = if !scale.is_finite_decimal() && divisor.is_finite_decimal() {
                Arithmetic::AddDivide {
                    shift: offsets.div(from_factor)?.to_f64(),
                    divisor: divisor.to_f64(),
                }
            } else {
                Arithmetic::MultiplyAdd {
                    scale: scale.to_f64(),
                    shift: shift.to_f64(),
                }
            };
            Some(Conversion {
                scale: scale.to_f64(),
                shift: shift.to_f64(),
                arithmetic,
            })
        };
        Some(exact().unwrap_or_else(|| {
            Conversion::multiply_add(
                self.factor / to.factor,
                (self.offset.to_f64() - to.offset.to_f64()) / to.factor,
            )
        }))
    }

    /// The unit of a product, e.g. `N*m` times `rad/s` is `N*m*rad/s` (a power). An error for
    /// offset units (degC, degF) and for units with too large powers.
    pub fn mul(&self, other: &Unit) -> Result<Unit, UnitError> {
        if let Some(offset_unit) = self.offset_operand(other) {
            return Err(error::offset_combined(
                offset_unit,
                &format!("multiply `{self}` by `{other}`"),
            ));
        }
        let terms = self.terms.iter().chain(&other.terms).copied().collect();
        Unit::from_terms(terms)
    }

    /// The unit of a quotient, e.g. `mm` divided by `min` is `mm/min` (a feed). An error for
    /// offset units (degC, degF) and for units with too large powers.
    pub fn div(&self, other: &Unit) -> Result<Unit, UnitError> {
        let offset_unit = if other.has_offset() {
            Some(other)
        } else {
            self.offset_operand(other)
        };
        if let Some(offset_unit) = offset_unit {
            return Err(error::offset_combined(
                offset_unit,
                &format!("divide `{self}` by `{other}`"),
            ));
        }
        let inverse = other.terms.iter().map(|t| Term {
            atom: t.atom,
            exp: -t.exp,
        });
        Unit::from_terms(self.terms.iter().copied().chain(inverse).collect())
    }

    /// The unit raised to an integer power, e.g. `m` to the 2 is `m^2`.
    pub fn powi(&self, exp: i32) -> Result<Unit, UnitError> {
        if self.has_offset() && exp != 1 {
            return Err(error::offset_combined(
                self,
                &format!("raise `{self}` to the power {exp}"),
            ));
        }
        let terms = self
            .terms
            .iter()
            .map(|t| Term {
                atom: t.atom,
                exp: t.exp.saturating_mul(exp),
            })
            .collect();
        Unit::from_terms(terms)
    }

    /// Whether the unit's zero is not the quantity's zero (degC, degF), so that converting needs
    /// a shift and the unit cannot be multiplied or divided.
    #[must_use]
    pub fn has_offset(&self) -> bool {
        !self.offset.is_zero()
    }

    /// Whether the unit measures pure numbers: `1`, `%`, `ppm`, angles, `mm/m`.
    #[must_use]
    pub fn is_dimensionless(&self) -> bool {
        self.dim.is_dimensionless()
    }

    /// The name of the unit's dimension for messages: `length`, `power`, `angular speed or
    /// frequency`, or a formula such as `length/time` where the table names none.
    #[must_use]
    pub fn dimension_name(&self) -> String {
        table().dimension_name(self.dim)
    }

    /// The unit's name when it is one table unit (`revolution per minute` for `rpm`), for
    /// messages; `None` for derived units such as `mm/min`.
    #[must_use]
    pub fn name(&self) -> Option<&'static str> {
        match self.terms.as_slice() {
            [t] if t.exp == 1 => Some(table().atoms[t.atom].name.as_str()),
            _ => None,
        }
    }

    #[must_use]
    pub fn dimension(&self) -> Dimension {
        self.dim
    }

    /// Value of one unit in SI units (1 mm is 0.001 m).
    #[must_use]
    pub fn si_factor(&self) -> f64 {
        self.factor
    }

    /// SI value of the unit's zero (0 degC is 273.15 K); 0 for all but degC and degF.
    #[must_use]
    pub fn si_offset(&self) -> f64 {
        self.offset.to_f64()
    }

    /// The one of two operands of a product that has an offset while the other is not `1`.
    fn offset_operand<'a>(&'a self, other: &'a Unit) -> Option<&'a Unit> {
        if self.has_offset() && !other.terms.is_empty() {
            Some(self)
        } else if other.has_offset() && !self.terms.is_empty() {
            Some(other)
        } else {
            None
        }
    }

    /// Makes a unit from terms: merges repeated units, drops zero powers, puts positive powers
    /// first (keeping the written order otherwise) and computes dimension, factor and offset.
    fn from_terms(raw: Vec<Term>) -> Result<Unit, UnitError> {
        let mut merged: Vec<Term> = Vec::with_capacity(raw.len());
        for term in raw {
            match merged.iter_mut().find(|m| m.atom == term.atom) {
                Some(m) => m.exp = m.exp.saturating_add(term.exp),
                None => merged.push(term),
            }
        }
        merged.retain(|t| t.exp != 0);
        let (mut terms, below): (Vec<Term>, Vec<Term>) =
            merged.into_iter().partition(|t| t.exp > 0);
        terms.extend(below);

        let atoms = &table().atoms;
        let mut dim = Dimension::NONE;
        let mut exact = Some(Exact::ONE);
        let mut approx = 1.0_f64;
        for t in &terms {
            let atom = &atoms[t.atom];
            dim = dim.plus_times(atom.dim, t.exp);
            exact = exact.and_then(|e| e.mul(atom.factor.powi(t.exp)?));
            approx *= atom.factor.to_f64().powi(t.exp);
        }
        let factor = exact.map_or(approx, Exact::to_f64);
        let too_large = terms.iter().any(|t| t.exp.unsigned_abs() > MAX_EXPONENT)
            || dim.max_abs_exponent() > MAX_EXPONENT
            || !(factor.is_finite() && factor > 0.0);
        if too_large {
            return Err(UnitError::new(format!(
                "the unit `{}` is too large: powers go up to {MAX_EXPONENT}",
                TermsText(&terms)
            )));
        }
        let offset = match terms.as_slice() {
            [t] if t.exp == 1 => atoms[t.atom].offset,
            _ => Exact::ZERO,
        };
        // mul, div and powi reject offset units before they get here; a last guard.
        if offset.is_zero() && terms.iter().any(|t| !atoms[t.atom].offset.is_zero()) {
            return Err(UnitError::new(format!(
                "`{}` combines a temperature that has an offset; convert to `K` first",
                TermsText(&terms)
            )));
        }
        Ok(Unit {
            terms,
            dim,
            factor,
            exact,
            offset,
        })
    }

    /// The unit of one table entry.
    fn atom(index: usize) -> Result<Unit, UnitError> {
        Unit::from_terms(vec![Term {
            atom: index,
            exp: 1,
        }])
    }
}

impl std::str::FromStr for Unit {
    type Err = UnitError;

    fn from_str(text: &str) -> Result<Unit, UnitError> {
        Unit::parse(text)
    }
}

/// Relative equality within 1e-12; both zero is equal.
fn nearly_equal(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

/// Writes terms compactly and so that [`Unit::parse`] reads them back: `N*m*rad/s`, `m/s^2`,
/// `kg/m/s^2`, `1/s`, `1`.
struct TermsText<'a>(&'a [Term]);

impl fmt::Display for TermsText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let atoms = &table().atoms;
        let mut wrote_above = false;
        for t in self.0.iter().filter(|t| t.exp > 0) {
            if wrote_above {
                f.write_str("*")?;
            }
            write_power(f, &atoms[t.atom].symbol, t.exp.unsigned_abs())?;
            wrote_above = true;
        }
        if !wrote_above {
            f.write_str("1")?;
        }
        for t in self.0.iter().filter(|t| t.exp < 0) {
            f.write_str("/")?;
            write_power(f, &atoms[t.atom].symbol, t.exp.unsigned_abs())?;
        }
        Ok(())
    }
}

fn write_power(f: &mut fmt::Formatter<'_>, symbol: &str, exp: u32) -> fmt::Result {
    if exp == 1 {
        f.write_str(symbol)
    } else {
        write!(f, "{symbol}^{exp}")
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        TermsText(&self.terms).fmt(f)
    }
}

#[cfg(test)]
mod second_tests {
    #[test]
    fn second_is_in_the_table() {
        assert!(super::Unit::parse("s").is_ok_and(|s| s.same_unit(&super::Unit::second())));
    }
}
