//! Operators: `??`, boolean logic, comparisons and arithmetic on plain values. Quantities and
//! timestamps go through `units.rs` first.

use super::expr::{expr, is_numeric, Scope};
use super::flow::a;
use super::Checker;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, ExprKind, Maybe, Type};
use crate::syntax::ast::{self, BinaryOp};

impl<'a> Checker<'a> {
    /// After an operand of `op` was reported as possibly absent: `a + b ?? 0` groups as
    /// `(a + b) ?? 0`, which is rarely what was meant, so say how to group it.
    fn hint_coalesce_precedence(&mut self, reported: bool, symbol: &str) {
        if !reported {
            return;
        }
        if let Some(help) = self.errors.last_mut().and_then(|d| d.help.as_mut()) {
            help.push_str(&format!(
                "; inside `{symbol}`, put the default in parentheses, as in `(value ?? default)`, since `??` binds more loosely than `{symbol}`"
            ));
        }
    }

    pub(super) fn binary(
        &mut self,
        op: BinaryOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        scope: &mut Scope,
    ) -> Option<ir::Expr> {
        let left = self.expr(lhs, scope);
        let right = self.expr(rhs, scope);
        let (left, right) = (left?, right?);
        if op == BinaryOp::Coalesce {
            if !left.is_fallible() {
                self.report(
                    Diagnostic::error(
                        Code::NothingToHandle,
                        "this value cannot be absent, so the `??` default is never used",
                    )
                    .label(lhs.span, "always has a value")
                    .help("remove `?? ...`"),
                );
                return None;
            }
            let ty = left.ty.clone();
            // A default written in the wrong type whose fix is known: the enum's code for its
            // name as a string, the number for a number in quotes, ...
            let fix = self
                .operand_fix(BinaryOp::Eq, (lhs, &left), (rhs, &right), scope)
                .filter(|fix| std::ptr::eq(fix.operand, rhs));
            if let Some(fix) = fix {
                let code = match ty {
                    Type::Identifier(_) => Code::IdentifierMixUp,
                    _ => Code::TypeMismatch,
                };
                self.report(
                    Diagnostic::error(
                        code,
                        format!(
                            "the default after `??` must be {}, like the value, but this is {}",
                            a(&ty),
                            a(&right.ty)
                        ),
                    )
                    .label(rhs.span, fix.label)
                    .label(lhs.span, format!("this is {}", a(&ty)))
                    .help(fix.help),
                );
                return None;
            }
            let right = self.coerce(right, &ty, rhs, "the default after `??`", None)?;
            let maybe = right.maybe.clone();
            return Some(expr(
                ExprKind::Coalesce {
                    value: Box::new(left),
                    default: Box::new(right),
                },
                ty,
                maybe,
            ));
        }
        let symbol = op.symbol();
        let context = format!("`{symbol}`");
        let l_ok = self.expect_plain(&left, lhs.span, &context);
        self.hint_coalesce_precedence(l_ok.is_none(), symbol);
        let r_ok = self.expect_plain(&right, rhs.span, &context);
        self.hint_coalesce_precedence(r_ok.is_none(), symbol);
        l_ok?;
        r_ok?;
        let mismatch = |this: &mut Self, wanted: &str, scope: &Scope| {
            this.operand_mismatch(op, (lhs, &left), (rhs, &right), wanted, scope);
        };
        // A pair with a known fix is never well typed; the fix is told before the unit and
        // time rules would word the mismatch their way.
        if self
            .operand_fix(op, (lhs, &left), (rhs, &right), scope)
            .is_some()
        {
            mismatch(self, "", scope);
            return None;
        }
        if let Some(typed) = self.unit_binary(op, &left, &right, lhs, rhs) {
            let (kind_op, ty) = typed?;
            let maybe = moves_by_computed_duration(&ty, &left, &right).then(|| Maybe::Failure {
                operation: "moving a timestamp by a computed duration (it may not be finite)"
                    .into(),
            });
            self.warn_widened_division(symbol, lhs, &left, rhs, &right);
            let (left, right) = widen_pair(left, right);
            return Some(expr(
                ExprKind::Binary {
                    op: kind_op,
                    lhs: Box::new(left),
                    rhs: Box::new(right),
                },
                ty,
                maybe,
            ));
        }
        let (kind_op, ty, maybe) =
            match op {
                BinaryOp::And | BinaryOp::Or => {
                    if left.ty != Type::Bool || right.ty != Type::Bool {
                        mismatch(self, "`and` and `or` combine two bools", scope);
                        return None;
                    }
                    (
                        if op == BinaryOp::And {
                            ir::BinaryOp::And
                        } else {
                            ir::BinaryOp::Or
                        },
                        Type::Bool,
                        None,
                    )
                }
                BinaryOp::Eq | BinaryOp::Ne => {
                    let comparable = left.ty == right.ty && !matches!(left.ty, Type::Entity(_))
                        || is_numeric(&left.ty) && is_numeric(&right.ty);
                    if !comparable {
                        mismatch(
                            self,
                            "`==` and `!=` compare two values of the same type",
                            scope,
                        );
                        return None;
                    }
                    (
                        if op == BinaryOp::Eq {
                            ir::BinaryOp::Eq
                        } else {
                            ir::BinaryOp::Ne
                        },
                        Type::Bool,
                        None,
                    )
                }
                BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                    let ordered = is_numeric(&left.ty) && is_numeric(&right.ty)
                        || left.ty == right.ty && matches!(left.ty, Type::String | Type::Timestamp);
                    if !ordered {
                        mismatch(
                            self,
                            "ordering compares two numbers, two strings or two timestamps",
                            scope,
                        );
                        return None;
                    }
                    let ir_op = match op {
                        BinaryOp::Lt => ir::BinaryOp::Lt,
                        BinaryOp::Le => ir::BinaryOp::Le,
                        BinaryOp::Gt => ir::BinaryOp::Gt,
                        _ => ir::BinaryOp::Ge,
                    };
                    (ir_op, Type::Bool, None)
                }
                BinaryOp::Add if left.ty == Type::String && right.ty == Type::String => {
                    (ir::BinaryOp::Concat, Type::String, None)
                }
                _ => {
                    if !(is_numeric(&left.ty) && is_numeric(&right.ty)) {
                        let wanted = if op == BinaryOp::Add {
                            "`+` adds two numbers or joins two strings"
                        } else {
                            "arithmetic needs two numbers"
                        };
                        mismatch(self, wanted, scope);
                        return None;
                    }
                    let ty = if left.ty == Type::Int && right.ty == Type::Int {
                        Type::Int
                    } else {
                        Type::Float
                    };
                    let ir_op = match op {
                        BinaryOp::Add => ir::BinaryOp::Add,
                        BinaryOp::Sub => ir::BinaryOp::Sub,
                        BinaryOp::Mul => ir::BinaryOp::Mul,
                        BinaryOp::Div => ir::BinaryOp::Div,
                        _ => ir::BinaryOp::Rem,
                    };
                    let maybe = (ty == Type::Int && matches!(op, BinaryOp::Div | BinaryOp::Rem))
                        .then(|| Maybe::Failure {
                            operation: if op == BinaryOp::Div {
                                "integer division".into()
                            } else {
                                "integer remainder (`%`)".into()
                            },
                        });
                    (ir_op, ty, maybe)
                }
            };
        // Mixed int and float operands: the int is widened.
        self.warn_widened_division(symbol, lhs, &left, rhs, &right);
        let (left, right) = widen_pair(left, right);
        Some(expr(
            ExprKind::Binary {
                op: kind_op,
                lhs: Box::new(left),
                rhs: Box::new(right),
            },
            ty,
            maybe,
        ))
    }
}

