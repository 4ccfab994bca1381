//! What the MTConnect standard says a data item's values are: the controlled vocabularies of
//! EVENT types (EXECUTION, CONTROLLER_MODE...), which types count (PART_COUNT), which carry text
//! (PROGRAM, BLOCK) or times, and what each of the standard's units is in the compiler's units.
//!
//! `standard.yaml` is data, written by `extract_standard.py` from the MTConnect 2.7 Streams
//! schema (cppagent's `schemas/MTConnectStreams_2.7_1.0.xsd`); vocabularies only grow between
//! versions, so the 2.7 table types 1.x models too. A CONDITION's value is its level.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::model::{Category, DataItem};

const SOURCE: &str = include_str!("standard.yaml");

/// The version of the standard the vocabularies are taken from.
pub fn version() -> &'static str {
    &table().version
}

/// The levels a CONDITION reports (its `UNAVAILABLE` is a quality, as every data item's).
pub const CONDITION_LEVELS: [&str; 3] = ["NORMAL", "WARNING", "FAULT"];

/// What a data item's values are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A controlled vocabulary: these codes, and nothing else.
    Codes(Vec<String>),
    /// Whole numbers (PART_COUNT, LINE_NUMBER...).
    Integer,
    /// Numbers, in the data item's units when it has them (every SAMPLE, overrides...).
    Float,
    /// Free text (PROGRAM, BLOCK, MESSAGE...).
    Text,
    /// A time, RFC 3339.
    Time,
    /// Space-separated numbers (a 3D position, a DATA_SET, a TIME_SERIES): text to a field.
    Vector,
    /// A type the standard does not define (an extension such as `x:MOTION`): not typed.
    Unknown,
}

/// What the values of `item` are: by its representation, category, type and constraints.
pub fn value_of(item: &DataItem) -> Value {
    if item.representation != "VALUE" {
        // TIME_SERIES, DATA_SET, TABLE, DISCRETE... : many values in one observation. DISCRETE
        // (1.x) is one value and typed as VALUE.
        if item.representation != "DISCRETE" {
            return Value::Vector;
        }
    }
    if item.category == Category::Condition {
        return Value::Codes(CONDITION_LEVELS.iter().map(|c| c.to_string()).collect());
    }
    if item.units.as_deref().is_some_and(is_vector_unit) {
        return Value::Vector;
    }
    let standard = table()
        .types
        .get(&(item.category, item.type_name.clone()))
        .cloned();
    match standard {
        // The device says which of the codes it sends (its `Constraints`).
        Some(Value::Codes(_)) if !item.constraint_values.is_empty() => {
            Value::Codes(item.constraint_values.clone())
        }
        Some(value) => value,
        None if !item.constraint_values.is_empty() && item.category == Category::Event => {
            Value::Codes(item.constraint_values.clone())
        }
        None if item.category == Category::Sample => Value::Float,
        None => Value::Unknown,
    }
}

/// The standard's controlled vocabulary of an EVENT type, when it has one.
pub fn vocabulary(category: Category, type_name: &str) -> Option<&'static [String]> {
    match table().types.get(&(category, type_name.to_string()))? {
        Value::Codes(codes) => Some(codes),
        _ => None,
    }
}

/// Units whose values are several numbers, not one.
fn is_vector_unit(units: &str) -> bool {
    units.ends_with("_3D")
}

/// A unit of the standard in the compiler's units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// The compiler's unit expression (`mm`, `rev/min`).
    Fdi(&'static str),
    /// A pure count or ratio without a unit (COUNT).
    Count,
    /// A logarithmic unit (DECIBEL, PH), which no multiplicative unit expresses: read as a
    /// plain float.
    Logarithmic,
    /// Several numbers (MILLIMETER_3D, DEGREE_3D, UNIT_VECTOR_3D): read as text.
    Vector,
    /// Not a unit of the standard.
    Unknown,
}

/// What the standard's unit `units` (`REVOLUTION/MINUTE`) is in the compiler's units.
pub fn unit(units: &str) -> Unit {
    if is_vector_unit(units) {
        return Unit::Vector;
    }
    match UNITS.iter().find(|(standard, _)| *standard == units) {
        Some((_, unit)) => *unit,
        None => Unit::Unknown,
    }
}

