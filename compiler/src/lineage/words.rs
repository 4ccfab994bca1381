//! The answer of `fdi lineage` in words, and as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::graph::{Deps, Origin};
use super::query::{FieldAnswer, FlowAnswer};

/// The answer for people: per flow, what the field reads, how lookup rows are chosen, what
/// can reject the record on the way, and what the flow's filter reads.
pub fn describe(answer: &FieldAnswer) -> String {
    let mut out = String::new();
    let n = answer.flows.len();
    let _ = writeln!(
        out,
        "{}.{} ({} field `{}` of `{}`) is assigned by {}.",
        answer.target,
        answer.field,
        if answer.optional {
            "optional"
        } else {
            "required"
        },
        answer.field,
        answer.entity,
        match n {
            0 => "no flow: it is written as absent".to_string(),
            1 => "1 flow".to_string(),
            n => format!("{n} flows"),
        }
    );
    for flow in &answer.flows {
        out.push('\n');
        describe_flow(&mut out, answer, flow);
    }
    out
}

fn describe_flow(out: &mut String, answer: &FieldAnswer, flow: &FlowAnswer) {
    let d = &flow.deps;
    let _ = writeln!(
        out,
        "flow {}: {} -> {}",
        flow.flow, flow.source, answer.target
    );
    let line = |out: &mut String, what: &str, items: Vec<String>| {
        if !items.is_empty() {
            let _ = writeln!(out, "  {what:<16}{}", items.join(", "));
        }
    };
    let reads = |kind: fn(&Origin) -> bool| -> Vec<String> {
        d.values
            .iter()
            .filter(|o| kind(o))
            .map(|o| o.describe(&flow.source))
            .collect()
    };
    line(
        out,
        "source fields",
        reads(|o| matches!(o, Origin::SourceField { .. })),
    );
    line(
        out,
        "record",
        reads(|o| {
            matches!(
                o,
                Origin::Position | Origin::SourceName | Origin::Topic | Origin::TopicLevel(_)
            )
        }),
    );
    line(
        out,
        "lookup fields",
        reads(|o| matches!(o, Origin::LookupField { .. })),
    );
    // A value converted at decode by its row's unit names the column that gave the unit (which
    // the lines above list only when it is a field of its own).
    line(
        out,
        "unit columns",
        d.units
            .iter()
            .map(|(field, column)| {
                format!(
                    "{}, the unit of {}",
                    column.describe(&flow.source),
                    field.describe(&flow.source)
                )
            })
            .collect(),
    );
    // Each lookup row as `lookup[what its key reads]`, one per line.
    let mut rows: Vec<String> = keys_by_lookup(d)
        .into_iter()
        .map(|(lookup, keys)| {
            let keys: Vec<String> = keys.iter().map(|o| o.describe(&flow.source)).collect();
            format!("{lookup}[{}]", keys.join(", "))
        })
        .collect();
    rows.extend(
        constant_key_lookups(d)
            .into_iter()
            .map(|lookup| format!("{lookup}[a constant key]")),
    );
    if !rows.is_empty() {
        let pad = format!("\n{:18}", "");
        line(out, "lookup rows", vec![rows.join(&pad)]);
    }
    if d.is_constant() {
        line(
            out,
            "reads",
            vec!["no source or lookup value: a constant".to_string()],
        );
    }
    line(out, "constants", d.constants.iter().cloned().collect());
    line(out, "through lets", d.bindings.iter().cloned().collect());
    line(out, "functions", d.functions.iter().cloned().collect());
    line(
        out,
        "rejected when",
        d.rejects.iter().map(|r| crate::format::quote(r)).collect(),
    );
    if let Some(filter) = &flow.filter {
        line(
            out,
            "filter (where)",
            vec![format!(
                "the record is written only when it holds; it reads {}",
                filter_reads(filter, &flow.source)
            )],
        );
    }
    if let Some(skips) = &flow.skips {
        line(
            out,
            "skip when",
            vec![format!(
                "the record is filtered when one holds; it reads {}",
                filter_reads(skips, &flow.source)
            )],
        );
    }
}

