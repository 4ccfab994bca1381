//! `test` blocks: each `input`, `lookup` and `expect` block on lines of its own, one record
//! per line, fields in the order written.

use super::expr::string_lit;
use super::writer::{Blank, Writer};
use crate::syntax::ast::{Ident, RecordLit, StringLit, TestDecl, TestPart, ValueKind, ValueLit};

pub fn test(w: &mut Writer, t: &TestDecl) {
    let trivia = w.trivia();
    let start = t.span.start;
    let open = trivia
        .code_char_after(t.name.span.end, '{')
        .unwrap_or(t.name.span.end);
    w.node_line(start, open + 1);
    let name = string_lit(w, &t.name);
    w.write(&format!("test {name} {{"));
    // The test's span ends with its `}`.
    let close = t.span.end.saturating_sub(1);
    if t.parts.is_empty() && !w.has_comments_before(close) {
        w.write("}");
        return;
    }
    w.indent();
    w.set_blank(Blank::Never);
    for part in &t.parts {
        let (keyword, subject, records) = match part {
            TestPart::Input { source, records } => ("input", source, records),
            TestPart::Lookup { lookup, records } => ("lookup", lookup, records),
            TestPart::Expect { target, records } => ("expect", target, records),
        };
        block(w, keyword, subject, records);
        w.set_blank(Blank::AsWritten);
    }
    w.close_block(close);
}

fn block(w: &mut Writer, keyword: &str, subject: &Ident, records: &[RecordLit]) {
    let trivia = w.trivia();
    let start = trivia
        .keyword_before(subject.span.start, keyword)
        .unwrap_or(subject.span.start);
    let open = trivia
        .code_char_after(subject.span.end, '{')
        .unwrap_or(subject.span.end);
    w.node_line(start, open + 1);
    w.write(&format!("{keyword} {} {{", subject.name));
    let after_last = records.last().map_or(open + 1, |r| r.span.end);
    let close = trivia
        .code_char_after(after_last, '}')
        .unwrap_or(trivia.text.len());
    if records.is_empty() && !w.has_comments_before(close) {
        w.write(" }");
        return;
    }
    w.indent();
    w.set_blank(Blank::Never);
    for r in records {
        w.node_line(r.span.start, r.span.end);
        let text = record(w, r);
        w.write(&text);
        w.set_blank(Blank::AsWritten);
    }
    w.close_block(close);
}

/// `{ key: value, ... }` on one line.
fn record(w: &Writer, r: &RecordLit) -> String {
    if r.fields.is_empty() {
        return "{}".to_string();
    }
    let fields: Vec<String> = r
        .fields
        .iter()
        .map(|(key, value)| format!("{}: {}", key_text(w, key), value_text(w, value)))
        .collect();
    format!("{{ {} }}", fields.join(", "))
}

/// A key as written: a name, or a string for a column whose name is not one.
fn key_text(w: &Writer, key: &Ident) -> String {
    let written = w
        .trivia()
        .text
        .get(key.span.start..key.span.end)
        .unwrap_or("");
    if written.starts_with('"') {
        string_lit(
            w,
            &StringLit {
                value: key.name.clone(),
                span: key.span,
            },
        )
    } else {
        key.name.clone()
    }
}

/// A value as written (`0.50`, `1e3` and escapes stay as the author spelled them).
fn value_text(w: &Writer, value: &ValueLit) -> String {
    match &value.kind {
        ValueKind::Null => "null".into(),
        ValueKind::Bool(b) => b.to_string(),
        ValueKind::String(s) => string_lit(
            w,
            &StringLit {
                value: s.clone(),
                span: value.span,
            },
        ),
        ValueKind::Int(_) | ValueKind::Float(_) => w
            .trivia()
            .text
            .get(value.span.start..value.span.end)
            .unwrap_or("0")
            .to_string(),
    }
}
