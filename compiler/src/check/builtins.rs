//! Typing calls of the standard library's functions.

use super::expr::{expr, Scope};
use super::flow::a;
use super::Checker;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, Builtin, ExprKind, Maybe, Type};
use crate::syntax::ast;

/// Whether the function takes `count` arguments.
pub(super) fn accepts(builtin: Builtin, count: usize) -> bool {
    match builtin {
        Builtin::Round => (1..=2).contains(&count),
        Builtin::ParseTimestamp => count == 1 || count == 3,
        Builtin::FormatTimestamp => count == 3,
        Builtin::Concat => count >= 1,
        Builtin::Coalesce => count >= 2,
        _ => count == 1,
    }
}

/// The function called correctly, as code: `` `round(value)` or `round(value, decimals)` ``.
pub(super) fn usage(builtin: Builtin) -> String {
    match builtin {
        Builtin::Round => "`round(value)` or `round(value, decimals)`".to_string(),
        Builtin::Concat => "`concat(text, more_text, ...)`".to_string(),
        Builtin::Coalesce => "`coalesce(maybe_absent, ..., default)`".to_string(),
        Builtin::ParseTimestamp => "`parse_timestamp(text)` or `parse_timestamp(text, \"%d.%m.%Y %H:%M\", \"Europe/Berlin\")`".to_string(),
        Builtin::FormatTimestamp => "`format_timestamp(ts, \"%Y-%m-%d %H:%M:%S\", \"Europe/Berlin\")`".to_string(),
        other => format!("`{}(value)`", other.name()),
    }
}

pub(super) fn call(
    checker: &mut Checker,
    builtin: Builtin,
    whole: &ast::Expr,
    args: &[ast::Expr],
    scope: &mut Scope,
) -> Option<ir::Expr> {
    let name = builtin.name();
    if !accepts(builtin, args.len()) {
        let expected = match builtin {
            Builtin::Round => "1 or 2 arguments (the value, and the number of decimals)",
            Builtin::Concat => "1 or more arguments",
            Builtin::Coalesce => "2 or more arguments",
            Builtin::ParseTimestamp => "1 argument (ISO 8601 text) or 3 (text, format, zone)",
            Builtin::FormatTimestamp => "3 arguments (the timestamp, the format, the zone)",
            _ => "1 argument",
        };
        checker.wrong_arity(whole.span, name, expected, args.len(), &usage(builtin));
        return None;
    }
    // Check every argument, so that all errors in them are reported.
    let checked: Vec<Option<ir::Expr>> = args.iter().map(|arg| checker.expr(arg, scope)).collect();
    let checked: Vec<ir::Expr> = checked.into_iter().collect::<Option<_>>()?;

    if builtin == Builtin::Coalesce {
        return coalesce(checker, whole, args, checked);
    }
    let context = format!("`{name}(...)`");
    let mut plain = true;
    for (value, arg) in checked.iter().zip(args) {
        plain &= checker.expect_plain(value, arg.span, &context).is_some();
    }
    if !plain {
        return None;
    }
    let expect = |checker: &mut Checker, value: ir::Expr, ty: Type, arg: &ast::Expr| {
        checker.coerce(value, &ty, arg, &format!("`{name}(...)`"), None)
    };
    let mut values = checked.into_iter();
    let first = values.next()?;
    let fails = |operation: &str| {
        Some(Maybe::Failure {
            operation: operation.to_string(),
        })
    };
    let (args_out, ty, maybe) = match builtin {
        Builtin::Trim | Builtin::Lower | Builtin::Upper => (
            vec![expect(checker, first, Type::String, &args[0])?],
            Type::String,
            None,
        ),
        Builtin::Round => {
            // Rounding keeps a quantity's unit.
            let ty = if first.ty.is_float() {
                first.ty.clone()
            } else {
                Type::Float
            };
            let value = expect(checker, first, ty.clone(), &args[0])?;
            let mut out = vec![value];
            if let Some(digits) = values.next() {
                out.push(expect(checker, digits, Type::Int, &args[1])?);
            }
            (out, ty, None)
        }
        Builtin::ParseInt => (
            vec![expect(checker, first, Type::String, &args[0])?],
            Type::Int,
            fails("`parse_int`"),
        ),
        Builtin::ParseFloat => (
            vec![expect(checker, first, Type::String, &args[0])?],
            Type::Float,
            fails("`parse_float`"),
        ),
        Builtin::ParseTimestamp => {
            let mut out = vec![expect(checker, first, Type::String, &args[0])?];
            if args.len() == 3 {
                let format = values.next()?;
                let zone = values.next()?;
                out.push(time_literal(
                    checker,
                    format,
                    &args[1],
                    TimeArg::InputFormat,
                )?);
                out.push(time_literal(checker, zone, &args[2], TimeArg::Zone)?);
            }
            (out, Type::Timestamp, fails("`parse_timestamp`"))
        }
        Builtin::FormatTimestamp => {
            let ts = expect(checker, first, Type::Timestamp, &args[0])?;
            let format = values.next()?;
            let zone = values.next()?;
            let format = time_literal(checker, format, &args[1], TimeArg::OutputFormat)?;
            let zone = time_literal(checker, zone, &args[2], TimeArg::Zone)?;
            (vec![ts, format, zone], Type::String, None)
        }
        Builtin::FromEpochSeconds => (
            vec![expect(checker, first, Type::Float, &args[0])?],
            Type::Timestamp,
            fails("`from_epoch_seconds`"),
        ),
        Builtin::FromEpochMillis => (
            vec![expect(checker, first, Type::Int, &args[0])?],
            Type::Timestamp,
            fails("`from_epoch_millis`"),
        ),
        Builtin::ToEpochMillis => (
            vec![expect(checker, first, Type::Timestamp, &args[0])?],
            Type::Int,
            None,
        ),
        Builtin::ToInt => (
            vec![expect(checker, first, Type::Float, &args[0])?],
            Type::Int,
            fails("`to_int`"),
        ),
        Builtin::ToFloat => (
            vec![expect(checker, first, Type::Int, &args[0])?],
            Type::Float,
            None,
        ),
        Builtin::Concat => {
            let mut out = vec![expect(checker, first, Type::String, &args[0])?];
            for (value, arg) in values.zip(&args[1..]) {
                out.push(expect(checker, value, Type::String, arg)?);
            }
            (out, Type::String, None)
        }
        Builtin::String => {
            if let Type::Entity(_) = first.ty {
                checker.report(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        format!("`string(...)` cannot turn {} into text", a(&first.ty)),
                    )
                    .label(args[0].span, "a whole record")
                    .help("pick one of its fields, such as `record.field`"),
                );
                return None;
            }
            (vec![first], Type::String, None)
        }
        Builtin::Coalesce => unreachable!("handled above"),
        Builtin::Present => unreachable!("checked by `Checker::present_call`"),
    };
    Some(expr(
        ExprKind::Call {
            function: builtin,
            args: args_out,
        },
        ty,
        maybe,
    ))
}

