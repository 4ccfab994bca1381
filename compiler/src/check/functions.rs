//! Checking `fn` declarations and calls to them.
//!
//! Functions are pure: their body sees only their parameters (no source record, no lookups),
//! so a function means the same in every flow and in every test. A function may call other
//! functions but never itself, directly or through others: mappings run for every record on
//! small edge boxes, and recursion is the one way to write a mapping that does not finish.
//! Bodies are checked callees first, so that a call knows whether its callee may fail.

use std::collections::{BTreeMap, BTreeSet};

use super::expr::{expr, Scope};
use super::{Checker, DeclKind, Declared};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, ExprKind, Maybe, Type};
use crate::source_map::Span;
use crate::syntax::ast::{self, FnDecl, Ident};

/// What a call needs to know about a checked function.
#[derive(Debug, Clone)]
pub(super) struct Signature {
    pub params: Vec<(String, Type)>,
    pub returns: Type,
    /// Whether the body may fail; a call then may fail too.
    pub fallible: bool,
}

impl<'a> Checker<'a> {
    /// Checks every function of the file; returns them callees first.
    pub(super) fn functions(&mut self, file: &ast::MappingFile) -> Vec<ir::Function> {
        let decls: Vec<&FnDecl> = file
            .items
            .iter()
            .filter_map(|item| match item {
                ast::Item::Function(f) => Some(f),
                _ => None,
            })
            .collect();
        let mut by_name: BTreeMap<&str, &FnDecl> = BTreeMap::new();
        for f in &decls {
            if self.function_name_free(&f.name) && self.declare_function(&f.name) {
                by_name.insert(&f.name.name, f);
            }
        }
        let recursive = self.report_recursion(&by_name);
        let order = callees_first(&by_name, &recursive);
        let empty = Declared::default();
        let mut checked = Vec::new();
        for name in order {
            if let Some(function) = self.function(by_name[name], &empty) {
                checked.push(function);
            }
        }
        checked
    }

    /// Builtins and identifier types are called like functions, so a function may not take
    /// their names.
    fn function_name_free(&mut self, name: &Ident) -> bool {
        let taken = if ir::Builtin::from_name(&name.name).is_some() {
            Some("a function of the standard library")
        } else if self.schema.identifiers.contains_key(&name.name) {
            Some("an identifier type, which is called like a function to build ids")
        } else {
            None
        };
        if let Some(what) = taken {
            self.report(
                Diagnostic::error(
                    Code::DuplicateName,
                    format!("`{}` is already {what}", name.name),
                )
                .label(name.span, "this function's name is taken")
                .help("give the function another name"),
            );
        }
        taken.is_none()
    }

    fn declare_function(&mut self, name: &Ident) -> bool {
        self.declare(name, DeclKind::Function)
    }

    /// Reports every cycle of calls once; returns the functions that take part in one.
    fn report_recursion(&mut self, by_name: &BTreeMap<&str, &FnDecl>) -> BTreeSet<String> {
        let mut recursive = BTreeSet::new();
        for (&name, decl) in by_name {
            if recursive.contains(name) {
                continue;
            }
            let Some(path) = call_path(by_name, name) else {
                continue;
            };
            let chain: Vec<&str> = path.iter().map(|(caller, _)| *caller).collect();
            let (_, closing_call) = *path.last().expect("a cycle has at least one call");
            let mut shown: Vec<&str> = chain.clone();
            shown.push(name);
            let mut diagnostic = Diagnostic::error(
                Code::RecursiveFunction,
                if chain.len() == 1 {
                    format!("function `{name}` calls itself")
                } else {
                    format!("function `{name}` calls itself: {}", shown.join(" -> "))
                },
            )
            .label(closing_call, format!("this call leads back to `{name}`"))
            .help("mappings cannot recurse: every record must map in bounded time; write the steps out, or use `match`");
            if closing_call.file != decl.name.span.file || chain.len() > 1 {
                diagnostic = diagnostic.label(decl.name.span, format!("`{name}` is declared here"));
            }
            self.report(diagnostic);
            recursive.extend(chain.iter().map(|n| n.to_string()));
        }
        recursive
    }

    fn function(&mut self, decl: &FnDecl, empty: &Declared) -> Option<ir::Function> {
        let mut params = Vec::new();
        // Parameters whose type had an error: bound without a type, so uses stay silent.
        let mut untyped = Vec::new();
        let mut ok = true;
        for p in &decl.params {
            if params
                .iter()
                .any(|(n, _): &(String, Type)| *n == p.name.name)
            {
                self.report(
                    Diagnostic::error(
                        Code::DuplicateBinding,
                        format!("parameter `{}` is declared twice", p.name.name),
                    )
                    .label(p.name.span, "declared again here")
                    .help("give each parameter its own name"),
                );
                ok = false;
                continue;
            }
            match self.type_ref(&p.ty) {
                Some(ty) => params.push((p.name.name.clone(), ty)),
                None => {
                    ok = false;
                    untyped.push(p.name.clone());
                }
            }
        }
        let returns = self.type_ref(&decl.returns);
        let mut scope = Scope::function(empty, &decl.name.name);
        for (name, ty) in &params {
            let span = decl
                .params
                .iter()
                .find(|p| p.name.name == *name)
                .map(|p| p.name.span)
                .unwrap_or(decl.name.span);
            scope.bind(name, span, Some((ty.clone(), None)));
        }
        for name in &untyped {
            scope.bind(&name.name, name.span, None);
        }
        let body = self.expr(&decl.body, &mut scope);
        let (returns, body) = (returns?, body?);
        if !ok {
            return None;
        }
        let what = format!("the result of function `{}`", decl.name.name);
        let body = self.coerce(body, &returns, &decl.body, &what, Some(decl.returns.span))?;
        self.signatures.insert(
            decl.name.name.clone(),
            Signature {
                params: params.clone(),
                returns: returns.clone(),
                fallible: body.is_fallible(),
            },
        );
        Some(ir::Function {
            name: decl.name.name.clone(),
            params,
            returns,
            body,
            span: decl.body.span,
        })
    }

