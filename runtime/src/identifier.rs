//! Identifier types: nominal newtypes over text, validated on construction.
//!
//! The mapping language declares identifier types (`EquipmentId`, `OrderNo`...) with a base (text or integer)
//! and an optional pattern. The compiler emits one uninhabited rule type per identifier type and an alias
//! `pub type EquipmentId = fdi_runtime::Id<EquipmentIdRule>;`, so two identifier types never mix up even though
//! both are text underneath.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::OnceLock;

use regex::Regex;
use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

use crate::outcome::Failure;

/// What an identifier is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdBase {
    /// Any text (restricted by the pattern, if any).
    Text,
    /// An integer in `i64` range. The text is kept in canonical form (`"007"` becomes `"7"`), so equal numbers
    /// are equal identifiers.
    Integer,
}

/// The rules of one identifier type; implemented by generated code on an uninhabited enum.
pub trait IdRule: 'static {
    /// The identifier type's name in the mapping, used in messages: "EquipmentId".
    const TYPE_NAME: &'static str;
    const BASE: IdBase;
    /// A regex; the runtime anchors it (`^(?:...)$`) so the whole value must match.
    const PATTERN: Option<&'static str>;
    /// The compiled pattern's cell; each rule owns a static so the regex is compiled once.
    fn compiled_pattern() -> &'static OnceLock<Regex>;
}

/// A value of the identifier type described by `R`.
pub struct Id<R: IdRule> {
    text: String,
    /// The value for `IdBase::Integer`, `None` for text identifiers.
    number: Option<i64>,
    _rule: PhantomData<fn() -> R>,
}

impl<R: IdRule> Id<R> {
    /// Fallible construction:
    /// `Err(Failure("\"MX-1\" is not a valid EquipmentId: it does not match ^MILL-[0-9]{2}$"))`.
    pub fn parse(text: &str) -> Result<Self, Failure> {
        if let Some(pattern) = R::PATTERN {
            let regex = R::compiled_pattern().get_or_init(|| {
                Regex::new(&format!("^(?:{pattern})$")).expect(
                    "an identifier pattern failed to compile at run time; the fdi compiler validates patterns, \
                     so this is a compiler bug",
                )
            });
            if !regex.is_match(text) {
                return Err(invalid::<R>(
                    text,
                    &format!("it does not match ^{pattern}$"),
                ));
            }
        }
        match R::BASE {
            IdBase::Text => Ok(Id {
                text: text.to_string(),
                number: None,
                _rule: PhantomData,
            }),
            IdBase::Integer => match text.parse::<i64>() {
                Ok(number) => Ok(Self::from_number(number)),
                Err(e) => {
                    let why = match e.kind() {
                        std::num::IntErrorKind::PosOverflow
                        | std::num::IntErrorKind::NegOverflow => {
                            "it is out of the 64-bit integer range"
                        }
                        _ => "it is not an integer",
                    };
                    Err(invalid::<R>(text, why))
                }
            },
        }
    }

    /// Construction from an integer (from a JSON number, or an integer expression in a mapping). Goes through
    /// [`Id::parse`] so the pattern and the base are checked the same way.
    pub fn from_int(number: i64) -> Result<Self, Failure> {
        Self::parse(&number.to_string())
    }

    fn from_number(number: i64) -> Self {
        Id {
            text: number.to_string(),
            number: Some(number),
            _rule: PhantomData,
        }
    }

    /// The identifier's text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The value of an integer identifier, `None` for text identifiers.
    pub fn as_int(&self) -> Option<i64> {
        self.number
    }
}

fn invalid<R: IdRule>(text: &str, why: &str) -> Failure {
    Failure::new(format!("{text:?} is not a valid {}: {why}", R::TYPE_NAME))
}

// Manual impls: derives would require `R: Clone` etc., which rule types (uninhabited enums) do not have.

impl<R: IdRule> Clone for Id<R> {
    fn clone(&self) -> Self {
        Id {
            text: self.text.clone(),
            number: self.number,
            _rule: PhantomData,
        }
    }
}

impl<R: IdRule> fmt::Debug for Id<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({:?})", R::TYPE_NAME, self.text)
    }
}

impl<R: IdRule> fmt::Display for Id<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl<R: IdRule> PartialEq for Id<R> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl<R: IdRule> Eq for Id<R> {}

impl<R: IdRule> Hash for Id<R> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl<R: IdRule> PartialOrd for Id<R> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Integer identifiers order by number, text identifiers by text.
impl<R: IdRule> Ord for Id<R> {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.number, other.number) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => self.text.cmp(&other.text),
        }
    }
}

