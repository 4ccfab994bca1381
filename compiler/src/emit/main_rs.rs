//! `src/main.rs`: the program's entry point and the loop that drives every source through
//! the stages read, decode, map, write and acknowledge.

use std::collections::HashMap;

use codegen::{Function, Scope};

use super::composite_key::composite_lookup;
use super::names::{self, Names};
use super::shared::SharedNames;
use crate::ir::{self, FileFormat, MessagePayload, SourceKind, TargetKind};

/// Names `run` declares or uses itself: its parameter and locals, and the crate's items.
const RUN_OWN: &[&str] = &[
    "run",
    "raw",
    "record",
    "lookups",
    "read_at",
    "main",
    "PROGRAM",
    "flows",
    "functions",
    "types",
    "manifest",
    "shared",
];

/// The locals of `run` that stand for the mapping's targets, sources and flows.
struct RunLocals {
    targets: HashMap<String, String>,
    sources: HashMap<String, String>,
    flows: HashMap<String, String>,
    /// The `const` register map of each Modbus source and target, by its name.
    registers: HashMap<String, String>,
}

impl RunLocals {
    fn new(program: &ir::Program) -> RunLocals {
        let targets: Vec<&String> = program.targets.iter().map(|t| &t.name).collect();
        let sources: Vec<&String> = program.sources.iter().map(|s| &s.name).collect();
        let flows: Vec<&String> = program.flows.iter().map(|f| &f.name).collect();
        // One scope: a target, a source and a flow may share a name.
        let idents =
            names::Scope::locals(RUN_OWN).assign(&[&targets[..], &sources, &flows].concat());
        let (target_idents, rest) = idents.split_at(targets.len());
        let (source_idents, flow_idents) = rest.split_at(sources.len());
        // The consts share the function's value namespace with the locals.
        let mut taken = names::Scope::locals(RUN_OWN);
        idents.iter().for_each(|ident| taken.take(ident));
        let modbus = program
            .sources
            .iter()
            .filter(|s| matches!(s.kind, SourceKind::Modbus { .. }))
            .map(|s| &s.name)
            .chain(
                program
                    .targets
                    .iter()
                    .filter(|t| matches!(t.kind, TargetKind::Modbus { .. }))
                    .map(|t| &t.name),
            );
        let registers = modbus
            .map(|name| (name.clone(), taken.fresh(&register_map_base(name))))
            .collect();
        RunLocals {
            targets: names::by_name(&targets, target_idents),
            sources: names::by_name(&sources, source_idents),
            flows: names::by_name(&flows, flow_idents),
            registers,
        }
    }
}

impl RunLocals {
    fn all_snake_case(&self) -> bool {
        [&self.targets, &self.sources, &self.flows]
            .iter()
            .flat_map(|table| table.values())
            .all(|ident| names::is_snake_case(ident))
    }
}

pub fn main_rs(
    program: &ir::Program,
    names: &Names,
    shared: &HashMap<String, SharedNames>,
) -> String {
    let mut scope = Scope::new();
    scope.raw(super::header(program));
    scope.raw(format!(
        "//! The integration program of mapping `{}` version {:?}.\n//!\n//! Run it with `--help` for its options. Every record read is written to its targets,\n//! filtered, or rejected into the dead-letter file with its reason.",
        program.name, program.version
    ));
    // A mapping may compare a value with the limits of its type (`n <= 9223372036854775807`);
    // that is the mapping's meaning, written as it is, and not a mistake of the generated code.
    scope.raw("#![allow(unused_comparisons)]");
    // `functions` and `shared` (the `per source` bindings) only when the mapping has them.
    let modules = [
        ("flows", true),
        ("functions", !program.functions.is_empty()),
        ("manifest", true),
        ("shared", !program.shared.is_empty()),
        ("types", true),
    ];
    let modules: Vec<String> = modules
        .iter()
        .filter(|(_, present)| *present)
        .map(|(module, _)| format!("mod {module};"))
        .collect();
    scope.raw(modules.join("\n"));
    // The names let `--source NAME=PATH` and `--lookup NAME=PATH` refuse a name the mapping does not have.
    let quoted = |names: Vec<&String>| {
        let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
        format!("&[{}]", quoted.join(", "))
    };
    scope.raw(format!(
        "/// What the runtime needs to know about this program.\npub const PROGRAM: ::fdi_runtime::ProgramInfo = ::fdi_runtime::ProgramInfo {{\n    \
             mapping: {:?},\n    \
             version: {:?},\n    \
             mapping_dir: option_env!(\"FDI_MAPPING_DIR\"),\n    \
             dead_letter: {:?},\n    \
             service: {},\n    \
             sources: {},\n    \
             lookups: {},\n    \
             connections: {},\n    \
             manifest: &crate::manifest::MANIFEST,\n\
         }};",
        program.name,
        program.version,
        program.dead_letter,
        program.sources.iter().any(ir::Source::endless),
        quoted(program.sources.iter().map(|s| &s.name).collect()),
        quoted(program.lookups.iter().map(|l| &l.name).collect()),
        quoted(connections(program)),
    ));
    scope
        .new_fn("main")
        .ret("::std::process::ExitCode")
        .line("::fdi_runtime::cli::main(&PROGRAM, run)");
    scope.push_fn(run_fn(program, names, shared));
    scope.to_string() + "\n"
}

