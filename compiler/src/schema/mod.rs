//! The load-schemas stage: master-data schema files (YAML) to a [`SchemaSet`].
//!
//! A schema declares identifier types (nominal ids with an optional pattern), enums (closed
//! sets of codes) and entities (records with typed fields). Every declaration keeps the span of
//! its name in the YAML file, so that the checker can point at the schema when it explains a
//! type.

mod load;
mod locate;

use std::collections::BTreeMap;

pub use load::load_schemas;

use crate::source_map::Span;

/// Every type the schema files of one mapping declare.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchemaSet {
    pub identifiers: BTreeMap<String, IdentifierType>,
    pub enums: BTreeMap<String, EnumType>,
    pub entities: BTreeMap<String, Entity>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdBase {
    String,
    Int,
}

/// `EquipmentId: { base: string, pattern: "MILL-[0-9]{2}" }`
#[derive(Debug, Clone, PartialEq)]
pub struct IdentifierType {
    pub name: String,
    pub base: IdBase,
    /// A regular expression the whole value must match.
    pub pattern: Option<String>,
    pub description: Option<String>,
    pub span: Span,
}

/// `EquipmentState: [SETUP, IDLE, RUNNING]`
#[derive(Debug, Clone, PartialEq)]
pub struct EnumType {
    pub name: String,
    pub codes: Vec<String>,
    pub description: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub name: String,
    pub fields: Vec<Field>,
    pub description: Option<String>,
    pub span: Span,
}

impl Entity {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|f| f.name.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub ty: FieldType,
    pub optional: bool,
    /// The column or JSON key in external data, when it differs from `name`.
    pub column: Option<String>,
    pub span: Span,
}

impl Field {
    /// The name the field has in files and tables.
    pub fn external_name(&self) -> &str {
        self.column.as_deref().unwrap_or(&self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldType {
    String,
    Int,
    Float,
    Bool,
    Timestamp,
    /// An identifier type, by name.
    Identifier(String),
    /// An enum, by name.
    Enum(String),
}

impl FieldType {
    pub const BUILTIN: &'static [&'static str] = &["string", "int", "float", "bool", "timestamp"];

    pub fn builtin(name: &str) -> Option<FieldType> {
        Some(match name {
            "string" => FieldType::String,
            "int" => FieldType::Int,
            "float" => FieldType::Float,
            "bool" => FieldType::Bool,
            "timestamp" => FieldType::Timestamp,
            _ => return None,
        })
    }
}
