//! Expressions of the typed program as Rust expressions.
//!
//! A value that may fail (`maybe` set) is a `Result<T, ::fdi_runtime::Failure>`; everything else
//! is a plain value. Strings and identifiers are cloned out of records; numbers, bools,
//! timestamps, enums and lookup records (`&T`) are copied. Literals carry their type (`1_i64`,
//! `2.5_f64`), so that no expression depends on Rust's default for an untyped literal.

use std::collections::HashMap;

use super::names::{field_ident, sample_ident};
use crate::ir::{BinaryOp, Builtin, Expr, ExprKind, Literal, Pattern, SamplePart, Type};
use crate::schema::{IdBase, SchemaSet};

/// Emits the expressions of one flow, knowing the Rust names of its `let` bindings.
pub struct ExprEmitter<'p> {
    pub locals: HashMap<String, String>,
    pub schema: &'p SchemaSet,
}

fn is_copy(ty: &Type) -> bool {
    !matches!(ty, Type::String | Type::Identifier(_))
}

/// `.clone()` to take a value of type `ty` out of a record, or nothing for a `Copy` type.
fn clone_unless_copy(ty: &Type) -> &'static str {
    if is_copy(ty) {
        ""
    } else {
        ".clone()"
    }
}

/// A float constant where its type is known from the other operand (`x * 2.54`).
fn float_literal(f: f64) -> String {
    if f.is_nan() {
        return "::std::f64::NAN".into();
    }
    if f.is_infinite() {
        let sign = if f < 0.0 { "-" } else { "" };
        return format!("{sign}::std::f64::INFINITY");
    }
    let text = format!("{f:?}");
    if text.contains(['.', 'e', 'E']) {
        text
    } else {
        format!("{text}.0")
    }
}

/// A float literal of the mapping, typed: `2.5_f64`.
fn typed_float(f: f64) -> String {
    let text = float_literal(f);
    if f.is_finite() {
        format!("{text}_f64")
    } else {
        text
    }
}

/// An integer literal of the mapping, typed: `1_i64`.
fn typed_int(i: i64) -> String {
    format!("{i}_i64")
}

/// Wraps an expression in parentheses unless it is a single term: a path, literal, call or
/// method chain, whose brackets and strings may hold anything, but with no operator or space
/// outside them.
fn paren(code: String) -> String {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut simple = !code.starts_with(['-', '!', '&', '*']);
    for c in code.chars() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ if depth == 0 && !(c.is_alphanumeric() || matches!(c, '_' | '.' | ':' | '#')) => {
                simple = false
            }
            _ => {}
        }
    }
    if simple {
        code
    } else {
        format!("({code})")
    }
}

