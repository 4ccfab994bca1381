//! The header, declarations, flows and statements: one function per kind of node.
//!
//! Each function starts the node's line with [`Writer::node_line`], giving where the node
//! starts in the original text (so comments before it come first) and where its first line
//! ends (so comments inside it can be moved before it).

use super::expr::{first_break, string_lit};
use super::writer::{Blank, Writer};
use crate::source_map::Span;
use crate::syntax::ast::Expr;
use crate::syntax::ast::{
    Connector, FlowDecl, FnDecl, Item, LookupDecl, MappingFile, OptionValue, OptionValueKind,
    PerSourceDecl, SourceDecl, Statement, StringLit, TargetDecl, TypeRef,
};

/// Top-level declarations are printed in groups separated by one blank line: the header,
/// schemas, inputs (sources and lookups), outputs (targets and the dead letter), and each flow
/// on its own. Declarations are never reordered; a group is a run of neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Schemas,
    Inputs,
    Outputs,
    Functions,
    /// Flows and tests are never grouped: the index keeps two of them apart.
    Flow(usize),
}

fn group(index: usize, item: &Item) -> Group {
    match item {
        Item::Import(_) => Group::Schemas,
        Item::Schema(_) => Group::Schemas,
        Item::Function(_) => Group::Functions,
        Item::Test(_) => Group::Flow(index),
        Item::Source(_) | Item::Lookup(_) => Group::Inputs,
        Item::Target(_) | Item::DeadLetter(_) => Group::Outputs,
        Item::Flow(_) => Group::Flow(index),
        // A `per source` block stands on its own, as a flow does.
        Item::PerSource(_) => Group::Flow(index),
    }
}

pub fn mapping(w: &mut Writer, m: &MappingFile) {
    header(w, m);
    let mut previous = None;
    for (index, item) in m.items.iter().enumerate() {
        let this = group(index, item);
        w.set_blank(if previous == Some(this) {
            Blank::AsWritten
        } else {
            Blank::Always
        });
        previous = Some(this);
        item_node(w, item);
    }
}

/// One declaration, flow or test.
pub fn item_node(w: &mut Writer, item: &Item) {
    match item {
        Item::Schema(path) => schema(w, path),
        Item::Source(d) => source(w, d),
        Item::Lookup(d) => lookup(w, d),
        Item::Target(d) => target(w, d),
        Item::DeadLetter(c) => dead_letter(w, c),
        Item::Flow(f) => flow(w, f),
        Item::PerSource(p) => per_source(w, p),
        Item::Import(path) => import(w, path),
        Item::Function(f) => function(w, f),
        Item::Test(t) => super::test_blocks::test(w, t),
    }
}

fn header(w: &mut Writer, m: &MappingFile) {
    let start = w.trivia().first_code();
    match &m.version {
        Some(version) => {
            w.node_line(start, version.span.end);
            let version = string_lit(w, version);
            w.write(&format!("mapping {} version {version}", m.name.name));
        }
        None => {
            w.node_line(start, m.name.span.end);
            w.write(&format!("module {}", m.name.name));
        }
    }
}

fn import(w: &mut Writer, path: &StringLit) {
    let start = keyword_start(w, "import", path.span.start);
    w.node_line(start, path.span.end);
    let path = string_lit(w, path);
    w.write(&format!("import {path}"));
}

/// `fn name(a: float[mm], b: string) -> bool = body`
fn function(w: &mut Writer, f: &FnDecl) {
    let start = keyword_start(w, "fn", f.name.span.start);
    let first = first_break(w.trivia(), &f.body).unwrap_or(f.body.span.end);
    w.node_line(start, first);
    let params: Vec<String> = f
        .params
        .iter()
        .map(|p| format!("{}: {}", p.name.name, type_ref(&p.ty)))
        .collect();
    w.write(&format!(
        "fn {}({}) -> {} =",
        f.name.name,
        params.join(", "),
        type_ref(&f.returns)
    ));
    super::wrap::body_within_width(w, &f.body);
}

