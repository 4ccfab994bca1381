//! One JSON member's value as a serde deserializer that notes the rule a failing value broke.
//!
//! A JSON record that failed the fast path (straight from the text into the struct) is decoded
//! again member by member, to say which member was wrong and why. serde_json's own value
//! deserializer says it in text only ("invalid type: string \"1,5\", expected f64"); this
//! wrapper knows what the struct asked for (a number, an integer, an enum's code) and notes the
//! matching [`DecodeRule`], so that a JSON record gets the same reason as the same mistake in a
//! CSV row.

use serde::de::{Deserializer, Visitor};
use serde_json::Value;

use crate::decode::DecodeError;
use crate::decode_rule::DecodeRule;

/// A JSON member's value, read by the decode stage's slow path.
pub(crate) struct JsonField(pub(crate) Value);

/// serde_json's error as the decode stage's, noting `rule` (when given) as what failed.
fn failed(rule: Option<DecodeRule>) -> impl FnOnce(serde_json::Error) -> DecodeError {
    move |error| {
        if let Some(rule) = rule {
            rule.note();
        }
        DecodeError(error.to_string())
    }
}

/// Methods that hand the value to serde_json's deserializer and note `$rule` when it fails.
macro_rules! forward_noting {
    ($($method:ident => $rule:expr;)*) => {
        $(fn $method<W: Visitor<'de>>(self, visitor: W) -> Result<W::Value, DecodeError> {
            self.0.$method(visitor).map_err(failed($rule))
        })*
    };
}

impl<'de> Deserializer<'de> for JsonField {
    type Error = DecodeError;

    /// Untyped consumers (identifiers, timestamps) note their own rules.
    fn deserialize_any<W: Visitor<'de>>(self, visitor: W) -> Result<W::Value, DecodeError> {
        self.0.deserialize_any(visitor).map_err(failed(None))
    }

    forward_noting! {
        deserialize_bool => Some(DecodeRule::NotABoolean);
        deserialize_i8 => Some(DecodeRule::NotAnInteger);
        deserialize_i16 => Some(DecodeRule::NotAnInteger);
        deserialize_i32 => Some(DecodeRule::NotAnInteger);
        deserialize_i64 => Some(DecodeRule::NotAnInteger);
        deserialize_i128 => Some(DecodeRule::NotAnInteger);
        deserialize_u8 => Some(DecodeRule::NotANonNegativeInteger);
        deserialize_u16 => Some(DecodeRule::NotANonNegativeInteger);
        deserialize_u32 => Some(DecodeRule::NotANonNegativeInteger);
        deserialize_u64 => Some(DecodeRule::NotANonNegativeInteger);
        deserialize_u128 => Some(DecodeRule::NotANonNegativeInteger);
        deserialize_f32 => Some(DecodeRule::NotANumber);
        deserialize_f64 => Some(DecodeRule::NotANumber);
        deserialize_char => Some(DecodeRule::NotACharacter);
        deserialize_str => Some(DecodeRule::NotText);
        deserialize_string => Some(DecodeRule::NotText);
        deserialize_bytes => None;
        deserialize_byte_buf => None;
        deserialize_unit => None;
        deserialize_seq => None;
        deserialize_map => None;
        deserialize_identifier => None;
        deserialize_ignored_any => None;
    }

    /// `null` is `None`; any other value is read through this wrapper, so that its rule is noted.
    fn deserialize_option<W: Visitor<'de>>(self, visitor: W) -> Result<W::Value, DecodeError> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            value => visitor.visit_some(JsonField(value)),
        }
    }

    fn deserialize_newtype_struct<W: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: W,
    ) -> Result<W::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<W: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: W,
    ) -> Result<W::Value, DecodeError> {
        self.0
            .deserialize_enum(name, variants, visitor)
            .map_err(failed(Some(DecodeRule::NotACode(name))))
    }

    fn deserialize_unit_struct<W: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: W,
    ) -> Result<W::Value, DecodeError> {
        self.0
            .deserialize_unit_struct(name, visitor)
            .map_err(failed(None))
    }

    fn deserialize_tuple<W: Visitor<'de>>(
        self,
        len: usize,
        visitor: W,
    ) -> Result<W::Value, DecodeError> {
        self.0.deserialize_tuple(len, visitor).map_err(failed(None))
    }

    fn deserialize_tuple_struct<W: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: W,
    ) -> Result<W::Value, DecodeError> {
        self.0
            .deserialize_tuple_struct(name, len, visitor)
            .map_err(failed(None))
    }

    fn deserialize_struct<W: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: W,
    ) -> Result<W::Value, DecodeError> {
        self.0
            .deserialize_struct(name, fields, visitor)
            .map_err(failed(None))
    }
}
