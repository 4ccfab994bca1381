//! `present(x)`: whether a field that may be empty has a value, as a plain `bool`.
//!
//! The argument must be a field whose only way to be absent is being empty: an optional field
//! of the source or of a lookup record already found, or a part of a quality-carrying field.
//! `present(speed)` follows what `speed` means on its own (section 16 of docs/language.md): it
//! is true when the value's quality is GOOD; `present(speed.value)` is true when there is a
//! value whatever its quality, `present(speed.timestamp)` when there is a source timestamp.
//! A value that may be absent for another reason (a lookup miss, a failing conversion) is
//! refused: counting a failure as "not present" would hide it, which is what `else reject`
//! exists to prevent.

use super::expr::{expr, Scope};
use super::Checker;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, Builtin, ExprKind, Maybe, SamplePart, Type};
use crate::syntax::ast;

impl Checker<'_> {
    pub(super) fn present_call(
        &mut self,
        whole: &ast::Expr,
        args: &[ast::Expr],
        scope: &mut Scope,
    ) -> Option<ir::Expr> {
        let [arg] = args else {
            self.wrong_arity(
                whole.span,
                Builtin::Present.name(),
                "1 argument (an optional field)",
                args.len(),
                "`present(field)`",
            );
            return None;
        };
        let value = self.expr(arg, scope)?;
        let written = crate::format::format_expression(arg);
        if is_emptiable_field(&value) {
            return Some(expr(
                ExprKind::Call {
                    function: Builtin::Present,
                    args: vec![value],
                },
                Type::Bool,
                None,
            ));
        }
        let Some(maybe) = &value.maybe else {
            self.report(
                Diagnostic::error(
                    Code::PresentAlwaysTrue,
                    format!(
                        "`{written}` always has a value, so `present({written})` is always true"
                    ),
                )
                .label(arg.span, "never absent")
                .help(always_present_help(&value)),
            );
            return None;
        };
        let why = match maybe {
            Maybe::LookupMiss { lookup } => format!("lookup `{lookup}` may have no entry"),
            Maybe::Failure { operation } => format!("{operation} may fail"),
            Maybe::Optional { field } | Maybe::Quality { field } => {
                format!("it is computed from `{field}`, which may be absent")
            }
        };
        self.report(
            Diagnostic::error(
                Code::PresentNotAField,
                format!("`present(...)` tests a field, but `{written}` may be absent because {why}"),
            )
            .label(arg.span, "not a field that may be empty")
            .help(
                "give `present` the optional field itself (`present(alarm)`, `present(m.description)` for a lookup record already found with `else reject`); handle a miss or a failure with `else reject \"reason\"` or `??`",
            ),
        );
        None
    }
}

/// Whether `value` is a field that is absent exactly when it is empty.
fn is_emptiable_field(value: &ir::Expr) -> bool {
    match &value.kind {
        ExprKind::SourceField { optional, .. } => *optional,
        ExprKind::SourceSample { part, .. } => *part != SamplePart::Quality,
        // A field of a lookup record that may itself be missing is absent for two reasons.
        ExprKind::EntityField { base, optional, .. } => *optional && !base.is_fallible(),
        _ => false,
    }
}

fn always_present_help(value: &ir::Expr) -> String {
    match &value.kind {
        ExprKind::SourceField { name, .. } => format!(
            "`{name}` is a required field of the source: every record has it, or is rejected when it is read; drop the test, or mark the field `optional: true` in the schema if records may leave it empty"
        ),
        ExprKind::EntityField { field, .. } => format!(
            "`{field}` is a required field of the lookup's records; drop the test, or mark the field `optional: true` in the schema if it may be empty"
        ),
        ExprKind::SourceSample { field, .. } => format!(
            "the quality of `{field}` is always known; to test for a GOOD value write `present({field})`"
        ),
        _ => "only a value that may be absent can be tested; drop the test".to_string(),
    }
}
