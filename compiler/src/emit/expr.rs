//! Expressions of the typed program as Rust expressions.
//!
//! A value that may fail (`maybe` set) is a `Result<T, fdi_runtime::Failure>`; everything else
//! is a plain value. Strings and identifiers are cloned out of records; numbers, bools,
//! timestamps, enums and lookup records (`&T`) are copied.

use std::collections::HashMap;

use super::names::{Names, SampleField};
use crate::ir::{BinaryOp, Builtin, Expr, ExprKind, Literal, Pattern, SamplePart, Type};
use crate::schema::{IdBase, SchemaSet};
use crate::units::Arithmetic;

/// Emits the expressions of one flow, knowing the Rust names of its `let` bindings.
pub struct ExprEmitter<'p> {
    pub locals: HashMap<String, String>,
    pub schema: &'p SchemaSet,
    pub names: &'p Names,
}

fn is_copy(ty: &Type) -> bool {
    !matches!(ty, Type::String | Type::Identifier(_))
}

fn float_literal(f: f64) -> String {
    let text = format!("{f:?}");
    if text.contains(['.', 'e', 'E']) || text.contains("inf") || text.contains("NaN") {
        text
    } else {
        format!("{text}.0")
    }
}

/// Wraps an expression in parentheses unless it is a single term.
fn paren(code: String) -> String {
    let simple = code
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | ':' | '"'))
        || (code.ends_with(')') && !code.starts_with('(') && !code.contains(' '));
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
        match (&e.kind, &e.ty) {
            (ExprKind::Literal(Literal::String(s)), _) => format!("{s:?}"),
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
        match &e.kind {
            ExprKind::Literal(Literal::String(s)) => format!("String::from({s:?})"),
            ExprKind::Literal(Literal::Int(i)) => i.to_string(),
            ExprKind::Literal(Literal::Float(f)) => float_literal(*f),
            ExprKind::Literal(Literal::Bool(b)) => b.to_string(),
            // Source text may be borrowed (`Cow<str>`): an owned value is made with `to_string`.
            ExprKind::SourceField {
                name,
                optional: true,
            } if e.ty == Type::String => format!(
                "fdi_runtime::present(record.{}.as_deref().map(str::to_string), {name:?})",
                self.names.field_ident(name)
            ),
            ExprKind::SourceField {
                name,
                optional: true,
            } => {
                format!(
                    "fdi_runtime::present(record.{}.clone(), {name:?})",
                    self.names.field_ident(name)
                )
            }
            ExprKind::SourceField { .. } if e.ty == Type::String => {
                format!("{}.to_string()", self.place(e).unwrap_or_default())
            }
            ExprKind::SourceSample { field, part } => {
                let f = self.names.field_ident(field);
                match part {
                    SamplePart::Good => format!(
                        "fdi_runtime::good(&record.{f}, record.{}, {field:?})",
                        self.names.sample_ident(field, SampleField::Quality)
                    ),
                    SamplePart::Value => format!("record.{f}.value({field:?})"),
                    // An UNAVAILABLE value is BAD whatever its quality column says.
                    SamplePart::Quality => format!(
                        "record.{f}.quality(record.{})",
                        self.names.sample_ident(field, SampleField::Quality)
                    ),
                    SamplePart::Timestamp => format!(
                        "fdi_runtime::present(record.{}, {:?})",
                        self.names.sample_ident(field, SampleField::Timestamp),
                        format!("{field}.timestamp")
                    ),
                }
            }
            ExprKind::SourcePosition => "raw.position() as i64".into(),
            ExprKind::SourceName => "raw.source().to_string()".into(),
            ExprKind::Local(name) if e.is_fallible() => format!("{}.clone()", self.local(name)),
            ExprKind::EntityField {
                base,
                field,
                optional,
            } if base.is_fallible() => {
                let f = self.names.field_ident(field);
                let base = self.value(base);
                if *optional {
                    format!(
                        "{base}.and_then(|row| fdi_runtime::present(row.{f}.clone(), {field:?}))"
                    )
                } else if is_copy(&e.ty) {
                    format!("{base}.map(|row| row.{f})")
                } else {
                    format!("{base}.map(|row| row.{f}.clone())")
                }
            }
            ExprKind::EntityField {
                base,
                field,
                optional: true,
            } => {
                format!(
                    "fdi_runtime::present({}.{}.clone(), {field:?})",
                    self.operand(base),
                    self.names.field_ident(field)
                )
            }
            ExprKind::SourceField { .. } | ExprKind::Local(_) | ExprKind::EntityField { .. } => {
                let place = self.place(e).unwrap_or_default();
                if is_copy(&e.ty) {
                    place
                } else {
                    format!("{place}.clone()")
                }
            }
            ExprKind::Lookup { lookup, key } => {
                format!(
                    "lookups.{}.get({})",
                    self.names.lookup(lookup),
                    self.text(key)
                )
            }
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
                ExprKind::Literal(Literal::Int(i)) => float_literal(*i as f64),
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
            ExprKind::Not(inner) => format!("!{}", paren(self.operand(inner))),
            ExprKind::Neg(inner) if inner.ty == Type::Int => {
                format!("{}.saturating_neg()", paren(self.operand(inner)))
            }
            ExprKind::Neg(inner) => format!("-{}", paren(self.operand(inner))),
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, e.is_fallible()),
            ExprKind::Coalesce { value, default } => {
                let v = self.value(value);
                let d = self.value(default);
                if contains_reject(default) {
                    let ok = if default.is_fallible() {
                        "Ok(value)"
                    } else {
                        "value"
                    };
                    or_in_match(&v, ok, &d)
                } else if default.is_fallible() {
                    format!("{v}.or_else(|_| {d})")
                } else if matches!(default.kind, ExprKind::Literal(_)) && default.ty != Type::String
                {
                    format!("{v}.unwrap_or({d})")
                } else {
                    format!("{v}.unwrap_or_else(|_| {d})")
                }
            }
            ExprKind::Match { scrutinee, arms } => self.match_expr(e, scrutinee, arms),
            ExprKind::Reject { reason } => {
                format!("return fdi_runtime::MapOutcome::Rejected(fdi_runtime::Reject::new({reason:?}))")
            }
        }
    }

    fn call(&self, function: Builtin, args: &[Expr]) -> String {
        let std = |name: &str, args: String| format!("fdi_runtime::stdlib::{name}({args})");
        match function {
            Builtin::Trim
            | Builtin::Lower
            | Builtin::Upper
            | Builtin::ParseInt
            | Builtin::ParseFloat => std(function.name(), self.text(&args[0])),
            // The checker allows `parse_timestamp(text)` and `parse_timestamp(text, format, zone)`.
            Builtin::ParseTimestamp => match args {
                [text, format, zone] => format!(
                    "fdi_runtime::time::parse_timestamp_in({}, {}, {})",
                    self.text(text),
                    self.text(format),
                    self.text(zone)
                ),
                _ => std("parse_timestamp", self.text(&args[0])),
            },
            Builtin::FormatTimestamp => format!(
                "fdi_runtime::time::format_timestamp(&{}, {}, {})",
                paren(self.operand(&args[0])),
                self.text(&args[1]),
                self.text(&args[2])
            ),
            Builtin::FromEpochSeconds | Builtin::FromEpochMillis => format!(
                "fdi_runtime::time::{}({})",
                function.name(),
                self.operand(&args[0])
            ),
            Builtin::ToEpochMillis => format!(
                "fdi_runtime::time::to_epoch_millis(&{})",
                paren(self.operand(&args[0]))
            ),
            Builtin::Round => {
                let digits = args
                    .get(1)
                    .map(|d| self.operand(d))
                    .unwrap_or_else(|| "0".into());
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
            Builtin::Coalesce => {
                let (last, rest) = args
                    .split_last()
                    .expect("coalesce has at least two arguments");
                let mut code = self.value(&rest[0]);
                for arg in &rest[1..] {
                    let v = self.value(arg);
                    code = match (contains_reject(arg), arg.is_fallible()) {
                        (true, true) => or_in_match(&code, "Ok(value)", &v),
                        (true, false) => or_in_match(&code, "Ok(value)", &format!("Ok({v})")),
                        (false, true) => format!("{code}.or_else(|_| {v})"),
                        (false, false) => {
                            format!("{code}.or_else(|_| Ok::<_, fdi_runtime::Failure>({v}))")
                        }
                    };
                }
                let l = self.value(last);
                match (contains_reject(last), last.is_fallible()) {
                    (true, true) => or_in_match(&code, "Ok(value)", &l),
                    (true, false) => or_in_match(&code, "value", &l),
                    (false, true) => format!("{code}.or_else(|_| {l})"),
                    (false, false) => format!("{code}.unwrap_or_else(|_| {l})"),
                }
            }
        }
    }

    /// `fallible`: the checker's verdict on the whole operation (moving a timestamp by a
    /// computed duration may fail).
    fn binary(&self, op: BinaryOp, lhs: &Expr, rhs: &Expr, fallible: bool) -> String {
        let strings = matches!(lhs.ty, Type::String) || matches!(rhs.ty, Type::String);
        let (l, r) = if strings {
            (self.text(lhs), self.text(rhs))
        } else {
            (paren(self.operand(lhs)), paren(self.operand(rhs)))
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
            BinaryOp::Div if int => format!("fdi_runtime::stdlib::div_int({l}, {r})"),
            BinaryOp::Rem if int => format!("fdi_runtime::stdlib::rem_int({l}, {r})"),
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

    fn match_expr(&self, whole: &Expr, scrutinee: &Expr, arms: &[crate::ir::MatchArm]) -> String {
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
                let binding = if arm.patterns.is_empty() {
                    "value".to_string()
                } else {
                    format!("value @ ({pattern})")
                };
                lines.push(format!(
                    "    {binding} => return fdi_runtime::MapOutcome::Rejected(fdi_runtime::Reject::new({reason:?}).with_detail(format!(\"the match got {{value:?}}\"))),"
                ));
                continue;
            }
            let body = self.value(&arm.body);
            let body = if whole.is_fallible() && !arm.body.is_fallible() {
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

fn pattern(p: &Pattern, names: &Names) -> String {
    match p {
        Pattern::Literal(Literal::String(s)) => format!("{s:?}"),
        Pattern::Literal(Literal::Int(i)) => i.to_string(),
        Pattern::Literal(Literal::Float(f)) => float_literal(*f),
        Pattern::Literal(Literal::Bool(b)) => b.to_string(),
        Pattern::EnumCode { enum_name, code } => names.variant_path(enum_name, code),
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
        "fdi_runtime::time::add_seconds"
    } else {
        "fdi_runtime::time::add_seconds_saturating"
    };
    match (op, &lhs.ty, &rhs.ty) {
        (BinaryOp::Sub, Type::Timestamp, Type::Timestamp) => {
            Some(format!("fdi_runtime::time::seconds_between(&{l}, &{r})"))
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

/// `code`'s value, or `otherwise` when it failed, written as a `match` rather than with
/// `or_else`/`unwrap_or_else`: an `otherwise` that may reject holds a `return`, which leaves the
/// flow only from the flow function's own body, not from a closure.
fn or_in_match(code: &str, ok: &str, otherwise: &str) -> String {
    let otherwise = otherwise.replace('\n', "\n    ");
    format!("match {code} {{\n    Ok(value) => {ok},\n    Err(_) => {otherwise},\n}}")
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
