//! Checking a flow: its source and target, its filter, its statements, and that every
//! required target field is assigned exactly once.

use super::expr::Scope;
use super::{Checker, DeclKind, Declared};
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::ir::{self, Maybe, Type};
use crate::schema::Entity;
use crate::source_map::Span;
use crate::syntax::ast::{self, Ident};

impl<'a> Checker<'a> {
    pub(super) fn flow(&mut self, flow: &ast::FlowDecl, declared: &Declared) -> Option<ir::Flow> {
        let delivery = self.delivery_word(flow);
        let source = self.flow_end(&flow.source, DeclKind::Source, declared);
        let target = self.flow_end(&flow.target, DeclKind::Target, declared);
        let source_decl = source.and_then(|name| declared.source(&name));
        let source_entity = source_decl.and_then(|s| self.schema.entities.get(&s.entity));
        let target_decl = target.and_then(|name| declared.target(&name));
        let target_entity = target_decl.and_then(|t| self.schema.entities.get(&t.entity));

        // With an unknown source, names in the body cannot be resolved; checking them would
        // only produce knock-on errors.
        let mut scope = Scope::new(declared, source_decl, source_entity, source_decl.is_none());
        // The bindings of the source's `per source` block come first (`per_source.rs`).
        let shared = source_decl.and_then(|s| self.shared.get(&s.name)).cloned();
        for binding in shared.iter().flat_map(|(bindings, _)| bindings) {
            scope.bind(&binding.name, binding.span, binding.value.clone());
        }
        // A name used above its `let` is told where it is bound, not that it is unknown.
        for statement in &flow.statements {
            if let ast::Statement::Let { name, .. } = statement {
                scope.bind_later(name, self.line_of(name.span));
            }
        }
        self.excluded.clear();
        let filter = flow.filter.as_ref().and_then(|f| {
            let checked = self.expr(f, &mut scope)?;
            self.expect_plain(&checked, f.span, "a `where` filter")?;
            if checked.ty != Type::Bool {
                self.report(
                    Diagnostic::error(Code::TypeMismatch, "a `where` filter must be true or false")
                        .label(f.span, format!("this is {}", a(&checked.ty)))
                        .help("a filter keeps the records for which it is true: compare the value, for example with `==`, `!=`, `<` or `>`"),
                );
                return None;
            }
            // Records go on when the condition is true.
            self.note_exclusions(&checked, true, f.span);
            Some(ir::Filter {
                condition: checked,
                span: f.span,
            })
        });

        self.divisions.clear();
        let mut steps = Vec::new();
        let mut assigned: Vec<(String, Span)> = Vec::new();
        // Assignments to fields the target lacks, reported after every statement is seen, so
        // that a misspelt field is reported once: not also as the required field it meant.
        let mut unknown_fields: Vec<&Ident> = Vec::new();
        let mut complete = filter.is_some() || flow.filter.is_none();
        for statement in &flow.statements {
            match statement {
                ast::Statement::Let {
                    name,
                    value,
                    else_reject,
                } => {
                    self.statement_reject = else_reject.as_ref().map(|r| r.span);
                    let checked = self.expr(value, &mut scope);
                    if let Some(checked) = &checked {
                        self.note_division_binding(&name.name, value, checked);
                    }
                    let checked =
                        checked.and_then(|c| self.handle(c, value.span, else_reject.as_ref()));
                    let shared_binding = shared.as_ref().and_then(|(bindings, header)| {
                        let binding = bindings.iter().find(|b| b.name == name.name)?;
                        Some((binding.span, *header))
                    });
                    if let Some((binding, header)) = shared_binding {
                        self.report(
                            Diagnostic::error(
                                Code::SharedBindingClash,
                                format!(
                                    "`{}` is already bound for every flow of source `{}`",
                                    name.name, flow.source.name
                                ),
                            )
                            .label(name.span, "bound again in this flow")
                            .label(binding, "bound here, in the source's `per source` block")
                            .label(header, "shared by every flow of the source")
                            .help(format!(
                                "read the shared `{}` as it is, or give this flow's binding another name",
                                name.name
                            )),
                        );
                    } else if let Some(previous) = scope.local_span(&name.name) {
                        self.report(
                            Diagnostic::error(
                                Code::DuplicateBinding,
                                format!("`{}` is already bound in this flow", name.name),
                            )
                            .label(name.span, "bound again here")
                            .label(previous, "first bound here")
                            .help("give the second binding another name"),
                        );
                    }
                    match checked {
                        Some(value) => {
                            scope.bind(
                                &name.name,
                                name.span,
                                Some((value.ty.clone(), value.maybe.clone())),
                            );
                            steps.push(ir::Step::Let {
                                name: name.name.clone(),
                                value,
                                on_failure: else_reject.as_ref().map(|r| r.value.clone()),
                                span: name.span,
                            });
                        }
                        None => {
                            // Bound as poisoned, so uses of it do not report again.
                            scope.bind(&name.name, name.span, None);
                            complete = false;
                        }
                    }
                }
                ast::Statement::Assign {
                    field,
                    value,
                    else_reject,
                } => {
                    self.statement_reject = else_reject.as_ref().map(|r| r.span);
                    let known = target_entity.is_none_or(|e| e.field(&field.name).is_some());
                    if !known {
                        // The value is still checked, for its own errors.
                        self.expr(value, &mut scope);
                        unknown_fields.push(field);
                        complete = false;
                        continue;
                    }
                    let step = self.assignment(
                        field,
                        value,
                        else_reject.as_ref(),
                        target_entity,
                        &mut scope,
                        &mut assigned,
                    );
                    match step {
                        Some(step) => steps.push(step),
                        None => complete = false,
                    }
                }
                ast::Statement::Skip { condition, span } => {
                    self.statement_reject = None;
                    match self.skip(condition, *span, &mut scope) {
                        Some(step) => steps.push(step),
                        None => complete = false,
                    }
                }
            }
        }
        self.statement_reject = None;
        self.excluded.clear();
        if let Some(entity) = target_entity {
            let meant = self.unknown_target_fields(entity, &unknown_fields, &assigned);
            assigned.extend(meant.into_iter().map(|name| (name, flow.header_span)));
            self.required_fields(flow, entity, &assigned);
        }
        if !complete {
            return None;
        }
        Some(ir::Flow {
            name: flow.name.name.clone(),
            source: source_decl?.name.clone(),
            source_entity: source_entity?.name.clone(),
            target: target_decl?.name.clone(),
            target_entity: target_entity?.name.clone(),
            delivery: delivery?,
            filter,
            steps,
        })
    }