/// The units of MTConnect (2.7's UnitsEnum, which includes 1.x's, and 1.x's SOUND_LEVEL) and
/// their units in `units.yaml`. `units::tests` and this module's tests check that each parses
/// and that every unit of `standard.yaml` is here.
const UNITS: &[(&str, Unit)] = &[
    ("AMPERE", Unit::Fdi("A")),
    ("CELSIUS", Unit::Fdi("degC")),
    ("COUNT", Unit::Count),
    ("COUNT/SECOND", Unit::Fdi("1/s")),
    ("COULOMB", Unit::Fdi("A*s")),
    ("CUBIC_METER", Unit::Fdi("m3")),
    ("CUBIC_MILLIMETER", Unit::Fdi("mm^3")),
    ("CUBIC_MILLIMETER/SECOND", Unit::Fdi("mm^3/s")),
    ("CUBIC_MILLIMETER/SECOND^2", Unit::Fdi("mm^3/s^2")),
    ("DECIBEL", Unit::Logarithmic),
    ("DEGREE", Unit::Fdi("deg")),
    ("DEGREE/SECOND", Unit::Fdi("deg/s")),
    ("DEGREE/SECOND^2", Unit::Fdi("deg/s^2")),
    ("GRAM", Unit::Fdi("g")),
    ("GRAM/CUBIC_METER", Unit::Fdi("g/m3")),
    // fdi's Hz counts cycles (one revolution per second), as MTConnect's "cycles per second".
    ("HERTZ", Unit::Fdi("Hz")),
    ("JOULE", Unit::Fdi("J")),
    ("KILOGRAM", Unit::Fdi("kg")),
    ("LITER", Unit::Fdi("l")),
    ("LITER/SECOND", Unit::Fdi("l/s")),
    ("METER/SECOND^2", Unit::Fdi("m/s^2")),
    ("MICRO_RADIAN", Unit::Fdi("urad")),
    ("MILLIGRAM", Unit::Fdi("mg")),
    ("MILLIGRAM/CUBIC_MILLIMETER", Unit::Fdi("mg/mm^3")),
    ("MILLIGRAM/LITER", Unit::Fdi("mg/l")),
    ("MILLILITER", Unit::Fdi("ml")),
    ("MILLIMETER", Unit::Fdi("mm")),
    ("MILLIMETER/REVOLUTION", Unit::Fdi("mm/rev")),
    ("MILLIMETER/SECOND", Unit::Fdi("mm/s")),
    ("MILLIMETER/SECOND^2", Unit::Fdi("mm/s^2")),
    ("NEWTON", Unit::Fdi("N")),
    ("NEWTON_METER", Unit::Fdi("N*m")),
    ("OHM", Unit::Fdi("ohm")),
    ("OHM_METER", Unit::Fdi("ohm*m")),
    ("PASCAL", Unit::Fdi("Pa")),
    ("PASCAL/SECOND", Unit::Fdi("Pa/s")),
    ("PASCAL_SECOND", Unit::Fdi("Pa*s")),
    ("PERCENT", Unit::Fdi("%")),
    ("PH", Unit::Logarithmic),
    ("REVOLUTION/MINUTE", Unit::Fdi("rpm")),
    ("REVOLUTION/SECOND", Unit::Fdi("rev/s")),
    ("REVOLUTION/SECOND^2", Unit::Fdi("rev/s^2")),
    ("SECOND", Unit::Fdi("s")),
    ("SIEMENS/METER", Unit::Fdi("S/m")),
    // 1.x's SOUND_LEVEL is a level in decibel.
    ("SOUND_LEVEL", Unit::Logarithmic),
    ("SQUARE_MILLIMETER", Unit::Fdi("mm2")),
    ("VOLT", Unit::Fdi("V")),
    // Apparent and reactive power have the dimension of power; fdi has no unit of their own,
    // so `V*A` stands for both (and converts to W, which a mapping should not ask of them).
    ("VOLT_AMPERE", Unit::Fdi("V*A")),
    ("VOLT_AMPERE_REACTIVE", Unit::Fdi("V*A")),
    ("WATT", Unit::Fdi("W")),
    ("WATT_SECOND", Unit::Fdi("W*s")),
];

