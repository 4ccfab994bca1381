//! Calls: identifier construction (`EquipmentId(text)`), the mapping's functions and the
//! standard library, with the arity diagnostics they share.

use super::expr::{expr, Scope};
use super::flow::a;
use super::Checker;
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::ir::{self, Builtin, ExprKind, Maybe, Type};
use crate::schema::IdBase;
use crate::source_map::Span;
use crate::syntax::ast::{self, Ident};

impl<'a> Checker<'a> {
    pub(super) fn call(
        &mut self,
        whole: &ast::Expr,
        function: &Ident,
        args: &[ast::Expr],
        scope: &mut Scope,
    ) -> Option<ir::Expr> {
        if let Some(id_type) = self.schema.identifiers.get(&function.name) {
            let id_type = id_type.clone();
            let [arg] = args else {
                self.wrong_arity(
                    whole.span,
                    &function.name,
                    "1 argument (the text)",
                    args.len(),
                    &format!("`{}(text)`", function.name),
                );
                return None;
            };
            let value = self.expr(arg, scope)?;
            self.expect_plain(&value, arg.span, &format!("`{}(...)`", function.name))?;
            let accepted =
                value.ty == Type::String || (id_type.base == IdBase::Int && value.ty == Type::Int);
            if !accepted {
                self.report(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        format!(
                            "`{}(...)` takes text, but this is {}",
                            function.name,
                            a(&value.ty)
                        ),
                    )
                    .label(arg.span, format!("this is {}", a(&value.ty)))
                    .help("convert it with `string(...)` first"),
                );
                return None;
            }
            if let ExprKind::Literal(ir::Literal::String(text)) = &value.kind {
                if let Some(problem) = identifier_problem(&id_type, text) {
                    self.report(
                        Diagnostic::error(
                            Code::PatternMismatch,
                            format!("\"{text}\" is not a valid `{}`", function.name),
                        )
                        .label(arg.span, problem)
                        .label(
                            id_type.span,
                            format!("`{}` is declared here", function.name),
                        )
                        .help("fix the literal, or the identifier type's rule in the schema"),
                    );
                    return None;
                }
                return Some(expr(
                    ExprKind::MakeIdentifier {
                        id_type: function.name.clone(),
                        value: Box::new(value),
                        checked: true,
                    },
                    Type::Identifier(function.name.clone()),
                    None,
                ));
            }
            return Some(expr(
                ExprKind::MakeIdentifier {
                    id_type: function.name.clone(),
                    value: Box::new(value),
                    checked: false,
                },
                Type::Identifier(function.name.clone()),
                Some(Maybe::Failure {
                    operation: format!(
                        "building {} from text",
                        super::flow::a_named(&function.name)
                    ),
                }),
            ));
        }
        if let Some(call) = self.function_call(whole, function, args, scope) {
            return call;
        }
        let Some(builtin) = Builtin::from_name(&function.name) else {
            // Another language's name for one of ours says more than the closest spelling.
            if let Some(help) = self.alias_help(whole, function, args, scope) {
                self.report(
                    Diagnostic::error(
                        Code::UnknownFunction,
                        format!("there is no function `{}`", function.name),
                    )
                    .label(function.span, "unknown function")
                    .help(help),
                );
                return None;
            }
            let functions: Vec<&str> = self
                .decls
                .iter()
                .filter(|(_, (kind, _))| *kind == super::DeclKind::Function)
                .map(|(name, _)| name.as_str())
                .collect();
            let candidates = Builtin::ALL
                .iter()
                .map(|b| b.name())
                .chain(self.schema.identifiers.keys().map(String::as_str))
                .chain(functions);
            self.report(
                Diagnostic::error(Code::UnknownFunction, format!("there is no function `{}`", function.name))
                    .label(function.span, "unknown function")
                    .help(did_you_mean(&function.name, candidates).unwrap_or_else(|| {
                        "the functions are listed in docs/language.md; identifier types are called like functions to build ids".into()
                    })),
            );
            return None;
        };
        if builtin == Builtin::Present {
            return self.present_call(whole, args, scope);
        }
        super::builtins::call(self, builtin, whole, args, scope)
    }

    /// `usage` shows the call written correctly, such as "round(value, decimals)".
    pub(super) fn wrong_arity(
        &mut self,
        span: Span,
        name: &str,
        expected: &str,
        found: usize,
        usage: &str,
    ) {
        let given = match found {
            0 => "none was given".to_string(),
            1 => "1 was given".to_string(),
            n => format!("{n} were given"),
        };
        self.report(
            Diagnostic::error(
                Code::WrongArgumentCount,
                format!("`{name}` takes {expected}, but {given}"),
            )
            .label(
                span,
                format!("{found} argument{}", if found == 1 { "" } else { "s" }),
            )
            .help(format!("write {usage}")),
        );
    }
}

/// Why a literal cannot be a value of the identifier type, if it cannot: the runtime's own
/// check, so that a literal the compiler accepts is one the program accepts.
pub(super) fn identifier_problem(
    id_type: &crate::schema::IdentifierType,
    text: &str,
) -> Option<String> {
    // The runtime says `"EQ-12" is not a valid EquipmentId: it does not match ...`; the
    // diagnostic's message already says the first half.
    fdi_runtime::validate_id(&id_type.spec(), text)
        .err()
        .map(|problem| match problem.split_once(": ") {
            Some((_, why)) => why.to_string(),
            None => problem,
        })
}
