//! `src/types.rs`: the schema's identifier types, enums and entities as Rust types.

use std::collections::BTreeSet;

use codegen::Scope;

use super::names::{is_camel_case, unraw, Names, SampleField};
use crate::ir;
use crate::schema::{Entity, FieldType, IdBase, TimeFormatSpec};

/// The Rust type of a field's value (without `Option` for optional fields).
pub fn rust_type(ty: &FieldType, names: &Names) -> String {
    match ty {
        FieldType::String => "String".into(),
        FieldType::Int => "i64".into(),
        FieldType::Float => "f64".into(),
        FieldType::Bool => "bool".into(),
        FieldType::Timestamp => "::fdi_runtime::Timestamp".into(),
        FieldType::Identifier(n) | FieldType::Enum(n) => names.type_path(n),
    }
}

/// A schema's description as the text of a doc comment: line breaks of any kind become `\n`
/// (a bare carriage return is an error in a doc comment), and other control characters and
/// the bidirectional-text controls (which rustc refuses in comments) are written as escapes.
fn doc_text(description: &str) -> String {
    let lines = description.replace("\r\n", "\n").replace('\r', "\n");
    lines
        .chars()
        .map(|c| {
            let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
            if (c.is_control() && c != '\n' && c != '\t') || bidi {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// `#[serde(rename = "...")]` when a field's or variant's Rust name is not its name in the data.
fn rename(ident: &str, data_name: &str) -> Option<String> {
    (unraw(ident) != data_name).then(|| format!("#[serde(rename = {data_name:?})]"))
}

/// The schema types the program needs: those the rest of the generated code names (written
/// before this file, see [`Names::named_types`]) and, for each entity among them, the types of
/// its fields. A schema describes a whole plant; a mapping uses part of it, and a type the
/// program never uses would be dead code that rustc warns about.
fn used_types(schema: &crate::schema::SchemaSet, names: &Names) -> BTreeSet<String> {
    let mut used = names.named_types();
    let entities: Vec<&Entity> = schema
        .entities
        .values()
        .filter(|e| used.contains(&e.name))
        .collect();
    for entity in entities {
        for field in &entity.fields {
            if let FieldType::Identifier(n) | FieldType::Enum(n) = &field.ty {
                used.insert(n.clone());
            }
        }
    }
    used
}

/// `src/types.rs`. Written after every other file, since it holds only the types they use.
pub fn types_rs(program: &ir::Program, names: &Names) -> String {
    let schema = &program.schema;
    let used = used_types(schema, names);
    let mut scope = Scope::new();
    scope.raw(super::header(program));
    scope.raw("//! The types declared in the mapping's schema files.");
    for id in schema
        .identifiers
        .values()
        .filter(|i| used.contains(&i.name))
    {
        let rule = names.rule(&id.name);
        let mut doc = format!("The rules of identifier type `{}`.", id.name);
        if let Some(d) = &id.description {
            doc = format!("{}\n\n{doc}", doc_text(d));
        }
        let rules_type = scope.new_enum(rule).vis("pub").doc(doc);
        if !is_camel_case(rule) {
            rules_type.allow("non_camel_case_types");
        }
        let base = match id.base {
            IdBase::String => "::fdi_runtime::IdBase::Text",
            IdBase::Int => "::fdi_runtime::IdBase::Integer",
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
                "    const CHECK_DIGIT: Option<::fdi_runtime::CheckDigit> = Some(::fdi_runtime::CheckDigit::{digit:?});\n"
            ));
        }
        scope.raw(format!(
            "impl ::fdi_runtime::IdRule for {rule} {{\n    \
                 const TYPE_NAME: &'static str = {name:?};\n    \
                 const BASE: ::fdi_runtime::IdBase = {base};\n    \
                 const PATTERN: Option<&'static str> = {pattern};\n\
             {rules}\n    \
                 fn compiled_pattern() -> &'static ::std::sync::OnceLock<::fdi_runtime::IdPattern> {{\n        \
                     static COMPILED: ::std::sync::OnceLock<::fdi_runtime::IdPattern> = ::std::sync::OnceLock::new();\n        \
                     &COMPILED\n    \
                 }}\n\
             }}",
            name = id.name
        ));
        let alias = scope
            .new_type_alias(names.ty(&id.name), format!("::fdi_runtime::Id<{rule}>"))
            .vis("pub");
        if !is_camel_case(names.ty(&id.name)) {
            alias.allow("non_camel_case_types");
        }
    }
    for e in schema.enums.values().filter(|e| used.contains(&e.name)) {
        if schema.is_builtin_quality(&e.name) {
            // The built-in enum of a sample's quality is the runtime's own type, named here (when
            // the mapping names a code) so that `crate::types::Quality::GOOD` reads like any
            // enum code.
            scope.raw("pub use ::fdi_runtime::Quality;");
            continue;
        }
        let name = names.ty(&e.name);
        let en = scope
            .new_enum(name)
            .vis("pub")
            .derive("Debug")
            .derive("Clone")
            .derive("Copy")
            .derive("PartialEq")
            .derive("Eq")
            .derive("Hash")
            .derive("::fdi_runtime::serde::Serialize")
            .derive("::fdi_runtime::serde::Deserialize")
            .r#macro("#[serde(crate = \"::fdi_runtime::serde\")]");
        let camel = is_camel_case(name)
            && e.codes
                .iter()
                .all(|c| is_camel_case(names.variant(&e.name, c)));
        if !camel {
            // The schema's names are kept as they are: `Foo_Bar`, codes such as `in_progress`.
            en.allow("non_camel_case_types");
        }
        if let Some(d) = &e.description {
            en.doc(doc_text(d));
        }
        for code in &e.codes {
            let ident = names.variant(&e.name, code);
            let variant = en.new_variant(ident);
            if let Some(rename) = rename(ident, code) {
                variant.annotation(rename);
            }
        }
        let arms: Vec<String> = e
            .codes
            .iter()
            .map(|c| {
                format!(
                    "            {name}::{} => {c:?},",
                    names.variant(&e.name, c)
                )
            })
            .collect();
        scope.raw(format!(
            "impl ::fdi_runtime::EnumCode for {name} {{\n    \
                 fn code(&self) -> &'static str {{\n        \
                     match self {{\n{arms}\n        }}\n    \
                 }}\n\
             }}",
            arms = arms.join("\n")
        ));
    }
    // The column lists SQLite targets create their tables from: (entity, with provenance).
    let sql_tables: Vec<(&str, bool)> = program
        .targets
        .iter()
        .filter(|t| t.kind.is_table())
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
    for entity in schema.entities.values().filter(|e| used.contains(&e.name)) {
        let borrows = program.sources.iter().any(|s| s.entity == entity.name)
            && !owned.contains(&entity.name.as_str());
        let text = if holds_text(program, &entity.name) {
            TextFields::Text
        } else if borrows {
            TextFields::Borrowed
        } else {
            TextFields::String
        };
        entity_struct(&mut scope, entity, text, names);
        for traced in [false, true] {
            if sql_tables.contains(&(entity.name.as_str(), traced)) {
                scope.raw(columns(entity, schema, traced, names));
            }
        }
    }
    scope.to_string() + "\n"
}

/// How an entity's struct holds the text of its plain text fields (not a sample's value).
#[derive(Clone, Copy, PartialEq)]
enum TextFields {
    /// `String`: lookups' records, kept for the whole run, and source records that do not
    /// borrow.
    String,
    /// `Cow<'r, str>` borrowed from the raw record: records read only from sources.
    Borrowed,
    /// `::fdi_runtime::Text`: records only targets take, built by flows mostly from copied
    /// text, which a `Text` of usual length holds without allocating.
    Text,
}

/// Whether `entity`'s struct holds its text fields as `::fdi_runtime::Text` (see
/// [`TextFields::Text`]): an entity that only targets take, with no unit columns (whose structs
/// are decoded, never built by a flow). The flows then build each such field with
/// `Text::new(&str)` from text they read in place.
pub fn holds_text(program: &ir::Program, entity: &str) -> bool {
    program.targets.iter().any(|t| t.entity == entity)
        && !program.lookups.iter().any(|l| l.entity == entity)
        && !program.sources.iter().any(|s| s.entity == entity)
        && program
            .schema
            .entities
            .get(entity)
            .is_some_and(|e| e.fields.iter().all(|f| f.unit_column.is_none()))
}

/// Whether a field's text is borrowed from the raw record (a `Cow<'r, str>`) in a struct that
/// borrows.
fn borrowed_text(field: &crate::schema::Field, text: TextFields) -> bool {
    text == TextFields::Borrowed && is_plain_text(field)
}

/// A text field that is not a sample's value.
pub fn is_plain_text(field: &crate::schema::Field) -> bool {
    field.ty == FieldType::String && field.quality.is_none()
}

fn entity_struct(scope: &mut Scope, entity: &Entity, text: TextFields, names: &Names) {
    if entity.fields.iter().any(|f| f.unit_column.is_some()) {
        unit_column_structs(scope, entity, names);
        return;
    }
    entity_struct_as(scope, entity, text, names, StructRole::Plain);
}

/// Which of the structs of an entity [`entity_struct_as`] writes: the entity's own, and for
/// an entity with unit columns, the raw one it is decoded from before its values are converted.
#[derive(Clone, Copy, PartialEq)]
enum StructRole {
    Plain,
    /// The entity's struct, decoded through its raw struct (`#[serde(try_from)]`).
    Converted,
    /// The raw struct: values in their row's unit, and the unit columns the entity lacks.
    Raw,
}

/// The name of the raw struct of an entity with unit columns.
fn raw_name(entity: &Entity, names: &Names) -> String {
    format!("{}__Raw", names.ty(&entity.name))
}

/// An entity with unit columns: its raw struct, its own, and the conversion between them.
/// Neither borrows text from the record.
fn unit_column_structs(scope: &mut Scope, entity: &Entity, names: &Names) {
    let raw = raw_name(entity, names);
    let idents = entity_struct_as(scope, entity, TextFields::String, names, StructRole::Raw);
    // The entity's own fields, a sample's quality and timestamp included; not the raw struct's
    // unit columns, which the entity does not hold.
    let own = entity_struct_as(
        scope,
        entity,
        TextFields::String,
        names,
        StructRole::Converted,
    );
    let mut lines = Vec::new();
    for (field, ident) in &own {
        let Some((field, uc)) = field.and_then(|f| f.unit_column.as_ref().map(|uc| (f, uc))) else {
            lines.push(format!("            {ident}: raw.{ident},"));
            continue;
        };
        let units: Vec<String> = uc
            .units
            .iter()
            .map(|(text, c)| match c.arithmetic {
                crate::units::Arithmetic::MultiplyAdd { scale, shift } => {
                    format!("({text:?}, {scale:?}, {shift:?}, false)")
                }
                crate::units::Arithmetic::AddDivide { shift, divisor } => {
                    format!("({text:?}, {divisor:?}, {shift:?}, true)")
                }
            })
            .collect();
        let unit = unit_ident(entity, &uc.column, &idents);
        let convert = format!(
            "::fdi_runtime::convert_unit(v, &raw.{unit}, &[{}])?",
            units.join(", ")
        );
        let value = if field.quality.is_some() {
            // A sample's value converts when it is a number: a missing, unavailable or garbled
            // value stays what it is, for the flow to handle as any sample's.
            format!(
                "match raw.{ident} {{ ::fdi_runtime::SampleValue::Value(v) => \
                 ::fdi_runtime::SampleValue::Value({convert}), other => other }}"
            )
        } else if field.optional {
            format!("match raw.{ident} {{ Some(v) => Some({convert}), None => None }}")
        } else {
            format!("{{ let v = raw.{ident}; {convert} }}")
        };
        lines.push(format!("            {ident}: {value},"));
    }
    let name = names.ty(&entity.name);
    scope.raw(format!(
        "impl ::std::convert::TryFrom<{raw}> for {name} {{
                 type Error = String;

                 /// Converts each value whose row gives its unit to the field's unit.
                 fn try_from(raw: {raw}) -> Result<Self, String> {{
                         Ok({name} {{
{}
        }})
                 }}
         }}",
        lines.join("\n")
    ));
}

