//! The lineage picture as Graphviz DOT: one record node per box, a port per row.

use std::fmt::Write as _;

use super::picture::{BoxKind, Edge, EdgeKind, End, Picture};

/// The picture as a DOT `digraph`, read left to right.
pub fn render_dot(picture: &Picture) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "// {}", picture.title);
    out.push_str("digraph lineage {\n");
    out.push_str("  rankdir=LR;\n");
    out.push_str("  node [shape=record, fontsize=14];\n");
    for node in &picture.nodes {
        let mut label = escape(&node.title);
        for (i, row) in node.rows.iter().enumerate() {
            let _ = write!(label, "|<p{i}> {}", escape(row));
        }
        let _ = writeln!(
            out,
            "  {} [label=\"{label}\", color=\"{}\"];",
            node.id,
            color(node.kind)
        );
    }
    for edge in &picture.edges {
        let _ = writeln!(
            out,
            "  {} -> {}{};",
            end(picture, edge.from),
            end(picture, edge.to),
            attributes(edge)
        );
    }
    out.push_str("}\n");
    out
}

fn end(picture: &Picture, (node, row): End) -> String {
    let id = &picture.nodes[node].id;
    match row {
        Some(row) => format!("{id}:p{row}"),
        None => id.clone(),
    }
}

fn attributes(edge: &Edge) -> &'static str {
    match edge.kind {
        EdgeKind::Value => "",
        EdgeKind::Filter => " [style=dashed, color=\"#b35806\"]",
        EdgeKind::Key => " [style=dashed, color=\"#1b7837\"]",
        EdgeKind::Records => " [penwidth=3]",
    }
}

/// One colour per kind of box, so that a reader tells sources, lookups, flows and targets apart.
pub fn color(kind: BoxKind) -> &'static str {
    match kind {
        BoxKind::Source => "#2166ac",
        BoxKind::Lookup => "#1b7837",
        BoxKind::Flow => "#762a83",
        BoxKind::Target => "#b2182b",
        BoxKind::Shared => "#8c510a",
    }
}

/// Escapes what a record label or a quoted DOT string gives meaning to.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '"' | '\\' | '{' | '}' | '|' | '<' | '>') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
