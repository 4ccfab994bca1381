use super::*;

fn assign(scope: &mut Scope, names: &[&str]) -> Vec<String> {
    scope.assign(names)
}

#[test]
fn keywords_of_every_edition_become_raw_identifiers() {
    let names = [
        "type", "loop", "fn", "match", "async", "await", "dyn", "try", "gen", "yield", "become",
        "macro", "abstract",
    ];
    let idents = assign(&mut Scope::default(), &names);
    for (name, ident) in names.iter().zip(&idents) {
        assert_eq!(*ident, format!("r#{name}"));
    }
}

#[test]
fn names_that_cannot_be_raw_are_renamed() {
    let idents = assign(
        &mut Scope::default(),
        &["self", "Self", "super", "crate", "_"],
    );
    assert_eq!(idents, ["self_", "Self_", "super_", "crate_", "__"]);
}

#[test]
fn weak_keywords_and_ordinary_names_keep_their_spelling() {
    let names = ["union", "raw", "safe", "speed", "Foo_Bar", "_x"];
    assert_eq!(assign(&mut Scope::default(), &names), names);
}

#[test]
fn a_rename_never_takes_a_name_written_elsewhere_in_the_scope() {
    // `self` wants `self_`, which the mapping spelled itself: the spelled one keeps it, whatever
    // the order.
    let idents = assign(&mut Scope::default(), &["self", "self_", "self_2"]);
    assert_eq!(idents, ["self_3", "self_", "self_2"]);
    // A source `raw_` beside a target `raw`, in the generated `run`, where `raw` is taken.
    let mut run = Scope::locals(&["run", "raw", "record"]);
    assert_eq!(assign(&mut run, &["raw", "raw_"]), ["raw_2", "raw_"]);
}

#[test]
fn lets_and_the_locals_of_assigned_fields_never_meet() {
    // `let s`, `let out_s`, `s = ...`, `t = out_s`: the field's local is neither `s` nor `out_s`.
    let mut flow = Scope::locals(&["record", "raw", "lookups"]);
    let idents = assign(&mut flow, &["s", "out_s", "s", "t"]);
    assert_eq!(idents, ["s", "out_s", "s_", "t"]);
    // `let record_`, `let record`: `record` is the flow's parameter.
    let mut flow = Scope::locals(&["record", "raw", "lookups"]);
    assert_eq!(
        assign(&mut flow, &["record_", "record"]),
        ["record_", "record_2"]
    );
}

#[test]
fn bindings_never_shadow_the_prelude() {
    let idents = assign(
        &mut Scope::locals(&[]),
        &["None", "Some", "Ok", "Err", "String", "i64"],
    );
    assert_eq!(idents, ["None_", "Some_", "Ok_", "Err_", "String_", "i64_"]);
}

#[test]
fn derived_names_are_numbered_past_every_taken_one() {
    let mut types = Scope::default();
    assign(&mut types, &["Lot", "LotRule"]);
    assert_eq!(types.fresh("LotRule"), "LotRule_2");
    // `FooBar` and `Foo_Bar` fold to the same constant.
    assert_eq!(types.fresh("FOO_BAR_COLUMNS"), "FOO_BAR_COLUMNS");
    assert_eq!(types.fresh("FOO_BAR_COLUMNS"), "FOO_BAR_COLUMNS_2");
    assert_eq!(types.fresh("FOO_BAR_COLUMNS"), "FOO_BAR_COLUMNS_3");
    // A base ending in `_` is numbered without a second one.
    assert_eq!(types.fresh("x_"), "x_");
    assert_eq!(types.fresh("x_"), "x_2");
}

#[test]
fn a_raw_identifier_and_its_plain_spelling_are_one_name() {
    let mut scope = Scope::default();
    assert_eq!(assign(&mut scope, &["type"]), ["r#type"]);
    assert!(!scope.is_free("type"));
    assert_eq!(scope.fresh("type"), "type_2");
}

#[test]
fn file_scopes_compare_without_case_and_refuse_windows_device_names() {
    let mut files = Scope::files(&["mod"]);
    let idents = assign(&mut files, &["Foo", "foo", "con", "Mod", "type"]);
    assert_eq!(idents, ["Foo", "foo_", "con_", "Mod_", "r#type"]);
}

#[test]
fn names_that_are_not_identifiers_are_made_into_one() {
    let idents = assign(&mut Scope::default(), &["1st", "a-b", ""]);
    assert_eq!(idents, ["_1st_", "a_b_", "__"]);
}

