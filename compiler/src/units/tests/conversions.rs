//! Conversion constants, exact where f64 allows.

use std::f64::consts::PI;

use super::*;

/// Asserts a conversion to the bit, for pairs whose constants are exact or correctly rounded.
fn exactly(from: &str, to: &str, scale: f64, shift: f64) {
    let c = conversion(from, to);
    assert_eq!((c.scale, c.shift), (scale, shift), "`{from}` -> `{to}`");
}

/// Within a relative error of 1e-15, for constants that take more than one rounding.
fn nearly(from: &str, to: &str, scale: f64, shift: f64) {
    let c = conversion(from, to);
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-15 * a.abs().max(b.abs()).max(1.0);
    assert!(
        close(c.scale, scale) && close(c.shift, shift),
        "`{from}` -> `{to}`: {c:?}, expected scale {scale} and shift {shift}"
    );
}

#[test]
fn inches_and_millimetres_are_exact() {
    exactly("in", "mm", 25.4, 0.0);
    exactly("mm", "in", 5.0 / 127.0, 0.0);
    exactly("thou", "um", 25.4, 0.0);
    exactly("ft", "m", 0.3048, 0.0);
    exactly("mm/min", "in/min", 5.0 / 127.0, 0.0);
    assert!((conversion("mm", "in").apply(25.4) - 1.0).abs() <= f64::EPSILON);
}

#[test]
fn celsius_fahrenheit_and_kelvin_are_exact() {
    exactly("degC", "degF", 1.8, 32.0);
    exactly("degF", "degC", 5.0 / 9.0, -160.0 / 9.0);
    exactly("degC", "K", 1.0, 273.15);
    exactly("K", "degC", 1.0, -273.15);
    exactly("degF", "K", 5.0 / 9.0, 45967.0 / 180.0);
    exactly("K", "degF", 1.8, -459.67);
    exactly("degR", "degF", 1.0, -459.67);

    let c_to_f = conversion("degC", "degF");
    assert_eq!(c_to_f.apply(100.0), 212.0);
    assert_eq!(c_to_f.apply(-40.0), -40.0);
    assert_eq!(conversion("degF", "degC").apply(212.0), 100.0);
    assert_eq!(conversion("degF", "degC").apply(-40.0), -40.0);
    assert_eq!(conversion("K", "degC").apply(0.0), -273.15);
}

#[test]
fn temperature_differences_convert_by_the_factor_only() {
    exactly("delta_degC", "delta_degF", 1.8, 0.0);
    exactly("delta_degC", "K", 1.0, 0.0);
    exactly("K", "delta_degF", 1.8, 0.0);
    assert_eq!(conversion("delta_degF", "delta_degC").apply(9.0), 5.0);
    assert_eq!(conversion("delta_degF", "K").apply(18.0), 10.0);
    for (from, to) in [
        ("delta_degC", "degC"),
        ("delta_degC", "degF"),
        ("degC", "delta_degC"),
        ("degF", "delta_degF"),
    ] {
        assert!(
            unit(from).conversion_to(&unit(to)).is_none(),
            "{from} -> {to}"
        );
    }
}

/// Where the reciprocal of a scale is a finite decimal and the scale is not, the program
/// divides by it: multiplying by the rounded reciprocal misses exact values.
#[test]
fn reciprocals_of_decimal_factors_divide() {
    assert_eq!(conversion("mm", "in").apply(25.4), 1.0);
    assert_eq!(conversion("mm", "in").apply(254.0), 10.0);
    assert_ne!(25.4 * (5.0 / 127.0), 1.0, "why dividing matters");
    assert_eq!(conversion("ft", "in").apply(1.0), 12.0);
    assert_eq!(conversion("kg", "lb").apply(0.45359237), 1.0);
    assert_eq!(conversion("l", "gal").apply(3.785411784), 1.0);
    assert_eq!(conversion("rpm", "Hz").apply(3000.0), 50.0);
    assert_eq!(conversion("s", "min").apply(90.0), 1.5);
    assert_eq!(
        conversion("mm", "in").arithmetic,
        Arithmetic::AddDivide {
            shift: 0.0,
            divisor: 25.4
        }
    );
    assert_eq!(
        conversion("degF", "degC").arithmetic,
        Arithmetic::AddDivide {
            shift: -32.0,
            divisor: 1.8
        }
    );
    // Finite decimals and factors of pi multiply, as before.
    assert!(matches!(
        conversion("in", "mm").arithmetic,
        Arithmetic::MultiplyAdd { scale, shift } if scale == 25.4 && shift == 0.0
    ));
    assert!(matches!(
        conversion("rad/s", "rpm").arithmetic,
        Arithmetic::MultiplyAdd { .. }
    ));
}

