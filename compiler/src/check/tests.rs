//! Checking `test` blocks: what they feed and expect must exist in the mapping, with values of
//! the right kind, so a test fails only when the mapping is wrong, never because of a typo in
//! the test.
//!
//! Input records are written as the source file would hold them: a field may be given as text
//! even when it is a number (that is how a damaged value is tested), or as `null` for a
//! missing value. Expected records are what the target receives, so their values must have the
//! field's type. Keys are the schema's field names; the typed test speaks of external (column)
//! names, which is what files and the program's captured output use.

use super::{Checker, Declared};
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::ir::{self, TestRecord, TestRecords, TestValue, DEAD_LETTER};
use crate::schema::{Entity, Field, FieldType};
use crate::syntax::ast::{self, Ident, RecordLit, TestPart, ValueKind};

/// The keys an expected dead-letter record may have, as the dead-letter file names them.
const DEAD_LETTER_KEYS: &[&str] = &["flow", "reason", "stage", "detail", "source", "position"];

/// Whether a record is fed into the program or expected from it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Input,
    Expected,
}

impl<'a> Checker<'a> {
    pub(super) fn tests(&mut self, file: &ast::MappingFile, declared: &Declared) -> Vec<ir::Test> {
        let mut tests: Vec<ir::Test> = Vec::new();
        for item in &file.items {
            let ast::Item::Test(test) = item else {
                continue;
            };
            if let Some(previous) = tests.iter().find(|t| t.name == test.name.value) {
                self.report(
                    Diagnostic::error(
                        Code::BadTest,
                        format!("two tests are named \"{}\"", test.name.value),
                    )
                    .label(test.name.span, "named again here")
                    .label(previous.span, "first test of that name")
                    .help("give each test its own name, so a failure report says which one failed"),
                );
                continue;
            }
            if let Some(checked) = self.test(test, declared) {
                tests.push(checked);
            }
        }
        tests
    }

    fn test(&mut self, test: &ast::TestDecl, declared: &Declared) -> Option<ir::Test> {
        let duplicates_ok = self.no_duplicate_blocks(test);
        let mut checked = ir::Test {
            name: test.name.value.clone(),
            span: test.name.span,
            inputs: Vec::new(),
            lookups: Vec::new(),
            expects: Vec::new(),
        };
        let mut ok = true;
        for part in &test.parts {
            let result = match part {
                TestPart::Input { source, records } => self
                    .test_input(source, records, declared)
                    .map(|r| checked.inputs.push(r)),
                TestPart::Lookup { lookup, records } => self
                    .test_lookup(lookup, records, declared)
                    .map(|r| checked.lookups.push(r)),
                TestPart::Expect { target, records } => self
                    .test_expect(target, records, declared)
                    .map(|r| checked.expects.push(r)),
            };
            ok &= result.is_some();
        }
        if test
            .parts
            .iter()
            .all(|p| !matches!(p, TestPart::Input { .. }))
        {
            self.report(
                Diagnostic::error(
                    Code::BadTest,
                    format!("test \"{}\" gives no input", test.name.value),
                )
                .label(test.name.span, "no `input` block")
                .help(
                    "give the records a source delivers with `input SOURCE { { field: value } }`",
                ),
            );
            ok = false;
        }
        (ok && duplicates_ok).then_some(checked)
    }

    /// One block per source, lookup and target in a test: two would be merged or one
    /// ignored, and neither is what the author meant.
    fn no_duplicate_blocks(&mut self, test: &ast::TestDecl) -> bool {
        let mut seen: Vec<(&str, &str, &Ident)> = Vec::new();
        let mut ok = true;
        for part in &test.parts {
            let (kind, name) = match part {
                TestPart::Input { source, .. } => ("input", source),
                TestPart::Lookup { lookup, .. } => ("lookup", lookup),
                TestPart::Expect { target, .. } => ("expect", target),
            };
            if let Some((_, _, first)) = seen.iter().find(|(k, n, _)| *k == kind && *n == name.name)
            {
                self.report(
                    Diagnostic::error(
                        Code::BadTest,
                        format!("`{kind} {}` is given twice in one test", name.name),
                    )
                    .label(name.span, "given again here")
                    .label(first.span, "first given here")
                    .help("put all of its records in one block"),
                );
                ok = false;
            } else {
                seen.push((kind, &name.name, name));
            }
        }
        ok
    }

