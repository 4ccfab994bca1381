//! Unit helps never lead to a wrong value. For every case file of a unit diagnostic
//! (E0328-E0332, E0342, E0343) under `tests/cases/units/`, the test takes the first rewrite the
//! help proposes (``replace `OLD` with `NEW` ``), applies it literally to the case file, checks
//! that the result compiles, and then builds every fixed function into one mapping that calls
//! each on one record. The values the program writes are compared with values computed here
//! from the inputs with exact textbook factors, not from the compiler's unit table.
//!
//! A help that proposes no rewrite (E0328: different physical quantities, where only the
//! author knows the right field) cannot mislead; every other unit code must have a case whose
//! rewrite is checked here.

mod support;

use std::f64::consts::PI;
use std::path::Path;

use fdi_compiler::diagnostic::{Code, Diagnostic};
use fdi_compiler::ir::Type;
use fdi_compiler::loader::DiskFiles;
use fdi_compiler::source_map::SourceMap;
use support::{build, read_jsonl, run_json, workspace_root};

/// The codes of unit diagnostics.
const UNIT_CODES: [Code; 7] = [
    Code::DimensionMismatch,
    Code::MissingConversion,
    Code::MissingUnit,
    Code::UnknownUnitInMapping,
    Code::UnitArithmetic,
    Code::AngleNotStated,
    Code::TemperatureDifference,
];

/// Codes whose help never proposes a rewrite, by design.
const NO_REWRITE: [Code; 1] = [Code::DimensionMismatch];

/// What a fixed case's function must return for the inputs.
enum Expected {
    Number(f64),
    Bool(bool),
}

/// A case whose fixed function is called on one record.
struct Fixed {
    file: &'static str,
    function: &'static str,
    /// The arguments, in the order of the parameters.
    inputs: &'static [f64],
    /// The right value, from the inputs, with exact factors.
    expected: fn(&[f64]) -> Expected,
}

const INCH_MM: f64 = 25.4;
const ZERO_CELSIUS_K: f64 = 273.15;

fn rpm_to_rad_s(rpm: f64) -> f64 {
    rpm * 2.0 * PI / 60.0
}

const FIXED: &[Fixed] = &[
    Fixed {
        // 12.7 mm is exactly half an inch: the converted limit must equal the measured value.
        file: "inches_compared_with_millimetres.fdi",
        function: "tolerance_check",
        inputs: &[0.5, 12.7],
        expected: |x| Expected::Bool(x[0] * INCH_MM <= x[1]),
    },
    Fixed {
        file: "rpm_returned_as_rad_per_second.fdi",
        function: "speed_for_drive",
        inputs: &[1200.0],
        expected: |x| Expected::Number(rpm_to_rad_s(x[0])),
    },
    Fixed {
        file: "number_without_unit_added.fdi",
        function: "offset",
        inputs: &[10.0],
        expected: |x| Expected::Number(x[0] + 2.5),
    },
    Fixed {
        file: "plain_float_returned_as_millimetres.fdi",
        function: "unknown_unit",
        inputs: &[3.25],
        expected: |x| Expected::Number(x[0]),
    },
    Fixed {
        // The number of degrees Celsius, as written.
        file: "celsius_returned_as_plain_float.fdi",
        function: "plain_temperature",
        inputs: &[-12.5],
        expected: |x| Expected::Number(x[0]),
    },
    Fixed {
        file: "unknown_unit_did_you_mean.fdi",
        function: "speed",
        inputs: &[1450.0],
        expected: |x| Expected::Number(x[0]),
    },
    Fixed {
        // degC * s: the absolute temperature times the time, in K*s.
        file: "celsius_times_seconds.fdi",
        function: "heat",
        inputs: &[20.0, 10.0],
        expected: |x| Expected::Number((x[0] + ZERO_CELSIUS_K) * x[1]),
    },
    Fixed {
        // 150 pulses in 3 s, one cycle each: 50 Hz, not 50 / (2 pi).
        file: "pulses_per_second_into_hertz.fdi",
        function: "pulse_frequency",
        inputs: &[150.0, 3.0],
        expected: |x| Expected::Number(x[0] / x[1]),
    },
    Fixed {
        // P = torque * angular speed in rad/s, in kW.
        file: "torque_times_rpm_into_power.fdi",
        function: "shaft_power",
        inputs: &[35.2, 1200.0],
        expected: |x| Expected::Number(x[0] * rpm_to_rad_s(x[1]) / 1000.0),
    },
    Fixed {
        // 100 events per second against 50 cycles per second (not 50 * 2 pi rad/s).
        file: "rate_compared_with_hertz.fdi",
        function: "over_limit",
        inputs: &[100.0, 50.0],
        expected: |x| Expected::Bool(x[0] > x[1]),
    },
    Fixed {
        // One revolution's worth of a feed per revolution.
        file: "feed_per_revolution_as_length.fdi",
        function: "feed_length",
        inputs: &[0.2],
        expected: |x| Expected::Number(x[0]),
    },
    Fixed {
        // 80 degC in, 65.5 degC out: a difference of 14.5 degrees, not 14.5 - 273.15.
        file: "temperature_difference_returned_as_celsius.fdi",
        function: "cooling",
        inputs: &[80.0, 65.5],
        expected: |x| Expected::Number(x[0] - x[1]),
    },
    Fixed {
        // 20 degC raised by 5 K is 25 degC.
        file: "kelvin_added_to_celsius.fdi",
        function: "heated",
        inputs: &[20.0, 5.0],
        expected: |x| Expected::Number(x[0] + x[1]),
    },
];

