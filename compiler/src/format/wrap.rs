//! Long expressions broken at a line width.
//!
//! A `where` condition, a statement's value or a match arm's body that would run past
//! [`WIDTH`] columns is broken before the operators of its outermost chain, each continuation
//! line indented two levels deeper than the line the expression starts on, with the operator
//! first (`and`, `or`, `+`...), so that the operator says how the line joins the one above.
//! An operand that still does not fit is broken the same way at its own operators, two levels
//! deeper again. What cannot be broken (a call, a name, a string) stays whole, however long.
//!
//! Only where a break changes nothing: the breaks are whitespace to the parser, an expression
//! with a match in it keeps its layout (its arms are lines already), and the choice depends on
//! the tree and the column alone, so formatting the result again gives the same text.

use super::expr::{binary_strength, expr, first_break, left_needs_brackets, right_needs_brackets};
use super::writer::Writer;
use crate::syntax::ast::{BinaryOp, Expr, ExprKind};

/// The widest a line is made, as in the rest of the repository's text.
pub const WIDTH: usize = 100;

/// How much deeper a continuation line is indented than the line it continues: two levels, so
/// that it stands apart from the block's next statement.
const CONTINUATION: usize = 4;

/// Prints `e`, which starts at the writer's current column, then `tail` (` {`, `,`,
/// ` else reject "..."`), breaking `e` where the line would run past the width. A `tail` that
/// may break (an `else reject`) goes on a continuation line of its own when the last line of a
/// broken expression has no room for it.
pub fn expr_within_width(w: &mut Writer, e: &Expr, tail: &str, tail_may_break: bool) {
    if first_break(w.trivia(), e).is_some() {
        expr(w, e);
        w.write(tail);
        return;
    }
    let tail_width = tail.chars().count();
    let continuation = w.indent_width() + CONTINUATION;
    if fits(w, e, tail_width) || !tail_may_break {
        wrapped(w, e, continuation, tail_width);
        w.write(tail);
        return;
    }
    wrapped(w, e, continuation, 0);
    if tail_width > 0 && w.column() + tail_width > WIDTH {
        w.continue_line(continuation);
        w.write(tail.trim_start());
    } else {
        w.write(tail);
    }
}

/// A function's body after its `=`: on the same line when it fits there, else on a
/// continuation line of its own (a signature is long already), broken there if need be.
pub fn body_within_width(w: &mut Writer, body: &Expr) {
    if first_break(w.trivia(), body).is_some() || fits(w, body, " ".len()) {
        w.write(" ");
        expr(w, body);
        return;
    }
    let continuation = w.indent_width() + CONTINUATION;
    w.continue_line(continuation);
    wrapped(w, body, continuation, 0);
}

/// `e` on one line, as [`expr`] prints it.
fn flat(w: &Writer, e: &Expr) -> String {
    let mut measure = Writer::new(w.trivia());
    expr(&mut measure, e);
    measure.into_code()
}

fn fits(w: &Writer, e: &Expr, suffix: usize) -> bool {
    w.column() + flat(w, e).chars().count() + suffix <= WIDTH
}

/// `e`, broken at `continuation` columns when it does not fit before `suffix` more characters:
/// before every operator of its outermost chain (the operands joined by operators of one
/// strength, `a and b and c`, grouped as the parser groups them). An operand that does not fit
/// either is broken the same way, one step deeper.
fn wrapped(w: &mut Writer, e: &Expr, continuation: usize, suffix: usize) {
    let ExprKind::Binary(op, ..) = &e.kind else {
        expr(w, e);
        return;
    };
    if fits(w, e, suffix) {
        expr(w, e);
        return;
    }
    let mut chain = Vec::new();
    collect_chain(e, binary_strength(*op), None, false, &mut chain);
    let last = chain.len() - 1;
    for (i, (op, operand, brackets)) in chain.into_iter().enumerate() {
        if let Some(op) = op {
            w.continue_line(continuation);
            w.write(op.symbol());
            w.write(" ");
        }
        let suffix = if i == last { suffix } else { 0 };
        let deeper = continuation + CONTINUATION;
        if brackets {
            w.write("(");
            wrapped(w, operand, deeper, suffix + 1);
            w.write(")");
        } else {
            wrapped(w, operand, deeper, suffix);
        }
    }
}

/// The operands of the chain of operators of `strength` that `e` is, each with the operator
/// before it and whether it is bracketed: exactly as [`expr`] prints them, so that breaking
/// the lines between them changes nothing but whitespace.
fn collect_chain<'e>(
    e: &'e Expr,
    strength: u8,
    before: Option<BinaryOp>,
    brackets: bool,
    chain: &mut Vec<(Option<BinaryOp>, &'e Expr, bool)>,
) {
    match &e.kind {
        ExprKind::Binary(op, left, right) if !brackets && binary_strength(*op) == strength => {
            collect_chain(
                left,
                strength,
                before,
                left_needs_brackets(*op, left),
                chain,
            );
            collect_chain(
                right,
                strength,
                Some(*op),
                right_needs_brackets(*op, right),
                chain,
            );
        }
        _ => chain.push((before, e, brackets)),
    }
}