#[test]
fn binary_names_cargo_or_windows_refuse_are_renamed() {
    for name in [
        "build",
        "deps",
        "examples",
        "incremental",
        "Build",
        "con",
        "LPT1",
    ] {
        assert_eq!(bin_name(name), format!("{name}_"));
    }
    for name in ["type", "self", "builder", "mill"] {
        assert_eq!(bin_name(name), name);
    }
}

#[test]
fn constants_in_screaming_snake_case() {
    assert_eq!(screaming_snake("SpindleReading"), "SPINDLE_READING");
    assert_eq!(screaming_snake("QIFResult"), "QIF_RESULT");
    assert_eq!(screaming_snake("Foo_Bar"), "FOO_BAR");
    assert_eq!(screaming_snake("FooBar"), "FOO_BAR");
}

#[test]
fn snake_case_as_rustc_lints_it() {
    for ident in ["speed", "r#type", "self_", "_x", "a1_b2", "raw_2"] {
        assert!(is_snake_case(ident), "{ident}");
    }
    for ident in ["None_", "PROGRAM", "speed__quality", "FooBar"] {
        assert!(!is_snake_case(ident), "{ident}");
    }
}

#[test]
fn camel_case_as_rustc_lints_it() {
    for ident in ["Reading", "Option_", "QIFResult", "Lot2", "OK", "_Hidden"] {
        assert!(is_camel_case(ident), "{ident}");
    }
    for ident in ["Foo_Bar", "LotRule_2", "self_", "r#type", "A__B", "speed"] {
        assert!(!is_camel_case(ident), "{ident}");
    }
}

/// Whether `ident` can be written in Rust code as it is: an identifier that is no keyword, or a
/// raw one.
fn is_rust_identifier(ident: &str) -> bool {
    let (raw, plain) = match ident.strip_prefix("r#") {
        Some(plain) => (true, plain),
        None => (false, ident),
    };
    let word = plain.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && plain.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    word && !NOT_RAW.contains(&plain) && KEYWORDS.contains(&plain) == raw
}

fn assert_distinct<'a>(scope: &str, idents: impl IntoIterator<Item = &'a String>, fold: bool) {
    let mut seen = HashSet::new();
    for ident in idents {
        assert!(
            is_rust_identifier(ident),
            "{scope}: `{ident}` is not usable in Rust"
        );
        let key = unraw(ident);
        let key = if fold {
            key.to_ascii_lowercase()
        } else {
            key.to_string()
        };
        assert!(seen.insert(key), "{scope}: `{ident}` is given twice");
    }
}

fn valid_cases(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("case folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            valid_cases(&path, out);
        } else if path.extension().is_some_and(|e| e == "fdi") {
            let text = std::fs::read_to_string(&path).expect("case file");
            if text.starts_with("// expect: ok") {
                out.push(path);
            }
        }
    }
}

/// Over every case that checks: each scope of the names table holds usable, distinct names.
#[test]
fn every_scope_of_every_valid_case_holds_distinct_rust_names() {
    let cases = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/cases");
    let mut paths = Vec::new();
    valid_cases(&cases, &mut paths);
    assert!(paths.len() >= 10, "found only {paths:?}");
    for path in paths {
        let mut sources = crate::source_map::SourceMap::new();
        let program = crate::compile(&path, &mut sources)
            .unwrap_or_else(|_| panic!("{} checks", path.display()));
        let names = Names::new(&program);
        let case = path.display();
        // One module, crate::types: types, their rules, column lists and time readers.
        let types_module = names
            .types
            .iter()
            .filter(|(name, _)| !program.schema.is_builtin_quality(name))
            .map(|(_, ident)| ident)
            .chain(names.rules.values())
            .chain(names.columns.values())
            .chain(names.time_readers.values());
        assert_distinct(&format!("{case}: types"), types_module, false);
        assert_distinct(
            &format!("{case}: fields"),
            names.fields.values().chain(names.samples.values()),
            false,
        );
        for e in program.schema.enums.values() {
            let variants: Vec<String> = e
                .codes
                .iter()
                .map(|c| names.variant(&e.name, c).to_string())
                .collect();
            assert_distinct(&format!("{case}: enum {}", e.name), &variants, false);
        }
        assert_distinct(&format!("{case}: flows"), names.flows.values(), true);
        assert_distinct(
            &format!("{case}: functions"),
            names.functions.values(),
            false,
        );
        assert_distinct(&format!("{case}: lookups"), names.lookups.values(), false);
        for ident in names
            .flows
            .values()
            .chain(names.functions.values())
            .chain(names.types.values())
        {
            assert!(
                !PRELUDE.contains(&unraw(ident)),
                "{case}: `{ident}` shadows the prelude"
            );
        }
    }
}
