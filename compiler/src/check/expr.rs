//! Checking expressions: resolving names, typing operators and calls, tracking which values
//! may be absent or fail.

use super::flow::a;
use super::source_fields::names_the_source;
use super::types::value_type;
use super::{Checker, DeclKind, Declared};
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::ir::{self, ExprKind, Maybe, Type};
use crate::schema::Entity;
use crate::source_map::Span;
use crate::syntax::ast::{self, Ident, Literal, UnaryOp};

/// The names visible in a flow's body.
pub(super) struct Scope<'d> {
    declared: &'d Declared,
    /// The flow's source, whose kind says what `source.topic` and `source.levels` may read.
    pub(super) source: Option<&'d ir::Source>,
    pub(super) source_entity: Option<&'d Entity>,
    /// The flow's source did not resolve: unknown names are not reported, since every name of
    /// the record would be.
    source_unresolved: bool,
    /// Inside the body of this function: there is no source record.
    function: Option<String>,
    locals: Vec<Local>,
    /// Every `let` of the flow, with the line it is on: a name used before its `let` is told
    /// where it is bound.
    later: Vec<(String, Span, usize)>,
}

pub(super) struct Local {
    name: String,
    span: Span,
    /// `None` when the binding's value had an error (uses of it stay silent).
    value: Option<(Type, Option<Maybe>)>,
}

impl<'d> Scope<'d> {
    pub fn new(
        declared: &'d Declared,
        source: Option<&'d ir::Source>,
        source_entity: Option<&'d Entity>,
        source_unresolved: bool,
    ) -> Self {
        Scope {
            declared,
            source,
            source_entity,
            source_unresolved,
            function: None,
            locals: Vec::new(),
            later: Vec::new(),
        }
    }

    /// The scope of a function body: only its parameters (bound by the caller).
    pub fn function(declared: &'d Declared, name: &str) -> Self {
        Scope {
            declared,
            source: None,
            source_entity: None,
            source_unresolved: false,
            function: Some(name.to_string()),
            locals: Vec::new(),
            later: Vec::new(),
        }
    }

    pub fn bind(&mut self, name: &str, span: Span, value: Option<(Type, Option<Maybe>)>) {
        self.locals.push(Local {
            name: name.to_string(),
            span,
            value,
        });
    }

    /// Records a `let` of the flow before its statements are checked.
    pub fn bind_later(&mut self, name: &Ident, line: usize) {
        self.later.push((name.name.clone(), name.span, line));
    }

    pub fn local_span(&self, name: &str) -> Option<Span> {
        self.locals.iter().find(|l| l.name == name).map(|l| l.span)
    }

    /// `base`, or `base_2`, `base_3`, ...: the first that names nothing in the flow, for a
    /// binding a help proposes.
    pub fn free_name(&self, base: &str) -> String {
        let taken =
            |n: &str| self.value_names().contains(&n) || self.later.iter().any(|(l, ..)| l == n);
        (1..)
            .map(|i| {
                if i == 1 {
                    base.to_string()
                } else {
                    format!("{base}_{i}")
                }
            })
            .find(|n| !taken(n))
            .unwrap_or_else(|| base.to_string())
    }

    /// Inside a function's body, where there is no source record.
    pub(super) fn in_function(&self) -> bool {
        self.function.is_some()
    }

    pub(super) fn local(&self, name: &str) -> Option<&Local> {
        self.locals.iter().rev().find(|l| l.name == name)
    }

    fn value_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.locals.iter().map(|l| l.name.as_str()).collect();
        if let Some(e) = self.source_entity {
            names.extend(e.field_names());
        }
        names
    }
}

pub(super) fn expr(kind: ExprKind, ty: Type, maybe: Option<Maybe>) -> ir::Expr {
    ir::Expr { kind, ty, maybe }
}

pub(super) fn is_numeric(ty: &Type) -> bool {
    matches!(ty, Type::Int | Type::Float | Type::Quantity(_))
}

