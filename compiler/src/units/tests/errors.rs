//! Errors, their messages and suggestions, and odd input.

use super::*;

fn error(text: &str) -> UnitError {
    match Unit::parse(text) {
        Ok(u) => panic!("`{text}` parsed as `{u}`"),
        Err(e) => e,
    }
}

fn suggests(text: &str, expected: &str) {
    let e = error(text);
    assert_eq!(
        e.suggestion.as_deref(),
        Some(expected),
        "`{text}`: {}",
        e.message
    );
}

#[test]
fn unknown_units_say_which() {
    let e = error("rmp");
    assert_eq!(e.message, "unknown unit `rmp`");
    assert_eq!(e.suggestion.as_deref(), Some("rpm"));
    assert_eq!(e.to_string(), "unknown unit `rmp`");
    assert_eq!(error("mm/sek").message, "unknown unit `sek`");
}

#[test]
fn misspellings_suggest_the_unit() {
    let cases = [
        ("rmp", "rpm"),
        ("rpms", "rpm"),
        ("celcius", "degC"),
        ("milimeter", "mm"),
        ("deg_C", "degC"),
        ("sek", "s"),
        ("rmp/s", "rpm/s"),
        ("mm/mni", "mm/min"),
    ];
    for (text, expected) in cases {
        suggests(text, expected);
    }
}

#[test]
fn wrong_letter_case_suggests_the_unit() {
    for (text, expected) in [
        ("hz", "Hz"),
        ("KW", "kW"),
        ("kwh", "kWh"),
        ("MPA", "MPa"),
        ("pa", "Pa"),
        ("RPM", "rpm"),
        ("DEGC", "degC"),
        ("n*M", "N*m"),
    ] {
        suggests(text, expected);
    }
}

#[test]
fn common_spellings_suggest_the_fdi_spelling() {
    let cases = [
        ("C", "degC"),
        ("°C", "degC"),
        ("°F", "degF"),
        ("F", "degF"),
        ("°", "deg"),
        ("µm", "um"),
        ("μm", "um"),
        ("µs", "us"),
        ("Nm", "N*m"),
        ("kNm", "kN*m"),
        ("m²", "m^2"),
        ("kg/m³", "kg/m^3"),
        ("N·m", "N*m"),
        ("Ω", "ohm"),
        ("s2", "s^2"),
        ("mm/s2", "mm/s^2"),
        ("s-1", "s^-1"),
        ("lpm", "l/min"),
        ("°c", "degC"),
        ("°C/min", "K/min"),
    ];
    for (text, expected) in cases {
        suggests(text, expected);
    }
}

#[test]
fn missing_operators_suggest_one() {
    suggests("N m", "N*m");
    suggests("kg m/s^2", "kg*m/s^2");
    suggests("deg C", "degC");
    assert!(error("N m").message.contains("`*` or `/`"));
}

#[test]
fn offset_units_cannot_be_combined() {
    let e = unit("degC").mul(&unit("s")).unwrap_err();
    assert!(
        e.message.starts_with("cannot multiply `degC` by `s`"),
        "{}",
        e.message
    );
    assert!(e.message.contains("convert to `K` first"), "{}", e.message);
    assert_eq!(e.suggestion.as_deref(), Some("K"));

    let e = unit("kg").mul(&unit("degF")).unwrap_err();
    assert!(e.message.contains("`degF`"), "{}", e.message);
    assert_eq!(e.suggestion.as_deref(), Some("K"));

    for (a, b) in [
        ("degC", "min"),
        ("1", "degC"),
        ("degC", "degC"),
        ("s", "degF"),
    ] {
        assert!(unit(a).div(&unit(b)).is_err(), "{a} / {b}");
    }
    assert!(unit("degC").powi(2).is_err());
    assert!(unit("degC").powi(-1).is_err());
    assert!(unit("degC").mul(&unit("%")).is_err());
}

#[test]
fn offset_units_in_expressions_suggest_kelvin() {
    for (text, expected) in [
        ("degC/min", "K/min"),
        ("degF/h", "K/h"),
        ("1/degC", "1/K"),
        ("degC^2", "K^2"),
        ("s*degC", "s*K"),
    ] {
        let e = error(text);
        assert!(
            e.message.contains("convert to `K` first"),
            "{text}: {}",
            e.message
        );
        assert_eq!(e.suggestion.as_deref(), Some(expected), "{text}");
    }
}

