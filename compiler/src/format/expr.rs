//! Expressions, match arms, patterns and literals, printed with the fewest brackets that make
//! the parser build the same tree.
//!
//! The syntax tree has no node for brackets: the parser's precedence decided the tree's shape,
//! and the formatter brackets an operand only where, written bare, the Pratt parser in
//! `syntax/parser.rs` would group it differently. The strengths below mirror its table.

use std::fmt::Write as _;

use super::trivia::Trivia;
use super::writer::{Blank, Writer};
use crate::source_map::Span;
use crate::syntax::ast::{
    BinaryOp, Expr, ExprKind, Literal, MatchArm, Pattern, PatternKind, StringLit, UnaryOp,
};
use crate::syntax::unescape;

// How tightly each operator binds, weakest first, as in the parser's Pratt table.
const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const EQUALITY: u8 = 4;
const COMPARISON: u8 = 5;
const COALESCE: u8 = 6;
const SUM: u8 = 7;
const PRODUCT: u8 = 8;
const NEG: u8 = 9;
/// Operands, calls, field access, indexing and `match`: nothing can split them.
const ATOM: u8 = 10;

pub(super) fn binary_strength(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => OR,
        BinaryOp::And => AND,
        BinaryOp::Eq | BinaryOp::Ne => EQUALITY,
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => COMPARISON,
        BinaryOp::Coalesce => COALESCE,
        BinaryOp::Add | BinaryOp::Sub => SUM,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => PRODUCT,
    }
}

fn unary_strength(op: UnaryOp) -> u8 {
    match op {
        UnaryOp::Not => NOT,
        UnaryOp::Neg => NEG,
    }
}

/// `??` groups to the right (`a ?? b ?? c` is `a ?? (b ?? c)`); every other operator to the left.
fn right_assoc(op: BinaryOp) -> bool {
    op == BinaryOp::Coalesce
}

/// The weakest operator left open at the right end of `e` as printed. An operator written
/// after `e` that binds tighter than this is taken into `e` by the parser: in `not a == b`
/// the `== b` belongs to `not`'s operand.
fn right_edge(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary(op, _, r) => {
            let rest = if right_needs_brackets(*op, r) {
                ATOM
            } else {
                right_edge(r)
            };
            binary_strength(*op).min(rest)
        }
        ExprKind::Unary(op, x) => {
            let rest = if operand_needs_brackets(*op, x) {
                ATOM
            } else {
                right_edge(x)
            };
            unary_strength(*op).min(rest)
        }
        _ => ATOM,
    }
}

pub(super) fn left_needs_brackets(op: BinaryOp, left: &Expr) -> bool {
    let edge = right_edge(left);
    let strength = binary_strength(op);
    edge < strength || (edge == strength && right_assoc(op))
}

/// A prefix operator on the right needs no brackets: the parser always reads it as the start
/// of the operand. Whatever follows the whole expression is checked by `right_edge`.
pub(super) fn right_needs_brackets(op: BinaryOp, right: &Expr) -> bool {
    match &right.kind {
        ExprKind::Binary(inner, _, _) => {
            let (inner, outer) = (binary_strength(*inner), binary_strength(op));
            inner < outer || (inner == outer && !right_assoc(op))
        }
        _ => false,
    }
}

/// A prefix operator's operand takes every operator that binds tighter than the prefix.
fn operand_needs_brackets(op: UnaryOp, operand: &Expr) -> bool {
    matches!(&operand.kind, ExprKind::Binary(inner, _, _) if binary_strength(*inner) < unary_strength(op))
}

/// `.field` and `[key]` bind tighter than any operator: `-a.b` is `-(a.b)`.
fn base_needs_brackets(base: &Expr) -> bool {
    matches!(base.kind, ExprKind::Binary(..) | ExprKind::Unary(..))
}

pub fn expr(w: &mut Writer, e: &Expr) {
    match &e.kind {
        ExprKind::Literal(l) => {
            let text = literal(w, l, e.span);
            w.write(&text);
        }
        ExprKind::Name(name) => w.write(&name.name),
        ExprKind::Field(base, field) => {
            operand(w, base, base_needs_brackets(base));
            w.write(".");
            w.write(&field.name);
        }
        ExprKind::Index(base, key) => {
            // `1.5[...]` would read as a number with a unit.
            let number = matches!(
                base.kind,
                ExprKind::Literal(Literal::Int(_) | Literal::Float(_))
            );
            operand(w, base, base_needs_brackets(base) || number);
            w.write("[");
            expr(w, key);
            w.write("]");
        }
        ExprKind::Call(function, args) => {
            w.write(&function.name);
            w.write("(");
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    w.write(", ");
                }
                expr(w, arg);
            }
            w.write(")");
        }
        ExprKind::Unary(op, x) => {
            w.write(match (op, &x.kind) {
                (UnaryOp::Not, _) => "not ",
                // `--a` would read as a decrement to many; the parser takes either.
                (UnaryOp::Neg, ExprKind::Unary(UnaryOp::Neg, _)) => "- ",
                (UnaryOp::Neg, _) => "-",
            });
            operand(w, x, operand_needs_brackets(*op, x));
        }
        ExprKind::Binary(op, l, r) => {
            operand(w, l, left_needs_brackets(*op, l));
            w.write(" ");
            w.write(op.symbol());
            w.write(" ");
            operand(w, r, right_needs_brackets(*op, r));
        }
        ExprKind::Match(scrutinee, arms) => match_expr(w, e, scrutinee, arms),
        // `(line, machine)`: a composite lookup key.
        ExprKind::Tuple(values) => {
            w.write("(");
            for (i, value) in values.iter().enumerate() {
                if i > 0 {
                    w.write(", ");
                }
                expr(w, value);
            }
            w.write(")");
        }
        ExprKind::Quantity(number, unit) => {
            // The number as written (`1500`, `25.4`), then its unit.
            let written = w
                .trivia()
                .text
                .get(e.span.start..unit.span.start)
                .unwrap_or("");
            let written = written.trim_end().trim_end_matches('[').trim_end();
            let text = literal(
                w,
                number,
                Span::new(e.span.file, e.span.start, e.span.start + written.len()),
            );
            w.write(&format!("{text}[{}]", unit.text));
        }
        ExprKind::As(base, unit) => {
            operand(w, base, base_needs_brackets(base));
            w.write(&format!(" as [{}]", unit.text));
        }
        ExprKind::Reject(reason) => {
            let text = string_lit(w, reason);
            w.write("reject ");
            w.write(&text);
        }
    }
}

