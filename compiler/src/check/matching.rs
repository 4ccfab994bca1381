//! Checking `match`: pattern types, duplicate patterns, exhaustiveness, and one result type.

use super::expr::{expr, literal, Scope};
use super::flow::a;
use super::Checker;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, ExprKind, Type};
use crate::schema::IdBase;
use crate::syntax::ast::{self, PatternKind};

impl Checker<'_> {
    pub(super) fn match_expr(
        &mut self,
        whole: &ast::Expr,
        scrutinee: &ast::Expr,
        arms: &[ast::MatchArm],
        scope: &mut Scope,
    ) -> Option<ir::Expr> {
        let value = self.expr(scrutinee, scope);
        // Arm bodies are checked even when the scrutinee has an error, to report their errors.
        let bodies: Vec<Option<ir::Expr>> =
            arms.iter().map(|arm| self.expr(&arm.body, scope)).collect();
        let value = value?;
        self.expect_plain(&value, scrutinee.span, "`match`")?;
        if matches!(value.ty, Type::Float | Type::Entity(_) | Type::Timestamp) {
            self.report(
                Diagnostic::error(Code::TypeMismatch, format!("cannot match on {}", a(&value.ty)))
                    .label(scrutinee.span, format!("this is {}", a(&value.ty)))
                    .help("match on a string, an int, a bool, an identifier or an enum; compare floats with `<` and `>`"),
            );
            return None;
        }

        let mut ir_arms = Vec::new();
        let mut seen: Vec<(ir::Pattern, crate::source_map::Span)> = Vec::new();
        let mut has_wildcard = false;
        let mut patterns_ok = true;
        // What the patterns that failed were meant to cover: the code each most likely names,
        // or `None` once one names nothing recognisable, so that exhaustiveness is not
        // reported on top of the pattern's own error.
        let mut meant: Option<Vec<String>> = Some(Vec::new());
        for arm in arms {
            let mut patterns = Vec::new();
            let mut arm_has_wildcard = false;
            for pattern in &arm.patterns {
                match self.pattern(pattern, &value.ty) {
                    Some(None) => {
                        has_wildcard = true;
                        arm_has_wildcard = true;
                    }
                    Some(Some(p)) => {
                        if let Some((_, first)) = seen.iter().find(|(q, _)| *q == p) {
                            self.report(
                                Diagnostic::error(
                                    Code::DuplicatePattern,
                                    "this pattern is already matched by an earlier arm",
                                )
                                .label(pattern.span, "matched again")
                                .label(*first, "first matched here")
                                .help(duplicate_help(&value.ty, self.schema)),
                            );
                            patterns_ok = false;
                        }
                        seen.push((p.clone(), pattern.span));
                        patterns.push(p);
                    }
                    None => {
                        patterns_ok = false;
                        match (self.meant_code(pattern, &value.ty), meant.as_mut()) {
                            (Some(code), Some(codes)) => codes.push(code),
                            _ => meant = None,
                        }
                    }
                }
            }
            // `"a" | _` matches everything, as `_` alone does: the IR's `_` arm has no patterns.
            if arm_has_wildcard {
                patterns.clear();
            }
            ir_arms.push(patterns);
        }

        // Codes a filter of the flow has excluded above need no arm (flow-sensitive
        // exhaustiveness, `excluded.rs`); an arm that names one cannot run.
        let excluded = self.excluded_codes(&value);
        self.arms_excluded_by_filter(&seen, &excluded);
        let missing_codes: Vec<String> = match (&value.ty, &meant) {
            (_, None) => Vec::new(),
            (Type::Enum(name), Some(meant)) if !has_wildcard => self.schema.enums[name]
                .codes
                .iter()
                .filter(|code| {
                    !seen.iter().any(
                        |(p, _)| matches!(p, ir::Pattern::EnumCode { code: c, .. } if c == *code),
                    ) && !meant.contains(code)
                        && !excluded.iter().any(|(c, _)| c == *code)
                })
                .cloned()
                .collect(),
            (Type::Bool, Some(_)) if !has_wildcard => [true, false]
                .iter()
                .filter(|b| {
                    !seen
                        .iter()
                        .any(|(p, _)| *p == ir::Pattern::Literal(ir::Literal::Bool(**b)))
                })
                .map(|b| b.to_string())
                .collect(),
            _ => Vec::new(),
        };
        if !missing_codes.is_empty() {
            let shown: Vec<String> = missing_codes
                .iter()
                .map(|c| match &value.ty {
                    Type::Enum(name) => format!("`{name}.{c}`"),
                    _ => format!("`{c}`"),
                })
                .collect();
            let listed = match shown.as_slice() {
                [one] => one.clone(),
                many => format!(
                    "{} and {}",
                    many[..many.len() - 1].join(", "),
                    many[many.len() - 1]
                ),
            };
            let (verb, arms, other) = match (&value.ty, shown.len()) {
                (Type::Enum(_), 1) => ("is", "an arm", "every other code"),
                (Type::Enum(_), _) => ("are", "arms", "every other code"),
                _ => ("is", "an arm", "the other value"),
            };
            let mut d = Diagnostic::error(
                Code::NonExhaustiveMatch,
                format!("this match does not cover {listed}"),
            )
            .label(scrutinee.span, format!("{listed} {verb} not handled"))
            .help(format!(
                "add {arms} for {listed}, or a `_ => ...` arm for {other}"
            ));
            if let Type::Enum(name) = &value.ty {
                let enumeration = &self.schema.enums[name];
                d = match &enumeration.origin {
                    // Codes from master data: a code added there is why this match broke.
                    Some(origin) => d
                        .label(origin.span, format!("the codes of `{name}` are read from {}", origin.path))
                        .help(format!(
                            "add {arms} for {listed}, or a `_ => ...` arm for {other}; the codes of `{name}` come from the master-data file {}, so a code added there must be mapped here before deployment",
                            origin.path
                        )),
                    None => d.label(
                        enumeration.span,
                        format!("the codes of `{name}` are declared here"),
                    ),
                };
            }
            self.report(d);
            patterns_ok = false;
        }
        if matches!(value.ty, Type::String | Type::Int | Type::Identifier(_)) && !has_wildcard {
            self.report(
                Diagnostic::error(Code::MatchWithoutWildcard, format!("a match on {} needs a `_` arm", a(&value.ty)))
                    .label(whole.span, "no `_` arm")
                    .help("add `_ => ...` for every other value: data from machines contains values nobody listed"),
            );
            patterns_ok = false;
        }

        let bodies: Vec<ir::Expr> = bodies.into_iter().collect::<Option<_>>()?;
        if !patterns_ok {
            return None;
        }
        let values: Vec<&ir::Expr> = bodies.iter().filter(|b| !is_reject(b)).collect();
        let Some(first_value) = arms
            .iter()
            .find(|arm| !matches!(arm.body.kind, ast::ExprKind::Reject(_)))
        else {
            self.report(
                Diagnostic::error(Code::EveryArmRejects, "every arm of this match rejects the record")
                    .label(whole.span, "this match gives no value")
                    .help("give at least one arm a value: a match whose every arm rejects sends every record of the source to the dead letter"),
            );
            return None;
        };
        let result_ty = arm_type(&values);
        let mut out = Vec::new();
        for ((patterns, mut body), arm) in ir_arms.into_iter().zip(bodies).zip(arms) {
            let body = if is_reject(&body) {
                body.ty = result_ty.clone();
                body
            } else if body.ty == result_ty {
                body
            } else if body.ty == Type::Int && result_ty == Type::Float {
                self.warn_int_division(&arm.body, &body, "a match whose other arms give floats");
                let maybe = body.maybe.clone();
                expr(ExprKind::IntToFloat(Box::new(body)), Type::Float, maybe)
            } else {
                self.report(
                    Diagnostic::error(
                        Code::ArmTypeMismatch,
                        format!(
                            "this arm gives {}, the first gives {}",
                            a(&body.ty),
                            a(&result_ty)
                        ),
                    )
                    .label(arm.body.span, format!("this is {}", a(&body.ty)))
                    .label(first_value.body.span, format!("this is {}", a(&result_ty)))
                    .help("every arm of a match must give the same type"),
                );
                return None;
            };
            out.push(ir::MatchArm { patterns, body });
        }
        // The reason that matters most: an optional value may go into an optional field, but a
        // lookup miss or a failure in any arm must not be written as absent.
        let maybe = out
            .iter()
            .filter_map(|arm| arm.body.maybe.clone())
            .max_by_key(|m| match m {
                ir::Maybe::Optional { .. } => 0,
                ir::Maybe::Quality { .. } => 1,
                ir::Maybe::LookupMiss { .. } => 2,
                ir::Maybe::Failure { .. } => 3,
            });
        Some(expr(
            ExprKind::Match {
                scrutinee: Box::new(value),
                arms: out,
            },
            result_ty,
            maybe,
        ))
    }

    /// Warns of each arm pattern naming a code a filter of the flow has excluded: no record
    /// that reaches the match has it.
    fn arms_excluded_by_filter(
        &mut self,
        seen: &[(ir::Pattern, crate::source_map::Span)],
        excluded: &[(String, crate::source_map::Span)],
    ) {
        for (pattern, span) in seen {
            let ir::Pattern::EnumCode { enum_name, code } = pattern else {
                continue;
            };
            let Some((_, filter)) = excluded.iter().find(|(c, _)| c == code) else {
                continue;
            };
            self.report(
                Diagnostic::warning(
                    Code::ArmExcludedByFilter,
                    format!("no record reaching this match is `{enum_name}.{code}`: a filter of the flow has excluded it"),
                )
                .label(*span, "this pattern never matches")
                .label(*filter, format!("`{enum_name}.{code}` is filtered out here"))
                .help(format!("remove `{enum_name}.{code}` from the match; the match need not cover it")),
            );
        }
    }

    /// The code of the matched enum a pattern that failed most likely means: its code
    /// misspelt, or the code written as a string. `None` when it names nothing recognisable
    /// (or the value is not an enum).
    fn meant_code(&self, pattern: &ast::Pattern, ty: &Type) -> Option<String> {
        let Type::Enum(name) = ty else {
            return None;
        };
        let codes = &self.schema.enums[name].codes;
        let written = match &pattern.kind {
            PatternKind::EnumCode(_, code) => code.name.as_str(),
            PatternKind::Literal(ast::Literal::String(text)) => text.as_str(),
            _ => return None,
        };
        crate::diagnostic::closest(written, codes.iter().map(String::as_str)).map(str::to_string)
    }

    /// `Some(None)` for `_`, `Some(Some(p))` for a valid pattern, `None` after an error.
    fn pattern(&mut self, pattern: &ast::Pattern, ty: &Type) -> Option<Option<ir::Pattern>> {
        let found = match &pattern.kind {
            PatternKind::Wildcard => return Some(None),
            PatternKind::EnumCode(enum_name, code) => {
                if let Type::Enum(expected) = ty {
                    if enum_name.name == *expected {
                        if self.schema.enums[expected].codes.contains(&code.name) {
                            return Some(Some(ir::Pattern::EnumCode {
                                enum_name: expected.clone(),
                                code: code.name.clone(),
                            }));
                        }
                        self.unknown_code(expected, code);
                        return None;
                    }
                }
                if !self.schema.enums.contains_key(&enum_name.name) {
                    let expected = match ty {
                        Type::Enum(e) => Some(e.as_str()),
                        _ => None,
                    };
                    self.unknown_enum(enum_name, code, expected);
                    return None;
                }
                Type::Enum(enum_name.name.clone())
            }
            PatternKind::Literal(lit) => {
                let value = literal(lit);
                let ok = value.ty == *ty
                    || matches!(ty, Type::Identifier(_)) && value.ty == Type::String;
                if ok {
                    let ExprKind::Literal(l) = value.kind else {
                        return None;
                    };
                    return match (ty, l) {
                        (Type::Identifier(id), ir::Literal::String(text)) => self
                            .identifier_pattern(id, &text, pattern.span)
                            .map(|text| Some(ir::Pattern::Literal(ir::Literal::String(text)))),
                        (_, l) => Some(Some(ir::Pattern::Literal(l))),
                    };
                }
                value.ty
            }
        };
        self.report(
            Diagnostic::error(
                Code::TypeMismatch,
                format!(
                    "this pattern is {}, but the value matched is {}",
                    a(&found),
                    a(ty)
                ),
            )
            .label(pattern.span, format!("this is {}", a(&found)))
            .help(match (ty, &pattern.kind) {
                (Type::Enum(name), PatternKind::Literal(ast::Literal::String(text))) => {
                    match super::operators::enum_code_for_text(&self.schema.enums[name].codes, text) {
                        Some(code) => format!("an enum's codes are written `{name}.CODE`: replace `\"{text}\"` with `{name}.{code}`"),
                        None => format!("an enum's codes are written `{name}.CODE`; `{name}` has no code like \"{text}\": its codes are {}", self.schema.enums[name].codes.join(", ")),
                    }
                }
                (Type::Enum(name), _) => format!("write the codes as `{name}.CODE`"),
                // A code where the value is text: the code's text is what the data holds.
                (Type::String, PatternKind::EnumCode(enum_name, code)) => format!(
                    "the value matched is text, so its patterns are strings: replace `{}.{}` with `\"{}\"`, or match on a value of `{}`",
                    enum_name.name, code.name, code.name, enum_name.name
                ),
                _ => format!("patterns must be {} literals", ty),
            }),
        );
        None
    }
}

