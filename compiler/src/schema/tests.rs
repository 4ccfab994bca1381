//! What the loader makes of the schema features the checker and emitter code against: the
//! valid schemas under `tests/schemas/features/`, loaded as a mapping would load them.

use std::path::Path;

use super::*;
use crate::source_map::SourceMap;
use crate::units::Unit;

/// Loads one schema of `tests/schemas/features/`; the source map resolves spans.
fn load(schema: &str) -> (SchemaSet, SourceMap) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/schemas/features");
    let mut sources = SourceMap::new();
    let text = format!("mapping t version \"1\"\nschema \"{schema}\"\n");
    let file = sources.add("t.fdi", text.as_str());
    let mapping = crate::syntax::parse_text(file, &text).expect("the mapping parses");
    match load_schemas(&mapping, &dir, &mut sources) {
        Ok(set) => (set, sources),
        Err(errors) => panic!(
            "{schema} should load:\n{}",
            errors
                .iter()
                .map(|d| d.render_plain(&sources))
                .collect::<String>()
        ),
    }
}

fn text_of(sources: &SourceMap, span: Span) -> &str {
    &sources.get(span.file).text[span.start..span.end]
}

fn field<'a>(set: &'a SchemaSet, entity: &str, name: &str) -> &'a Field {
    set.entities[entity]
        .field(name)
        .unwrap_or_else(|| panic!("{entity} has a field {name}"))
}

#[test]
fn units_in_every_form() {
    let (set, sources) = load("units.yaml");
    let unit = |name: &str| {
        let f = field(&set, "SpindleSample", name);
        assert_eq!(f.ty, FieldType::Float, "{name}");
        f.unit
            .clone()
            .unwrap_or_else(|| panic!("{name} has a unit"))
    };
    for (name, written, optional) in [
        ("speed", "rpm", false),
        ("depth", "mm", true),
        ("torque", "N*m", true),
        ("feed", "mm/min", false),
        ("temperature", "degC", false),
        ("load", "%", false),
    ] {
        let u = unit(name);
        assert_eq!(u.unit, Unit::parse(written).unwrap(), "{name}");
        assert_eq!(text_of(&sources, u.span), written, "{name}");
        assert_eq!(field(&set, "SpindleSample", name).optional, optional);
    }
    assert_eq!(field(&set, "SpindleSample", "count").unit, None);
}

#[test]
fn identifier_rules_reach_the_runtime_check() {
    let (set, _) = load("identifier_rules.yaml");
    let gtin = &set.identifiers["Gtin"];
    assert_eq!((gtin.min_len, gtin.max_len), (Some(13), Some(13)));
    assert_eq!(gtin.check_digit, Some(fdi_runtime::CheckDigit::Gs1Mod10));
    assert_eq!(
        fdi_runtime::validate_id(&gtin.spec(), "4006381333931"),
        Ok(())
    );
    let wrong = fdi_runtime::validate_id(&gtin.spec(), "4006381333932").unwrap_err();
    assert!(wrong.contains("check digit"), "{wrong}");
    let sscc = &set.identifiers["Sscc"];
    assert_eq!(
        (sscc.base, sscc.min_len, sscc.max_len),
        (IdBase::String, Some(17), Some(18))
    );
    let orcid = &set.identifiers["Orcid"];
    assert_eq!((orcid.min_len, orcid.max_len), (Some(16), None));
    assert_eq!(
        fdi_runtime::validate_id(&orcid.spec(), "000000021694233X"),
        Ok(())
    );
    let batch = &set.identifiers["BatchNo"];
    assert_eq!(
        (batch.min_len, batch.max_len, batch.check_digit),
        (None, Some(20), None)
    );
}

#[test]
fn enum_codes_come_from_master_data() {
    let (set, sources) = load("master_data_enums.yaml");
    let states = &set.enums["MachineState"];
    assert_eq!(states.codes, ["SETUP", "RUNNING", "IDLE", "DOWN"]);
    assert_eq!(
        states.description.as_deref(),
        Some("Machine states as the MES lists them.")
    );
    let origin = states.origin.as_ref().expect("read from a file");
    assert_eq!(origin.path, "../master/machine_states.csv");
    assert_eq!(
        text_of(&sources, origin.span),
        "../master/machine_states.csv"
    );
    assert!(sources
        .get(origin.file)
        .display_name()
        .ends_with("tests/schemas/master/machine_states.csv"));
    let tools = &set.enums["ToolCondition"];
    assert_eq!(tools.codes, ["unworn", "worn", "broken"]);
    assert_eq!(
        tools.origin.as_ref().map(|o| o.path.as_str()),
        Some("../master/tool_conditions.yaml")
    );
    assert_eq!(set.enums["Shift"].origin, None);
}