impl<'a> Checker<'a> {
    pub(super) fn expr(&mut self, e: &ast::Expr, scope: &mut Scope) -> Option<ir::Expr> {
        match &e.kind {
            ast::ExprKind::Literal(lit) => Some(literal(lit)),
            ast::ExprKind::Name(name) => self.name(name, scope),
            ast::ExprKind::Field(base, field) => self.field(base, field, scope),
            ast::ExprKind::Index(base, key) => self.index(base, key, scope),
            ast::ExprKind::Call(function, args) => self.call(e, function, args, scope),
            ast::ExprKind::Unary(op, operand) => {
                let value = self.expr(operand, scope)?;
                let (context, wanted) = match op {
                    UnaryOp::Not => ("`not`", "a bool"),
                    UnaryOp::Neg => ("`-`", "a number"),
                };
                self.expect_plain(&value, operand.span, context)?;
                match (op, &value.ty) {
                    (UnaryOp::Not, Type::Bool) => {
                        Some(expr(ExprKind::Not(Box::new(value)), Type::Bool, None))
                    }
                    (UnaryOp::Neg, Type::Int | Type::Float | Type::Quantity(_)) => {
                        let ty = value.ty.clone();
                        Some(expr(ExprKind::Neg(Box::new(value)), ty, None))
                    }
                    (_, ty) => {
                        self.report(
                            Diagnostic::error(
                                Code::TypeMismatch,
                                format!("{context} needs {wanted}, but this is {}", a(ty)),
                            )
                            .label(operand.span, format!("this is {}", a(ty)))
                            .help(format!("{context} applies to {wanted}")),
                        );
                        None
                    }
                }
            }
            ast::ExprKind::Binary(op, lhs, rhs) => self.binary(*op, lhs, rhs, scope),
            ast::ExprKind::Match(scrutinee, arms) => self.match_expr(e, scrutinee, arms, scope),
            ast::ExprKind::Quantity(number, unit) => self.quantity(number, unit),
            ast::ExprKind::As(value, unit) => {
                let checked = self.expr(value, scope)?;
                self.convert(checked, value, unit)
            }
            ast::ExprKind::Reject(reason) => self.reject_arm(e.span, &reason.value, scope),
            ast::ExprKind::Tuple(values) => self.tuple_outside_key(e.span, values, scope),
        }
    }

    /// `reject "reason"`, which the grammar allows only as a match arm's body. The type is a
    /// placeholder: the match gives the arm the type of its other arms.
    fn reject_arm(&mut self, span: Span, reason: &str, scope: &Scope) -> Option<ir::Expr> {
        if let Some(function) = &scope.function {
            self.report(
                Diagnostic::error(Code::RejectOutsideFlow, format!("function `{function}` cannot reject a record"))
                    .label(span, "a function gives a value; it has no record to reject")
                    .help("return a value the flow can test, or move this match into the flow, where an arm may reject"),
            );
            return None;
        }
        Some(expr(
            ExprKind::Reject {
                reason: reason.to_string(),
            },
            Type::Bool,
            None,
        ))
    }

