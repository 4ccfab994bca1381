//! The data-check stage: the data files a checked mapping reads, where they exist at check time,
//! against the columns their entities require.
//!
//! Schema drift (an export that gains, loses or renames a column) is the most common way an
//! integration breaks, and the checker cannot see it: it knows the schema, not the files. This
//! stage reads the start of each source's and lookup's file through the compilation's loader (a
//! CSV file's header, the first [`SAMPLED_RECORDS`] records of a JSON Lines file) and reports
//! every required column the file lacks, labelled on the schema's field, with the closest column
//! the file has. The comparison and its words are the runtime's ([`EntityColumns`],
//! [`MissingColumns`]), which a CSV source uses when it opens such a file, so `fdi check` and the
//! program agree.
//!
//! A file that cannot be opened is not an error here: data files often exist only on the line.
//! Neither is a file this stage cannot make sense of (no header, not UTF-8, no JSON object in
//! its first lines): the program reports those when it reads them. What is read is a sample of
//! the program's input, not an input of the compilation, so it is not registered in the
//! [`SourceMap`] and the build manifest does not hash it.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use fdi_runtime::source::{EntityColumns, FileSample, MissingColumn, MissingColumns};

use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{FileFormat, Program};
use crate::schema::{Entity, Field};
use crate::source_map::SourceMap;

/// How many records of a JSON Lines file are read: a required key none of them has is missing.
pub const SAMPLED_RECORDS: usize = 100;

/// The most bytes read of a JSON Lines file, so that a file of one huge line costs no more.
const SAMPLED_BYTES: u64 = 16 * 1024 * 1024;

/// The most bytes read of an XML document to check a QIF document's units: as much as the
/// program reads (a bigger document is cut off here, does not parse, and is not checked).
const QIF_READ_BYTES: u64 = 64 * 1024 * 1024;

/// Checks the data files of `program`, the checked mapping at `mapping`, against their entities:
/// every source's and lookup's file that `sources`' loader can open. Paths in the mapping are
/// relative to the mapping's folder.
pub fn check_data(
    program: &Program,
    mapping: &Path,
    sources: &SourceMap,
) -> Result<(), Vec<Diagnostic>> {
    let folder = crate::mapping_folder(mapping);
    let readers = program
        .sources
        .iter()
        // Only file sources have a file to look at before the program runs.
        .filter_map(|s| {
            s.file()
                .map(|(format, path)| ("source", &s.name, format, path, &s.entity))
        })
        .chain(
            program
                .lookups
                .iter()
                .map(|l| ("lookup", &l.name, l.format, l.path.as_str(), &l.entity)),
        );
    let mut diagnostics = Vec::new();
    for (kind, name, format, path, entity) in readers {
        let Some(entity) = program.schema.entities.get(entity) else {
            continue;
        };
        let path = crate::normalize(&folder.join(path));
        // Absent (or unreadable) at check time: the file may exist only where the program runs,
        // which reports it when it opens the file.
        let Ok(file) = sources.open(&path) else {
            continue;
        };
        let sample = match format {
            FileFormat::Csv => csv_header(file),
            FileFormat::Jsonl => jsonl_keys(file),
            // Its records are elements the paths select, not columns: the program reports a
            // document it cannot read when it opens it. A QIF document states its units, which
            // its entity's lengths and angles must have (`crate::qif`).
            FileFormat::Xml => {
                let mut text = String::new();
                if file.take(QIF_READ_BYTES).read_to_string(&mut text).is_ok() {
                    diagnostics.extend(crate::qif::check_file_units(
                        &format!("{kind} `{name}`"),
                        &path,
                        entity,
                        &text,
                    ));
                }
                None
            }
        };
        let Some((sample, present)) = sample else {
            continue;
        };
        let required: Vec<(&str, &Field)> = entity.required_columns().collect();
        let names: Vec<&str> = required.iter().map(|(column, _)| *column).collect();
        let optional: Vec<&str> = entity.optional_columns().collect();
        let columns = EntityColumns {
            required: &names,
            optional: &optional,
        };
        let missing = columns.missing_from(present.iter().map(String::as_str));
        if missing.is_empty() {
            continue;
        }
        let finding = MissingColumns {
            reader: format!("{kind} `{name}`"),
            path,
            sample,
            missing,
        };
        diagnostics.push(diagnostic(&finding, entity, &required, sources));
    }
    if diagnostics.is_empty() {
        Ok(())
    } else {
        Err(diagnostics)
    }
}

