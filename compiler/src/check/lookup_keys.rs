//! Checking the key a lookup is indexed with: one value for a single key field
//! (`machines[code]`), one value per field for a composite key (`equipment[(line, machine)]`),
//! each of its field's type as a single key is (identifier types, units), none that may be absent.

use super::expr::Scope;
use super::types::value_type;
use super::Checker;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir;
use crate::source_map::Span;
use crate::syntax::ast;

impl<'a> Checker<'a> {
    /// The checked values of `key` for `lookup`, in the order of its key fields; `None` (and
    /// the diagnostics) when their number or a value is wrong.
    pub(super) fn key_values(
        &mut self,
        lookup: &ir::Lookup,
        key: &ast::Expr,
        scope: &mut Scope,
    ) -> Option<Vec<ir::Expr>> {
        let entity = &self.schema.entities[&lookup.entity];
        let values: &[ast::Expr] = match &key.kind {
            ast::ExprKind::Tuple(values) => values,
            _ => std::slice::from_ref(key),
        };
        let fields = &lookup.key_fields;
        let listed = fields
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let problem = match (fields.len(), values.len()) {
            (wanted, given) if wanted == given => None,
            (1, given) => Some(
                Diagnostic::error(
                    Code::SingleKeyTuple,
                    format!(
                        "lookup `{}` has one key field, `{}`, but is given {given} values",
                        lookup.name, fields[0]
                    ),
                )
                .label(key.span, format!("{given} values"))
                .help(format!(
                    "index `{}` with one value, of its key field `{}`; to find rows by several fields, declare the lookup with a composite key of those fields, `key (FIELD, FIELD)`",
                    lookup.name, fields[0]
                )),
            ),
            (wanted, 1) => Some(
                Diagnostic::error(
                    Code::CompositeKeyOneValue,
                    format!(
                        "lookup `{}` has a composite key of {wanted} fields, but is given one value",
                        lookup.name
                    ),
                )
                .label(key.span, "one value")
                .help(format!(
                    "give `{}` one value per key field, in parentheses and in this order: {listed}; a text joined from them is not the key (`A/B` + `C` and `A` + `B/C` join alike)",
                    lookup.name
                )),
            ),
            (wanted, given) => Some(
                Diagnostic::error(
                    Code::KeyValueCount,
                    format!(
                        "lookup `{}` has {wanted} key fields, but is given {given} values",
                        lookup.name
                    ),
                )
                .label(key.span, format!("{given} values"))
                .help(format!(
                    "give one value per key field of `{}`, in this order: {listed}",
                    lookup.name
                )),
            ),
        };
        if let Some(problem) = problem {
            self.report(problem);
            // The values are still checked, for their own errors.
            for value in values {
                self.expr(value, scope);
            }
            return None;
        }
        let composite = fields.len() > 1;
        let mut checked = Vec::with_capacity(values.len());
        let mut ok = true;
        for (value, field_name) in values.iter().zip(fields) {
            let Some(field) = entity.field(field_name) else {
                ok = false;
                continue;
            };
            let what = if composite {
                format!("the key field `{field_name}` of lookup `{}`", lookup.name)
            } else {
                format!("the key of lookup `{}`", lookup.name)
            };
            let Some(v) = self.expr(value, scope) else {
                ok = false;
                continue;
            };
            if self.expect_plain(&v, value.span, &what).is_none() {
                ok = false;
                continue;
            }
            match self.coerce(v, &value_type(field), value, &what, Some(field.span)) {
                Some(v) => checked.push(v),
                None => ok = false,
            }
        }
        ok.then_some(checked)
    }

    /// `(a, b)` anywhere but between a lookup's brackets.
    pub(super) fn tuple_outside_key(
        &mut self,
        span: Span,
        values: &[ast::Expr],
        scope: &mut Scope,
    ) -> Option<ir::Expr> {
        for value in values {
            self.expr(value, scope);
        }
        self.report(
            Diagnostic::error(
                Code::TupleOutsideKey,
                format!("{} values in parentheses are not one value", values.len()),
            )
            .label(span, "values in parentheses")
            .help("values in parentheses are the key of a lookup with a composite key, `equipment[(line, machine)]`; anywhere else write one value"),
        );
        None
    }
}