impl ExprEmitter<'_> {
    fn local(&self, name: &str) -> String {
        self.locals
            .get(name)
            .cloned()
            .unwrap_or_else(|| field_ident(name))
    }

    /// A path to an existing value (no clone), when the expression is one.
    fn place(&self, e: &Expr) -> Option<String> {
        if e.is_fallible() {
            return None;
        }
        match &e.kind {
            ExprKind::SourceField {
                name,
                optional: false,
            } => Some(format!("record.{}", field_ident(name))),
            ExprKind::Local(name) => Some(self.local(name)),
            ExprKind::EntityField {
                base,
                field,
                optional: false,
            } => self
                .place(base)
                .map(|b| format!("{b}.{}", field_ident(field))),
            _ => None,
        }
    }

    /// The expression for reading a value in place (comparisons, copies): no clone.
    fn operand(&self, e: &Expr) -> String {
        match &e.kind {
            ExprKind::Literal(Literal::String(s)) => format!("{s:?}"),
            _ => self.place(e).unwrap_or_else(|| self.value(e)),
        }
    }

    /// A `&str` for a string (or identifier) value.
    pub fn text(&self, e: &Expr) -> String {
        match (&e.kind, &e.ty) {
            (ExprKind::Literal(Literal::String(s)), _) => format!("{s:?}"),
            (ExprKind::SourceName, _) => "raw.source()".into(),
            // A text identifier the compiler has validated is its literal: no need to
            // build it (and match its pattern) for every record just to read its text.
            (
                ExprKind::MakeIdentifier {
                    id_type,
                    value,
                    checked: true,
                },
                _,
            ) if self
                .schema
                .identifiers
                .get(id_type)
                .is_some_and(|i| i.base == IdBase::String) =>
            {
                self.text(value)
            }
            // `&*` rather than `.as_str()`: a source record's text may be a `Cow<str>`
            // borrowed from the raw record, and dereferences to `str` as a `String` does.
            (_, Type::String) => match self.place(e) {
                Some(p) => format!("&*{p}"),
                None => format!("{}.as_str()", paren(self.value(e))),
            },
            (_, Type::Identifier(_)) => match self.place(e) {
                Some(p) => format!("{p}.as_str()"),
                None => format!("{}.as_str()", paren(self.value(e))),
            },
            _ => format!("&{}.to_string()", paren(self.operand(e))),
        }
    }

    /// An owned value, or a `Result` of one when the expression may fail.
    pub fn value(&self, e: &Expr) -> String {
        self.value_as(e, e.is_fallible())
    }

    /// The `Result` of an expression whose failure the mapping handles with `else reject`: the
    /// checker cleared its `maybe`, but its code still fails.
    pub fn result(&self, e: &Expr) -> String {
        self.value_as(e, true)
    }

    /// `fallible`: whether the code must be a `Result` (the checker's verdict on `e`, or a
    /// handled failure).
    fn value_as(&self, e: &Expr, fallible: bool) -> String {
        match &e.kind {
            ExprKind::Literal(Literal::String(s)) => format!("{s:?}.to_owned()"),
            ExprKind::Literal(Literal::Int(i)) => typed_int(*i),
            ExprKind::Literal(Literal::Float(f)) => typed_float(*f),
            ExprKind::Literal(Literal::Bool(b)) => b.to_string(),
            // Source text may be borrowed (`Cow<str>`): an owned value is made with `to_string`.
            ExprKind::SourceField {
                name,
                optional: true,
            } if e.ty == Type::String => format!(
                "::fdi_runtime::present(record.{}.as_deref().map(str::to_owned), {name:?})",
                field_ident(name)
            ),
            ExprKind::SourceField {
                name,
                optional: true,
            } => {
                format!(
                    "::fdi_runtime::present(record.{}{}, {name:?})",
                    field_ident(name),
                    clone_unless_copy(&e.ty)
                )
            }
            ExprKind::SourceField { .. } if e.ty == Type::String => {
                format!("{}.to_string()", self.place(e).unwrap_or_default())
            }
            ExprKind::SourceSample { field, part } => {
                let f = field_ident(field);
                match part {
                    SamplePart::Good => format!(
                        "::fdi_runtime::good(&record.{f}, record.{}, {field:?})",
                        sample_ident(field, "quality")
                    ),
                    SamplePart::Value => format!("record.{f}.value({field:?})"),
                    SamplePart::Quality => format!("record.{}", sample_ident(field, "quality")),
                    SamplePart::Timestamp => format!(
                        "::fdi_runtime::present(record.{}, {:?})",
                        sample_ident(field, "timestamp"),
                        format!("{field}.timestamp")
                    ),
                }
            }
            ExprKind::SourcePosition => "raw.position() as i64".into(),
            ExprKind::SourceName => "raw.source().to_owned()".into(),
            // A `Result` is never `Copy` (its `Failure` holds text).
            ExprKind::Local(name) if e.is_fallible() => format!("{}.clone()", self.local(name)),
            ExprKind::EntityField {
                base,
                field,
                optional,
            } if base.is_fallible() => {
                let f = field_ident(field);
                let base = self.value(base);
                let copy = clone_unless_copy(&e.ty);
                if *optional {
                    format!(
                        "{base}.and_then(|row| ::fdi_runtime::present(row.{f}{copy}, {field:?}))"
                    )
                } else {
                    format!("{base}.map(|row| row.{f}{copy})")
                }
            }
            ExprKind::EntityField {
                base,
                field,
                optional: true,
            } => {
                format!(
                    "::fdi_runtime::present({}.{}{}, {field:?})",
                    self.operand(base),
                    field_ident(field),
                    clone_unless_copy(&e.ty)
                )
            }
            ExprKind::SourceField { .. } | ExprKind::Local(_) | ExprKind::EntityField { .. } => {
                let place = self.place(e).unwrap_or_default();
                format!("{place}{}", clone_unless_copy(&e.ty))
            }
            ExprKind::Lookup { lookup, key } => {
                format!("lookups.{}.get({})", field_ident(lookup), self.text(key))
            }
            ExprKind::EnumCode { enum_name, code } => {
                format!("crate::types::{enum_name}::{}", field_ident(code))
            }
            ExprKind::MakeIdentifier {
                id_type,
                value,
                checked,
            } => {
                let parse = format!("crate::types::{id_type}::parse({})", self.text(value));
                if *checked {
                    format!("{parse}.expect(\"fdi checked this literal against the identifier's rules\")")
                } else {
                    parse
                }
            }
            ExprKind::Call { function, args } => self.call(*function, args),
            ExprKind::CallFunction { name, args } => {
                let args: Vec<String> = args.iter().map(|a| self.value(a)).collect();
                format!("crate::functions::{name}({})", args.join(", "))
            }
            ExprKind::IntToFloat(inner) => match &inner.kind {
                ExprKind::Literal(Literal::Int(i)) => typed_float(*i as f64),
                _ if inner.is_fallible() => format!("{}.map(|n| n as f64)", self.value(inner)),
                _ => format!("{} as f64", paren(self.operand(inner))),
            },
            ExprKind::Convert {
                value,
                scale,
                shift,
            } => {
                let arithmetic = |x: &str| match (*scale == 1.0, *shift == 0.0) {
                    (true, _) => format!("{x} + {}", float_literal(*shift)),
                    (false, true) => format!("{x} * {}", float_literal(*scale)),
                    (false, false) => {
                        format!(
                            "{x} * {} + {}",
                            float_literal(*scale),
                            float_literal(*shift)
                        )
                    }
                };
                if value.is_fallible() {
                    format!("{}.map(|x| {})", self.value(value), arithmetic("x"))
                } else {
                    arithmetic(&paren(self.operand(value)))
                }
            }
            ExprKind::Not(inner) => self.negated(inner),
            // A negative literal is written as one: `-1_i64`, never `1_i64.saturating_neg()`.
            ExprKind::Neg(inner) => match &inner.kind {
                ExprKind::Literal(Literal::Int(i)) => typed_int(i.saturating_neg()),
                ExprKind::Literal(Literal::Float(f)) => typed_float(-f),
                _ if inner.ty == Type::Int => {
                    format!("{}.saturating_neg()", paren(self.operand(inner)))
                }
                _ => format!("-{}", paren(self.operand(inner))),
            },
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, fallible),
            ExprKind::Coalesce { value, default } => match self.optional_or(value, default) {
                Some(code) => code,
                None => self.or_default(value, default).0,
            },
            ExprKind::Match { scrutinee, arms } => self.match_expr(fallible, scrutinee, arms),
            ExprKind::Reject { reason } => {
                format!("return Err(::fdi_runtime::Reject::new({reason:?}))")
            }
        }
    }

    /// `condition` negated, as a reader would write it: `a == b` rather than `!(a != b)`.
    pub fn negated(&self, condition: &Expr) -> String {
        let plain_order = |lhs: &Expr, rhs: &Expr| !lhs.ty.is_float() && !rhs.ty.is_float();
        match &condition.kind {
            ExprKind::Not(inner) => self.value(inner),
            ExprKind::Binary {
                op: op @ (BinaryOp::And | BinaryOp::Or),
                lhs,
                rhs,
            } => {
                let op = if *op == BinaryOp::And { "||" } else { "&&" };
                // Each side negated is a comparison or a `!`, which bind tighter than `&&` and
                // `||`, or again a `&&` or `||`, which needs brackets.
                let side = |e: &Expr| {
                    let code = self.negated(e);
                    match &e.kind {
                        ExprKind::Binary {
                            op: BinaryOp::And | BinaryOp::Or,
                            ..
                        } => format!("({code})"),
                        _ => code,
                    }
                };
                format!("{} {op} {}", side(lhs), side(rhs))
            }
            ExprKind::Binary { op, lhs, rhs } => {
                // Floats are left alone: with NaN, `!(a < b)` is not `a >= b`.
                let flipped = match op {
                    BinaryOp::Eq => Some(BinaryOp::Ne),
                    BinaryOp::Ne => Some(BinaryOp::Eq),
                    BinaryOp::Lt if plain_order(lhs, rhs) => Some(BinaryOp::Ge),
                    BinaryOp::Le if plain_order(lhs, rhs) => Some(BinaryOp::Gt),
                    BinaryOp::Gt if plain_order(lhs, rhs) => Some(BinaryOp::Le),
                    BinaryOp::Ge if plain_order(lhs, rhs) => Some(BinaryOp::Lt),
                    _ => None,
                };
                match flipped {
                    Some(op) => self.binary(op, lhs, rhs, false),
                    None => format!("!{}", paren(self.value(condition))),
                }
            }
            _ => format!("!{}", paren(self.operand(condition))),
        }
    }

    /// The `Option` an optional field is, in place, when `e` is one (of the source record or of
    /// a lookup record already found).
    fn optional_place(&self, e: &Expr) -> Option<String> {
        match &e.kind {
            ExprKind::SourceField {
                name,
                optional: true,
            } => Some(format!("record.{}", field_ident(name))),
            ExprKind::EntityField {
                base,
                field,
                optional: true,
            } => Some(format!("{}.{}", self.place(base)?, field_ident(field))),
            _ => None,
        }
    }

    /// An optional field's value as an owned `Option`, for an optional target field: `None`
    /// when `e` is not an optional field.
    pub fn option(&self, e: &Expr) -> Option<String> {
        let option = self.optional_place(e)?;
        Some(match &e.ty {
            Type::String => format!("{option}.as_deref().map(str::to_owned)"),
            ty => format!("{option}{}", clone_unless_copy(ty)),
        })
    }

    /// `field ?? default` on an optional field: the field's `Option` with `unwrap_or`, without
    /// going through a `Result`. `None` when `value` is not an optional field or `default` may
    /// fail or reject.
    fn optional_or(&self, value: &Expr, default: &Expr) -> Option<String> {
        if default.is_fallible() || contains_reject(default) {
            return None;
        }
        let option = self.optional_place(value)?;
        // Text is borrowed as it is (`&str`), so a literal or a field read in place costs nothing.
        let cheap = match value.ty {
            Type::String => {
                matches!(default.kind, ExprKind::Literal(_)) || self.place(default).is_some()
            }
            _ => self.is_cheap_copy(default),
        };
        Some(match (&value.ty, cheap) {
            // Source text may be borrowed (`Cow<str>`) and lookup text owned: both read as `&str`.
            (Type::String, true) => {
                format!(
                    "{option}.as_deref().unwrap_or({}).to_owned()",
                    self.text(default)
                )
            }
            (Type::String, false) => format!(
                "{option}.as_deref().map_or_else(|| {}, str::to_owned)",
                self.value(default)
            ),
            (ty, true) => format!(
                "{option}{}.unwrap_or({})",
                clone_unless_copy(ty),
                self.value(default)
            ),
            (ty, false) => format!(
                "{option}{}.unwrap_or_else(|| {})",
                clone_unless_copy(ty),
                self.value(default)
            ),
        })
    }

    /// Whether `e` is a literal or a value read in place that is copied: evaluating it
    /// when it is not needed costs nothing, so `unwrap_or(e)` rather than `unwrap_or_else`.
    fn is_cheap_copy(&self, e: &Expr) -> bool {
        is_copy(&e.ty) && (matches!(e.kind, ExprKind::Literal(_)) || self.place(e).is_some())
    }

    /// `value` (the code of a `Result`) or, when it failed, `default`: the step of `??` and of
    /// `coalesce()`. Returns the code and whether it still is a `Result` (`default` may fail).
    fn or_default(&self, value: &Expr, default: &Expr) -> (String, bool) {
        self.or_default_of(self.value(value), self.option(value), default)
    }

    /// [`Self::or_default`] of code already written: `value`, a `Result`, or `option`, the
    /// same value as an `Option` when it is an optional field.
    fn or_default_of(
        &self,
        value: String,
        option: Option<String>,
        default: &Expr,
    ) -> (String, bool) {
        let d = self.value(default);
        if contains_reject(default) {
            let ok = if default.is_fallible() {
                "Ok(value)"
            } else {
                "value"
            };
            let code = match option {
                Some(option) => or_in_match(&option, ("Some(value)", ok), ("None", &d)),
                None => or_in_match(&value, ("Ok(value)", ok), ("Err(_)", &d)),
            };
            (code, default.is_fallible())
        } else if default.is_fallible() {
            (format!("{value}.or_else(|_| {d})"), true)
        } else if self.is_cheap_copy(default) {
            (format!("{value}.unwrap_or({d})"), false)
        } else {
            (format!("{value}.unwrap_or_else(|_| {d})"), false)
        }
    }

    fn call(&self, function: Builtin, args: &[Expr]) -> String {
        let std = |name: &str, args: String| format!("::fdi_runtime::stdlib::{name}({args})");
        match function {
            Builtin::Trim
            | Builtin::Lower
            | Builtin::Upper
            | Builtin::ParseInt
            | Builtin::ParseFloat => std(function.name(), self.text(&args[0])),
            // The checker allows `parse_timestamp(text)` and `parse_timestamp(text, format, zone)`.
            Builtin::ParseTimestamp => match args {
                [text, format, zone] => format!(
                    "::fdi_runtime::time::parse_timestamp_in({}, {}, {})",
                    self.text(text),
                    self.text(format),
                    self.text(zone)
                ),
                _ => std("parse_timestamp", self.text(&args[0])),
            },
            Builtin::FormatTimestamp => format!(
                "::fdi_runtime::time::format_timestamp(&{}, {}, {})",
                paren(self.operand(&args[0])),
                self.text(&args[1]),
                self.text(&args[2])
            ),
            Builtin::FromEpochSeconds | Builtin::FromEpochMillis => format!(
                "::fdi_runtime::time::{}({})",
                function.name(),
                self.operand(&args[0])
            ),
            Builtin::ToEpochMillis => format!(
                "::fdi_runtime::time::to_epoch_millis(&{})",
                paren(self.operand(&args[0]))
            ),
            Builtin::Round => {
                let digits = args
                    .get(1)
                    .map(|d| self.operand(d))
                    .unwrap_or_else(|| typed_int(0));
                std("round", format!("{}, {digits}", self.operand(&args[0])))
            }
            Builtin::ToInt | Builtin::ToFloat => std(function.name(), self.operand(&args[0])),
            Builtin::String => match args[0].ty {
                Type::String => self.value(&args[0]),
                _ => std("string", format!("&{}", paren(self.operand(&args[0])))),
            },
            Builtin::Concat => {
                let parts: Vec<String> = args.iter().map(|a| self.text(a)).collect();
                format!("[{}].concat()", parts.join(", "))
            }
            // The first argument that has a value: each next argument is the default of what came
            // before. Once an argument cannot fail, those after it are never reached.
            Builtin::Coalesce => {
                let (first, rest) = args
                    .split_first()
                    .expect("coalesce has at least two arguments");
                if let Some(code) = self.optional_or(first, &rest[0]) {
                    return code;
                }
                let mut option = self.option(first);
                let mut code = self.value(first);
                for arg in rest {
                    let (next, still_result) = self.or_default_of(code, option.take(), arg);
                    code = next;
                    if !still_result {
                        break;
                    }
                }
                code
            }
        }
    }

    /// `fallible`: the checker's verdict on the whole operation (moving a timestamp by a
    /// computed duration may fail).
    fn binary(&self, op: BinaryOp, lhs: &Expr, rhs: &Expr, fallible: bool) -> String {
        let strings = matches!(lhs.ty, Type::String) || matches!(rhs.ty, Type::String);
        // An operand that is itself an operator binding tighter needs no brackets:
        // `a * b + c`, `a < b && c`.
        let parent = infix_precedence(op, lhs, rhs);
        let side = |child: &Expr, left: bool| {
            let code = self.operand(child);
            let child = match &child.kind {
                ExprKind::Binary { op, lhs, rhs } if !child.is_fallible() => {
                    infix_precedence(*op, lhs, rhs)
                }
                _ => None,
            };
            match (parent, child) {
                (Some(p), Some(c)) if c > p || (c == p && left && p != COMPARISON) => code,
                _ => paren(code),
            }
        };
        let (l, r) = if strings {
            (self.text(lhs), self.text(rhs))
        } else {
            (side(lhs, true), side(rhs, false))
        };
        let int = lhs.ty == Type::Int && rhs.ty == Type::Int;
        if let Some(code) = time_arithmetic(op, lhs, rhs, &l, &r, fallible) {
            return code;
        }
        match op {
            BinaryOp::Concat => {
                let mut parts = Vec::new();
                self.concat_parts(lhs, &mut parts);
                self.concat_parts(rhs, &mut parts);
                format!("[{}].concat()", parts.join(", "))
            }
            BinaryOp::Add if int => format!("{l}.saturating_add({r})"),
            BinaryOp::Sub if int => format!("{l}.saturating_sub({r})"),
            BinaryOp::Mul if int => format!("{l}.saturating_mul({r})"),
            BinaryOp::Div if int => format!("::fdi_runtime::stdlib::div_int({l}, {r})"),
            BinaryOp::Rem if int => format!("::fdi_runtime::stdlib::rem_int({l}, {r})"),
            _ => {
                let symbol = match op {
                    BinaryOp::Or => "||",
                    BinaryOp::And => "&&",
                    BinaryOp::Eq => "==",
                    BinaryOp::Ne => "!=",
                    BinaryOp::Lt => "<",
                    BinaryOp::Le => "<=",
                    BinaryOp::Gt => ">",
                    BinaryOp::Ge => ">=",
                    BinaryOp::Add => "+",
                    BinaryOp::Sub => "-",
                    BinaryOp::Mul => "*",
                    BinaryOp::Div => "/",
                    BinaryOp::Rem | BinaryOp::Concat => "%",
                };
                format!("{l} {symbol} {r}")
            }
        }
    }

    /// `a + b + c` on strings becomes one `[a, b, c].concat()`.
    fn concat_parts(&self, e: &Expr, parts: &mut Vec<String>) {
        match &e.kind {
            ExprKind::Binary {
                op: BinaryOp::Concat,
                lhs,
                rhs,
            } => {
                self.concat_parts(lhs, parts);
                self.concat_parts(rhs, parts);
            }
            _ => parts.push(self.text(e)),
        }
    }

    /// `fallible`: whether the match's value is a `Result` (then arms that cannot fail are
    /// wrapped in `Ok`).
    fn match_expr(&self, fallible: bool, scrutinee: &Expr, arms: &[crate::ir::MatchArm]) -> String {
        let subject = match scrutinee.ty {
            Type::String | Type::Identifier(_) => self.text(scrutinee),
            _ => self.operand(scrutinee),
        };
        let mut lines = vec![format!("match {subject} {{")];
        for arm in arms {
            let pattern = if arm.patterns.is_empty() {
                "_".to_string()
            } else {
                arm.patterns
                    .iter()
                    .map(pattern)
                    .collect::<Vec<_>>()
                    .join(" | ")
            };
            if let ExprKind::Reject { reason } = &arm.body.kind {
                // The value that reached this arm is the reject's detail.
                let binding = match arm.patterns.len() {
                    0 => "value".to_string(),
                    1 => format!("value @ {pattern}"),
                    _ => format!("value @ ({pattern})"),
                };
                lines.push(format!(
                    "    {binding} => return Err(::fdi_runtime::Reject::unmatched({reason:?}, value)),"
                ));
                continue;
            }
            let body = self.value(&arm.body);
            let body = if fallible && !arm.body.is_fallible() {
                format!("Ok({body})")
            } else {
                body
            };
            let body = body.replace('\n', "\n    ");
            lines.push(format!("    {pattern} => {body},"));
        }
        lines.push("}".into());
        lines.join("\n")
    }
}