/// The header of a CSV file, read as the program's CSV source reads it; `None` when there is none
/// to compare (an empty file) or it cannot be read.
fn csv_header(file: Box<dyn Read + '_>) -> Option<(FileSample, Vec<String>)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(file);
    let header = reader.headers().ok()?;
    if header.is_empty() {
        return None;
    }
    Some((
        FileSample::Header,
        header.iter().map(str::to_string).collect(),
    ))
}

/// The keys of the first records of a JSON Lines file (blank lines are not records, as for the
/// program's source); `None` when none of them is a JSON object.
fn jsonl_keys(file: Box<dyn Read + '_>) -> Option<(FileSample, Vec<String>)> {
    let mut keys = BTreeSet::new();
    let mut records = 0;
    let mut objects = 0;
    for line in BufReader::new(file.take(SAMPLED_BYTES)).lines() {
        let Ok(line) = line else {
            break;
        };
        if line.trim().is_empty() {
            continue;
        }
        records += 1;
        if let Ok(object) =
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&line)
        {
            objects += 1;
            keys.extend(object.into_iter().map(|(key, _)| key));
        }
        if records == SAMPLED_RECORDS {
            break;
        }
    }
    (objects > 0).then(|| {
        (
            FileSample::FirstRecords(records),
            keys.into_iter().collect(),
        )
    })
}

fn diagnostic(
    finding: &MissingColumns,
    entity: &Entity,
    required: &[(&str, &Field)],
    sources: &SourceMap,
) -> Diagnostic {
    let field_of = |missing: &MissingColumn| {
        required
            .iter()
            .find(|(column, _)| *column == missing.column)
            .map(|(_, field)| *field)
    };
    let word = match finding.sample {
        FileSample::Header => "column",
        FileSample::FirstRecords(_) => "key",
    };
    let mut diagnostic = Diagnostic::error(Code::DataFileLacksColumn, finding.to_string());
    let mut renames = Vec::new();
    for missing in &finding.missing {
        let Some(field) = field_of(missing) else {
            continue;
        };
        let text = match &field.column {
            Some(column) => format!(
                "`{}` reads {word} `{column}`, which the file lacks",
                entity.name
            ),
            None => format!("`{}` requires this {word}", entity.name),
        };
        diagnostic = diagnostic.label(field.span, text);
        if let Some(closest) = &missing.closest {
            renames.push(rename_fix(field, closest, sources));
        }
    }
    let file = match finding.sample {
        FileSample::Header => "file's header",
        FileSample::FirstRecords(_) => "file",
    };
    let help = if renames.is_empty() {
        format!(
            "correct the {file}, or the schema: a field the file may lack is `optional: true`, \
             and a field named otherwise in the file gives that name with `column:`"
        )
    } else {
        let renamed = if renames.len() == 1 {
            format!("its {word} was renamed")
        } else {
            format!("its {word}s were renamed")
        };
        format!(
            "if the file is right ({renamed}), say so in the schema: {}; otherwise correct the {file}",
            renames.join(", ")
        )
    };
    diagnostic.help(help)
}

/// The schema edit that makes `field` read the file's column `closest`, as the field is written:
/// a changed `column:`, an added one, or the short form `name: type` written out with one.
fn rename_fix(field: &Field, closest: &str, sources: &SourceMap) -> String {
    let column = yaml_scalar(closest);
    if field.column.is_some() {
        return format!("change `column:` of field `{}` to `{column}`", field.name);
    }
    match short_form(field, sources) {
        Some(ty) => format!(
            "`{}: {{ type: {}, column: {column} }}`",
            yaml_scalar(&field.name),
            yaml_scalar(ty)
        ),
        None => format!("add `column: {column}` to field `{}`", field.name),
    }
}