/// The connections the mapping's connectors name, each once, in the order they first appear.
fn connections(program: &ir::Program) -> Vec<&String> {
    let named = program
        .sources
        .iter()
        .filter_map(|s| match &s.kind {
            SourceKind::Mqtt { connection, .. }
            | SourceKind::Postgres { connection, .. }
            | SourceKind::Http { connection, .. }
            | SourceKind::Opcua { connection, .. }
            | SourceKind::Modbus { connection, .. } => Some(connection),
            SourceKind::Mtconnect { stream, .. } => match stream {
                ir::MtconnectStream::Agent { connection, .. }
                | ir::MtconnectStream::ShdrTcp { connection } => Some(connection),
                ir::MtconnectStream::ShdrFile { .. } => None,
            },
            SourceKind::File { .. } | SourceKind::Xml { .. } => None,
        })
        .chain(program.targets.iter().filter_map(|t| match &t.kind {
            TargetKind::Mqtt { connection, .. }
            | TargetKind::Sparkplug { connection, .. }
            | TargetKind::Postgres { connection, .. }
            | TargetKind::Http { connection, .. }
            | TargetKind::Opcua { connection, .. }
            | TargetKind::Modbus { connection, .. } => Some(connection),
            TargetKind::Sqlite { .. } | TargetKind::Jsonl { .. } | TargetKind::Xml { .. } => None,
        }));
    let mut connections: Vec<&String> = Vec::new();
    for connection in named {
        if !connections.contains(&connection) {
            connections.push(connection);
        }
    }
    connections
}

/// The columns of a target's key, quoted.
fn key_columns(program: &ir::Program, target: &ir::Target) -> Vec<String> {
    external_columns(program, target, &target.key)
}

/// The data columns of `fields` of a target's entity, quoted.
fn external_columns(program: &ir::Program, target: &ir::Target, fields: &[String]) -> Vec<String> {
    fields
        .iter()
        .map(|k| {
            let field = program.schema.entities[&target.entity]
                .field(k)
                .map(|f| f.external_name())
                .unwrap_or(k);
            format!("{field:?}")
        })
        .collect()
}

