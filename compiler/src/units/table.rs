//! The unit table: `units.yaml`, embedded in the compiler and read once.
//!
//! The table is data so that adding a unit is a one-line change that a reviewer can check
//! against a reference, and so that the tests can check every entry against its definition
//! (`psi` against `lbf/in^2`, `kWh` against `kW*h`).

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Deserialize;

use super::dimension::Dimension;
use super::exact::Exact;

const SOURCE: &str = include_str!("units.yaml");

/// One unit of the table, a unit symbol that may appear in a unit expression.
#[derive(Debug)]
pub(crate) struct Atom {
    pub symbol: String,
    pub name: String,
    pub dim: Dimension,
    /// Value of one unit in SI units.
    pub factor: Exact,
    /// SI value of the scale's zero; non-zero only for degC and degF.
    pub offset: Exact,
    /// For a unit with an offset: the atom that measures differences on its scale
    /// (`delta_degC` for `degC`), the unit of `t1 - t2`.
    pub difference: Option<usize>,
    /// Whether the atom is the difference unit of an offset scale (`delta_degC`): such a value
    /// is added to temperatures and never becomes one by a conversion.
    pub is_difference: bool,
}

#[derive(Debug)]
pub(crate) struct Table {
    pub atoms: Vec<Atom>,
    /// Symbols and aliases -> index into `atoms`.
    lookup: HashMap<String, usize>,
    quantities: Vec<(Dimension, String)>,
    /// Spellings that are not units -> what to write instead.
    pub corrections: BTreeMap<String, String>,
    /// Characters that are not accepted -> their ASCII spelling.
    pub characters: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    quantities: Vec<QuantityEntry>,
    units: Vec<UnitEntry>,
    #[serde(default)]
    corrections: BTreeMap<String, String>,
    #[serde(default)]
    characters: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuantityEntry {
    name: String,
    dim: DimEntry,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitEntry {
    symbol: String,
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    dim: DimEntry,
    factor: String,
    offset: Option<String>,
    /// The symbol of the unit of differences on this unit's scale; only with an offset.
    difference: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct DimEntry {
    length: i32,
    mass: i32,
    time: i32,
    current: i32,
    temperature: i32,
    amount: i32,
    luminosity: i32,
    angle: i32,
}

impl DimEntry {
    fn dimension(&self) -> Dimension {
        Dimension::new([
            self.length,
            self.mass,
            self.time,
            self.current,
            self.temperature,
            self.amount,
            self.luminosity,
            self.angle,
        ])
    }
}

/// The table, read on first use. The YAML is part of the compiler, not user input, and the
/// tests load it, so a broken table fails the tests rather than a user's build.
pub(crate) fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| match Table::load(SOURCE) {
        Ok(table) => table,
        Err(e) => panic!("compiler/src/units/units.yaml is invalid: {e}"),
    })
}

/// Whether `symbol` can be written in a unit expression and read back as one atom.
pub(crate) fn is_atom_text(symbol: &str) -> bool {
    !symbol.is_empty()
        && !symbol.starts_with(|c: char| c.is_ascii_digit())
        && symbol
            .chars()
            .all(|c| !c.is_whitespace() && !"*/^()".contains(c))
}

impl Table {
    fn load(source: &str) -> Result<Table, String> {
        let file: TableFile = serde_yaml::from_str(source).map_err(|e| e.to_string())?;
        let mut atoms = Vec::new();
        let mut lookup = HashMap::new();
        let mut differences = Vec::new();
        for entry in file.units {
            let index = atoms.len();
            for name in std::iter::once(&entry.symbol).chain(&entry.aliases) {
                if !is_atom_text(name) {
                    return Err(format!("`{name}` cannot be written in a unit expression"));
                }
                if lookup.insert(name.clone(), index).is_some() {
                    return Err(format!("`{name}` is listed twice"));
                }
            }
            let factor = Exact::parse(&entry.factor)?;
            let offset = match &entry.offset {
                Some(text) => Exact::parse(text)?,
                None => Exact::ZERO,
            };
            let value = factor.to_f64();
            if !(value.is_finite() && value > 0.0) {
                return Err(format!("`{}` needs a positive factor", entry.symbol));
            }
            let dim = entry.dim.dimension();
            if !offset.is_zero() && dim != Dimension::new([0, 0, 0, 0, 1, 0, 0, 0]) {
                return Err(format!(
                    "`{}`: only temperatures have offsets",
                    entry.symbol
                ));
            }
            if offset.is_zero() != entry.difference.is_none() {
                return Err(format!(
                    "`{}`: a unit has a difference unit exactly when it has an offset",
                    entry.symbol
                ));
            }
            differences.push(entry.difference);
            atoms.push(Atom {
                symbol: entry.symbol,
                name: entry.name,
                dim,
                factor,
                offset,
                difference: None,
                is_difference: false,
            });
        }
        for (index, difference) in differences.into_iter().enumerate() {
            let Some(symbol) = difference else { continue };
            let &delta = lookup
                .get(&symbol)
                .ok_or_else(|| format!("difference unit `{symbol}` is not in the table"))?;
            let (scale, of) = (&atoms[index], &atoms[delta]);
            if of.dim != scale.dim || of.factor != scale.factor || !of.offset.is_zero() {
                return Err(format!(
                    "`{symbol}` must have the dimension and factor of `{}` and no offset",
                    scale.symbol
                ));
            }
            atoms[index].difference = Some(delta);
            atoms[delta].is_difference = true;
        }
        let mut quantities: Vec<(Dimension, String)> = Vec::new();
        for q in file.quantities {
            let dim = q.dim.dimension();
            if quantities.iter().any(|(d, _)| *d == dim) {
                return Err(format!("quantity `{}` repeats a dimension", q.name));
            }
            quantities.push((dim, q.name));
        }
        Ok(Table {
            atoms,
            lookup,
            quantities,
            corrections: file.corrections,
            characters: file.characters,
        })
    }