/// The type of a field written in the short form `name: type`, as written; `None` for a field
/// written as a mapping (`name: { type: ... }` or indented options).
fn short_form<'s>(field: &Field, sources: &'s SourceMap) -> Option<&'s str> {
    let text = &sources.get(field.span.file).text;
    let after_key = text.get(field.span.end..)?;
    let line = after_key.lines().next()?;
    let value = line.split_once(':')?.1;
    // A comment starts at ` #` outside quotes; types are never quoted with a `#` in them.
    let value = match value.find(" #") {
        Some(at) => &value[..at],
        None => value,
    }
    .trim();
    (!value.is_empty() && !value.starts_with('{')).then_some(value)
}

/// `text` as a YAML scalar in a flow mapping: plain when it can be, else double-quoted (JSON's
/// quoting is YAML's). An already quoted scalar is kept.
fn yaml_scalar(text: &str) -> String {
    let quoted = text.len() >= 2
        && ((text.starts_with('"') && text.ends_with('"'))
            || (text.starts_with('\'') && text.ends_with('\'')));
    // A plain `123`, `true` or `null` would be read as a number, a bool or nothing.
    let other_type = text.parse::<f64>().is_ok()
        || ["true", "false", "null", "yes", "no", "on", "off", "~"]
            .iter()
            .any(|word| text.eq_ignore_ascii_case(word));
    let plain = !text.is_empty()
        && !other_type
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
        && !text.starts_with(['-', '.']);
    if quoted || plain {
        text.to_string()
    } else {
        serde_json::Value::from(text).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::MemoryFiles;

    const SCHEMA: &str = "\
entities:
  Reading:
    fields:
      machine: string
      speed: { type: float, quality: true }
      load: float
      temp:
        type: float
        column: Temp C
      note: \"string?\"
  Out:
    fields:
      machine: string
";

    /// The mapping at `plant/line.fdi`, reading `path` (relative to `plant/`) as `format`.
    fn mapping(format: &str, path: &str) -> String {
        format!(
            "mapping t version \"1\"\n\
             schema \"schemas/s.yaml\"\n\
             source readings: {format}(\"{path}\") as Reading\n\
             target out: jsonl(\"out/o.jsonl\") as Out\n\
             flow f: readings -> out {{ machine = machine }}\n"
        )
    }

    /// The data check of the mapping reading `path` as `format`, with `files` (paths from the
    /// workspace of the compilation) held in memory beside the mapping and its schema.
    fn data_check(format: &str, path: &str, files: &[(&str, &str)]) -> Vec<String> {
        let mut memory = MemoryFiles::new()
            .with("plant/line.fdi", mapping(format, path))
            .with("plant/schemas/s.yaml", SCHEMA);
        for (path, text) in files {
            memory.insert(path, *text);
        }
        let mut sources = SourceMap::reading(memory);
        let mapping = Path::new("plant/line.fdi");
        let program = crate::compile(mapping, &mut sources).expect("the mapping checks");
        match check_data(&program, mapping, &sources) {
            Ok(()) => Vec::new(),
            Err(diagnostics) => diagnostics
                .iter()
                .map(|d| {
                    assert_eq!(d.code, Code::DataFileLacksColumn);
                    let labels: Vec<&str> = d.labels.iter().map(|l| l.text.as_str()).collect();
                    format!(
                        "{}\n{}\n{}",
                        d.message,
                        labels.join("\n"),
                        d.help.as_deref().unwrap_or("")
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn a_file_that_is_not_there_is_not_checked() {
        assert!(data_check("csv", "data/r.csv", &[]).is_empty());
    }

    #[test]
    fn optional_fields_and_quality_columns_are_not_required() {
        let header = "machine,speed,load,Temp C\n";
        assert!(data_check("csv", "data/r.csv", &[("plant/data/r.csv", header)]).is_empty());
    }

    #[test]
    fn paths_are_relative_to_the_mappings_folder() {
        let found = data_check(
            "csv",
            "../shared/r.csv",
            &[("shared/r.csv", "machine,speed,load,temp\n")],
        );
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with(
                "source `readings`: the header of shared/r.csv has no column `Temp C` \
                 (did you mean `temp`?)"
            ),
            "{}",
            found[0]
        );
        // The field reads a renamed column already: the fix changes its `column:`.
        assert!(
            found[0].contains("`Reading` reads column `Temp C`, which the file lacks"),
            "{}",
            found[0]
        );
        assert!(
            found[0].contains("change `column:` of field `temp` to `temp`"),
            "{}",
            found[0]
        );
    }

    #[test]
    fn every_missing_column_is_reported_once_with_the_file_and_the_fields() {
        let found = data_check(
            "csv",
            "data/r.csv",
            &[(
                "plant/data/r.csv",
                "Machine,speed_quality,Load\nM-1,GOOD,2\n",
            )],
        );
        assert_eq!(
            found,
            vec![
                "source `readings`: the header of plant/data/r.csv has no columns `machine` \
                 (did you mean `Machine`?), `speed`, `load` (did you mean `Load`?), `Temp C`\n\
                 `Reading` requires this column\n\
                 `Reading` requires this column\n\
                 `Reading` requires this column\n\
                 `Reading` reads column `Temp C`, which the file lacks\n\
                 if the file is right (its columns were renamed), say so in the schema: \
                 `machine: { type: string, column: Machine }`, \
                 `load: { type: float, column: Load }`; otherwise correct the file's header"
                    .to_string()
            ]
        );
    }

    #[test]
    fn an_empty_csv_file_has_no_header_to_compare() {
        assert!(data_check("csv", "data/r.csv", &[("plant/data/r.csv", "")]).is_empty());
    }

    #[test]
    fn a_key_of_any_of_the_first_records_is_present() {
        let records = "\
{\"machine\": \"M-1\", \"speed\": 1}

{\"load\": 2.5, \"Temp C\": 20}
[\"not an object\"]
";
        assert!(data_check("jsonl", "data/r.jsonl", &[("plant/data/r.jsonl", records)]).is_empty());
    }

    #[test]
    fn a_key_only_after_the_sampled_records_is_missing() {
        let mut records =
            "{\"machine\": \"M-1\", \"speed\": 1, \"Temp C\": 20}\n".repeat(SAMPLED_RECORDS);
        records.push_str("{\"load\": 2.5}\n");
        let found = data_check("jsonl", "data/r.jsonl", &[("plant/data/r.jsonl", &records)]);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with(
                "source `readings`: the first 100 records of plant/data/r.jsonl have no key `load`\n\
                 `Reading` requires this key\n\
                 correct the file, or the schema"
            ),
            "{}",
            found[0]
        );
    }

    #[test]
    fn a_jsonl_file_without_an_object_is_not_checked() {
        let found = data_check(
            "jsonl",
            "data/r.jsonl",
            &[("plant/data/r.jsonl", "machine,speed\nM-1,2\n")],
        );
        assert!(found.is_empty());
    }

    #[test]
    fn schema_edits_quote_what_yaml_would_read_otherwise() {
        assert_eq!(yaml_scalar("load_kw"), "load_kw");
        assert_eq!(yaml_scalar("Spindle Temp"), "\"Spindle Temp\"");
        assert_eq!(yaml_scalar("2024"), "\"2024\"");
        assert_eq!(yaml_scalar("No"), "\"No\"");
        assert_eq!(yaml_scalar(""), "\"\"");
        assert_eq!(yaml_scalar("a: b"), "\"a: b\"");
        assert_eq!(yaml_scalar("\"float[rpm]\""), "\"float[rpm]\"");
        assert_eq!(yaml_scalar("float[rpm]"), "\"float[rpm]\"");
    }
}
