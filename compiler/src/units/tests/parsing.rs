//! Reading, writing and combining units.

use std::collections::HashSet;

use super::*;

#[test]
fn compound_units_parse_and_display_compactly() {
    let cases = [
        ("N*m", "N*m"),
        ("mm/min", "mm/min"),
        ("m/s^2", "m/s^2"),
        ("1/s", "1/s"),
        ("kg*m/s^2", "kg*m/s^2"),
        ("%", "%"),
        ("1", "1"),
        ("l/min", "l/min"),
        ("m^3", "m^3"),
        ("m3", "m3"),
        ("rad/s", "rad/s"),
        ("s^-1", "1/s"),
        ("m*s^-2", "m/s^2"),
        ("kg/m/s^2", "kg/m/s^2"),
        ("1/s*m", "m/s"),
        ("m*m", "m^2"),
        ("m/m", "1"),
        ("1*mm", "mm"),
        ("mm/1", "mm"),
        ("1^3", "1"),
        ("m^+2", "m^2"),
        ("inch", "in"),
        ("millimetre/sec", "mm/s"),
        ("degC", "degC"),
        ("kWh", "kWh"),
    ];
    for (text, shown) in cases {
        assert_eq!(unit(text).to_string(), shown, "{text}");
    }
}

#[test]
fn whitespace_is_allowed_around_operators() {
    for text in [" N * m ", "N*m", "N *m", "N* m", "\tN\t*\tm\n"] {
        assert_eq!(unit(text), unit("N*m"), "{text:?}");
    }
    assert_eq!(unit("m / s ^ 2"), unit("m/s^2"));
    assert_eq!(unit("mm / min"), unit("mm/min"));
}

#[test]
fn display_reads_back_as_the_same_unit() {
    for text in [
        "N*m*rad/s",
        "kg/m/s^2",
        "1/s",
        "1/s/s",
        "s^-1*m^2",
        "%",
        "degF",
        "m^12/mm^12",
        "um/m",
        "lbf*ft",
    ] {
        let parsed = unit(text);
        assert_eq!(unit(&parsed.to_string()), parsed, "{text}");
    }
}

#[test]
fn products_and_quotients_derive_units() {
    let power = unit("N*m").mul(&unit("rad/s")).unwrap();
    assert_eq!(power.to_string(), "N*m*rad/s");
    assert_eq!(power.dimension_name(), "mass*length^2*angle/time^3");
    assert_eq!(power.angle_difference(&unit("W")), Some(-1));
    let power = power.div(&unit("rad")).unwrap();
    assert!(power.same_unit(&unit("W")));
    assert_eq!(power.dimension_name(), "power");

    let feed = unit("mm").div(&unit("min")).unwrap();
    assert_eq!(feed.to_string(), "mm/min");
    assert_eq!(feed.dimension_name(), "length/time");
    assert_eq!(feed, unit("mm/min"));

    let acceleration = unit("m/s").div(&unit("s")).unwrap();
    assert_eq!(acceleration.to_string(), "m/s^2");

    let cycles = unit("Hz").mul(&unit("s")).unwrap();
    assert_eq!(cycles.dimension_name(), "angle");
    assert!(cycles.same_unit(&unit("rev")));

    let energy = unit("kW").mul(&unit("h")).unwrap();
    assert!(energy.same_unit(&unit("kWh")));

    let nothing = unit("mm").div(&unit("mm")).unwrap();
    assert_eq!(nothing, Unit::dimensionless());

    assert_eq!(unit("m").powi(3).unwrap().to_string(), "m^3");
    assert_eq!(unit("m/s").powi(-2).unwrap().to_string(), "s^2/m^2");
    assert_eq!(unit("m").powi(0).unwrap(), Unit::dimensionless());
}

#[test]
fn dimensionless_is_the_unit_one() {
    let one = Unit::dimensionless();
    assert_eq!(one.to_string(), "1");
    assert!(one.is_dimensionless());
    assert!(!one.has_offset());
    assert_eq!(one, unit("1"));
    assert_eq!(one.mul(&unit("mm")).unwrap(), unit("mm"));
    assert_eq!(one.div(&unit("s")).unwrap(), unit("1/s"));
    for text in ["%", "ppm", "mm/m", "rev/rad", "1"] {
        assert!(unit(text).is_dimensionless(), "{text}");
        assert!(unit(text).same_dimension(&one), "{text}");
    }
    for text in ["deg", "rad", "rev"] {
        assert!(!unit(text).is_dimensionless(), "{text} is an angle");
        assert_eq!(one.angle_difference(&unit(text)), Some(1), "{text}");
    }
}