    /// A call of a declared function, or `None` when `name` is not one (and nothing was
    /// reported). A function whose declaration had errors is called silently: its errors are
    /// already reported.
    pub(super) fn function_call(
        &mut self,
        whole: &ast::Expr,
        name: &Ident,
        args: &[ast::Expr],
        scope: &mut Scope,
    ) -> Option<Option<ir::Expr>> {
        if !matches!(self.decls.get(&name.name), Some((DeclKind::Function, _))) {
            return None;
        }
        let Some(signature) = self.signatures.get(&name.name).cloned() else {
            // Declared, but its body did not check (or it recurses).
            for arg in args {
                self.expr(arg, scope);
            }
            return Some(None);
        };
        if args.len() != signature.params.len() {
            let expected = match signature.params.len() {
                1 => "1 argument".to_string(),
                n => format!("{n} arguments"),
            };
            let usage: Vec<&str> = signature.params.iter().map(|(n, _)| n.as_str()).collect();
            self.wrong_arity(
                whole.span,
                &name.name,
                &expected,
                args.len(),
                &format!("`{}({})`", name.name, usage.join(", ")),
            );
            return Some(None);
        }
        let checked: Vec<Option<ir::Expr>> = args.iter().map(|a| self.expr(a, scope)).collect();
        let mut out = Vec::new();
        for ((value, arg), (param, ty)) in checked.into_iter().zip(args).zip(&signature.params) {
            let context = format!("parameter `{param}` of `{}`", name.name);
            let Some(value) = value else { continue };
            if self.expect_plain(&value, arg.span, &context).is_none() {
                continue;
            }
            if let Some(value) = self.coerce(value, ty, arg, &context, None) {
                out.push(value);
            }
        }
        if out.len() != args.len() {
            return Some(None);
        }
        let maybe = signature.fallible.then(|| Maybe::Failure {
            operation: format!("`{}(...)`", name.name),
        });
        Some(Some(expr(
            ExprKind::CallFunction {
                name: name.name.clone(),
                args: out,
            },
            signature.returns,
            maybe,
        )))
    }
}

/// Calls in a function body to other declared functions: (callee, span of the call).
fn calls<'e>(e: &'e ast::Expr, known: &BTreeMap<&str, &FnDecl>, out: &mut Vec<(&'e str, Span)>) {
    use ast::ExprKind as K;
    match &e.kind {
        K::Call(f, args) => {
            if known.contains_key(f.name.as_str()) {
                out.push((f.name.as_str(), e.span));
            }
            args.iter().for_each(|a| calls(a, known, out));
        }
        K::Literal(_) | K::Name(_) | K::Quantity(..) | K::Reject(_) => {}
        K::Field(b, _) | K::Unary(_, b) | K::As(b, _) => calls(b, known, out),
        K::Index(a, b) | K::Binary(_, a, b) => {
            calls(a, known, out);
            calls(b, known, out);
        }
        K::Tuple(values) => values.iter().for_each(|v| calls(v, known, out)),
        K::Match(s, arms) => {
            calls(s, known, out);
            arms.iter().for_each(|a| calls(&a.body, known, out));
        }
    }
}

/// A path of calls from `start` back to `start`, as (caller, span of its call) pairs, if any.
fn call_path<'f>(
    by_name: &BTreeMap<&'f str, &'f FnDecl>,
    start: &'f str,
) -> Option<Vec<(&'f str, Span)>> {
    fn search<'f>(
        by_name: &BTreeMap<&'f str, &'f FnDecl>,
        at: &'f str,
        start: &str,
        path: &mut Vec<(&'f str, Span)>,
        seen: &mut BTreeSet<&'f str>,
    ) -> bool {
        let mut out = Vec::new();
        calls(&by_name[at].body, by_name, &mut out);
        for (callee, span) in out {
            path.push((at, span));
            if callee == start {
                return true;
            }
            if seen.insert(callee) && search(by_name, callee, start, path, seen) {
                return true;
            }
            path.pop();
        }
        false
    }
    let mut path = Vec::new();
    let mut seen = BTreeSet::new();
    search(by_name, start, start, &mut path, &mut seen).then_some(path)
}

/// The functions in an order where each comes after the functions it calls; functions in a
/// call cycle are left out (they are reported and never checked).
fn callees_first<'f>(
    by_name: &BTreeMap<&'f str, &'f FnDecl>,
    recursive: &BTreeSet<String>,
) -> Vec<&'f str> {
    fn visit<'f>(
        name: &'f str,
        by_name: &BTreeMap<&'f str, &'f FnDecl>,
        recursive: &BTreeSet<String>,
        done: &mut BTreeSet<&'f str>,
        order: &mut Vec<&'f str>,
    ) {
        if recursive.contains(name) || !done.insert(name) {
            return;
        }
        let mut out = Vec::new();
        calls(&by_name[name].body, by_name, &mut out);
        for (callee, _) in out {
            visit(callee, by_name, recursive, done, order);
        }
        order.push(name);
    }
    let mut done = BTreeSet::new();
    let mut order = Vec::new();
    for &name in by_name.keys() {
        visit(name, by_name, recursive, &mut done, &mut order);
    }
    order
}
