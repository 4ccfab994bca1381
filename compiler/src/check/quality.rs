//! Signal quality: source fields that carry a quality (good / uncertain / bad, as OPC UA status
//! codes and MTConnect's `UNAVAILABLE` report it) and a source timestamp.
//!
//! Read by name, such a field is its value only when its quality is GOOD; otherwise it is
//! absent, exactly like an optional field that is empty, and the checker makes the mapping
//! decide (`?? default`, `else reject`) before the value can reach a target (E0333). The
//! mapping can also look at the parts on their own: `speed.value` (whatever the quality),
//! `speed.quality` (the built-in enum `Quality`) and `speed.timestamp`.
//!
//! Quality is read from sources only. Lookups are master data and targets receive plain
//! values, so a quality field in their entity is reported where they are declared.

use super::expr::expr;
use super::types::value_type;
use super::Checker;
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::ir::{self, ExprKind, Maybe, SamplePart, Type};
use crate::schema::{Entity, Field};
use crate::syntax::ast::Ident;

use crate::schema::{EnumType, SchemaSet, QUALITY_CODES, QUALITY_ENUM};

/// The parts of a sample a mapping can name after the field: `speed.value`.
const PARTS: [&str; 3] = ["value", "quality", "timestamp"];

impl Checker<'_> {
    /// A quality field of the source record read by name: present only when GOOD.
    pub(super) fn good_sample(&mut self, field: &Field) -> ir::Expr {
        expr(
            ExprKind::SourceSample {
                field: field.name.clone(),
                part: SamplePart::Good,
            },
            value_type(field),
            Some(Maybe::Quality {
                field: field.name.clone(),
            }),
        )
    }

    /// `speed.value`, `speed.quality` or `speed.timestamp` on a quality field of the source.
    pub(super) fn sample_part(&mut self, field: &Field, part: &Ident) -> Option<ir::Expr> {
        let name = field.name.clone();
        let (part_kind, ty, maybe) = match part.name.as_str() {
            "value" => (
                SamplePart::Value,
                value_type(field),
                Some(Maybe::Optional {
                    field: format!("{name}.value"),
                }),
            ),
            "quality" => (SamplePart::Quality, Type::Enum(QUALITY_ENUM.into()), None),
            "timestamp" => (
                SamplePart::Timestamp,
                Type::Timestamp,
                Some(Maybe::Optional {
                    field: format!("{name}.timestamp"),
                }),
            ),
            other => {
                self.report(
                    Diagnostic::error(Code::UnknownField, format!("`{name}` has no part `{other}`"))
                        .label(part.span, "unknown part")
                        .help(did_you_mean(other, PARTS).unwrap_or_else(|| {
                            format!("a field with quality has `{name}.value`, `{name}.quality` and `{name}.timestamp`; `{name}` alone is its value when the quality is GOOD")
                        })),
                );
                return None;
            }
        };
        Some(expr(
            ExprKind::SourceSample {
                field: name,
                part: part_kind,
            },
            ty,
            maybe,
        ))
    }

    /// Lookups and targets cannot have quality fields; reported at their declaration.
    pub(super) fn no_quality_fields(
        &mut self,
        entity: &Entity,
        role: &str,
        declared_at: &Ident,
    ) -> bool {
        let Some(field) = entity.fields.iter().find(|f| f.quality.is_some()) else {
            return true;
        };
        self.report(
            Diagnostic::error(
                Code::QualityNotHere,
                format!("{role} `{}` uses `{}`, whose field `{}` carries a quality", declared_at.name, entity.name, field.name),
            )
            .label(declared_at.span, format!("a {role}"))
            .label(field.span, "declared with `quality: true` here")
            .help(format!("quality is read from sources; {role}s hold plain values. Use another entity for the {role}, without `quality`")),
        );
        false
    }
}

/// The schemas with the built-in `Quality` enum added when some field carries a quality, so
/// that `speed.quality` is an enum like any other (matched exhaustively). A schema that
/// declares its own `Quality` then clashes with it.
pub(super) fn with_quality_enum(schema: &SchemaSet) -> (SchemaSet, Option<Diagnostic>) {
    let mut schema = schema.clone();
    let Some(first) = schema
        .entities
        .values()
        .flat_map(|e| &e.fields)
        .find(|f| f.quality.is_some())
    else {
        return (schema, None);
    };
    let span = first.span;
    if let Some(own) = schema.enums.get(QUALITY_ENUM) {
        let clash = Diagnostic::error(
            Code::DuplicateSchemaName,
            format!("`{QUALITY_ENUM}` is the built-in enum of signal quality"),
        )
        .label(own.span, "declared by the schema too")
        .label(
            span,
            "this field carries a quality, typed by the built-in enum",
        )
        .help(format!(
            "rename the schema's enum; `{QUALITY_ENUM}` has the codes {}",
            QUALITY_CODES.join(", ")
        ));
        return (schema, Some(clash));
    }
    schema.enums.insert(
        QUALITY_ENUM.to_string(),
        EnumType {
            name: QUALITY_ENUM.to_string(),
            codes: QUALITY_CODES.iter().map(|c| c.to_string()).collect(),
            description: Some("The quality a source reports with a value.".into()),
            origin: None,
            span,
        },
    );
    (schema, None)
}
