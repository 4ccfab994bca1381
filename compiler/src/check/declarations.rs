//! Checking sources, lookups, targets and the dead letter: names, entities, connectors, keys.

use super::{Checker, DeclKind, Declared};
use crate::connectors::{check_connector, Checked, Role};
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
                // Checked after the declarations, before the flows (check/per_source.rs).
                ast::Item::PerSource(_) => {}
                ast::Item::Source(decl) => {
                    let named = self.declare(&decl.name, DeclKind::Source);
                    let kind = self.source_kind(&decl.connector);
                    let entity = self.entity(&decl.entity);
                    let kind = match (kind, entity) {
                        (Some(kind), Some(entity)) => {
                            self.http_source(kind, entity, &decl.connector)
                        }
                        (kind, _) => kind,
                    };
                    let kind =
                        kind.filter(|k| entity.is_none_or(|e| self.opcua_source_fields(k, e)));
                    let kind =
                        kind.filter(|k| entity.is_none_or(|e| self.mtconnect_source_fields(k, e)));
                    let time_ok = match (&decl.time, entity) {
                        (Some(time), Some(entity)) => self.source_time(entity, time),
                        _ => true,
                    };
                    let modbus_ok = match (&kind, entity) {
                        (Some(ir::SourceKind::Modbus { .. }), Some(entity)) => {
                            self.modbus_source_entity(entity, &decl.entity)
                        }
                        _ => true,
                    };
                    let paths_ok = match (&kind, entity) {
                        (Some(kind), Some(entity)) => self.xml_paths(
                            entity,
                            matches!(kind, ir::SourceKind::Xml { .. }),
                            &format!("source `{}`", decl.name.name),
                            &decl.connector,
                        ),
                        _ => true,
                    };
                    if let (true, Some(kind), Some(entity), true, true, true) =
                        (named, kind, entity, time_ok, modbus_ok, paths_ok)
                    {
                        declared.sources.push(ir::Source {
                            name: decl.name.name.clone(),
                            kind,
                            entity: entity.name.clone(),
                            time_field: decl.time.as_ref().map(|t| t.name.clone()),
                        });
                    }
                }
                ast::Item::Lookup(decl) => {
                    let named = self.declare(&decl.name, DeclKind::Lookup);
                    let file = self.lookup_file(&decl.connector);
                    let entity = self.entity(&decl.entity);
                    let key_ok = entity.is_some_and(|e| self.lookup_key_fields(e, &decl.key));
                    let plain =
                        entity.is_none_or(|e| self.no_quality_fields(e, "lookup", &decl.name));
                    let paths_ok = match (&file, entity) {
                        (Some((format, ..)), Some(entity)) => self.xml_paths(
                            entity,
                            *format == FileFormat::Xml,
                            &format!("lookup `{}`", decl.name.name),
                            &decl.connector,
                        ),
                        _ => true,
                    };
                    if let (true, Some((format, path, records)), Some(entity), true, true, true) =
                        (named, file, entity, key_ok, plain, paths_ok)
                    {
                        declared.lookups.push(ir::Lookup {
                            name: decl.name.name.clone(),
                            format,
                            path,
                            entity: entity.name.clone(),
                            key_fields: decl.key.iter().map(|k| k.name.clone()).collect(),
                            records,
                        });
                    }
                }
                ast::Item::Target(decl) => {
                    let named = self.declare(&decl.name, DeclKind::Target);
                    let kind = self.target_kind(&decl.connector);
                    let entity = self.entity(&decl.entity);
                    let kind = match (kind, entity) {
                        (Some(kind), Some(entity)) => self.http_target(kind, entity, decl),
                        (kind, _) => kind,
                    };
                    let kind =
                        kind.filter(|k| entity.is_none_or(|e| self.opcua_write_fields(k, e)));
                    let key_ok = entity.is_some_and(|e| self.target_key(e, &decl.key));
                    let plain =
                        entity.is_none_or(|e| self.no_quality_fields(e, "target", &decl.name));
                    let with_ok = decl.with.as_ref().is_none_or(|w| self.target_option(w));
                    let numeric_ok = entity.is_none_or(|e| self.numeric_fields(e, &decl.connector));
                    let modbus_ok = match (&kind, entity) {
                        (Some(ir::TargetKind::Modbus { .. }), Some(entity)) => {
                            self.modbus_target_entity(entity, &decl.entity)
                        }
                        (Some(ir::TargetKind::Xml { .. }), Some(entity)) => {
                            let mut problems = crate::xml::check_written_entity(entity);
                            if let Some(with) = &decl.with {
                                problems.push(crate::xml::provenance_refused(with.span));
                            }
                            let ok = problems.is_empty();
                            self.reported(if ok { Ok(()) } else { Err(problems) });
                            ok
                        }
                        _ => true,
                    };
                    if let (true, Some(kind), Some(entity), true, true, true, true, true) = (
                        named, kind, entity, key_ok, plain, with_ok, numeric_ok, modbus_ok,
                    ) {
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
                    if let Some(c) = self.checked_connector(connector, Role::DeadLetter) {
                        declared.dead_letter = c.file;
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

    /// The connector of a `role` declaration, checked against the connector table.
    fn checked_connector(&mut self, connector: &Connector, role: Role) -> Option<Checked> {
        match check_connector(connector, role) {
            Ok(checked) => {
                self.runtime_features.extend(checked.runtime_features());
                Some(checked)
            }
            Err(problems) => {
                for problem in problems {
                    self.report(problem);
                }
                None
            }
        }
    }

    fn source_kind(&mut self, connector: &Connector) -> Option<ir::SourceKind> {
        let c = self.checked_connector(connector, Role::Source)?;
        Some(match c.spec.kind {
            "mqtt" => ir::SourceKind::Mqtt {
                connection: c.text("connection").to_string(),
                topics: c.texts("topics"),
                filter_spans: c.spans("topics"),
                qos: c.int("qos") as u8,
                payload: self.message_payload(connector, &c)?,
            },
            "postgres" => ir::SourceKind::Postgres {
                connection: c.text("connection").to_string(),
                table: c.text("table").to_string(),
                watermark: c.text("watermark").to_string(),
                tiebreaker: Some(c.text("tiebreaker"))
                    .filter(|t| !t.is_empty())
                    .map(str::to_string),
                poll_interval_ms: c.duration_ms("poll_interval"),
                page: c.int("page") as u32,
            },
            "http" => ir::SourceKind::Http {
                connection: c.text("connection").to_string(),
                path: c.text("path").to_string(),
                records: c.text("records").to_string(),
                watermark: c.text("watermark").to_string(),
                poll_interval_ms: c.duration_ms("poll_interval"),
            },
            "opcua" => self.reported(crate::opcua::source_kind(connector, &c))?,
            "mtconnect" | "shdr" | "mtconnect_adapter" => {
                self.reported(crate::mtconnect::source_kind(connector, &c))?
            }
            "modbus" => ir::SourceKind::Modbus {
                connection: c.text("connection").to_string(),
                unit_id: c.int("unit_id") as u8,
                poll_interval_ms: c.duration_ms("poll_interval"),
                on_change: c.text("emit") == "change",
            },
            "xml" => ir::SourceKind::Xml {
                records: self.reported(crate::xml::records_path(connector, &c))?,
                path: c.file.unwrap_or_default(),
            },
            kind => ir::SourceKind::File {
                format: file_format(kind),
                path: c.file.unwrap_or_default(),
            },
        })
    }

    /// How an MQTT source reads its messages, and the Sparkplug B metrics it selects (a name, or a
    /// folder `Folder/*`; `*` anywhere else is refused).
    fn message_payload(
        &mut self,
        connector: &Connector,
        c: &Checked,
    ) -> Option<ir::MessagePayload> {
        let written = connector.option("metrics");
        // The connector table refuses `metrics` with another payload (`OptionSpec::when`).
        match c.text("payload") {
            "sparkplug_b" => {
                let metrics = c.texts("metrics");
                let items = written.map_or(&[][..], |o| match &o.value.kind {
                    ast::OptionValueKind::List(items) => &items[..],
                    _ => std::slice::from_ref(&o.value),
                });
                let mut wildcards = metrics
                    .iter()
                    .zip(items)
                    .filter(|(name, _)| name.contains('*') && !is_metric_folder(name))
                    .peekable();
                if wildcards.peek().is_none() {
                    return Some(ir::MessagePayload::SparkplugB { metrics });
                }
                for (name, item) in wildcards {
                    let help = if name == "*" {
                        "leave `metrics` out to read every metric".to_string()
                    } else {
                        let folder = name.split('*').next().unwrap_or_default();
                        let folder = folder.rsplit_once('/').map_or("", |(f, _)| f);
                        if folder.is_empty() {
                            "name the metrics, or a folder as `Folder/*`".to_string()
                        } else {
                            format!("select the folder: `\"{folder}/*\"`")
                        }
                    };
                    self.report(
                        Diagnostic::error(
                            Code::UnknownConnector,
                            format!("`{name}` is neither a metric's name nor a folder"),
                        )
                        .label(item.span, "`*` only as the last level, `Folder/*`")
                        .help(help),
                    );
                }
                None
            }
            _ => Some(ir::MessagePayload::Json),
        }
    }

    /// A lookup's file, its format, and for XML its `records:` path.
    fn lookup_file(
        &mut self,
        connector: &Connector,
    ) -> Option<(FileFormat, String, Option<String>)> {
        let c = self.checked_connector(connector, Role::Lookup)?;
        let records = match c.spec.kind {
            "xml" => Some(self.reported(crate::xml::records_path(connector, &c))?),
            _ => None,
        };
        Some((
            file_format(c.spec.kind),
            c.file.unwrap_or_default(),
            records,
        ))
    }

    fn target_kind(&mut self, connector: &Connector) -> Option<ir::TargetKind> {
        let c = self.checked_connector(connector, Role::Target)?;
        Some(match c.spec.kind {
            "sqlite" => ir::TargetKind::Sqlite {
                path: c.file.clone().unwrap_or_default(),
                table: c.text("table").to_string(),
            },
            "mqtt" if c.text("payload") == "sparkplug_b" => ir::TargetKind::Sparkplug {
                connection: c.text("connection").to_string(),
                group_id: c.text("group_id").to_string(),
                edge_node_id: c.text("edge_node_id").to_string(),
                device_id: Some(c.text("device_id"))
                    .filter(|d| !d.is_empty())
                    .map(str::to_string),
                qos: c.int("qos") as u8,
            },
            "mqtt" => ir::TargetKind::Mqtt {
                connection: c.text("connection").to_string(),
                topic: c.text("topic").to_string(),
                qos: c.int("qos") as u8,
                retain: c.bool("retain"),
            },
            "postgres" => ir::TargetKind::Postgres {
                connection: c.text("connection").to_string(),
                table: c.text("table").to_string(),
                numeric: c.texts("numeric"),
            },
            "http" => ir::TargetKind::Http {
                connection: c.text("connection").to_string(),
                path: c.text("path").to_string(),
                method: c.text("method").to_string(),
                batch: c.int("batch") as u32,
                idempotency_key: c.text("idempotency_key").to_string(),
            },
            "opcua" => self.reported(crate::opcua::target_kind(connector, &c))?,
            "modbus" => ir::TargetKind::Modbus {
                connection: c.text("connection").to_string(),
                unit_id: c.int("unit_id") as u8,
            },
            "xml" => self.reported(crate::xml::target_kind(connector, &c))?,
            _ => ir::TargetKind::Jsonl {
                path: c.file.unwrap_or_default(),
            },
        })
    }

    /// The `xml:` paths of the fields of `entity`, read by `reader` (`source `orders``): checked
    /// for an XML reader (E0844), refused for any other (E0841), which would read columns by name.
    fn xml_paths(
        &mut self,
        entity: &Entity,
        reads_xml: bool,
        reader: &str,
        connector: &Connector,
    ) -> bool {
        let problems = if reads_xml {
            crate::xml::check_read_entity(entity)
        } else {
            crate::xml::paths_off_xml(entity, reader, &connector.kind.name, connector.span)
        };
        let ok = problems.is_empty();
        self.reported(if ok { Ok(()) } else { Err(problems) });
        ok
    }

    /// The result of a connector's own check (OPC UA's), its problems reported.
    fn reported<T>(&mut self, checked: Result<T, Vec<Diagnostic>>) -> Option<T> {
        match checked {
            Ok(value) => Some(value),
            Err(problems) => {
                for problem in problems {
                    self.report(problem);
                }
                None
            }
        }
    }

    /// An OPC UA target's written fields and `{field}`s, each a field of its entity (E0808).
    fn opcua_write_fields(&mut self, kind: &ir::TargetKind, entity: &Entity) -> bool {
        let problems = crate::opcua::check_write_fields(kind, entity);
        let ok = problems.is_empty();
        self.reported(if ok { Ok(()) } else { Err(problems) });
        ok
    }

    /// An OPC UA source's entity: each field one a data change's record has (E0806).
    fn opcua_source_fields(&mut self, kind: &ir::SourceKind, entity: &Entity) -> bool {
        if !matches!(kind, ir::SourceKind::Opcua { .. }) {
            return true;
        }
        let problems = crate::opcua::check_source_fields(entity, self.schema);
        let ok = problems.is_empty();
        self.reported(if ok { Ok(()) } else { Err(problems) });
        ok
    }

    /// An MTConnect source's entity: each field one an observation's record has (E0831).
    fn mtconnect_source_fields(&mut self, kind: &ir::SourceKind, entity: &Entity) -> bool {
        let ir::SourceKind::Mtconnect { stream, .. } = kind else {
            return true;
        };
        let problems = crate::mtconnect::check_source_fields(stream, entity, self.schema);
        let ok = problems.is_empty();
        self.reported(if ok { Ok(()) } else { Err(problems) });
        ok
    }

    /// A PostgreSQL target's `numeric: [...]`: each a `float` field of its entity, listed once.
    fn numeric_fields(&mut self, entity: &Entity, connector: &Connector) -> bool {
        let Some(option) = connector.option("numeric") else {
            return true;
        };
        let ast::OptionValueKind::List(items) = &option.value.kind else {
            // A single text is a list of one (the connector check took it so).
            return self.numeric_field(entity, &option.value, &[]);
        };
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            ok &= self.numeric_field(entity, item, &items[..i]);
        }
        ok
    }

    fn numeric_field(
        &mut self,
        entity: &Entity,
        item: &ast::OptionValue,
        earlier: &[ast::OptionValue],
    ) -> bool {
        let ast::OptionValueKind::Text(name) = &item.kind else {
            return true; // not a text: the connector check reported it
        };
        let floats = || {
            entity
                .fields
                .iter()
                .filter(|f| f.ty == FieldType::Float)
                .map(|f| f.name.as_str())
        };
        if earlier.iter().any(|e| e.kind == item.kind) {
            self.report(
                Diagnostic::error(
                    Code::UnknownConnector,
                    format!("`{name}` is listed twice in `numeric`"),
                )
                .label(item.span, "listed again")
                .help("list each field once"),
            );
            return false;
        }
        let problem = match entity.field(name) {
            Some(field) if field.ty == FieldType::Float => return true,
            Some(field) => Diagnostic::error(
                Code::UnknownConnector,
                format!("`{name}` is not a `float` field, so it cannot be kept as `numeric`"),
            )
            .label(item.span, "not a float")
            .label(field.span, format!("`{name}` is declared here"))
            .help(
                "`numeric` is for `float` fields, whose binary value it stores as its shortest decimal; \
                 other fields keep their exact column type (`int` is `bigint`); remove it from the list",
            ),
            None => Diagnostic::error(
                Code::UnknownConnector,
                format!("`{}` has no field `{name}`", entity.name),
            )
            .label(item.span, "unknown field")
            .label(entity.span, format!("`{}` is declared here", entity.name))
            .help(did_you_mean(name, floats()).unwrap_or_else(|| {
                let floats: Vec<String> = floats().map(|f| format!("`{f}`")).collect();
                if floats.is_empty() {
                    format!("`{}` has no `float` field; remove `numeric`", entity.name)
                } else {
                    format!("its `float` fields are {}", floats.join(", "))
                }
            })),
        };
        self.report(problem);
        false
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

    /// The key fields of a lookup: each a usable key field (E0315), listed once. A composite key
    /// (`key (line, machine)`) is checked field by field, as a single key is.
    fn lookup_key_fields(&mut self, entity: &Entity, key: &[Ident]) -> bool {
        let mut ok = true;
        for (i, k) in key.iter().enumerate() {
            if key[..i].iter().any(|earlier| earlier.name == k.name) {
                self.report(
                    Diagnostic::error(
                        Code::BadLookupKey,
                        format!("`{}` is listed twice in the key", k.name),
                    )
                    .label(k.span, "listed again")
                    .help("list each key field once"),
                );
                ok = false;
                continue;
            }
            ok &= self.lookup_key(entity, k);
        }
        ok
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

/// The format of a file connector.
fn file_format(kind: &str) -> FileFormat {
    match kind {
        "csv" => FileFormat::Csv,
        "xml" => FileFormat::Xml,
        _ => FileFormat::Jsonl,
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

/// `Folder/*`: every metric in the folder and its subfolders (Sparkplug names folders with `/`).
fn is_metric_folder(name: &str) -> bool {
    name.strip_suffix("/*")
        .is_some_and(|folder| !folder.is_empty() && !folder.contains('*'))
}