    /// Resolves the source or target named in a flow's header.
    pub(super) fn flow_end(
        &mut self,
        name: &Ident,
        want: DeclKind,
        declared: &Declared,
    ) -> Option<String> {
        match self.decls.get(&name.name).copied() {
            Some((kind, _)) if kind == want => {
                // Declared, but its declaration may have had errors of its own.
                let ok = match want {
                    DeclKind::Source => declared.source(&name.name).is_some(),
                    _ => declared.target(&name.name).is_some(),
                };
                ok.then(|| name.name.clone())
            }
            Some((kind, span)) => {
                self.report(
                    Diagnostic::error(
                        Code::UnknownDeclaration,
                        format!(
                            "`{}` is {}, not {}",
                            name.name,
                            kind.describe(),
                            want.describe()
                        ),
                    )
                    .label(name.span, format!("{} is expected here", want.describe()))
                    .label(span, format!("declared as {} here", kind.describe()))
                    .help("a flow reads from a `source` and writes to a `target`"),
                );
                None
            }
            None => {
                let candidates: Vec<&str> = self
                    .decls
                    .iter()
                    .filter(|(_, (k, _))| *k == want)
                    .map(|(n, _)| n.as_str())
                    .collect();
                self.report(
                    Diagnostic::error(
                        Code::UnknownDeclaration,
                        format!(
                            "there is no {} `{}`",
                            if want == DeclKind::Source {
                                "source"
                            } else {
                                "target"
                            },
                            name.name
                        ),
                    )
                    .label(name.span, "not declared")
                    .help(
                        did_you_mean(&name.name, candidates.iter().copied()).unwrap_or_else(|| {
                            format!(
                                "declare it with `{} {}: ...`",
                                if want == DeclKind::Source {
                                    "source"
                                } else {
                                    "target"
                                },
                                name.name
                            )
                        }),
                    ),
                );
                None
            }
        }
    }

