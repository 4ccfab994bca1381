//! The rules of an identifier type as plain data, and the one function that checks a value against them.
//!
//! [`Id::parse`](super::Id::parse) checks every value read at run time with [`check`]; the compiler validates
//! identifier literals in a mapping with [`validate_id`], which runs the same code, so a literal the compiler
//! accepts never fails at run time and both report the same message.

use super::check_digit::{CheckDigit, CheckDigitProblem};
use super::{IdBase, IdPattern, IdRule};

/// The rules of one identifier type, as the compiler reads them from a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdSpec<'a> {
    /// The identifier type's name, used in messages: "Gtin".
    pub type_name: &'a str,
    pub base: IdBase,
    /// A regex the whole value must match (anchored by the check).
    pub pattern: Option<&'a str>,
    /// The fewest characters (Unicode scalar values) a value may have.
    pub min_len: Option<usize>,
    /// The most characters a value may have.
    pub max_len: Option<usize>,
    /// The scheme the last character must satisfy.
    pub check_digit: Option<CheckDigit>,
}

impl IdSpec<'static> {
    /// The rules of a generated rule type.
    pub fn of<R: IdRule>() -> Self {
        IdSpec {
            type_name: R::TYPE_NAME,
            base: R::BASE,
            pattern: R::PATTERN,
            min_len: R::MIN_LEN,
            max_len: R::MAX_LEN,
            check_digit: R::CHECK_DIGIT,
        }
    }
}

/// Checks `text` against `spec`, compiling its pattern. For the compiler, which validates identifier literals
/// with this before it emits them. The error is the whole message:
/// `"0614141000419" is not a valid Gtin: its check digit 9 does not match GS1 mod 10 (expected 8)`.
///
/// An invalid pattern is an error too (the compiler reports patterns separately, with [`validate_id_spec`]).
pub fn validate_id(spec: &IdSpec, text: &str) -> Result<(), String> {
    let pattern = spec.pattern.map(IdPattern::new).transpose()?;
    check(spec, pattern.as_ref(), text)
}

/// Checks that `spec` itself makes sense: the pattern compiles, `min_len <= max_len`, and a check digit has room
/// for at least one digit before it. The error says what is wrong, e.g. "min_len 5 is greater than max_len 3".
pub fn validate_id_spec(spec: &IdSpec) -> Result<(), String> {
    if let Some(pattern) = spec.pattern {
        IdPattern::new(pattern)?;
    }
    if let (Some(min), Some(max)) = (spec.min_len, spec.max_len) {
        if min > max {
            return Err(format!("min_len {min} is greater than max_len {max}"));
        }
    }
    if let (Some(scheme), Some(max)) = (spec.check_digit, spec.max_len) {
        if max < 2 {
            return Err(format!(
                "max_len {max} leaves no room for a digit before the {scheme} check digit"
            ));
        }
    }
    Ok(())
}

/// A value an `int` identifier type takes but whose written form it refuses: the type reads
/// `"0614141000418"`, keeps the number, writes `614141000418`, and refuses that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundTripProblem {
    /// A text the type accepts.
    pub accepted: String,
    /// How an identifier read from it is written: the number without leading zeros or `+`.
    pub written: String,
    /// Why the type refuses `written`, as its check says it: "it has 12 characters, 13 required".
    pub why: String,
}

/// How many texts [`round_trip_problem`] tries before it concludes there is no problem.
const ROUND_TRIP_SEARCH_LIMIT: usize = 20_000;

