//! Finding non-finite floats in a record before it is written.
//!
//! serde_json turns NaN and infinities into `null` without a word, which would silently change data; this
//! serializer walks the record instead of producing output and stops at the first non-finite float, reporting
//! the field path.

use std::fmt::{self, Display};

use serde::ser::{self, Serialize, Serializer};

use crate::outcome::Reject;

/// `Err(Reject)` naming the first field holding NaN or an infinity, or a record that cannot be serialized.
pub(crate) fn check_finite<T: Serialize + ?Sized>(record: &T) -> Result<(), Reject> {
    let mut checker = FiniteChecker { path: Vec::new() };
    match record.serialize(&mut checker) {
        Ok(()) => Ok(()),
        Err(Problem::NotFinite { field, value }) => {
            let field = if field.is_empty() {
                "value".to_string()
            } else {
                format!("field {field}")
            };
            Err(Reject::new("value is not a finite number")
                .with_detail(format!("{field} is {value}")))
        }
        Err(Problem::Custom(message)) => {
            Err(Reject::new("record cannot be serialized").with_detail(message))
        }
    }
}

struct FiniteChecker {
    /// Field names (and sequence indexes) from the record down to the value being checked.
    path: Vec<Segment>,
}

/// One step of a field path. A struct's field and an element's index are kept as they are, so that a record
/// that passes (nearly every one) allocates nothing; the path is written out only for a reject.
enum Segment {
    Field(&'static str),
    Index(usize),
    /// A map's key that is text.
    Key(String),
}

impl Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Segment::Field(name) => f.write_str(name),
            Segment::Index(index) => write!(f, "{index}"),
            Segment::Key(key) => f.write_str(key),
        }
    }
}

#[derive(Debug)]
enum Problem {
    NotFinite { field: String, value: f64 },
    Custom(String),
}

impl Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NotFinite { field, value } => write!(f, "{field} is {value}"),
            Problem::Custom(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Problem {}

impl ser::Error for Problem {
    fn custom<M: Display>(msg: M) -> Self {
        Problem::Custom(msg.to_string())
    }
}

impl FiniteChecker {
    fn check(&self, value: f64) -> Result<(), Problem> {
        if value.is_finite() {
            Ok(())
        } else {
            let field: Vec<String> = self.path.iter().map(Segment::to_string).collect();
            Err(Problem::NotFinite {
                field: field.join("."),
                value,
            })
        }
    }

    fn nested<T: Serialize + ?Sized>(&mut self, name: Segment, value: &T) -> Result<(), Problem> {
        self.path.push(name);
        let result = value.serialize(&mut *self);
        self.path.pop();
        result
    }
}

macro_rules! accept {
    ($($method:ident($ty:ty);)*) => {
        $(fn $method(self, _value: $ty) -> Result<(), Problem> { Ok(()) })*
    };
}

impl<'a> Serializer for &'a mut FiniteChecker {
    type Ok = ();
    type Error = Problem;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    accept! {
        serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32); serialize_i64(i64);
        serialize_i128(i128); serialize_u8(u8); serialize_u16(u16); serialize_u32(u32); serialize_u64(u64);
        serialize_u128(u128); serialize_char(char); serialize_str(&str); serialize_bytes(&[u8]);
        serialize_unit_struct(&'static str);
    }

    fn serialize_f32(self, value: f32) -> Result<(), Problem> {
        self.check(f64::from(value))
    }

    fn serialize_f64(self, value: f64) -> Result<(), Problem> {
        self.check(value)
    }

    fn serialize_none(self) -> Result<(), Problem> {
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Problem> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Problem> {
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), Problem> {
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Problem> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Problem> {
        self.nested(Segment::Field(variant), value)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, Problem> {
        Ok(Compound::new(self))
    }

    fn serialize_tuple(self, _: usize) -> Result<Compound<'a>, Problem> {
        Ok(Compound::new(self))
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Problem> {
        Ok(Compound::new(self))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Problem> {
        Ok(Compound::new(self))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, Problem> {
        Ok(Compound::new(self))
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Problem> {
        Ok(Compound::new(self))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Problem> {
        Ok(Compound::new(self))
    }
}

/// The checker inside a sequence, map or struct: counts elements so the path can name them.
struct Compound<'a> {
    checker: &'a mut FiniteChecker,
    index: usize,
    /// The last map key, when it was text (used as the path element of its value).
    key: Option<String>,
}

impl<'a> Compound<'a> {
    fn new(checker: &'a mut FiniteChecker) -> Self {
        Compound {
            checker,
            index: 0,
            key: None,
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Problem> {
        let index = Segment::Index(self.index);
        self.index += 1;
        self.checker.nested(index, value)
    }

    fn field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Problem> {
        self.checker.nested(Segment::Field(name), value)
    }
}

macro_rules! compound {
    ($($trait:ident :: $method:ident => $how:ident;)*) => {
        $(impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Problem;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Problem> {
                self.$how(value)
            }
            fn end(self) -> Result<(), Problem> {
                Ok(())
            }
        })*
    };
}

compound! {
    SerializeSeq::serialize_element => element;
    SerializeTuple::serialize_element => element;
    SerializeTupleStruct::serialize_field => element;
    SerializeTupleVariant::serialize_field => element;
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Problem;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Problem> {
        self.field(name, value)
    }
    fn end(self) -> Result<(), Problem> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Problem;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Problem> {
        self.field(name, value)
    }
    fn end(self) -> Result<(), Problem> {
        Ok(())
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Problem;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Problem> {
        // Keys are only needed for the path in a message: text keys name the value, others use its index.
        self.key = match serde_json::to_value(key) {
            Ok(serde_json::Value::String(text)) => Some(text),
            _ => None,
        };
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Problem> {
        let name = match self.key.take() {
            Some(key) => Segment::Key(key),
            None => Segment::Index(self.index),
        };
        self.index += 1;
        self.checker.nested(name, value)
    }
    fn end(self) -> Result<(), Problem> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Inner {
        values: Vec<f64>,
    }

    #[derive(Serialize)]
    struct Reading {
        id: String,
        load: f64,
        spare: Option<f32>,
        inner: Inner,
        by_name: BTreeMap<String, f64>,
    }

    fn reading() -> Reading {
        Reading {
            id: "a".into(),
            load: 1.0,
            spare: Some(2.0),
            inner: Inner {
                values: vec![1.0, 2.0],
            },
            by_name: BTreeMap::from([("x".to_string(), 1.0)]),
        }
    }

    fn detail(result: Result<(), Reject>) -> String {
        let reject = result.unwrap_err();
        assert_eq!(reject.reason, "value is not a finite number");
        reject.detail.unwrap()
    }

    #[test]
    fn finite_records_pass() {
        assert!(check_finite(&reading()).is_ok());
    }

    #[test]
    fn reports_the_path_of_the_first_non_finite_float() {
        let mut r = reading();
        r.load = f64::NAN;
        assert_eq!(detail(check_finite(&r)), "field load is NaN");
        let mut r = reading();
        r.spare = Some(f32::INFINITY);
        assert_eq!(detail(check_finite(&r)), "field spare is inf");
        let mut r = reading();
        r.inner.values[1] = f64::NEG_INFINITY;
        assert_eq!(detail(check_finite(&r)), "field inner.values.1 is -inf");
        let mut r = reading();
        r.by_name.insert("y".into(), f64::NAN);
        assert_eq!(detail(check_finite(&r)), "field by_name.y is NaN");
        assert_eq!(detail(check_finite(&f64::NAN)), "value is NaN");
    }
}
