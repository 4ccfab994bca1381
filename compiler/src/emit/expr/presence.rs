//! `present(field)`: a field's `Option` asked `is_some()` in place, or, for a quality-carrying
//! field's parts, whether reading it gives a value.

use super::ExprEmitter;
use crate::ir::Expr;

impl ExprEmitter<'_> {
    /// The `bool` code of `present(field)`; the checker let only fields that are absent exactly
    /// when empty through (`check/presence.rs`), so no failure is taken for absence.
    pub(super) fn present(&self, field: &Expr) -> String {
        match self.optional_place(field) {
            Some(option) => format!("{option}.is_some()"),
            None => format!("{}.is_ok()", super::paren(self.value(field))),
        }
    }
}
