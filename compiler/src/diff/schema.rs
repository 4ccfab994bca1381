//! Changes of the schema types a mapping is checked against: identifier rules, enum codes,
//! entity fields. Descriptions do not count.

use std::collections::BTreeMap;

use super::{Aspect, Change, ChangeKind};
use crate::schema::{
    Entity, EnumType, Field, FieldType, IdBase, IdentifierType, SchemaSet, TimeFormatSpec,
};

pub fn compare(old: &SchemaSet, new: &SchemaSet, out: &mut Vec<Change>) {
    keyed(
        &old.identifiers,
        &new.identifiers,
        "identifier",
        identifier,
        out,
    );
    keyed(&old.enums, &new.enums, "enum", enum_codes, out);
    let entity_fields = |e: &Entity| -> BTreeMap<String, String> {
        e.fields
            .iter()
            .map(|f| (f.name.clone(), field(f)))
            .collect()
    };
    let mut names: Vec<&String> = old.entities.keys().chain(new.entities.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let group = format!("entity {name}");
        match (old.entities.get(name), new.entities.get(name)) {
            (Some(a), Some(b)) => {
                let (a, b) = (entity_fields(a), entity_fields(b));
                let mut fields: Vec<&String> = a.keys().chain(b.keys()).collect();
                fields.sort();
                fields.dedup();
                for f in fields {
                    let (x, y) = (a.get(f), b.get(f));
                    if x != y {
                        out.push(Change {
                            group: group.clone(),
                            subject: format!("field {f}"),
                            kind: kind_of(x.is_some(), y.is_some()),
                            aspect: Aspect::Schema,
                            old: x.cloned(),
                            new: y.cloned(),
                        });
                    }
                }
            }
            (a, b) => out.push(Change {
                group,
                subject: String::new(),
                kind: kind_of(a.is_some(), b.is_some()),
                aspect: Aspect::Schema,
                old: a.map(entity_summary),
                new: b.map(entity_summary),
            }),
        }
    }
}

fn keyed<T>(
    old: &BTreeMap<String, T>,
    new: &BTreeMap<String, T>,
    word: &str,
    text: fn(&T) -> String,
    out: &mut Vec<Change>,
) {
    let mut names: Vec<&String> = old.keys().chain(new.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let (a, b) = (old.get(name).map(text), new.get(name).map(text));
        if a != b {
            out.push(Change {
                group: format!("{word} {name}"),
                subject: String::new(),
                kind: kind_of(a.is_some(), b.is_some()),
                aspect: Aspect::Schema,
                old: a,
                new: b,
            });
        }
    }
}

fn kind_of(before: bool, after: bool) -> ChangeKind {
    match (before, after) {
        (false, true) => ChangeKind::Added,
        (true, false) => ChangeKind::Dropped,
        _ => ChangeKind::Changed,
    }
}

/// An identifier type's rules in words: `string, pattern "EQ-[A-Z]+", length 8..20`.
fn identifier(t: &IdentifierType) -> String {
    let mut parts = vec![match t.base {
        IdBase::String => "string".to_string(),
        IdBase::Int => "int".to_string(),
    }];
    if let Some(p) = &t.pattern {
        parts.push(format!("pattern {}", crate::format::quote(p)));
    }
    match (t.min_len, t.max_len) {
        (None, None) => {}
        (Some(a), Some(b)) if a == b => parts.push(format!("length {a}")),
        (a, b) => parts.push(format!(
            "length {}..{}",
            a.map(|n| n.to_string()).unwrap_or_default(),
            b.map(|n| n.to_string()).unwrap_or_default()
        )),
    }
    if let Some(c) = &t.check_digit {
        parts.push(format!("check digit {c:?}"));
    }
    parts.join(", ")
}

fn enum_codes(e: &EnumType) -> String {
    e.codes.join(", ")
}

fn entity_summary(e: &Entity) -> String {
    let fields: Vec<String> = e.fields.iter().map(field).collect();
    fields.join("; ")
}

/// A field as a schema declares it: `speed: float[rpm]?, column S1, quality, format "%d.%m"`.
fn field(f: &Field) -> String {
    let ty = match &f.ty {
        FieldType::String => "string".to_string(),
        FieldType::Int => "int".to_string(),
        FieldType::Float => "float".to_string(),
        FieldType::Bool => "bool".to_string(),
        FieldType::Timestamp => "timestamp".to_string(),
        FieldType::Identifier(n) | FieldType::Enum(n) => n.clone(),
    };
    let unit = f
        .unit
        .as_ref()
        .map(|u| format!("[{}]", u.unit))
        .unwrap_or_default();
    let mut text = format!(
        "{}: {ty}{unit}{}",
        f.name,
        if f.optional { "?" } else { "" }
    );
    if let Some(c) = &f.column {
        text.push_str(&format!(", column {c}"));
    }
    if let Some(q) = &f.quality {
        text.push_str(&format!(", quality {} / {}", q.quality, q.timestamp));
    }
    if let Some(u) = &f.unit_column {
        let units: Vec<&str> = u.units.iter().map(|(unit, _)| unit.as_str()).collect();
        text.push_str(&format!(
            ", unit from column {} ({})",
            u.column,
            units.join(", ")
        ));
    }
    match &f.time_format {
        None => {}
        Some(TimeFormatSpec::Iso8601) => text.push_str(", format iso8601"),
        Some(TimeFormatSpec::EpochSeconds) => text.push_str(", format epoch_s"),
        Some(TimeFormatSpec::EpochMillis) => text.push_str(", format epoch_ms"),
        Some(TimeFormatSpec::Pattern { format, zone }) => text.push_str(&format!(
            ", format {} zone {zone}",
            crate::format::quote(format)
        )),
    }
    text
}