    fn test_input(
        &mut self,
        name: &Ident,
        records: &[RecordLit],
        declared: &Declared,
    ) -> Option<TestRecords> {
        let source = declared.source(&name.name);
        let found = source.map(|s| (s.entity.as_str(), s.file_format()));
        let names = declared.sources.iter().map(|s| s.name.as_str());
        // A broker message's topic is given beside its fields, as `_fdi_topic`.
        let (records, topics) = self.test_topics(source, records)?;
        let mut fed = self.test_feed(name, &records, found, "source", names)?;
        for (record, topic) in fed.records.iter_mut().zip(topics) {
            if let Some(topic) = topic {
                record
                    .fields
                    .push((ir::TEST_TOPIC_KEY.to_string(), TestValue::String(topic)));
            }
        }
        Some(fed)
    }

    fn test_lookup(
        &mut self,
        name: &Ident,
        records: &[RecordLit],
        declared: &Declared,
    ) -> Option<TestRecords> {
        let found = declared
            .lookup(&name.name)
            .map(|l| (l.entity.as_str(), l.format));
        let names = declared.lookups.iter().map(|l| l.name.as_str());
        self.test_feed(name, records, found, "lookup", names)
    }

    /// Records a test feeds to a source or lookup (`found`: its entity and file format).
    fn test_feed<'n>(
        &mut self,
        name: &Ident,
        records: &[RecordLit],
        found: Option<(&str, ir::FileFormat)>,
        what: &str,
        names: impl Iterator<Item = &'n str>,
    ) -> Option<TestRecords> {
        let Some((entity, format)) = found else {
            self.unknown_in_test(name, what, names);
            return None;
        };
        let entity = &self.schema.entities[entity];
        let records = self.test_records(entity, records, Direction::Input)?;
        Some(TestRecords {
            name: name.name.clone(),
            format: Some(format),
            records,
        })
    }

    fn test_expect(
        &mut self,
        name: &Ident,
        records: &[RecordLit],
        declared: &Declared,
    ) -> Option<TestRecords> {
        if name.name == DEAD_LETTER {
            return self
                .dead_letter_records(records)
                .map(|records| TestRecords {
                    name: DEAD_LETTER.to_string(),
                    format: None,
                    records,
                });
        }
        let Some(target) = declared.target(&name.name) else {
            let names = declared
                .targets
                .iter()
                .map(|t| t.name.as_str())
                .chain([DEAD_LETTER]);
            self.unknown_in_test(name, "target", names);
            return None;
        };
        let entity = &self.schema.entities[&target.entity];
        let records = self.test_records(entity, records, Direction::Expected)?;
        Some(TestRecords {
            name: name.name.clone(),
            format: None,
            records,
        })
    }

    fn unknown_in_test<'n>(
        &mut self,
        name: &Ident,
        what: &str,
        names: impl Iterator<Item = &'n str>,
    ) {
        // Declared, but its declaration had errors of its own, already reported.
        let kind = match what {
            "source" => Some(super::DeclKind::Source),
            "lookup" => Some(super::DeclKind::Lookup),
            "target" => Some(super::DeclKind::Target),
            _ => None,
        };
        if kind.is_some() && self.decls.get(&name.name).map(|(k, _)| *k) == kind {
            return;
        }
        let names: Vec<&str> = names.collect();
        let help = did_you_mean(&name.name, names.iter().copied()).unwrap_or_else(|| {
            if names.is_empty() {
                format!("the mapping declares no {what}")
            } else {
                format!("the mapping's {what}s are {}", names.join(", "))
            }
        });
        self.report(
            Diagnostic::error(
                Code::BadTest,
                format!(
                    "the test names {what} `{}`, which the mapping does not declare",
                    name.name
                ),
            )
            .label(name.span, format!("not a {what} of this mapping"))
            .help(help),
        );
    }

    fn test_records(
        &mut self,
        entity: &Entity,
        records: &[RecordLit],
        direction: Direction,
    ) -> Option<Vec<TestRecord>> {
        let mut out = Vec::new();
        let mut ok = true;
        for record in records {
            let mut fields = Vec::new();
            for (key, value) in &record.fields {
                match self.test_field(entity, record, key, value, direction) {
                    Some(field) => fields.push(field),
                    None => ok = false,
                }
            }
            out.push(TestRecord {
                fields,
                span: record.span,
            });
        }
        ok.then_some(out)
    }

    fn test_field(
        &mut self,
        entity: &Entity,
        record: &RecordLit,
        key: &Ident,
        value: &ast::ValueLit,
        direction: Direction,
    ) -> Option<(String, TestValue)> {
        let sample_column = entity.fields.iter().find_map(|f| {
            let columns = f.quality.as_ref()?;
            (columns.quality == key.name || columns.timestamp == key.name).then_some(f)
        });
        if let (Some(_), Direction::Input) = (sample_column, direction) {
            // A quality or source-timestamp column of a sample: text, as the source holds it.
            return match &value.kind {
                ValueKind::String(_) | ValueKind::Null | ValueKind::Int(_) => {
                    Some((key.name.clone(), test_value(&value.kind)))
                }
                _ => {
                    self.report(
                        Diagnostic::error(Code::BadTest, format!("column `{}` cannot hold this value", key.name))
                            .label(value.span, "expected text")
                            .help("a quality is written as GOOD, UNCERTAIN, BAD, an OPC UA status name or code; a source timestamp as text"),
                    );
                    None
                }
            };
        }
        let field = entity.field(&key.name).or_else(|| {
            // A column named as the file names it (`"Speed RPM"` for `speed_rpm`).
            let by_column = entity.fields.iter().find(|f| f.external_name() == key.name);
            by_column.filter(|_| direction == Direction::Input)
        });
        let Some(field) = field else {
            if direction == Direction::Input {
                if let Some(column) = extra_input_column(entity, record, key, value) {
                    return Some(column);
                }
            }
            self.report(
                Diagnostic::error(
                    Code::BadTest,
                    format!("`{}` has no field `{}`", entity.name, key.name),
                )
                .label(key.span, "unknown field")
                .label(entity.span, format!("`{}` is declared here", entity.name))
                .maybe_help(did_you_mean(&key.name, entity.field_names())),
            );
            return None;
        };
        if let Some(expected) = value_problem(field, &value.kind, direction) {
            self.report(
                Diagnostic::error(
                    Code::BadTest,
                    format!("field `{}` of `{}` cannot hold this value", field.name, entity.name),
                )
                .label(value.span, format!("expected {expected}"))
                .label(field.span, "the field is declared here")
                .help(match direction {
                    Direction::Input => "input values are written as the source file holds them: text is always allowed, `null` means missing",
                    Direction::Expected => "an expected value has the field's type: a number for int and float fields, text for strings, identifiers, enum codes and timestamps, `null` only for optional fields",
                }),
            );
            return None;
        }
        let checked = match direction {
            Direction::Input => test_value(&value.kind),
            Direction::Expected => self.expected_value(field, value)?,
        };
        Some((field.external_name().to_string(), checked))
    }

    /// An expected value as the program writes it, checked against the field's rules: an enum
    /// code must exist, an identifier must pass its rules, and a timestamp is compared in the
    /// program's own form (RFC 3339 in UTC), however the test writes it.
    fn expected_value(&mut self, field: &Field, value: &ast::ValueLit) -> Option<TestValue> {
        let ValueKind::String(text) = &value.kind else {
            return Some(test_value(&value.kind));
        };
        let problem = match &field.ty {
            FieldType::Enum(name) => {
                let codes = &self.schema.enums[name].codes;
                (!codes.contains(text)).then(|| {
                    (
                        format!("`{text}` is not a code of `{name}`"),
                        // The value stays a string in a test record: the suggestion is quoted.
                        crate::diagnostic::closest(text, codes.iter().map(String::as_str))
                            .map(|code| format!("did you mean `{}`?", crate::format::quote(code)))
                            .unwrap_or_else(|| format!("the codes are {}", codes.join(", "))),
                    )
                })
            }
            FieldType::Identifier(name) => {
                let id_type = &self.schema.identifiers[name];
                fdi_runtime::validate_id(&id_type.spec(), text)
                    .err()
                    .map(|why| {
                        (
                            why,
                            "the program can only write identifiers that pass their rules"
                                .to_string(),
                        )
                    })
            }
            FieldType::Timestamp => match fdi_runtime::Timestamp::parse(text) {
                Ok(instant) => return Some(TestValue::String(instant.to_rfc3339())),
                Err(failure) => Some((
                    failure.detail().to_string(),
                    "write an expected timestamp with its offset, such as \"2026-03-01T12:00:00Z\""
                        .to_string(),
                )),
            },
            _ => None,
        };
        if let Some((message, help)) = problem {
            self.report(
                Diagnostic::error(
                    Code::BadTest,
                    format!("field `{}` can never hold this value", field.name),
                )
                .label(value.span, message)
                .label(field.span, "the field is declared here")
                .help(help),
            );
            return None;
        }
        Some(test_value(&value.kind))
    }

    fn dead_letter_records(&mut self, records: &[RecordLit]) -> Option<Vec<TestRecord>> {
        let mut out = Vec::new();
        let mut ok = true;
        for record in records {
            let mut fields = Vec::new();
            for (key, value) in &record.fields {
                if !DEAD_LETTER_KEYS.contains(&key.name.as_str()) {
                    self.report(
                        Diagnostic::error(
                            Code::BadTest,
                            format!("a rejected record has no `{}`", key.name),
                        )
                        .label(key.span, "unknown key")
                        .help(
                            did_you_mean(&key.name, DEAD_LETTER_KEYS.iter().copied())
                                .unwrap_or_else(|| {
                                    format!(
                                        "an expected reject may give {}",
                                        DEAD_LETTER_KEYS.join(", ")
                                    )
                                }),
                        ),
                    );
                    ok = false;
                    continue;
                }
                let is_position = key.name == "position";
                let fits = match &value.kind {
                    ValueKind::Int(_) => is_position,
                    ValueKind::String(_) => !is_position,
                    // A record that fails to decode reaches no flow: `flow: null` says so.
                    ValueKind::Null => key.name == "flow",
                    _ => false,
                };
                if !fits {
                    self.report(
                        Diagnostic::error(Code::BadTest, format!("`{}` of a rejected record cannot hold this value", key.name))
                            .label(value.span, if is_position { "expected an int" } else { "expected text" })
                            .help("`position` is the record's 1-based position in its source; the other keys are text, and `flow` may be `null` for a record that failed to decode"),
                    );
                    ok = false;
                    continue;
                }
                fields.push((key.name.clone(), test_value(&value.kind)));
            }
            out.push(TestRecord {
                fields,
                span: record.span,
            });
        }
        ok.then_some(out)
    }
}