/// The first rewrite a help proposes: ``replace `OLD` with `NEW` ``.
fn first_rewrite(help: &str) -> Option<(String, String)> {
    let rest = &help[help.find("replace `")? + "replace `".len()..];
    let (old, rest) = rest.split_once("` with `")?;
    let (new, _) = rest.split_once('`')?;
    Some((old.to_owned(), new.to_owned()))
}

/// Compiles a case file read from `root`; the diagnostics, or `None` when it compiles, with
/// the sources they point into.
fn compile(root: &Path, relative: &str) -> (Option<Vec<Diagnostic>>, SourceMap) {
    let mut sources = SourceMap::reading(DiskFiles::in_folder(root));
    let result = fdi_compiler::compile(Path::new(relative), &mut sources);
    (result.err(), sources)
}

fn expected_code(text: &str) -> Option<Code> {
    let code = text.lines().next()?.strip_prefix("// expect:")?.trim();
    Code::ALL
        .iter()
        .copied()
        .find(|c| c.as_str().ends_with(&format!("::{code}")))
}

/// Applies the first rewrite of the case's first diagnostic with its expected code: the text
/// of a label equal to OLD is replaced, or else the one place in the file that reads OLD.
/// `None` when the help proposes no rewrite.
fn apply_help(file: &str, text: &str, code: Code) -> Option<String> {
    let relative = format!("tests/cases/units/{file}");
    let (diagnostics, sources) = compile(&workspace_root(), &relative);
    let diagnostics = diagnostics.unwrap_or_default();
    let diagnostic = diagnostics
        .iter()
        .find(|d| d.code == code)
        .unwrap_or_else(|| panic!("{file} does not report {code}"));
    let help = diagnostic.help.clone().unwrap_or_default();
    let (old, new) = first_rewrite(&help)?;
    let labelled = diagnostic.labels.iter().find_map(|label| {
        let source = sources.get(label.span.file);
        (source.text.get(label.span.start..label.span.end) == Some(old.as_str()))
            .then_some(label.span.start..label.span.end)
    });
    let range = labelled.unwrap_or_else(|| {
        let found: Vec<_> = text.match_indices(&old).collect();
        assert_eq!(
            found.len(),
            1,
            "{file}: `{old}` is neither a label's text nor written once in the file"
        );
        found[0].0..found[0].0 + old.len()
    });
    let mut fixed = text.to_owned();
    fixed.replace_range(range, &new);
    Some(fixed)
}

fn schema_type(ty: &Type) -> String {
    match ty {
        Type::Quantity(unit) => format!("\"float[{unit}]\""),
        Type::Float => "float".to_owned(),
        Type::Int => "int".to_owned(),
        Type::Bool => "bool".to_owned(),
        other => panic!("the test does not feed {other:?} from a CSV"),
    }
}