/// `coalesce(a, b, ..., last)`: the first value that is present. Every value but the last
/// may be absent; the result may be absent only if the last may.
fn coalesce(
    checker: &mut Checker,
    whole: &ast::Expr,
    args: &[ast::Expr],
    values: Vec<ir::Expr>,
) -> Option<ir::Expr> {
    let ty = if values.iter().any(|v| v.ty == Type::Float)
        && values
            .iter()
            .all(|v| matches!(v.ty, Type::Int | Type::Float))
    {
        Type::Float
    } else {
        values[0].ty.clone()
    };
    let last = values.len() - 1;
    if !values[..last].iter().any(ir::Expr::is_fallible) {
        checker.report(
            Diagnostic::error(
                Code::NothingToHandle,
                "no value before the last one can be absent, so `coalesce` always gives the first",
            )
            .label(whole.span, "nothing to coalesce")
            .help("use the first value directly"),
        );
        return None;
    }
    let mut out = Vec::new();
    for (value, arg) in values.into_iter().zip(args) {
        out.push(checker.coerce(value, &ty, arg, "`coalesce(...)`", None)?);
    }
    let maybe = out[last].maybe.clone();
    Some(expr(
        ExprKind::Call {
            function: Builtin::Coalesce,
            args: out,
        },
        ty,
        maybe,
    ))
}

#[derive(Clone, Copy)]
enum TimeArg {
    InputFormat,
    OutputFormat,
    Zone,
}

/// A format or zone argument of a time function: a string literal, validated now so that a
/// typo in a zone name fails `fdi check` rather than every record after deployment.
fn time_literal(
    checker: &mut Checker,
    value: ir::Expr,
    arg: &ast::Expr,
    kind: TimeArg,
) -> Option<ir::Expr> {
    let what = match kind {
        TimeArg::InputFormat | TimeArg::OutputFormat => "time format",
        TimeArg::Zone => "time zone",
    };
    let example = match kind {
        TimeArg::InputFormat | TimeArg::OutputFormat => "\"%Y-%m-%d %H:%M:%S\"",
        TimeArg::Zone => "\"Europe/Berlin\"",
    };
    let ExprKind::Literal(ir::Literal::String(text)) = &value.kind else {
        checker.report(
            Diagnostic::error(Code::BadTimeArgument, format!("the {what} must be written as a string literal"))
                .label(arg.span, "not a literal")
                .help(format!("write the {what} in the mapping, such as {example}, so it is checked before deployment")),
        );
        return None;
    };
    let problem = match kind {
        TimeArg::InputFormat => fdi_runtime::time::validate_format(text),
        TimeArg::OutputFormat => fdi_runtime::time::validate_output_format(text),
        TimeArg::Zone => fdi_runtime::time::validate_zone(text),
    };
    if let Err(problem) = problem {
        // The runtime's explanation already says what a valid value looks like.
        checker.report(
            Diagnostic::error(
                Code::BadTimeArgument,
                format!("\"{text}\" is not a valid {what}"),
            )
            .label(arg.span, format!("not a valid {what}"))
            .help(problem),
        );
        return None;
    }
    Some(value)
}