/// What the field needed, when the value does not fit it.
fn value_problem(field: &Field, value: &ValueKind, direction: Direction) -> Option<&'static str> {
    let input = direction == Direction::Input;
    let fits = match (value, &field.ty) {
        (ValueKind::Null, _) => input || field.optional,
        (ValueKind::String(_), FieldType::Int | FieldType::Float | FieldType::Bool) => input,
        (ValueKind::String(_), _) => true,
        (ValueKind::Int(_), FieldType::Int | FieldType::Float) => true,
        (ValueKind::Float(_), FieldType::Float) => true,
        (ValueKind::Bool(_), FieldType::Bool) => true,
        // An int-based identifier is written as a number.
        (ValueKind::Int(_), FieldType::Identifier(_)) => true,
        _ => false,
    };
    if fits {
        return None;
    }
    Some(match (&field.ty, value) {
        (_, ValueKind::Null) => "a value: the field is not optional",
        (FieldType::Int, _) => "an int",
        (FieldType::Float, _) => "a number",
        (FieldType::Bool, _) => "`true` or `false`",
        (FieldType::Timestamp, _) => "a timestamp as text",
        (FieldType::Enum(_), _) => "an enum code as text",
        (FieldType::Identifier(_), _) => "an identifier as text",
        (FieldType::String, _) => "text",
    })
}