#[test]
fn every_unit_help_leads_to_the_right_value() {
    let root = workspace_root();
    let cases_dir = root.join("tests/cases/units");
    let tmp = tempfile::tempdir().expect("temp dir");

    // Every unit case is either fixed here or offers no rewrite, and every code but E0328
    // has a checked rewrite.
    let mut files: Vec<_> = std::fs::read_dir(&cases_dir)
        .expect("case folder")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let mut checked_codes = Vec::new();
    let mut fixed_texts = Vec::new();
    for path in files {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).expect("case file");
        let Some(code) = expected_code(&text).filter(|c| UNIT_CODES.contains(c)) else {
            continue;
        };
        let fixed = apply_help(&file, &text, code);
        let case = FIXED.iter().find(|c| c.file == file);
        match (fixed, case) {
            (None, None) => {}
            (None, Some(_)) => panic!("{file}: its help proposes no rewrite"),
            (Some(_), None) if NO_REWRITE.contains(&code) => {
                panic!("{file}: {code} should propose no rewrite")
            }
            (Some(fixed), None) => {
                panic!("{file}: add its fixed function to FIXED, with the value it must give:\n{fixed}")
            }
            (Some(fixed), Some(case)) => {
                checked_codes.push(code);
                fixed_texts.push((case, fixed));
            }
        }
    }
    let unchecked: Vec<_> = UNIT_CODES
        .iter()
        .filter(|c| !NO_REWRITE.contains(c) && !checked_codes.contains(c))
        .collect();
    assert!(
        unchecked.is_empty(),
        "codes without a checked rewrite: {unchecked:?}"
    );

    // Each fixed case compiles on its own.
    let cases_copy = tmp.path().join("cases");
    std::fs::create_dir_all(cases_copy.join("cases/units")).unwrap();
    std::fs::create_dir_all(cases_copy.join("schemas")).unwrap();
    std::fs::copy(
        root.join("tests/schemas/plant.yaml"),
        cases_copy.join("schemas/plant.yaml"),
    )
    .unwrap();
    let mut functions = String::new();
    let mut inputs = Vec::new(); // (field, type, value)
    let mut results = Vec::new(); // (field, type, case)
    for (case, fixed) in &fixed_texts {
        let relative = format!("cases/units/{}", case.file);
        std::fs::write(cases_copy.join(&relative), fixed).unwrap();
        let (diagnostics, sources) = compile(&cases_copy, &relative);
        let rendered: Vec<String> = diagnostics
            .iter()
            .flatten()
            .map(|d| d.render_plain(&sources))
            .collect();
        assert!(
            rendered.is_empty(),
            "{} with its help applied does not compile:\n{fixed}\n{}",
            case.file,
            rendered.join("\n")
        );
        let mut sources = SourceMap::reading(DiskFiles::in_folder(&cases_copy));
        let program = fdi_compiler::compile(Path::new(&relative), &mut sources).unwrap();
        let function = program
            .functions
            .iter()
            .find(|f| f.name == case.function)
            .unwrap_or_else(|| panic!("{} has no function {}", case.file, case.function));
        assert_eq!(function.params.len(), case.inputs.len(), "{}", case.file);
        let mut args = Vec::new();
        for ((param, ty), value) in function.params.iter().zip(case.inputs) {
            let field = format!("{}_{param}", case.function);
            args.push(field.clone());
            inputs.push((field, schema_type(ty), *value));
        }
        results.push((
            format!("{}_result", case.function),
            schema_type(&function.returns),
            *case,
        ));
        functions.push_str(&format!(
            "  {}_result = {}({})\n",
            case.function,
            case.function,
            args.join(", ")
        ));
    }

    // One mapping calls every fixed function on one record.
    let dir = tmp.path().join("all");
    std::fs::create_dir_all(&dir).unwrap();
    let field_lines = |fields: Vec<(&String, &String)>| -> String {
        fields
            .into_iter()
            .map(|(name, ty)| format!("      {name}: {ty}\n"))
            .collect()
    };
    let schema = format!(
        "entities:\n  Inputs:\n    fields:\n{}  Results:\n    fields:\n{}",
        field_lines(inputs.iter().map(|(f, t, _)| (f, t)).collect()),
        field_lines(results.iter().map(|(f, t, _)| (f, t)).collect()),
    );
    std::fs::write(dir.join("schema.yaml"), schema).unwrap();
    let header: Vec<&str> = inputs.iter().map(|(f, _, _)| f.as_str()).collect();
    let row: Vec<String> = inputs.iter().map(|(_, _, v)| v.to_string()).collect();
    std::fs::write(
        dir.join("inputs.csv"),
        format!("{}\n{}\n", header.join(","), row.join(",")),
    )
    .unwrap();
    let fn_lines: String = fixed_texts
        .iter()
        .flat_map(|(_, fixed)| fixed.lines().filter(|l| l.starts_with("fn ")))
        .map(|l| format!("{l}\n"))
        .collect();
    let mapping = format!(
        "mapping unit_fixes version \"1\"\n\nschema \"schema.yaml\"\n\n\
         source inputs: csv(\"inputs.csv\") as Inputs\n\n\
         target results: jsonl(\"out/results.jsonl\") as Results\n\n\
         flow check: inputs -> results {{\n{functions}}}\n\n{fn_lines}"
    );
    std::fs::write(dir.join("unit_fixes.fdi"), &mapping).unwrap();
    let binary = build(&dir.join("unit_fixes.fdi"), &tmp.path().join("crate"));
    let (code, summary) = run_json(&binary, &[]);
    assert_eq!(code, 0, "{summary}\n{mapping}");
    let output = read_jsonl(&dir.join("out/results.jsonl"));
    assert_eq!(output.len(), 1, "one record in, one out: {summary}");
    let record = &output[0];

    let mut wrong = Vec::new();
    for (field, _, case) in &results {
        let written = &record[field.as_str()];
        let ok = match (case.expected)(case.inputs) {
            Expected::Number(expected) => written
                .as_f64()
                .is_some_and(|actual| (actual - expected).abs() <= 1e-12 * expected.abs().max(1.0)),
            Expected::Bool(expected) => written.as_bool() == Some(expected),
        };
        if !ok {
            let expected = match (case.expected)(case.inputs) {
                Expected::Number(n) => n.to_string(),
                Expected::Bool(b) => b.to_string(),
            };
            wrong.push(format!(
                "{}: the fixed program wrote {written}, the right value is {expected}",
                case.file
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
