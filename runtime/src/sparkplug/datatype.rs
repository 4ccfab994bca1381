//! Sparkplug B datatypes and typed metric values, and how each travels in the protobuf
//! `Metric.value` field.
//!
//! Encoding follows Eclipse Tahu, the reference implementation: Int8, Int16, Int32, UInt8 and
//! UInt16 in `int_value` (signed values as their 32-bit two's complement), Int64, UInt32,
//! UInt64 and DateTime in `long_value`. Decoding is lenient where a value cannot be misread:
//! an integer is taken from either field when it fits the datatype, a negative Int8 or Int16
//! whose two's complement was zero-extended instead of sign-extended is read as the negative
//! number it is, and a Double may arrive as a float. Anything else is a [`ValueProblem`].

use std::fmt;

use super::proto::payload::metric::Value as Raw;

/// A Sparkplug B datatype, by its code in the specification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataType {
    Int8,
    Int16,
    Int32,
    Int64,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Float,
    Double,
    Boolean,
    String,
    /// Milliseconds since the Unix epoch, UTC.
    DateTime,
    Text,
    Uuid,
    DataSet,
    Bytes,
    File,
    Template,
    PropertySet,
    PropertySetList,
}

const ALL: [DataType; 21] = [
    DataType::Int8,
    DataType::Int16,
    DataType::Int32,
    DataType::Int64,
    DataType::UInt8,
    DataType::UInt16,
    DataType::UInt32,
    DataType::UInt64,
    DataType::Float,
    DataType::Double,
    DataType::Boolean,
    DataType::String,
    DataType::DateTime,
    DataType::Text,
    DataType::Uuid,
    DataType::DataSet,
    DataType::Bytes,
    DataType::File,
    DataType::Template,
    DataType::PropertySet,
    DataType::PropertySetList,
];

impl DataType {
    /// The datatype of a code (1 to 21); `None` for 0 (Unknown), the array types of
    /// Sparkplug 3.0 (22 to 34) and anything else.
    pub fn from_code(code: u32) -> Option<DataType> {
        let index = usize::try_from(code).ok()?.checked_sub(1)?;
        ALL.get(index).copied()
    }

    /// The datatype's code in the specification.
    pub fn code(self) -> u32 {
        ALL.iter()
            .position(|d| *d == self)
            .and_then(|i| u32::try_from(i + 1).ok())
            .unwrap_or(0)
    }

    /// The datatype's name as the specification spells it (`Int8`, `DateTime`, `UUID`).
    pub fn name(self) -> &'static str {
        match self {
            DataType::Int8 => "Int8",
            DataType::Int16 => "Int16",
            DataType::Int32 => "Int32",
            DataType::Int64 => "Int64",
            DataType::UInt8 => "UInt8",
            DataType::UInt16 => "UInt16",
            DataType::UInt32 => "UInt32",
            DataType::UInt64 => "UInt64",
            DataType::Float => "Float",
            DataType::Double => "Double",
            DataType::Boolean => "Boolean",
            DataType::String => "String",
            DataType::DateTime => "DateTime",
            DataType::Text => "Text",
            DataType::Uuid => "UUID",
            DataType::DataSet => "DataSet",
            DataType::Bytes => "Bytes",
            DataType::File => "File",
            DataType::Template => "Template",
            DataType::PropertySet => "PropertySet",
            DataType::PropertySetList => "PropertySetList",
        }
    }

    /// The datatype named `name`, compared without case (`uint32`, `UInt32`).
    pub fn from_name(name: &str) -> Option<DataType> {
        ALL.iter()
            .copied()
            .find(|d| d.name().eq_ignore_ascii_case(name))
    }

    /// Whether fdi reads and writes values of this datatype: every scalar one. DataSet,
    /// File, Template, PropertySet and PropertySetList are structures a flat record has no
    /// field for.
    pub fn is_supported(self) -> bool {
        !matches!(
            self,
            DataType::DataSet
                | DataType::File
                | DataType::Template
                | DataType::PropertySet
                | DataType::PropertySetList
        )
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A metric's value, typed by its datatype.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Int8(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    UInt8(u8),
    UInt16(u16),
    UInt32(u32),
    UInt64(u64),
    Float(f32),
    Double(f64),
    Boolean(bool),
    String(String),
    /// Milliseconds since the Unix epoch, UTC.
    DateTime(u64),
    Text(String),
    /// A UUID as its text, as Sparkplug carries it.
    Uuid(String),
    Bytes(Vec<u8>),
}

