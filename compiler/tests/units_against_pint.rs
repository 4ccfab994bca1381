//! Every conversion between units of the table, checked against an independent unit library:
//! Python's pint. For every ordered pair of table units (and a few derived ones), the
//! conversion fdi computes is applied to two values (so that offsets count) and compared with
//! pint's; where only one of the two converts, the difference must be one of the deliberate
//! ones listed in [`DIFFERENCES`], and a second test checks that pint still behaves as each
//! entry says, so the list cannot go stale.
//!
//! pint is a peer this test needs, not an optional one: without it the test fails and says
//! how to install it (`.ci/run` installs it).

use std::f64::consts::PI;
use std::io::Write;
use std::process::{Command, Stdio};

use fdi_compiler::units::{known_units, Unit};

/// The pint version `.ci/run` installs.
const PINT: &str = "pint==0.25.3";

/// fdi's deliberate differences from pint; `the_deliberate_differences_from_pint_still_hold`
/// checks each.
const DIFFERENCES: &[(&str, &str)] = &[
    (
        "Hz counts cycles",
        "pint: `Hz` is 1/s, so 1 Hz is 9.549 rpm and 1 rad/s is 1 Hz. fdi: `Hz` is one \
         revolution per second, so 1 Hz is 60 rpm and 2*pi rad/s is 1 Hz (as engineers read \
         a spindle's or a motor's Hz). This test therefore gives pint `Hz` as `revolution / \
         second` and `kHz` as 1000 of those.",
    ),
    (
        "angles are a dimension",
        "pint: radians are dimensionless, so pint converts 1/s to rad/s (factor 1), rad to 1 \
         and mm/rev to mm (factor 1/(2*pi)). fdi refuses each conversion that adds or drops an \
         angle (E0342) until the mapping multiplies or divides by one (`* 1[rev]`).",
    ),
    (
        "a value in K does not silently move a temperature",
        "pint: `20 degC - 5 K` is 288.15 delta_degC (K taken as a temperature). fdi: a value \
         in K added to or subtracted from degC must be said to be a difference \
         (`x as [delta_degC]`) or a temperature (`x as [degC]`), E0343.",
    ),
];

/// How pint spells a unit of the table, where it differs.
fn pint_spelling(symbol: &str) -> &str {
    match symbol {
        "%" => "percent",
        "ppb" => "ppm / 1000",
        "gn" => "standard_gravity",
        "rev" => "revolution",
        "m2" => "m**2",
        "cm2" => "cm**2",
        "mm2" => "mm**2",
        "m3" => "m**3",
        "cm3" => "cm**3",
        // The deliberate difference "Hz counts cycles".
        "Hz" => "revolution / second",
        "kHz" => "1000 * revolution / second",
        other => other,
    }
}

/// Converts every `[from, to, x]` of stdin's JSON with pint and subtracts every pair of
/// quantities; prints the results, `null` where pint refuses.
const PINT_SCRIPT: &str = r#"
import json, sys
import pint
ureg = pint.UnitRegistry()
OFFSET = {"degC", "degF"}

def quantity(x, expr):
    if expr in OFFSET:
        return ureg.Quantity(x, expr)
    return x * ureg.parse_expression(expr)

def convert(source, target, x):
    try:
        q = quantity(x, source)
        if target in OFFSET:
            return float(q.to(target).magnitude)
        unit = ureg.parse_expression(target)
        return float(q.to(unit.units).magnitude / unit.magnitude)
    except (pint.errors.DimensionalityError, pint.errors.OffsetUnitCalculusError):
        return None

def subtract(left, right):
    try:
        return str(ureg.Quantity(*left) - ureg.Quantity(*right))
    except pint.errors.OffsetUnitCalculusError:
        return None

request = json.load(sys.stdin)
json.dump({
    "version": pint.__version__,
    "conversions": [convert(s, t, x) for s, t, x in request["conversions"]],
    "subtractions": [subtract(l, r) for l, r in request["subtractions"]],
}, sys.stdout)
"#;

struct PintAnswer {
    conversions: Vec<Option<f64>>,
    subtractions: Vec<Option<String>>,
}

type Amount<'a> = (f64, &'a str);

