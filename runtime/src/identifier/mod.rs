//! Identifier types: nominal newtypes over text, validated on construction.
//!
//! The mapping language declares identifier types (`EquipmentId`, `OrderNo`, `Gtin`...) with a base (text or
//! integer) and optional rules: a pattern, length bounds, a check digit. The compiler emits one uninhabited rule
//! type per identifier type and an alias `pub type EquipmentId = fdi_runtime::Id<EquipmentIdRule>;`, so two
//! identifier types never mix up even though both are text underneath.
//!
//! The rules are checked by one function (`spec::check`), used both by [`Id::parse`] at run time and, through
//! [`validate_id`], by the compiler for literals.

mod check_digit;
mod pattern;
mod spec;

pub use self::check_digit::CheckDigit;
pub use self::pattern::IdPattern;
pub use self::spec::{round_trip_problem, validate_id, validate_id_spec, IdSpec, RoundTripProblem};

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::OnceLock;

use smol_str::SmolStr;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

pub(crate) use self::spec::Broken;
use self::spec::BrokenIdRule;
use crate::decode_rule::DecodeRule;
use crate::outcome::Failure;

/// What an identifier is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdBase {
    /// Any text (restricted by the pattern, if any).
    Text,
    /// An integer in `i64` range. The text is kept in canonical form (`"007"` and `" +7 "` become `"7"`), so
    /// equal numbers are equal identifiers; like any number it may have surrounding whitespace.
    Integer,
}

/// The rules of one identifier type; implemented by generated code on an uninhabited enum.
pub trait IdRule: 'static {
    /// The identifier type's name in the mapping, used in messages: "EquipmentId".
    const TYPE_NAME: &'static str;
    const BASE: IdBase;
    /// A regex; the runtime anchors it (`^(?:...)$`) so the whole value must match.
    const PATTERN: Option<&'static str>;
    /// The fewest characters a value may have. Defaulted so that code generated before length rules existed
    /// still compiles.
    const MIN_LEN: Option<usize> = None;
    /// The most characters a value may have.
    const MAX_LEN: Option<usize> = None;
    /// The check-digit scheme the last character must satisfy.
    const CHECK_DIGIT: Option<CheckDigit> = None;
    /// The compiled pattern's cell; each rule owns a static so the regex is compiled once.
    fn compiled_pattern() -> &'static OnceLock<IdPattern>;
}

/// A value of the identifier type described by `R`.
pub struct Id<R: IdRule> {
    /// Inline up to 23 bytes, so that building an identifier from a record's text does not
    /// allocate; longer texts are shared, so that copying an identifier from a master-data record
    /// into every record that refers to it does not copy its text.
    text: SmolStr,
    /// The value for `IdBase::Integer`, `None` for text identifiers.
    number: Option<i64>,
    _rule: PhantomData<fn() -> R>,
}

impl<R: IdRule> Id<R> {
    /// Fallible construction, checking pattern, base, length and check digit in that order; the failure names
    /// the rule that failed:
    /// `Err(Failure("\"MX-1\" is not a valid EquipmentId: it does not match ^MILL-[0-9]{2}$"))`.
    pub fn parse(text: &str) -> Result<Self, Failure> {
        Self::parse_ruled(text).map_err(|(_, failure)| failure)
    }