    fn name(&mut self, name: &Ident, scope: &Scope) -> Option<ir::Expr> {
        if let Some(local) = scope.local(&name.name) {
            let (ty, maybe) = local.value.clone()?;
            return Some(expr(ExprKind::Local(name.name.clone()), ty, maybe));
        }
        if let Some(field) = scope.source_entity.and_then(|e| e.field(&name.name)) {
            if field.quality.is_some() {
                return Some(self.good_sample(field));
            }
            let maybe = field.optional.then(|| Maybe::Optional {
                field: field.name.clone(),
            });
            return Some(expr(
                ExprKind::SourceField {
                    name: field.name.clone(),
                    optional: field.optional,
                },
                value_type(field),
                maybe,
            ));
        }
        if scope.source_unresolved {
            return None;
        }
        if let Some(function) = &scope.function {
            self.report(
                Diagnostic::error(
                    Code::UnknownName,
                    format!("`{}` is not a parameter of function `{function}`", name.name),
                )
                .label(name.span, "unknown name")
                .help(did_you_mean(&name.name, scope.value_names()).unwrap_or_else(|| {
                    "a function sees only its parameters (no source record, no lookups); pass what it needs as an argument".into()
                })),
            );
            return None;
        }
        if let Some((_, bound, line)) = scope.later.iter().find(|(n, ..)| *n == name.name) {
            let own = bound.start < name.span.start;
            let diagnostic = if own {
                Diagnostic::error(
                    Code::UnknownName,
                    format!("`{}` is used in the `let` that binds it", name.name),
                )
                .label(name.span, "not bound yet")
                .label(*bound, "bound here, by this `let`")
                .help(format!(
                    "a `let` cannot read the name it binds: compute `{}` from other values, or bind the value it needs first under another name",
                    name.name
                ))
            } else {
                Diagnostic::error(
                    Code::UnknownName,
                    format!("`{}` is bound below, on line {line}", name.name),
                )
                .label(name.span, "used before its `let`")
                .label(*bound, format!("`{}` is bound here", name.name))
                .help(format!(
                    "a `let` binds a name for the statements after it: move `let {} = ...` above this line",
                    name.name
                ))
            };
            self.report(diagnostic);
            return None;
        }
        let not_a_value = if name.name == "source" {
            Some((
                "`source` stands for the record's origin".to_string(),
                "use `source.position` or `source.name`".to_string(),
            ))
        } else if let Some((kind, _)) = self.decls.get(&name.name) {
            Some(match kind {
                DeclKind::Lookup => (
                    format!("`{}` is a lookup table, not a value", name.name),
                    format!("look a record up with `{}[key]`", name.name),
                ),
                _ => (
                    format!("`{}` is {}, not a value", name.name, kind.describe()),
                    "flows read the fields of their source's record by name".to_string(),
                ),
            })
        } else if self.schema.enums.contains_key(&name.name) {
            Some((
                format!("`{}` is an enum, not a value", name.name),
                format!(
                    "name one of its codes, such as `{}.{}`",
                    name.name,
                    self.schema.enums[&name.name]
                        .codes
                        .first()
                        .map(String::as_str)
                        .unwrap_or("CODE")
                ),
            ))
        } else if self.schema.identifiers.contains_key(&name.name) {
            Some((
                format!("`{}` is an identifier type, not a value", name.name),
                format!("build one with `{}(text)`", name.name),
            ))
        } else {
            None
        };
        if let Some((message, help)) = not_a_value {
            self.report(
                Diagnostic::error(Code::NotAValue, message)
                    .label(name.span, "not a value")
                    .help(help),
            );
            return None;
        }
        let entity = scope
            .source_entity
            .map(|e| e.name.as_str())
            .unwrap_or("the source record");
        self.report(
            Diagnostic::error(Code::UnknownName, format!("`{}` is neither a field of `{entity}` nor a `let` binding", name.name))
                .label(name.span, "unknown name")
                .maybe_help(did_you_mean(&name.name, scope.value_names()))
                .maybe_help(scope.source_entity.filter(|_| did_you_mean(&name.name, scope.value_names()).is_none()).map(|e| {
                    const SHOWN: usize = 12;
                    let fields: Vec<String> = e.field_names().map(|f| format!("`{f}`")).collect();
                    let listed = if fields.len() > SHOWN {
                        format!("{}, and {} more", fields[..SHOWN].join(", "), fields.len() - SHOWN)
                    } else {
                        fields.join(", ")
                    };
                    format!("the fields of `{}` are {listed}; if the data has a field `{}`, add it to the schema", e.name, name.name)
                })),
        );
        None
    }

