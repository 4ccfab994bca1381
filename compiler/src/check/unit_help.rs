//! The unit diagnostics whose help proposes a rewrite, and the rewrites themselves.
//!
//! A proposed rewrite is always phrased ``replace `OLD` with `NEW` ``, where `OLD` is the text
//! of one of the diagnostic's labels (or occurs once in the file) and `NEW` is written from the
//! user's own expression, so that the fix can be applied literally. When a fix depends on what
//! the value means (does a rate count cycles or radians?), the help names each meaning with
//! its own rewrite, the usual one first. `compiler/tests/unit_fixes.rs` applies the first
//! rewrite of every unit diagnostic's case file and checks the value the program then writes.

use crate::diagnostic::{Code, Diagnostic};
use crate::format::format_expression;
use crate::syntax::ast::{self, BinaryOp, ExprKind};
use crate::units::{Dimension, Unit};

/// Where the expression a rewrite replaces stands, which decides its parentheses and whether
/// it needs an `as`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    /// The operand of `value as [unit]`: the `as` converts, the rewrite only needs parentheses.
    AsOperand,
    /// A whole value: a field's value, a function's body or argument.
    Whole,
    /// An operand of `+`, `-`, `%` or a comparison.
    Operand,
}

/// The expression as its author would write it (canonically formatted).
pub(super) fn text(e: &ast::Expr) -> String {
    format_expression(e)
}

/// The expression ready to take a postfix `as [unit]` or a `* factor`: parenthesised unless
/// it is a single operand (a name, a field, a call, a literal).
pub(super) fn operand(e: &ast::Expr) -> String {
    let text = text(e);
    match e.kind {
        ExprKind::Literal(_)
        | ExprKind::Name(_)
        | ExprKind::Field(..)
        | ExprKind::Index(..)
        | ExprKind::Call(..)
        | ExprKind::Quantity(..) => text,
        _ => format!("({text})"),
    }
}

pub(super) fn replace(old: &str, new: &str) -> String {
    format!("replace `{old}` with `{new}`")
}

/// `value as [unit]` for a value whose unit is converted or stated.
pub(super) fn converted(e: &ast::Expr, to: &Unit) -> String {
    format!("{} as [{to}]", operand(e))
}

/// A quantity as a plain number in its unit: `x / 1[mm]`; a temperature on an offset scale,
/// which cannot be divided, as its difference from the scale's zero: `(t - 0[degC]) / 1[delta_degC]`.
pub(super) fn plain_number(e: &ast::Expr, unit: &Unit) -> String {
    match unit.difference_unit() {
        Some(difference) => format!("({} - 0[{unit}]) / 1[{difference}]", text(e)),
        None => format!("{} / 1[{unit}]", operand(e)),
    }
}

/// A number without a unit given one: `2.5[mm]` for a literal, `n as [mm]` otherwise.
pub(super) fn with_unit(e: &ast::Expr, unit: &Unit) -> String {
    match &e.kind {
        ExprKind::Literal(ast::Literal::Int(_) | ast::Literal::Float(_)) => {
            format!("{}[{unit}]", text(e))
        }
        _ => converted(e, unit),
    }
}

/// Whether a quantity of this dimension (angle left out) counts things rather than measures
/// them: a pure number or a rate. Removing an angle from an angular speed to get a rate
/// counts revolutions; removing it from a power takes the angle in radians.
fn counts(dim: Dimension) -> bool {
    let rate = Dimension::new([0, 0, -1, 0, 0, 0, 0, 0]);
    let plain = dim.without_angle();
    plain.is_dimensionless() || plain == rate
}

/// E0342: a value in `from` used in `to`, which differ only in their power of angle
/// (`difference` = angle of `to` minus angle of `from`).
pub(super) fn angle_not_stated(
    from: &Unit,
    to: &Unit,
    difference: i32,
    value: &ast::Expr,
    place: Place,
) -> Diagnostic {
    let adding = difference > 0;
    let message = if adding {
        format!(
            "a value in {from} ({}) becomes {to} ({}) only by saying which angle it counts",
            from.dimension_name(),
            to.dimension_name()
        )
    } else {
        format!(
            "a value in {from} ({}) becomes {to} ({}) only by saying how its angle is dropped",
            from.dimension_name(),
            to.dimension_name()
        )
    };
    // Dropping an angle from anything but a count takes it in radians, as SI does (power is
    // torque times angular speed in rad/s); revolutions would be a wrong value there.
    let counting = counts(to.dimension());
    let angles: &[&str] = if adding || counting {
        &["rev", "rad"]
    } else {
        &["rad"]
    };
    let old = text(value);
    let fixes: Vec<String> = angles
        .iter()
        .filter_map(|angle| {
            let new = angle_rewrite(from, to, difference, value, place, angle)?;
            let meaning = match (*angle, adding, counting) {
                ("rev", true, _) => "if the angle is in revolutions or cycles (a count of events, one over a period, a value per revolution)",
                ("rev", false, _) => "if the result counts revolutions or cycles",
                (_, true, _) => "if it is in radians",
                (_, false, true) => "if it counts radians",
                (_, false, false) => "drop it as radians, as SI does (power is torque times angular speed in rad/s, a length is a radius times an angle in rad)",
            };
            Some(format!("{meaning}, {}", replace(&old, &new)))
        })
        .collect();
    let why = format!("{from} and {to} differ by an angle, which SI leaves out and fdi does not, so that no factor 2*pi appears or vanishes silently");
    Diagnostic::error(Code::AngleNotStated, message)
        .label(value.span, format!("in {from} ({})", from.dimension_name()))
        .help(format!("{why}. {}", capitalised(&fixes.join("; "))))
}

