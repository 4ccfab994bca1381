//! A type mismatch between the two operands of an operator, told from the operand that has to
//! change: the string literal compared with an enum becomes the enum's code, the text compared
//! with a timestamp is parsed, the number joined to a text is written with `string(...)`.
//! Each help is a rewrite in the user's own words that checks when applied as written.

use super::expr::Scope;
use super::flow::a;
use super::operators::enum_code_for_text;
use super::unit_help::replace;
use super::Checker;
use crate::diagnostic::{Code, Diagnostic};
use crate::format::{format_expression, quote};
use crate::ir::{self, Type};
use crate::syntax::ast::{self, BinaryOp, ExprKind, Literal};

/// The operand to change, what its label says, and the help.
pub(super) struct Fix<'e> {
    pub operand: &'e ast::Expr,
    pub label: String,
    pub help: String,
}

fn string_literal(e: &ast::Expr) -> Option<&str> {
    match &e.kind {
        ExprKind::Literal(Literal::String(text)) => Some(text),
        _ => None,
    }
}

impl Checker<'_> {
    /// The fix of `lhs op rhs` when one operand, changed, makes the operation well typed.
    pub(super) fn operand_fix<'e>(
        &self,
        op: BinaryOp,
        (lhs, left): (&'e ast::Expr, &ir::Expr),
        (rhs, right): (&'e ast::Expr, &ir::Expr),
        scope: &Scope,
    ) -> Option<Fix<'e>> {
        let comparison = matches!(
            op,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        );
        // Try the operands in both orders: `x == "a"` and `"a" == x` have the same fix.
        for ((this, this_ty), (other, other_ty)) in [
            ((lhs, &left.ty), (rhs, &right.ty)),
            ((rhs, &right.ty), (lhs, &left.ty)),
        ] {
            let fix = match (this_ty, other_ty) {
                (Type::String, Type::Enum(name)) if op_is_equality(op) => {
                    Some(self.text_compared_with_enum(this, other, name))
                }
                (Type::String, Type::Timestamp) if comparison => {
                    Some(self.text_compared_with_timestamp(this, scope))
                }
                (Type::String, ty)
                    if op != BinaryOp::Add && (ty == &Type::Int || ty.is_float()) =>
                {
                    number_literal(this, ty)
                }
                (Type::String, Type::Identifier(id)) if op_is_equality(op) => {
                    Some(self.text_compared_with_identifier(this, other, id))
                }
                (Type::String, Type::Bool) if comparison => match string_literal(this) {
                    Some(text @ ("true" | "false")) => Some(Fix {
                        operand: this,
                        label: "a string, not a bool".into(),
                        help: replace(&quote(text), text),
                    }),
                    _ => None,
                },
                // `"LINE-" + number`: the value that is not text is written as text.
                (ty, Type::String)
                    if op == BinaryOp::Add && !matches!(ty, Type::Entity(_) | Type::String) =>
                {
                    Some(Fix {
                        operand: this,
                        label: format!("this is {}, not text", a(ty)),
                        help: format!(
                            "`+` joins two strings: write the value as text, {}",
                            replace(
                                &format_expression(this),
                                &format!("string({})", format_expression(this))
                            )
                        ),
                    })
                }
                _ => None,
            };
            if fix.is_some() {
                return fix;
            }
        }
        None
    }

    fn text_compared_with_enum<'e>(
        &self,
        text: &'e ast::Expr,
        value: &'e ast::Expr,
        enum_name: &str,
    ) -> Fix<'e> {
        let codes = &self.schema.enums[enum_name].codes;
        match string_literal(text) {
            Some(literal) => Fix {
                operand: text,
                label: format!("a string, not a code of `{enum_name}`"),
                help: match enum_code_for_text(codes, literal) {
                    Some(code) => format!(
                        "an enum's codes are written `{enum_name}.CODE`: {}",
                        replace(&quote(literal), &format!("{enum_name}.{code}"))
                    ),
                    None => format!(
                        "an enum's codes are written `{enum_name}.CODE`, and `{enum_name}` has no code like {}: its codes are {}",
                        quote(literal),
                        codes.join(", ")
                    ),
                },
            },
            // Text from the data compared with a code: compare the code's text.
            None => Fix {
                operand: value,
                label: format!("this is an `{enum_name}`, the other side is text"),
                help: format!(
                    "compare the code's text with the text: {}",
                    replace(
                        &format_expression(value),
                        &format!("string({})", format_expression(value))
                    )
                ),
            },
        }
    }

    /// `equipment_id == "EQ-0001"`: the literal built as an identifier (which the check
    /// validates, so it cannot fail), or the identifier's text compared with the text.
    fn text_compared_with_identifier<'e>(
        &self,
        text: &'e ast::Expr,
        value: &'e ast::Expr,
        id: &str,
    ) -> Fix<'e> {
        let id_type = &self.schema.identifiers[id];
        match string_literal(text) {
            Some(literal) => Fix {
                operand: text,
                label: format!("a plain string, not an `{id}`"),
                help: match super::calls::identifier_problem(id_type, literal) {
                    None => format!(
                        "an identifier is not a plain string: build one to compare with, {}",
                        replace(&quote(literal), &format!("{id}({})", quote(literal)))
                    ),
                    Some(problem) => format!(
                        "an identifier is not a plain string, and {} is not a valid `{id}` ({problem}), so no `{id}` equals it",
                        quote(literal)
                    ),
                },
            },
            None => Fix {
                operand: value,
                label: format!("this is an `{id}`, the other side is a plain string"),
                help: format!(
                    "compare the identifier's text with the text: {}",
                    replace(
                        &format_expression(value),
                        &format!("string({})", format_expression(value))
                    )
                ),
            },
        }
    }

    fn text_compared_with_timestamp<'e>(&self, text: &'e ast::Expr, scope: &Scope) -> Fix<'e> {
        let written = format_expression(text);
        let name = scope.free_name("cutoff");
        let parse = match string_literal(text) {
            Some(literal) if fdi_runtime::stdlib::parse_timestamp(literal).is_err() => {
                return Fix {
                    operand: text,
                    label: "a string, not a timestamp".into(),
                    help: format!(
                        "{} is not RFC 3339 with an offset, so `parse_timestamp` with one argument would fail on it; write it as `2024-03-01T06:00:00Z` or with its offset (`+01:00`), or bind `let {name} = parse_timestamp({}, FORMAT, ZONE) else reject \"...\"` with its format and time zone (docs/language.md section 15) and compare with `{name}`",
                        quote(string_literal(text).unwrap_or_default()),
                        written
                    ),
                };
            }
            _ => format!("parse_timestamp({written})"),
        };
        Fix {
            operand: text,
            label: "a string, not a timestamp".into(),
            help: format!(
                "parse the text into a timestamp where it is bound, since parsing may fail: add `let {name} = {parse} else reject \"{name} is not a timestamp\"` above this statement, then {}",
                replace(&written, &name)
            ),
        }
    }
}