/// The call that opens `source` (after `run.`).
/// `registers`: the name of the register map's `const` of each Modbus source.
fn open_source(
    program: &ir::Program,
    source: &ir::Source,
    registers: &HashMap<String, String>,
) -> String {
    let quoted = |items: &[String]| {
        let quoted: Vec<String> = items.iter().map(|c| format!("{c:?}")).collect();
        quoted.join(", ")
    };
    match &source.kind {
        SourceKind::File {
            format: FileFormat::Csv,
            path,
        } => {
            let entity = &program.schema.entities[&source.entity];
            let required: Vec<String> = entity
                .required_columns()
                .map(|(column, _)| column.to_string())
                .collect();
            let optional: Vec<String> = entity.optional_columns().map(str::to_string).collect();
            format!(
                "csv_source({:?}, {path:?}, &::fdi_runtime::EntityColumns {{ required: &[{}], optional: &[{}] }})",
                source.name,
                quoted(&required),
                quoted(&optional),
            )
        }
        SourceKind::File {
            format: FileFormat::Jsonl | FileFormat::Xml,
            path,
        } => format!("jsonl_source({:?}, {path:?})", source.name),
        SourceKind::Xml { path, records } => format!(
            "xml_source({:?}, {path:?}, {})",
            source.name,
            xml_records(program, &source.entity, records)
        ),
        SourceKind::Mqtt {
            connection,
            topics,
            qos,
            payload,
            ..
        } => {
            let payload = match payload {
                MessagePayload::Json => "::fdi_runtime::MessagePayload::Json".to_string(),
                MessagePayload::SparkplugB { metrics } => format!(
                    "::fdi_runtime::MessagePayload::SparkplugB {{ metrics: &[{}] }}",
                    quoted(metrics)
                ),
            };
            format!(
                "mqtt_source({:?}, {connection:?}, &[{}], {qos}, {payload})",
                source.name,
                quoted(topics),
            )
        }
        SourceKind::Postgres {
            connection,
            table,
            watermark,
            tiebreaker,
            poll_interval_ms,
            page,
        } => format!(
            "postgres_source({:?}, {connection:?}, &::fdi_runtime::PostgresPoll {{ table: {table:?}, watermark: {watermark:?}, tiebreaker: {tiebreaker:?}, poll_interval: ::std::time::Duration::from_millis({poll_interval_ms}), page: {page} }})",
            source.name,
        ),
        SourceKind::Http {
            connection,
            path,
            records,
            watermark,
            poll_interval_ms,
        } => format!(
            "http_source({:?}, {connection:?}, &::fdi_runtime::HttpPoll {{ path: {path:?}, records: {records:?}, watermark: {watermark:?}, poll_interval: ::std::time::Duration::from_millis({poll_interval_ms}) }})",
            source.name,
        ),
        SourceKind::Opcua {
            connection,
            nodes,
            browse_paths,
            sampling_interval_ms,
            publishing_interval_ms,
            queue_size,
            deadband,
            browse_path_namespaces,
            ..
        } => {
            let texts = |items: &[ir::OpcuaItem]| {
                let texts: Vec<String> = items.iter().map(|i| i.text.clone()).collect();
                quoted(&texts)
            };
            // Per browse path, the URIs of the names it wrote without an index.
            let namespaces: Vec<String> = browse_path_namespaces
                .iter()
                .map(|uris| format!("&[{}]", quoted(uris)))
                .collect();
            format!(
                "opcua_source({:?}, {connection:?}, &::fdi_runtime::OpcuaSubscription {{ nodes: &[{}], browse_paths: &[{}], browse_path_namespaces: &[{}], sampling_interval: ::std::time::Duration::from_millis({sampling_interval_ms}), publishing_interval: ::std::time::Duration::from_millis({publishing_interval_ms}), queue_size: {queue_size}, deadband: {deadband:?} }})",
                source.name,
                texts(nodes),
                texts(browse_paths),
                namespaces.join(", "),
            )
        }
        SourceKind::Modbus {
            connection,
            unit_id,
            poll_interval_ms,
            on_change,
        } => format!(
            "modbus_source({:?}, {connection:?}, &::fdi_runtime::ModbusPoll {{ unit_id: {unit_id}, map: {}, poll_interval: ::std::time::Duration::from_millis({poll_interval_ms}), emit: ::fdi_runtime::Emit::{} }})",
            source.name,
            registers[&source.name],
            if *on_change { "Change" } else { "Poll" },
        ),
        SourceKind::Mtconnect {
            stream,
            device,
            data_items,
            ..
        } => format!(
            "mtconnect_source({:?}, &{})",
            source.name,
            mtconnect_source(stream, device.as_ref(), data_items)
        ),
    }
}

