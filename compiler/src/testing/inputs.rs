//! A test's `input` and `lookup` records written as the files the program reads, and the
//! options that point the program at them.
//!
//! Records are written the way a person would write the file by hand: a CSV cell holds the
//! value's text (every CSV value is text to the decoder, which is how a test feeds a damaged
//! number), a JSON Lines record holds the values with their JSON types.

use std::ffi::OsString;
use std::path::Path;

use crate::ir::{FileFormat, Program, Test, TestRecord, TestValue};

/// Writes one file per source (empty when the test gives it no records, so the program never
/// reads a production file during a test) and one per lookup the test replaces, into `dir`.
/// Returns the program options naming them: `--source NAME=PATH`, `--lookup NAME=PATH`.
pub fn write_inputs(program: &Program, test: &Test, dir: &Path) -> std::io::Result<Vec<OsString>> {
    std::fs::create_dir_all(dir)?;
    let mut args = Vec::new();
    for source in &program.sources {
        let records = test
            .inputs
            .iter()
            .find(|r| r.name == source.name)
            .map_or(&[][..], |r| &r.records[..]);
        let columns = Columns::of(program, &source.entity);
        let path = write_file(dir, &source.name, source.file_format(), records, &columns)?;
        args.push("--source".into());
        args.push(name_is_path(&source.name, &path));
    }
    for replaced in &test.lookups {
        let Some(lookup) = program.lookups.iter().find(|l| l.name == replaced.name) else {
            continue; // the checker only lets a test replace a declared lookup
        };
        let columns = Columns::of(program, &lookup.entity);
        let path = write_file(
            dir,
            &lookup.name,
            lookup.format,
            &replaced.records,
            &columns,
        )?;
        args.push("--lookup".into());
        args.push(name_is_path(&lookup.name, &path));
    }
    Ok(args)
}

/// The columns of an entity, as a CSV file written for it needs them.
#[derive(Debug, Default)]
pub struct Columns<'p> {
    /// Every column, in the schema's order.
    pub all: Vec<&'p str>,
    /// Those of its required fields: a CSV source refuses a header without them.
    pub required: Vec<&'p str>,
}

impl<'p> Columns<'p> {
    fn of(program: &'p Program, entity: &str) -> Self {
        let Some(entity) = program.schema.entities.get(entity) else {
            return Columns::default();
        };
        Columns {
            all: entity.fields.iter().map(|f| f.external_name()).collect(),
            required: entity
                .required_columns()
                .map(|(column, _)| column)
                .collect(),
        }
    }
}

fn write_file(
    dir: &Path,
    name: &str,
    format: FileFormat,
    records: &[TestRecord],
    columns: &Columns,
) -> std::io::Result<std::path::PathBuf> {
    let (extension, text) = match format {
        FileFormat::Csv => ("csv", csv_text(records, columns)),
        // An XML source or lookup reads a test's records as JSON Lines, as a network source does.
        FileFormat::Jsonl | FileFormat::Xml => ("jsonl", jsonl_text(records)),
    };
    let path = dir.join(format!("{name}.{extension}"));
    std::fs::write(&path, text)?;
    Ok(path)
}

fn name_is_path(name: &str, path: &Path) -> OsString {
    let mut arg = OsString::from(format!("{name}="));
    arg.push(path.as_os_str());
    arg
}

/// A CSV file: the header is every key the records use, in the order first seen, then the
/// required columns no record names (or every column of the entity when the records name none:
/// a CSV file needs a header to be read at all); a key a record does not give, or gives as
/// `null`, is an empty cell. A key every record leaves out is a missing value, as one that some
/// record gives, not a column the file lacks (which the program refuses when it opens the file).
pub fn csv_text(records: &[TestRecord], columns: &Columns) -> String {
    let mut header: Vec<&str> = Vec::new();
    for record in records {
        for (key, _) in &record.fields {
            if !header.contains(&key.as_str()) {
                header.push(key);
            }
        }
    }
    if header.is_empty() {
        header = columns.all.clone();
    } else {
        for column in &columns.required {
            if !header.contains(column) {
                header.push(column);
            }
        }
    }
    let mut out = csv_row(header.iter().map(|h| h.to_string()).collect());
    for record in records {
        let row = header
            .iter()
            .map(|column| {
                record
                    .fields
                    .iter()
                    .find(|(key, _)| key == column)
                    .map_or(String::new(), |(_, value)| cell_text(value))
            })
            .collect();
        out.push_str(&csv_row(row));
    }
    out
}

