//! Lookups with a composite key (`key (line, machine)`): how the generated program loads them
//! and how a flow looks a row up. The key's values are `::fdi_runtime::KeyPart`s that borrow
//! the record's text (or copy its int), so a lookup allocates nothing per record; only loading
//! the table owns each row's key.

use super::expr::ExprEmitter;
use super::names::Names;
use crate::ir::{self, Expr, FileFormat, Type};
use crate::schema::FieldType;

/// The field of `Lookups` that loads lookup `l` with a composite key, inside `main`.
pub(super) fn composite_lookup(program: &ir::Program, names: &Names, l: &ir::Lookup) -> String {
    let (load, records) = match (l.format, &l.records) {
        (FileFormat::Csv, _) => ("composite_lookup_csv", String::new()),
        (FileFormat::Xml, Some(records)) => (
            "composite_lookup_xml",
            format!(
                "{}, ",
                super::main_rs::xml_records(program, &l.entity, records)
            ),
        ),
        (FileFormat::Jsonl | FileFormat::Xml, _) => ("composite_lookup_jsonl", String::new()),
    };
    let entity = &program.schema.entities[&l.entity];
    let parts: Vec<String> = l
        .key_fields
        .iter()
        .map(|name| {
            let field = names.field_ident(name);
            match entity.field(name).map(|f| &f.ty) {
                Some(FieldType::Int) => format!("::fdi_runtime::KeyPart::Int(row.{field})"),
                Some(FieldType::Identifier(_)) => {
                    format!("::fdi_runtime::KeyPart::Text(row.{field}.as_str())")
                }
                _ => format!("::fdi_runtime::KeyPart::Text(&row.{field})"),
            }
        })
        .collect();
    format!(
        "    {}: run.{load}({:?}, {:?}, {records}{:?}, |row: &{}| ::fdi_runtime::CompositeKey::new(&[{}]))?,",
        names.lookup(&l.name),
        l.name,
        l.path,
        l.entity,
        names.type_path(&l.entity),
        parts.join(", ")
    )
}

impl ExprEmitter<'_> {
    /// One value of a composite key, borrowed from where the record holds it.
    pub(super) fn key_part(&self, e: &Expr) -> String {
        match e.ty {
            Type::Int => format!("::fdi_runtime::KeyPart::Int({})", self.value(e)),
            _ => format!("::fdi_runtime::KeyPart::Text({})", self.text(e)),
        }
    }
}