#[test]
fn angular_speeds_and_frequencies() {
    exactly("rpm", "rad/s", 2.0 * PI / 60.0, 0.0);
    exactly("rad/s", "rpm", 60.0 / (2.0 * PI), 0.0);
    exactly("rpm", "Hz", 1.0 / 60.0, 0.0);
    exactly("Hz", "rpm", 60.0, 0.0);
    exactly("rad/s", "Hz", 1.0 / (2.0 * PI), 0.0);
    exactly("Hz", "rad/s", 2.0 * PI, 0.0);
    exactly("rev/min", "rpm", 1.0, 0.0);
    exactly("deg/s", "rpm", 1.0 / 6.0, 0.0);
    exactly("deg", "rad", PI / 180.0, 0.0);
    exactly("rad", "deg", 180.0 / PI, 0.0);
    exactly("kHz", "rpm", 60_000.0, 0.0);
    exactly("rev/s", "Hz", 1.0, 0.0);
    assert!(
        unit("Hz").conversion_to(&unit("1/s")).is_none(),
        "a rate says no angle"
    );
}

#[test]
fn pressures() {
    // 1 psi = 0.45359237 kg * 9.80665 m/s^2 / (0.0254 m)^2 = 6894.757293168361 Pa
    nearly("psi", "Pa", 6894.757293168361, 0.0);
    nearly("bar", "psi", 14.503773773020923, 0.0);
    nearly("psi", "bar", 0.068_947_572_931_683_6, 0.0);
    exactly("bar", "kPa", 100.0, 0.0);
    exactly("MPa", "bar", 10.0, 0.0);
    exactly("mbar", "hPa", 1.0, 0.0);
    exactly("atm", "bar", 1.01325, 0.0);
    exactly("N/mm^2", "MPa", 1.0, 0.0);
}

#[test]
fn powers_energies_times_and_flows() {
    exactly("kW", "W", 1000.0, 0.0);
    exactly("W", "kW", 0.001, 0.0);
    exactly("min", "s", 60.0, 0.0);
    exactly("s", "min", 1.0 / 60.0, 0.0);
    exactly("h", "min", 60.0, 0.0);
    exactly("ms", "s", 0.001, 0.0);
    exactly("kWh", "J", 3.6e6, 0.0);
    exactly("kWh", "MJ", 3.6, 0.0);
    exactly("l/min", "m3/h", 0.06, 0.0);
    exactly("m^3/h", "l/min", 50.0 / 3.0, 0.0);
    exactly("mm/min", "m/s", 1.0 / 60_000.0, 0.0);
    exactly("km/h", "m/s", 1.0 / 3.6, 0.0);
    exactly("mA", "A", 0.001, 0.0);
    exactly("lb", "kg", 0.45359237, 0.0);
    exactly("g", "kg", 0.001, 0.0);
    exactly("%", "1", 0.01, 0.0);
    exactly("ppm", "%", 1e-4, 0.0);
    nearly("hp", "kW", 0.7456998715822702, 0.0);
    nearly("gn", "m/s^2", 9.80665, 0.0);
}

#[test]
fn the_same_unit_converts_by_identity() {
    for (from, to) in [
        ("N*m", "J"),
        ("N*m*rad/s/rad", "W"),
        ("mm", "millimetre"),
        ("degC", "degC"),
        ("delta_degC", "K"),
        ("rev/s", "Hz"),
    ] {
        let c = conversion(from, to);
        assert!(c.is_identity(), "`{from}` -> `{to}`: {c:?}");
        assert_eq!(c.apply(12.5), 12.5);
    }
    assert!(!conversion("mm", "in").is_identity());
    assert!(!conversion("degC", "K").is_identity());
    assert_eq!(Conversion::IDENTITY.apply(-3.0), -3.0);
}

#[test]
fn different_dimensions_do_not_convert() {
    for (from, to) in [
        ("mm", "s"),
        ("rpm", "1"),
        ("N*m", "W"),
        ("1/s", "Hz"),
        ("1/s", "rad/s"),
        ("N*m*rad/s", "W"),
        ("mm/rev", "mm"),
        ("delta_degC", "degC"),
        ("degF", "delta_degF"),
        ("degC", "degC/s"),
        ("%", "mm"),
        ("kg", "N"),
    ] {
        let Ok(to_unit) = Unit::parse(to) else {
            continue;
        };
        assert_eq!(
            unit(from).conversion_to(&to_unit),
            None,
            "`{from}` -> `{to}`"
        );
    }
}

#[test]
fn conversions_round_trip() {
    for (a, b) in [
        ("mm", "in"),
        ("degC", "degF"),
        ("rpm", "rad/s"),
        ("bar", "psi"),
        ("l/min", "gal/h"),
        ("kWh", "J"),
        ("degF", "K"),
    ] {
        let there = conversion(a, b);
        let back = conversion(b, a);
        for x in [-40.0, 0.0, 1.0, 37.5, 1234.5678] {
            let y = back.apply(there.apply(x));
            assert!(
                (y - x).abs() <= 1e-12 * x.abs().max(1.0),
                "{a} <-> {b}: {x} -> {y}"
            );
        }
    }
}

#[test]
fn huge_factors_fall_back_to_f64() {
    // thou^12 / m^12 needs 10^-66, beyond exact i128 arithmetic.
    let tiny = unit("thou^12");
    let c = tiny.conversion_to(&unit("m^12")).unwrap();
    assert!((c.scale - 0.0000254_f64.powi(12)).abs() <= 1e-12 * c.scale);
    assert!(tiny.si_factor() > 0.0);
}
