//! Expressions of the typed program as Rust expressions.
//!
//! A value that may fail (`maybe` set) is a `Result<T, ::fdi_runtime::Failure>`; everything else
//! is a plain value. Strings and identifiers are cloned out of records; numbers, bools,
//! timestamps, enums and lookup records (`&T`) are copied. Literals carry their type (`1_i64`,
//! `2.5_f64`), so that no expression depends on Rust's default for an untyped literal.

mod absent;
mod operators;
mod presence;
mod text;

use std::collections::{HashMap, HashSet};

use super::names::{Names, SampleField};
use crate::ir::{Builtin, Expr, ExprKind, Literal, Pattern, SamplePart, Type};
use crate::schema::{IdBase, SchemaSet};
use crate::units::Arithmetic;

/// Emits the expressions of one flow, knowing the Rust names of its `let` bindings.
pub struct ExprEmitter<'p> {
    pub locals: HashMap<String, String>,
    /// The locals (`&str`) the flow read its record's topic (`None`) and the topic's named
    /// levels into, at its top.
    pub topic_locals: HashMap<Option<String>, String>,
    pub schema: &'p SchemaSet,
    pub names: &'p Names,
    /// The `let` bindings held as a `&str` borrowed from the record, a lookup record or a
    /// literal (see [`ExprEmitter::borrowed_let`]): read as they are, copied with `to_owned`.
    pub borrowed_locals: HashSet<String>,
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
        self.locals[name].clone()
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
            } => Some(format!("record.{}", self.names.field_ident(name))),
            ExprKind::Local(name) => Some(self.local(name)),
            ExprKind::EntityField {
                base,
                field,
                optional: false,
            } => self
                .place(base)
                .map(|b| format!("{b}.{}", self.names.field_ident(field))),
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
        if let Some(borrowed) = self.borrowed_text_default(e) {
            return borrowed;
        }
        if let ExprKind::Local(name) = &e.kind {
            if self.borrowed_locals.contains(name) {
                return self.local(name);
            }
        }
        match (&e.kind, &e.ty) {
            (ExprKind::Literal(Literal::String(s)), _) => format!("{s:?}"),
            (ExprKind::SourceName, _) => "raw.source()".into(),
            (ExprKind::SourceTopic, _) => self.topic_locals[&None].clone(),
            (ExprKind::SourceTopicLevel { name }, _) => {
                self.topic_locals[&Some(name.clone())].clone()
            }
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
                self.names.field_ident(name)
            ),
            ExprKind::SourceField {
                name,
                optional: true,
            } => {
                format!(
                    "::fdi_runtime::present(record.{}{}, {name:?})",
                    self.names.field_ident(name),
                    clone_unless_copy(&e.ty)
                )
            }
            ExprKind::SourceField { .. } if e.ty == Type::String => {
                format!("{}.to_string()", self.place(e).unwrap_or_default())
            }
            ExprKind::SourceSample { field, part } => {
                let f = self.names.field_ident(field);
                match part {
                    SamplePart::Good => format!(
                        "::fdi_runtime::good(&record.{f}, record.{}, {field:?})",
                        self.names.sample_ident(field, SampleField::Quality)
                    ),
                    SamplePart::Value => format!("record.{f}.value({field:?})"),
                    // An UNAVAILABLE value is BAD whatever its quality column says.
                    SamplePart::Quality => format!(
                        "record.{f}.quality(record.{})",
                        self.names.sample_ident(field, SampleField::Quality)
                    ),
                    SamplePart::Timestamp => format!(
                        "::fdi_runtime::present(record.{}, {:?})",
                        self.names.sample_ident(field, SampleField::Timestamp),
                        format!("{field}.timestamp")
                    ),
                }
            }
            ExprKind::SourcePosition => "raw.position() as i64".into(),
            ExprKind::SourceName => "raw.source().to_owned()".into(),
            ExprKind::SourceTopic => format!("{}.to_owned()", self.topic_locals[&None]),
            ExprKind::SourceTopicLevel { name } => {
                format!("{}.to_owned()", self.topic_locals[&Some(name.clone())])
            }
            // A `Result` is never `Copy` (its `Failure` holds text), and the binding may be read
            // again after this use. `fallible` rather than the expression's `maybe`: under
            // `else reject` the checker cleared the `maybe` of what is still a `Result` here.
            ExprKind::Local(name) if fallible => format!("{}.clone()", self.local(name)),
            ExprKind::Local(name) if self.borrowed_locals.contains(name) => {
                format!("{}.to_owned()", self.local(name))
            }
            ExprKind::EntityField {
                base,
                field,
                optional,
            } if base.is_fallible() => {
                let f = self.names.field_ident(field);
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
                    self.names.field_ident(field),
                    clone_unless_copy(&e.ty)
                )
            }
            ExprKind::SourceField { .. } | ExprKind::Local(_) | ExprKind::EntityField { .. } => {
                let place = self.place(e).unwrap_or_default();
                format!("{place}{}", clone_unless_copy(&e.ty))
            }
            ExprKind::Lookup { lookup, key } => match key.as_slice() {
                [single] => format!(
                    "lookups.{}.get({})",
                    self.names.lookup(lookup),
                    self.text(single)
                ),
                // A composite key is looked up by its values as the record holds them,
                // borrowed: nothing is allocated per record.
                several => {
                    let parts: Vec<String> = several.iter().map(|k| self.key_part(k)).collect();
                    format!(
                        "lookups.{}.get(&[{}])",
                        self.names.lookup(lookup),
                        parts.join(", ")
                    )
                }
            },
            ExprKind::EnumCode { enum_name, code } => self.names.variant_path(enum_name, code),
            ExprKind::MakeIdentifier {
                id_type,
                value,
                checked,
            } => {
                let parse = format!(
                    "{}::parse({})",
                    self.names.type_path(id_type),
                    self.text(value)
                );
                if *checked {
                    format!("{parse}.expect(\"fdi checked this literal against the identifier's rules\")")
                } else {
                    parse
                }
            }
            ExprKind::Call { function, args } => self.call(*function, args),
            ExprKind::CallFunction { name, args } => {
                let args: Vec<String> = args.iter().map(|a| self.value(a)).collect();
                format!(
                    "crate::functions::{}({})",
                    self.names.function(name),
                    args.join(", ")
                )
            }
            ExprKind::IntToFloat(inner) => match &inner.kind {
                ExprKind::Literal(Literal::Int(i)) => typed_float(*i as f64),
                _ if inner.is_fallible() => format!("{}.map(|n| n as f64)", self.value(inner)),
                _ => format!("{} as f64", paren(self.operand(inner))),
            },
            ExprKind::Convert { value, arithmetic } => {
                let arithmetic = |x: &str| match *arithmetic {
                    Arithmetic::MultiplyAdd { scale, shift } => {
                        match (scale == 1.0, shift == 0.0) {
                            (true, _) => format!("{x} + {}", float_literal(shift)),
                            (false, true) => format!("{x} * {}", float_literal(scale)),
                            (false, false) => {
                                format!("{x} * {} + {}", float_literal(scale), float_literal(shift))
                            }
                        }
                    }
                    Arithmetic::AddDivide {
                        shift: 0.0,
                        divisor,
                    } => {
                        format!("{x} / {}", float_literal(divisor))
                    }
                    Arithmetic::AddDivide { shift, divisor } => {
                        format!(
                            "({x} + {}) / {}",
                            float_literal(shift),
                            float_literal(divisor)
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
                [text, format, zone] => match zoned_format(format, zone) {
                    Some(resolved) => format!("({resolved}).parse({})", self.text(text)),
                    None => format!(
                        "::fdi_runtime::time::parse_timestamp_in({}, {}, {})",
                        self.text(text),
                        self.text(format),
                        self.text(zone)
                    ),
                },
                _ => std("parse_timestamp", self.text(&args[0])),
            },
            Builtin::FormatTimestamp => match zoned_format(&args[1], &args[2]) {
                Some(resolved) => {
                    format!("({resolved}).format(&{})", paren(self.operand(&args[0])))
                }
                None => format!(
                    "::fdi_runtime::time::format_timestamp(&{}, {}, {})",
                    paren(self.operand(&args[0])),
                    self.text(&args[1]),
                    self.text(&args[2])
                ),
            },
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
            Builtin::Present => self.present(&args[0]),
            // The first argument that has a value: each next argument is the default of what came
            // before. Once an argument cannot fail, those after it are never reached.
            Builtin::Coalesce => {
                let (first, rest) = args
                    .split_first()
                    .expect("coalesce has at least two arguments");
                if let Some(code) = self.optional_or(first, &rest[0]) {
                    return code;
                }
                if let Some(borrowed) = self.optional_texts_or(args) {
                    return format!("{borrowed}.to_owned()");
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

    /// `fallible`: whether the match's value is a `Result` (then arms that cannot fail are
    /// wrapped in `Ok`).
    fn match_expr(&self, fallible: bool, scrutinee: &Expr, arms: &[crate::ir::MatchArm]) -> String {
        self.match_with(scrutinee, arms, |body| {
            let value = self.value(body);
            if fallible && !body.is_fallible() {
                format!("Ok({value})")
            } else {
                value
            }
        })
    }

    /// A `match` whose arms' values `arm_value` writes (the arms that reject are written here).
    fn match_with(
        &self,
        scrutinee: &Expr,
        arms: &[crate::ir::MatchArm],
        arm_value: impl Fn(&Expr) -> String,
    ) -> String {
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
                    .map(|p| pattern(p, self.names))
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
            let body = arm_value(&arm.body).replace('\n', "\n    ");
            lines.push(format!("    {pattern} => {body},"));
        }
        // The checker let the match leave out codes a filter of the flow excluded above
        // (`check/excluded.rs`). Rust still wants them: should one arrive after all, the record
        // is rejected, saying so, rather than the program stopping.
        let wildcard = arms.iter().any(|arm| arm.patterns.is_empty());
        if !wildcard
            && matches!(scrutinee.ty, Type::Enum(_))
            && !self.covers_every_value(&scrutinee.ty, arms)
        {
            lines.push(
                "    // Excluded by a filter of the flow above: no record reaching here has these codes.".into(),
            );
            lines.push(
                "    value => return Err(::fdi_runtime::Reject::unmatched(\"code excluded by the flow's filter\", value)),".into(),
            );
        }
        lines.push("}".into());
        lines.join("\n")
    }

    /// Whether `e` holds a match whose `_` arm comes after arms that name every value (`true |
    /// false`, every code of an enum). The mapping may say `_` all the same; the arm is written
    /// as the mapping has it (it also fixes the type of the match), and the function that holds
    /// it allows rustc's `unreachable_patterns`.
    pub fn has_unreachable_wildcard(&self, e: &Expr) -> bool {
        let mut found = false;
        e.walk(&mut |e| {
            if let ExprKind::Match { scrutinee, arms } = &e.kind {
                found |= arms.iter().enumerate().any(|(i, arm)| {
                    arm.patterns.is_empty() && self.covers_every_value(&scrutinee.ty, &arms[..i])
                });
            }
        });
        found
    }

    /// Whether the patterns of `arms` name every value of `ty`, a bool or an enum.
    fn covers_every_value(&self, ty: &Type, arms: &[crate::ir::MatchArm]) -> bool {
        let patterns: Vec<&Pattern> = arms.iter().flat_map(|arm| &arm.patterns).collect();
        match ty {
            Type::Bool => [true, false].iter().all(|b| {
                patterns
                    .iter()
                    .any(|p| matches!(p, Pattern::Literal(Literal::Bool(v)) if v == b))
            }),
            Type::Enum(name) => self.schema.enums.get(name).is_some_and(|e| {
                e.codes.iter().all(|code| {
                    patterns
                        .iter()
                        .any(|p| matches!(p, Pattern::EnumCode { code: c, .. } if c == code))
                })
            }),
            _ => false,
        }
    }
}

fn pattern(p: &Pattern, names: &Names) -> String {
    match p {
        Pattern::Literal(Literal::String(s)) => format!("{s:?}"),
        Pattern::Literal(Literal::Int(i)) => typed_int(*i),
        Pattern::Literal(Literal::Float(f)) => typed_float(*f),
        Pattern::Literal(Literal::Bool(b)) => b.to_string(),
        Pattern::EnumCode { enum_name, code } => names.variant_path(enum_name, code),
    }
}

/// A call's format and zone when both are literals: a block that declares a `static` resolving
/// them once (see `types::zoned_format_static`) and gives it. The call's other argument is
/// written outside the block, where the `static`'s name cannot hide a binding of the mapping.
fn zoned_format(format: &Expr, zone: &Expr) -> Option<String> {
    match (&format.kind, &zone.kind) {
        (ExprKind::Literal(Literal::String(format)), ExprKind::Literal(Literal::String(zone))) => {
            let declared = super::types::zoned_format_static("FORMAT", format, zone);
            Some(format!("{{ {declared} &FORMAT }}"))
        }
        _ => None,
    }
}
