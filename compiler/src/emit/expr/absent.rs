//! Values that may be absent: optional fields read as the `Option` they are, defaults (`??`,
//! `coalesce()`), and the `match` a default that may reject needs.

use super::{clone_unless_copy, is_copy, ExprEmitter};
use crate::emit::names::SampleField;
use crate::ir::{Builtin, Expr, ExprKind, SamplePart, Type};

impl ExprEmitter<'_> {
    /// The `Option` an optional field is, in place, when `e` is one (of the source record, of a
    /// lookup record already found, or a source timestamp).
    pub(super) fn optional_place(&self, e: &Expr) -> Option<String> {
        match &e.kind {
            ExprKind::SourceField {
                name,
                optional: true,
            } => Some(format!("record.{}", self.names.field_ident(name))),
            ExprKind::EntityField {
                base,
                field,
                optional: true,
            } => Some(format!(
                "{}.{}",
                self.place(base)?,
                self.names.field_ident(field)
            )),
            ExprKind::SourceSample {
                field,
                part: SamplePart::Timestamp,
            } => Some(format!(
                "record.{}",
                self.names.sample_ident(field, SampleField::Timestamp)
            )),
            _ => None,
        }
    }

    /// An optional field's value as an owned `Option`, for an optional target field: `None`
    /// when `e` is not an optional field.
    pub fn option(&self, e: &Expr) -> Option<String> {
        let option = self.optional_place(e)?;
        Some(match &e.ty {
            Type::String => format!("{option}.as_deref().map(str::to_owned)"),
            ty => format!("{option}{}", clone_unless_copy(ty)),
        })
    }

    /// `field ?? default` on an optional field: the field's `Option` with `unwrap_or`, without
    /// going through a `Result`. `None` when `value` is not an optional field or `default` may
    /// fail or reject.
    pub(super) fn optional_or(&self, value: &Expr, default: &Expr) -> Option<String> {
        if default.is_fallible() || contains_reject(default) {
            return None;
        }
        if let Some(borrowed) = self.optional_text_or(value, default) {
            return Some(format!("{borrowed}.to_owned()"));
        }
        let option = self.optional_place(value)?;
        let cheap = match value.ty {
            // Text with a default that is not read in place: `optional_text_or` took the rest.
            Type::String => false,
            _ => self.is_cheap_copy(default),
        };
        Some(match (&value.ty, cheap) {
            (Type::String, false) => format!(
                "{option}.as_deref().map_or_else(|| {}, str::to_owned)",
                self.value(default)
            ),
            (ty, true) => format!(
                "{option}{}.unwrap_or({})",
                clone_unless_copy(ty),
                self.value(default)
            ),
            (ty, false) => format!(
                "{option}{}.unwrap_or_else(|| {})",
                clone_unless_copy(ty),
                self.value(default)
            ),
        })
    }

    /// `field ?? default` (or `coalesce(field, default, ...)`) on optional text whose default is
    /// a literal or text read in place, as a borrowed `&str`: where only the text is needed (a
    /// lookup key, a comparison, a part of a concatenation) nothing is copied. `None` for any
    /// other expression.
    pub(super) fn borrowed_text_default(&self, e: &Expr) -> Option<String> {
        match &e.kind {
            ExprKind::Coalesce { value, default } => self.optional_text_or(value, default),
            // A default that cannot fail ends the chain: later arguments are never reached.
            ExprKind::Call {
                function: Builtin::Coalesce,
                args,
            } => self
                .optional_text_or(args.first()?, args.get(1)?)
                .or_else(|| self.optional_texts_or(args)),
            _ => None,
        }
    }

    /// `coalesce(a, b, ..., default)` over optional text fields ending in a default read in place
    /// (`coalesce(operator, eq.cell_operator, "unattended")`), as a borrowed `&str`: each field's
    /// `Option` tried in turn with `or`, then `unwrap_or`. The chain ends at the first argument
    /// that cannot fail; `None` unless every argument before it is an optional text field.
    pub(super) fn optional_texts_or(&self, args: &[Expr]) -> Option<String> {
        let end = args.iter().position(|a| !a.is_fallible())?;
        let (fields, default) = (&args[..end], &args[end]);
        let in_place =
            matches!(default.kind, ExprKind::Literal(_)) || self.place(default).is_some();
        if fields.len() < 2 || !in_place || default.ty != Type::String || contains_reject(default) {
            return None;
        }
        let options = fields
            .iter()
            .map(|f| {
                (f.ty == Type::String)
                    .then(|| self.optional_place(f))
                    .flatten()
                    .map(|option| format!("{option}.as_deref()"))
            })
            .collect::<Option<Vec<String>>>()?;
        let (first, rest) = options.split_first()?;
        let tried: String = rest.iter().map(|o| format!(".or({o})")).collect();
        Some(format!("{first}{tried}.unwrap_or({})", self.text(default)))
    }

    /// `value ?? default` as a `&str` when `value` is optional text and `default` is a literal
    /// or text read in place (which cannot fail): the field's `Option` with `unwrap_or`.
    fn optional_text_or(&self, value: &Expr, default: &Expr) -> Option<String> {
        let in_place =
            matches!(default.kind, ExprKind::Literal(_)) || self.place(default).is_some();
        if value.ty != Type::String
            || !in_place
            || default.is_fallible()
            || contains_reject(default)
        {
            return None;
        }
        // Source text may be borrowed (`Cow<str>`) and lookup text owned: both read as `&str`.
        let option = self.optional_place(value)?;
        Some(format!(
            "{option}.as_deref().unwrap_or({})",
            self.text(default)
        ))
    }

    /// Whether `e` is a literal or a value read in place that is copied: evaluating it
    /// when it is not needed costs nothing, so `unwrap_or(e)` rather than `unwrap_or_else`.
    fn is_cheap_copy(&self, e: &Expr) -> bool {
        let literal = |e: &Expr| matches!(e.kind, ExprKind::Literal(_));
        let negative_literal = matches!(&e.kind, ExprKind::Neg(inner) if literal(inner));
        is_copy(&e.ty) && (literal(e) || negative_literal || self.place(e).is_some())
    }

    /// `value` (the code of a `Result`) or, when it failed, `default`: the step of `??` and of
    /// `coalesce()`. Returns the code and whether it still is a `Result` (`default` may fail).
    pub(super) fn or_default(&self, value: &Expr, default: &Expr) -> (String, bool) {
        self.or_default_of(self.value(value), self.option(value), default)
    }

    /// [`Self::or_default`] of code already written: `value`, a `Result`, or `option`, the
    /// same value as an `Option` when it is an optional field.
    pub(super) fn or_default_of(
        &self,
        value: String,
        option: Option<String>,
        default: &Expr,
    ) -> (String, bool) {
        let d = self.value(default);
        if contains_reject(default) {
            let ok = if default.is_fallible() {
                "Ok(value)"
            } else {
                "value"
            };
            let code = match option {
                Some(option) => or_in_match(&option, ("Some(value)", ok), ("None", &d)),
                None => or_in_match(&value, ("Ok(value)", ok), ("Err(_)", &d)),
            };
            (code, default.is_fallible())
        } else if default.is_fallible() {
            (format!("{value}.or_else(|_| {d})"), true)
        } else if self.is_cheap_copy(default) {
            (format!("{value}.unwrap_or({d})"), false)
        } else {
            (format!("{value}.unwrap_or_else(|_| {d})"), false)
        }
    }
}

/// `code`'s value, or `otherwise` when it has none, written as a `match` rather than with
/// `or_else`/`unwrap_or_else`: an `otherwise` that may reject holds a `return`, which leaves the
/// flow only from the flow function's own body, not from a closure. Each arm is a pattern and
/// its value: (`Ok(value)`, `value`) and (`Err(_)`, otherwise) for a `Result`.
fn or_in_match(code: &str, present: (&str, &str), absent: (&str, &str)) -> String {
    format!(
        "match {code} {{\n    {} => {},\n    {} => {},\n}}",
        present.0, present.1, absent.0, absent.1
    )
}

/// Whether evaluating `e` may reject the record (a match arm `reject "..."` inside it): such code
/// must stay in the flow function's body, where `return` leaves the flow.
fn contains_reject(e: &Expr) -> bool {
    let mut found = false;
    e.walk(&mut |e| found |= matches!(e.kind, ExprKind::Reject { .. }));
    found
}