fn type_ref(t: &TypeRef) -> String {
    match &t.unit {
        Some(unit) => format!("{}[{}]", t.name.name, unit.text),
        None => t.name.name.clone(),
    }
}

/// Where a declaration starts: its keyword, the last one before its first node.
fn keyword_start(w: &Writer, keyword: &str, first_node: usize) -> usize {
    w.trivia()
        .keyword_before(first_node, keyword)
        .unwrap_or(first_node)
}

fn schema(w: &mut Writer, path: &StringLit) {
    let start = keyword_start(w, "schema", path.span.start);
    w.node_line(start, path.span.end);
    let path = string_lit(w, path);
    w.write(&format!("schema {path}"));
}

fn source(w: &mut Writer, d: &SourceDecl) {
    let start = keyword_start(w, "source", d.name.span.start);
    let end = d.time.as_ref().map_or(d.entity.span.end, |t| t.span.end);
    w.node_line(start, end);
    let time = match &d.time {
        Some(field) => format!(" time {}", field.name),
        None => String::new(),
    };
    w.write(&format!(
        "source {}: {} as {}{time}",
        d.name.name,
        connector(w, &d.connector),
        d.entity.name
    ));
}

fn lookup(w: &mut Writer, d: &LookupDecl) {
    let start = keyword_start(w, "lookup", d.name.span.start);
    let end = d.key.last().map_or(d.entity.span.end, |k| k.span.end);
    w.node_line(start, end);
    // One key field is written bare (`key machine_code`), a composite key in parentheses.
    let key = match d.key.as_slice() {
        [one] => one.name.clone(),
        several => {
            let names: Vec<&str> = several.iter().map(|k| k.name.as_str()).collect();
            format!("({})", names.join(", "))
        }
    };
    w.write(&format!(
        "lookup {}: {} as {} key {key}",
        d.name.name,
        connector(w, &d.connector),
        d.entity.name,
    ));
}

fn target(w: &mut Writer, d: &TargetDecl) {
    let start = keyword_start(w, "target", d.name.span.start);
    let end = d.key.last().map_or(d.entity.span.end, |k| k.span.end);
    let end = d.with.as_ref().map_or(end, |w| w.span.end);
    w.node_line(start, end);
    let key = match d.key.as_slice() {
        [] => String::new(),
        [one] => format!(" key {}", one.name),
        many => {
            let names: Vec<&str> = many.iter().map(|k| k.name.as_str()).collect();
            format!(" key ({})", names.join(", "))
        }
    };
    let with = match &d.with {
        Some(word) => format!(" with {}", word.name),
        None => String::new(),
    };
    w.write(&format!(
        "target {}: {} as {}{key}{with}",
        d.name.name,
        connector(w, &d.connector),
        d.entity.name
    ));
}

fn dead_letter(w: &mut Writer, c: &Connector) {
    let start = keyword_start(w, "dead_letter", c.span.start);
    w.node_line(start, c.span.end);
    let connector = connector(w, c);
    w.write(&format!("dead_letter: {connector}"));
}

/// `csv("path")`, `sqlite("path", table: "t")`, `mqtt(connection: "plant", qos: 1)`.
fn connector(w: &Writer, c: &Connector) -> String {
    let mut args: Vec<String> = c.location.iter().map(|l| string_lit(w, l)).collect();
    for option in &c.options {
        args.push(format!(
            "{}: {}",
            option.name.name,
            option_value(w, &option.value)
        ));
    }
    format!("{}({})", c.kind.name, args.join(", "))
}

/// An option's value as its author wrote it (a number's digits, a duration's unit), lists with
/// their items one after the other.
fn option_value(w: &Writer, v: &OptionValue) -> String {
    match &v.kind {
        OptionValueKind::Text(text) => string_lit(
            w,
            &StringLit {
                value: text.clone(),
                span: v.span,
            },
        ),
        OptionValueKind::Number(written) | OptionValueKind::Duration(written) => written.clone(),
        OptionValueKind::Bool(value) => value.to_string(),
        OptionValueKind::List(items) => {
            let items: Vec<String> = items.iter().map(|i| option_value(w, i)).collect();
            format!("[{}]", items.join(", "))
        }
    }
}

