//! Mappings whose names Rust, cargo or the generated program would take for something else map
//! what they say: the two case files of `tests/cases/valid/` about names are built and run on
//! small inputs written here, and what their targets hold is compared with expectations computed
//! here from those inputs.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use support::*;

fn case(name: &str) -> std::path::PathBuf {
    workspace_root().join("tests/cases/valid").join(name)
}

/// Builds `mapping` and runs it with every relative path resolved in `base`; the run's summary.
fn build_and_run(mapping: &Path, base: &Path) -> serde_json::Value {
    let binary = build(mapping, &base.join("crate"));
    let (code, summary) = run_json(
        &binary,
        &["--base-dir", base.to_str().expect("a UTF-8 temp path")],
    );
    assert_eq!(code, 0, "{summary}");
    assert_balanced(&summary);
    summary
}

/// Every row of an SQLite table, as column name -> value text, keyed by the `key` column.
fn table(db: &Path, table: &str, key: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let db = rusqlite::Connection::open(db).expect("open the target database");
    let mut query = db
        .prepare(&format!("SELECT * FROM \"{table}\""))
        .expect("the table exists");
    let columns: Vec<String> = query.column_names().iter().map(|c| c.to_string()).collect();
    let rows = query
        .query_map([], |row| {
            let mut values = BTreeMap::new();
            for (i, column) in columns.iter().enumerate() {
                let text = match row.get_ref(i)? {
                    rusqlite::types::ValueRef::Null => "null".to_string(),
                    rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                    rusqlite::types::ValueRef::Real(x) => format!("{x:?}"),
                    rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    rusqlite::types::ValueRef::Blob(_) => "blob".to_string(),
                };
                values.insert(column.clone(), text);
            }
            Ok(values)
        })
        .expect("read the rows");
    rows.map(|row| {
        let row = row.expect("a row");
        (row[key].clone(), row)
    })
    .collect()
}

fn row(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Fields called `crate`, `self`, `type` and `Some` are read from and written to columns of those names,
/// the schema's own enum `Quality` accepts its codes and nothing else, and `let`s named like the
/// generated code's locals keep their values.
#[test]
fn names_in_data_are_read_and_written_as_spelled() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let parts = [
        ("C-1", "1", "bolt", "M8", "OK"),
        ("C-2", "2", "nut", "M6", "NOK"),
        // The built-in quality's code, not one of the schema's `Quality`: a decode reject.
        ("C-3", "3", "washer", "M4", "GOOD"),
    ];
    let mut csv = String::from("crate,self,type,Some,status\n");
    for (krate, this, kind, some, status) in parts {
        csv.push_str(&format!("{krate},{this},{kind},{some},{status}\n"));
    }
    std::fs::write(tmp.path().join("parts.csv"), csv).expect("write the input");

    let summary = build_and_run(&case("names_in_data_keep_their_spelling.fdi"), tmp.path());
    let flow = flow(&summary, "self");
    assert_eq!(flow["read"], 3);
    assert_eq!(flow["written"], 2);
    assert_eq!(flow["rejected"], 1);

    // What the mapping says, per row whose status is one of the schema's codes.
    let expected: BTreeMap<String, BTreeMap<String, String>> = parts
        .iter()
        .filter(|(.., status)| ["OK", "NOK"].contains(status))
        .map(|&(krate, this, kind, some, status)| {
            let verdict = if status == "OK" { "pass" } else { "fail d" };
            let values = row(&[
                ("crate", krate),
                ("self", this),
                ("type", kind),
                ("Some", some),
                ("status", status),
                ("verdict", verdict),
                ("s", "a"),
                ("t", "b"),
                ("u", "c"),
            ]);
            (krate.to_string(), values)
        })
        .collect();
    assert_eq!(
        table(&tmp.path().join("checked.db"), "checked", "crate"),
        expected
    );
}