/// The raw struct's field that holds a unit column: the entity's field of that column, or a
/// field of the raw struct alone.
fn unit_ident(
    entity: &Entity,
    column: &str,
    idents: &[(Option<&crate::schema::Field>, String)],
) -> String {
    idents
        .iter()
        .find(|(f, _)| f.is_some_and(|f| f.external_name() == column && f.quality.is_none()))
        .map(|(_, ident)| ident.clone())
        .unwrap_or_else(|| {
            let i = entity
                .fields
                .iter()
                .filter_map(|f| f.unit_column.as_ref())
                .position(|uc| uc.column == column)
                .unwrap_or(0);
            format!("__unit_{i}")
        })
}

/// Writes one struct of an entity (see [`StructRole`]); returns its fields' idents, each with
/// the schema field it holds the value of (`None`: a sample's quality or timestamp, or a raw
/// unit column).
fn entity_struct_as<'e>(
    scope: &mut Scope,
    entity: &'e Entity,
    text: TextFields,
    names: &Names,
    role: StructRole,
) -> Vec<(Option<&'e crate::schema::Field>, String)> {
    let mut idents = Vec::new();
    let lifetime = entity.fields.iter().any(|f| borrowed_text(f, text));
    let raw = raw_name(entity, names);
    let st = if role == StructRole::Raw {
        scope
            .new_struct(&raw)
            .derive("::fdi_runtime::serde::Deserialize")
            .r#macro("#[serde(crate = \"::fdi_runtime::serde\")]")
            .allow("non_snake_case")
            .allow("non_camel_case_types")
            .doc(format!(
                "`{}` as decoded, before its values are converted from their row's unit.",
                entity.name
            ))
    } else {
        scope
            .new_struct(names.ty(&entity.name))
            .vis("pub")
            .derive("Debug")
            .derive("Clone")
            .derive("PartialEq")
            .derive("::fdi_runtime::serde::Serialize")
            .derive("::fdi_runtime::serde::Deserialize")
            .r#macro("#[serde(crate = \"::fdi_runtime::serde\")]")
            .allow("non_snake_case")
    };
    if role == StructRole::Converted {
        st.r#macro(format!("#[serde(try_from = {raw:?})]"));
    }
    if role != StructRole::Raw && !is_camel_case(names.ty(&entity.name)) {
        st.allow("non_camel_case_types");
    }
    if lifetime {
        st.generic("'r");
    }
    if let Some(d) = &entity.description {
        st.doc(doc_text(d));
    }
    let mut readers = Vec::new();
    for field in &entity.fields {
        if let Some(columns) = &field.quality {
            // A sample: the value as delivered, its quality and its source timestamp, each
            // from its own column; none of them is a decode error when missing.
            let value = format!(
                "::fdi_runtime::SampleValue<{}>",
                rust_type(&field.ty, names)
            );
            idents.push((Some(field), names.field_ident(&field.name).to_string()));
            idents.push((
                None,
                names
                    .sample_ident(&field.name, SampleField::Quality)
                    .to_string(),
            ));
            idents.push((
                None,
                names
                    .sample_ident(&field.name, SampleField::Timestamp)
                    .to_string(),
            ));
            st.new_field(names.field_ident(&field.name), value)
                .vis("pub")
                .annotation(format!(
                    "#[serde(rename = {:?}, default)]",
                    field.external_name()
                ));
            st.new_field(
                names.sample_ident(&field.name, SampleField::Quality),
                "::fdi_runtime::Quality",
            )
            .vis("pub")
            .annotation(format!("#[serde(rename = {:?}, default)]", columns.quality));
            let stamp = st
                .new_field(
                    names.sample_ident(&field.name, SampleField::Timestamp),
                    "Option<::fdi_runtime::Timestamp>",
                )
                .vis("pub")
                .annotation(format!(
                    "#[serde(rename = {:?}, default)]",
                    columns.timestamp
                ));
            if let Some(format) = &columns.timestamp_format {
                let reader =
                    names.time_reader(&entity.name, &field.name, Some(SampleField::Timestamp));
                stamp.annotation(format!("#[serde(deserialize_with = \"{reader}\")]"));
                readers.push(time_reader(reader, format, true));
            }
            continue;
        }
        let borrowed = borrowed_text(field, text);
        let ty = if borrowed {
            "::std::borrow::Cow<'r, str>".to_string()
        } else if text == TextFields::Text && is_plain_text(field) {
            "::fdi_runtime::Text".to_string()
        } else {
            rust_type(&field.ty, names)
        };
        let ty = if field.optional {
            format!("Option<{ty}>")
        } else {
            ty
        };
        let ident = names.field_ident(&field.name);
        idents.push((Some(field), ident.to_string()));
        let f = st.new_field(ident, ty).vis("pub");
        if borrowed {
            f.annotation("#[serde(borrow)]");
        }
        if let Some(rename) = rename(ident, field.external_name()) {
            f.annotation(rename);
        }
        if field.optional {
            f.annotation("#[serde(default)]");
        }
        if borrowed && field.optional {
            // serde's own `Option<Cow<str>>` copies the text; this borrows it as the required
            // fields do.
            f.annotation("#[serde(deserialize_with = \"::fdi_runtime::decode::optional_text\")]");
        }
        if let Some(format) = &field.time_format {
            let reader = names.time_reader(&entity.name, &field.name, None);
            f.annotation(format!("#[serde(deserialize_with = \"{reader}\")]"));
            readers.push(time_reader(reader, format, field.optional));
        }
    }
    if role == StructRole::Raw {
        // The unit columns the entity does not declare, read only for the conversion.
        let mut seen = Vec::new();
        for uc in entity.fields.iter().filter_map(|f| f.unit_column.as_ref()) {
            let declared = entity
                .fields
                .iter()
                .any(|f| f.external_name() == uc.column && f.quality.is_none());
            if declared || seen.contains(&uc.column) {
                continue;
            }
            seen.push(uc.column.clone());
            let ident = unit_ident(entity, &uc.column, &[]);
            // Read only to be compared: kept inline, not copied into a `String` per row.
            st.new_field(&ident, "::fdi_runtime::Text")
                .annotation(format!("#[serde(rename = {:?})]", uc.column));
            idents.push((None, ident));
        }
    } else {
        for reader in readers {
            scope.push_fn(reader);
        }
    }
    idents
}