fn flow(w: &mut Writer, f: &FlowDecl) {
    let trivia = w.trivia();
    let start = keyword_start(w, "flow", f.name.span.start);
    let header_end = match (&f.filter, &f.delivery) {
        (Some(filter), _) => filter.span.end,
        (None, Some(delivery)) => delivery.span.end,
        (None, None) => f.target.span.end,
    };
    let open = trivia
        .code_char_after(header_end, '{')
        .unwrap_or(header_end);
    let first = f
        .filter
        .as_ref()
        .and_then(|e| first_break(trivia, e))
        .unwrap_or(open);
    w.node_line(start, first);
    w.write(&format!(
        "flow {}: {} -> {}",
        f.name.name, f.source.name, f.target.name
    ));
    if let Some(delivery) = &f.delivery {
        w.write(&format!(" delivery {}", delivery.name));
    }
    if let Some(filter) = &f.filter {
        w.write(" where ");
        super::wrap::expr_within_width(w, filter, " {", false);
    } else {
        w.write(" {");
    }
    let body_end = f.statements.last().map_or(open + 1, statement_end);
    let close = trivia
        .code_char_after(body_end.max(open + 1), '}')
        .unwrap_or(trivia.text.len());
    if f.statements.is_empty() && !w.has_comments_before(close) {
        w.write("}");
        return;
    }
    w.indent();
    w.set_blank(Blank::Never);
    for s in &f.statements {
        statement(w, s);
    }
    w.close_block(close);
}

/// `per source NAME { let ... }`: as a flow's body, one binding per line.
fn per_source(w: &mut Writer, p: &PerSourceDecl) {
    let trivia = w.trivia();
    let start = keyword_start(w, "per", p.header_span.start);
    let open = trivia
        .code_char_after(p.source.span.end, '{')
        .unwrap_or(p.source.span.end);
    w.node_line(start, open);
    w.write(&format!("per source {} {{", p.source.name));
    let body_end = p.statements.last().map_or(open + 1, statement_end);
    let close = trivia
        .code_char_after(body_end.max(open + 1), '}')
        .unwrap_or(trivia.text.len());
    if p.statements.is_empty() && !w.has_comments_before(close) {
        w.write("}");
        return;
    }
    w.indent();
    w.set_blank(Blank::Never);
    for s in &p.statements {
        statement(w, s);
    }
    w.close_block(close);
}

fn statement(w: &mut Writer, s: &Statement) {
    let (start, keyword, name, value, else_reject) = match s {
        Statement::Let {
            name,
            value,
            else_reject,
        } => {
            let start = keyword_start(w, "let", name.span.start);
            (start, "let ", name, value, else_reject)
        }
        Statement::Assign {
            field,
            value,
            else_reject,
        } => (field.span.start, "", field, value, else_reject),
        Statement::Skip { condition, span } => return skip_statement(w, condition, *span),
    };
    let first = first_break(w.trivia(), value).unwrap_or_else(|| statement_end(s));
    w.node_line(start, first);
    w.write(keyword);
    w.write(&name.name);
    w.write(" = ");
    let tail = else_reject.as_ref().map_or(String::new(), |reason| {
        format!(" else reject {}", string_lit(w, reason))
    });
    super::wrap::expr_within_width(w, value, &tail, true);
}

fn statement_end(s: &Statement) -> usize {
    match s {
        Statement::Let {
            value, else_reject, ..
        }
        | Statement::Assign {
            value, else_reject, ..
        } => else_reject.as_ref().map_or(value.span.end, |r| r.span.end),
        Statement::Skip { condition, .. } => condition.span.end,
    }
}

/// `skip when CONDITION`, broken within the line width as a `where` condition is.
fn skip_statement(w: &mut Writer, condition: &Expr, span: Span) {
    let first = first_break(w.trivia(), condition).unwrap_or(condition.span.end);
    w.node_line(span.start, first);
    w.write("skip when ");
    super::wrap::expr_within_width(w, condition, "", false);
}