impl Value {
    pub fn datatype(&self) -> DataType {
        match self {
            Value::Int8(_) => DataType::Int8,
            Value::Int16(_) => DataType::Int16,
            Value::Int32(_) => DataType::Int32,
            Value::Int64(_) => DataType::Int64,
            Value::UInt8(_) => DataType::UInt8,
            Value::UInt16(_) => DataType::UInt16,
            Value::UInt32(_) => DataType::UInt32,
            Value::UInt64(_) => DataType::UInt64,
            Value::Float(_) => DataType::Float,
            Value::Double(_) => DataType::Double,
            Value::Boolean(_) => DataType::Boolean,
            Value::String(_) => DataType::String,
            Value::DateTime(_) => DataType::DateTime,
            Value::Text(_) => DataType::Text,
            Value::Uuid(_) => DataType::Uuid,
            Value::Bytes(_) => DataType::Bytes,
        }
    }
}

/// Why a metric's value cannot be read as its datatype.
#[derive(Clone, Debug, PartialEq)]
pub enum ValueProblem {
    /// A datatype fdi does not read (see [`DataType::is_supported`]).
    Unsupported(DataType),
    /// Not null, and no value.
    Missing,
    /// The value is in a field this datatype never uses.
    WrongField {
        datatype: DataType,
        field: &'static str,
    },
    /// An integer that does not fit the datatype.
    OutOfRange { datatype: DataType, value: i128 },
}

impl fmt::Display for ValueProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueProblem::Unsupported(datatype) => write!(
                f,
                "its datatype {datatype} is a structure fdi does not read (only scalar datatypes: \
                 integers, Float, Double, Boolean, String, Text, UUID, DateTime, Bytes)"
            ),
            ValueProblem::Missing => {
                f.write_str("it has no value and is not marked null (is_null)")
            }
            ValueProblem::WrongField { datatype, field } => write!(
                f,
                "it is declared {datatype} but carries its value in {field}, which {datatype} \
                 never uses"
            ),
            ValueProblem::OutOfRange { datatype, value } => {
                write!(f, "its value {value} is out of range for {datatype}")
            }
        }
    }
}

