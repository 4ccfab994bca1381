//! `unit_column:` and `units:` of a float field: the column that gives each row's unit, the
//! units it may give, and their conversions to the field's own unit (E0365-E0369).

use serde_yaml::{Mapping, Value};

use super::{FileLoader, PendingType};
use crate::diagnostic::{Code, Diagnostic};
use crate::schema::{Field, FieldType, FieldUnit, UnitColumn};
use crate::units::Unit;

impl FileLoader<'_> {
    /// The field's unit column, checked: `unit` is the field's (canonical) unit, if it has one.
    pub(super) fn unit_column(
        &mut self,
        path: &[&str],
        pending: &PendingType,
        unit: Option<&FieldUnit>,
        options: &Mapping,
    ) -> Option<UnitColumn> {
        let field = &pending.field;
        let column_path = [path, &["unit_column"]].concat();
        let units_path = [path, &["units"]].concat();
        let (column, units) = match (options.get("unit_column"), options.get("units")) {
            (None, None) => return None,
            (Some(Value::String(c)), Some(Value::Sequence(u))) if !u.is_empty() => (c, u),
            (Some(_), Some(Value::Sequence(u))) if !u.is_empty() => {
                self.unit_column_shape(
                    &column_path,
                    field,
                    "the unit column must be a column's name, such as `unit_column: unit`",
                );
                return None;
            }
            (Some(_), _) => {
                self.unit_column_shape(&units_path, field, "list the units the column may give, of the field's dimension: `units: [mm, in]`");
                return None;
            }
            (None, Some(_)) => {
                self.unit_column_shape(
                    &units_path,
                    field,
                    "name the column that gives each row's unit: `unit_column: unit`",
                );
                return None;
            }
        };
        let column_span = self.key_span(&column_path);
        let Some(canonical) = unit else {
            self.errors.push(
                Diagnostic::error(
                    Code::UnitColumnWithoutUnit,
                    format!("field `{field}` has a unit column, but no unit of its own to convert to"),
                )
                .label(column_span, "each row's unit is read here, but the field has no unit")
                .help(format!("give the field the unit the mapping sees, which each row's value is converted to: `type: \"float[{}]\"`", first_text(units).unwrap_or("mm"))),
            );
            return None;
        };
        let mut converted = Vec::new();
        for u in units {
            let Some(text) = u.as_str() else {
                self.unit_column_shape(
                    &units_path,
                    field,
                    "write each unit as its symbol: `units: [mm, in]`",
                );
                return None;
            };
            let span = self.value_span(&units_path, text);
            let parsed = match Unit::parse(text.trim()) {
                Ok(p) => p,
                Err(e) => {
                    let help = e.suggestion.map(|s| format!("did you mean `{s}`?")).unwrap_or_else(|| {
                        "units are written like `mm`, `in`, `rpm`; see the list of units in the language reference".to_string()
                    });
                    self.errors.push(
                        Diagnostic::error(
                            Code::UnitColumnUnknownUnit,
                            format!("unknown unit `{text}` in the units of field `{field}`"),
                        )
                        .label(span, e.message)
                        .help(help),
                    );
                    return None;
                }
            };
            let Some(conversion) = parsed.conversion_to(&canonical.unit) else {
                self.errors.push(
                    Diagnostic::error(
                        Code::UnitColumnDimension,
                        format!(
                            "unit `{text}` of field `{field}` measures {}, the field's unit `{}` measures {}",
                            parsed.dimension_name(),
                            canonical.unit,
                            canonical.unit.dimension_name()
                        ),
                    )
                    .label(span, "not convertible to the field's unit")
                    .label(canonical.span, "the field's unit")
                    .help("list only units of the field's dimension, which each row's value is converted from"),
                );
                return None;
            };
            converted.push((text.trim().to_string(), conversion));
        }
        Some(UnitColumn {
            column: column.trim().to_string(),
            units: converted,
            span: column_span,
        })
    }

    fn unit_column_shape(&mut self, path: &[&str], field: &str, help: &str) {
        let span = self.key_span(path);
        self.errors.push(
            Diagnostic::error(
                Code::UnitColumnShape,
                format!("field `{field}` needs both `unit_column:` (a column's name) and `units:` (a list of units)"),
            )
            .label(span, "given alone, empty, or not a name")
            .help(help.to_string()),
        );
    }

    /// A unit column that is a field of the entity must be a `string` field.
    pub(super) fn unit_columns_are_text(&mut self, entity: &str, fields: &[Field]) {
        for field in fields {
            let Some(uc) = &field.unit_column else {
                continue;
            };
            let Some(other) = fields.iter().find(|f| f.external_name() == uc.column) else {
                continue;
            };
            if other.ty != FieldType::String || other.quality.is_some() {
                self.errors.push(
                    Diagnostic::error(
                        Code::UnitColumnNotText,
                        format!(
                            "the unit column `{}` of field `{}` is field `{}` of `{entity}`, which is not `string`",
                            uc.column, field.name, other.name
                        ),
                    )
                    .label(uc.span, "each row's unit is read from this column")
                    .label(other.span, "not a `string` field")
                    .help(format!("declare `{}: string`, or name a column the entity does not declare", other.name)),
                );
            }
        }
    }
}

fn first_text(units: &[Value]) -> Option<&str> {
    units.first().and_then(Value::as_str)
}
