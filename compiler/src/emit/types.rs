//! `src/types.rs`: the schema's identifier types, enums and entities as Rust types.

use codegen::Scope;

use super::names::{field_ident, sample_ident, screaming_snake};
use crate::ir;
use crate::schema::{Entity, FieldType, IdBase, TimeFormatSpec};

/// The Rust type of a field's value (without `Option` for optional fields).
pub fn rust_type(ty: &FieldType) -> String {
    match ty {
        FieldType::String => "String".into(),
        FieldType::Int => "i64".into(),
        FieldType::Float => "f64".into(),
        FieldType::Bool => "bool".into(),
        FieldType::Timestamp => "fdi_runtime::Timestamp".into(),
        FieldType::Identifier(n) | FieldType::Enum(n) => format!("crate::types::{n}"),
    }
}

/// The name of the column list of an entity written to SQL tables.
pub fn columns_const(entity: &str) -> String {
    format!("{}_COLUMNS", screaming_snake(entity))
}

pub fn types_rs(program: &ir::Program) -> String {
    let schema = &program.schema;
    let mut scope = Scope::new();
    scope.raw(super::header(program));
    scope.raw("//! The types declared in the mapping's schema files.");
    for id in schema.identifiers.values() {
        let rule = format!("{}Rule", id.name);
        let mut doc = format!("The rules of identifier type `{}`.", id.name);
        if let Some(d) = &id.description {
            doc = format!("{d}\n\n{doc}");
        }
        scope.new_enum(&rule).vis("pub").doc(doc);
        let base = match id.base {
            IdBase::String => "fdi_runtime::IdBase::Text",
            IdBase::Int => "fdi_runtime::IdBase::Integer",
        };
        let pattern = match &id.pattern {
            Some(p) => format!("Some({p:?})"),
            None => "None".into(),
        };
        // Length and check-digit rules only when declared: the trait's defaults say "none".
        let mut rules = String::new();
        if let Some(min) = id.min_len {
            rules.push_str(&format!(
                "    const MIN_LEN: Option<usize> = Some({min});\n"
            ));
        }
        if let Some(max) = id.max_len {
            rules.push_str(&format!(
                "    const MAX_LEN: Option<usize> = Some({max});\n"
            ));
        }
        if let Some(digit) = id.check_digit {
            rules.push_str(&format!(
                "    const CHECK_DIGIT: Option<fdi_runtime::CheckDigit> = Some(fdi_runtime::CheckDigit::{digit:?});\n"
            ));
        }
        scope.raw(format!(
            "impl fdi_runtime::IdRule for {rule} {{\n    \
                 const TYPE_NAME: &'static str = {name:?};\n    \
                 const BASE: fdi_runtime::IdBase = {base};\n    \
                 const PATTERN: Option<&'static str> = {pattern};\n\
             {rules}\n    \
                 fn compiled_pattern() -> &'static std::sync::OnceLock<fdi_runtime::IdPattern> {{\n        \
                     static COMPILED: std::sync::OnceLock<fdi_runtime::IdPattern> = std::sync::OnceLock::new();\n        \
                     &COMPILED\n    \
                 }}\n\
             }}",
            name = id.name
        ));
        scope
            .new_type_alias(&id.name, format!("fdi_runtime::Id<{rule}>"))
            .vis("pub");
    }
    for e in schema.enums.values() {
        if e.name == crate::schema::QUALITY_ENUM {
            // The built-in enum of a sample's quality is the runtime's own type.
            scope.raw("pub use fdi_runtime::Quality;");
            continue;
        }
        let en = scope
            .new_enum(&e.name)
            .vis("pub")
            .derive("Debug")
            .derive("Clone")
            .derive("Copy")
            .derive("PartialEq")
            .derive("Eq")
            .derive("Hash")
            .derive("fdi_runtime::serde::Serialize")
            .derive("fdi_runtime::serde::Deserialize")
            .r#macro("#[serde(crate = \"fdi_runtime::serde\")]")
            .allow("non_camel_case_types");
        if let Some(d) = &e.description {
            en.doc(d);
        }
        for code in &e.codes {
            let variant = en.new_variant(field_ident(code));
            if field_ident(code) != *code {
                variant.annotation(format!("#[serde(rename = {code:?})]"));
            }
        }
        let arms: Vec<String> = e
            .codes
            .iter()
            .map(|c| format!("            {}::{} => {c:?},", e.name, field_ident(c)))
            .collect();
        scope.raw(format!(
            "impl fdi_runtime::EnumCode for {name} {{\n    \
                 fn code(&self) -> &'static str {{\n        \
                     match self {{\n{arms}\n        }}\n    \
                 }}\n\
             }}",
            name = e.name,
            arms = arms.join("\n")
        ));
    }
    // The column lists SQLite targets create their tables from: (entity, with provenance).
    let sql_tables: Vec<(&str, bool)> = program
        .targets
        .iter()
        .filter(|t| matches!(t.kind, ir::TargetKind::Sqlite { .. }))
        .map(|t| (t.entity.as_str(), t.provenance))
        .collect();
    // Records read only from sources borrow their text from the raw record; lookups hold
    // their records for the whole run and targets are built by flows, so theirs own it.
    let owned: Vec<&str> = program
        .lookups
        .iter()
        .map(|l| l.entity.as_str())
        .chain(program.targets.iter().map(|t| t.entity.as_str()))
        .collect();
    for entity in schema.entities.values() {
        let borrows = program.sources.iter().any(|s| s.entity == entity.name)
            && !owned.contains(&entity.name.as_str());
        entity_struct(&mut scope, entity, borrows);
        for traced in [false, true] {
            if sql_tables.contains(&(entity.name.as_str(), traced)) {
                scope.raw(columns(entity, schema, traced));
            }
        }
    }
    scope.to_string() + "\n"
}

