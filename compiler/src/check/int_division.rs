//! The warning E0344: an integer division whose result is used as a float. `good / total`
//! with two ints is an int, its fraction dropped, and widening it to a float afterwards (a
//! yield, a ratio, a percentage) cannot bring the fraction back. The warning shows the
//! division written in floats, from the user's own operands.

use std::collections::hash_map::Entry;

use super::unit_help::{operand, replace};
use super::Checker;
use crate::diagnostic::{Code, Diagnostic};
use crate::format::format_expression;
use crate::ir::{self, ExprKind, Type};
use crate::source_map::Span;
use crate::syntax::ast::{self, BinaryOp, UnaryOp};

/// An integer division found in a value, with the text that replaces it.
#[derive(Debug, Clone)]
pub(super) struct Division {
    /// The division `a / b`.
    span: Span,
    /// Its text.
    text: String,
    /// What the fix replaces: the division, or the division with its `?? default`.
    old: String,
    /// The division in floats.
    new: String,
    /// The quotient kept whole, converted explicitly (which silences the warning), where the
    /// conversion's argument cannot fail.
    whole: Option<String>,
    /// The division is the value of a statement with `else reject`, which a float division
    /// no longer needs.
    rejects: bool,
}

/// The integer division an int-typed value ends in, looking through `??`, negation and int
/// `+`, `-`, `*`, `%`: `None` when there is none. `ast` and `ir` are the same value, written
/// and typed.
fn find<'e>(
    ast: &'e ast::Expr,
    ir: &ir::Expr,
    default: Option<&'e ast::Expr>,
    whole: &'e ast::Expr,
) -> Option<(&'e ast::Expr, Option<&'e ast::Expr>, &'e ast::Expr)> {
    if ir.ty != Type::Int {
        return None;
    }
    match (&ast.kind, &ir.kind) {
        (ast::ExprKind::Binary(BinaryOp::Div, ..), ExprKind::Binary { op, .. })
            if *op == ir::BinaryOp::Div =>
        {
            Some((ast, default, whole))
        }
        (
            ast::ExprKind::Binary(BinaryOp::Coalesce, value, d),
            ExprKind::Coalesce { value: v, .. },
        ) => find(value, v, Some(d), ast),
        (ast::ExprKind::Unary(UnaryOp::Neg, a), ExprKind::Neg(v)) => find(a, v, None, a),
        (ast::ExprKind::Binary(_, l, r), ExprKind::Binary { lhs, rhs, .. }) => {
            find(l, lhs, None, l).or_else(|| find(r, rhs, None, r))
        }
        _ => None,
    }
}

impl Checker<'_> {
    /// The integer division in a value, as the fix would rewrite it.
    fn division(&self, written: &ast::Expr, value: &ir::Expr) -> Option<Division> {
        let (division, default, replaced) = find(written, value, None, written)?;
        let ast::ExprKind::Binary(_, numerator, divisor) = &division.kind else {
            return None;
        };
        let floats = format!(
            "to_float({}) / {}",
            format_expression(numerator),
            operand(divisor)
        );
        let nonzero_literal =
            matches!(divisor.kind, ast::ExprKind::Literal(ast::Literal::Int(n)) if n != 0);
        let (old, new) = match default {
            // A float division does not fail, so a default after it would be refused (E0320):
            // it goes, and where the divisor may be 0 it moves into a match on the divisor.
            Some(_) if nonzero_literal => (format_expression(replaced), floats),
            Some(default) => {
                let matched = format!(
                    "match {} {{ 0 => {}, _ => {floats} }}",
                    format_expression(divisor),
                    format_expression(default)
                );
                let whole_value = std::ptr::eq(replaced, written);
                (
                    format_expression(replaced),
                    if whole_value {
                        matched
                    } else {
                        format!("({matched})")
                    },
                )
            }
            None => (format_expression(division), floats),
        };
        Some(Division {
            span: division.span,
            text: format_expression(division),
            whole: default.map(|_| format!("to_float({old})")),
            old,
            new,
            rejects: self.statement_reject.is_some() && default.is_none(),
        })
    }

    /// Remembers a `let` whose value is an integer division, for its uses.
    pub(super) fn note_division_binding(
        &mut self,
        name: &str,
        written: &ast::Expr,
        value: &ir::Expr,
    ) {
        if let Some(division) = self.division(written, value) {
            if let Entry::Vacant(slot) = self.divisions.entry(name.to_string()) {
                slot.insert(division);
            }
        }
    }

    /// Warns (E0344) when `value`, an int about to be used as a float at `written`, is an
    /// integer division or a binding of one. `use_` names the place that takes a float.
    pub(super) fn warn_int_division(&mut self, written: &ast::Expr, value: &ir::Expr, use_: &str) {
        let found = match (&written.kind, &value.kind) {
            (ast::ExprKind::Name(name), ExprKind::Local(_)) => self
                .divisions
                .get(&name.name)
                .cloned()
                .map(|d| (d, Some(name.name.as_str()))),
            _ => self.division(written, value).map(|d| (d, None)),
        };
        let Some((division, binding)) = found else {
            return;
        };
        let mut diagnostic = Diagnostic::warning(
            Code::IntegerDivisionAsFloat,
            format!(
                "`{}` divides two ints, so its fraction is dropped before it is used as a float ({use_})",
                division.text
            ),
        );
        diagnostic = match binding {
            Some(name) => diagnostic
                .label(
                    written.span,
                    format!("`{name}` is an int here, used as a float"),
                )
                .label(
                    division.span,
                    "the fraction is dropped by this integer division",
                ),
            None => diagnostic
                .label(
                    division.span,
                    "integer division: the fraction is dropped here",
                )
                .label(written.span, "used as a float"),
        };
        let reject = if division.rejects {
            "; a float division cannot fail, so also remove the statement's `else reject` (a zero divisor then gives an infinite value, which is rejected when the record is written)"
        } else {
            ""
        };
        // The whole quotient, converted where it is used: the binding, or the handled division.
        let whole = match binding {
            Some(name) => Some((name.to_string(), format!("to_float({name})"))),
            None => division.whole.clone().map(|w| (division.old.clone(), w)),
        };
        let whole = whole
            .map(|(old, new)| {
                format!(
                    "; if the whole-number quotient is meant, say so: {}",
                    replace(&old, &new)
                )
            })
            .unwrap_or_default();
        self.report(diagnostic.help(format!(
            "to keep the fraction, divide as floats: {}{reject}{whole}",
            replace(&division.old, &division.new),
        )));
    }
}