    /// [`Id::parse`], saying also which rule failed (`None` for a bug in the rule's pattern), for
    /// the decode reject's reason.
    fn parse_ruled(text: &str) -> Result<Self, (Option<BrokenIdRule>, Failure)> {
        let pattern = match R::PATTERN {
            Some(pattern) => Some(Self::compiled(pattern).map_err(|failure| (None, failure))?),
            None => None,
        };
        // Most identifier types are text with a pattern only: a value that matches is valid,
        // with no message to prepare (the rule's constants make this branch free to test).
        let pattern_only = R::BASE == IdBase::Text
            && R::MIN_LEN.is_none()
            && R::MAX_LEN.is_none()
            && R::CHECK_DIGIT.is_none();
        if pattern_only && pattern.is_some_and(|p| p.is_match(text)) {
            return Ok(Id {
                text: SmolStr::new(text),
                number: None,
                _rule: PhantomData,
            });
        }
        // The message is written only if the failure is reported: `Id(x) ?? default` on a
        // value that breaks a rule costs only the check.
        spec::broken_rule(&IdSpec::of::<R>(), pattern, text).map_err(|broken| {
            let failure = Failure::identifier(text, IdSpec::of::<R>, broken);
            (Some(broken.rule()), failure)
        })?;
        match R::BASE {
            IdBase::Text => Ok(Id {
                text: SmolStr::new(text),
                number: None,
                _rule: PhantomData,
            }),
            // `check` has verified that the text is an i64.
            IdBase::Integer => crate::decode::trim_if_padded(text)
                .parse::<i64>()
                .map(Self::from_number)
                .map_err(|e| {
                    let message = format!("{text:?} is not a valid {}: {e}", R::TYPE_NAME);
                    (Some(BrokenIdRule::NotAnInteger), Failure::new(message))
                }),
        }
    }