/// The precedence level of Rust's comparison operators, which do not chain.
const COMPARISON: u8 = 3;

/// How tightly the Rust operator emitted for `lhs op rhs` binds, or `None` when the operation
/// is emitted as a call (integer arithmetic saturates, timestamps move, strings concatenate).
fn infix_precedence(op: BinaryOp, lhs: &Expr, rhs: &Expr) -> Option<u8> {
    let int = lhs.ty == Type::Int && rhs.ty == Type::Int;
    let time = lhs.ty == Type::Timestamp || rhs.ty == Type::Timestamp;
    match op {
        BinaryOp::Or => Some(1),
        BinaryOp::And => Some(2),
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            Some(COMPARISON)
        }
        BinaryOp::Concat => None,
        _ if int || time => None,
        BinaryOp::Add | BinaryOp::Sub => Some(4),
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => Some(5),
    }
}

fn pattern(p: &Pattern) -> String {
    match p {
        Pattern::Literal(Literal::String(s)) => format!("{s:?}"),
        Pattern::Literal(Literal::Int(i)) => typed_int(*i),
        Pattern::Literal(Literal::Float(f)) => typed_float(*f),
        Pattern::Literal(Literal::Bool(b)) => b.to_string(),
        Pattern::EnumCode { enum_name, code } => {
            format!("crate::types::{enum_name}::{}", field_ident(code))
        }
    }
}