/// For an `int` identifier type, a value it accepts whose written form it refuses, if the search
/// finds one; `None` for text identifiers, which are written as read.
///
/// An `int` identifier is its number: `"007"`, `"+7"` and `"7"` are one identifier, written
/// `7`. The type's rules apply to the text as read, so a length, a pattern or a check digit can
/// accept `"007"` and refuse `"7"`; then the program writes values the same type, in the next
/// program or the next run, rejects. Only texts that are not written as read can do that: a sign
/// `+`, leading zeros, `-0`. The search walks those texts depth first, digit by digit, leaving a
/// branch as soon as the pattern cannot match any continuation of it, up to 20 characters (an
/// `i64` has at most 19 digits) and [`ROUND_TRIP_SEARCH_LIMIT`] texts. What it finds is a real
/// problem; when it finds nothing within the limit there may still be one, in a pattern too
/// large for a DFA.
pub fn round_trip_problem(spec: &IdSpec) -> Option<RoundTripProblem> {
    if spec.base != IdBase::Integer {
        return None;
    }
    let pattern = spec.pattern.map(IdPattern::new).transpose().ok()?;
    let mut search = RoundTripSearch {
        spec,
        pattern: pattern.as_ref(),
        longest: spec.max_len.unwrap_or(20).min(20),
        tried: 0,
    };
    ["0", "+", "-0"]
        .into_iter()
        .find_map(|start| search.from(&mut start.to_string()))
}

struct RoundTripSearch<'s> {
    spec: &'s IdSpec<'s>,
    pattern: Option<&'s IdPattern>,
    longest: usize,
    tried: usize,
}

impl RoundTripSearch<'_> {
    /// A problem among `text` and the texts that continue it with digits.
    fn from(&mut self, text: &mut String) -> Option<RoundTripProblem> {
        self.tried += 1;
        if self.tried > ROUND_TRIP_SEARCH_LIMIT || text.len() > self.longest {
            return None;
        }
        if self.pattern.is_some_and(|p| !p.may_match_after(text)) {
            return None;
        }
        if check(self.spec, self.pattern, text).is_ok() {
            if let Ok(number) = text.parse::<i64>() {
                let written = number.to_string();
                if let Err(why) = check(self.spec, self.pattern, &written) {
                    let why = why
                        .split_once(": ")
                        .map_or(why.clone(), |(_, why)| why.to_string());
                    return Some(RoundTripProblem {
                        accepted: text.clone(),
                        written,
                        why,
                    });
                }
            }
        }
        // Other digits first: "0614..." reads more like a real code than "0000...".
        for digit in ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0'] {
            text.push(digit);
            let found = self.from(text);
            text.pop();
            if found.is_some() {
                return found;
            }
        }
        None
    }
}

/// The checks in order (pattern, base, length, check digit); the first that fails gives the message. `pattern`
/// is `spec.pattern` compiled by [`IdPattern::new`]; the caller may cache it.
///
/// The checks apply to the text as given, except that an integer identifier, like any number, may
/// have surrounding whitespace: `" 007 "` is 7. For an integer identifier `"007"` has three
/// characters, although the identifier's canonical text is `"7"` (see [`round_trip_problem`]).
pub(crate) fn check(spec: &IdSpec, pattern: Option<&IdPattern>, text: &str) -> Result<(), String> {
    check_rules(spec, pattern, text).map_err(|(_, message)| message)
}

/// The rule of an identifier type that a value broke, for the decode reject's reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BrokenIdRule {
    Pattern,
    NotAnInteger,
    Length,
    CheckDigit,
}

/// [`check`], saying also which rule failed.
pub(crate) fn check_rules(
    spec: &IdSpec,
    pattern: Option<&IdPattern>,
    text: &str,
) -> Result<(), (BrokenIdRule, String)> {
    broken_rule(spec, pattern, text).map_err(|broken| (broken.rule(), broken.message(spec, text)))
}

