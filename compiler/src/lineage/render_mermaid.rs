//! The lineage picture as a Mermaid flowchart: one subgraph per box, one node per row.

use std::fmt::Write as _;

use super::picture::{BoxKind, EdgeKind, End, Picture};

/// The picture as a Mermaid `flowchart LR`, ready for a fenced `mermaid` block.
pub fn render_mermaid(picture: &Picture) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "%% {}", picture.title);
    out.push_str("flowchart LR\n");
    for node in &picture.nodes {
        let title = quote(&node.title);
        if node.kind == BoxKind::Target || node.rows.is_empty() {
            let _ = writeln!(out, "  {}[\"{title}\"]", node.id);
            continue;
        }
        let _ = writeln!(out, "  subgraph {}[\"{title}\"]", node.id);
        for (i, row) in node.rows.iter().enumerate() {
            let _ = writeln!(out, "    {}_{i}[\"{}\"]", node.id, quote(row));
        }
        out.push_str("  end\n");
    }
    for edge in &picture.edges {
        let arrow = match edge.kind {
            EdgeKind::Value => "-->",
            EdgeKind::Filter => "-. where .->",
            EdgeKind::Key => "-. key .->",
            EdgeKind::Records => "==>",
        };
        let _ = writeln!(
            out,
            "  {} {arrow} {}",
            end(picture, edge.from),
            end(picture, edge.to)
        );
    }
    for (kind, class) in [
        (BoxKind::Source, "source"),
        (BoxKind::Lookup, "lookup"),
        (BoxKind::Flow, "flow"),
        (BoxKind::Target, "target"),
        (BoxKind::Shared, "shared"),
    ] {
        let ids: Vec<&str> = picture
            .nodes
            .iter()
            .filter(|n| n.kind == kind)
            .map(|n| n.id.as_str())
            .collect();
        if !ids.is_empty() {
            let _ = writeln!(
                out,
                "  classDef {class} stroke:{}\n  class {} {class}",
                super::render_dot::color(kind),
                ids.join(",")
            );
        }
    }
    out
}

fn end(picture: &Picture, (node, row): End) -> String {
    let id = &picture.nodes[node].id;
    match row {
        Some(row) => format!("{id}_{row}"),
        None => id.clone(),
    }
}

/// Mermaid labels are quoted; a quote inside becomes its HTML entity.
fn quote(text: &str) -> String {
    text.replace('"', "#quot;")
}
