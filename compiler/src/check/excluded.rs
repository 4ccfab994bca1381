//! Flow-sensitive exhaustiveness: the enum codes a flow's filters have excluded, so that a
//! later `match` on the same value need not cover them.
//!
//! After `where status != Status.SCRAPPED` (kept when true) or `skip when speed.quality ==
//! Quality.BAD` (kept when false), no record that reaches the statements below has that code.
//! The proof is deliberately small: a condition is read through `and`, `or` and `not` down to
//! `==` and `!=` between a value and an enum code; anything else (a comparison with another
//! value, a function, a `match`) says nothing about the codes. The value must be the same in
//! both places, which holds by construction for what is compared: a source field, a part of a
//! quality-carrying field, a `let` binding (bound once per flow) or a field of one, none of
//! which changes while one record goes through the flow. A filter excludes codes only for the
//! statements after it: a `skip` below a `match` does not change the match.

use std::collections::BTreeSet;

use super::Checker;
use crate::ir::{self, BinaryOp, ExprKind, SamplePart, Type};
use crate::source_map::Span;

/// Codes of an enum value no record reaching the current statement has.
#[derive(Debug, Clone)]
pub(super) struct Exclusion {
    /// The value compared, as the checker typed it.
    pub path: ir::Expr,
    pub codes: BTreeSet<String>,
    /// The filter's condition, for the diagnostics that cite it.
    pub filter: Span,
}

impl Checker<'_> {
    /// Notes the codes a filter excludes: records go on when `condition` is `kept_when`.
    pub(super) fn note_exclusions(&mut self, condition: &ir::Expr, kept_when: bool, filter: Span) {
        let mut paths: Vec<&ir::Expr> = Vec::new();
        condition.walk(&mut |e| {
            if let Some((path, _)) = code_comparison(e) {
                if !paths.contains(&path) {
                    paths.push(path);
                }
            }
        });
        for path in paths {
            let Type::Enum(name) = &path.ty else { continue };
            let Some(all) = self.schema.enums.get(name) else {
                continue;
            };
            let all: BTreeSet<String> = all.codes.iter().cloned().collect();
            let Some(allowed) = possible(condition, kept_when, path, &all) else {
                continue;
            };
            let codes: BTreeSet<String> = all.difference(&allowed).cloned().collect();
            if !codes.is_empty() {
                self.excluded.push(Exclusion {
                    path: path.clone(),
                    codes,
                    filter,
                });
            }
        }
    }

    /// The codes of `value` the flow's filters so far have excluded, each with the filter
    /// that excluded it first.
    pub(super) fn excluded_codes(&self, value: &ir::Expr) -> Vec<(String, Span)> {
        let mut out: Vec<(String, Span)> = Vec::new();
        for exclusion in self.excluded.iter().filter(|x| x.path == *value) {
            for code in &exclusion.codes {
                if !out.iter().any(|(c, _)| c == code) {
                    out.push((code.clone(), exclusion.filter));
                }
            }
        }
        out
    }
}

/// A value a filter can speak about: one that reads the same wherever the flow reads it.
fn is_stable_path(e: &ir::Expr) -> bool {
    if e.is_fallible() {
        return false;
    }
    match &e.kind {
        ExprKind::SourceField { .. } | ExprKind::Local(_) => true,
        ExprKind::SourceSample { part, .. } => *part == SamplePart::Quality,
        ExprKind::EntityField { base, .. } => is_stable_path(base),
        _ => false,
    }
}

/// `path == Enum.CODE`, `Enum.CODE != path`, ...: the path, and whether the comparison is
/// true exactly for `code`'s records (`==`) or for every other code (`!=`), with the code.
fn code_comparison(e: &ir::Expr) -> Option<(&ir::Expr, (bool, &str))> {
    let ExprKind::Binary { op, lhs, rhs } = &e.kind else {
        return None;
    };
    let equal = match op {
        BinaryOp::Eq => true,
        BinaryOp::Ne => false,
        _ => return None,
    };
    let (path, code) = match (&lhs.kind, &rhs.kind) {
        (_, ExprKind::EnumCode { code, .. }) if is_stable_path(lhs) => (&**lhs, code),
        (ExprKind::EnumCode { code, .. }, _) if is_stable_path(rhs) => (&**rhs, code),
        _ => return None,
    };
    Some((path, (equal, code.as_str())))
}

