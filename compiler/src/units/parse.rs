//! Reading unit expressions: `N*m`, `mm/min`, `m/s^2`, `kg*m/s^2`, `1/s`, `%`.
//!
//! A loop over the text, no recursion, so no input can overflow the stack. Errors carry a fix
//! (a span and its replacement) rather than a finished suggestion; [`ParseError::into_unit_error`]
//! applies it and keeps it only if the result parses, so a suggestion is always valid.

use std::ops::Range;

use super::error::{suggest_atom, UnitError};
use super::table::table;
use super::{Unit, MAX_EXPONENT};

/// Characters that end a unit symbol.
const OPERATORS: &str = "*/^()";

/// How many fixes may be applied in a row to reach a suggestion (`°C/min` -> `degC/min` ->
/// `K/min`).
const MAX_FIXES: usize = 3;

pub(crate) struct ParseError {
    message: String,
    fix: Fix,
}

enum Fix {
    None,
    /// Replace a span, e.g. an unknown symbol with a known one. Further fixes may follow.
    Replace { span: Range<usize>, with: String },
    /// Two units with only space between them (`N m`): try `*`, then nothing (`deg C`), and
    /// take whichever parses without further fixes, since guessing on a guess goes astray here.
    MissingOperator { gap: Range<usize> },
}

impl ParseError {
    fn new(message: String) -> ParseError {
        ParseError {
            message,
            fix: Fix::None,
        }
    }

    pub(crate) fn into_unit_error(self, text: &str) -> UnitError {
        UnitError {
            suggestion: suggestion(text, &self.fix, 0),
            message: self.message,
        }
    }
}

fn suggestion(text: &str, fix: &Fix, fixes_before: usize) -> Option<String> {
    match fix {
        Fix::None => None,
        Fix::Replace { span, with } => {
            let candidate = splice(text, span, with)?;
            match parse_unit(&candidate) {
                Ok(_) => Some(candidate),
                Err(e) if fixes_before + 1 < MAX_FIXES => {
                    suggestion(&candidate, &e.fix, fixes_before + 1)
                }
                Err(_) => None,
            }
        }
        Fix::MissingOperator { gap } => ["*", ""]
            .iter()
            .filter_map(|with| splice(text, gap, with))
            .find(|candidate| parse_unit(candidate).is_ok()),
    }
}

fn splice(text: &str, span: &Range<usize>, with: &str) -> Option<String> {
    Some(format!(
        "{}{with}{}",
        text.get(..span.start)?,
        text.get(span.end..)?
    ))
}

/// Where the parser is: the text and a byte position, always on a character boundary.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn skip_space(&mut self) {
        let rest = &self.text[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn bump(&mut self, c: char) {
        self.pos += c.len_utf8();
    }

    /// The word starting here: up to space or an operator.
    fn word(&mut self) -> (&'a str, Range<usize>) {
        let start = self.pos;
        let rest = &self.text[start..];
        let len = rest
            .find(|c: char| c.is_whitespace() || OPERATORS.contains(c))
            .unwrap_or(rest.len());
        self.pos += len;
        (&rest[..len], start..self.pos)
    }
}

#[derive(Clone, Copy)]
enum Operator {
    Times,
    Per,
}

impl Operator {
    fn symbol(self) -> char {
        match self {
            Operator::Times => '*',
            Operator::Per => '/',
        }
    }
}

