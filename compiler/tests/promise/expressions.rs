//! Generates typed expressions that the checker accepts: every value that may be absent is
//! handled (`??`, `coalesce`, `else reject`, an optional target field) exactly where the
//! language asks, and nothing that cannot be absent is handled (E0320).

use super::ast::*;
use super::rng::Rng;
use super::widening::{int_typed, unwiden};

/// Why a value may be absent, as far as the checker is concerned: only `Optional` (an
/// optional field) may reach an optional target field unhandled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Maybe {
    No,
    Optional,
    Other,
}

pub struct G {
    pub e: Expr,
    pub maybe: Maybe,
}

pub fn g(e: Expr, maybe: Maybe) -> G {
    G { e, maybe }
}

/// What an expression may read where it is generated.
#[derive(Clone, Default)]
pub struct Scope {
    pub vars: Vec<(String, Ty, Maybe)>,
    /// Source fields with a quality, not shadowed by a binding.
    pub samples: Vec<String>,
    /// Lookup records bound with `let ... else reject`.
    pub records: Vec<String>,
    pub in_fn: bool,
    pub may_reject: bool,
}

impl Scope {
    /// A binding hides whatever had its name before.
    pub fn bind(&mut self, name: &str, ty: Ty, maybe: Maybe) {
        self.unbind(name);
        self.vars.push((name.to_string(), ty, maybe));
    }

    pub fn bind_record(&mut self, name: &str) {
        self.unbind(name);
        self.records.push(name.to_string());
    }

    fn unbind(&mut self, name: &str) {
        self.vars.retain(|v| v.0 != name);
        self.samples.retain(|s| s != name);
        self.records.retain(|r| r != name);
    }
}

/// The facts about the mapping an expression generator needs.
pub struct Context {
    pub enum_codes: usize,
    pub lookup_fields: [String; 3],
    pub functions: Vec<(String, Vec<Ty>, Ty, bool)>,
    pub reasons: usize,
}

pub const STRINGS: &[&str] = &[
    "",
    " 42 ",
    "-7",
    "1.0",
    "abc",
    "AB12",
    "ab12",
    "k1",
    "k2",
    "k3",
    " k1",
    "Ünï",
    "a\"b",
    "x\\y",
    "run",
    "1e3",
    "9223372036854775808",
    "  ",
    "0",
    "ZZ99",
];
const INTS: &[i64] = &[
    0,
    1,
    2,
    3,
    7,
    42,
    100,
    3_000_000_000,
    9_223_372_036_854_775_807,
    65_536,
];
const FLOATS: &[f64] = &[0.0, 0.5, 1.5, 2.675, 1234.5, 1e-3, 3.0, 25.4, 1e6, 7.25];
pub const CODES: &[&str] = &["AB12", "ZZ99", "QX07"];
const PHRASES: &[&str] = &[
    "bad value",
    "say \"no\"",
    "back\\slash",
    "ünïcode reason",
    "tab\there",
    "{braces} and %s",
];

pub struct ExprGen<'a> {
    pub rng: &'a mut Rng,
    pub cx: &'a mut Context,
}