/// The `::fdi_runtime::MtconnectSource` an MTConnect source declares: its stream, device, and
/// each data item with the device model's facts about it (none when untyped), which the runtime
/// gives the records of an SHDR stream (which carries only keys and values).
fn mtconnect_source(
    stream: &ir::MtconnectStream,
    device: Option<&ir::TextItem>,
    data_items: &[ir::MtconnectDataItem],
) -> String {
    let stream = match stream {
        ir::MtconnectStream::Agent {
            connection,
            poll_interval_ms,
            count,
        } => format!(
            "::fdi_runtime::MtconnectStream::Agent {{ connection: {connection:?}, poll_interval: ::std::time::Duration::from_millis({poll_interval_ms}), count: {count} }}"
        ),
        ir::MtconnectStream::ShdrFile { path } => {
            format!("::fdi_runtime::MtconnectStream::ShdrFile {{ path: {path:?} }}")
        }
        ir::MtconnectStream::ShdrTcp { connection } => {
            format!("::fdi_runtime::MtconnectStream::Adapter {{ connection: {connection:?} }}")
        }
    };
    let items: Vec<String> = data_items
        .iter()
        .map(|d| {
            let facts = match &d.facts {
                None => "None".to_string(),
                Some(f) => format!(
                    "Some(::fdi_runtime::DataItemFacts {{ device: {:?}, id: {:?}, name: {:?}, category: {:?}, type_name: {:?}, sub_type: {:?}, units: {:?}, representation: {:?} }})",
                    f.device, f.id, f.name.as_deref(), f.category, f.type_name, f.sub_type.as_deref(), f.units.as_deref(), f.representation.as_deref()
                ),
            };
            format!(
                "::fdi_runtime::MtconnectItem {{ key: {:?}, facts: {facts} }}",
                d.item.text
            )
        })
        .collect();
    format!(
        "::fdi_runtime::MtconnectSource {{ stream: {stream}, device: {:?}, data_items: &[{}] }}",
        device.map(|d| d.text.as_str()),
        items.join(", ")
    )
}

/// The `::fdi_runtime::XmlRecords` of an XML source or lookup of `entity`: each column it reads
/// (as a CSV file's: required, then optional) with its field's `xml:` path, else its own name.
pub(super) fn xml_records(program: &ir::Program, entity: &str, records: &str) -> String {
    let entity = &program.schema.entities[entity];
    let path_of = |column: &str| {
        entity
            .fields
            .iter()
            .find(|f| f.external_name() == column)
            .and_then(|f| f.xml.as_ref())
            .map_or(column.to_string(), |xml| xml.text.clone())
    };
    let required = entity.required_columns().map(|(column, _)| (column, true));
    let optional = entity.optional_columns().map(|column| (column, false));
    let fields: Vec<String> = required
        .chain(optional)
        .map(|(column, required)| {
            format!(
                "::fdi_runtime::XmlField {{ column: {column:?}, path: {:?}, required: {required} }}",
                path_of(column)
            )
        })
        .collect();
    format!(
        "&::fdi_runtime::XmlRecords {{ records: {records:?}, fields: &[{}] }}",
        fields.join(", ")
    )
}

/// The `(column, path)` of each field an XML target writes, in the schema's order (the order of
/// the elements, which an XSD's sequences fix).
fn xml_written_fields(program: &ir::Program, entity: &str) -> String {
    let fields: Vec<String> = program.schema.entities[entity]
        .fields
        .iter()
        .map(|f| {
            let column = f.external_name();
            let path = f.xml.as_ref().map_or(column, |xml| xml.text.as_str());
            format!("({column:?}, {path:?})")
        })
        .collect();
    format!("&[{}]", fields.join(", "))
}

/// What the `const` register map of a Modbus source or target is named after: its declaration
/// in capitals (`METER_REGISTERS`), unless that is not all ASCII, whose capitals rustc would
/// warn about.
fn register_map_base(declared: &str) -> String {
    let capitals = names::screaming_snake(names::unraw(declared));
    if capitals.is_ascii() {
        format!("{capitals}_REGISTERS")
    } else {
        "MODBUS_REGISTERS".to_string()
    }
}

/// An OPC UA target's `(field, node id)` pairs as the runtime reads the record: by each field's
/// name in the data (its `column:`), in the node id's `{field}`s too.
fn opcua_writes(program: &ir::Program, target: &ir::Target, writes: &[ir::OpcuaWrite]) -> String {
    let entity = &program.schema.entities[&target.entity];
    let external = |name: &str| {
        entity
            .field(name)
            .map_or(name, |f| f.external_name())
            .to_string()
    };
    let pairs: Vec<String> = writes
        .iter()
        .map(|write| {
            let mut node = String::new();
            let mut rest = write.node.text.as_str();
            while let Some((before, after)) = rest.split_once('{') {
                let (field, after) = after.split_once('}').unwrap_or((after, ""));
                node.push_str(before);
                node.push_str(&format!("{{{}}}", external(field.trim())));
                rest = after;
            }
            node.push_str(rest);
            format!("({:?}, {node:?})", external(&write.field))
        })
        .collect();
    format!("&[{}]", pairs.join(", "))
}

/// The type of the records a target receives: its entity's, traced when it keeps provenance.
fn record_type(target: &ir::Target, names: &Names) -> String {
    let entity = names.type_path(&target.entity);
    if target.provenance {
        format!("::fdi_runtime::Traced<{entity}>")
    } else {
        entity
    }
}

