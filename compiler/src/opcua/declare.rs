//! An `opcua(...)` source or target after the connector table checked its options: each node
//! id and browse path is well-formed (E0804, E0805, labelled on the wrong part of the text), a
//! source monitors something and nothing twice (E0806) at intervals of at most a day (E0809),
//! a target's `writes` are `field = node id` (E0807) with fields of its entity (E0808).

use crate::connectors::{text_items as items, Checked};
use crate::diagnostic::{closest, did_you_mean, Code, Diagnostic};
use crate::ir::{self, OpcuaItem, OpcuaWrite};
use crate::schema::Entity;
use crate::source_map::Span;
use crate::syntax::ast;

use super::writes::{self, Placeholder};
use super::{browse_path, node_id};

/// The longest sampling or publishing interval: a day, in milliseconds.
const MAX_INTERVAL_MS: u64 = 86_400_000;

/// The source an `opcua(...)` source declares, or every problem of its items and intervals.
pub fn source_kind(
    connector: &ast::Connector,
    c: &Checked,
) -> Result<ir::SourceKind, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let nodes = items(connector, "nodes");
    let browse_paths = items(connector, "browse_paths");
    for item in &nodes {
        if let Err(error) = node_id::parse(&item.text) {
            problems.push(bad_node_id(item, &item.text, 0, &error));
        }
    }
    for item in &browse_paths {
        if let Err(error) = browse_path::parse(&item.text) {
            problems.push(
                Diagnostic::error(
                    Code::BadBrowsePath,
                    format!("{:?} is not a browse path", item.text),
                )
                .label(within(item, error.range.clone()), error.label.clone())
                .help(error.explanation.clone()),
            );
        }
    }
    if nodes.is_empty() && browse_paths.is_empty() {
        problems.push(
            Diagnostic::error(Code::OpcuaItems, "an OPC UA source needs a node to monitor")
                .label(connector.span, "neither `nodes:` nor `browse_paths:` given")
                .help(
                    "add `nodes: [\"ns=2;s=Machine.Speed\"]` (node ids) or `browse_paths: [\"/2:Machine/2:Speed\"]` (from the Objects folder); each data change of each item is one record",
                ),
        );
    }
    repeated_items(&nodes, &mut problems);
    repeated_items(&browse_paths, &mut problems);
    for option in ["sampling_interval", "publishing_interval"] {
        let ms = c.duration_ms(option);
        if ms > MAX_INTERVAL_MS {
            let span = option_span(connector, option).unwrap_or(connector.span);
            problems.push(
                Diagnostic::error(
                    Code::OpcuaIntervalRange,
                    format!("`{option}` is longer than a day"),
                )
                .label(span, "more than `1d`")
                .help(format!(
                    "an OPC UA server {} at most daily in fdi; write `{option}: 1d` or less",
                    if option == "sampling_interval" {
                        "samples"
                    } else {
                        "publishes"
                    }
                )),
            );
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(ir::SourceKind::Opcua {
        connection: c.text("connection").to_string(),
        nodes,
        browse_paths,
        sampling_interval_ms: c.duration_ms("sampling_interval"),
        publishing_interval_ms: c.duration_ms("publishing_interval"),
        queue_size: u32::try_from(c.int("queue_size")).unwrap_or(u32::MAX),
        deadband: c.number("deadband"),
        nodesets: items(connector, "nodeset"),
        namespaces: items(connector, "namespaces"),
        browse_path_namespaces: Vec::new(),
    })
}

/// The target an `opcua(...)` target declares, or every problem of its `writes`.
pub fn target_kind(
    connector: &ast::Connector,
    c: &Checked,
) -> Result<ir::TargetKind, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let mut writes: Vec<OpcuaWrite> = Vec::new();
    for item in items(connector, "writes") {
        let entry = match writes::parse(&item.text) {
            Ok(entry) => entry,
            Err(error) => {
                let help = match (&error.fixed, item.exact) {
                    (Some(fixed), true) => format!(
                        "{}: replace `\"{}\"` with `\"{fixed}\"`",
                        error.explanation, item.text
                    ),
                    _ => error.explanation.clone(),
                };
                problems.push(
                    Diagnostic::error(
                        Code::BadOpcuaWrite,
                        format!("{:?} is not `field = node id`", item.text),
                    )
                    .label(within(&item, error.range.clone()), error.label)
                    .help(help),
                );
                continue;
            }
        };
        let node = OpcuaItem {
            text: entry.node.clone(),
            span: within(&item, entry.node_range.clone()),
            exact: item.exact,
        };
        let field_span = within(&item, entry.field_range.clone());
        match writes::placeholders(&entry.node) {
            Err((range, label)) => problems.push(
                Diagnostic::error(
                    Code::BadOpcuaWrite,
                    format!("the node id of `{}` has a broken `{{field}}`", entry.field),
                )
                .label(within(&node, range), label)
                .help("`{field}` in a node id is that field of the record (`ns=2;s=Station{station}.UpperLimit`); braces come in pairs around a field's name"),
            ),
            Ok(holes) if holes.is_empty() => {
                if let Err(error) = node_id::parse(&entry.node) {
                    problems.push(bad_node_id(&item, &entry.node, entry.node_range.start, &error));
                }
            }
            Ok(holes) => {
                if let Err(error) = node_id::parse(&writes::filled_for_check(&entry.node, &holes)) {
                    // Placed on the whole node id: offsets in the filled text are not the
                    // entry's, and no repair is offered for a template.
                    problems.push(
                        Diagnostic::error(
                            Code::BadNodeId,
                            format!("{:?} is not a node id, whatever its fields hold", entry.node),
                        )
                        .label(node.span, error.label.clone())
                        .help(error.explanation.clone()),
                    );
                }
            }
        }
        if let Some(first) = writes.iter().find(|w| w.field == entry.field) {
            problems.push(
                Diagnostic::error(
                    Code::BadOpcuaWrite,
                    format!("`{}` is written twice", entry.field),
                )
                .label(field_span, "written again here")
                .label(first.field_span, "first written here")
                .help("each field is written to one node; remove one of the entries"),
            );
            continue;
        }
        writes.push(OpcuaWrite {
            field: entry.field,
            field_span,
            node,
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(ir::TargetKind::Opcua {
        connection: c.text("connection").to_string(),
        writes,
        read_back: c.bool("read_back"),
        nodesets: items(connector, "nodeset"),
        namespaces: items(connector, "namespaces"),
    })
}

/// The fields an OPC UA target writes and takes into its node ids, against its entity (E0808):
/// each must be a field of it.
pub fn check_write_fields(kind: &ir::TargetKind, entity: &Entity) -> Vec<Diagnostic> {
    let ir::TargetKind::Opcua { writes, .. } = kind else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    let unknown = |name: &str, span: Span, what: &str, exact: bool| {
        // "did you mean" replaces the label's text, so it needs a label on the name alone.
        let help = match (closest(name, entity.field_names()), exact) {
            (Some(_), true) => did_you_mean(name, entity.field_names()).unwrap_or_default(),
            (Some(field), false) => format!("the closest field is `{field}`"),
            (None, _) => format!(
                "the fields of `{}` are {}",
                entity.name,
                entity
                    .field_names()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Diagnostic::error(
            Code::UnknownOpcuaField,
            format!("`{}` has no field `{name}`", entity.name),
        )
        .label(span, what.to_string())
        .label(entity.span, format!("`{}` is declared here", entity.name))
        .help(help)
    };
    for write in writes {
        if entity.field(&write.field).is_none() {
            problems.push(unknown(
                &write.field,
                write.field_span,
                "written, but not a field",
                write.node.exact,
            ));
        }
        for hole in writes::placeholders(&write.node.text).unwrap_or_default() {
            if entity.field(&hole.name).is_none() {
                let name_range = hole.range.start + 1..hole.range.end - 1;
                problems.push(unknown(
                    &hole.name,
                    within(&write.node, name_range),
                    "not a field of the record",
                    write.node.exact && hole.name.len() == hole.range.len() - 2,
                ));
            }
        }
    }
    problems
}

/// Where `placeholders` of `write` are; used by the NodeSet typing of templates.
pub(super) fn holes(write: &OpcuaWrite) -> Vec<Placeholder> {
    writes::placeholders(&write.node.text).unwrap_or_default()
}

fn bad_node_id(
    item: &OpcuaItem,
    text: &str,
    offset: usize,
    error: &node_id::NodeIdError,
) -> Diagnostic {
    let range = offset + error.range.start..offset + error.range.end;
    let help = match (&error.fixed, item.exact) {
        (Some(fixed), true) => {
            // The rewrite names the whole literal when the node id is all of it, else the node
            // id inside a `writes` entry.
            let (old, new) = if offset == 0 && text == item.text {
                (format!("\"{text}\""), format!("\"{fixed}\""))
            } else {
                (text.to_string(), fixed.clone())
            };
            format!("{}: replace `{old}` with `{new}`", error.explanation)
        }
        _ => error.explanation.clone(),
    };
    Diagnostic::error(Code::BadNodeId, format!("{text:?} is not a node id"))
        .label(within(item, range), error.label.clone())
        .help(help)
}

/// Items listed twice (by their text): each would be monitored twice, every change two records.
fn repeated_items(items: &[OpcuaItem], problems: &mut Vec<Diagnostic>) {
    for (i, item) in items.iter().enumerate() {
        if let Some(first) = items[..i].iter().find(|earlier| earlier.text == item.text) {
            problems.push(
                Diagnostic::error(
                    Code::OpcuaItems,
                    format!("{:?} is monitored twice", item.text),
                )
                .label(item.span, "listed again here")
                .label(first.span, "first listed here")
                .help("each item reports every change once; remove one of them"),
            );
        }
    }
}

/// The span of `range` of an item's text: exact when the item's span is, else the item's.
fn within(item: &OpcuaItem, range: std::ops::Range<usize>) -> Span {
    if !item.exact {
        return item.span;
    }
    let start = item.span.start + range.start.min(item.text.len());
    let end = item.span.start + range.end.min(item.text.len());
    Span::new(item.span.file, start, end.max(start))
}

fn option_span(connector: &ast::Connector, name: &str) -> Option<Span> {
    connector.option(name).map(|o| o.value.span)
}