impl ExprGen<'_> {
    pub fn reason(&mut self) -> String {
        self.cx.reasons += 1;
        format!("r{} {}", self.cx.reasons, self.rng.pick(PHRASES))
    }

    pub fn expr(&mut self, ty: Ty, depth: u32, sc: &Scope) -> G {
        if depth == 0 || self.rng.chance(20) {
            return self.leaf(ty, sc);
        }
        let d = depth - 1;
        match self.rng.below(12) {
            0 | 1 => self.match_expr(ty, d, sc),
            2 => self.default_expr(ty, d, sc),
            3 => self.coalesce_expr(ty, d, sc),
            4 if !sc.samples.is_empty() && !sc.in_fn => {
                let field = self.rng.pick(&sc.samples).clone();
                let arms: Vec<G> = (0..3).map(|_| self.arm_value(ty, d, sc)).collect();
                let maybe = arms.iter().map(|a| a.maybe).max().unwrap_or(Maybe::No);
                let arms = arms.into_iter().map(|a| Arm::Value(a.e)).collect();
                g(Expr::MatchQuality(field, arms), maybe)
            }
            5 => self
                .call_fn(ty, d, sc)
                .unwrap_or_else(|| self.typed(ty, d, sc)),
            _ => self.typed(ty, d, sc),
        }
    }

    /// An expression that is never absent: one that may be gets a default.
    pub fn present(&mut self, ty: Ty, depth: u32, sc: &Scope) -> Expr {
        let value = self.expr(ty, depth, sc);
        if value.maybe == Maybe::No {
            return value.e;
        }
        self.or_default(value.e, ty, |ex, ty| match ty {
            Ty::Time => {
                let times = ex.vars_of(Ty::Time, sc, Some(Maybe::No));
                Expr::Var(ex.rng.pick(&times).0.clone())
            }
            _ => ex.literal(ty),
        })
    }

    /// `value ?? fallback`; for an int widened to a float, the default goes inside the
    /// widening: the language widens a `??` default to the value's type, not the value to
    /// the default's.
    pub fn or_default(
        &mut self,
        value: Expr,
        ty: Ty,
        fallback: impl FnOnce(&mut Self, Ty) -> Expr,
    ) -> Expr {
        match value {
            value if int_typed(&value) => {
                let fallback = fallback(self, Ty::Int);
                let value = Box::new(unwiden(value));
                Expr::Widen(Box::new(Expr::Default(value, Box::new(fallback))))
            }
            value => {
                let fallback = fallback(self, ty);
                Expr::Default(Box::new(value), Box::new(fallback))
            }
        }
    }

    /// A literal (or literal-built identifier) of `ty`; timestamps have none, so the shift of
    /// a timestamp field stands in.
    pub fn literal(&mut self, ty: Ty) -> Expr {
        let rng = &mut *self.rng;
        match ty {
            Ty::Int => Expr::Lit(Value::Int(*rng.pick(INTS)), None),
            Ty::Float(unit) => Expr::Lit(Value::Float(*rng.pick(FLOATS)), unit),
            Ty::Str => Expr::Lit(Value::Str(rng.pick(STRINGS).to_string()), None),
            Ty::Bool => Expr::Lit(Value::Bool(rng.chance(50)), None),
            Ty::Code => Expr::MakeCode(Box::new(Expr::Lit(
                Value::Str(rng.pick(CODES).to_string()),
                None,
            ))),
            Ty::Serial => Expr::MakeSerial(Box::new(Expr::Lit(
                Value::Str(rng.pick(&["007", "42", "0"]).to_string()),
                None,
            ))),
            Ty::Enum => Expr::Lit(Value::Enum(rng.below(self.cx.enum_codes)), None),
            Ty::Time => unreachable!("timestamps have no literal"),
        }
    }

    fn vars_of(&self, ty: Ty, sc: &Scope, maybe: Option<Maybe>) -> Vec<(String, Maybe)> {
        sc.vars
            .iter()
            .filter(|v| v.1 == ty && maybe.is_none_or(|m| (v.2 != Maybe::No) == (m != Maybe::No)))
            .map(|v| (v.0.clone(), v.2))
            .collect()
    }

    fn leaf(&mut self, ty: Ty, sc: &Scope) -> G {
        let vars = self.vars_of(ty, sc, None);
        if !vars.is_empty() && (ty == Ty::Time || self.rng.chance(60)) {
            let (name, maybe) = self.rng.pick(&vars).clone();
            return g(Expr::Var(name), maybe);
        }
        if !sc.in_fn && self.rng.chance(30) {
            if ty == Ty::Int {
                return g(Expr::Position, Maybe::No);
            }
            if !sc.records.is_empty() && matches!(ty, Ty::Int | Ty::Str) {
                let record = self.rng.pick(&sc.records).clone();
                let [number, text, note] = self.cx.lookup_fields.clone();
                return match (ty, self.rng.chance(50)) {
                    (Ty::Int, _) => g(Expr::RecordField(record, number), Maybe::No),
                    (_, true) => g(Expr::RecordField(record, text), Maybe::No),
                    _ => g(Expr::RecordField(record, note), Maybe::Optional),
                };
            }
            if !sc.samples.is_empty() && matches!(ty, Ty::Float(None) | Ty::Time) {
                let field = self.rng.pick(&sc.samples).clone();
                let part = match ty {
                    Ty::Time => SamplePart::Timestamp,
                    _ if self.rng.chance(50) => SamplePart::Good,
                    _ => SamplePart::Value,
                };
                return g(Expr::Sample(field, part), Maybe::Other);
            }
        }
        if ty == Ty::Time {
            // Every flow's scope has a required timestamp field; a function has no timestamps.
            return self.typed(ty, 0, sc);
        }
        g(self.literal(ty), Maybe::No)
    }

    fn typed(&mut self, ty: Ty, d: u32, sc: &Scope) -> G {
        let pick = self.rng.below(8);
        match ty {
            Ty::Int => match pick {
                0..=2 => {
                    let op = *self.rng.pick(&[ArithOp::Add, ArithOp::Sub, ArithOp::Mul]);
                    self.arith(op, Ty::Int, Ty::Int, d, sc, Maybe::No)
                }
                3 => {
                    let op = *self.rng.pick(&[ArithOp::Div, ArithOp::Rem]);
                    self.arith(op, Ty::Int, Ty::Int, d, sc, Maybe::Other)
                }
                4 => g(Expr::Neg(Box::new(self.present(Ty::Int, d, sc))), Maybe::No),
                5 => self.call(Builtin::ParseInt, &[Ty::Str], d, sc, Maybe::Other),
                6 => self.call(Builtin::ToInt, &[Ty::Float(None)], d, sc, Maybe::Other),
                _ if !sc.in_fn && self.rng.chance(50) => {
                    let key = self.present(Ty::Str, d, sc);
                    let field = self.cx.lookup_fields[0].clone();
                    g(Expr::Lookup(Box::new(key), field), Maybe::Other)
                }
                _ if !sc.in_fn => self.call(Builtin::ToEpochMillis, &[Ty::Time], d, sc, Maybe::No),
                _ => self.leaf(ty, sc),
            },
            Ty::Float(None) => match pick {
                0..=2 => {
                    let op = *self.rng.pick(&[
                        ArithOp::Add,
                        ArithOp::Sub,
                        ArithOp::Mul,
                        ArithOp::Div,
                        ArithOp::Rem,
                    ]);
                    let left = if self.rng.chance(30) { Ty::Int } else { ty };
                    self.arith(op, left, ty, d, sc, Maybe::No)
                }
                3 => {
                    if self.rng.chance(50) {
                        self.call(Builtin::Round, &[ty], d, sc, Maybe::No)
                    } else {
                        let x = self.present(ty, d, sc);
                        let digits = Expr::Lit(Value::Int(self.rng.range(0, 3)), None);
                        let digits = if self.rng.chance(40) {
                            Expr::Neg(Box::new(digits))
                        } else {
                            digits
                        };
                        g(Expr::Call(Builtin::Round, vec![x, digits]), Maybe::No)
                    }
                }
                4 => self.call(Builtin::ParseFloat, &[Ty::Str], d, sc, Maybe::Other),
                5 => self.call(Builtin::ToFloat, &[Ty::Int], d, sc, Maybe::No),
                6 => {
                    let inner = self.expr(Ty::Int, d, sc);
                    g(Expr::Widen(Box::new(inner.e)), inner.maybe)
                }
                _ if !sc.in_fn => {
                    // A quantity divided by its unit is a plain number.
                    let x = self.present(Ty::Float(Some(Unit::Mm)), d, sc);
                    let one = Expr::Lit(Value::Float(1.0), Some(Unit::Mm));
                    g(
                        Expr::Arith(ArithOp::Div, Box::new(x), Box::new(one)),
                        Maybe::No,
                    )
                }
                _ => self.leaf(ty, sc),
            },
            Ty::Float(Some(unit)) => match pick {
                0 | 1 => {
                    let op = *self.rng.pick(&[ArithOp::Add, ArithOp::Sub]);
                    self.arith(op, ty, ty, d, sc, Maybe::No)
                }
                2 => {
                    let op = *self.rng.pick(&[ArithOp::Mul, ArithOp::Div]);
                    let x = self.present(ty, d, sc);
                    let k = self.present(Ty::Float(None), d, sc);
                    g(Expr::Arith(op, Box::new(x), Box::new(k)), Maybe::No)
                }
                3 | 4 => {
                    let from = match unit {
                        Unit::Mm => Unit::In,
                        Unit::In => Unit::Mm,
                        Unit::S => Unit::Min,
                        Unit::Min => Unit::S,
                    };
                    let x = self.present(Ty::Float(Some(from)), d, sc);
                    g(Expr::Convert(Box::new(x), from, unit), Maybe::No)
                }
                5 => {
                    let x = self.present(ty, d, sc);
                    let digits = Expr::Lit(Value::Int(self.rng.range(0, 2)), None);
                    g(Expr::Call(Builtin::Round, vec![x, digits]), Maybe::No)
                }
                6 if unit == Unit::S && !sc.in_fn => {
                    let a = self.present(Ty::Time, d, sc);
                    let b = self.present(Ty::Time, d, sc);
                    g(Expr::TimeDiff(Box::new(a), Box::new(b)), Maybe::No)
                }
                _ => g(Expr::Neg(Box::new(self.present(ty, d, sc))), Maybe::No),
            },
            Ty::Str => match pick {
                0 => {
                    let f = *self
                        .rng
                        .pick(&[Builtin::Trim, Builtin::Lower, Builtin::Upper]);
                    self.call(f, &[Ty::Str], d, sc, Maybe::No)
                }
                1 => {
                    let a = self.present(Ty::Str, d, sc);
                    let b = self.present(Ty::Str, d, sc);
                    g(Expr::Join(Box::new(a), Box::new(b)), Maybe::No)
                }
                2 => {
                    let n = self.rng.range(1, 3) as usize;
                    self.call(Builtin::Concat, &vec![Ty::Str; n], d, sc, Maybe::No)
                }
                3 | 4 => {
                    let from = *self.rng.pick(&[
                        Ty::Int,
                        Ty::Float(None),
                        Ty::Bool,
                        Ty::Code,
                        Ty::Serial,
                        Ty::Enum,
                        Ty::Time,
                    ]);
                    let from = if sc.in_fn && from == Ty::Time {
                        Ty::Int
                    } else {
                        from
                    };
                    self.call(Builtin::String, &[from], d, sc, Maybe::No)
                }
                5 if !sc.in_fn => {
                    let t = self.present(Ty::Time, d, sc);
                    let format = *self.rng.pick(&["%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M"]);
                    let zone = *self.rng.pick(&["UTC", "+01:00", "-05:30"]);
                    let args = vec![t, str_lit(format), str_lit(zone)];
                    g(Expr::Call(Builtin::FormatTimestamp, args), Maybe::No)
                }
                6 if !sc.in_fn => {
                    let key = self.present(Ty::Str, d, sc);
                    let field = self.cx.lookup_fields[1 + self.rng.below(2)].clone();
                    g(Expr::Lookup(Box::new(key), field), Maybe::Other)
                }
                _ => self.leaf(ty, sc),
            },
            Ty::Bool => match pick {
                0..=2 => {
                    let on = *self.rng.pick(&[
                        Ty::Int,
                        Ty::Float(None),
                        Ty::Float(Some(Unit::Mm)),
                        Ty::Str,
                        Ty::Time,
                    ]);
                    let on = if sc.in_fn && on != Ty::Int && on != Ty::Str {
                        Ty::Int
                    } else {
                        on
                    };
                    let op = *self.rng.pick(&[
                        CmpOp::Lt,
                        CmpOp::Le,
                        CmpOp::Gt,
                        CmpOp::Ge,
                        CmpOp::Eq,
                        CmpOp::Ne,
                    ]);
                    self.compare(op, on, d, sc)
                }
                3 => {
                    let on = *self.rng.pick(&[Ty::Bool, Ty::Enum, Ty::Code, Ty::Serial]);
                    let op = *self.rng.pick(&[CmpOp::Eq, CmpOp::Ne]);
                    self.compare(op, on, d, sc)
                }
                4 | 5 => {
                    let a = Box::new(self.present(Ty::Bool, d, sc));
                    let b = Box::new(self.present(Ty::Bool, d, sc));
                    let e = if pick == 4 {
                        Expr::And(a, b)
                    } else {
                        Expr::Or(a, b)
                    };
                    g(e, Maybe::No)
                }
                6 => g(
                    Expr::Not(Box::new(self.present(Ty::Bool, d, sc))),
                    Maybe::No,
                ),
                _ => self.leaf(ty, sc),
            },
            Ty::Time => {
                let t = self.vars_of(Ty::Time, sc, Some(Maybe::No));
                let base = if d == 0 || pick < 4 {
                    Expr::Var(self.rng.pick(&t).0.clone())
                } else {
                    self.present(Ty::Time, d, sc)
                };
                let unit = *self.rng.pick(&[Unit::S, Unit::Min]);
                g(
                    Expr::Shift(Box::new(base), self.rng.range(-90, 90), unit),
                    Maybe::No,
                )
            }
            // A literal argument is checked by `fdi check` and cannot fail: built as a literal.
            Ty::Code | Ty::Serial if pick < 5 => {
                let arg_ty = if ty == Ty::Code { Ty::Str } else { Ty::Int };
                match self.present(arg_ty, d, sc) {
                    Expr::Lit(..) => g(self.literal(ty), Maybe::No),
                    arg if ty == Ty::Code => g(Expr::MakeCode(Box::new(arg)), Maybe::Other),
                    arg => g(Expr::MakeSerial(Box::new(arg)), Maybe::Other),
                }
            }
            _ => self.leaf(ty, sc),
        }
    }

    fn arith(&mut self, op: ArithOp, left: Ty, right: Ty, d: u32, sc: &Scope, maybe: Maybe) -> G {
        let a = self.operand(left, right, d, sc);
        let b = self.operand(right, left, d, sc);
        if int_typed(&a) && int_typed(&b) {
            // Two ints make int arithmetic, whatever the context expects: `/` truncates and
            // may fail.
            let fails = matches!(op, ArithOp::Div | ArithOp::Rem);
            let int = Expr::Arith(op, Box::new(unwiden(a)), Box::new(unwiden(b)));
            return g(
                Expr::Widen(Box::new(int)),
                if fails { Maybe::Other } else { maybe },
            );
        }
        g(Expr::Arith(op, Box::new(a), Box::new(b)), maybe)
    }

    /// An operand of `ty`, widened when the other operand is a float.
    fn operand(&mut self, ty: Ty, other: Ty, d: u32, sc: &Scope) -> Expr {
        let e = self.present(ty, d, sc);
        if ty == Ty::Int && other == Ty::Float(None) {
            Expr::Widen(Box::new(e))
        } else {
            e
        }
    }

    fn compare(&mut self, op: CmpOp, on: Ty, d: u32, sc: &Scope) -> G {
        let a = self.present(on, d, sc);
        let b = self.present(on, d, sc);
        g(Expr::Cmp(op, Box::new(a), Box::new(b)), Maybe::No)
    }

    fn call(&mut self, f: Builtin, args: &[Ty], d: u32, sc: &Scope, maybe: Maybe) -> G {
        let args = args.iter().map(|ty| self.present(*ty, d, sc)).collect();
        g(Expr::Call(f, args), maybe)
    }

    fn call_fn(&mut self, ty: Ty, d: u32, sc: &Scope) -> Option<G> {
        let candidates: Vec<_> = self
            .cx
            .functions
            .iter()
            .filter(|f| f.2 == ty)
            .cloned()
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let (name, params, _, fallible) = self.rng.pick(&candidates).clone();
        let args = params.iter().map(|p| self.present(*p, d, sc)).collect();
        let maybe = if fallible { Maybe::Other } else { Maybe::No };
        Some(g(Expr::CallFn(name, args), maybe))
    }

    /// An expression of `ty` that may be absent, when the scope offers one.
    pub fn maybe_expr(&mut self, ty: Ty, d: u32, sc: &Scope) -> G {
        for _ in 0..6 {
            let vars = self.vars_of(ty, sc, Some(Maybe::Optional));
            if !vars.is_empty() && self.rng.chance(40) {
                let (name, maybe) = self.rng.pick(&vars).clone();
                return g(Expr::Var(name), maybe);
            }
            let candidate = self.expr(ty, d, sc);
            if candidate.maybe != Maybe::No {
                return candidate;
            }
        }
        self.expr(ty, d, sc)
    }

    fn default_expr(&mut self, ty: Ty, d: u32, sc: &Scope) -> G {
        let value = self.maybe_expr(ty, d, sc);
        if value.maybe == Maybe::No {
            return value;
        }
        let mut maybe = Maybe::No;
        let e = self.or_default(value.e, ty, |ex, ty| {
            let fallback = ex.expr(ty, d, sc);
            maybe = fallback.maybe;
            fallback.e
        });
        g(e, maybe)
    }

    fn coalesce_expr(&mut self, ty: Ty, d: u32, sc: &Scope) -> G {
        let mut args = Vec::new();
        for _ in 0..self.rng.range(1, 2) {
            let value = self.maybe_expr(ty, d, sc);
            if value.maybe != Maybe::No {
                args.push(value.e);
            }
        }
        let last = self.arm_value(ty, d, sc);
        if args.is_empty() {
            return last;
        }
        args.push(last.e);
        g(Expr::Coalesce(args), last.maybe)
    }

    /// A match arm's value, or a `coalesce` argument: possibly a rejecting match.
    pub fn arm_value(&mut self, ty: Ty, d: u32, sc: &Scope) -> G {
        if ty == Ty::Float(None) && self.rng.chance(20) {
            let inner = self.expr(Ty::Int, d, sc);
            return g(Expr::Widen(Box::new(inner.e)), inner.maybe);
        }
        self.expr(ty, d, sc)
    }
}

pub fn str_lit(text: &str) -> Expr {
    Expr::Lit(Value::Str(text.to_string()), None)
}