pub(crate) fn parse_unit(text: &str) -> Result<Unit, ParseError> {
    let mut cursor = Cursor { text, pos: 0 };
    let mut unit = Unit::dimensionless();
    let mut operator = Operator::Times;
    // The span of an offset unit (degC) read so far, to suggest `K` in its place.
    let mut offset_span: Option<Range<usize>> = None;
    let mut terms = 0usize;
    loop {
        cursor.skip_space();
        let Some(c) = cursor.peek() else {
            if terms == 0 {
                return Err(ParseError::new(
                    "a unit cannot be empty; write `1` for a pure number".to_owned(),
                ));
            }
            return Err(ParseError::new(format!(
                "`{text}` ends with `{}`; a unit must follow it",
                operator.symbol()
            )));
        };
        // A term: a symbol and maybe a power.
        match c {
            '(' | ')' => {
                return Err(ParseError::new(format!(
                    "parentheses are not supported in units (`{text}`); write the divisors \
                     one by one, as in `kg/m/s^2`"
                )))
            }
            '*' | '/' | '^' => {
                return Err(ParseError::new(format!(
                    "`{c}` in `{text}` needs a unit before it"
                )))
            }
            _ => {}
        }
        let (word, span) = cursor.word();
        let term = read_term(word, &span)?;
        cursor.skip_space();
        let exp = if cursor.peek() == Some('^') {
            cursor.bump('^');
            cursor.skip_space();
            read_exponent(cursor.word().0, word)?
        } else {
            1
        };
        let term = term.powi(exp).map_err(|e| match term.has_offset() {
            true => with_fix(e, &span, "K"),
            false => ParseError::new(e.message),
        })?;
        if term.has_offset() {
            offset_span = Some(span.clone());
        }
        let combined = match operator {
            Operator::Times => unit.mul(&term),
            Operator::Per => unit.div(&term),
        };
        unit = combined.map_err(|e| match &offset_span {
            Some(offset) => with_fix(e, offset, "K"),
            None => ParseError::new(e.message),
        })?;
        terms += 1;

        // Then an operator or the end.
        let gap_start = cursor.pos;
        cursor.skip_space();
        match cursor.peek() {
            None => return Ok(unit),
            Some('*') => operator = Operator::Times,
            Some('/') => operator = Operator::Per,
            Some('^') => {
                return Err(ParseError::new(format!(
                    "`{word}` has two powers in `{text}`; write one, as in `{word}^6`"
                )))
            }
            Some(c) => {
                let message = if gap_start == cursor.pos {
                    format!("unexpected `{c}` after `{word}` in `{text}`")
                } else {
                    format!("`{text}` needs `*` or `/` between units")
                };
                return Err(ParseError {
                    message,
                    fix: Fix::MissingOperator {
                        gap: gap_start..cursor.pos,
                    },
                });
            }
        }
        if let Some(c) = cursor.peek() {
            cursor.bump(c);
        }
    }
}

fn with_fix(error: UnitError, span: &Range<usize>, with: &str) -> ParseError {
    ParseError {
        message: error.message,
        fix: Fix::Replace {
            span: span.clone(),
            with: with.to_owned(),
        },
    }
}

/// A unit symbol, an alias, or `1`.
fn read_term(word: &str, span: &Range<usize>) -> Result<Unit, ParseError> {
    if word == "1" {
        return Ok(Unit::dimensionless());
    }
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(ParseError::new(format!(
            "`{word}` is a number, not a unit; only `1` may stand for a pure number, and \
             scaling belongs in the mapping"
        )));
    }
    if let Some(index) = table().find(word) {
        return Unit::atom(index).map_err(|e| ParseError::new(e.message));
    }
    Err(ParseError {
        message: format!("unknown unit `{word}`"),
        fix: match suggest_atom(word) {
            Some(with) => Fix::Replace {
                span: span.clone(),
                with,
            },
            None => Fix::None,
        },
    })
}

fn read_exponent(text: &str, base: &str) -> Result<i32, ParseError> {
    if text.is_empty() {
        return Err(ParseError::new(format!(
            "`{base}^` needs a whole-number power after `^`, as in `{base}^2`"
        )));
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::new(format!(
            "the power `{text}` of `{base}` is not a whole number"
        )));
    }
    match text.parse::<i32>() {
        Ok(0) => Err(ParseError::new(format!(
            "`{base}^0` is 1; write `1` or leave the unit out"
        ))),
        Ok(exp) if exp.unsigned_abs() <= MAX_EXPONENT => Ok(exp),
        _ => Err(ParseError::new(format!(
            "the power `{text}` of `{base}` is too large: powers go up to {MAX_EXPONENT}"
        ))),
    }
}
