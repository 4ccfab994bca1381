//! Tests of the units module: parsing and display, conversions, errors, and the table itself.

mod conversions;
mod errors;
mod parsing;

use super::*;

/// Parses a unit the test knows to be valid.
fn unit(text: &str) -> Unit {
    Unit::parse(text).unwrap_or_else(|e| panic!("`{text}`: {}", e.message))
}

fn conversion(from: &str, to: &str) -> Conversion {
    unit(from)
        .conversion_to(&unit(to))
        .unwrap_or_else(|| panic!("no conversion from `{from}` to `{to}`"))
}

#[test]
fn the_table_has_the_units_machines_report() {
    let units: Vec<&str> = known_units().collect();
    assert!(units.len() >= 60, "only {} units", units.len());
    for symbol in [
        "mm", "in", "um", "m", "thou", "ft", "rpm", "Hz", "degC", "degF", "K", "bar", "psi", "kPa",
        "MPa", "Pa", "N", "W", "kW", "A", "mA", "V", "%", "ppm", "s", "ms", "min", "h", "kg", "g",
        "lb", "l", "m3", "kWh", "J", "deg", "rad", "rev",
    ] {
        assert!(units.contains(&symbol), "`{symbol}` missing");
    }
}

/// Each table unit against its definition, so that a wrong factor or dimension in
/// `units.yaml` fails here.
#[test]
fn table_units_agree_with_their_definitions() {
    let definitions = [
        ("rpm", "rev/min"),
        ("Hz", "rev/s"),
        ("N", "kg*m/s^2"),
        ("Pa", "N/m^2"),
        ("MPa", "N/mm^2"),
        ("MPa", "N/mm2"),
        ("J", "N*m"),
        ("J", "W*s"),
        ("W", "J/s"),
        ("W", "N*m*rad/s/rad"),
        ("kWh", "kW*h"),
        ("Wh", "W*h"),
        ("MWh", "MW*h"),
        ("V", "W/A"),
        ("ohm", "V/A"),
        ("Ah", "A*h"),
        ("psi", "lbf/in^2"),
        ("lbf", "lb*gn"),
        ("kN", "kPa*m^2"),
        ("mbar", "hPa"),
        ("m2", "m^2"),
        ("mm2", "mm^2"),
        ("cm2", "cm^2"),
        ("m3", "m^3"),
        ("cm3", "cm^3"),
        ("ml", "cm3"),
        ("rad", "m/m*rad"),
        ("S", "A/V"),
    ];
    for (symbol, definition) in definitions {
        let defined = unit(definition);
        assert!(
            unit(symbol).same_unit(&defined),
            "`{symbol}` is not `{definition}`: {} vs {}",
            unit(symbol).si_factor(),
            defined.si_factor()
        );
    }
    // Definitions with a number in them, which a unit expression cannot hold.
    let by_conversion = [
        ("kHz", "Hz", 1000.0),
        ("l", "m3", 0.001),
        ("arcmin", "deg", 1.0 / 60.0),
        ("urad", "rad", 1e-6),
        ("arcsec", "arcmin", 1.0 / 60.0),
        ("rev", "deg", 360.0),
        ("hp", "lbf*ft/s", 550.0),
        ("gal", "in^3", 231.0),
        ("lb", "oz", 16.0),
        ("ft", "in", 12.0),
        ("yd", "ft", 3.0),
        ("in", "thou", 1000.0),
        ("d", "h", 24.0),
        ("t", "kg", 1000.0),
        ("atm", "Pa", 101325.0),
        ("gn", "m/s^2", 9.80665),
        ("ppm", "ppb", 1000.0),
        ("%", "ppm", 10000.0),
        ("degR", "K", 5.0 / 9.0),
    ];
    for (from, to, scale) in by_conversion {
        let c = conversion(from, to);
        assert!(
            (c.scale - scale).abs() <= 1e-12 * scale && c.shift == 0.0,
            "`{from}` -> `{to}`: {c:?}, expected {scale}"
        );
    }
}

#[test]
fn every_correction_in_the_table_parses() {
    for (wrong, right) in &table().corrections {
        assert!(Unit::parse(wrong).is_err(), "`{wrong}` is a unit");
        assert!(Unit::parse(right).is_ok(), "`{right}` (for `{wrong}`)");
    }
}

#[test]
fn every_spelling_parses_to_its_unit_and_displays_as_its_symbol() {
    for (spelling, index) in table().spellings() {
        let parsed = unit(spelling);
        assert_eq!(
            parsed.to_string(),
            table().atoms[index].symbol,
            "{spelling}"
        );
        assert_eq!(parsed.name(), Some(table().atoms[index].name.as_str()));
    }
}
