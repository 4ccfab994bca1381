//! Checking sources, lookups, targets and the dead letter: names, entities, connectors, keys.

use super::{Checker, DeclKind, Declared};
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::ir::{self, FileFormat};
use crate::schema::{Entity, FieldType};
use crate::syntax::ast::{self, Connector, Ident};

impl<'a> Checker<'a> {
    pub(super) fn declarations(&mut self, file: &ast::MappingFile) -> Declared {
        let mut declared = Declared::default();
        let mut dead_letter_span = None;
        for item in &file.items {
            match item {
                ast::Item::Schema(_) => {}
                // Imports are merged by the imports stage; functions and tests are checked
                // after the declarations (check/functions.rs, check/tests.rs).
                ast::Item::Import(_) | ast::Item::Function(_) | ast::Item::Test(_) => {}
                ast::Item::Source(decl) => {
                    let named = self.declare(&decl.name, DeclKind::Source);
                    let format = self.file_format(&decl.connector, "source");
                    let entity = self.entity(&decl.entity);
                    let time_ok = match (&decl.time, entity) {
                        (Some(time), Some(entity)) => self.source_time(entity, time),
                        _ => true,
                    };
                    if let (true, Some(format), Some(entity), true) =
                        (named, format, entity, time_ok)
                    {
                        declared.sources.push(ir::Source {
                            name: decl.name.name.clone(),
                            format,
                            path: decl.connector.location.value.clone(),
                            entity: entity.name.clone(),
                            time_field: decl.time.as_ref().map(|t| t.name.clone()),
                        });
                    }
                }
                ast::Item::Lookup(decl) => {
                    let named = self.declare(&decl.name, DeclKind::Lookup);
                    let format = self.file_format(&decl.connector, "lookup");
                    let entity = self.entity(&decl.entity);
                    let key_ok = entity.is_some_and(|e| self.lookup_key(e, &decl.key));
                    let plain =
                        entity.is_none_or(|e| self.no_quality_fields(e, "lookup", &decl.name));
                    if let (true, Some(format), Some(entity), true, true) =
                        (named, format, entity, key_ok, plain)
                    {
                        declared.lookups.push(ir::Lookup {
                            name: decl.name.name.clone(),
                            format,
                            path: decl.connector.location.value.clone(),
                            entity: entity.name.clone(),
                            key_field: decl.key.name.clone(),
                        });
                    }
                }
                ast::Item::Target(decl) => {
                    let named = self.declare(&decl.name, DeclKind::Target);
                    let kind = self.target_kind(&decl.connector);
                    let entity = self.entity(&decl.entity);
                    let key_ok = entity.is_some_and(|e| self.target_key(e, &decl.key));
                    let plain =
                        entity.is_none_or(|e| self.no_quality_fields(e, "target", &decl.name));
                    let with_ok = decl.with.as_ref().is_none_or(|w| self.target_option(w));
                    if let (true, Some(kind), Some(entity), true, true, true) =
                        (named, kind, entity, key_ok, plain, with_ok)
                    {
                        declared.targets.push(ir::Target {
                            name: decl.name.name.clone(),
                            kind,
                            entity: entity.name.clone(),
                            key: decl.key.iter().map(|k| k.name.clone()).collect(),
                            provenance: decl.with.is_some(),
                        });
                    }
                }
                ast::Item::DeadLetter(connector) => {
                    if let Some(previous) = dead_letter_span {
                        self.report(
                            Diagnostic::error(
                                Code::DuplicateName,
                                "the dead letter is declared twice",
                            )
                            .label(connector.span, "declared again here")
                            .label(previous, "first declared here")
                            .help("a mapping has one dead-letter file; remove one declaration"),
                        );
                    }
                    dead_letter_span = Some(connector.span);
                    if self.connector(connector, &["jsonl"], &[], "dead letter") {
                        declared.dead_letter = Some(connector.location.value.clone());
                    }
                }
                ast::Item::Flow(flow) => {
                    self.declare(&flow.name, DeclKind::Flow);
                }
            }
        }
        declared
    }

    /// Registers a name; false (and a diagnostic) when it is taken.
    pub(super) fn declare(&mut self, name: &Ident, kind: DeclKind) -> bool {
        if let Some((previous_kind, previous)) = self.decls.get(&name.name).copied() {
            self.report(
                Diagnostic::error(
                    Code::DuplicateName,
                    format!("`{}` is declared twice", name.name),
                )
                .label(
                    name.span,
                    format!("declared again here as {}", kind.describe()),
                )
                .label(
                    previous,
                    format!("first declared here as {}", previous_kind.describe()),
                )
                .help(
                    "sources, lookups, targets, flows and functions share one namespace; rename one of them",
                ),
            );
            return false;
        }
        self.decls.insert(name.name.clone(), (kind, name.span));
        true
    }

