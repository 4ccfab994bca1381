//! Checking `per source NAME { let ... }` blocks: bindings the flows of one source share.
//!
//! The block's `let`s are checked in a scope of their own: the source's record, the lookups and
//! the block's earlier bindings, as a flow's are, but no target (the flows of a source write
//! different targets, and the block runs before any of them). Each flow of the source then starts
//! with the block's bindings in its scope; a flow binding one of those names again is an error
//! (E0360), since the flow would silently read its own value where the reader expects the shared
//! one. A binding no flow reads is a warning (E0361) unless it can reject the record: then it is
//! a check the flows share.

use std::collections::{BTreeMap, HashSet};

use super::expr::Scope;
use super::{Checker, DeclKind, Declared};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, ExprKind, Maybe, Type};
use crate::source_map::Span;
use crate::syntax::ast;

/// One binding of a `per source` block, as the flows of its source see it.
#[derive(Debug, Clone)]
pub(super) struct SharedBinding {
    pub name: String,
    pub span: Span,
    /// `None` when the binding's value had an error (uses of it stay silent).
    pub value: Option<(Type, Option<Maybe>)>,
}

impl<'a> Checker<'a> {
    /// Checks every `per source` block; remembers each source's bindings for its flows.
    pub(super) fn per_sources(
        &mut self,
        file: &ast::MappingFile,
        declared: &Declared,
    ) -> Vec<ir::SharedBindings> {
        let mut checked = Vec::new();
        let mut seen: BTreeMap<String, Span> = BTreeMap::new();
        for item in &file.items {
            let ast::Item::PerSource(block) = item else {
                continue;
            };
            if let Some(first) = seen.get(&block.source.name) {
                self.report(
                    Diagnostic::error(
                        Code::DuplicatePerSource,
                        format!(
                            "source `{}` already has a `per source` block",
                            block.source.name
                        ),
                    )
                    .label(block.header_span, "a second block for the same source")
                    .label(*first, "the first block")
                    .help("move these `let`s into the first block: a source's flows share one set of bindings"),
                );
                // Its bindings are still checked, and still in the flows' scope: the flows
                // that read them are not wrong too.
                self.per_source(file, block, declared);
                continue;
            }
            seen.insert(block.source.name.clone(), block.header_span);
            if let Some(shared) = self.per_source(file, block, declared) {
                checked.push(shared);
            }
        }
        checked
    }

    fn per_source(
        &mut self,
        file: &ast::MappingFile,
        block: &ast::PerSourceDecl,
        declared: &Declared,
    ) -> Option<ir::SharedBindings> {
        let source = match self.decls.get(&block.source.name).copied() {
            // Declared as something else: said here, with a help about the block, not a flow.
            Some((kind, span)) if kind != DeclKind::Source => {
                self.report(
                    Diagnostic::error(
                        Code::UnknownDeclaration,
                        format!(
                            "`{}` is {}, not a source",
                            block.source.name,
                            kind.describe()
                        ),
                    )
                    .label(block.source.span, "a source is expected here")
                    .label(span, format!("declared as {} here", kind.describe()))
                    .help("a `per source` block names the source whose flows share its bindings"),
                );
                None
            }
            _ => self.flow_end(&block.source, DeclKind::Source, declared),
        };
        let source_decl = source.and_then(|name| declared.source(&name));
        let source_entity = source_decl.and_then(|s| self.schema.entities.get(&s.entity));
        let mut scope = Scope::new(declared, source_decl, source_entity, source_decl.is_none());
        for statement in &block.statements {
            if let ast::Statement::Let { name, .. } = statement {
                scope.bind_later(name, self.line_of(name.span));
            }
        }
        // The targets of the source's flows: a name that is one of their fields, and neither a
        // binding nor a field of the record, is a target field read where there is no target.
        let targets: Vec<(&str, &str)> = file
            .items
            .iter()
            .filter_map(|item| match item {
                ast::Item::Flow(flow) if flow.source.name == block.source.name => {
                    let target = declared.target(&flow.target.name)?;
                    Some((flow.target.name.as_str(), target.entity.as_str()))
                }
                _ => None,
            })
            .collect();
        let mut steps = Vec::new();
        let mut bindings = Vec::new();
        let mut complete = true;
        for statement in &block.statements {
            let ast::Statement::Let {
                name,
                value,
                else_reject,
            } = statement
            else {
                continue;
            };
            self.statement_reject = else_reject.as_ref().map(|r| r.span);
            let reads_target = self.reads_target_field(value, &scope, &targets);
            let checked = if reads_target {
                None
            } else {
                self.expr(value, &mut scope)
                    .and_then(|c| self.handle(c, value.span, else_reject.as_ref()))
            };
            if let Some(previous) = scope.local_span(&name.name) {
                self.report(
                    Diagnostic::error(
                        Code::DuplicateBinding,
                        format!(
                            "`{}` is already bound in this `per source` block",
                            name.name
                        ),
                    )
                    .label(name.span, "bound again here")
                    .label(previous, "first bound here")
                    .help("give the second binding another name"),
                );
            }
            let value_type = checked.as_ref().map(|c| (c.ty.clone(), c.maybe.clone()));
            scope.bind(&name.name, name.span, value_type.clone());
            bindings.push(SharedBinding {
                name: name.name.clone(),
                span: name.span,
                value: value_type,
            });
            match checked {
                Some(value) => steps.push(ir::Step::Let {
                    name: name.name.clone(),
                    value,
                    on_failure: else_reject.as_ref().map(|r| r.value.clone()),
                    span: name.span,
                }),
                None => complete = false,
            }
        }
        self.statement_reject = None;
        let source_decl = source_decl?;
        self.shared
            .entry(source_decl.name.clone())
            .or_insert_with(|| (Vec::new(), block.header_span))
            .0
            .extend(bindings);
        complete.then(|| ir::SharedBindings {
            source: source_decl.name.clone(),
            source_entity: source_decl.entity.clone(),
            steps,
            span: block.header_span,
        })
    }