/// A string for text identifiers, an `i64` for integer identifiers.
impl<R: IdRule> Serialize for Id<R> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.number {
            Some(number) => serializer.serialize_i64(number),
            None => serializer.serialize_str(&self.text),
        }
    }
}

/// Accepts a string or an integer (JSON numbers), validates through [`Id::parse`], and reports the failure
/// text as a serde error, so that decoding rejects the record with it.
impl<'de, R: IdRule> Deserialize<'de> for Id<R> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(IdVisitor::<R>(PhantomData))
    }
}

struct IdVisitor<R>(PhantomData<fn() -> R>);

impl<R: IdRule> Visitor<'_> for IdVisitor<R> {
    type Value = Id<R>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} (text or integer)", R::TYPE_NAME)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Id<R>, E> {
        Id::parse(text).map_err(|failure| E::custom(failure.detail()))
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<Id<R>, E> {
        Id::from_int(number).map_err(|failure| E::custom(failure.detail()))
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<Id<R>, E> {
        self.visit_str(&number.to_string())
    }
}

#[cfg(test)]
mod tests {
    // Exactly the shape the compiler generates.
    pub enum EquipmentIdRule {}
    impl crate::IdRule for EquipmentIdRule {
        const TYPE_NAME: &'static str = "EquipmentId";
        const BASE: crate::IdBase = crate::IdBase::Text;
        const PATTERN: Option<&'static str> = Some("MILL-[0-9]{2}");
        fn compiled_pattern() -> &'static std::sync::OnceLock<crate::Regex> {
            static COMPILED: std::sync::OnceLock<crate::Regex> = std::sync::OnceLock::new();
            &COMPILED
        }
    }
    pub type EquipmentId = crate::Id<EquipmentIdRule>;

    pub enum OrderNoRule {}
    impl crate::IdRule for OrderNoRule {
        const TYPE_NAME: &'static str = "OrderNo";
        const BASE: crate::IdBase = crate::IdBase::Integer;
        const PATTERN: Option<&'static str> = None;
        fn compiled_pattern() -> &'static std::sync::OnceLock<crate::Regex> {
            static COMPILED: std::sync::OnceLock<crate::Regex> = std::sync::OnceLock::new();
            &COMPILED
        }
    }
    pub type OrderNo = crate::Id<OrderNoRule>;

    #[test]
    fn parse_checks_the_whole_value_against_the_pattern() {
        let id = EquipmentId::parse("MILL-01").unwrap();
        assert_eq!(id.as_str(), "MILL-01");
        assert_eq!(id.to_string(), "MILL-01");
        assert_eq!(format!("{id:?}"), "EquipmentId(\"MILL-01\")");
        assert_eq!(
            EquipmentId::parse("MX-1").unwrap_err().detail(),
            "\"MX-1\" is not a valid EquipmentId: it does not match ^MILL-[0-9]{2}$"
        );
        // Anchored: a match inside the text is not enough, nor is a prefix.
        assert!(EquipmentId::parse("xMILL-01").is_err());
        assert!(EquipmentId::parse("MILL-012").is_err());
    }

    #[test]
    fn integer_ids_are_canonical_and_in_range() {
        let a = OrderNo::parse("007").unwrap();
        assert_eq!((a.as_str(), a.as_int()), ("7", Some(7)));
        assert_eq!(a, OrderNo::from_int(7).unwrap());
        assert!(OrderNo::parse("9").unwrap() < OrderNo::parse("10").unwrap());
        assert_eq!(
            OrderNo::parse("12a").unwrap_err().detail(),
            "\"12a\" is not a valid OrderNo: it is not an integer"
        );
        assert!(OrderNo::parse("99999999999999999999")
            .unwrap_err()
            .detail()
            .contains("out of the 64-bit integer range"));
    }

    #[test]
    fn serde_round_trip_and_validation() {
        let id: EquipmentId = serde_json::from_str("\"MILL-02\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"MILL-02\"");
        let err = serde_json::from_str::<EquipmentId>("\"MX-1\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("is not a valid EquipmentId"), "{err}");

        let order: OrderNo = serde_json::from_str("42").unwrap();
        assert_eq!(serde_json::to_string(&order).unwrap(), "42");
        let order: OrderNo = serde_json::from_str("\"43\"").unwrap();
        assert_eq!(order.as_int(), Some(43));
        assert!(serde_json::from_str::<OrderNo>("1.5").is_err());
    }

    #[test]
    fn ids_work_as_hash_keys() {
        let mut set = std::collections::HashSet::new();
        set.insert(EquipmentId::parse("MILL-01").unwrap());
        assert!(set.contains(&EquipmentId::parse("MILL-01").unwrap()));
        let copy = EquipmentId::parse("MILL-03").unwrap().clone();
        assert_eq!(copy.as_str(), "MILL-03");
    }
}
