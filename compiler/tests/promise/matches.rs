//! Generated matches: over ints, strings, bools, enum codes and identifiers, with rejecting
//! arms and a wildcard where the language asks for one (E0318, E0308, E0341).

use super::ast::*;
use super::expressions::{g, ExprGen, Maybe, Scope, CODES, G, STRINGS};

impl ExprGen<'_> {
    pub fn match_expr(&mut self, ty: Ty, d: u32, sc: &Scope) -> G {
        let on_ty = *self
            .rng
            .pick(&[Ty::Int, Ty::Str, Ty::Bool, Ty::Enum, Ty::Code]);
        let on = self.present(on_ty, d, sc);
        let mut pool: Vec<Value> = match on_ty {
            Ty::Int => (0..6).map(Value::Int).collect(),
            Ty::Str => STRINGS
                .iter()
                .take(12)
                .map(|s| Value::Str(s.to_string()))
                .collect(),
            Ty::Bool => vec![Value::Bool(true), Value::Bool(false)],
            Ty::Enum => (0..self.cx.enum_codes).map(Value::Enum).collect(),
            _ => CODES.iter().map(|c| Value::Code(c.to_string())).collect(),
        };
        let mut arms = Vec::new();
        let mut maybe = Maybe::No;
        let mut values = 0;
        while !pool.is_empty() && arms.len() < 3 {
            let mut patterns = Vec::new();
            for _ in 0..self.rng.range(1, 2) {
                if !pool.is_empty() {
                    patterns.push(pool.remove(self.rng.below(pool.len())));
                }
            }
            let arm = self.arm(ty, d, sc, &mut maybe, &mut values);
            arms.push((patterns, arm));
            if self.rng.chance(30) {
                break;
            }
        }
        let closed = matches!(on_ty, Ty::Bool | Ty::Enum) && pool.is_empty();
        let wildcard = if closed && self.rng.chance(60) {
            None
        } else {
            Some(Box::new(self.arm(ty, d, sc, &mut maybe, &mut values)))
        };
        if values == 0 {
            // E0341: at least one arm gives a value.
            let value = self.arm_value(ty, d, sc);
            maybe = maybe.max(value.maybe);
            arms[0].1 = Arm::Value(value.e);
        }
        g(
            Expr::Match {
                on: Box::new(on),
                arms,
                wildcard,
            },
            maybe,
        )
    }

    fn arm(&mut self, ty: Ty, d: u32, sc: &Scope, maybe: &mut Maybe, values: &mut u32) -> Arm {
        if sc.may_reject && self.rng.chance(25) {
            return Arm::Reject(self.reason());
        }
        let value = self.arm_value(ty, d, sc);
        *maybe = (*maybe).max(value.maybe);
        *values += 1;
        Arm::Value(value.e)
    }
}