/// Whether a field's text is borrowed from the raw record (a `Cow<'r, str>`) in a struct that
/// borrows.
fn borrowed_text(field: &crate::schema::Field, borrows: bool) -> bool {
    borrows && field.ty == FieldType::String && field.quality.is_none()
}

fn entity_struct(scope: &mut Scope, entity: &Entity, borrows: bool) {
    let lifetime = entity.fields.iter().any(|f| borrowed_text(f, borrows));
    let st = scope
        .new_struct(&entity.name)
        .vis("pub")
        .derive("Debug")
        .derive("Clone")
        .derive("PartialEq")
        .derive("fdi_runtime::serde::Serialize")
        .derive("fdi_runtime::serde::Deserialize")
        .r#macro("#[serde(crate = \"fdi_runtime::serde\")]")
        .allow("non_snake_case");
    if lifetime {
        st.generic("'r");
    }
    if let Some(d) = &entity.description {
        st.doc(d);
    }
    let mut readers = Vec::new();
    for field in &entity.fields {
        if let Some(columns) = &field.quality {
            // A sample: the value as delivered, its quality and its source timestamp, each
            // from its own column; none of them is a decode error when missing.
            let value = format!("fdi_runtime::SampleValue<{}>", rust_type(&field.ty));
            st.new_field(field_ident(&field.name), value)
                .vis("pub")
                .annotation(format!(
                    "#[serde(rename = {:?}, default)]",
                    field.external_name()
                ));
            st.new_field(sample_ident(&field.name, "quality"), "fdi_runtime::Quality")
                .vis("pub")
                .annotation(format!("#[serde(rename = {:?}, default)]", columns.quality));
            let stamp = st
                .new_field(
                    sample_ident(&field.name, "timestamp"),
                    "Option<fdi_runtime::Timestamp>",
                )
                .vis("pub")
                .annotation(format!(
                    "#[serde(rename = {:?}, default)]",
                    columns.timestamp
                ));
            if let Some(format) = &columns.timestamp_format {
                let reader = format!("read_{}_{}_timestamp", entity.name, field.name);
                stamp.annotation(format!("#[serde(deserialize_with = \"{reader}\")]"));
                readers.push(time_reader(&reader, format, true));
            }
            continue;
        }
        let borrowed = borrowed_text(field, borrows);
        let ty = if borrowed {
            "std::borrow::Cow<'r, str>".to_string()
        } else {
            rust_type(&field.ty)
        };
        let ty = if field.optional {
            format!("Option<{ty}>")
        } else {
            ty
        };
        let f = st.new_field(field_ident(&field.name), ty).vis("pub");
        if borrowed {
            f.annotation("#[serde(borrow)]");
        }
        if field.column.is_some() {
            f.annotation(format!("#[serde(rename = {:?})]", field.external_name()));
        }
        if field.optional {
            f.annotation("#[serde(default)]");
        }
        if let Some(format) = &field.time_format {
            let reader = format!("read_{}_{}", entity.name, field.name);
            f.annotation(format!("#[serde(deserialize_with = \"{reader}\")]"));
            readers.push(time_reader(&reader, format, field.optional));
        }
    }
    for reader in readers {
        scope.push_fn(reader);
    }
}