    /// The atom a symbol or alias names.
    pub fn find(&self, symbol: &str) -> Option<usize> {
        self.lookup.get(symbol).copied()
    }

    /// Every symbol and alias with the atom it names, in no particular order.
    pub fn spellings(&self) -> impl Iterator<Item = (&str, usize)> {
        self.lookup.iter().map(|(s, &i)| (s.as_str(), i))
    }

    /// The name of a dimension: a quantity's name if the table has one, else its formula.
    pub fn dimension_name(&self, dim: Dimension) -> String {
        self.quantities
            .iter()
            .find(|(d, _)| *d == dim)
            .map(|(_, name)| name.clone())
            .unwrap_or_else(|| dim.formula())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_table_loads() {
        let table = table();
        assert!(table.atoms.len() >= 60, "{} units", table.atoms.len());
        assert_eq!(
            table.find("millimetre").map(|i| &*table.atoms[i].symbol),
            Some("mm")
        );
    }

    #[test]
    fn broken_tables_are_rejected_with_a_reason() {
        let unit = |line: &str| format!("quantities: []\nunits:\n  - {line}\n");
        let cases = [
            ("{symbol: m, name: a, factor: \"1\", colour: red}", "colour"),
            (
                "{symbol: m, name: a, dim: {lenght: 1}, factor: \"1\"}",
                "lenght",
            ),
            ("{symbol: m, name: a, aliases: [m], factor: \"1\"}", "twice"),
            (
                "{symbol: \"m/s\", name: a, factor: \"1\"}",
                "cannot be written",
            ),
            (
                "{symbol: \"2m\", name: a, factor: \"1\"}",
                "cannot be written",
            ),
            ("{symbol: m, name: a, factor: \"0\"}", "positive"),
            ("{symbol: m, name: a, factor: \"x\"}", "not a number"),
            (
                "{symbol: m, name: a, factor: \"1\", offset: \"1\"}",
                "offsets",
            ),
            (
                "{symbol: K, name: a, dim: {temperature: 1}, factor: \"1\", offset: \"1\"}",
                "difference unit",
            ),
            (
                "{symbol: K, name: a, dim: {temperature: 1}, factor: \"1\", offset: \"1\", \
                 difference: dK}",
                "not in the table",
            ),
        ];
        for (line, expected) in cases {
            let err = Table::load(&unit(line)).expect_err(line);
            assert!(err.contains(expected), "{line}: {err}");
        }
    }

    #[test]
    fn every_quantity_name_is_found() {
        let power = Dimension::new([2, 1, -3, 0, 0, 0, 0, 0]);
        assert_eq!(table().dimension_name(power), "power");
        assert_eq!(table().dimension_name(Dimension::NONE), "dimensionless");
        let speed = Dimension::new([1, 0, -1, 0, 0, 0, 0, 0]);
        assert_eq!(table().dimension_name(speed), "length/time");
    }
}