fn op_is_equality(op: BinaryOp) -> bool {
    matches!(op, BinaryOp::Eq | BinaryOp::Ne)
}

/// `count == "5"`: the literal written as the number it holds.
fn number_literal<'e>(text: &'e ast::Expr, ty: &Type) -> Option<Fix<'e>> {
    let literal = string_literal(text)?;
    let trimmed = literal.trim();
    let number = match ty {
        Type::Int => trimmed.parse::<i64>().ok().map(|n| n.to_string()),
        _ => trimmed
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|_| {
                if trimmed.contains(['.', 'e', 'E']) {
                    trimmed.to_string()
                } else {
                    format!("{trimmed}.0")
                }
            }),
    }?;
    if matches!(ty, Type::Quantity(_)) {
        return None;
    }
    Some(Fix {
        operand: text,
        label: format!("a string, not {}", a(ty)),
        help: format!(
            "write the number without quotes: {}",
            replace(&quote(literal), &number)
        ),
    })
}

impl Checker<'_> {
    /// Reports a mismatch of `op`'s operands: from the operand to change when there is a fix,
    /// else on both operands with `wanted` as the help.
    pub(super) fn operand_mismatch(
        &mut self,
        op: BinaryOp,
        (lhs, left): (&ast::Expr, &ir::Expr),
        (rhs, right): (&ast::Expr, &ir::Expr),
        wanted: &str,
        scope: &Scope,
    ) {
        let symbol = op.symbol();
        let message = format!(
            "`{symbol}` cannot combine {} and {}",
            a(&left.ty),
            a(&right.ty)
        );
        let mut d = Diagnostic::error(Code::TypeMismatch, message);
        let identifier_and_text = matches!(
            (&left.ty, &right.ty),
            (Type::Identifier(_), Type::String) | (Type::String, Type::Identifier(_))
        );
        if identifier_and_text {
            d.code = Code::IdentifierMixUp;
        }
        if let Some(fix) = self.operand_fix(op, (lhs, left), (rhs, right), scope) {
            let other = if std::ptr::eq(fix.operand, lhs) {
                (rhs, right)
            } else {
                (lhs, left)
            };
            d = d
                .label(fix.operand.span, fix.label)
                .label(other.0.span, format!("this is {}", a(&other.1.ty)))
                .help(fix.help);
        } else if let (Type::Identifier(id), Type::String) | (Type::String, Type::Identifier(id)) =
            (&left.ty, &right.ty)
        {
            d = d
                .label(lhs.span, format!("this is {}", a(&left.ty)))
                .label(rhs.span, format!("this is {}", a(&right.ty)))
                .help(format!(
                    "an identifier is not a plain string: build one to compare with, as in `{id}(\"...\")`, or compare the identifier's text with `string(...)`"
                ));
        } else {
            d = d
                .label(lhs.span, format!("this is {}", a(&left.ty)))
                .label(rhs.span, format!("this is {}", a(&right.ty)))
                .help(wanted.to_string());
        }
        self.report(d);
    }
}