/// A serde `deserialize_with` function that reads a timestamp in its declared format.
fn time_reader(name: &str, format: &TimeFormatSpec, optional: bool) -> codegen::Function {
    let format = match format {
        TimeFormatSpec::Iso8601 => "fdi_runtime::time::TimeFormat::Iso8601".to_string(),
        TimeFormatSpec::EpochSeconds => "fdi_runtime::time::TimeFormat::EpochSeconds".to_string(),
        TimeFormatSpec::EpochMillis => "fdi_runtime::time::TimeFormat::EpochMillis".to_string(),
        TimeFormatSpec::Pattern { format, zone } => format!(
            "fdi_runtime::time::TimeFormat::Pattern {{ format: {format:?}, zone: {zone:?} }}"
        ),
    };
    let (ty, read) = if optional {
        (
            "Option<fdi_runtime::Timestamp>",
            "deserialize_optional_timestamp_with",
        )
    } else {
        ("fdi_runtime::Timestamp", "deserialize_timestamp_with")
    };
    let mut f = codegen::Function::new(name);
    f.doc("Reads the field's text in the format its schema declares.")
        .allow("non_snake_case")
        .generic("'de")
        .generic("D: fdi_runtime::serde::Deserializer<'de>")
        .arg("deserializer", "D")
        .ret(format!("Result<{ty}, D::Error>"))
        .line(format!("fdi_runtime::time::{read}(deserializer, {format})"));
    f
}

/// The name of the column list of an entity written with provenance.
pub fn traced_columns_const(entity: &str) -> String {
    format!("{}_TRACED_COLUMNS", screaming_snake(entity))
}

/// The column list a SQLite target creates its table from; `traced` adds the provenance
/// columns after the entity's own.
fn columns(entity: &Entity, schema: &crate::schema::SchemaSet, traced: bool) -> String {
    let mut lines: Vec<String> = entity
        .fields
        .iter()
        .map(|f| {
            let sql = match &f.ty {
                FieldType::Int | FieldType::Bool => "Integer",
                FieldType::Identifier(id) if schema.identifiers.get(id).is_some_and(|i| i.base == IdBase::Int) => "Integer",
                FieldType::Float => "Real",
                _ => "Text",
            };
            format!(
                "    fdi_runtime::Column {{ name: {:?}, sql_type: fdi_runtime::SqlType::{sql}, nullable: {} }},",
                f.external_name(),
                f.optional
            )
        })
        .collect();
    if !traced {
        return format!(
            "/// The table columns of `{}`, in declaration order.\npub const {}: &[fdi_runtime::Column] = &[\n{}\n];",
            entity.name,
            columns_const(&entity.name),
            lines.join("\n")
        );
    }
    lines.extend(fdi_runtime::provenance::COLUMNS.iter().map(|c| {
        format!(
            "    fdi_runtime::Column {{ name: {:?}, sql_type: fdi_runtime::SqlType::{:?}, nullable: {} }},",
            c.name, c.sql_type, c.nullable
        )
    }));
    format!(
        "/// The table columns of `{}` written with provenance: its fields, then where each record\n/// came from.\npub const {}: &[fdi_runtime::Column] = &[\n{}\n];",
        entity.name,
        traced_columns_const(&entity.name),
        lines.join("\n")
    )
}