    fn assignment(
        &mut self,
        field: &Ident,
        value: &ast::Expr,
        else_reject: Option<&ast::StringLit>,
        target_entity: Option<&Entity>,
        scope: &mut Scope,
        assigned: &mut Vec<(String, Span)>,
    ) -> Option<ir::Step> {
        let checked = self.expr(value, scope);
        let entity = target_entity?;
        // Unknown fields are set aside by the caller and reported with the flow's other gaps.
        let schema_field = entity.field(&field.name)?;
        if let Some((_, previous)) = assigned.iter().find(|(n, _)| *n == field.name) {
            self.report(
                Diagnostic::error(
                    Code::DuplicateAssignment,
                    format!("`{}` is assigned twice", field.name),
                )
                .label(field.span, "assigned again here")
                .label(*previous, "first assigned here")
                .help("a target field gets one value per record; remove one of the assignments"),
            );
            return None;
        }
        assigned.push((field.name.clone(), field.span));
        let checked = checked?;
        let field_ty = super::types::value_type(schema_field);
        let coerced = self.coerce(
            checked,
            &field_ty,
            value,
            &format!("field `{}`", field.name),
            Some(schema_field.span),
        )?;
        let handled = if else_reject.is_some() || !coerced.is_fallible() {
            self.handle(coerced, value.span, else_reject)?
        } else if schema_field.optional && matches!(coerced.maybe, Some(Maybe::Optional { .. })) {
            // An optional value may flow into an optional field: absent stays absent.
            coerced
        } else {
            self.expect_plain(&coerced, value.span, &format!("field `{}`", field.name))?;
            coerced
        };
        Some(ir::Step::Assign {
            field: field.name.clone(),
            optional_field: schema_field.optional,
            value: handled,
            on_failure: else_reject.map(|r| r.value.clone()),
            span: field.span,
        })
    }

    /// Applies `else reject`: the value must be one that can fail, and is no longer fallible.
    pub(super) fn handle(
        &mut self,
        value: ir::Expr,
        span: Span,
        else_reject: Option<&ast::StringLit>,
    ) -> Option<ir::Expr> {
        let Some(reject) = else_reject else {
            return Some(value);
        };
        if !value.is_fallible() {
            self.report(
                Diagnostic::error(
                    Code::NothingToHandle,
                    "this value cannot be absent, so `else reject` never happens",
                )
                .label(span, "always has a value")
                .label(reject.span, "this reject is unreachable")
                .help("remove `else reject ...`"),
            );
            return None;
        }
        Some(ir::Expr {
            maybe: None,
            ..value
        })
    }

    /// Reports each assignment to a field the target lacks (E0314) and returns the required
    /// fields those assignments stand for, which are then not reported as unassigned: the
    /// misspelling is the root cause, the missing field only its consequence. A misspelling
    /// stands for the closest field not assigned otherwise; one that resembles no field stands
    /// for every required field left unassigned, which its help then names.
    fn unknown_target_fields(
        &mut self,
        entity: &Entity,
        unknown: &[&Ident],
        assigned: &[(String, Span)],
    ) -> Vec<String> {
        let is_assigned = |name: &str| assigned.iter().any(|(n, _)| n == name);
        let mut meant: Vec<String> = Vec::new();
        for field in unknown {
            let free = || {
                entity
                    .field_names()
                    .filter(|n| !is_assigned(n) && !meant.iter().any(|m| m == n))
            };
            let suggestion = crate::diagnostic::closest(&field.name, free())
                .or_else(|| crate::diagnostic::closest(&field.name, entity.field_names()));
            let unassigned_required: Vec<String> = free()
                .filter(|n| entity.field(n).is_some_and(|f| !f.optional))
                .map(|n| format!("`{n}`"))
                .collect();
            let help = match suggestion {
                Some(name) => format!("did you mean `{name}`?"),
                None if !unassigned_required.is_empty() => format!(
                    "the required fields of `{}` this flow does not assign are {}; if `{}` is meant as one of them, write that name",
                    entity.name,
                    unassigned_required.join(", "),
                    field.name
                ),
                None => format!(
                    "the fields of `{}` are {}",
                    entity.name,
                    entity.field_names().collect::<Vec<_>>().join(", ")
                ),
            };
            match suggestion {
                Some(name) if !is_assigned(name) => meant.push(name.to_string()),
                Some(_) => {}
                None => meant.extend(
                    unassigned_required
                        .iter()
                        .map(|n| n.trim_matches('`').to_string()),
                ),
            }
            self.report(
                Diagnostic::error(
                    Code::UnknownTargetField,
                    format!("`{}` has no field `{}`", entity.name, field.name),
                )
                .label(field.span, "not a field of the target")
                .label(entity.span, format!("`{}` is declared here", entity.name))
                .help(help),
            );
        }
        meant
    }

