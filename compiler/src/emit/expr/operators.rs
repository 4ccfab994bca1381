//! Operators: arithmetic, comparisons and their negation, string concatenation, timestamps.

use super::{float_literal, paren, ExprEmitter};
use crate::ir::{BinaryOp, Expr, ExprKind, Type};

impl ExprEmitter<'_> {
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

    /// `fallible`: the checker's verdict on the whole operation (moving a timestamp by a
    /// computed duration may fail).
    pub(super) fn binary(&self, op: BinaryOp, lhs: &Expr, rhs: &Expr, fallible: bool) -> String {
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
        let int = lhs.ty == Type::Int && rhs.ty == Type::Int;
        // Each operand is written once: these forms need it bare (an argument needs no
        // brackets, and rustc warns of them) or walk it themselves, the rest in brackets.
        match op {
            BinaryOp::Concat => {
                let mut parts = Vec::new();
                self.concat_parts(lhs, &mut parts);
                self.concat_parts(rhs, &mut parts);
                return format!("[{}].concat()", parts.join(", "));
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul if int => {
                let method = match op {
                    BinaryOp::Add => "saturating_add",
                    BinaryOp::Sub => "saturating_sub",
                    _ => "saturating_mul",
                };
                return format!("{}.{method}({})", side(lhs, true), self.operand(rhs));
            }
            BinaryOp::Div | BinaryOp::Rem if int => {
                let function = if op == BinaryOp::Div {
                    "div_int"
                } else {
                    "rem_int"
                };
                return format!(
                    "::fdi_runtime::stdlib::{function}({}, {})",
                    self.operand(lhs),
                    self.operand(rhs)
                );
            }
            _ => {}
        }
        let (l, r) = if strings {
            (self.text(lhs), self.text(rhs))
        } else {
            (side(lhs, true), side(rhs, false))
        };
        if let Some(code) = time_arithmetic(op, lhs, rhs, &l, &r, fallible) {
            return code;
        }
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
            // `+` on strings returned above, as a concatenation.
            BinaryOp::Rem | BinaryOp::Concat => "%",
        };
        format!("{l} {symbol} {r}")
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