/// The codes `path` may have when `condition` evaluates to `outcome`; `None` when the
/// condition does not constrain it (every code is possible).
fn possible(
    condition: &ir::Expr,
    outcome: bool,
    path: &ir::Expr,
    all: &BTreeSet<String>,
) -> Option<BTreeSet<String>> {
    if let Some((compared, (equal, code))) = code_comparison(condition) {
        if compared != path {
            return None;
        }
        let only: BTreeSet<String> = [code.to_string()].into();
        return Some(if equal == outcome {
            only
        } else {
            all.difference(&only).cloned().collect()
        });
    }
    match &condition.kind {
        ExprKind::Not(inner) => possible(inner, !outcome, path, all),
        ExprKind::Binary {
            op: op @ (BinaryOp::And | BinaryOp::Or),
            lhs,
            rhs,
        } => {
            let (a, b) = (
                possible(lhs, outcome, path, all),
                possible(rhs, outcome, path, all),
            );
            // `a and b` is true when both are; it is false when either is (so either side's
            // codes are possible). `or` the other way round.
            let both = (*op == BinaryOp::And) == outcome;
            if both {
                match (a, b) {
                    (Some(a), Some(b)) => Some(a.intersection(&b).cloned().collect()),
                    (one, None) | (None, one) => one,
                }
            } else {
                match (a, b) {
                    (Some(a), Some(b)) => Some(a.union(&b).cloned().collect()),
                    _ => None,
                }
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field() -> ir::Expr {
        ir::Expr {
            kind: ExprKind::SourceField {
                name: "status".into(),
                optional: false,
            },
            ty: Type::Enum("Status".into()),
            maybe: None,
        }
    }

    fn compare(op: BinaryOp, code: &str) -> ir::Expr {
        ir::Expr {
            kind: ExprKind::Binary {
                op,
                lhs: Box::new(field()),
                rhs: Box::new(ir::Expr {
                    kind: ExprKind::EnumCode {
                        enum_name: "Status".into(),
                        code: code.into(),
                    },
                    ty: Type::Enum("Status".into()),
                    maybe: None,
                }),
            },
            ty: Type::Bool,
            maybe: None,
        }
    }

    fn join(op: BinaryOp, lhs: ir::Expr, rhs: ir::Expr) -> ir::Expr {
        ir::Expr {
            kind: ExprKind::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            ty: Type::Bool,
            maybe: None,
        }
    }

    fn codes(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn reads_conditions_through_and_or_and_not() {
        let all = codes(&["OK", "REWORK", "SCRAPPED"]);
        let ne = compare(BinaryOp::Ne, "SCRAPPED");
        assert_eq!(
            possible(&ne, true, &field(), &all),
            Some(codes(&["OK", "REWORK"]))
        );
        assert_eq!(
            possible(&ne, false, &field(), &all),
            Some(codes(&["SCRAPPED"]))
        );
        let either = join(
            BinaryOp::Or,
            compare(BinaryOp::Eq, "OK"),
            compare(BinaryOp::Eq, "REWORK"),
        );
        assert_eq!(
            possible(&either, true, &field(), &all),
            Some(codes(&["OK", "REWORK"]))
        );
        let negated = ir::Expr {
            kind: ExprKind::Not(Box::new(either.clone())),
            ty: Type::Bool,
            maybe: None,
        };
        assert_eq!(
            possible(&negated, false, &field(), &all),
            Some(codes(&["OK", "REWORK"]))
        );
        // `status != OK and <anything>` kept: OK is excluded whatever the other side says.
        let unknown = ir::Expr {
            kind: ExprKind::Literal(ir::Literal::Bool(true)),
            ty: Type::Bool,
            maybe: None,
        };
        let with_other = join(BinaryOp::And, compare(BinaryOp::Ne, "OK"), unknown.clone());
        assert_eq!(
            possible(&with_other, true, &field(), &all),
            Some(codes(&["REWORK", "SCRAPPED"]))
        );
        // `status != OK or <anything>` kept: nothing is known.
        let or_other = join(BinaryOp::Or, compare(BinaryOp::Ne, "OK"), unknown);
        assert_eq!(possible(&or_other, true, &field(), &all), None);
    }
}