struct Table {
    version: String,
    types: HashMap<(Category, String), Value>,
    /// The standard's `UnitsEnum`, which [`UNITS`] must cover (a test says so).
    #[cfg_attr(not(test), allow(dead_code))]
    units: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    version: String,
    types: Vec<TypeEntry>,
    units: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TypeEntry {
    #[serde(rename = "type")]
    type_name: String,
    category: String,
    value: ValueEntry,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ValueEntry {
    Codes(Vec<String>),
    Shape(String),
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        // The file is the compiler's own and checked by the tests below: a failure here is a
        // bug in the build, not in a user's input.
        let file: TableFile =
            serde_yaml::from_str(SOURCE).expect("mtconnect/standard.yaml is well-formed");
        let types = file
            .types
            .into_iter()
            .map(|entry| {
                let category = match entry.category.as_str() {
                    "SAMPLE" => Category::Sample,
                    "EVENT" => Category::Event,
                    _ => Category::Condition,
                };
                let value = match entry.value {
                    ValueEntry::Codes(codes) => Value::Codes(codes),
                    ValueEntry::Shape(shape) => match shape.as_str() {
                        "integer" => Value::Integer,
                        "float" => Value::Float,
                        "text" => Value::Text,
                        "time" => Value::Time,
                        "vector" => Value::Vector,
                        _ => Value::Unknown,
                    },
                };
                ((category, entry.type_name), value)
            })
            .collect();
        Table {
            version: file.version,
            types,
            units: file.units,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units;

    #[test]
    fn every_unit_of_the_standard_has_a_unit_here_that_parses() {
        for standard in &table().units {
            match unit(standard) {
                Unit::Fdi(text) => {
                    units::Unit::parse(text)
                        .unwrap_or_else(|e| panic!("{standard} -> {text}: {}", e.message));
                }
                Unit::Unknown => panic!("the standard's unit {standard} has no entry in UNITS"),
                Unit::Count | Unit::Logarithmic | Unit::Vector => {}
            }
        }
    }

    #[test]
    fn units_mean_what_the_standard_says() {
        // (the standard's unit, a unit of the table, how many of the second one is)
        let cases = [
            ("REVOLUTION/MINUTE", "rev/min", 1.0),
            ("MILLIMETER/SECOND", "m/s", 0.001),
            ("CELSIUS", "degC", 1.0),
            ("NEWTON_METER", "J", 1.0),
            ("COULOMB", "Ah", 1.0 / 3600.0),
            ("WATT_SECOND", "J", 1.0),
            ("MICRO_RADIAN", "rad", 1e-6),
            ("SIEMENS/METER", "A^2*s^3/kg/m^3", 1.0),
            ("MILLIMETER/REVOLUTION", "mm/rev", 1.0),
            ("CUBIC_MILLIMETER", "ml", 0.001),
        ];
        for (standard, fdi, scale) in cases {
            let Unit::Fdi(text) = unit(standard) else {
                panic!("{standard} is not a unit")
            };
            let ours = units::Unit::parse(text).unwrap();
            let conversion = ours
                .conversion_to(&units::Unit::parse(fdi).unwrap())
                .unwrap_or_else(|| panic!("{standard} does not convert to {fdi}"));
            assert!(
                (conversion.scale - scale).abs() <= 1e-12 * scale,
                "{standard}: {} {fdi}, not {scale}",
                conversion.scale
            );
        }
        assert_eq!(unit("MILLIMETER_3D"), Unit::Vector);
        assert_eq!(unit("DECIBEL"), Unit::Logarithmic);
        assert_eq!(unit("FURLONG"), Unit::Unknown);
    }

    /// The documented table of units is this one: each row `| `STANDARD` | `fdi` |`.
    #[test]
    fn the_documentation_lists_every_unit_as_mapped_here() {
        let docs = ["docs/mtconnect-models.md", "docs/connectors/mtconnect.md"]
            .iter()
            .filter_map(|doc| {
                std::fs::read_to_string(format!("{}/../{doc}", env!("CARGO_MANIFEST_DIR"))).ok()
            })
            .find(|text| text.contains("## Typing from the device model"))
            .expect("the section \"Typing from the device model\" is documented");
        for (standard, unit) in UNITS {
            let row = match unit {
                Unit::Fdi(text) => format!("| `{standard}` | `{text}` |"),
                _ => format!("| `{standard}` | none: "),
            };
            assert!(docs.contains(&row), "the documentation lacks `{row}`");
        }
    }

    #[test]
    fn the_vocabularies_are_the_standards() {
        let execution = vocabulary(Category::Event, "EXECUTION").unwrap();
        for code in [
            "READY",
            "ACTIVE",
            "INTERRUPTED",
            "FEED_HOLD",
            "STOPPED",
            "OPTIONAL_STOP",
            "PROGRAM_STOPPED",
            "PROGRAM_COMPLETED",
            "WAIT",
            "PROGRAM_OPTIONAL_STOP",
        ] {
            assert!(execution.iter().any(|c| c == code), "{code}");
        }
        assert!(!execution.iter().any(|c| c == "UNAVAILABLE"));
        assert_eq!(
            vocabulary(Category::Event, "EMERGENCY_STOP").unwrap(),
            ["ARMED", "TRIGGERED"]
        );
        assert!(vocabulary(Category::Event, "PART_COUNT").is_none());
        assert!(vocabulary(Category::Event, "ACTIVE_AXES").is_none());
        assert_eq!(version(), "2.7");
    }
}