fn test_value(value: &ValueKind) -> TestValue {
    match value {
        ValueKind::Null => TestValue::Null,
        ValueKind::Bool(b) => TestValue::Bool(*b),
        ValueKind::Int(i) => TestValue::Int(*i),
        ValueKind::Float(f) => TestValue::Float(*f),
        ValueKind::String(s) => TestValue::String(s.clone()),
    }
}

/// An input key that is no field of the entity: a column of the real file that the mapping does
/// not read, written to the test's file as it is (the program ignores columns its entity does not
/// declare), so that a test record can have the real file's shape. Unless the key is close to a
/// field's name that the record does not give: that is a misspelt field, which would otherwise
/// leave the field empty without a word.
fn extra_input_column(
    entity: &Entity,
    record: &RecordLit,
    key: &Ident,
    value: &ast::ValueLit,
) -> Option<(String, TestValue)> {
    let given = |field: &Field| {
        let names = [field.name.as_str(), field.external_name()];
        record
            .fields
            .iter()
            .any(|(k, _)| names.contains(&k.name.as_str()))
    };
    let missing = entity
        .fields
        .iter()
        .filter(|field| !given(field))
        .map(|field| field.name.as_str());
    if crate::diagnostic::closest(&key.name, missing).is_some() {
        return None;
    }
    Some((key.name.clone(), test_value(&value.kind)))
}