/// The rule `text` breaks, found without writing a message: a value whose failure the mapping
/// handles (`?? default`) costs only the checks.
pub(crate) fn broken_rule(
    spec: &IdSpec,
    pattern: Option<&IdPattern>,
    text: &str,
) -> Result<(), Broken> {
    let text = match spec.base {
        IdBase::Integer => crate::decode::trim_if_padded(text),
        IdBase::Text => text,
    };
    if let (Some(_), Some(regex)) = (spec.pattern, pattern) {
        if !regex.is_match(text) {
            return Err(Broken::Pattern);
        }
    }
    if spec.base == IdBase::Integer {
        if let Err(e) = text.parse::<i64>() {
            let overflow = matches!(
                e.kind(),
                std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow
            );
            return Err(Broken::NotAnInteger { overflow });
        }
    }
    // Counting characters is a walk over the text: only done when there is a length rule.
    if spec.min_len.is_some() || spec.max_len.is_some() {
        // An ASCII text (the usual identifier) has as many characters as bytes.
        let len = if text.is_ascii() {
            text.len()
        } else {
            text.chars().count()
        };
        if length_problem(spec, len).is_some() {
            return Err(Broken::Length(len));
        }
    }
    if let Some(scheme) = spec.check_digit {
        if let Some(problem) = scheme.problem(text) {
            return Err(Broken::CheckDigit(problem));
        }
    }
    Ok(())
}

/// The rule a value broke and what about it the message needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Broken {
    Pattern,
    NotAnInteger {
        overflow: bool,
    },
    /// The number of characters.
    Length(usize),
    CheckDigit(CheckDigitProblem),
}

impl Broken {
    pub(crate) fn rule(self) -> BrokenIdRule {
        match self {
            Broken::Pattern => BrokenIdRule::Pattern,
            Broken::NotAnInteger { .. } => BrokenIdRule::NotAnInteger,
            Broken::Length(_) => BrokenIdRule::Length,
            Broken::CheckDigit(_) => BrokenIdRule::CheckDigit,
        }
    }

    /// The message of `text` breaking the rule of `spec`:
    /// `"0614141000419" is not a valid Gtin: its check digit 9 does not match GS1 mod 10 (expected 8)`.
    pub(crate) fn message(self, spec: &IdSpec, text: &str) -> String {
        let why = match self {
            Broken::Pattern => format!("it does not match ^{}$", spec.pattern.unwrap_or("")),
            Broken::NotAnInteger { overflow: true } => {
                "it is out of the 64-bit integer range".to_string()
            }
            Broken::NotAnInteger { overflow: false } => "it is not an integer".to_string(),
            Broken::Length(len) => length_problem(spec, len).unwrap_or_default(),
            Broken::CheckDigit(problem) => problem.to_string(),
        };
        format!("{text:?} is not a valid {}: {why}", spec.type_name)
    }
}