/// The rewrite that multiplies (or divides) the value by one `angle` per missing power.
fn angle_rewrite(
    from: &Unit,
    to: &Unit,
    difference: i32,
    value: &ast::Expr,
    place: Place,
    angle: &str,
) -> Option<String> {
    let power = difference.unsigned_abs();
    let one = if power == 1 {
        format!("1[{angle}]")
    } else {
        format!("1[{angle}^{power}]")
    };
    let angle_unit = Unit::parse(angle)
        .ok()?
        .powi(i32::try_from(power).ok()?)
        .ok()?;
    let (fixed, op) = if difference > 0 {
        (from.mul(&angle_unit).ok()?, "*")
    } else {
        (from.div(&angle_unit).ok()?, "/")
    };
    // `a * b / 1[rad]` needs no parentheses around `a * b`; `(a + b) / 1[rad]` does.
    let base = match &value.kind {
        ExprKind::Binary(BinaryOp::Mul | BinaryOp::Div, ..) => text(value),
        _ => operand(value),
    };
    let product = format!("{base} {op} {one}");
    Some(match place {
        Place::AsOperand => format!("({product})"),
        Place::Whole if fixed.same_unit(to) => product,
        Place::Operand if fixed.same_unit(to) => format!("({product})"),
        Place::Whole | Place::Operand => format!("({product}) as [{to}]"),
    })
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The unit of differences of an offset unit, as text (`delta_degC` for `degC`).
fn difference_of(unit: &Unit) -> String {
    unit.difference_unit()
        .map_or_else(|| unit.to_string(), |d| d.to_string())
}

/// E0343 for `value as [unit]` between a temperature difference and an offset temperature.
pub(super) fn difference_converted(from: &Unit, to: &Unit, value: &ast::Expr) -> Diagnostic {
    let old = text(value);
    if from.is_temperature_difference() {
        Diagnostic::error(
            Code::TemperatureDifference,
            format!("a temperature difference in {from} cannot become a temperature in {to}"),
        )
        .label(value.span, format!("a temperature difference in {from}"))
        .help(format!(
            "a difference becomes a temperature only by adding it to one, as in `reference + {}`; as a difference it converts by the factor alone, to `{}` or `K`",
            operand(value),
            difference_of(to)
        ))
    } else {
        Diagnostic::error(
            Code::TemperatureDifference,
            format!("a temperature in {from} cannot become a temperature difference in {to}"),
        )
        .label(value.span, format!("a temperature in {from}"))
        .help(format!(
            "a temperature becomes a difference only by subtracting another from it, as in `{old} - reference`, which is in {}",
            difference_of(from)
        ))
    }
}

/// E0343 for a temperature difference where a temperature on an offset scale is expected, or
/// the other way round. The rewrite of the declaration (`float[degC]` to `float[delta_degC]`)
/// matches the label the caller adds on a declaration in the mapping.
pub(super) fn difference_assigned(
    what: &str,
    found: &Unit,
    want: &Unit,
    value: &ast::Expr,
) -> Diagnostic {
    if found.is_temperature_difference() {
        Diagnostic::error(
            Code::TemperatureDifference,
            format!("{what} is a temperature in {want}, but this value is a temperature difference in {found}"),
        )
        .label(value.span, format!("a temperature difference in {found}"))
        .help(format!(
            "if {what} holds the difference, declare it as one: {}; if it holds a temperature, add the difference to the temperature it is measured from, as in `reference + {}`",
            replace(&format!("float[{want}]"), &format!("float[{found}]")),
            operand(value)
        ))
    } else {
        Diagnostic::error(
            Code::TemperatureDifference,
            format!("{what} is a temperature difference in {want}, but this value is a temperature in {found}"),
        )
        .label(value.span, format!("a temperature in {found}"))
        .help(format!(
            "a temperature becomes a difference only by subtracting another from it, as in `{} - reference`; if {what} holds a temperature, declare it as one: {}",
            text(value),
            replace(&format!("float[{want}]"), &format!("float[{found}]"))
        ))
    }
}

/// E0343 for `+`, `-` and comparisons that mix temperatures on an offset scale with values
/// that are not differences on the same scale. `None` when the rules of `units.rs` apply.
pub(super) fn offset_operands(
    op: BinaryOp,
    l: &Unit,
    r: &Unit,
    lhs: &ast::Expr,
    rhs: &ast::Expr,
) -> Option<Diagnostic> {
    let symbol = op.symbol();
    if op == BinaryOp::Rem {
        return None;
    }
    let comparison = !matches!(op, BinaryOp::Add | BinaryOp::Sub);
    let diagnostic = |message: String, help: String| {
        Diagnostic::error(Code::TemperatureDifference, message)
            .label(lhs.span, describe(l))
            .label(rhs.span, describe(r))
            .help(help)
    };
    if comparison {
        return l.confuses_difference(r).then(|| {
            diagnostic(
                format!("`{symbol}` compares a temperature with a temperature difference"),
                "compare temperatures with temperatures and differences with differences; a difference of two temperatures is `a - b`".to_owned(),
            )
        });
    }
    match (l.has_offset(), r.has_offset(), op) {
        (true, true, BinaryOp::Add) => Some(diagnostic(
            format!("`+` adds two temperatures in {l} and {r}, which have no sum on a scale whose zero is not zero temperature"),
            format!("add a difference to a temperature instead, as in `{} + ({} - other)`; the mean of two temperatures is `{} + ({} - {}) / 2`", operand(lhs), operand(rhs), operand(lhs), operand(rhs), operand(lhs)),
        )),
        (false, true, BinaryOp::Sub) if r.same_dimension(l) => Some(diagnostic(
            format!("`-` subtracts a temperature in {r} from a value in {l}"),
            format!("a difference is subtracted from a temperature (`{} - {}`), and a temperature from another temperature", operand(rhs), operand(lhs)),
        )),
        (true, false, _) | (false, true, BinaryOp::Add) if l.same_dimension(r) => {
            let (temperature, other, other_expr) = if l.has_offset() { (l, r, rhs) } else { (r, l, lhs) };
            if other.is_temperature_difference() {
                return None;
            }
            let difference = temperature.difference_unit()?;
            let as_difference = replace(&text(other_expr), &converted(other_expr, &difference));
            let help = if op == BinaryOp::Sub && l.has_offset() {
                format!(
                    "if it is a temperature difference, {as_difference}; if it is a temperature, {}, and the result is a difference",
                    replace(&text(other_expr), &converted(other_expr, temperature))
                )
            } else {
                format!("a temperature is moved by a temperature difference: if it is one, {as_difference}")
            };
            Some(diagnostic(
                format!("`{symbol}` combines a temperature in {temperature} with a value in {other}, which is not a temperature difference on its scale"),
                help,
            ))
        }
        _ => None,
    }
}

fn describe(unit: &Unit) -> String {
    if unit.has_offset() {
        format!("a temperature in {unit}")
    } else if unit.is_temperature_difference() {
        format!("a temperature difference in {unit}")
    } else {
        format!("in {unit}")
    }
}

/// E0332 for an offset temperature multiplied or divided (by a number or a quantity).
pub(super) fn offset_scaled(
    op: BinaryOp,
    unit: &Unit,
    operand_expr: &ast::Expr,
    span: crate::source_map::Span,
) -> Diagnostic {
    let old = text(operand_expr);
    let kelvin = Unit::parse("K").ok();
    let absolute = kelvin.map_or_else(String::new, |k| converted(operand_expr, &k));
    Diagnostic::error(
        Code::UnitArithmetic,
        format!(
            "`{}` is not defined for a temperature in {unit}: 0 {unit} is not zero temperature",
            op.symbol()
        ),
    )
    .label(span, "no unit for this result")
    .label(operand_expr.span, format!("a temperature in {unit}"))
    .help(format!(
        "use the absolute temperature: {}; or its difference from 0 {unit}: {}",
        replace(&old, &absolute),
        replace(&old, &format!("({old} - 0[{unit}])"))
    ))
}

/// E0329 for operands in the same dimension but different units; the help converts `fix`
/// (one of the operands) to the unit `to`.
pub(super) fn missing_conversion(
    symbol: &str,
    (l, lhs): (&Unit, &ast::Expr),
    (r, rhs): (&Unit, &ast::Expr),
    (fix, to): (&ast::Expr, &Unit),
) -> Diagnostic {
    Diagnostic::error(
        Code::MissingConversion,
        format!("`{symbol}` combines {l} and {r} without a conversion"),
    )
    .label(lhs.span, format!("in {l}"))
    .label(rhs.span, format!("in {r}"))
    .help(format!(
        "convert explicitly (fdi never converts silently): {}",
        replace(&text(fix), &converted(fix, to))
    ))
}

/// Whether an expression computes a unit (`a * b`, `a / b`) rather than reading one.
pub(super) fn is_product(e: &ast::Expr) -> bool {
    matches!(e.kind, ExprKind::Binary(BinaryOp::Mul | BinaryOp::Div, ..))
}
