//! Units of measure in expressions: quantities, conversions, and the arithmetic that derives
//! units, plus timestamps, whose differences are durations.
//!
//! A float may carry a unit (`float[mm]`, a [`Type::Quantity`]). The rules, in the order a
//! reader meets them:
//! - values of different dimensions never meet in `+`, `-`, comparisons or assignments
//!   (E0328);
//! - values of the same dimension in different units (mm and in, rpm and rad/s, degC and degF)
//!   meet only after an explicit `as [unit]` (E0329), so every conversion is visible in the
//!   mapping and done exactly once, as one multiply-add with constants computed here;
//! - a number without a unit does not silently take one: `x_mm + 2.5` is an error (E0330)
//!   unless the number is a literal 0, which is 0 in every unit without an offset;
//! - `*` and `/` derive units (`N*m` times `rad/s` is power), and a unit with an offset (degC,
//!   degF) cannot be multiplied or divided (E0332);
//! - angles are a dimension: a value becomes a unit with more or less angle only when the
//!   mapping multiplies or divides by one (`* 1[rev]`, `/ 1[rad]`), never by a conversion
//!   (E0342);
//! - the difference of two temperatures on an offset scale is a temperature difference
//!   (`degC - degC` is `delta_degC`), which moves a temperature (`degC + delta_degC` is
//!   `degC`) but never becomes one, and nothing else is added to such a temperature (E0343).
//!
//! Every help that proposes a rewrite writes it out from the user's expression
//! (see `unit_help.rs`), so that applying it literally gives the right value.
//!
//! A timestamp minus a timestamp is a duration in seconds (`float[s]`); a timestamp plus or
//! minus a duration (any time unit) is a timestamp.

use super::expr::expr;
use super::flow::a;
use super::unit_help::{self, Place};
use super::Checker;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, ExprKind, Literal, Type};
use crate::source_map::Span;
use crate::syntax::ast::{self, BinaryOp, UnitRef};
use crate::units::Unit;