/// What a filter's condition reads, for the words: its values, then what its lookup keys read
/// (in key order), each once.
fn filter_reads(d: &Deps, source: &str) -> String {
    let mut reads: Vec<String> = Vec::new();
    for origin in d.values.iter().chain(d.keys.iter().map(|k| &k.origin)) {
        let read = origin.describe(source);
        if !reads.contains(&read) {
            reads.push(read);
        }
    }
    if reads.is_empty() {
        "constants only".to_string()
    } else {
        reads.join(", ")
    }
}

/// The origins of lookup keys, per lookup, in the order of the lookup's key fields.
fn keys_by_lookup(d: &Deps) -> BTreeMap<&str, Vec<&Origin>> {
    let mut by: BTreeMap<&str, Vec<&Origin>> = BTreeMap::new();
    for read in &d.keys {
        by.entry(read.lookup.as_str())
            .or_default()
            .push(&read.origin);
    }
    by
}

/// Lookups whose fields the value reads but whose key reads nothing: a constant key.
fn constant_key_lookups(d: &Deps) -> Vec<&str> {
    let mut out: Vec<&str> = d
        .values
        .iter()
        .filter_map(|o| match o {
            Origin::LookupField { lookup, .. } => Some(lookup.as_str()),
            _ => None,
        })
        .filter(|l| !d.keys.iter().any(|k| k.lookup == *l))
        .collect();
    out.dedup();
    out
}

/// The answer for tools: `fdi lineage --format json`.
pub fn to_json(answer: &FieldAnswer) -> serde_json::Value {
    let flows: Vec<serde_json::Value> = answer
        .flows
        .iter()
        .map(|f| {
            let d = &f.deps;
            let keys: Vec<serde_json::Value> = keys_by_lookup(d)
                .into_iter()
                .map(|(lookup, origins)| {
                    serde_json::json!({
                        "lookup": lookup,
                        "reads": origins.iter().map(|o| origin_json(o, &f.source)).collect::<Vec<_>>(),
                    })
                })
                .collect();
            serde_json::json!({
                "flow": f.flow,
                "source": f.source,
                "reads": d.values.iter().map(|o| origin_json(o, &f.source)).collect::<Vec<_>>(),
                "lookup_keys": keys,
                "unit_columns": d.units.iter().map(|(field, column)| serde_json::json!({
                    "field": field.describe(&f.source),
                    "column": origin_json(column, &f.source),
                })).collect::<Vec<_>>(),
                "constant": d.is_constant(),
                "constants": d.constants,
                "bindings": d.bindings,
                "functions": d.functions,
                "rejects": d.rejects,
                "filter": f.filter.as_ref().map(|filter| serde_json::json!({
                    "reads": filter.values.iter().map(|o| origin_json(o, &f.source)).collect::<Vec<_>>(),
                })),
                "skips": f.skips.as_ref().map(|skips| serde_json::json!({
                    "reads": skips.values.iter().map(|o| origin_json(o, &f.source)).collect::<Vec<_>>(),
                })),
            })
        })
        .collect();
    serde_json::json!({
        "target": answer.target,
        "field": answer.field,
        "entity": answer.entity,
        "optional": answer.optional,
        "flows": flows,
    })
}

fn origin_json(o: &Origin, source: &str) -> serde_json::Value {
    let kind = match o {
        Origin::SourceField { .. } => "source_field",
        Origin::SourceColumn { .. } => "source_column",
        Origin::LookupField { .. } => "lookup_field",
        Origin::LookupColumn { .. } => "lookup_column",
        Origin::Position => "position",
        Origin::SourceName => "source_name",
        Origin::Topic => "topic",
        Origin::TopicLevel(_) => "topic_level",
    };
    serde_json::json!({ "kind": kind, "name": o.describe(source) })
}