    /// Reports (E0362) each name in `value` that is a field of a target of the source's flows,
    /// and no binding or field of the record: a shared binding is computed before any flow, for
    /// all of them, so there is no target record to read.
    fn reads_target_field(
        &mut self,
        value: &ast::Expr,
        scope: &Scope,
        targets: &[(&str, &str)],
    ) -> bool {
        let mut names = Vec::new();
        bare_names(value, &mut names);
        let mut found = false;
        for name in names {
            if scope.local(&name.name).is_some()
                || scope
                    .source_entity
                    .is_some_and(|e| e.field(&name.name).is_some())
                || self.decls.contains_key(&name.name)
            {
                continue;
            }
            let written_by: Vec<&str> = targets
                .iter()
                .filter(|(_, entity)| {
                    self.schema
                        .entities
                        .get(*entity)
                        .is_some_and(|e| e.field(&name.name).is_some())
                })
                .map(|(target, _)| *target)
                .collect();
            let Some(first) = written_by.first() else {
                continue;
            };
            found = true;
            self.report(
                Diagnostic::error(
                    Code::SharedBindingReadsTarget,
                    format!(
                        "`{}` is a field of target `{first}`, which a `per source` block cannot read",
                        name.name
                    ),
                )
                .label(name.span, "a target field")
                .help(format!(
                    "the block is computed once per record before any flow, and sees only the record and the lookups; compute this value in the flow that writes `{first}`"
                )),
            );
        }
        found
    }

    /// Warns (E0361) of each shared binding that no flow and no later shared binding reads,
    /// unless it can reject the record (then it is a check the flows share).
    pub(super) fn unused_shared(&mut self, shared: &[ir::SharedBindings], flows: &[ir::Flow]) {
        for block in shared {
            let flows_of: Vec<&ir::Flow> =
                flows.iter().filter(|f| f.source == block.source).collect();
            let read: HashSet<&str> = ir::locals_read(
                flows_of
                    .iter()
                    .flat_map(|f| f.expressions())
                    .chain(block.bindings().map(|(_, value)| value)),
            );
            for step in &block.steps {
                let ir::Step::Let {
                    name,
                    value,
                    on_failure,
                    span,
                } = step
                else {
                    continue;
                };
                if read.contains(name.as_str()) || on_failure.is_some() || can_reject(value) {
                    continue;
                }
                self.report(
                    Diagnostic::warning(
                        Code::UnusedSharedBinding,
                        format!("no flow of source `{}` reads `{name}`", block.source),
                    )
                    .label(*span, "bound for every record, read by no flow")
                    .help(format!(
                        "remove `let {name}`, or read it in a flow of `{}`",
                        block.source
                    )),
                );
            }
        }
    }
}

/// Whether evaluating `value` may reject the record (a match arm `reject "..."`).
fn can_reject(value: &ir::Expr) -> bool {
    let mut rejects = false;
    value.walk(&mut |e| {
        if matches!(e.kind, ExprKind::Reject { .. }) {
            rejects = true;
        }
    });
    rejects
}

/// The bare names an expression reads, with their spans.
fn bare_names<'e>(e: &'e ast::Expr, out: &mut Vec<&'e ast::Ident>) {
    use ast::ExprKind as K;
    match &e.kind {
        K::Name(name) => out.push(name),
        K::Literal(_) | K::Quantity(..) | K::Reject(_) => {}
        K::Field(base, _) | K::Unary(_, base) | K::As(base, _) => bare_names(base, out),
        K::Index(a, b) | K::Binary(_, a, b) => {
            bare_names(a, out);
            bare_names(b, out);
        }
        K::Call(_, args) | K::Tuple(args) => args.iter().for_each(|a| bare_names(a, out)),
        K::Match(scrutinee, arms) => {
            bare_names(scrutinee, out);
            arms.iter().for_each(|arm| bare_names(&arm.body, out));
        }
    }
}