    fn required_fields(
        &mut self,
        flow: &ast::FlowDecl,
        entity: &Entity,
        assigned: &[(String, Span)],
    ) {
        let missing: Vec<&str> = entity
            .fields
            .iter()
            .filter(|f| !f.optional && !assigned.iter().any(|(n, _)| *n == f.name))
            .map(|f| f.name.as_str())
            .collect();
        if missing.is_empty() {
            return;
        }
        // `let rpm = ...` where `rpm = ...` was meant: a `let` only names a value.
        let bound: Vec<(&str, Span)> = flow
            .statements
            .iter()
            .filter_map(|s| match s {
                ast::Statement::Let { name, .. } if missing.contains(&name.name.as_str()) => {
                    Some((name.name.as_str(), name.span))
                }
                _ => None,
            })
            .collect();
        let quoted: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
        let names = match quoted.as_slice() {
            [one] => one.clone(),
            many => format!(
                "{} and {}",
                many[..many.len() - 1].join(", "),
                many[many.len() - 1]
            ),
        };
        let (message, label) = if missing.len() == 1 {
            (
                format!(
                    "required field {names} of `{}` is not assigned",
                    entity.name
                ),
                format!("{names} is never assigned in this flow"),
            )
        } else {
            (
                format!(
                    "{} required fields of `{}` are not assigned",
                    missing.len(),
                    entity.name
                ),
                format!("{names} are never assigned in this flow"),
            )
        };
        let mut diagnostic =
            Diagnostic::error(Code::MissingTargetField, message).label(flow.header_span, label);
        for (name, span) in &bound {
            diagnostic = diagnostic.label(
                *span,
                format!("this `let` names a value `{name}`; it does not assign the field"),
            );
        }
        let help = match bound.as_slice() {
            [(name, _)] if flow_reads(flow, name) => format!(
                "a `let` does not write the field: add `{name} = {name}` below the `let`{}",
                if missing.len() > 1 {
                    ", and assign the other fields, or mark them `optional: true` in the schema"
                } else {
                    ""
                }
            ),
            [(name, _)] => format!(
                "to write the value into the field, assign it: replace `let {name} =` with `{name} =`{}",
                if missing.len() > 1 {
                    ", and assign the other fields, or mark them `optional: true` in the schema"
                } else {
                    ""
                }
            ),
            _ => format!(
                "assign {} in the flow, for example `{} = ...`, or mark {} `optional: true` in the schema",
                if missing.len() == 1 { "it" } else { "each" },
                missing[0],
                if missing.len() == 1 { "it" } else { "them" },
            ),
        };
        self.report(
            diagnostic
                .label(entity.span, format!("`{}` is declared here", entity.name))
                .help(help),
        );
    }
}

/// "a string", "an int", "an `EquipmentId`": declared types are quoted as code.
pub(super) fn a(ty: &Type) -> String {
    match ty {
        Type::Identifier(n) | Type::Enum(n) | Type::Entity(n) => a_named(n),
        _ => {
            let name = ty.to_string();
            format!("{} {name}", article(&name))
        }
    }
}

/// "an `EquipmentId`", "a `WorkOrderId`".
pub(super) fn a_named(name: &str) -> String {
    format!("{} `{name}`", article(name))
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    }
}

/// Whether any expression of the flow reads the name `name`.
fn flow_reads(flow: &ast::FlowDecl, name: &str) -> bool {
    fn reads(e: &ast::Expr, name: &str) -> bool {
        use ast::ExprKind as K;
        match &e.kind {
            K::Name(n) => n.name == name,
            K::Literal(_) | K::Quantity(..) | K::Reject(_) => false,
            K::Field(b, _) | K::Unary(_, b) | K::As(b, _) => reads(b, name),
            K::Index(a, b) | K::Binary(_, a, b) => reads(a, name) || reads(b, name),
            K::Call(_, args) | K::Tuple(args) => args.iter().any(|a| reads(a, name)),
            K::Match(s, arms) => reads(s, name) || arms.iter().any(|a| reads(&a.body, name)),
        }
    }
    flow.filter.as_ref().is_some_and(|f| reads(f, name))
        || flow.statements.iter().any(|s| match s {
            ast::Statement::Let { value, .. } | ast::Statement::Assign { value, .. } => {
                reads(value, name)
            }
            ast::Statement::Skip { condition, .. } => reads(condition, name),
        })
}