    /// The rule's anchored pattern, compiled once per rule type. The compiler validates patterns, so failing to
    /// compile one is a compiler bug; it fails each value rather than panicking.
    fn compiled(pattern: &str) -> Result<&'static IdPattern, Failure> {
        let cell = R::compiled_pattern();
        if let Some(regex) = cell.get() {
            return Ok(regex);
        }
        let regex = IdPattern::new(pattern).map_err(|e| {
            Failure::new(format!(
                "identifier type {}: {e} (this is a bug in the fdi compiler, please report it)",
                R::TYPE_NAME
            ))
        })?;
        Ok(cell.get_or_init(|| regex))
    }

    /// Construction from an integer (from a JSON number, or an integer expression in a mapping). Goes through
    /// [`Id::parse`] so the pattern and the base are checked the same way.
    pub fn from_int(number: i64) -> Result<Self, Failure> {
        Self::parse(&number.to_string())
    }

    fn from_number(number: i64) -> Self {
        Id {
            text: smol_str::format_smolstr!("{number}"),
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
        *self.text == *other.text
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
        Id::parse_ruled(text).map_err(|(rule, failure)| {
            if let Some(rule) = rule {
                decode_rule_of::<R>(rule).note();
            }
            E::custom(failure.detail())
        })
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<Id<R>, E> {
        self.visit_str(&number.to_string())
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<Id<R>, E> {
        self.visit_str(&number.to_string())
    }
}

/// The decode reject's reason for a value of `R` that broke `rule`.
fn decode_rule_of<R: IdRule>(rule: BrokenIdRule) -> DecodeRule {
    match rule {
        BrokenIdRule::Pattern => DecodeRule::IdPattern(R::TYPE_NAME),
        BrokenIdRule::NotAnInteger => DecodeRule::IdNotAnInteger(R::TYPE_NAME),
        BrokenIdRule::Length => DecodeRule::IdLength(R::TYPE_NAME),
        BrokenIdRule::CheckDigit => DecodeRule::IdCheckDigit(R::TYPE_NAME),
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
        fn compiled_pattern() -> &'static std::sync::OnceLock<crate::IdPattern> {
            static COMPILED: std::sync::OnceLock<crate::IdPattern> = std::sync::OnceLock::new();
            &COMPILED
        }
    }
    pub type EquipmentId = crate::Id<EquipmentIdRule>;

    pub enum OrderNoRule {}
    impl crate::IdRule for OrderNoRule {
        const TYPE_NAME: &'static str = "OrderNo";
        const BASE: crate::IdBase = crate::IdBase::Integer;
        const PATTERN: Option<&'static str> = None;
        fn compiled_pattern() -> &'static std::sync::OnceLock<crate::IdPattern> {
            static COMPILED: std::sync::OnceLock<crate::IdPattern> = std::sync::OnceLock::new();
            &COMPILED
        }
    }
    pub type OrderNo = crate::Id<OrderNoRule>;

    /// A rule with every optional constant set, as the compiler generates for `Gtin: { base: string,
    /// length: 13, check_digit: gs1_mod10 }`.
    pub enum GtinRule {}
    impl crate::IdRule for GtinRule {
        const TYPE_NAME: &'static str = "Gtin";
        const BASE: crate::IdBase = crate::IdBase::Text;
        const PATTERN: Option<&'static str> = None;
        const MIN_LEN: Option<usize> = Some(13);
        const MAX_LEN: Option<usize> = Some(13);
        const CHECK_DIGIT: Option<crate::identifier::CheckDigit> =
            Some(crate::identifier::CheckDigit::Gs1Mod10);
        fn compiled_pattern() -> &'static std::sync::OnceLock<crate::IdPattern> {
            static COMPILED: std::sync::OnceLock<crate::IdPattern> = std::sync::OnceLock::new();
            &COMPILED
        }
    }
    pub type Gtin = crate::Id<GtinRule>;

    /// A value's failure keeps its parts and writes its text when read: the text is the one
    /// the compiler's check of a literal writes at once, for every rule.
    #[test]
    fn a_failure_says_what_the_check_says() {
        fn same<R: crate::IdRule>(text: &str) {
            let written =
                crate::identifier::validate_id(&crate::identifier::IdSpec::of::<R>(), text)
                    .unwrap_err();
            let failure = crate::Id::<R>::parse(text).unwrap_err();
            assert_eq!(failure.detail(), written);
            assert_eq!(failure.reject("bad").detail.as_deref(), Some(&*written));
        }
        same::<EquipmentIdRule>("MX-1");
        for text in ["x7", "99999999999999999999", " 12 a"] {
            same::<OrderNoRule>(text);
        }
        for text in [
            "4006381333932",
            "400638133393",
            "400638133393X",
            "40063813339-1",
            "ü",
        ] {
            same::<GtinRule>(text);
        }
    }

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
        // Surrounding spaces, as for any number.
        let padded = OrderNo::parse(" 42 ").unwrap();
        assert_eq!((padded.as_str(), padded.as_int()), ("42", Some(42)));
        assert!(EquipmentId::parse(" MILL-01").is_err());
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
    fn parse_checks_length_and_check_digit() {
        assert_eq!(
            Gtin::parse("4006381333931").unwrap().as_str(),
            "4006381333931"
        );
        assert_eq!(
            Gtin::parse("0614141000419").unwrap_err().detail(),
            "\"0614141000419\" is not a valid Gtin: its check digit 9 does not match GS1 mod 10 (expected 8)"
        );
        assert_eq!(
            Gtin::parse("061414100041").unwrap_err().detail(),
            "\"061414100041\" is not a valid Gtin: it has 12 characters, 13 required"
        );
        // The same message through serde, which is how a decoded record gets it.
        let err = serde_json::from_str::<Gtin>("\"4006381333932\"")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("its check digit 2 does not match GS1 mod 10 (expected 1)"),
            "{err}"
        );
    }

    #[test]
    fn parse_and_validate_id_agree() {
        let spec = crate::identifier::IdSpec::of::<GtinRule>();
        for text in [
            "4006381333931",
            "4006381333932",
            "400638133393",
            "40063813339311",
            "x",
        ] {
            assert_eq!(
                crate::identifier::validate_id(&spec, text),
                Gtin::parse(text)
                    .map(|_| ())
                    .map_err(|f| f.detail().to_string()),
                "{text}"
            );
        }
        let spec = crate::identifier::IdSpec::of::<EquipmentIdRule>();
        assert_eq!(spec.pattern, Some("MILL-[0-9]{2}"));
        assert_eq!(
            (spec.min_len, spec.max_len, spec.check_digit),
            (None, None, None)
        );
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