#[test]
fn quality_columns_default_to_the_column_name() {
    let (set, _) = load("quality_columns.yaml");
    let quality = |name: &str| field(&set, "OpcSample", name).quality.clone();
    let columns = |q: &str, t: &str| {
        Some(QualityColumns {
            quality: q.to_string(),
            timestamp: t.to_string(),
            timestamp_format: None,
        })
    };
    assert_eq!(
        quality("speed"),
        columns("speed_quality", "speed_timestamp")
    );
    assert_eq!(
        quality("temperature"),
        columns("Temp_quality", "Temp_timestamp")
    );
    assert_eq!(
        quality("pressure"),
        columns("pressure_status", "pressure_time")
    );
    assert_eq!(
        quality("door_open"),
        columns("door_open_quality", "door_changed")
    );
    assert_eq!(quality("machine"), None);
}

#[test]
fn time_formats_as_declared() {
    let (set, _) = load("time_formats.yaml");
    let format = |name: &str| field(&set, "ShopFloorEvent", name).time_format.clone();
    let pattern = |format: &str, zone: &str| {
        Some(TimeFormatSpec::Pattern {
            format: format.to_string(),
            zone: zone.to_string(),
        })
    };
    assert_eq!(
        format("logged"),
        pattern("%d.%m.%Y %H:%M:%S", "Europe/Berlin")
    );
    assert_eq!(format("received"), Some(TimeFormatSpec::Iso8601));
    assert_eq!(format("plc_time"), Some(TimeFormatSpec::EpochMillis));
    assert_eq!(format("scanner_time"), Some(TimeFormatSpec::EpochSeconds));
    assert_eq!(format("shift_start"), pattern("%Y-%m-%d %H:%M", "+01:00"));
    assert_eq!(format("stamp"), None);
}

/// The loader's list of reserved words is the grammar's `keyword` rule.
#[test]
fn reserved_words_are_the_grammars_keywords() {
    let grammar = include_str!("../../../grammar/fdi.pest");
    let rule = grammar
        .lines()
        .find(|l| l.starts_with("keyword"))
        .expect("the grammar has a keyword rule");
    let mut keywords: Vec<&str> = rule.split('"').skip(1).step_by(2).collect();
    let mut listed = load::RESERVED_WORDS.to_vec();
    keywords.sort_unstable();
    listed.sort_unstable();
    assert_eq!(listed, keywords);
}

/// Odd values in every new option are reported, without a panic, each with labels inside
/// their file's text. The files are held in memory: the stage reads only through its loader.
#[test]
fn odd_options_are_reported_with_labels_in_their_files() {
    let files = crate::loader::MemoryFiles::new()
        .with(
            "bom.csv",
            "\u{feff}code,desc\nA,ä\n\"B\",\"x,y\"\nÄ-1,z\nA,dup\n",
        )
        .with(
            "odd.yaml",
            "- [A, B]\n- code: ~\n- \"\"\n- {code: X}\n- X\n",
        )
        .with("flow.yaml", "[A, B, A]\n")
        .with("empty.csv", "")
        .with("s.yaml", ODD_SCHEMA);
    let text = "mapping t version \"1\"\nschema \"s.yaml\"\n";
    let mut sources = SourceMap::reading(files);
    let file = sources.add("t.fdi", text);
    let mapping = crate::syntax::parse_text(file, text).expect("the mapping parses");
    let errors = load_schemas(&mapping, Path::new("."), &mut sources).expect_err("odd schema");
    assert!(errors.len() >= 30, "{} errors", errors.len());
    for d in &errors {
        for label in &d.labels {
            let text = &sources.get(label.span.file).text;
            assert!(
                text.get(label.span.start..label.span.end).is_some(),
                "{}: label {:?} outside its file",
                d.message,
                label.text
            );
        }
    }
}

const ODD_SCHEMA: &str = r#"
identifiers:
  A: { length: { min: -1, max: x, mid: 3 }, check_digit: 7 }
  B: { length: {} , check_digit: gs1_mod10, base: string }
  C: { length: 1, check_digit: gs1_mod10 }
  D: { length: 99999999999999999999.5 }
enums:
  E1: { from: bom.csv, column: code }
  E2: { from: odd.yaml }
  E3: { from: flow.yaml }
  E4: { from: empty.csv, column: code }
  E5: { from: "" }
  E6: { from: ".", column: x }
  E7: { from: bom.csv, column: [x] }
  E8: { from: nope.yaml, column: x }
  E9: { codes: [A], colum: x }