    pub(super) fn entity(&mut self, name: &Ident) -> Option<&'a Entity> {
        if let Some(entity) = self.schema.entities.get(&name.name) {
            return Some(entity);
        }
        let (message, help) = if self.schema.identifiers.contains_key(&name.name)
            || self.schema.enums.contains_key(&name.name)
        {
            (
                format!("`{}` is a type of field, not an entity", name.name),
                "sources, lookups and targets read and write entities (records) declared under `entities:`".to_string(),
            )
        } else {
            (
                format!("unknown entity `{}`", name.name),
                did_you_mean(&name.name, self.schema.entities.keys().map(String::as_str))
                    .unwrap_or_else(|| "declare it under `entities:` in a schema file".to_string()),
            )
        };
        self.report(
            Diagnostic::error(Code::UnknownEntity, message)
                .label(name.span, "not an entity of the schemas")
                .help(help),
        );
        None
    }

    fn file_format(&mut self, connector: &Connector, role: &str) -> Option<FileFormat> {
        if !self.connector(connector, &["csv", "jsonl"], &[], role) {
            return None;
        }
        match connector.kind.name.as_str() {
            "csv" => Some(FileFormat::Csv),
            _ => Some(FileFormat::Jsonl),
        }
    }

    fn target_kind(&mut self, connector: &Connector) -> Option<ir::TargetKind> {
        if !self.connector(connector, &["sqlite", "jsonl"], &["table"], "target") {
            return None;
        }
        let path = connector.location.value.clone();
        match connector.kind.name.as_str() {
            "sqlite" => {
                let table = connector.options.iter().find(|(k, _)| k.name == "table");
                match table {
                    Some((_, table)) => Some(ir::TargetKind::Sqlite {
                        path,
                        table: table.value.clone(),
                    }),
                    None => {
                        self.report(
                            Diagnostic::error(
                                Code::UnknownConnector,
                                "a sqlite target needs a table",
                            )
                            .label(connector.span, "no `table:` given")
                            .help(format!(
                                "write sqlite(\"{}\", table: \"name\")",
                                connector.location.value
                            )),
                        );
                        None
                    }
                }
            }
            _ => {
                if let Some((key, _)) = connector.options.iter().find(|(k, _)| k.name == "table") {
                    self.report(
                        Diagnostic::error(Code::UnknownConnector, "a jsonl target has no table")
                            .label(key.span, "only sqlite targets take `table:`")
                            .help("remove the option, or write to sqlite(...)"),
                    );
                    return None;
                }
                Some(ir::TargetKind::Jsonl { path })
            }
        }
    }

    /// Checks the connector's kind against what the role allows, and its options.
    fn connector(
        &mut self,
        connector: &Connector,
        kinds: &[&str],
        options: &[&str],
        role: &str,
    ) -> bool {
        let mut ok = true;
        if !kinds.contains(&connector.kind.name.as_str()) {
            let hint = did_you_mean(&connector.kind.name, kinds.iter().copied());
            self.report(
                Diagnostic::error(
                    Code::UnknownConnector,
                    format!("`{}` is not a connector for a {role}", connector.kind.name),
                )
                .label(connector.kind.span, "unknown connector")
                .help(hint.unwrap_or_else(|| format!("a {role} can be {}", list(kinds)))),
            );
            ok = false;
        }
        if connector.location.value.trim().is_empty() {
            self.report(
                Diagnostic::error(
                    Code::UnknownConnector,
                    format!("the {role} has an empty path"),
                )
                .label(connector.location.span, "empty")
                .help("give a file path, relative to the mapping file's folder"),
            );
            ok = false;
        }
        for (key, _) in &connector.options {
            if !options.contains(&key.name.as_str()) {
                let help = did_you_mean(&key.name, options.iter().copied()).unwrap_or_else(|| {
                    if options.is_empty() {
                        format!("`{}` takes no options", connector.kind.name)
                    } else {
                        format!("the options are {}", list(options))
                    }
                });
                self.report(
                    Diagnostic::error(
                        Code::UnknownConnector,
                        format!("unknown option `{}`", key.name),
                    )
                    .label(key.span, "not an option here")
                    .help(help),
                );
                ok = false;
            }
        }
        ok
    }

    /// `with WORD` on a target: only `with provenance` exists.
    fn target_option(&mut self, word: &Ident) -> bool {
        if word.name == "provenance" {
            return true;
        }
        self.report(
            Diagnostic::error(
                Code::UnknownTargetOption,
                format!("a target cannot be written `with {}`", word.name),
            )
            .label(word.span, "not `provenance`")
            .help(did_you_mean(&word.name, ["provenance"]).unwrap_or_else(|| {
                "`with provenance` writes, beside each record, where it came from; leave the clause out otherwise".to_string()
            })),
        );
        false
    }

    /// `time FIELD` on a source: a required, plain timestamp field of its entity.
    fn source_time(&mut self, entity: &Entity, time: &Ident) -> bool {
        let timestamps = || {
            entity
                .fields
                .iter()
                .filter(|f| f.ty == FieldType::Timestamp && !f.optional && f.quality.is_none())
                .map(|f| f.name.as_str())
        };
        let Some(field) = entity.field(&time.name) else {
            self.report(
                Diagnostic::error(
                    Code::BadSourceTime,
                    format!("`{}` has no field `{}`", entity.name, time.name),
                )
                .label(time.span, "unknown field")
                .label(entity.span, format!("`{}` is declared here", entity.name))
                .maybe_help(did_you_mean(&time.name, timestamps())),
            );
            return false;
        };
        let problem = if field.ty != FieldType::Timestamp {
            Some("not a timestamp field")
        } else if field.optional {
            Some("this field is optional")
        } else if field.quality.is_some() {
            Some("this field carries a quality")
        } else {
            None
        };
        let Some(problem) = problem else {
            return true;
        };
        let candidates: Vec<&str> = timestamps().collect();
        let help = if candidates.is_empty() {
            format!("`{}` has no required timestamp field; leave `time` out and provenance records when each record was read", entity.name)
        } else {
            format!(
                "a source's time is a required timestamp field: {}",
                list(&candidates)
            )
        };
        self.report(
            Diagnostic::error(
                Code::BadSourceTime,
                format!("`{}` cannot be the time of the source's records", time.name),
            )
            .label(time.span, problem)
            .label(field.span, "declared here")
            .help(help),
        );
        false
    }

    fn lookup_key(&mut self, entity: &Entity, key: &Ident) -> bool {
        let Some(field) = entity.field(&key.name) else {
            self.report(
                Diagnostic::error(
                    Code::BadLookupKey,
                    format!("`{}` has no field `{}`", entity.name, key.name),
                )
                .label(key.span, "unknown field")
                .label(entity.span, format!("`{}` is declared here", entity.name))
                .maybe_help(did_you_mean(&key.name, entity.field_names())),
            );
            return false;
        };
        let usable = matches!(
            field.ty,
            FieldType::String | FieldType::Identifier(_) | FieldType::Int
        );
        if !usable || field.optional {
            self.report(
                Diagnostic::error(
                    Code::BadLookupKey,
                    format!("`{}` cannot be a lookup key", key.name),
                )
                .label(
                    key.span,
                    if field.optional {
                        "this field is optional"
                    } else {
                        "not a string, int or identifier"
                    },
                )
                .label(field.span, "declared here")
                .help("a lookup key is a required string, int or identifier field"),
            );
            return false;
        }
        true
    }

    fn target_key(&mut self, entity: &Entity, key: &[Ident]) -> bool {
        let mut ok = true;
        for (i, k) in key.iter().enumerate() {
            if key[..i].iter().any(|earlier| earlier.name == k.name) {
                self.report(
                    Diagnostic::error(
                        Code::BadTargetKey,
                        format!("`{}` is listed twice in the key", k.name),
                    )
                    .label(k.span, "listed again")
                    .help("list each key field once"),
                );
                ok = false;
                continue;
            }
            match entity.field(&k.name) {
                None => {
                    self.report(
                        Diagnostic::error(
                            Code::BadTargetKey,
                            format!("`{}` has no field `{}`", entity.name, k.name),
                        )
                        .label(k.span, "unknown key field")
                        .label(entity.span, format!("`{}` is declared here", entity.name))
                        .maybe_help(did_you_mean(&k.name, entity.field_names())),
                    );
                    ok = false;
                }
                Some(field) if field.optional => {
                    self.report(
                        Diagnostic::error(
                            Code::BadTargetKey,
                            format!("key field `{}` is optional", k.name),
                        )
                        .label(k.span, "an optional field cannot be part of a key")
                        .label(field.span, "declared optional here")
                        .help("make the field required in the schema, or choose another key"),
                    );
                    ok = false;
                }
                Some(field) if field.ty == FieldType::Float => {
                    self.report(
                        Diagnostic::error(
                            Code::BadTargetKey,
                            format!("key field `{}` is a float", k.name),
                        )
                        .label(k.span, "floats are not reliable keys")
                        .label(field.span, "declared here")
                        .help("use a string, int, timestamp, enum or identifier field as key"),
                    );
                    ok = false;
                }
                Some(_) => {}
            }
        }
        ok
    }
}

fn list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        many => format!(
            "{} or {}",
            many[..many.len() - 1].join(", "),
            many[many.len() - 1]
        ),
    }
}
