//! Which schema types read a data item's values: the type the schema import writes for it, and
//! whether a field of the entity fits it. A `string` reads every data item (the record's value
//! is text on the wire; a string field is the deliberate choice not to type it); otherwise a
//! controlled vocabulary is an enum of the standard's codes, a count an `int`, a numeric value a
//! `float` in the data item's own unit, a time a `timestamp`.

use super::model::DataItem;
use super::standard::{self, Value};
use crate::schema::{FieldType, IdBase, SchemaSet};
use crate::units::Unit;

/// What a field must be to read a data item.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// An enum of these codes (or a string).
    Codes(Vec<String>),
    /// An `int` (or a `float` without a unit).
    Integer,
    /// A `float` in this unit (`None`: without one).
    Float(Option<Unit>),
    /// A `float` in whatever unit: the data item's units are not the standard's, or absent.
    FloatUnchecked,
    /// A `string`.
    Text,
    /// A `timestamp`.
    Time,
    /// Anything: an extension type the standard does not define.
    Unknown,
}

/// What a field must be to read `item`'s values.
pub fn expected(item: &DataItem) -> Expected {
    match standard::value_of(item) {
        Value::Codes(codes) => Expected::Codes(codes),
        Value::Integer if item.units.is_none() => Expected::Integer,
        Value::Integer | Value::Float => match item.units.as_deref().map(standard::unit) {
            None => {
                if item.category == super::model::Category::Sample {
                    Expected::FloatUnchecked
                } else {
                    Expected::Float(None)
                }
            }
            Some(standard::Unit::Fdi(text)) => match Unit::parse(text) {
                Ok(unit) => Expected::Float(Some(unit)),
                Err(_) => Expected::FloatUnchecked,
            },
            Some(standard::Unit::Count | standard::Unit::Logarithmic) => Expected::Float(None),
            Some(standard::Unit::Vector) => Expected::Text,
            Some(standard::Unit::Unknown) => Expected::FloatUnchecked,
        },
        Value::Text | Value::Vector => Expected::Text,
        Value::Time => Expected::Time,
        Value::Unknown => Expected::Unknown,
    }
}

/// How a field of `field_type` (with `unit`) reads `expected`.
#[derive(Debug, Clone, PartialEq)]
pub enum Fit {
    Yes,
    /// The field is an enum: its codes are checked against these.
    Enum(String),
    /// The field's type cannot hold the values.
    WrongType,
    /// A float in another unit than the data item's (or without one, or with one where the
    /// data item has none).
    WrongUnit,
}

pub fn fits(
    expected: &Expected,
    field_type: &FieldType,
    unit: Option<&Unit>,
    schema: &SchemaSet,
) -> Fit {
    let base = match field_type {
        FieldType::Identifier(name) => match schema.identifiers.get(name).map(|i| i.base) {
            Some(IdBase::String) => &FieldType::String,
            Some(IdBase::Int) => &FieldType::Int,
            None => return Fit::Yes, // an unknown type is the check's error
        },
        other => other,
    };
    if *base == FieldType::String || *expected == Expected::Unknown {
        return Fit::Yes;
    }
    match (expected, base) {
        (Expected::Codes(_), FieldType::Enum(name)) => Fit::Enum(name.clone()),
        (Expected::Integer, FieldType::Int) => Fit::Yes,
        (Expected::Integer, FieldType::Float) => match unit {
            None => Fit::Yes,
            Some(_) => Fit::WrongUnit,
        },
        (Expected::Float(wanted), FieldType::Float) => match (wanted, unit) {
            (None, None) => Fit::Yes,
            (Some(wanted), Some(unit)) if wanted.same_unit(unit) => Fit::Yes,
            _ => Fit::WrongUnit,
        },
        (Expected::FloatUnchecked, FieldType::Float) => Fit::Yes,
        (Expected::Time, FieldType::Timestamp) => Fit::Yes,
        _ => Fit::WrongType,
    }
}

/// The schema type that reads `item`, as the schema YAML writes it (`float[rpm]`, `int`),
/// or the codes of the enum to declare for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaType {
    Plain(String),
    Enum(Vec<String>),
}

pub fn schema_type(item: &DataItem) -> SchemaType {
    match expected(item) {
        Expected::Codes(codes) => SchemaType::Enum(codes),
        Expected::Integer => SchemaType::Plain("int".into()),
        Expected::Float(Some(unit)) => SchemaType::Plain(format!("float[{unit}]")),
        Expected::Float(None) | Expected::FloatUnchecked => SchemaType::Plain("float".into()),
        Expected::Text | Expected::Unknown => SchemaType::Plain("string".into()),
        Expected::Time => SchemaType::Plain("timestamp".into()),
    }
}

/// A field type as the schema writes it, for messages.
pub fn written(field_type: &FieldType, unit: Option<&Unit>) -> String {
    match (field_type, unit) {
        (FieldType::Float, Some(unit)) => format!("float[{unit}]"),
        (FieldType::String, _) => "string".into(),
        (FieldType::Int, _) => "int".into(),
        (FieldType::Float, None) => "float".into(),
        (FieldType::Bool, _) => "bool".into(),
        (FieldType::Timestamp, _) => "timestamp".into(),
        (FieldType::Identifier(name) | FieldType::Enum(name), _) => name.clone(),
    }
}

/// What `item`'s values are, in words, for messages: "a rotary velocity in REVOLUTION/MINUTE".
pub fn describe(item: &DataItem) -> String {
    let kind = match expected(item) {
        Expected::Codes(_) => "a code of a controlled vocabulary",
        Expected::Integer => "a whole number",
        Expected::Float(_) | Expected::FloatUnchecked => "a number",
        Expected::Text => "text",
        Expected::Time => "a time",
        Expected::Unknown => "a value of an extension type",
    };
    match &item.units {
        Some(units) if !matches!(expected(item), Expected::Codes(_) | Expected::Text) => {
            format!("{kind} in {units}")
        }
        _ => kind.to_string(),
    }
}

/// The name the schema import gives the enum of a type's vocabulary: `EXECUTION` is
/// `Execution`, `CONTROLLER_MODE` is `ControllerMode`, an extension's `x:MODE` is `Mode`.
pub fn enum_name(type_name: &str) -> String {
    let local = type_name.rsplit(':').next().unwrap_or(type_name);
    local
        .split('_')
        .filter(|word| !word.is_empty())
        .map(|word| {
            let lower = word.to_ascii_lowercase();
            let mut chars = lower.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}