#[test]
fn malformed_expressions_are_explained() {
    let cases = [
        ("", "cannot be empty"),
        ("   ", "cannot be empty"),
        ("/", "needs a unit before it"),
        ("**", "needs a unit before it"),
        ("m**2", "needs a unit before it"),
        ("*m", "needs a unit before it"),
        ("m/", "a unit must follow it"),
        ("m*", "a unit must follow it"),
        ("^2", "needs a unit before it"),
        ("m^", "whole-number power"),
        ("m^x", "not a whole number"),
        ("m^2.5", "not a whole number"),
        ("m^-", "not a whole number"),
        ("m^999", "too large"),
        ("m^99999999999999999999", "too large"),
        ("m^-2147483648", "too large"),
        ("m^0", "`m^0` is 1"),
        ("m^2^3", "two powers"),
        ("(m)", "parentheses"),
        ("kg/(m*s)", "parentheses"),
        ("1000/s", "a number, not a unit"),
        ("0.5", "a number, not a unit"),
        ("m^12*m", "too large"),
        ("m^7*m^7", "too large"),
        ("m^12/s^12/s", "too large"),
    ];
    for (text, expected) in cases {
        let e = error(text);
        assert!(e.message.contains(expected), "`{text}`: {}", e.message);
    }
}

#[test]
fn nothing_close_means_no_suggestion() {
    for text in [
        "xyzzy",
        "",
        "m^999",
        "q",
        "1000/s",
        "(m)",
        "a".repeat(10_000).as_str(),
    ] {
        assert_eq!(error(text).suggestion, None, "`{text}`");
    }
}

#[test]
fn unit_operations_on_large_powers_are_errors() {
    let big = unit("m^12");
    assert!(big.mul(&unit("m")).is_err());
    assert!(big.powi(2).is_err());
    assert!(big.powi(i32::MIN).is_err());
    assert!(unit("s").powi(i32::MAX).is_err());
    assert!(big.div(&unit("1/m")).is_err());
    assert!(big.div(&big).unwrap().is_dimensionless());
}

#[test]
fn odd_input_never_panics() {
    let odd = [
        "\0",
        "😀",
        "m😀",
        "😀m",
        "m^😀",
        "1/😀",
        "🙂*🙂",
        "µ",
        "^",
        "^^",
        "*/",
        "/ /",
        "1/1/1/1",
        "m^-0",
        "m^+-2",
        "m ^ ^ 2",
        "\u{202e}m",
        "m\u{301}",
        "\u{a0}m\u{a0}",
        "m\u{2003}*s",
        "1^999",
        "°°°",
        "²",
        "m²²",
        "()",
        ")(",
        "m)",
        "%%",
        "%/%",
        "1/%",
        "degC degC",
        "°C°C",
        "C/C",
        "Nm Nm",
        "µ°²³·×−Ω",
        "ß",
        "İ",
        "ﬀ",
        "m^١",
        "m^²",
    ];
    let long = [
        "m*".repeat(10_000) + "m",
        "m/".repeat(10_000) + "m",
        "(".repeat(100_000),
        "1*".repeat(50_000) + "1",
        "°".repeat(1000),
        "µ".repeat(1000) + "m",
        " ".repeat(100_000),
    ];
    for text in odd.iter().copied().chain(long.iter().map(String::as_str)) {
        check_consistent(text);
    }
}

/// Pseudo-random expressions from pieces that are easy to get wrong: no panics, and every
/// result is consistent.
#[test]
fn generated_expressions_are_handled_consistently() {
    const PIECES: [&str; 24] = [
        "m", "s", "mm", "degC", "rpm", "Hz", "%", "1", "*", "/", "^", "-", "2", "12", " ", "°",
        "µ", "(", "kg", "N", "C", "rmp", "m3", "^-1",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..5000 {
        let len = (next() % 7) as usize + 1;
        let text: String = (0..len)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect();
        check_consistent(&text);
    }
}

/// A parsed unit displays as text that parses back to it; an error's suggestion parses.
fn check_consistent(text: &str) {
    match Unit::parse(text) {
        Ok(u) => {
            assert_eq!(Unit::parse(&u.to_string()).as_ref(), Ok(&u), "`{text}`");
            assert!(u.si_factor().is_finite() && u.si_factor() > 0.0, "`{text}`");
        }
        Err(e) => {
            assert!(!e.message.is_empty());
            if let Some(s) = &e.suggestion {
                assert!(Unit::parse(s).is_ok(), "`{text}` suggests `{s}`");
            }
        }
    }
}

#[test]
fn every_pair_of_table_units_combines_without_panicking() {
    let units: Vec<Unit> = known_units().map(unit).collect();
    for a in &units {
        for b in &units {
            let offset = a.has_offset() || b.has_offset();
            for result in [a.mul(b), a.div(b)] {
                assert_eq!(result.is_err(), offset, "{a}, {b}");
                if let Ok(derived) = result {
                    assert_eq!(unit(&derived.to_string()), derived);
                }
            }
            let conversion = a.conversion_to(b);
            let convertible = a.same_dimension(b) && !a.confuses_difference(b);
            assert_eq!(conversion.is_some(), convertible, "{a} -> {b}");
            if let Some(c) = conversion {
                assert!(c.scale.is_finite() && c.scale > 0.0 && c.shift.is_finite());
            }
        }
    }
}