impl Checker<'_> {
    /// E0344 on the int operand of an operator whose other operand is a float.
    fn warn_widened_division(
        &mut self,
        symbol: &str,
        lhs: &ast::Expr,
        left: &ir::Expr,
        rhs: &ast::Expr,
        right: &ir::Expr,
    ) {
        let use_ = format!("`{symbol}` with a float");
        match (&left.ty, &right.ty) {
            (Type::Int, t) if t.is_float() => self.warn_int_division(lhs, left, &use_),
            (t, Type::Int) if t.is_float() => self.warn_int_division(rhs, right, &use_),
            _ => {}
        }
    }
}

/// A timestamp plus or minus a duration that is not a literal: the duration may be NaN or
/// huge, so the result may fail. (`t + 5[min]` cannot.) The emitter reads the verdict from
/// the expression's `maybe`.
fn moves_by_computed_duration(result: &Type, left: &ir::Expr, right: &ir::Expr) -> bool {
    let duration = match (&left.ty, &right.ty) {
        (Type::Timestamp, Type::Quantity(_)) => right,
        (Type::Quantity(_), Type::Timestamp) => left,
        _ => return false,
    };
    *result == Type::Timestamp && !matches!(duration.kind, ExprKind::Literal(_))
}

/// When one operand is an int and the other a float, the int becomes a float.
pub(super) fn widen_pair(left: ir::Expr, right: ir::Expr) -> (ir::Expr, ir::Expr) {
    let to_float = |e: ir::Expr| {
        let maybe = e.maybe.clone();
        expr(ExprKind::IntToFloat(Box::new(e)), Type::Float, maybe)
    };
    match (&left.ty, &right.ty) {
        (Type::Int, t) if t.is_float() => (to_float(left), right),
        (t, Type::Int) if t.is_float() => (left, to_float(right)),
        _ => (left, right),
    }
}

/// The code of an enum a text stands for: the code itself, or the same letters in another
/// case or with spaces and dashes for underscores (`"in progress"` is `IN_PROGRESS`). Only
/// such sure matches: a help that names a code must name the one the text means.
pub(super) fn enum_code_for_text<'c>(codes: &'c [String], text: &str) -> Option<&'c str> {
    let normal = |s: &str| -> String {
        s.trim()
            .chars()
            .map(|c| if c == ' ' || c == '-' { '_' } else { c })
            .collect::<String>()
            .to_lowercase()
    };
    codes
        .iter()
        .find(|c| *c == text)
        .or_else(|| codes.iter().find(|c| normal(c) == normal(text)))
        .map(String::as_str)
}