fn operand(w: &mut Writer, e: &Expr, brackets: bool) {
    if brackets {
        w.write("(");
    }
    expr(w, e);
    if brackets {
        w.write(")");
    }
}

/// A match puts each arm on a line of its own, with a trailing comma.
fn match_expr(w: &mut Writer, whole: &Expr, scrutinee: &Expr, arms: &[MatchArm]) {
    w.write("match ");
    expr(w, scrutinee);
    w.write(" {");
    // The match's span ends with its `}`.
    let close = whole.span.end.saturating_sub(1);
    if arms.is_empty() && !w.has_comments_before(close) {
        w.write("}");
        return;
    }
    w.indent();
    w.set_blank(Blank::Never);
    for arm in arms {
        let first_break = first_break(w.trivia(), &arm.body).unwrap_or(arm.body.span.end);
        w.node_line(arm_start(arm), first_break);
        for (i, pattern) in arm.patterns.iter().enumerate() {
            if i > 0 {
                w.write(" | ");
            }
            let text = pattern_text(w, pattern);
            w.write(&text);
        }
        w.write(" => ");
        super::wrap::expr_within_width(w, &arm.body, ",", false);
    }
    w.close_block(close);
}

fn arm_start(arm: &MatchArm) -> usize {
    arm.patterns
        .first()
        .map_or(arm.body.span.start, |p| p.span.start)
}

/// Where, in the original text, the first line the formatter breaks inside `e` ends: at the
/// `{` of the first match with arms. Comments before it are moved before the statement.
pub fn first_break(t: &Trivia, e: &Expr) -> Option<usize> {
    match &e.kind {
        ExprKind::Literal(_) | ExprKind::Name(_) | ExprKind::Quantity(..) | ExprKind::Reject(_) => {
            None
        }
        ExprKind::Field(x, _) | ExprKind::Unary(_, x) | ExprKind::As(x, _) => first_break(t, x),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
            first_break(t, a).or_else(|| first_break(t, b))
        }
        ExprKind::Call(_, args) | ExprKind::Tuple(args) => {
            args.iter().find_map(|a| first_break(t, a))
        }
        ExprKind::Match(scrutinee, arms) => first_break(t, scrutinee).or_else(|| {
            if arms.is_empty() {
                None
            } else {
                t.code_char_after(scrutinee.span.end, '{')
            }
        }),
    }
}

fn pattern_text(w: &Writer, pattern: &Pattern) -> String {
    match &pattern.kind {
        PatternKind::Wildcard => "_".to_string(),
        PatternKind::Literal(l) => literal(w, l, pattern.span),
        PatternKind::EnumCode(enum_name, code) => format!("{}.{}", enum_name.name, code.name),
    }
}

/// A string literal as its author spelled it.
pub fn string_lit(w: &Writer, s: &StringLit) -> String {
    literal(w, &Literal::String(s.value.clone()), s.span)
}

/// A literal as its author spelled it (`"\u{a0}"`, `1e3`, `0.50`), so that a deliberate escape
/// of an invisible character stays visible; written canonically only when the text at `span`
/// does not read back as the same value.
fn literal(w: &Writer, l: &Literal, span: Span) -> String {
    let written = w.trivia().text.get(span.start..span.end).unwrap_or("");
    let same = match l {
        Literal::String(value) => written
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .is_some_and(|inner| unescape(inner).as_ref() == Ok(value)),
        Literal::Int(value) => {
            written.bytes().all(|b| b.is_ascii_digit()) && written.parse() == Ok(*value)
        }
        Literal::Float(value) => {
            written.starts_with(|c: char| c.is_ascii_digit())
                && written
                    .parse::<f64>()
                    .is_ok_and(|f| f.to_bits() == value.to_bits())
        }
        Literal::Bool(value) => written == value.to_string(),
    };
    if same {
        written.to_string()
    } else {
        canonical_literal(l)
    }
}

pub fn canonical_literal(l: &Literal) -> String {
    match l {
        Literal::String(s) => string(s),
        Literal::Int(i) => i.to_string(),
        // `{:?}` is the shortest text that reads back as the same float, and always has a
        // `.` or an exponent (`1.0`, `1e300`), as the grammar's float wants.
        Literal::Float(f) => format!("{f:?}"),
        Literal::Bool(b) => b.to_string(),
    }
}

/// A string literal that the parser reads back as `value`, for a value with no written form.
/// Quotes, backslashes and control characters are escaped; so are invisible characters that
/// change how a line reads (bidirectional overrides, zero-width spaces), so that a reviewer
/// sees them.
pub fn string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() || is_invisible(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}'
        | '\u{2028}' | '\u{2029}' | '\u{FEFF}')
}