fn run_fn(program: &ir::Program, names: &Names, shared: &HashMap<String, SharedNames>) -> Function {
    let locals = RunLocals::new(program);
    let mut f = Function::new("run");
    f.doc("Opens the sources, loads the lookups, opens the targets, and gives the runtime each source with the\nfunction that maps its records; the runtime then reads the sources side by side (`Run::drive`).")
        .arg(
            // A mapping of functions alone (for its tests) opens nothing and reads nothing.
            if program.flows.is_empty() && program.lookups.is_empty() && program.targets.is_empty()
            {
                "_run"
            } else {
                "run"
            },
            "&mut ::fdi_runtime::Run",
        )
        .ret("Result<(), ::fdi_runtime::RunError>");
    if !locals.all_snake_case() {
        // The locals are named after the mapping's targets, sources and flows.
        f.allow("non_snake_case");
    }

    // Every source opens first, so that a missing file, or a CSV header without a column the
    // source's entity requires, stops the run before a target is created or emptied.
    for source in &program.sources {
        if program.flows_of(&source.name).next().is_none() {
            continue;
        }
        if let SourceKind::Modbus { .. } = source.kind {
            let entity = &program.schema.entities[&source.entity];
            f.line(super::modbus::register_map_const(
                &locals.registers[&source.name],
                entity,
            ));
        }
        let open = open_source(program, source, &locals.registers);
        f.line(format!(
            "let {} = run.{open}?;",
            locals.sources[&source.name]
        ));
    }

    // Loaded even when no flow reads them, so that bad master data stops the program at start.
    let lookups_local = if program.flows.is_empty() {
        "_lookups"
    } else {
        "lookups"
    };
    // Shared by the map functions of the sources (one closure each), which may run on other threads.
    let mut lookups = vec![format!(
        "let {lookups_local} = ::std::sync::Arc::new(crate::flows::Lookups {{"
    )];
    for l in &program.lookups {
        if l.key_fields.len() > 1 {
            lookups.push(composite_lookup(program, names, l));
            continue;
        }
        let (load, records) = match (l.format, &l.records) {
            (FileFormat::Csv, _) => ("lookup_csv", String::new()),
            (FileFormat::Xml, Some(records)) => (
                "lookup_xml",
                format!("{}, ", xml_records(program, &l.entity, records)),
            ),
            (FileFormat::Jsonl | FileFormat::Xml, _) => ("lookup_jsonl", String::new()),
        };
        lookups.push(format!(
            "    {}: run.{load}({:?}, {:?}, {records}{:?}, |row: &{}| row.{}.to_string())?,",
            names.lookup(&l.name),
            l.name,
            l.path,
            l.entity,
            names.type_path(&l.entity),
            names.field_ident(&l.key_fields[0])
        ));
    }
    lookups.push("});".into());
    f.line(lookups.join("\n"));

    for t in &program.targets {
        // A target no flow writes is opened all the same (its table created, its file
        // started), as the mapping declares it, and closed at once.
        let written = program.flows.iter().any(|fl| fl.target == t.name);
        let binding = if written {
            format!("let {} = ", locals.targets[&t.name])
        } else {
            String::new()
        };
        // Store and forward: a connector the table marks `queued` is opened through its queue, by the
        // runtime's `queued_*` function of the same arguments.
        let queued = crate::connectors::spec(t.kind.connector()).is_some_and(|c| c.queued);
        let open = |function: &str| {
            if queued {
                format!("queued_{function}")
            } else {
                function.to_string()
            }
        };
        let line = match &t.kind {
            TargetKind::Sqlite { path, table } => {
                let key = key_columns(program, t);
                let columns = names.columns(&t.entity, t.provenance);
                format!(
                    "{binding}run.{}::<{}>({:?}, {path:?}, {table:?}, crate::types::{columns}, &[{}])?;",
                    open("sqlite_target"),
                    record_type(t, names),
                    t.name,
                    key.join(", ")
                )
            }
            TargetKind::Xml {
                path,
                root,
                namespace,
                header,
                records,
            } => {
                let header: Vec<String> = header
                    .iter()
                    .map(|h| format!("({:?}, {:?})", h.path, h.value))
                    .collect();
                format!(
                    "{binding}run.xml_target::<{}>({:?}, {path:?}, &::fdi_runtime::XmlDocument {{ root: {root:?}, namespace: {namespace:?}, header: &[{}], records: {records:?}, fields: {} }})?;",
                    record_type(t, names),
                    t.name,
                    header.join(", "),
                    xml_written_fields(program, &t.entity),
                )
            }
            TargetKind::Jsonl { path } => format!(
                "{binding}run.{}::<{}>({:?}, {path:?})?;",
                open("jsonl_target"),
                    record_type(t, names),
                t.name
            ),
            TargetKind::Mqtt {
                connection,
                topic,
                qos,
                retain,
            } => format!(
                "{binding}run.{}::<{}>({:?}, {connection:?}, {topic:?}, {qos}, {retain})?;",
                open("mqtt_target"),
                    record_type(t, names),
                t.name
            ),
            TargetKind::Sparkplug {
                connection,
                group_id,
                edge_node_id,
                device_id,
                qos,
            } => {
                let columns = names.columns(&t.entity, t.provenance);
                format!(
                    "{binding}run.{}::<{}>({:?}, {connection:?}, {group_id:?}, {edge_node_id:?}, {device_id:?}, {qos}, crate::types::{columns})?;",
                    open("sparkplug_target"),
                    record_type(t, names),
                    t.name,
                )
            }
            TargetKind::Postgres {
                connection,
                table,
                numeric,
            } => {
                let key = key_columns(program, t);
                let numeric = external_columns(program, t, numeric);
                let columns = names.columns(&t.entity, t.provenance);
                format!(
                    "{binding}run.{}::<{}>({:?}, {connection:?}, &::fdi_runtime::PostgresTable {{ table: {table:?}, columns: crate::types::{columns}, keys: &[{}], numeric: &[{}] }})?;",
                    open("postgres_target"),
                    record_type(t, names),
                    t.name,
                    key.join(", "),
                    numeric.join(", ")
                )
            }
            TargetKind::Http {
                connection,
                path,
                method,
                batch,
                idempotency_key,
            } => {
                let key = key_columns(program, t);
                format!(
                    "{binding}run.{}::<{}>({:?}, {connection:?}, &::fdi_runtime::HttpPost {{ path: {path:?}, method: {method:?}, batch: {batch}, idempotency_key: {idempotency_key:?}, keys: &[{}] }})?;",
                    open("http_target"),
                    record_type(t, names),
                    t.name,
                    key.join(", "),
                )
            }
            TargetKind::Opcua {
                connection,
                writes,
                read_back,
                ..
            } => format!(
                "{binding}run.{}::<{}>({:?}, {connection:?}, &::fdi_runtime::OpcuaWrites {{ writes: {}, read_back: {read_back} }})?;",
                open("opcua_target"),
                    record_type(t, names),
                t.name,
                opcua_writes(program, t, writes),
            ),
            TargetKind::Modbus {
                connection,
                unit_id,
            } => {
                let map = &locals.registers[&t.name];
                let entity = &program.schema.entities[&t.entity];
                f.line(super::modbus::register_map_const(map, entity));
                format!(
                    "{binding}run.{}::<{}>({:?}, {connection:?}, {unit_id}, {map})?;",
                    open("modbus_target"),
                    record_type(t, names),
                    t.name,
                )
            }
        };
        f.line(line);
    }

    let sources_with_flows = program
        .sources
        .iter()
        .filter(|s| program.flows_of(&s.name).next().is_some())
        .count();
    for source in &program.sources {
        let flows: Vec<&ir::Flow> = program.flows_of(&source.name).collect();
        if flows.is_empty() {
            continue;
        }
        f.line("");
        let flow_names: Vec<String> = flows.iter().map(|fl| fl.name.clone()).collect();
        f.line(format!(
            "// Source `{}` feeds {}.",
            source.name,
            flow_names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let src = &locals.sources[&source.name];
        for fl in &flows {
            f.line(format!(
                "let {} = run.flow_with_delivery({:?}, {:?}, {}, ::fdi_runtime::Delivery::{:?});",
                locals.flows[&fl.name], fl.name, fl.source, locals.targets[&fl.target], fl.delivery
            ));
        }
        let traced = |fl: &ir::Flow| {
            program
                .targets
                .iter()
                .any(|t| t.name == fl.target && t.provenance)
        };
        let mut body = Vec::new();
        // Provenance of a source without a time of its own: when the record was read.
        let source_time = match &source.time_field {
            Some(field) => format!("record.{}", names.field_ident(field)),
            None => {
                if flows.iter().any(|fl| traced(fl)) {
                    body.push("let read_at = ::fdi_runtime::Timestamp::now();".to_string());
                }
                "read_at".to_string()
            }
        };
        body.push(format!(
            "if let Some(record) = run.decode::<{}>(raw, {:?})? {{",
            names.type_path(&source.entity),
            source.entity,
        ));
        // The source's `per source` bindings, computed once for all its flows: a reject there
        // is dead-lettered once (`Run::share`), and no flow sees the record.
        let shared = shared.get(&source.name);
        if let Some(shared) = shared {
            body.push(format!(
                "    if let Some(shared) = run.share(raw, crate::shared::{}(&record, raw, &lookups))? {{",
                shared.function
            ));
        }
        for fl in &flows {
            let mapped = match shared {
                Some(_) => format!(
                    "crate::flows::{}(&record, raw, &shared, &lookups)",
                    names.flow(&fl.name)
                ),
                None => format!(
                    "crate::flows::{}(&record, raw, &lookups)",
                    names.flow(&fl.name)
                ),
            };
            let outcome = if traced(fl) {
                format!(
                    "::fdi_runtime::FlowTrace::new({:?}, &crate::manifest::MANIFEST).attach({mapped}, raw, {source_time})",
                    fl.name
                )
            } else {
                mapped
            };
            body.push(format!(
                "    run.deliver({id}, raw, {outcome})?;",
                id = locals.flows[&fl.name]
            ));
        }
        if shared.is_some() {
            body.push("    }".into());
        }
        body.push("}".into());
        body.push("Ok(())".into());
        let closure = format!("move |run, raw| {{\n{}\n}}", body.join("\n"));
        // Each source's function holds the lookups; with one source it can take them.
        let map = if sources_with_flows > 1 {
            format!("{{\nlet lookups = ::std::sync::Arc::clone(&lookups);\n{closure}\n}}")
        } else {
            closure
        };
        // The map function reads only shared state (`Fn + Send + Sync`), so that the records of a file
        // source can be decoded and mapped on several cores (`--map-threads`).
        f.line(format!("run.parallel_source({src}, {map});"));
    }
    f.line("Ok(())");
    f
}

#[cfg(test)]
mod mtconnect_tests {
    use super::*;
    use crate::source_map::{FileKind, SourceMap, Span};

    fn item(text: &str) -> ir::TextItem {
        let file = SourceMap::new().add_as("m.fdi", "", FileKind::Mapping);
        ir::TextItem {
            text: text.to_string(),
            span: Span::new(file, 0, 0),
            exact: true,
        }
    }

    /// The facts the device-model stage fills are written into the program for the runtime; the
    /// literal is the one `fdi_runtime::mtconnect`'s test `emitted_facts_compile` compiles.
    #[test]
    fn a_typed_data_item_is_emitted_with_its_facts() {
        let typed = ir::MtconnectDataItem {
            item: item("pexecution"),
            facts: Some(ir::DataItemFacts {
                device: "OKUMA".into(),
                id: "Lpexecution".into(),
                name: Some("pexecution".into()),
                category: "EVENT".into(),
                type_name: "EXECUTION".into(),
                sub_type: None,
                units: None,
                representation: None,
            }),
        };
        let untyped = ir::MtconnectDataItem {
            item: item("Z1actm"),
            facts: None,
        };
        let emitted = mtconnect_source(
            &ir::MtconnectStream::ShdrFile {
                path: "data/okuma.txt".into(),
            },
            Some(&item("OKUMA")),
            &[typed, untyped],
        );
        assert_eq!(
            emitted,
            "::fdi_runtime::MtconnectSource { stream: ::fdi_runtime::MtconnectStream::ShdrFile { path: \"data/okuma.txt\" }, device: Some(\"OKUMA\"), data_items: &[::fdi_runtime::MtconnectItem { key: \"pexecution\", facts: Some(::fdi_runtime::DataItemFacts { device: \"OKUMA\", id: \"Lpexecution\", name: Some(\"pexecution\"), category: \"EVENT\", type_name: \"EXECUTION\", sub_type: None, units: None, representation: None }) }, ::fdi_runtime::MtconnectItem { key: \"Z1actm\", facts: None }] }"
        );
    }
}