    fn field(&mut self, base: &ast::Expr, field: &Ident, scope: &mut Scope) -> Option<ir::Expr> {
        if let ast::ExprKind::Field(inner, levels) = &base.kind {
            if levels.name == "levels" && names_the_source(inner, scope) {
                return self.source_level(levels, field, scope);
            }
            if levels.name == "topic" && names_the_source(inner, scope) {
                return self.level_of_topic_string(base, field, scope);
            }
        }
        if let ast::ExprKind::Name(name) = &base.kind {
            let sample = scope
                .source_entity
                .and_then(|e| e.field(&name.name))
                .filter(|f| f.quality.is_some() && scope.local(&name.name).is_none());
            if let Some(sample) = sample {
                return self.sample_part(sample, field);
            }
            let shadowed = scope.local(&name.name).is_some()
                || scope
                    .source_entity
                    .is_some_and(|e| e.field(&name.name).is_some());
            if !shadowed {
                if name.name == "source" && scope.function.is_none() {
                    return self.source_field(field, scope);
                }
                let unresolved = !self.decls.contains_key(&name.name)
                    && !scope.later.iter().any(|(n, ..)| *n == name.name)
                    && did_you_mean(&name.name, scope.value_names()).is_none();
                if unresolved
                    && !self.schema.enums.contains_key(&name.name)
                    && crate::diagnostic::closest(
                        &name.name,
                        self.schema.enums.keys().map(String::as_str),
                    )
                    .is_some()
                {
                    self.unknown_enum(name, field, None);
                    return None;
                }
                if let Some(enumeration) = self.schema.enums.get(&name.name) {
                    if enumeration.codes.contains(&field.name) {
                        return Some(expr(
                            ExprKind::EnumCode {
                                enum_name: name.name.clone(),
                                code: field.name.clone(),
                            },
                            Type::Enum(name.name.clone()),
                            None,
                        ));
                    }
                    self.unknown_code(&name.name, field);
                    return None;
                }
            }
        }
        let value = self.expr(base, scope)?;
        let Type::Entity(entity_name) = &value.ty else {
            self.report(
                Diagnostic::error(
                    Code::UnknownField,
                    format!("{} has no fields", a(&value.ty)),
                )
                .label(field.span, format!("`.{}` on {}", field.name, a(&value.ty)))
                .help("only records from lookups have fields"),
            );
            return None;
        };
        let entity = &self.schema.entities[entity_name];
        let Some(schema_field) = entity.field(&field.name) else {
            self.report(
                Diagnostic::error(
                    Code::UnknownField,
                    format!("`{}` has no field `{}`", entity.name, field.name),
                )
                .label(field.span, "unknown field")
                .label(entity.span, format!("`{}` is declared here", entity.name))
                .maybe_help(did_you_mean(&field.name, entity.field_names())),
            );
            return None;
        };
        let maybe = value.maybe.clone().or_else(|| {
            schema_field.optional.then(|| Maybe::Optional {
                field: field.name.clone(),
            })
        });
        Some(expr(
            ExprKind::EntityField {
                base: Box::new(value),
                field: field.name.clone(),
                optional: schema_field.optional,
            },
            value_type(schema_field),
            maybe,
        ))
    }

    /// `Enum.CODE` where no enum of that name exists but one of a close name does: the enum
    /// is misspelt, which says more than "unknown name" or a type mismatch would.
    /// `expected` is the enum the place wants, if it wants one (a match pattern's).
    pub(super) fn unknown_enum(&mut self, enum_name: &Ident, code: &Ident, expected: Option<&str>) {
        let enums = self.schema.enums.keys().map(String::as_str);
        let suggestion = expected
            .filter(|e| crate::diagnostic::closest(&enum_name.name, [*e]).is_some())
            .or_else(|| crate::diagnostic::closest(&enum_name.name, enums));
        let help = match suggestion {
            Some(e) => {
                let codes = &self.schema.enums[e].codes;
                match crate::diagnostic::closest(&code.name, codes.iter().map(String::as_str)) {
                    Some(c) => format!("did you mean `{e}.{c}`?"),
                    None => format!(
                        "did you mean the enum `{e}`? Its codes are {}",
                        codes.join(", ")
                    ),
                }
            }
            None => {
                let all: Vec<&str> = self.schema.enums.keys().map(String::as_str).collect();
                format!("the enums of the schemas are {}", all.join(", "))
            }
        };
        self.report(
            Diagnostic::error(
                Code::UnknownName,
                format!("there is no enum `{}`", enum_name.name),
            )
            .label(enum_name.span.to(code.span), "no enum of this name")
            .help(help),
        );
    }