fn ask_pint(
    conversions: &[(String, String, f64)],
    subtractions: &[(Amount, Amount)],
) -> PintAnswer {
    let missing = format!(
        "this test checks the unit table against Python's pint, which is missing: install it \
         with `python3 -m pip install {PINT}` (as .ci/run does)"
    );
    let available = Command::new("python3")
        .args(["-c", "import pint"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(available, "{missing}");
    let mut child = Command::new("python3")
        .args(["-c", PINT_SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|_| panic!("{missing}"));
    let request = serde_json::json!({
        "conversions": conversions,
        "subtractions": subtractions
            .iter()
            .map(|((a, u), (b, v))| serde_json::json!([[a, u], [b, v]]))
            .collect::<Vec<_>>(),
    });
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(request.to_string().as_bytes())
        .expect("write to python");
    let output = child.wait_with_output().expect("python runs");
    assert!(
        output.status.success(),
        "the pint script failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON from pint");
    let version = answer["version"].as_str().unwrap_or("?");
    if format!("pint=={version}") != PINT {
        eprintln!("note: checking against pint {version}; CI uses {PINT}");
    }
    let list = |key: &str| answer[key].as_array().cloned().unwrap_or_default();
    PintAnswer {
        conversions: list("conversions")
            .iter()
            .map(serde_json::Value::as_f64)
            .collect(),
        subtractions: list("subtractions")
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect(),
    }
}

fn unit(text: &str) -> Unit {
    Unit::parse(text).unwrap_or_else(|e| panic!("`{text}`: {e}"))
}

/// Derived units whose conversions are checked besides those of single table units.
const DERIVED: &[(&str, &str)] = &[
    ("mm/min", "in/min"),
    ("l/min", "m3/h"),
    ("N*m", "J"),
    ("kW*h", "MJ"),
    ("lbf/in^2", "kPa"),
    ("rev/min", "rad/s"),
    ("deg/s", "Hz"),
    ("N*m*rad/s", "kW*rad"),
    ("delta_degC/min", "delta_degF/h"),
    ("kg/m^3", "g/cm3"),
];

/// A unit expression of fdi in pint's syntax: each table symbol spelt as pint spells it, in
/// parentheses, and `^` as `**`. A single table unit stays bare, as pint needs offset units.
fn pint_expression(text: &str) -> String {
    if !text.contains(['*', '/', '^']) {
        return pint_spelling(text).to_owned();
    }
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.chars().all(|c| c.is_ascii_digit() || c == '-') {
            out.push_str(word);
        } else {
            out.push_str(&format!("({})", pint_spelling(word)));
        }
        word.clear();
    };
    for c in text.chars() {
        match c {
            '*' | '/' => {
                flush(&mut word, &mut out);
                out.push_str(&format!(" {c} "));
            }
            '^' => {
                flush(&mut word, &mut out);
                out.push_str("**");
            }
            _ => word.push(c),
        }
    }
    flush(&mut word, &mut out);
    out
}

#[test]
fn every_conversion_of_the_table_agrees_with_pint() {
    let symbols: Vec<&str> = known_units().collect();
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for from in &symbols {
        for to in &symbols {
            pairs.push((from, to));
        }
    }
    pairs.extend(DERIVED);
    const VALUES: [f64; 2] = [1.0, 37.5];
    let request: Vec<(String, String, f64)> = pairs
        .iter()
        .flat_map(|(from, to)| VALUES.map(|x| (pint_expression(from), pint_expression(to), x)))
        .collect();
    let pint = ask_pint(&request, &[]).conversions;
    assert_eq!(pint.len(), request.len(), "pint answered every conversion");

    let mut disagreements = Vec::new();
    let mut compared = 0;
    for ((from, to), theirs) in pairs
        .iter()
        .flat_map(|pair| VALUES.map(|x| (pair, x)))
        .zip(&pint)
        .map(|((pair, x), theirs)| (*pair, (x, *theirs)))
    {
        let (x, theirs) = theirs;
        let (a, b) = (unit(from), unit(to));
        match (a.conversion_to(&b), theirs) {
            (Some(c), Some(expected)) => {
                let actual = c.apply(x);
                let tolerance = 1e-12 * expected.abs().max(actual.abs());
                if (actual - expected).abs() > tolerance {
                    disagreements
                        .push(format!("{x} {from} -> {to}: fdi {actual}, pint {expected}"));
                }
                compared += 1;
            }
            (None, None) => {}
            // "angles are a dimension": pint converts, fdi asks for the angle.
            (None, Some(_)) if a.angle_difference(&b).is_some() => {}
            (None, Some(v)) => disagreements.push(format!(
                "{from} -> {to}: pint converts {x} to {v}, fdi refuses, and DIFFERENCES does \
                 not say why"
            )),
            (Some(c), None) => disagreements.push(format!(
                "{from} -> {to}: fdi converts {x} to {}, pint refuses",
                c.apply(x)
            )),
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements with pint:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    // The table has over 400 ordered pairs of convertible units, each compared at two values.
    assert!(compared > 800, "only {compared} conversions compared");
}

/// The deliberate differences, as pint states them today: if pint changes, the list must.
#[test]
fn the_deliberate_differences_from_pint_still_hold() {
    assert_eq!(DIFFERENCES.len(), 3);
    let request = [
        ("Hz".to_owned(), "rpm".to_owned(), 1.0),
        ("1 / second".to_owned(), "rad / second".to_owned(), 1.0),
        ("mm / revolution".to_owned(), "mm".to_owned(), 1.0),
        ("delta_degC".to_owned(), "degC".to_owned(), 5.0),
    ];
    let answer = ask_pint(&request, &[((20.0, "degC"), (5.0, "kelvin"))]);
    let pint = &answer.conversions;
    // "Hz counts cycles": pint's Hz is 1/s.
    assert!(pint[0].is_some_and(|v| (v - 60.0 / (2.0 * PI)).abs() < 1e-12));
    assert_eq!(
        unit("Hz").conversion_to(&unit("rpm")).unwrap().apply(1.0),
        60.0
    );
    // "angles are a dimension"
    assert_eq!(pint[1], Some(1.0));
    assert!(unit("1/s").conversion_to(&unit("rad/s")).is_none());
    assert!(pint[2].is_some_and(|v| (v - 1.0 / (2.0 * PI)).abs() < 1e-12));
    assert!(unit("mm/rev").conversion_to(&unit("mm")).is_none());
    // Not a difference: both refuse to turn a difference into a temperature.
    assert_eq!(pint[3], None);
    assert!(unit("delta_degC").conversion_to(&unit("degC")).is_none());
    // "a value in K does not silently move a temperature": pint takes K as a temperature.
    let difference = answer.subtractions[0].as_deref().unwrap_or_default();
    assert!(difference.starts_with("288.15"), "{difference}");
}
