//! Where an int stands for a float: the language widens it, and the generator must type each
//! expression as the checker does (two ints make int arithmetic, a `??` default is widened to
//! the value's type).

use super::ast::*;

/// Whether the checker types `e` as an int although it stands where a float is expected:
/// an int, or a match, `coalesce` or `??` all of whose values are ints.
pub fn int_typed(e: &Expr) -> bool {
    let arm = |a: &Arm| match a {
        Arm::Value(e) => Some(int_typed(e)),
        Arm::Reject(_) => None,
    };
    let all = |arms: Vec<Option<bool>>| arms.iter().flatten().all(|b| *b);
    match e {
        Expr::Widen(_) => true,
        Expr::Neg(x) => int_typed(x),
        Expr::Match { arms, wildcard, .. } => {
            let mut results: Vec<Option<bool>> = arms.iter().map(|(_, a)| arm(a)).collect();
            results.extend(wildcard.iter().map(|a| arm(a)));
            all(results)
        }
        Expr::MatchQuality(_, arms) => all(arms.iter().map(arm).collect()),
        Expr::Coalesce(args) => args.iter().all(int_typed),
        Expr::Default(a, b) => int_typed(a) && int_typed(b),
        _ => false,
    }
}

/// `e` as the int it is (see [`int_typed`]), its widenings taken off: widening commutes
/// with choosing a value.
pub fn unwiden(e: Expr) -> Expr {
    let arm = |a: Arm| match a {
        Arm::Value(e) => Arm::Value(unwiden(e)),
        reject => reject,
    };
    match e {
        Expr::Widen(inner) => *inner,
        Expr::Neg(x) => Expr::Neg(Box::new(unwiden(*x))),
        Expr::Match { on, arms, wildcard } => Expr::Match {
            on,
            arms: arms.into_iter().map(|(p, a)| (p, arm(a))).collect(),
            wildcard: wildcard.map(|a| Box::new(arm(*a))),
        },
        Expr::MatchQuality(field, arms) => {
            Expr::MatchQuality(field, arms.into_iter().map(arm).collect())
        }
        Expr::Coalesce(args) => Expr::Coalesce(args.into_iter().map(unwiden).collect()),
        Expr::Default(a, b) => Expr::Default(Box::new(unwiden(*a)), Box::new(unwiden(*b))),
        other => other,
    }
}