    pub(super) fn unknown_code(&mut self, enum_name: &str, code: &Ident) {
        let enumeration = &self.schema.enums[enum_name];
        self.report(
            Diagnostic::error(
                Code::UnknownEnumCode,
                format!("`{}` is not a code of `{enum_name}`", code.name),
            )
            .label(code.span, "unknown code")
            .label(enumeration.span, format!("`{enum_name}` is declared here"))
            .help(
                did_you_mean(&code.name, enumeration.codes.iter().map(String::as_str))
                    .unwrap_or_else(|| {
                        format!(
                            "the codes of `{enum_name}` are {}",
                            enumeration.codes.join(", ")
                        )
                    }),
            ),
        );
    }

    fn index(&mut self, base: &ast::Expr, key: &ast::Expr, scope: &mut Scope) -> Option<ir::Expr> {
        let lookup = match &base.kind {
            ast::ExprKind::Name(name) => match scope.declared.lookup(&name.name) {
                Some(lookup) => Some(lookup),
                None if matches!(self.decls.get(&name.name), Some((DeclKind::Lookup, _))) => {
                    return None
                }
                None => None,
            },
            _ => None,
        };
        let Some(lookup) = lookup else {
            let lookups: Vec<&str> = scope
                .declared
                .lookups
                .iter()
                .map(|l| l.name.as_str())
                .collect();
            let hint = match &base.kind {
                ast::ExprKind::Name(n) => did_you_mean(&n.name, lookups.iter().copied()),
                _ => None,
            };
            // A name that is nothing at all: most likely a misspelt lookup, so it is told as
            // an unknown name, not as a value that cannot be indexed.
            if let ast::ExprKind::Name(n) = &base.kind {
                let known = self.decls.contains_key(&n.name)
                    || scope.local(&n.name).is_some()
                    || scope.later.iter().any(|(l, ..)| *l == n.name)
                    || scope
                        .source_entity
                        .is_some_and(|e| e.field(&n.name).is_some());
                if !known {
                    if !scope.source_unresolved {
                        self.report(
                            Diagnostic::error(
                                Code::UnknownName,
                                format!("there is no lookup `{}`", n.name),
                            )
                            .label(n.span, "not declared")
                            .help(hint.unwrap_or_else(|| {
                                format!(
                                    "declare it with `lookup {}: csv(\"...\") as Entity key field`",
                                    n.name
                                )
                            })),
                        );
                    }
                    // The key is still checked, for its own errors (a composite key's values
                    // one by one: in brackets, values in parentheses are no mistake).
                    match &key.kind {
                        ast::ExprKind::Tuple(values) => values.iter().for_each(|v| {
                            self.expr(v, scope);
                        }),
                        _ => {
                            self.expr(key, scope);
                        }
                    }
                    return None;
                }
            }
            self.report(
                Diagnostic::error(Code::NotAValue, "only lookups can be indexed with `[...]`")
                    .label(base.span, "not a lookup")
                    .help(hint.unwrap_or_else(|| {
                        "declare a lookup with `lookup name: csv(\"...\") as Entity key field`"
                            .into()
                    })),
            );
            return None;
        };
        let values = self.key_values(lookup, key, scope)?;
        Some(expr(
            ExprKind::Lookup {
                lookup: lookup.name.clone(),
                key: values,
            },
            Type::Entity(lookup.entity.clone()),
            Some(Maybe::LookupMiss {
                lookup: lookup.name.clone(),
            }),
        ))
    }
}

pub(super) fn literal(lit: &Literal) -> ir::Expr {
    match lit {
        Literal::String(s) => expr(
            ExprKind::Literal(ir::Literal::String(s.clone())),
            Type::String,
            None,
        ),
        Literal::Int(i) => expr(ExprKind::Literal(ir::Literal::Int(*i)), Type::Int, None),
        Literal::Float(f) => expr(ExprKind::Literal(ir::Literal::Float(*f)), Type::Float, None),
        Literal::Bool(b) => expr(ExprKind::Literal(ir::Literal::Bool(*b)), Type::Bool, None),
    }
}