/// Types, targets, flows, functions, parameters and `let`s named like Rust's prelude, keywords or
/// the generated program's own items map what they say; so does a field `speed__quality` beside
/// the quality of `speed`, and an `UNAVAILABLE` value has quality BAD.
#[test]
fn names_the_generated_program_uses_map_as_written() {
    let tmp = tempfile::tempdir().expect("temp dir");
    // lot, speed, speed_quality, speed__quality, outcome
    let readings = [
        ("L1", "100.0", "GOOD", "raw one", "Ok"),
        // MTConnect sends no quality with UNAVAILABLE: the column is empty.
        ("L2", "UNAVAILABLE", "", "raw two", "Err"),
        ("L3", "7.0", "BadSensorFailure", "raw three", "self"),
    ];
    let mut csv = String::from("lot,speed,speed_quality,speed__quality,outcome\n");
    for (lot, speed, quality, text, outcome) in readings {
        csv.push_str(&format!("{lot},{speed},{quality},{text},{outcome}\n"));
    }
    std::fs::write(tmp.path().join("readings.csv"), csv).expect("write the readings");
    let rules = [("L1", "first")];
    let mut csv = String::from("lot,rule\n");
    for (lot, rule) in rules {
        csv.push_str(&format!("{lot},{rule}\n"));
    }
    std::fs::write(tmp.path().join("rules.csv"), csv).expect("write the rules");

    let summary = build_and_run(&case("names_the_generated_program_uses.fdi"), tmp.path());
    for name in ["type", "loop", "mod", "None", "Some"] {
        assert_eq!(flow(&summary, name)["written"], 3, "flow {name}");
    }

    let speed = |text: &str| text.parse::<f64>().ok();
    // A value's quality: BAD when UNAVAILABLE, else its column's (an OPC UA name: its prefix).
    let quality = |speed: &str, column: &str| match (speed, column) {
        ("UNAVAILABLE", _) => "BAD",
        (_, c) if c.starts_with("Good") || c == "GOOD" => "GOOD",
        (_, c) if c.starts_with("Bad") || c == "BAD" => "BAD",
        _ => "UNCERTAIN",
    };
    let db = tmp.path().join("out.db");
    let by_lot = |pairs: Vec<(&str, String, &str)>| -> BTreeMap<String, BTreeMap<String, String>> {
        pairs
            .into_iter()
            .map(|(lot, value, column)| (lot.to_string(), row(&[("lot", lot), (column, &value)])))
            .collect()
    };

    // flow type -> target main: the quality, then the text of the field `speed__quality`.
    let expected = readings
        .iter()
        .map(|&(lot, s, q, text, _)| (lot, format!("{} {text}", quality(s, q)), "quality"))
        .collect();
    assert_eq!(table(&db, "foo_bar", "lot"), by_lot(expected));

    // flow loop -> target Ok: `Err(Some)` doubles the value, -1 when there is none.
    let expected = readings
        .iter()
        .map(|&(lot, s, ..)| {
            (
                lot,
                format!("{:?}", speed(s).unwrap_or(-1.0) * 2.0),
                "value",
            )
        })
        .collect();
    assert_eq!(table(&db, "foo_under_bar", "lot"), by_lot(expected));

    // flow mod -> target PROGRAM, with provenance: `self(n)` is n + 1, of the whole value.
    let foo = table(&db, "foo", "lot");
    for &(lot, s, ..) in &readings {
        let option = speed(s).map_or(0, |v| v.trunc() as i64) + 1;
        assert_eq!(foo[lot]["option"], option.to_string(), "lot {lot}");
        assert_eq!(foo[lot]["_fdi_flow"], "mod");
    }

    // flow None -> target record: the codes `Ok`, `Err`, `None`, `self`, `type` as written.
    let expected = readings
        .iter()
        .map(|&(lot, .., outcome)| {
            let mapped = match outcome {
                "Ok" => "None",
                "Err" => "self",
                _ => "type",
            };
            (lot, mapped.to_string(), "outcome")
        })
        .collect();
    assert_eq!(table(&db, "foo_traced", "lot"), by_lot(expected));

    // flow Some -> target types: the lot's rule from lookup `crate`, through `gen`.
    let strings = read_jsonl(&tmp.path().join("strings.jsonl"));
    let texts: BTreeMap<String, String> = strings
        .iter()
        .map(|line| {
            (
                line["lot"].as_str().expect("lot").to_string(),
                line["text"].as_str().expect("text").to_string(),
            )
        })
        .collect();
    let expected: BTreeMap<String, String> = readings
        .iter()
        .map(|&(lot, ..)| {
            let rule = rules
                .iter()
                .find(|(l, _)| *l == lot)
                .map_or("no rule", |r| r.1);
            (lot.to_string(), format!("{rule}!"))
        })
        .collect();
    assert_eq!(texts, expected);
}
