//! Type compatibility: which values may go where, and the diagnostics when they may not.

use super::flow::{a, a_named};
use super::Checker;
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::ir::{self, ExprKind, Maybe, Type};
use crate::schema::FieldType;
use crate::source_map::Span;
use crate::syntax::ast;

/// The type of a schema field's value: its type, with the field's unit for floats.
pub(super) fn value_type(field: &crate::schema::Field) -> Type {
    match (&field.ty, &field.unit) {
        (FieldType::Float, Some(unit)) => Type::Quantity(unit.unit.clone()),
        (ty, _) => field_type(ty),
    }
}

pub(super) fn field_type(ty: &FieldType) -> Type {
    match ty {
        FieldType::String => Type::String,
        FieldType::Int => Type::Int,
        FieldType::Float => Type::Float,
        FieldType::Bool => Type::Bool,
        FieldType::Timestamp => Type::Timestamp,
        FieldType::Identifier(n) => Type::Identifier(n.clone()),
        FieldType::Enum(n) => Type::Enum(n.clone()),
    }
}

impl Checker<'_> {
    /// A type as written in a function signature: a built-in type, an identifier type or an
    /// enum, and for floats an optional unit.
    pub(super) fn type_ref(&mut self, written: &ast::TypeRef) -> Option<Type> {
        let name = written.name.name.as_str();
        let ty = if let Some(builtin) = FieldType::builtin(name) {
            field_type(&builtin)
        } else if self.schema.identifiers.contains_key(name) {
            Type::Identifier(name.to_string())
        } else if self.schema.enums.contains_key(name) {
            Type::Enum(name.to_string())
        } else {
            let candidates = FieldType::BUILTIN
                .iter()
                .copied()
                .chain(self.schema.identifiers.keys().map(String::as_str))
                .chain(self.schema.enums.keys().map(String::as_str));
            self.report(
                Diagnostic::error(Code::UnknownName, format!("unknown type `{name}`"))
                    .label(written.name.span, "not a type")
                    .help(did_you_mean(name, candidates).unwrap_or_else(|| {
                        "a type is string, int, float (with a unit: float[mm]), bool, timestamp, or an identifier type or enum of the schemas".into()
                    })),
            );
            return None;
        };
        match (&written.unit, ty) {
            (None, ty) => Some(ty),
            (Some(unit), Type::Float) => self.unit_type(unit),
            (Some(unit), other) => {
                self.report(
                    Diagnostic::error(
                        Code::UnitArithmetic,
                        format!("{} cannot have a unit", a(&other)),
                    )
                    .label(unit.span, "unit on a type that is not float")
                    .help("units of measure go on floats: `float[mm]`"),
                );
                None
            }
        }
    }

    /// Makes `value` fit `expected`: the same type, or an int widened to a float. Anything else
    /// is reported; identifier types get their own diagnostic, since mixing them up is the
    /// mistake they exist to catch.
    pub(super) fn coerce(
        &mut self,
        value: ir::Expr,
        expected: &Type,
        written: &ast::Expr,
        what: &str,
        declared_at: Option<Span>,
    ) -> Option<ir::Expr> {
        let span = written.span;
        if &value.ty == expected {
            return Some(value);
        }
        // `N*m*rad/s` is `W`: the same unit under another name needs no conversion.
        if let (Type::Quantity(found), Type::Quantity(want)) = (&value.ty, expected) {
            if found.same_unit(want) {
                return Some(ir::Expr {
                    ty: expected.clone(),
                    ..value
                });
            }
        }
        if let Some(diagnostic) = self.unit_mismatch(&value, expected, written, what, declared_at) {
            // A literal 0 is zero in any unit without an offset.
            let zero = matches!(value.kind, ExprKind::Literal(ir::Literal::Int(0)))
                || matches!(value.kind, ExprKind::Literal(ir::Literal::Float(f)) if f == 0.0);
            if let (true, Type::Quantity(unit)) = (zero, expected) {
                if !unit.has_offset() {
                    return Some(ir::Expr {
                        kind: ExprKind::Literal(ir::Literal::Float(0.0)),
                        ty: expected.clone(),
                        maybe: value.maybe,
                    });
                }
            }
            self.report(diagnostic);
            return None;
        }
        if value.ty == Type::Int && *expected == Type::Float {
            self.warn_int_division(written, &value, what);
            let maybe = value.maybe.clone();
            return Some(ir::Expr {
                kind: ExprKind::IntToFloat(Box::new(value)),
                ty: Type::Float,
                maybe,
            });
        }
        let mut diagnostic = match (&value.ty, expected) {
            (Type::String, Type::Identifier(id)) => Diagnostic::error(
                Code::IdentifierMixUp,
                format!("{what} expects {}, not a plain string", a_named(id)),
            )
            .label(span, "this is a string")
            .help(format!("identifiers are checked against their rules: convert with `{id}(...)`, which may fail and must be handled")),
            (Type::Identifier(found), Type::Identifier(id)) => Diagnostic::error(
                Code::IdentifierMixUp,
                format!("{what} expects {}, but this is {}", a_named(id), a_named(found)),
            )
            .label(span, format!("this is {}", a_named(found)))
            .help(self.crosswalk_hint(&value, written, id).unwrap_or_else(|| format!("`{found}` and `{id}` are different identifier types; if this really is the same thing, map it through a lookup (a crosswalk) from `{found}` to `{id}`"))),
            (Type::Identifier(found), Type::String) => Diagnostic::error(
                Code::IdentifierMixUp,
                format!("{what} expects a string, but this is {}", a_named(found)),
            )
            .label(span, format!("this is {}", a_named(found)))
            .help("write `string(...)` to use the identifier's text"),
            (found, Type::Identifier(id)) => Diagnostic::error(
                Code::IdentifierMixUp,
                format!("{what} expects {}, but this is {}", a_named(id), a(found)),
            )
            .label(span, format!("this is {}", a(found)))
            .help(format!("build the identifier with `{id}(...)` from its text")),
            (Type::Float, Type::Int) => Diagnostic::error(Code::TypeMismatch, format!("{what} expects an int, but this is a float"))
                .label(span, "this is a float")
                .help("convert with `to_int(...)` (fails on fractions) or `to_int(round(x, 0))`"),
            (found, expected) => Diagnostic::error(Code::TypeMismatch, format!("{what} expects {}, but this is {}", a(expected), a(found)))
                .label(span, format!("this is {}", a(found)))
                .help(conversion_hint(found, expected)),
        };
        if let Some(declared_at) = declared_at {
            diagnostic = diagnostic.label(declared_at, format!("declared as {} here", a(expected)));
        }
        self.report(diagnostic);
        None
    }

    /// When a field of a lookup record has the wrong identifier type and the same record has a
    /// field of the right one (a crosswalk row read on the wrong side), names that field.
    /// The suggestion is the whole expression, `row.erp_material`, as the label covers it.
    fn crosswalk_hint(
        &self,
        value: &ir::Expr,
        written: &ast::Expr,
        wanted: &str,
    ) -> Option<String> {
        let ExprKind::EntityField { base, field, .. } = &value.kind else {
            return None;
        };
        let Type::Entity(entity) = &base.ty else {
            return None;
        };
        let entity = self.schema.entities.get(entity)?;
        let right = entity
            .fields
            .iter()
            .find(|f| f.ty == FieldType::Identifier(wanted.to_string()))?;
        let found = entity.field(field)?;
        let found_ty = match &found.ty {
            FieldType::Identifier(t) => t.as_str(),
            _ => return None,
        };
        let ast::ExprKind::Field(base, _) = &written.kind else {
            return None;
        };
        Some(format!(
            "did you mean `{}.{}`? `{}` relates `{found_ty}` (`.{field}`) to `{wanted}` (`.{}`), and this reads the `{found_ty}` side",
            super::unit_help::operand(base), right.name, entity.name, right.name
        ))
    }

    /// Reports a value that may be absent or fail where a plain value is needed.
    pub(super) fn expect_plain(
        &mut self,
        value: &ir::Expr,
        span: Span,
        context: &str,
    ) -> Option<()> {
        let Some(maybe) = &value.maybe else {
            return Some(());
        };
        let handle = "handle it with `?? default`, or with `else reject \"reason\"` on a `let` or assignment";
        let diagnostic = match maybe {
            Maybe::Optional { field } => Diagnostic::error(
                Code::UnhandledOptional,
                format!("`{field}` is optional and may be absent, but {context} needs a value"),
            )
            .label(span, "may be absent")
            .help(format!(
                "{handle}; an optional value may also go into an optional target field"
            )),
            Maybe::LookupMiss { lookup } => Diagnostic::error(
                Code::UnhandledLookupMiss,
                format!(
                    "lookup `{lookup}` may have no entry for this key, but {context} needs a value"
                ),
            )
            .label(span, "may miss")
            .help(format!(
                "{handle}; master data changes, so a miss must be decided in the mapping"
            )),
            Maybe::Failure { operation } => Diagnostic::error(
                Code::UnhandledFailure,
                format!("{operation} may fail, but {context} needs a value"),
            )
            .label(span, "may fail")
            .help(handle.to_string()),
            Maybe::Quality { field } => Diagnostic::error(
                Code::UnhandledQuality,
                format!("`{field}` is a value only when its quality is GOOD, but {context} needs a value"),
            )
            .label(span, "quality may be UNCERTAIN or BAD")
            .help(format!(
                "{handle}; or use `{field}.value` to take the value whatever its quality, deciding with `{field}.quality`"
            )),
        };
        self.report(diagnostic);
        None
    }
}

fn conversion_hint(found: &Type, expected: &Type) -> String {
    match (found, expected) {
        (Type::String, Type::Int) => "parse it with `parse_int(...)`, which may fail and must be handled".into(),
        (Type::String, Type::Float) => "parse it with `parse_float(...)`, which may fail and must be handled".into(),
        (Type::String, Type::Timestamp) => "parse it with `parse_timestamp(...)`, which may fail and must be handled".into(),
        (_, Type::String) => "convert it with `string(...)`".into(),
        (Type::String, Type::Enum(e)) => format!("map the text to a code with `match`, for example `match x {{ \"a\" => {e}.CODE, _ => ... }}`"),
        _ => format!("the value must be {}", a(expected)),
    }
}
