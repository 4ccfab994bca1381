//! Identifier types: base, pattern, length and check digit.

use fdi_runtime::CheckDigit;
use serde_yaml::Value;

use super::FileLoader;
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::schema::{IdBase, IdentifierType, SchemaSet};
use crate::source_map::Span;

const KEYS: [&str; 5] = ["base", "pattern", "length", "check_digit", "description"];

/// `length: 13` or `length: { min: 8, max: 20 }`, as read.
#[derive(Default)]
struct Length {
    min: Option<usize>,
    max: Option<usize>,
    span: Option<Span>,
}

impl FileLoader<'_> {
    pub(super) fn identifier(&mut self, set: &mut SchemaSet, name: &str, decl: &Value) {
        let path = ["identifiers", name];
        if self.declared(set, &path, name) {
            return;
        }
        let Some(decl) = self.mapping_of(&path, decl) else {
            return;
        };
        let errors_before = self.errors.len();
        let mut base = (IdBase::String, None);
        let mut pattern = None;
        let mut length = Length::default();
        let mut check_digit = None;
        let mut description = None;
        for (key, value) in &decl {
            let key = key.as_str().unwrap_or("");
            let key_path = ["identifiers", name, key];
            match (key, value) {
                ("base", Value::String(b)) => match b.as_str() {
                    "string" => base = (IdBase::String, Some(self.value_span(&key_path, b))),
                    "int" => base = (IdBase::Int, Some(self.value_span(&key_path, b))),
                    other => {
                        let span = self.value_span(&key_path, other);
                        self.errors.push(
                            Diagnostic::error(
                                Code::UnknownSchemaType,
                                format!("`{other}` cannot be the base of an identifier type"),
                            )
                            .label(span, "not `string` or `int`")
                            .help("identifier types are based on `string` or `int`"),
                        );
                    }
                },
                ("pattern", Value::String(p)) => {
                    self.pattern(name, p);
                    pattern = Some(p.clone());
                }
                ("length", value) => length = self.length(name, value),
                ("check_digit", Value::String(scheme)) => {
                    check_digit = self.check_digit(name, scheme);
                }
                ("description", Value::String(d)) => description = Some(d.clone()),
                ("base" | "pattern" | "check_digit" | "description", _) => self.shape_error(
                    &key_path,
                    "not a string",
                    format!("`{key}` of `{name}` must be a string"),
                    "quote the value",
                ),
                (other, _) => self.unknown_key(
                    &["identifiers", name, other],
                    &format!("identifier type `{name}`"),
                    "an identifier type",
                    &KEYS,
                ),
            }
        }
        if let Some((scheme, scheme_span)) = check_digit {
            self.check_digit_fits(name, scheme, scheme_span, base, &length);
        }
        let identifier = IdentifierType {
            name: name.to_string(),
            base: base.0,
            pattern,
            min_len: length.min,
            max_len: length.max,
            check_digit: check_digit.map(|(scheme, _)| scheme),
            description,
            span: self.key_span(&path),
        };
        // The runtime's own check of the rules, as a guard: whatever it would refuse has been
        // reported above with a better place, unless the two disagree.
        if self.errors.len() == errors_before {
            if let Err(why) = fdi_runtime::validate_id_spec(&identifier.spec()) {
                self.errors.push(
                    Diagnostic::error(
                        Code::BadIdentifierRule,
                        format!("the rules of identifier type `{name}` contradict each other"),
                    )
                    .label(identifier.span, why)
                    .help("check `length`, `check_digit` and `pattern` together"),
                );
            }
        }
        if self.errors.len() == errors_before {
            if let Some(base_span) = base.1 {
                self.round_trip(&identifier, base_span, &length);
            }
        }
        set.identifiers.insert(name.to_string(), identifier);
    }

    /// An `int` identifier is written as its number, without leading zeros or a `+`; rules that
    /// hold for the text as read but not for the number (a length of 13, a pattern of six digits)
    /// make the program write values that the same type then refuses. The runtime searches for
    /// such a value; one found is a real example to show.
    fn round_trip(&mut self, identifier: &IdentifierType, base_span: Span, length: &Length) {
        let Some(problem) = fdi_runtime::round_trip_problem(&identifier.spec()) else {
            return;
        };
        let name = &identifier.name;
        let mut d = Diagnostic::error(
            Code::IntIdentifierRefusesItsNumber,
            format!(
                "identifier type `{name}` reads {:?} but writes it as {}, which it refuses",
                problem.accepted, problem.written
            ),
        )
        .label(
            base_span,
            "an `int` identifier is written as its number, without leading zeros",
        );
        let rule = if problem.why.starts_with("it has") {
            length
                .span
                .map(|span| (span, format!("once written, {}", problem.why)))
        } else if problem.why.starts_with("it does not match") {
            identifier.pattern.as_deref().map(|p| {
                let span = self.value_span(&["identifiers", name, "pattern"], p);
                (span, format!("once written, {}", problem.why))
            })
        } else {
            None
        };
        if let Some((span, text)) = rule {
            d = d.label(span, text);
        }
        let fix = if identifier.pattern.is_some() {
            "write `base: string`".to_string()
        } else {
            "write `base: string` and `pattern: \"[0-9]+\"`".to_string()
        };
        self.errors.push(d.help(format!(
            "{fix}: a code with leading zeros (a GTIN, an SSCC, a part number) keeps them only as \
             text; `base: int` is for numbers whose rules hold without leading zeros"
        )));
    }

    /// Reports an invalid regular expression, pointing into it when the regex crate says where.
    fn pattern(&mut self, name: &str, p: &str) {
        // Checked on its own first, so that the error's position is in the user's text.
        let error = regex::Regex::new(p)
            .and_then(|_| regex::Regex::new(&format!("^(?:{p})$")))
            .err();
        let Some(e) = error else { return };
        let (reason, place) = regex_error(&e.to_string());
        let whole = self.value_span(&["identifiers", name, "pattern"], p);
        let found_verbatim = self.text.get(whole.start..whole.end) == Some(p);
        let span = match place {
            Some((start, len)) if found_verbatim => {
                let byte = |chars: usize| {
                    p.char_indices()
                        .nth(chars)
                        .map(|(i, _)| i)
                        .unwrap_or(p.len())
                };
                Span::new(
                    self.file,
                    whole.start + byte(start),
                    whole.start + byte(start + len).max(byte(start) + 1),
                )
            }
            _ => whole,
        };
        self.errors.push(
            Diagnostic::error(Code::InvalidPattern, format!("the pattern of `{name}` is not a valid regular expression"))
                .label(span, reason)
                .help("patterns use the syntax of Rust's regex crate; the whole value must match, so `^` and `$` are implied"),
        );
    }

    fn length(&mut self, name: &str, value: &Value) -> Length {
        let path = ["identifiers", name, "length"];
        let span = Some(self.key_span(&path));
        let Value::Mapping(bounds) = value else {
            let exact = self.length_number(name, &path, value);
            return Length {
                min: exact,
                max: exact,
                span,
            };
        };
        let mut length = Length {
            span,
            ..Length::default()
        };
        for (key, value) in bounds {
            let key = key.as_str().unwrap_or("");
            match key {
                "min" => {
                    length.min = self.length_number(name, &[&path[..], &[key]].concat(), value)
                }
                "max" => {
                    length.max = self.length_number(name, &[&path[..], &[key]].concat(), value)
                }
                other => self.unknown_key(
                    &["identifiers", name, "length", other],
                    &format!("the length of `{name}`"),
                    "a length",
                    &["min", "max"],
                ),
            }
        }
        let problem = match (length.min, length.max) {
            (Some(min), Some(max)) if min > max => {
                Some(format!("`min` {min} is greater than `max` {max}"))
            }
            _ if bounds.is_empty() => Some("neither `min` nor `max` is given".to_string()),
            _ => None,
        };
        if let Some(problem) = problem {
            self.errors.push(
                Diagnostic::error(
                    Code::BadIdentifierRule,
                    format!("the length of identifier type `{name}` allows no value"),
                )
                .label(self.key_span(&path), problem)
                .help("write `length: 13` for an exact length, or `length: { min: 8, max: 20 }` with `min` not greater than `max`"),
            );
        }
        length
    }

    /// A length bound: a whole number of characters, at least 1.
    fn length_number(&mut self, name: &str, path: &[&str], value: &Value) -> Option<usize> {
        let problem = match value {
            Value::Number(n) => match n.as_u64().map(usize::try_from) {
                Some(Ok(0)) => "zero",
                Some(Ok(n)) => return Some(n),
                Some(Err(_)) => "too large",
                None if n.as_i64().is_some_and(|n| n < 0) => "negative",
                None => "not a whole number",
            },
            _ => "not a number",
        };
        let written = match value {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => String::new(),
        };
        let span = self.value_span(path, &written);
        self.errors.push(
            Diagnostic::error(
                Code::BadIdentifierRule,
                format!("the length of identifier type `{name}` is not a number of characters"),
            )
            .label(span, problem)
            .help("a length counts characters: a whole number of at least 1, as in `length: 13` or `length: { min: 8, max: 20 }`"),
        );
        None
    }

    fn check_digit(&mut self, name: &str, scheme: &str) -> Option<(CheckDigit, Span)> {
        let span = self.value_span(&["identifiers", name, "check_digit"], scheme);
        if let Some(known) = CheckDigit::from_name(scheme) {
            return Some((known, span));
        }
        let names = CheckDigit::ALL.map(CheckDigit::name);
        let help = did_you_mean(scheme, names).unwrap_or_else(|| {
            let list: Vec<String> = CheckDigit::ALL
                .iter()
                .map(|c| format!("`{}` ({})", c.name(), c.title()))
                .collect();
            format!("the check-digit schemes are {}", list.join(" and "))
        });
        self.errors.push(
            Diagnostic::error(
                Code::BadIdentifierRule,
                format!("unknown check-digit scheme `{scheme}` for identifier type `{name}`"),
            )
            .label(span, "unknown scheme")
            .help(help),
        );
        None
    }

    /// A check digit needs a base that can hold its characters and room for a digit before it.
    fn check_digit_fits(
        &mut self,
        name: &str,
        scheme: CheckDigit,
        scheme_span: Span,
        (base, base_span): (IdBase, Option<Span>),
        length: &Length,
    ) {
        let may_be_letter = matches!(scheme, CheckDigit::Iso7064Mod11_2);
        if base == IdBase::Int && may_be_letter {
            let mut d = Diagnostic::error(
                Code::BadIdentifierRule,
                format!(
                    "identifier type `{name}` is an `int`, but its {} check character may be `X`",
                    scheme.title()
                ),
            )
            .label(scheme_span, "its check character may be `X`");
            if let Some(base_span) = base_span {
                d = d.label(base_span, "an `int` identifier holds digits only");
            }
            self.errors.push(d.help(format!(
                "use `base: string` (with `pattern: \"[0-9]+[0-9X]\"` if the value is digits otherwise); {} ids such as ORCIDs are text",
                scheme.name()
            )));
        }
        if let (Some(max), Some(length_span)) = (length.max, length.span) {
            if max < 2 {
                self.errors.push(
                    Diagnostic::error(
                        Code::BadIdentifierRule,
                        format!("the length of identifier type `{name}` leaves no room for its check digit"),
                    )
                    .label(length_span, format!("at most {max} character"))
                    .label(scheme_span, "the last character is the check digit")
                    .help("a check digit follows at least one digit: allow at least 2 characters"),
                );
            }
        }
    }
}

/// The reason of a regex crate error, and the place it points at within the pattern (in
/// characters: start and length), read from the error's caret line.
fn regex_error(message: &str) -> (String, Option<(usize, usize)>) {
    let lines: Vec<&str> = message.lines().collect();
    let reason = lines
        .last()
        .map(|l| l.trim().trim_start_matches("error: ").to_string())
        .unwrap_or_else(|| "invalid".to_string());
    let place = match lines.as_slice() {
        [_, pattern, carets, _]
            if pattern.starts_with("    ") && carets.trim_start().starts_with('^') =>
        {
            let start = carets.chars().take_while(|c| *c == ' ').count();
            let len = carets.trim().chars().count();
            start.checked_sub(4).map(|s| (s, len))
        }
        _ => None,
    };
    (reason, place)
}
