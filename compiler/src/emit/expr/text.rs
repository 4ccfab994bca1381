//! Text a flow only copies: into a target record's field held as `::fdi_runtime::Text`
//! (`types::holds_text`), and into `let` bindings that borrow it, so that text read from the
//! record, a lookup record or a literal is not copied into a `String` on every record.

use super::ExprEmitter;
use crate::ir::{Expr, ExprKind, Literal, Type};

impl ExprEmitter<'_> {
    /// A `&str` that reads `e`'s text where it is, allocating nothing: a literal, a field of the
    /// record or of a lookup record, a borrowed binding, `field ?? "default"`, the source's
    /// name, the topic. `None` for text the flow computes, and for what may fail.
    pub fn text_in_place(&self, e: &Expr) -> Option<String> {
        if e.ty != Type::String || e.is_fallible() {
            return None;
        }
        if let Some(borrowed) = self.borrowed_text_default(e) {
            return Some(borrowed);
        }
        match &e.kind {
            ExprKind::Literal(Literal::String(_))
            | ExprKind::SourceName
            | ExprKind::SourceTopic
            | ExprKind::SourceTopicLevel { .. } => Some(self.text(e)),
            // A match whose every arm gives text in place (`GOOD => "GOOD"`) or rejects.
            ExprKind::Match { scrutinee, arms } => {
                let in_place = arms.iter().all(|arm| {
                    matches!(arm.body.kind, ExprKind::Reject { .. })
                        || self.text_in_place(&arm.body).is_some()
                });
                in_place.then(|| {
                    self.match_with(scrutinee, arms, |body| {
                        self.text_in_place(body).unwrap_or_default()
                    })
                })
            }
            _ => self.place(e).map(|_| self.text(e)),
        }
    }

    /// The `::fdi_runtime::Text` of a target field given text `e`, which cannot fail: built from
    /// the text in place when it is there, else from the `String` the flow computed.
    pub fn target_text(&self, e: &Expr) -> String {
        match self.text_in_place(e) {
            Some(text) => format!("::fdi_runtime::Text::new({text})"),
            None => format!("::fdi_runtime::Text::from({})", self.value(e)),
        }
    }

    /// The `Result` of `::fdi_runtime::Text` for text `e` that may fail (under `else reject`):
    /// an optional field's text in place, else the `String` computed.
    pub fn target_text_result(&self, e: &Expr) -> String {
        match self.present_text(e) {
            Some(present) => format!("{present}.map(::fdi_runtime::Text::new)"),
            None => format!("{}.map(::fdi_runtime::Text::from)", self.result(e)),
        }
    }

    /// The `Option` of `::fdi_runtime::Text` for optional text `e` written into an optional
    /// target field.
    pub fn target_text_option(&self, e: &Expr) -> String {
        match self.optional_place(e) {
            Some(option) if e.ty == Type::String => {
                format!("{option}.as_deref().map(::fdi_runtime::Text::new)")
            }
            _ => format!("{}.ok().map(::fdi_runtime::Text::from)", self.value(e)),
        }
    }

    /// `::fdi_runtime::present(field.as_deref(), "field")`: an optional text field as a
    /// `Result<&str, Failure>`, borrowed. `None` when `e` is not an optional text field.
    fn present_text(&self, e: &Expr) -> Option<String> {
        if e.ty != Type::String {
            return None;
        }
        let name = match &e.kind {
            ExprKind::SourceField { name, .. } => name,
            ExprKind::EntityField { field, .. } => field,
            _ => return None,
        };
        let option = self.optional_place(e)?;
        Some(format!(
            "::fdi_runtime::present({option}.as_deref(), {name:?})"
        ))
    }

    /// The code of a `let` binding of text that can be held as a `&str`, borrowed from the
    /// record, a lookup record or a literal: `reason` is its `else reject`. `None` when the
    /// binding's text is computed, or may fail without a reject to handle it.
    pub fn borrowed_let(&self, value: &Expr, reason: Option<&str>) -> Option<String> {
        match reason {
            Some(reason) => self
                .present_text(value)
                .map(|present| format!("{present}.or_reject({reason:?})?")),
            None => self.text_in_place(value),
        }
    }
}
