//! Building expressions from the parse tree: operator precedence (a Pratt parser over the
//! grammar's flat `expr` rule), primaries, match arms and literals.

use std::sync::OnceLock;

use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};

use super::ast::*;
use super::parser::{Builder, GrammarRule as Rule};
use crate::diagnostic::{Code, Diagnostic};

fn pratt() -> &'static PrattParser<Rule> {
    static PRATT: OnceLock<PrattParser<Rule>> = OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::or, Assoc::Left))
            .op(Op::infix(Rule::and, Assoc::Left))
            .op(Op::prefix(Rule::not))
            .op(Op::infix(Rule::eq, Assoc::Left) | Op::infix(Rule::ne, Assoc::Left))
            .op(Op::infix(Rule::lt, Assoc::Left)
                | Op::infix(Rule::le, Assoc::Left)
                | Op::infix(Rule::gt, Assoc::Left)
                | Op::infix(Rule::ge, Assoc::Left))
            .op(Op::infix(Rule::coalesce, Assoc::Right))
            .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
            .op(Op::infix(Rule::mul, Assoc::Left)
                | Op::infix(Rule::div, Assoc::Left)
                | Op::infix(Rule::rem, Assoc::Left))
            .op(Op::prefix(Rule::neg))
            .op(Op::postfix(Rule::field) | Op::postfix(Rule::index) | Op::postfix(Rule::as_unit))
    })
}

impl Builder {
    pub(super) fn expr(&mut self, pairs: Pairs<Rule>) -> Expr {
        // The Pratt parser's callbacks cannot borrow `self` mutably all at once, so errors found
        // inside are collected through a RefCell.
        let this = std::cell::RefCell::new(self);
        let expr = pratt()
            .map_primary(|p| this.borrow_mut().primary(p))
            .map_prefix(|op, rhs| {
                let b = this.borrow();
                let span = b.span(&op).to(rhs.span);
                let op = if op.as_rule() == Rule::not {
                    UnaryOp::Not
                } else {
                    UnaryOp::Neg
                };
                Expr {
                    kind: ExprKind::Unary(op, Box::new(rhs)),
                    span,
                }
            })
            .map_postfix(|lhs, op| {
                let mut b = this.borrow_mut();
                let span = lhs.span.to(b.span(&op));
                match op.as_rule() {
                    Rule::as_unit => match op.into_inner().next() {
                        Some(unit) => Expr {
                            kind: ExprKind::As(Box::new(lhs), b.unit(unit)),
                            span,
                        },
                        None => lhs,
                    },
                    Rule::field => {
                        let field = op.into_inner().next().map(|f| b.ident(f));
                        match field {
                            Some(f) => Expr {
                                kind: ExprKind::Field(Box::new(lhs), f),
                                span,
                            },
                            None => lhs,
                        }
                    }
                    _ => {
                        let key = match op.into_inner().next() {
                            Some(k) => b.expr(k.into_inner()),
                            None => return lhs,
                        };
                        Expr {
                            kind: ExprKind::Index(Box::new(lhs), Box::new(key)),
                            span,
                        }
                    }
                }
            })
            .map_infix(|lhs, op, rhs| {
                let op = match op.as_rule() {
                    Rule::coalesce => BinaryOp::Coalesce,
                    Rule::or => BinaryOp::Or,
                    Rule::and => BinaryOp::And,
                    Rule::eq => BinaryOp::Eq,
                    Rule::ne => BinaryOp::Ne,
                    Rule::lt => BinaryOp::Lt,
                    Rule::le => BinaryOp::Le,
                    Rule::gt => BinaryOp::Gt,
                    Rule::ge => BinaryOp::Ge,
                    Rule::add => BinaryOp::Add,
                    Rule::sub => BinaryOp::Sub,
                    Rule::mul => BinaryOp::Mul,
                    Rule::div => BinaryOp::Div,
                    _ => BinaryOp::Rem,
                };
                let span = lhs.span.to(rhs.span);
                Expr {
                    kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                    span,
                }
            })
            .parse(pairs);
        expr
    }

