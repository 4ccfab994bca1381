//! `skip when CONDITION`: a filter among a flow's statements, after the bindings it reads.
//!
//! It is checked where it stands: the bindings above it are in scope, and a name bound below
//! is reported by the scope as bound later (with the line), as for any statement. Its
//! condition must be a plain `bool`, as a `where` condition must; the records it skips are
//! counted as filtered, and the codes it excludes are noted for the `match`es below it
//! (`check/excluded.rs`).

use super::expr::Scope;
use super::flow::a;
use super::Checker;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, Type};
use crate::source_map::Span;
use crate::syntax::ast;

impl Checker<'_> {
    pub(super) fn skip(
        &mut self,
        condition: &ast::Expr,
        span: Span,
        scope: &mut Scope,
    ) -> Option<ir::Step> {
        let checked = self.expr(condition, scope)?;
        self.expect_plain(&checked, condition.span, "a `skip when` condition")?;
        if checked.ty != Type::Bool {
            self.report(
                Diagnostic::error(Code::TypeMismatch, "a `skip when` condition must be true or false")
                    .label(condition.span, format!("this is {}", a(&checked.ty)))
                    .help("`skip when` filters out the records for which it is true: compare the value, for example with `==`, `!=`, `<` or `>`"),
            );
            return None;
        }
        // Records go on when the condition is false.
        self.note_exclusions(&checked, false, condition.span);
        Some(ir::Step::Skip {
            condition: checked,
            span,
        })
    }
}