/// The value of a metric declared `datatype`, from the protobuf's value field.
pub(crate) fn typed(datatype: DataType, raw: Option<&Raw>) -> Result<Value, ValueProblem> {
    if !datatype.is_supported() {
        return Err(ValueProblem::Unsupported(datatype));
    }
    let raw = raw.ok_or(ValueProblem::Missing)?;
    let wrong_field = || ValueProblem::WrongField {
        datatype,
        field: field_name(raw),
    };
    let out_of_range = |value: i128| ValueProblem::OutOfRange { datatype, value };
    // An integer field as the number it stands for: int_value is a 32-bit two's complement.
    let integer = |signed: bool| -> Option<i128> {
        match raw {
            Raw::IntValue(v) if signed => Some(i128::from(*v as i32)),
            Raw::IntValue(v) => Some(i128::from(*v)),
            Raw::LongValue(v) if signed => Some(i128::from(*v as i64)),
            Raw::LongValue(v) => Some(i128::from(*v)),
            _ => None,
        }
    };
    // A signed value of `bits` bits: as written, or zero-extended from its two's complement.
    let signed = |bits: u32| -> Result<i64, ValueProblem> {
        let value = integer(true).ok_or_else(wrong_field)?;
        let limit = 1i128 << (bits - 1);
        if (-limit..limit).contains(&value) {
            return i64::try_from(value).map_err(|_| out_of_range(value));
        }
        let unsigned = integer(false).ok_or_else(wrong_field)?;
        if (0..(limit << 1)).contains(&unsigned) {
            let shift = 128 - bits;
            let extended = (unsigned << shift) >> shift;
            return i64::try_from(extended).map_err(|_| out_of_range(unsigned));
        }
        Err(out_of_range(unsigned))
    };
    let unsigned = |max: u64| -> Result<u64, ValueProblem> {
        let value = integer(false).ok_or_else(wrong_field)?;
        u64::try_from(value)
            .ok()
            .filter(|v| *v <= max)
            .ok_or_else(|| out_of_range(integer(true).unwrap_or(value)))
    };
    let text = || match raw {
        Raw::StringValue(s) => Ok(s.clone()),
        _ => Err(wrong_field()),
    };
    // The narrowing casts below are exact: each value was checked against its range.
    Ok(match datatype {
        DataType::Int8 => Value::Int8(signed(8)? as i8),
        DataType::Int16 => Value::Int16(signed(16)? as i16),
        DataType::Int32 => Value::Int32(signed(32)? as i32),
        DataType::Int64 => Value::Int64(signed(64)?),
        DataType::UInt8 => Value::UInt8(unsigned(u64::from(u8::MAX))? as u8),
        DataType::UInt16 => Value::UInt16(unsigned(u64::from(u16::MAX))? as u16),
        DataType::UInt32 => Value::UInt32(unsigned(u64::from(u32::MAX))? as u32),
        DataType::UInt64 => Value::UInt64(unsigned(u64::MAX)?),
        DataType::DateTime => Value::DateTime(unsigned(u64::MAX)?),
        DataType::Float => match raw {
            Raw::FloatValue(v) => Value::Float(*v),
            _ => return Err(wrong_field()),
        },
        DataType::Double => match raw {
            Raw::DoubleValue(v) => Value::Double(*v),
            Raw::FloatValue(v) => Value::Double(f64::from(*v)),
            _ => return Err(wrong_field()),
        },
        DataType::Boolean => match raw {
            Raw::BooleanValue(v) => Value::Boolean(*v),
            _ => return Err(wrong_field()),
        },
        DataType::String => Value::String(text()?),
        DataType::Text => Value::Text(text()?),
        DataType::Uuid => Value::Uuid(text()?),
        DataType::Bytes => match raw {
            Raw::BytesValue(v) => Value::Bytes(v.clone()),
            _ => return Err(wrong_field()),
        },
        DataType::DataSet
        | DataType::File
        | DataType::Template
        | DataType::PropertySet
        | DataType::PropertySetList => return Err(ValueProblem::Unsupported(datatype)),
    })
}

/// The protobuf value field that carries `value`, as Tahu writes it.
pub(crate) fn raw(value: &Value) -> Raw {
    match value {
        Value::Int8(v) => Raw::IntValue(i32::from(*v) as u32),
        Value::Int16(v) => Raw::IntValue(i32::from(*v) as u32),
        Value::Int32(v) => Raw::IntValue(*v as u32),
        Value::UInt8(v) => Raw::IntValue(u32::from(*v)),
        Value::UInt16(v) => Raw::IntValue(u32::from(*v)),
        Value::Int64(v) => Raw::LongValue(*v as u64),
        Value::UInt32(v) => Raw::LongValue(u64::from(*v)),
        Value::UInt64(v) | Value::DateTime(v) => Raw::LongValue(*v),
        Value::Float(v) => Raw::FloatValue(*v),
        Value::Double(v) => Raw::DoubleValue(*v),
        Value::Boolean(v) => Raw::BooleanValue(*v),
        Value::String(v) | Value::Text(v) | Value::Uuid(v) => Raw::StringValue(v.clone()),
        Value::Bytes(v) => Raw::BytesValue(v.clone()),
    }
}

fn field_name(raw: &Raw) -> &'static str {
    match raw {
        Raw::IntValue(_) => "int_value",
        Raw::LongValue(_) => "long_value",
        Raw::FloatValue(_) => "float_value",
        Raw::DoubleValue(_) => "double_value",
        Raw::BooleanValue(_) => "boolean_value",
        Raw::StringValue(_) => "string_value",
        Raw::BytesValue(_) => "bytes_value",
        Raw::DatasetValue(_) => "dataset_value",
        Raw::TemplateValue(_) => "template_value",
        Raw::ExtensionValue(_) => "extension_value",
    }
}