impl Checker<'_> {
    /// The unit of a `[unit]` written in a mapping.
    pub(super) fn unit(&mut self, written: &UnitRef) -> Option<Unit> {
        if let Some(unit) = self.units.get(&written.text) {
            return Some(unit.clone());
        }
        match Unit::parse(&written.text) {
            Ok(unit) => {
                self.units.insert(written.text.clone(), unit.clone());
                Some(unit)
            }
            Err(e) => {
                self.report(
                    Diagnostic::error(Code::UnknownUnitInMapping, e.message.clone())
                        .label(written.span, "not a unit fdi knows")
                        .help(match e.suggestion {
                            Some(s) => format!("did you mean `{s}`? {}", unit_help::replace(&written.text, &s)),
                            None => "units are written like mm, rpm, N*m, mm/min, m/s^2, degC; docs/language.md lists them".into(),
                        }),
                );
                None
            }
        }
    }

    /// The type `float[unit]`.
    pub(super) fn unit_type(&mut self, written: &UnitRef) -> Option<Type> {
        self.unit(written).map(Type::Quantity)
    }

    /// `25.4[mm]`
    pub(super) fn quantity(
        &mut self,
        number: &ast::Literal,
        written: &UnitRef,
    ) -> Option<ir::Expr> {
        let unit = self.unit(written)?;
        let value = match number {
            ast::Literal::Int(i) => *i as f64,
            ast::Literal::Float(f) => *f,
            _ => return None,
        };
        Some(expr(
            ExprKind::Literal(Literal::Float(value)),
            Type::Quantity(unit),
            None,
        ))
    }

    /// `value as [unit]`: converts a quantity to another unit of its dimension, or states the
    /// unit of a number that has none.
    pub(super) fn convert(
        &mut self,
        value: ir::Expr,
        value_expr: &ast::Expr,
        written: &UnitRef,
    ) -> Option<ir::Expr> {
        let value_span = value_expr.span;
        let to = self.unit(written)?;
        let maybe = value.maybe.clone();
        match value.ty.clone() {
            Type::Float => Some(ir::Expr {
                ty: Type::Quantity(to),
                ..value
            }),
            Type::Int => Some(expr(
                ExprKind::IntToFloat(Box::new(value)),
                Type::Quantity(to),
                maybe,
            )),
            Type::Quantity(from) => {
                if from.confuses_difference(&to) {
                    self.report(unit_help::difference_converted(&from, &to, value_expr));
                    return None;
                }
                if let Some(difference) = from.angle_difference(&to) {
                    self.report(unit_help::angle_not_stated(
                        &from,
                        &to,
                        difference,
                        value_expr,
                        Place::AsOperand,
                    ));
                    return None;
                }
                let Some(conversion) = from.conversion_to(&to) else {
                    self.report(
                        Diagnostic::error(
                            Code::DimensionMismatch,
                            format!("cannot convert {} to {}: {} is not {}", from, to, from.dimension_name(), to.dimension_name()),
                        )
                        .label(value_span, format!("in {from} ({})", from.dimension_name()))
                        .label(written.span, format!("{} ({})", to, to.dimension_name()))
                        .help("`as` converts between units of the same dimension; check which quantity this is"),
                    );
                    return None;
                };
                if conversion.is_identity() {
                    return Some(ir::Expr {
                        ty: Type::Quantity(to),
                        ..value
                    });
                }
                Some(expr(
                    ExprKind::Convert {
                        value: Box::new(value),
                        arithmetic: conversion.arithmetic,
                    },
                    Type::Quantity(to),
                    maybe,
                ))
            }
            other => {
                self.report(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        format!("{} cannot have a unit", a(&other)),
                    )
                    .label(value_span, format!("this is {}", a(&other)))
                    .help(
                        "units of measure go on numbers: parse text first with `parse_float(...)`",
                    ),
                );
                None
            }
        }
    }

    /// Binary operators where a quantity or a timestamp is involved; `None` when neither
    /// operand is one (the plain rules apply).
    pub(super) fn unit_binary(
        &mut self,
        op: BinaryOp,
        left: &ir::Expr,
        right: &ir::Expr,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
    ) -> Option<Option<(ir::BinaryOp, Type)>> {
        let involved = |t: &Type| matches!(t, Type::Quantity(_) | Type::Timestamp);
        if !involved(&left.ty) && !involved(&right.ty) {
            return None;
        }
        if matches!(left.ty, Type::Timestamp) || matches!(right.ty, Type::Timestamp) {
            return self.time_binary(op, left, right, lhs, rhs);
        }
        let symbol = op.symbol();
        if let (Type::Quantity(l), Type::Quantity(r)) = (&left.ty, &right.ty) {
            let multiplies = matches!(op, BinaryOp::Mul | BinaryOp::Div);
            if (l.has_offset() || r.has_offset()) && !multiplies {
                return Some(self.offset_binary(op, l, r, lhs, rhs));
            }
        }
        let result = match op {
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Rem => self
                .same_units(symbol, left, right, lhs, rhs)
                .map(|unit| (arith(op), Type::Quantity(unit))),
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => self
                .same_units(symbol, left, right, lhs, rhs)
                .map(|_| (compare(op), Type::Bool)),
            BinaryOp::Mul | BinaryOp::Div => self.derive(op, left, right, lhs, rhs),
            BinaryOp::And | BinaryOp::Or | BinaryOp::Coalesce => return None,
        };
        Some(result)
    }

    /// `+`, `-`, `%` and comparisons where a temperature on an offset scale (degC, degF) is
    /// involved: `t1 - t2` is a difference, `t + d` and `d + t` are temperatures, `t - d` is
    /// a temperature, temperatures compare with temperatures.
    fn offset_binary(
        &mut self,
        op: BinaryOp,
        l: &Unit,
        r: &Unit,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
    ) -> Option<(ir::BinaryOp, Type)> {
        if !l.same_dimension(r) {
            self.report(dimension_mismatch(op.symbol(), l, r, lhs.span, rhs.span));
            return None;
        }
        if op == BinaryOp::Rem {
            let (unit, operand) = if l.has_offset() { (l, lhs) } else { (r, rhs) };
            self.report(unit_help::offset_scaled(
                op,
                unit,
                operand,
                lhs.span.to(rhs.span),
            ));
            return None;
        }
        if let Some(diagnostic) = unit_help::offset_operands(op, l, r, lhs, rhs) {
            self.report(diagnostic);
            return None;
        }
        let symbol = op.symbol();
        let (left, right) = ((l, lhs), (r, rhs));
        if !matches!(op, BinaryOp::Add | BinaryOp::Sub) {
            // Temperatures compare on one scale; converting either side is exact.
            if !l.same_unit(r) {
                self.report(unit_help::missing_conversion(symbol, left, right, (rhs, l)));
                return None;
            }
            return Some((compare(op), Type::Bool));
        }
        let difference_of = |u: &Unit| u.difference_unit().unwrap_or_else(|| u.clone());
        // Which operand must be in which unit, and the unit of the result.
        let (fix, to, result) = match (l.has_offset(), r.has_offset()) {
            // t1 - t2: temperatures on one scale give a difference.
            (true, true) => (rhs, l.clone(), difference_of(l)),
            // t ± d: a difference on the temperature's scale moves it.
            (true, false) => (rhs, difference_of(l), l.clone()),
            // d + t
            (false, _) => (lhs, difference_of(r), r.clone()),
        };
        let fixed = if std::ptr::eq(fix, rhs) { r } else { l };
        if !fixed.same_unit(&to) {
            self.report(unit_help::missing_conversion(
                symbol,
                left,
                right,
                (fix, &to),
            ));
            return None;
        }
        Some((arith(op), Type::Quantity(result)))
    }

    /// The unit two operands share; reports when they have none in common.
    fn same_units(
        &mut self,
        symbol: &str,
        left: &ir::Expr,
        right: &ir::Expr,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
    ) -> Option<Unit> {
        match (&left.ty, &right.ty) {
            (Type::Quantity(l), Type::Quantity(r)) => {
                if l.same_unit(r) {
                    return Some(l.clone());
                }
                let diagnostic = if l.same_dimension(r) {
                    unit_help::missing_conversion(symbol, (l, lhs), (r, rhs), (rhs, l))
                } else if let Some(difference) = r.angle_difference(l) {
                    // Change the side that was computed, since declared units are deliberate.
                    if unit_help::is_product(rhs) || !unit_help::is_product(lhs) {
                        unit_help::angle_not_stated(r, l, difference, rhs, Place::Operand)
                    } else {
                        unit_help::angle_not_stated(l, r, -difference, lhs, Place::Operand)
                    }
                } else {
                    dimension_mismatch(symbol, l, r, lhs.span, rhs.span)
                };
                self.report(diagnostic);
                None
            }
            (Type::Quantity(unit), other) | (other, Type::Quantity(unit)) => {
                let (bare, bare_span) = if matches!(left.ty, Type::Quantity(_)) {
                    (right, rhs.span)
                } else {
                    (left, lhs.span)
                };
                if is_zero_literal(bare) && !unit.has_offset() {
                    return Some(unit.clone());
                }
                let message = if matches!(other, Type::Int | Type::Float) {
                    format!("`{symbol}` combines a value in {unit} with a number that has no unit")
                } else {
                    format!(
                        "`{symbol}` cannot combine a value in {unit} with {}",
                        a(other)
                    )
                };
                let code = if matches!(other, Type::Int | Type::Float) {
                    Code::MissingUnit
                } else {
                    Code::TypeMismatch
                };
                let bare_expr = if matches!(left.ty, Type::Quantity(_)) {
                    rhs
                } else {
                    lhs
                };
                let help = if code == Code::MissingUnit {
                    format!(
                        "give the number its unit: {}",
                        unit_help::replace(
                            &unit_help::text(bare_expr),
                            &unit_help::with_unit(bare_expr, unit)
                        )
                    )
                } else {
                    "units of measure go on numbers".to_owned()
                };
                self.report(
                    Diagnostic::error(code, message)
                        .label(bare_span, format!("this is {}", a(other)))
                        .help(help),
                );
                None
            }
            _ => None,
        }
    }

    /// `*` and `/`: scaling by a plain number keeps the unit; two quantities derive one.
    fn derive(
        &mut self,
        op: BinaryOp,
        left: &ir::Expr,
        right: &ir::Expr,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
    ) -> Option<(ir::BinaryOp, Type)> {
        let plain = |t: &Type| matches!(t, Type::Int | Type::Float);
        for (ty, operand) in [(&left.ty, lhs), (&right.ty, rhs)] {
            if let Type::Quantity(unit) = ty {
                if unit.has_offset() {
                    self.report(unit_help::offset_scaled(
                        op,
                        unit,
                        operand,
                        lhs.span.to(rhs.span),
                    ));
                    return None;
                }
            }
        }
        let unit = match (&left.ty, &right.ty) {
            (Type::Quantity(u), t) if plain(t) => u.clone(),
            (t, Type::Quantity(u)) if plain(t) && op == BinaryOp::Mul => u.clone(),
            (t, Type::Quantity(u)) if plain(t) => {
                self.unit_result(Unit::dimensionless().div(u), rhs.span)?
            }
            (Type::Quantity(l), Type::Quantity(r)) => {
                let derived = if op == BinaryOp::Mul {
                    l.mul(r)
                } else {
                    l.div(r)
                };
                self.unit_result(derived, lhs.span.to(rhs.span))?
            }
            (l, r) => {
                let other = if matches!(l, Type::Quantity(_)) { r } else { l };
                self.report(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        format!(
                            "`{}` cannot combine a quantity with {}",
                            op.symbol(),
                            a(other)
                        ),
                    )
                    .label(lhs.span, format!("this is {}", a(l)))
                    .label(rhs.span, format!("this is {}", a(r)))
                    .help("arithmetic needs numbers"),
                );
                return None;
            }
        };
        // A ratio of like quantities (mm/mm) is a plain number again.
        let ty = if unit.is_dimensionless()
            && unit
                .conversion_to(&Unit::dimensionless())
                .is_some_and(|c| c.is_identity())
        {
            Type::Float
        } else {
            Type::Quantity(unit)
        };
        Some((arith(op), ty))
    }

    fn unit_result(
        &mut self,
        result: Result<Unit, crate::units::UnitError>,
        span: Span,
    ) -> Option<Unit> {
        match result {
            Ok(unit) => Some(unit),
            Err(e) => {
                self.report(
                    Diagnostic::error(Code::UnitArithmetic, e.message.clone())
                        .label(span, "no unit for this result")
                        .help(match e.suggestion {
                            Some(unit) => {
                                format!("convert to `{unit}` first, as in `(value as [{unit}])`")
                            }
                            None => "check the units of both operands".into(),
                        }),
                );
                None
            }
        }
    }

    /// Timestamps: `t2 - t1` is seconds, `t ± duration` is a timestamp, timestamps compare.
    fn time_binary(
        &mut self,
        op: BinaryOp,
        left: &ir::Expr,
        right: &ir::Expr,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
    ) -> Option<Option<(ir::BinaryOp, Type)>> {
        let is_duration =
            |t: &Type| matches!(t, Type::Quantity(u) if u.same_dimension(&Unit::second()));
        let result = match (op, &left.ty, &right.ty) {
            (BinaryOp::Sub, Type::Timestamp, Type::Timestamp) => {
                Some((ir::BinaryOp::Sub, Type::Quantity(Unit::second())))
            }
            (BinaryOp::Add | BinaryOp::Sub, Type::Timestamp, d) if is_duration(d) => {
                Some((arith(op), Type::Timestamp))
            }
            (BinaryOp::Add, d, Type::Timestamp) if is_duration(d) => {
                Some((ir::BinaryOp::Add, Type::Timestamp))
            }
            (
                BinaryOp::Eq
                | BinaryOp::Ne
                | BinaryOp::Lt
                | BinaryOp::Le
                | BinaryOp::Gt
                | BinaryOp::Ge,
                Type::Timestamp,
                Type::Timestamp,
            ) => Some((compare(op), Type::Bool)),
            (BinaryOp::And | BinaryOp::Or | BinaryOp::Coalesce, ..) => return None,
            _ => None,
        };
        if result.is_none() {
            let (code, help) = match (&left.ty, &right.ty) {
                (Type::Timestamp, Type::Int | Type::Float) | (Type::Int | Type::Float, Type::Timestamp) => (
                    Code::MissingUnit,
                    "a duration needs a time unit: write `t + 5[min]` or `t - 250[ms]`".to_string(),
                ),
                _ => (
                    Code::TypeMismatch,
                    "timestamps subtract to a duration in seconds, add a duration (a number with a time unit), and compare with timestamps".to_string(),
                ),
            };
            self.report(
                Diagnostic::error(
                    code,
                    format!(
                        "`{}` cannot combine {} and {}",
                        op.symbol(),
                        a(&left.ty),
                        a(&right.ty)
                    ),
                )
                .label(lhs.span, format!("this is {}", a(&left.ty)))
                .label(rhs.span, format!("this is {}", a(&right.ty)))
                .help(help),
            );
        }
        Some(result)
    }

    /// Where a value must fit a unit (assignment, argument, `??` default), or a unit-less
    /// float: the diagnostics for every way a unit can be wrong. `None` when neither side
    /// has a unit.
    pub(super) fn unit_mismatch(
        &mut self,
        value: &ir::Expr,
        expected: &Type,
        written: &ast::Expr,
        what: &str,
        declared_at: Option<Span>,
    ) -> Option<Diagnostic> {
        let span = written.span;
        let old = unit_help::text(written);
        let diagnostic = match (&value.ty, expected) {
            (Type::Quantity(found), Type::Quantity(want)) if found.confuses_difference(want) => {
                unit_help::difference_assigned(what, found, want, written)
            }
            (Type::Quantity(found), Type::Quantity(want)) if found.same_dimension(want) => Diagnostic::error(
                Code::MissingConversion,
                format!("{what} is in {want}, but this value is in {found}"),
            )
            .label(span, format!("in {found}"))
            .help(format!("convert it explicitly (fdi never converts silently): {}", unit_help::replace(&old, &unit_help::converted(written, want)))),
            (Type::Quantity(found), Type::Quantity(want)) if found.angle_difference(want).is_some() => {
                let difference = found.angle_difference(want).unwrap_or_default();
                unit_help::angle_not_stated(found, want, difference, written, Place::Whole)
            }
            (Type::Quantity(found), Type::Quantity(want)) => dimension_mismatch_into(what, found, want, span),
            (Type::Int | Type::Float, Type::Quantity(want)) => Diagnostic::error(
                Code::MissingUnit,
                format!("{what} is in {want}, but this value has no unit"),
            )
            .label(span, "no unit")
            .help(format!("state the unit the value is in: {}; if the source field has a unit, declare it in the schema (`float[{want}]`)", unit_help::replace(&old, &unit_help::with_unit(written, want)))),
            (Type::Quantity(found), Type::Float) => Diagnostic::error(
                Code::MissingUnit,
                format!("{what} declares no unit, but this value is in {found}"),
            )
            .label(span, format!("in {found}"))
            .help(format!("declare the unit in the schema (`float[{found}]`), or turn the value into a plain number: {}", unit_help::replace(&old, &unit_help::plain_number(written, found)))),
            _ => return None,
        };
        Some(match declared_at {
            Some(at) => diagnostic.label(at, format!("declared as {} here", a(expected))),
            None => diagnostic,
        })
    }
}

