//! The load-schemas stage: master-data schema files (YAML) to a [`SchemaSet`].
//!
//! A schema declares identifier types (nominal ids with an optional pattern, length and check
//! digit), enums (closed sets of codes, written inline or read from a master-data file) and
//! entities (records with typed fields, which may carry a unit, quality columns or a time
//! format). Every declaration keeps the span of its name in the YAML file, so that the checker
//! can point at the schema when it explains a type.

mod load;
mod locate;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use load::load_schemas;

use crate::source_map::{FileId, Span};

/// Every type the schema files of one mapping declare.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchemaSet {
    pub identifiers: BTreeMap<String, IdentifierType>,
    pub enums: BTreeMap<String, EnumType>,
    pub entities: BTreeMap<String, Entity>,
}

impl SchemaSet {
    /// Whether the enum `name` is the built-in enum of signal quality rather than a schema's own:
    /// the checker adds it to a program's schema when some field carries a quality (and refuses
    /// a schema enum of that name then), so without such a field a `Quality` is the schema's.
    pub fn is_builtin_quality(&self, name: &str) -> bool {
        name == QUALITY_ENUM
            && self
                .entities
                .values()
                .flat_map(|e| &e.fields)
                .any(|f| f.quality.is_some())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdBase {
    String,
    Int,
}

/// `EquipmentId: { base: string, pattern: "MILL-[0-9]{2}" }`,
/// `Gtin: { base: string, length: 13, check_digit: gs1_mod10 }`
#[derive(Debug, Clone, PartialEq)]
pub struct IdentifierType {
    pub name: String,
    pub base: IdBase,
    /// A regular expression the whole value must match.
    pub pattern: Option<String>,
    /// The fewest characters a value may have (`length: 13` sets both bounds).
    pub min_len: Option<usize>,
    /// The most characters a value may have.
    pub max_len: Option<usize>,
    /// The scheme the last character must satisfy.
    pub check_digit: Option<fdi_runtime::CheckDigit>,
    pub description: Option<String>,
    pub span: Span,
}

impl IdentifierType {
    /// The rules as the runtime checks them, so that the checker validates a literal with the
    /// same code that validates values at run time.
    pub fn spec(&self) -> fdi_runtime::IdSpec<'_> {
        fdi_runtime::IdSpec {
            type_name: &self.name,
            base: match self.base {
                IdBase::String => fdi_runtime::IdBase::Text,
                IdBase::Int => fdi_runtime::IdBase::Integer,
            },
            pattern: self.pattern.as_deref(),
            min_len: self.min_len,
            max_len: self.max_len,
            check_digit: self.check_digit,
        }
    }
}

/// `EquipmentState: [SETUP, IDLE, RUNNING]`, or
/// `MachineState: { from: "../master/states.csv", column: code }`
#[derive(Debug, Clone, PartialEq)]
pub struct EnumType {
    pub name: String,
    /// In the order written (or read from the master-data file).
    pub codes: Vec<String>,
    pub description: Option<String>,
    /// Where the codes come from, when they are read from a master-data file.
    pub origin: Option<EnumOrigin>,
    pub span: Span,
}

/// The built-in enum of a sample's quality (`speed.quality`), present whenever a field carries
/// a quality. Its codes are the runtime's `fdi_runtime::Quality`.
pub const QUALITY_ENUM: &str = "Quality";
pub const QUALITY_CODES: [&str; 3] = ["GOOD", "UNCERTAIN", "BAD"];

/// The master-data file an enum's codes are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumOrigin {
    /// The path as written after `from:` (relative to the schema file's folder).
    pub path: String,
    /// The file in the source map, for labels on its rows.
    pub file: FileId,
    /// The `from:` value in the schema file.
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

    /// The columns (or JSON keys) a file of records of this entity must have: the data name of
    /// every field that is not optional. A sample's quality and timestamp columns are not among
    /// them (a value without them is read as of uncertain quality); its value column is.
    pub fn required_columns(&self) -> impl Iterator<Item = (&str, &Field)> {
        self.fields
            .iter()
            .filter(|f| !f.optional)
            .map(|f| (f.external_name(), f))
    }