/// Arithmetic on timestamps: a difference in seconds, or a timestamp moved by a duration
/// (converted to seconds with the compiler's constant).
fn time_arithmetic(
    op: BinaryOp,
    lhs: &Expr,
    rhs: &Expr,
    l: &str,
    r: &str,
    fallible: bool,
) -> Option<String> {
    let to_seconds = |duration: &Expr, code: &str| match &duration.ty {
        Type::Quantity(unit) => {
            let seconds = crate::units::Unit::second();
            let scale = unit.conversion_to(&seconds)?.scale;
            Some(if scale == 1.0 {
                code.to_string()
            } else {
                format!("{code} * {}", float_literal(scale))
            })
        }
        _ => None,
    };
    // The checker decided whether moving the timestamp may fail (a computed duration) or not
    // (a literal one); the emitter follows that verdict rather than deciding again.
    let add = if fallible {
        "::fdi_runtime::time::add_seconds"
    } else {
        "::fdi_runtime::time::add_seconds_saturating"
    };
    match (op, &lhs.ty, &rhs.ty) {
        (BinaryOp::Sub, Type::Timestamp, Type::Timestamp) => {
            Some(format!("::fdi_runtime::time::seconds_between(&{l}, &{r})"))
        }
        (BinaryOp::Add, Type::Timestamp, _) => {
            Some(format!("{}(&{l}, {})", add, to_seconds(rhs, r)?))
        }
        (BinaryOp::Sub, Type::Timestamp, _) => {
            Some(format!("{}(&{l}, -({}))", add, to_seconds(rhs, r)?))
        }
        (BinaryOp::Add, _, Type::Timestamp) => {
            Some(format!("{}(&{r}, {})", add, to_seconds(lhs, l)?))
        }
        _ => None,
    }
}

