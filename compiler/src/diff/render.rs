//! The diff for people (grouped, old and new forms indented) and for tools (JSON).

use std::fmt::Write as _;

use super::{ChangeKind, MappingDiff};

/// The diff for people: one heading per group (`flow phase`), one line per change with `+`
/// added, `-` dropped, `~` changed, and the old and new forms under it. Empty when nothing
/// changed.
pub fn render_text(diff: &MappingDiff, old_name: &str, new_name: &str) -> String {
    if diff.is_empty() {
        return String::new();
    }
    let mut out = format!("--- {old_name}\n+++ {new_name}\n");
    let mut group: Option<&str> = None;
    for c in &diff.changes {
        let mark = match c.kind {
            ChangeKind::Added => '+',
            ChangeKind::Dropped => '-',
            ChangeKind::Changed => '~',
        };
        let indent = if c.subject.is_empty() {
            let _ = writeln!(
                out,
                "{mark} {} ({} {})",
                c.group,
                c.aspect.word(),
                c.kind.word()
            );
            group = Some(&c.group);
            "    "
        } else {
            if group != Some(c.group.as_str()) {
                let _ = writeln!(out, "~ {}", c.group);
                group = Some(&c.group);
            }
            let _ = writeln!(
                out,
                "  {mark} {} ({} {})",
                c.subject,
                c.aspect.word(),
                c.kind.word()
            );
            "      "
        };
        for (label, text) in [("old: ", &c.old), ("new: ", &c.new)] {
            if let Some(text) = text {
                let pad = format!("\n{indent}     ");
                let _ = writeln!(out, "{indent}{label}{}", text.replace('\n', &pad));
            }
        }
    }
    let n = diff.changes.len();
    let _ = writeln!(out, "{n} change{}", if n == 1 { "" } else { "s" });
    out
}

/// The diff for tools: `{"changed": bool, "changes": [...]}`.
pub fn render_json(diff: &MappingDiff) -> serde_json::Value {
    let changes: Vec<serde_json::Value> = diff
        .changes
        .iter()
        .map(|c| {
            serde_json::json!({
                "group": c.group,
                "subject": c.subject,
                "change": c.kind.word(),
                "aspect": c.aspect.word(),
                "old": c.old,
                "new": c.new,
            })
        })
        .collect();
    serde_json::json!({ "changed": !diff.is_empty(), "changes": changes })
}