/// A serde `deserialize_with` function that reads a timestamp in its declared format.
fn time_reader(name: &str, format: &TimeFormatSpec, optional: bool) -> codegen::Function {
    // A pattern and its zone are resolved once, on the field's first value, not for every value.
    let mut resolved = None;
    let format = match format {
        TimeFormatSpec::Iso8601 => "::fdi_runtime::time::TimeFormat::Iso8601".to_string(),
        TimeFormatSpec::EpochSeconds => "::fdi_runtime::time::TimeFormat::EpochSeconds".to_string(),
        TimeFormatSpec::EpochMillis => "::fdi_runtime::time::TimeFormat::EpochMillis".to_string(),
        TimeFormatSpec::Pattern { format, zone } => {
            resolved = Some(zoned_format_static("FORMAT", format, zone));
            "::fdi_runtime::time::TimeFormat::Zoned(&FORMAT)".to_string()
        }
    };
    let (ty, read) = if optional {
        (
            "Option<::fdi_runtime::Timestamp>",
            "deserialize_optional_timestamp_with",
        )
    } else {
        ("::fdi_runtime::Timestamp", "deserialize_timestamp_with")
    };
    let mut f = codegen::Function::new(name);
    f.doc("Reads the field's text in the format its schema declares.")
        .allow("non_snake_case")
        .generic("'de")
        .generic("D: ::fdi_runtime::serde::Deserializer<'de>")
        .arg("deserializer", "D")
        .ret(format!("Result<{ty}, D::Error>"));
    if let Some(resolved) = resolved {
        f.line(resolved);
    }
    f.line(format!(
        "::fdi_runtime::time::{read}(deserializer, {format})"
    ));
    f
}