/// `code`'s value, or `otherwise` when it has none, written as a `match` rather than with
/// `or_else`/`unwrap_or_else`: an `otherwise` that may reject holds a `return`, which leaves the
/// flow only from the flow function's own body, not from a closure. Each arm is a pattern and
/// its value: (`Ok(value)`, `value`) and (`Err(_)`, otherwise) for a `Result`.
fn or_in_match(code: &str, present: (&str, &str), absent: (&str, &str)) -> String {
    format!(
        "match {code} {{\n    {} => {},\n    {} => {},\n}}",
        present.0, present.1, absent.0, absent.1
    )
}

/// Whether evaluating `e` may reject the record (a match arm `reject "..."` inside it): such code
/// must stay in the flow function's body, where `return` leaves the flow.
fn contains_reject(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Reject { .. } => true,
        ExprKind::Match { scrutinee, arms } => {
            contains_reject(scrutinee) || arms.iter().any(|arm| contains_reject(&arm.body))
        }
        ExprKind::Coalesce { value, default } => contains_reject(value) || contains_reject(default),
        ExprKind::Binary { lhs, rhs, .. } => contains_reject(lhs) || contains_reject(rhs),
        ExprKind::Call { args, .. } | ExprKind::CallFunction { args, .. } => {
            args.iter().any(contains_reject)
        }
        ExprKind::Lookup { key: inner, .. }
        | ExprKind::EntityField { base: inner, .. }
        | ExprKind::MakeIdentifier { value: inner, .. }
        | ExprKind::IntToFloat(inner)
        | ExprKind::Not(inner)
        | ExprKind::Neg(inner)
        | ExprKind::Convert { value: inner, .. } => contains_reject(inner),
        ExprKind::Literal(_)
        | ExprKind::SourceField { .. }
        | ExprKind::SourceSample { .. }
        | ExprKind::SourcePosition
        | ExprKind::SourceName
        | ExprKind::Local(_)
        | ExprKind::EnumCode { .. } => false,
    }
}
