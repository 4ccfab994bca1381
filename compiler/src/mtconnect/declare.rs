//! An MTConnect source (`mtconnect`, `shdr`, `mtconnect_adapter`) after the connector table
//! checked its options: it reads at least one data item and none twice (E0830).

use crate::connectors::{text_items as items, Checked};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, MtconnectDataItem, MtconnectStream};
use crate::syntax::ast;

/// The source an MTConnect connector declares, or every problem of its data items.
pub fn source_kind(
    connector: &ast::Connector,
    c: &Checked,
) -> Result<ir::SourceKind, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let data_items = items(connector, "data_items");
    if data_items.is_empty() {
        let span = connector
            .option("data_items")
            .map_or(connector.span, |o| o.value.span);
        problems.push(
            Diagnostic::error(
                Code::MtconnectDataItems,
                "an MTConnect source needs a data item to read",
            )
            .label(span, "no data item named")
            .help("name the data items read, by id or name: `data_items: [\"execution\", \"part_count\"]`; the observations of the others are not records"),
        );
    }
    for (i, item) in data_items.iter().enumerate() {
        if let Some(first) = data_items[..i].iter().find(|e| e.text == item.text) {
            problems.push(
                Diagnostic::error(
                    Code::MtconnectDataItems,
                    format!("{:?} is read twice", item.text),
                )
                .label(item.span, "listed again here")
                .label(first.span, "first listed here")
                .help("each observation is one record however often its data item is listed; remove one of them"),
            );
        }
        if item.text.trim().is_empty() || item.text.contains('|') {
            problems.push(
                Diagnostic::error(
                    Code::MtconnectDataItems,
                    format!("{:?} is not a data item's id or name", item.text),
                )
                .label(item.span, "empty, or holding the SHDR separator `|`")
                .help("a data item is named by its `id` or `name` in the device model, as an adapter's SHDR key names it"),
            );
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let stream = match c.spec.kind {
        "mtconnect" => MtconnectStream::Agent {
            connection: c.text("connection").to_string(),
            poll_interval_ms: c.duration_ms("poll_interval"),
            count: u32::try_from(c.int("count")).unwrap_or(u32::MAX),
        },
        "shdr" => MtconnectStream::ShdrFile {
            path: c.file.clone().unwrap_or_default(),
        },
        _ => MtconnectStream::ShdrTcp {
            connection: c.text("connection").to_string(),
        },
    };
    Ok(ir::SourceKind::Mtconnect {
        stream,
        devices: items(connector, "devices"),
        device: items(connector, "device")
            .into_iter()
            .next()
            .filter(|d| !d.text.is_empty()),
        data_items: data_items
            .into_iter()
            .map(|item| MtconnectDataItem { item, facts: None })
            .collect(),
    })
}