#[test]
fn dimensions_have_names() {
    let cases = [
        ("mm", "length"),
        ("in", "length"),
        ("rpm", "angular speed or frequency"),
        ("Hz", "angular speed or frequency"),
        ("rad/s", "angular speed or frequency"),
        ("1/s", "rate"),
        ("deg", "angle"),
        ("kW", "power"),
        ("N*m", "energy or torque"),
        ("bar", "pressure"),
        ("N", "force"),
        ("V", "voltage"),
        ("degC", "temperature"),
        ("l/min", "volume flow"),
        ("kg/h", "mass flow"),
        ("%", "dimensionless"),
        ("mm/s", "length/time"),
        ("m/s^2", "length/time^2"),
        ("kg/m^3", "mass/length^3"),
        ("kg*m^2/s^4", "mass*length^2/time^4"),
        ("K/min", "temperature/time"),
    ];
    for (text, name) in cases {
        assert_eq!(unit(text).dimension_name(), name, "{text}");
    }
    assert_eq!(
        unit("m/s^2").dimension().exponents(),
        [1, 0, -2, 0, 0, 0, 0, 0]
    );
}

#[test]
fn same_dimension_and_same_unit_differ() {
    assert!(unit("mm").same_dimension(&unit("in")));
    assert!(!unit("mm").same_unit(&unit("in")));
    assert!(!unit("mm").same_dimension(&unit("s")));
    assert!(unit("N*m").same_unit(&unit("J")));
    assert!(unit("N*m").same_unit(&unit("m*N")));
    assert!(unit("ml").same_unit(&unit("cm3")));
    assert!(unit("degC").same_dimension(&unit("K")));
    assert!(
        !unit("degC").same_unit(&unit("K")),
        "same factor, different offset"
    );
    assert!(
        !unit("rad/s").same_unit(&unit("Hz")),
        "Hz counts revolutions"
    );
    assert!(
        !unit("1/s").same_dimension(&unit("rad/s")),
        "a rate is not an angular speed"
    );
    assert_eq!(unit("1/s").angle_difference(&unit("Hz")), Some(1));
    assert!(unit("K").same_unit(&unit("delta_degC")));
    assert!(unit("degR").same_unit(&unit("delta_degF")));
    assert!(unit("degC").confuses_difference(&unit("delta_degC")));
    assert!(unit("delta_degF").confuses_difference(&unit("degC")));
    assert!(!unit("K").confuses_difference(&unit("degC")));
    assert_eq!(unit("degC").difference_unit(), Some(unit("delta_degC")));
    assert_eq!(unit("K").difference_unit(), None);
}

#[test]
fn equality_and_hash_are_structural() {
    assert_eq!(unit("N*m"), unit("N * m"));
    assert_ne!(unit("N*m"), unit("J"));
    assert_ne!(unit("N*m"), unit("m*N"));
    let set: HashSet<Unit> = ["N*m", "N * m", "J", "m*m", "m^2", "inch", "in"]
        .into_iter()
        .map(unit)
        .collect();
    assert_eq!(set.len(), 4, "{set:?}");
}

#[test]
fn offset_units_are_only_temperature_scales() {
    assert!(unit("degC").has_offset());
    assert!(unit("degF").has_offset());
    assert!(!unit("K").has_offset());
    assert!(!unit("degR").has_offset());
    assert_eq!(unit("degC").si_offset(), 273.15);
    assert_eq!(unit("1*degC"), unit("degC"));
    assert_eq!(
        unit("degC").mul(&Unit::dimensionless()).unwrap(),
        unit("degC")
    );
    assert_eq!(
        unit("degC").div(&Unit::dimensionless()).unwrap(),
        unit("degC")
    );
    assert_eq!(unit("degC").powi(1).unwrap(), unit("degC"));
}

#[test]
fn units_know_their_names_and_factors() {
    assert_eq!(unit("rpm").name(), Some("revolution per minute"));
    assert_eq!(unit("mm/min").name(), None);
    assert_eq!(unit("mm").si_factor(), 0.001);
    assert_eq!(unit("mm").si_offset(), 0.0);
    assert_eq!("kPa".parse::<Unit>(), Ok(unit("kPa")));
    let debug = format!("{:?}", unit("N*m/s"));
    assert!(debug.contains("[N^1, m^1, s^-1]"), "{debug}");
}