impl Checker<'_> {
    /// A string pattern on an identifier value is that identifier written as a literal, as in
    /// `ItemNo("007")`: it must satisfy the type's rules (or it could never match), and an
    /// int-based identifier is compared by its number, so the pattern becomes the number's text
    /// (`"007"` matches the value read from `007` or `7`). `None` after an error.
    fn identifier_pattern(
        &mut self,
        id_name: &str,
        text: &str,
        span: crate::source_map::Span,
    ) -> Option<String> {
        let id_type = &self.schema.identifiers[id_name];
        if let Some(problem) = super::calls::identifier_problem(id_type, text) {
            let declared = id_type.span;
            self.report(
                Diagnostic::error(
                    Code::PatternMismatch,
                    format!("\"{text}\" is not a valid `{id_name}`, so this arm never matches"),
                )
                .label(span, problem)
                .label(declared, format!("`{id_name}` is declared here"))
                .help("fix the pattern, or the identifier type's rule in the schema"),
            );
            return None;
        }
        Some(match id_type.base {
            // The runtime's check accepted the text as an i64, surrounding spaces and all, as
            // it reads an int-based identifier: `" 7"` matches 7.
            IdBase::Int => text
                .trim()
                .parse::<i64>()
                .map_or_else(|_| text.to_string(), |n| n.to_string()),
            IdBase::String => text.to_string(),
        })
    }
}

/// The help of a duplicate pattern; on an int-based identifier the two may be spelled apart.
fn duplicate_help(ty: &Type, schema: &crate::schema::SchemaSet) -> String {
    let help = "remove one of them; only the first arm that matches is used";
    match ty {
        Type::Identifier(id)
            if schema
                .identifiers
                .get(id)
                .is_some_and(|i| i.base == IdBase::Int) =>
        {
            format!("{help} (`{id}` is int-based: `\"007\"` and `\"7\"` are the same value)")
        }
        _ => help.to_string(),
    }
}

fn is_reject(body: &ir::Expr) -> bool {
    matches!(body.kind, ExprKind::Reject { .. })
}

/// The type all arms that give a value give: the first one's, or float when ints and floats mix.
fn arm_type(bodies: &[&ir::Expr]) -> Type {
    let all_numeric = bodies
        .iter()
        .all(|b| matches!(b.ty, Type::Int | Type::Float));
    if all_numeric && bodies.iter().any(|b| b.ty == Type::Float) {
        Type::Float
    } else {
        bodies.first().map(|b| b.ty.clone()).unwrap_or(Type::Bool)
    }
}