    /// The other columns its records are read from, which a file may lack: those of optional
    /// fields, and every sample's quality and timestamp columns.
    pub fn optional_columns(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().flat_map(|f| {
            let value = f.optional.then(|| f.external_name());
            let quality = f
                .quality
                .iter()
                .flat_map(|q| [q.quality.as_str(), q.timestamp.as_str()]);
            value.into_iter().chain(quality)
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub ty: FieldType,
    pub optional: bool,
    /// The column or JSON key in external data, when it differs from `name`.
    pub column: Option<String>,
    /// The unit of a `float` field: `float[rpm]`, or `unit: rpm`.
    pub unit: Option<FieldUnit>,
    /// The columns that carry the value's quality and source timestamp (`quality: true`).
    pub quality: Option<QualityColumns>,
    /// How a `timestamp` field is written in the data; `None` is the default (RFC 3339 and the
    /// shop-floor forms taken as UTC).
    pub time_format: Option<TimeFormatSpec>,
    /// Where a Modbus device holds the field (`modbus:`), if it is read from or written to one.
    pub modbus: Option<ModbusSpec>,
    /// Where an XML document holds the field (`xml:`), relative to the record's element; `None`:
    /// the child element named as its column.
    pub xml: Option<XmlFieldPath>,
    /// The column that gives each row's unit (`unit_column:`, `units:`), if the data carries one.
    pub unit_column: Option<UnitColumn>,
    pub span: Span,
}

/// A float field whose unit each row gives in a column: the value is converted at decode from
/// the row's unit, one of `units`, to the field's own (canonical) unit.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitColumn {
    /// The column's external name.
    pub column: String,
    /// Each accepted unit as the data writes it, and its conversion to the field's unit.
    pub units: Vec<(String, crate::units::Conversion)>,
    /// The `unit_column` key in the schema.
    pub span: Span,
}

/// A field's `xml:` path, checked when the schema is loaded (see `crate::xml`).
#[derive(Debug, Clone, PartialEq)]
pub struct XmlFieldPath {
    pub text: String,
    pub is_count: bool,
    /// The path's text in the YAML.
    pub span: Span,
}

/// A field's `modbus:`: its registers, or `read_time` (the time of the poll that read the
/// other fields).
#[derive(Debug, Clone, PartialEq)]
pub enum ModbusSpec {
    Register(ModbusRegister),
    ReadTime { span: Span },
}

impl ModbusSpec {
    /// The `modbus` key in the schema.
    pub fn span(&self) -> Span {
        match self {
            ModbusSpec::Register(register) => register.span,
            ModbusSpec::ReadTime { span } => *span,
        }
    }
}

/// Where and how a Modbus device holds a field's value: the runtime's register map entry, and
/// where the schema writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModbusRegister {
    pub table: fdi_runtime::RegisterTable,
    pub address: u16,
    pub ty: fdi_runtime::RegisterType,
    pub byte_order: fdi_runtime::Order,
    pub word_order: fdi_runtime::Order,
    pub scale: f64,
    pub offset: f64,
    /// The `modbus` key.
    pub span: Span,
    /// The `address` value (the key when it cannot be found), for overlaps.
    pub address_span: Span,
    /// The `table` value, for a table a target cannot write.
    pub table_span: Span,
}

/// A float field's unit, and where the schema writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldUnit {
    pub unit: crate::units::Unit,
    /// The unit's text in the YAML (`rpm` in `float[rpm]`).
    pub span: Span,
}

/// The external names of a field's quality and source-timestamp columns:
/// `<column>_quality` and `<column>_timestamp` unless the schema names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualityColumns {
    pub quality: String,
    pub timestamp: String,
    /// How the timestamp column is written (`timestamp_format:`, `timestamp_zone:`); `None`
    /// is RFC 3339 with an offset.
    pub timestamp_format: Option<TimeFormatSpec>,
}

/// `format:` of a timestamp field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TimeFormatSpec {
    /// `iso8601`: RFC 3339 text with an offset.
    Iso8601,
    /// `epoch_s`: seconds since 1970-01-01T00:00:00Z.
    EpochSeconds,
    /// `epoch_ms`: milliseconds since 1970-01-01T00:00:00Z.
    EpochMillis,
    /// A strftime pattern and the zone its wall-clock times are in (an IANA name, `UTC` or
    /// an offset such as `+01:00`), both as written.
    Pattern { format: String, zone: String },
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