/// "it has 12 characters, 13 required" and the like, or `None` when the length is allowed.
fn length_problem(spec: &IdSpec, len: usize) -> Option<String> {
    let too_short = spec.min_len.is_some_and(|min| len < min);
    let too_long = spec.max_len.is_some_and(|max| len > max);
    if !(too_short || too_long) {
        return None;
    }
    let required = match (spec.min_len, spec.max_len) {
        (Some(min), Some(max)) if min == max => format!("{min} required"),
        (Some(min), Some(max)) => format!("between {min} and {max} required"),
        (Some(min), None) => format!("at least {min} required"),
        (None, Some(max)) => format!("at most {max} required"),
        (None, None) => return None,
    };
    let plural = if len == 1 { "" } else { "s" };
    Some(format!("it has {len} character{plural}, {required}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GTIN: IdSpec<'static> = IdSpec {
        type_name: "Gtin",
        base: IdBase::Text,
        pattern: Some("[0-9]+"),
        min_len: Some(13),
        max_len: Some(13),
        check_digit: Some(CheckDigit::Gs1Mod10),
    };

    #[test]
    fn messages_name_the_rule_that_failed() {
        assert_eq!(validate_id(&GTIN, "4006381333931"), Ok(()));
        assert_eq!(
            validate_id(&GTIN, "0614141000419").unwrap_err(),
            "\"0614141000419\" is not a valid Gtin: its check digit 9 does not match GS1 mod 10 (expected 8)"
        );
        assert_eq!(
            validate_id(&GTIN, "061414100041").unwrap_err(),
            "\"061414100041\" is not a valid Gtin: it has 12 characters, 13 required"
        );
        assert_eq!(
            validate_id(&GTIN, "06141410004-8").unwrap_err(),
            "\"06141410004-8\" is not a valid Gtin: it does not match ^[0-9]+$"
        );
    }

    #[test]
    fn length_bounds_count_characters() {
        let batch = IdSpec {
            type_name: "BatchNo",
            base: IdBase::Text,
            pattern: None,
            min_len: Some(8),
            max_len: Some(20),
            check_digit: None,
        };
        assert_eq!(
            validate_id(&batch, "B-123").unwrap_err(),
            "\"B-123\" is not a valid BatchNo: it has 5 characters, between 8 and 20 required"
        );
        // Eight characters, but ten bytes in UTF-8.
        assert_eq!(validate_id(&batch, "Charge-ü"), Ok(()));
        assert!(validate_id(&batch, &"9".repeat(21)).is_err());
        let at_least = IdSpec {
            max_len: None,
            ..batch
        };
        assert_eq!(
            validate_id(&at_least, "B").unwrap_err(),
            "\"B\" is not a valid BatchNo: it has 1 character, at least 8 required"
        );
        assert_eq!(validate_id(&at_least, &"9".repeat(100)), Ok(()));
        let at_most = IdSpec {
            min_len: None,
            max_len: Some(3),
            ..batch
        };
        assert_eq!(
            validate_id(&at_most, "ABCD").unwrap_err(),
            "\"ABCD\" is not a valid BatchNo: it has 4 characters, at most 3 required"
        );
        assert_eq!(validate_id(&at_most, ""), Ok(()));
    }

    #[test]
    fn orcid_digits_with_iso7064() {
        let orcid = IdSpec {
            type_name: "Orcid",
            base: IdBase::Text,
            pattern: Some("[0-9]{15}[0-9X]"),
            min_len: None,
            max_len: None,
            check_digit: Some(CheckDigit::Iso7064Mod11_2),
        };
        assert_eq!(validate_id(&orcid, "0000000218250097"), Ok(()));
        assert_eq!(
            validate_id(&orcid, "0000000218250096").unwrap_err(),
            "\"0000000218250096\" is not a valid Orcid: its check digit 6 does not match ISO 7064 MOD 11-2 \
             (expected 7)"
        );
    }

    #[test]
    fn integer_base_is_checked_before_length() {
        let order = IdSpec {
            type_name: "OrderNo",
            base: IdBase::Integer,
            pattern: None,
            min_len: Some(3),
            max_len: None,
            check_digit: None,
        };
        assert_eq!(validate_id(&order, "007"), Ok(()));
        assert_eq!(
            validate_id(&order, "7").unwrap_err(),
            "\"7\" is not a valid OrderNo: it has 1 character, at least 3 required"
        );
        assert_eq!(
            validate_id(&order, "12a").unwrap_err(),
            "\"12a\" is not a valid OrderNo: it is not an integer"
        );
    }

    #[test]
    fn spec_validation() {
        assert_eq!(validate_id_spec(&GTIN), Ok(()));
        let bad_pattern = IdSpec {
            pattern: Some("[0-9"),
            ..GTIN
        };
        assert!(validate_id_spec(&bad_pattern)
            .unwrap_err()
            .starts_with("the pattern \"[0-9\" is not a valid regex"));
        assert!(validate_id(&bad_pattern, "1").is_err());
        let crossed = IdSpec {
            min_len: Some(5),
            max_len: Some(3),
            ..GTIN
        };
        assert_eq!(
            validate_id_spec(&crossed).unwrap_err(),
            "min_len 5 is greater than max_len 3"
        );
        let no_room = IdSpec {
            min_len: None,
            max_len: Some(1),
            ..GTIN
        };
        assert_eq!(
            validate_id_spec(&no_room).unwrap_err(),
            "max_len 1 leaves no room for a digit before the GS1 mod 10 check digit"
        );
    }

    const ORDER: IdSpec<'static> = IdSpec {
        type_name: "OrderNo",
        base: IdBase::Integer,
        pattern: None,
        min_len: None,
        max_len: None,
        check_digit: None,
    };

    #[test]
    fn an_int_identifier_with_a_length_refuses_what_it_writes() {
        let gtin = IdSpec {
            base: IdBase::Integer,
            pattern: None,
            ..GTIN
        };
        let problem = round_trip_problem(&gtin).expect("a GTIN kept as a number loses its zero");
        // What the search found is true: accepted as read, refused as written.
        assert_eq!(validate_id(&gtin, &problem.accepted), Ok(()));
        assert!(problem.accepted.starts_with('0'), "{problem:?}");
        assert_eq!(problem.accepted.len(), 13);
        assert_eq!(
            problem.written,
            problem.accepted.trim_start_matches('0'),
            "{problem:?}"
        );
        assert_eq!(problem.why, "it has 12 characters, 13 required");
        let sscc = IdSpec {
            min_len: Some(17),
            max_len: Some(18),
            ..gtin
        };
        assert!(round_trip_problem(&sscc).is_some());
    }

    #[test]
    fn an_int_identifier_with_a_pattern_for_its_text_refuses_what_it_writes() {
        let six_digits = IdSpec {
            pattern: Some("[0-9]{6}"),
            ..ORDER
        };
        let problem = round_trip_problem(&six_digits).unwrap();
        assert_eq!(
            (problem.accepted.as_str(), problem.written.as_str()),
            ("011111", "11111")
        );
        assert_eq!(problem.why, "it does not match ^[0-9]{6}$");
        // A sign is not written either.
        let signed = IdSpec {
            pattern: Some("\\+?[1-9][0-9]*"),
            min_len: Some(2),
            ..ORDER
        };
        let problem = round_trip_problem(&signed).unwrap();
        assert_eq!(
            (problem.accepted.as_str(), problem.written.as_str()),
            ("+1", "1")
        );
    }

    #[test]
    fn int_identifiers_whose_rules_hold_for_the_number_have_no_problem() {
        let no_leading_zero = IdSpec {
            pattern: Some("[1-9][0-9]{12}"),
            min_len: Some(13),
            max_len: Some(13),
            check_digit: Some(CheckDigit::Gs1Mod10),
            ..ORDER
        };
        for fine in [
            ORDER,
            no_leading_zero,
            IdSpec {
                max_len: Some(10),
                ..ORDER
            },
            IdSpec {
                min_len: Some(1),
                ..ORDER
            },
            // Leading zeros are allowed, and so is the number without them.
            IdSpec {
                pattern: Some("0*[1-9][0-9]*"),
                ..ORDER
            },
            // Text identifiers are written as read.
            GTIN,
        ] {
            assert_eq!(round_trip_problem(&fine), None, "{fine:?}");
        }
    }

    #[test]
    fn int_identifiers_take_surrounding_spaces_like_numbers_and_text_identifiers_do_not() {
        let three = IdSpec {
            min_len: Some(3),
            ..ORDER
        };
        assert_eq!(validate_id(&ORDER, " 42 "), Ok(()));
        assert_eq!(validate_id(&ORDER, "\t42"), Ok(()));
        // The rules apply to the number's text without the spaces.
        assert_eq!(
            validate_id(&three, " 42 ").unwrap_err(),
            "\" 42 \" is not a valid OrderNo: it has 2 characters, at least 3 required"
        );
        assert!(validate_id(&ORDER, "4 2").is_err());
        assert!(validate_id(&ORDER, " ").is_err());
        let code = IdSpec {
            pattern: Some("[0-9]+"),
            ..GTIN
        };
        assert!(validate_id(&code, " 4006381333931").is_err());
    }
}