    fn primary(&mut self, pair: Pair<Rule>) -> Expr {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::expr => return self.expr(pair.into_inner()),
            Rule::group => {
                let mut values: Vec<Expr> = pair
                    .into_inner()
                    .map(|e| self.expr(e.into_inner()))
                    .collect();
                if values.len() == 1 {
                    // `(a + b)`: the parentheses only group.
                    return values.remove(0);
                }
                ExprKind::Tuple(values)
            }
            Rule::ident => ExprKind::Name(self.ident(pair)),
            Rule::call => {
                let mut p = pair.into_inner();
                let func = p.next().map(|f| self.ident(f));
                let args = p.map(|a| self.expr(a.into_inner())).collect();
                match func {
                    Some(f) => ExprKind::Call(f, args),
                    None => ExprKind::Literal(Literal::Bool(false)),
                }
            }
            Rule::quantity => {
                let mut p = pair.into_inner();
                let (Some(number), Some(unit)) = (p.next(), p.next()) else {
                    return Expr {
                        kind: ExprKind::Literal(Literal::Bool(false)),
                        span,
                    };
                };
                ExprKind::Quantity(self.literal(number), self.unit(unit))
            }
            Rule::match_expr => {
                let mut p = pair.into_inner();
                let scrutinee = match p.next() {
                    Some(s) => self.expr(s.into_inner()),
                    None => {
                        return Expr {
                            kind: ExprKind::Literal(Literal::Bool(false)),
                            span,
                        }
                    }
                };
                let arms = p.filter_map(|arm| self.arm(arm)).collect();
                ExprKind::Match(Box::new(scrutinee), arms)
            }
            _ => ExprKind::Literal(self.literal(pair)),
        };
        Expr { kind, span }
    }

    fn arm(&mut self, pair: Pair<Rule>) -> Option<MatchArm> {
        let mut patterns = Vec::new();
        let mut body = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::pattern => {
                    let span = self.span(&p);
                    let inner = p.into_inner().next()?;
                    let kind = match inner.as_rule() {
                        Rule::wildcard => PatternKind::Wildcard,
                        Rule::enum_code => {
                            let mut parts = inner.into_inner();
                            let enum_name = self.ident(parts.next()?);
                            let code = self.ident(parts.next()?);
                            PatternKind::EnumCode(enum_name, code)
                        }
                        _ => PatternKind::Literal(self.literal(inner)),
                    };
                    patterns.push(Pattern { kind, span });
                }
                Rule::arm_reject => {
                    let span = self.span(&p);
                    let reason = self.string(p.into_inner().next()?);
                    body = Some(Expr {
                        kind: ExprKind::Reject(reason),
                        span,
                    });
                }
                _ => body = Some(self.expr(p.into_inner())),
            }
        }
        Some(MatchArm {
            patterns,
            body: body?,
        })
    }

    pub(super) fn literal(&mut self, pair: Pair<Rule>) -> Literal {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::string => Literal::String(self.string(pair).value),
            Rule::boolean => Literal::Bool(pair.as_str() == "true"),
            Rule::int => match pair.as_str().parse::<i64>() {
                Ok(v) => Literal::Int(v),
                Err(_) => {
                    self.errors.push(
                        Diagnostic::error(
                            Code::NumberOutOfRange,
                            "this integer does not fit in 64 bits",
                        )
                        .label(span, "out of range")
                        .help(format!(
                            "integers range from {} to {}",
                            i64::MIN,
                            i64::MAX
                        )),
                    );
                    Literal::Int(0)
                }
            },
            _ => match pair.as_str().parse::<f64>() {
                Ok(v) if v.is_finite() => Literal::Float(v),
                _ => {
                    self.errors.push(
                        Diagnostic::error(
                            Code::NumberOutOfRange,
                            "this number is too large to be a float",
                        )
                        .label(span, "out of range")
                        .help(format!("floats go up to about {:e}", f64::MAX)),
                    );
                    Literal::Float(0.0)
                }
            },
        }
    }
}