entities:
  X:
    fields:
      a: "float["
      b: "float[]"
      c: "float[]]"
      d: "float[ü]"
      e: { type: float, unit: 3 }
      f: { type: timestamp, format: "%", zone: "+25:00" }
      g: { type: timestamp, zone: UTC }
      h: { type: timestamp, format: 3 }
      i: { type: bool, quality: yes, quality_column: 1 }
      j: { type: int, quality: false, timestamp_column: j_t }
      not: { type: string, column: n }
      k: { type: "Nope[rpm]", format: iso8601 }
      l: { type: E1, format: iso8601, unit: m }
      m: { type: int, optional: maybe }
      n: "float[mm]???"
"#;

#[test]
fn a_sample_timestamp_may_declare_its_format_and_zone() {
    let (set, _) = load("quality_columns.yaml");
    let quality = field(&set, "OpcSample", "line_pressure").quality.clone();
    assert_eq!(
        quality.and_then(|q| q.timestamp_format),
        Some(TimeFormatSpec::Pattern {
            format: "%d.%m.%Y %H:%M:%S".into(),
            zone: "Europe/Berlin".into()
        })
    );
}

/// Loads a schema held in memory.
fn load_text(schema: &str) -> Result<SchemaSet, Vec<crate::diagnostic::Diagnostic>> {
    let text = "mapping t version \"1\"\nschema \"s.yaml\"\n";
    let mut sources = SourceMap::reading(crate::loader::MemoryFiles::new().with("s.yaml", schema));
    let file = sources.add("t.fdi", text);
    let mapping = crate::syntax::parse_text(file, text).expect("the mapping parses");
    load_schemas(&mapping, Path::new("."), &mut sources)
}

/// E0218's help, applied as it is worded, gives a type that takes the value the error shows
/// and, being text, writes it as read.
#[test]
fn the_help_of_e0218_applied_literally_keeps_the_leading_zeros() {
    let broken = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/schemas/broken");
    for file in [
        "identifier_gtin_kept_as_int.yaml",
        "identifier_six_digit_pattern_on_int.yaml",
    ] {
        let schema = std::fs::read_to_string(broken.join(file)).expect("the schema is readable");
        let errors = load_text(&schema).expect_err(file);
        let [error] = &errors[..] else {
            panic!("{file}: one error expected, got {errors:?}");
        };
        assert_eq!(
            error.code,
            crate::diagnostic::Code::IntIdentifierRefusesItsNumber
        );
        let accepted = error
            .message
            .split('"')
            .nth(1)
            .expect("the message quotes a value");
        let help = error.help.as_deref().expect("a help");
        let mut fixed = schema.replace("base: int", "base: string");
        if help.starts_with("write `base: string` and `pattern: \"[0-9]+\"`:") {
            fixed = fixed.replace(
                "    base: string\n",
                "    base: string\n    pattern: \"[0-9]+\"\n",
            );
        } else {
            assert!(help.starts_with("write `base: string`:"), "{help}");
        }
        let set = load_text(&fixed).unwrap_or_else(|e| panic!("{file} fixed: {e:?}"));
        let identifier = set
            .identifiers
            .values()
            .next()
            .expect("one identifier type");
        assert_eq!(identifier.base, IdBase::String);
        assert_eq!(
            fdi_runtime::validate_id(&identifier.spec(), accepted),
            Ok(())
        );
        assert_eq!(fdi_runtime::round_trip_problem(&identifier.spec()), None);
    }
}

#[test]
fn register_maps_with_their_orders_scales_and_read_time() {
    use fdi_runtime::{Order, RegisterTable, RegisterType};
    let (set, sources) = load("modbus.yaml");
    let register = |entity: &str, name: &str| match &field(&set, entity, name).modbus {
        Some(ModbusSpec::Register(register)) => register.clone(),
        other => panic!("{entity}.{name} has registers, not {other:?}"),
    };
    let voltage = register("MeterPoll", "voltage");
    assert_eq!(
        (voltage.table, voltage.address, voltage.ty),
        (RegisterTable::Input, 0, RegisterType::F32)
    );
    // `order: CDAB`: the words swapped, the bytes of each as the standard has them.
    assert_eq!(
        (voltage.byte_order, voltage.word_order),
        (Order::Big, Order::Little)
    );
    assert_eq!(text_of(&sources, voltage.address_span), "0");
    let power = register("MeterPoll", "power");
    assert_eq!(
        (power.ty, power.scale, power.offset),
        (RegisterType::I32, 0.001, 0.0)
    );
    assert_eq!(
        (power.byte_order, power.word_order),
        (Order::Big, Order::Big)
    );
    let station = register("Limits", "station");
    assert_eq!(
        (station.table, station.ty),
        (RegisterTable::Holding, RegisterType::String(4))
    );
    assert!(matches!(
        field(&set, "MeterPoll", "read_at").modbus,
        Some(ModbusSpec::ReadTime { .. })
    ));
    assert_eq!(field(&set, "PartialPoll", "serial").modbus, None);
}