/// A `static` named `name` holding a strftime format and its zone, resolved on first use
/// (`::fdi_runtime::time::ZonedFormat`): for a field's reader, or a call with literal arguments.
pub(super) fn zoned_format_static(name: &str, format: &str, zone: &str) -> String {
    format!(
        "static {name}: ::fdi_runtime::time::ZonedFormat = \
         ::fdi_runtime::time::ZonedFormat::new({format:?}, {zone:?});"
    )
}

/// The column list a SQLite target creates its table from; `traced` adds the provenance
/// columns after the entity's own.
fn columns(
    entity: &Entity,
    schema: &crate::schema::SchemaSet,
    traced: bool,
    names: &Names,
) -> String {
    let mut lines: Vec<String> = entity
        .fields
        .iter()
        .map(|f| {
            let sql = match &f.ty {
                FieldType::Int => "Integer",
                FieldType::Bool => "Boolean",
                FieldType::Timestamp => "Timestamp",
                FieldType::Identifier(id) if schema.identifiers.get(id).is_some_and(|i| i.base == IdBase::Int) => "Integer",
                FieldType::Float => "Real",
                _ => "Text",
            };
            format!(
                "    ::fdi_runtime::Column {{ name: {:?}, sql_type: ::fdi_runtime::SqlType::{sql}, nullable: {} }},",
                f.external_name(),
                f.optional
            )
        })
        .collect();
    let name = names.columns(&entity.name, traced);
    if !traced {
        return format!(
            "/// The table columns of `{}`, in declaration order.\npub const {name}: &[::fdi_runtime::Column] = &[\n{}\n];",
            entity.name,
            lines.join("\n")
        );
    }
    lines.extend(fdi_runtime::provenance::COLUMNS.iter().map(|c| {
        format!(
            "    ::fdi_runtime::Column {{ name: {:?}, sql_type: ::fdi_runtime::SqlType::{:?}, nullable: {} }},",
            c.name, c.sql_type, c.nullable
        )
    }));
    format!(
        "/// The table columns of `{}` written with provenance: its fields, then where each record\n/// came from.\npub const {name}: &[::fdi_runtime::Column] = &[\n{}\n];",
        entity.name,
        lines.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::doc_text;

    #[test]
    fn descriptions_become_doc_comment_text() {
        assert_eq!(doc_text("one\r\ntwo\rthree\nfour"), "one\ntwo\nthree\nfour");
        assert_eq!(doc_text("tab\there"), "tab\there");
        assert_eq!(doc_text("bell\u{7} nul\u{0}"), "bell\\u{7} nul\\u{0}");
        // rustc refuses bidirectional-text controls in comments.
        assert_eq!(doc_text("a\u{202E}b\u{2066}c"), "a\\u{202e}b\\u{2066}c");
        assert_eq!(doc_text("Größe ± 0,1 mm"), "Größe ± 0,1 mm");
    }
}