fn is_zero_literal(e: &ir::Expr) -> bool {
    matches!(e.kind, ExprKind::Literal(Literal::Int(0)))
        || matches!(e.kind, ExprKind::Literal(Literal::Float(f)) if f == 0.0)
}

fn dimension_mismatch(symbol: &str, l: &Unit, r: &Unit, ls: Span, rs: Span) -> Diagnostic {
    Diagnostic::error(
        Code::DimensionMismatch,
        format!(
            "`{symbol}` combines {} in {l} with {} in {r}",
            l.dimension_name(),
            r.dimension_name()
        ),
    )
    .label(ls, format!("{} in {l}", l.dimension_name()))
    .label(rs, format!("{} in {r}", r.dimension_name()))
    .help("these are different physical quantities; check that the right fields are used")
}

fn dimension_mismatch_into(what: &str, found: &Unit, want: &Unit, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::DimensionMismatch,
        format!("{what} is {} in {want}, but this value is {} in {found}", want.dimension_name(), found.dimension_name()),
    )
    .label(span, format!("{} in {found}", found.dimension_name()))
    .help("these are different physical quantities; check that the right field is used, or derive the quantity with `*` and `/`")
}

fn arith(op: BinaryOp) -> ir::BinaryOp {
    match op {
        BinaryOp::Add => ir::BinaryOp::Add,
        BinaryOp::Sub => ir::BinaryOp::Sub,
        BinaryOp::Mul => ir::BinaryOp::Mul,
        BinaryOp::Div => ir::BinaryOp::Div,
        _ => ir::BinaryOp::Rem,
    }
}

fn compare(op: BinaryOp) -> ir::BinaryOp {
    match op {
        BinaryOp::Eq => ir::BinaryOp::Eq,
        BinaryOp::Ne => ir::BinaryOp::Ne,
        BinaryOp::Lt => ir::BinaryOp::Lt,
        BinaryOp::Le => ir::BinaryOp::Le,
        BinaryOp::Gt => ir::BinaryOp::Gt,
        _ => ir::BinaryOp::Ge,
    }
}