fn csv_row(cells: Vec<String>) -> String {
    // A row of one empty cell would be a blank line, which CSV readers skip: quote it.
    let lone_empty = cells.len() == 1 && cells[0].is_empty();
    let quoted: Vec<String> = cells
        .into_iter()
        .map(|cell| {
            if lone_empty || cell.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", cell.replace('"', "\"\""))
            } else {
                cell
            }
        })
        .collect();
    quoted.join(",") + "\n"
}

/// A value as a CSV cell holds it. Floats keep a decimal point (`1.0`, not `1`), so a float
/// written in a test reads back as the same float.
fn cell_text(value: &TestValue) -> String {
    match value {
        TestValue::Null => String::new(),
        TestValue::Bool(b) => b.to_string(),
        TestValue::Int(i) => i.to_string(),
        TestValue::Float(f) => format!("{f:?}"),
        TestValue::String(s) => s.clone(),
    }
}

/// A JSON Lines file: one object per record with the keys in the order written (so the
/// dead letter's copy of a record reads like the test), `null` as JSON null.
pub fn jsonl_text(records: &[TestRecord]) -> String {
    let mut out = String::new();
    for record in records {
        let members: Vec<String> = record
            .fields
            .iter()
            .map(|(key, value)| format!("{}:{}", json_string(key), json_value(value)))
            .collect();
        out.push('{');
        out.push_str(&members.join(","));
        out.push_str("}\n");
    }
    out
}

/// A test value as JSON (for input files and for showing expectations).
pub fn json_value(value: &TestValue) -> serde_json::Value {
    match value {
        TestValue::Null => serde_json::Value::Null,
        TestValue::Bool(b) => (*b).into(),
        TestValue::Int(i) => (*i).into(),
        TestValue::Float(f) => (*f).into(),
        TestValue::String(s) => s.as_str().into(),
    }
}

fn json_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source_map::SourceMap;
    use crate::testing::record;

    #[test]
    fn every_source_and_each_replaced_lookup_gets_a_file_and_an_option() {
        let case =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/cases/tests/test_blocks.fdi");
        let program = crate::compile(&case, &mut SourceMap::new()).expect("the case checks");
        let dir = tempfile::tempdir().expect("temp dir");
        let args = write_inputs(&program, &program.tests[0], dir.path()).expect("written");
        let events = dir.path().join("events.jsonl");
        let machines = dir.path().join("machines.csv");
        assert_eq!(
            args,
            [
                "--source".into(),
                name_is_path("events", &events),
                "--lookup".into(),
                name_is_path("machines", &machines),
            ]
        );
        let events = std::fs::read_to_string(events).expect("events written");
        assert_eq!(events.lines().count(), 3);
        assert!(events.starts_with(r#"{"machine":"M1","work_order":"WO-000001","#));
        assert_eq!(
            std::fs::read_to_string(machines).expect("machines written"),
            "machine_code,equipment_id\nM1,EQ-0001\n"
        );
    }

    #[test]
    fn csv_header_is_the_union_of_keys_in_first_seen_order_then_the_required_columns() {
        let records = [
            record(&[
                ("b", TestValue::Int(1)),
                ("a", TestValue::String("x,y".into())),
            ]),
            record(&[
                ("c", TestValue::Bool(true)),
                ("a", TestValue::Null),
                ("b", TestValue::Float(2.0)),
            ]),
        ];
        assert_eq!(
            csv_text(
                &records,
                &Columns {
                    all: vec!["unused", "a", "d"],
                    required: vec!["a", "d"],
                }
            ),
            "b,a,c,d\n1,\"x,y\",,\n2.0,,true,\n"
        );
    }

    #[test]
    fn csv_without_records_has_the_entity_header() {
        let columns = Columns {
            all: vec!["id", "Speed"],
            required: vec!["id"],
        };
        assert_eq!(csv_text(&[], &columns), "id,Speed\n");
    }

    #[test]
    fn csv_quotes_a_lone_empty_cell_and_embedded_quotes() {
        let records = [
            record(&[("a", TestValue::Null)]),
            record(&[("a", TestValue::String("say \"hi\"\nthere".into()))]),
        ];
        assert_eq!(
            csv_text(&records, &Columns::default()),
            "a\n\"\"\n\"say \"\"hi\"\"\nthere\"\n"
        );
    }

    #[test]
    fn jsonl_keeps_types_order_and_null() {
        let records = [
            record(&[
                ("z", TestValue::Float(1.5)),
                ("a", TestValue::Null),
                ("s", TestValue::String("é\"".into())),
            ]),
            record(&[]),
        ];
        assert_eq!(
            jsonl_text(&records),
            "{\"z\":1.5,\"a\":null,\"s\":\"é\\\"\"}\n{}\n"
        );
    }
}
