//! `source.*` in a flow: where the record is (`source.position`, `source.name`) and, for a
//! broker message, the topic it came on (`source.topic`) and the levels its source's filters name
//! (`source.levels.line` for `plant/+line/+machine/state`). A level is read only when every filter
//! of the source names it, so every record of the source has it.

use fdi_runtime::TopicFilter;

use super::expr::{expr, Scope};
use super::Checker;
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::ir::{self, ExprKind, Type};
use crate::source_map::Span;
use crate::syntax::ast::{self, Ident};

/// Whether `base` is the word `source` of `source.FIELD`: in a flow, and not a binding or a field
/// of the source's record of that name.
pub(super) fn names_the_source(base: &ast::Expr, scope: &Scope) -> bool {
    let ast::ExprKind::Name(name) = &base.kind else {
        return false;
    };
    name.name == "source"
        && scope.local("source").is_none()
        && scope
            .source_entity
            .is_none_or(|e| e.field("source").is_none())
        && !scope.in_function()
}

/// The filters of a source whose records have a topic, each with the span of its literal; `None`
/// for a source without topics.
fn filters(source: &ir::Source) -> Option<Vec<(&str, Span)>> {
    match &source.kind {
        ir::SourceKind::Mqtt {
            topics,
            filter_spans,
            ..
        } => Some(
            topics
                .iter()
                .map(String::as_str)
                .zip(filter_spans.iter().copied())
                .collect(),
        ),
        _ => None,
    }
}

/// The names of the levels every one of `filters` names, in the first filter's order.
fn common_names(filters: &[(&str, Span)]) -> Vec<String> {
    let parsed: Vec<TopicFilter> = filters
        .iter()
        .filter_map(|(text, _)| TopicFilter::parse(text).ok())
        .collect();
    let Some(first) = parsed.first() else {
        return Vec::new();
    };
    first
        .names()
        .filter(|name| parsed.iter().all(|f| f.names().any(|n| n == *name)))
        .map(str::to_string)
        .collect()
}

fn names_level(filter: &str, name: &str) -> bool {
    TopicFilter::parse(filter).is_ok_and(|f| f.names().any(|n| n == name))
}

fn code_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl Checker<'_> {
    /// `source.FIELD` in a flow.
    pub(super) fn source_field(&mut self, field: &Ident, scope: &Scope) -> Option<ir::Expr> {
        match field.name.as_str() {
            "position" => Some(expr(ExprKind::SourcePosition, Type::Int, None)),
            "name" => Some(expr(ExprKind::SourceName, Type::String, None)),
            "topic" => {
                let source = scope.source?;
                if filters(source).is_none() {
                    self.no_topic(source, field);
                    return None;
                }
                Some(expr(ExprKind::SourceTopic, Type::String, None))
            }
            "levels" => {
                let source = scope.source?;
                let Some(filters) = filters(source) else {
                    self.no_topic(source, field);
                    return None;
                };
                let names = common_names(&filters);
                let help = match names.first() {
                    Some(first) => format!(
                        "read one level by its name, as `source.levels.{first}`; the filters of `{}` name {}",
                        source.name,
                        code_list(&names)
                    ),
                    None => format!(
                        "read one level by its name, as `source.levels.line`, after naming it in every filter of `{}` (`plant/+line/state`)",
                        source.name
                    ),
                };
                self.report(
                    Diagnostic::error(
                        Code::NotAValue,
                        "`source.levels` is not a value, but the levels of the topic by name",
                    )
                    .label(field.span, "a level's name must follow")
                    .help(help),
                );
                None
            }
            other => {
                let mut fields = vec!["position", "name"];
                if scope.source.and_then(filters).is_some() {
                    fields.extend(["topic", "levels"]);
                }
                let listed = match fields.as_slice() {
                    [init @ .., last] => {
                        let init: Vec<String> = init.iter().map(|f| format!("`{f}`")).collect();
                        format!("{} and `{last}`", init.join(", "))
                    }
                    [] => String::new(),
                };
                self.report(
                    Diagnostic::error(Code::UnknownField, format!("`source` has no `{other}`"))
                        .label(field.span, "unknown")
                        .help(
                            did_you_mean(other, fields.iter().copied())
                                .unwrap_or_else(|| format!("`source` has {listed}")),
                        ),
                );
                None
            }
        }
    }

    /// `source.levels.NAME` in a flow (`levels` is the word `levels` after `source`).
    pub(super) fn source_level(
        &mut self,
        levels: &Ident,
        name: &Ident,
        scope: &Scope,
    ) -> Option<ir::Expr> {
        let source = scope.source?;
        let Some(filters) = filters(source) else {
            self.no_topic(source, levels);
            return None;
        };
        let lacking: Vec<(&str, Span)> = filters
            .iter()
            .copied()
            .filter(|(filter, _)| !names_level(filter, &name.name))
            .collect();
        if lacking.is_empty() {
            return Some(expr(
                ExprKind::SourceTopicLevel {
                    name: name.name.clone(),
                },
                Type::String,
                None,
            ));
        }
        let named_somewhere = lacking.len() < filters.len();
        let message = if named_somewhere {
            format!(
                "`{}` is not named by every topic filter of source `{}`",
                name.name, source.name
            )
        } else {
            format!(
                "no topic filter of source `{}` names a level `{}`",
                source.name, name.name
            )
        };
        let mut diagnostic = Diagnostic::error(Code::TopicLevelNotNamed, message).label(
            name.span,
            if named_somewhere {
                "a level some messages would not have"
            } else {
                "not a named level"
            },
        );
        let common = common_names(&filters);
        let misspelt = did_you_mean(&name.name, common.iter().map(String::as_str));
        // A misspelt name is about the flow; otherwise, the filters that lack the name are shown.
        if misspelt.is_none() {
            for (_, span) in &lacking {
                diagnostic = diagnostic.label(*span, format!("names no level `{}`", name.name));
            }
        }
        let help = misspelt
            .or_else(|| self.naming_rewrite(&name.name, &filters, &lacking))
            .unwrap_or_else(|| {
                let rule = "a filter names a level by a name written after its wildcard (`plant/+line/state`), and a flow reads only a level that every filter of its source names, so that every message has it";
                if common.is_empty() {
                    format!("{rule}; the filters of `{}` name none in common", source.name)
                } else {
                    format!(
                        "{rule}; every filter of `{}` names {}",
                        source.name,
                        code_list(&common)
                    )
                }
            });
        self.report(diagnostic.help(help));
        None
    }

    /// `source.topic.NAME`: the topic is a string, whose levels are `source.levels.NAME`.
    pub(super) fn level_of_topic_string(
        &mut self,
        topic: &ast::Expr,
        name: &Ident,
        scope: &Scope,
    ) -> Option<ir::Expr> {
        let source = scope.source?;
        let Some(filters) = filters(source) else {
            let ast::ExprKind::Field(_, word) = &topic.kind else {
                return None;
            };
            self.no_topic(source, word);
            return None;
        };
        let written = Span::new(topic.span.file, topic.span.start, name.span.end);
        let named = filters
            .iter()
            .all(|(filter, _)| names_level(filter, &name.name));
        let help = if named {
            format!(
                "the topic's named levels are read from `source.levels`: replace `source.topic.{0}` with `source.levels.{0}`",
                name.name
            )
        } else {
            let common = common_names(&filters);
            format!(
                "the topic's named levels are read from `source.levels`, and a filter names a level by a name after its wildcard (`plant/+line/state`); {}",
                if common.is_empty() {
                    format!("the filters of `{}` name none in common", source.name)
                } else {
                    format!("every filter of `{}` names {}", source.name, code_list(&common))
                }
            )
        };
        self.report(
            Diagnostic::error(
                Code::UnknownField,
                "`source.topic` is a string, which has no fields",
            )
            .label(written, "a level read from the topic's text")
            .help(help),
        );
        None
    }

    /// The one filter that lacks the level `name`, rewritten to name it, when where to name it is
    /// certain: the level another filter names so is an unnamed wildcard of the same kind in it,
    /// or, in a source of one filter, its only unnamed wildcard. Only for a literal written as its
    /// plain text, so that the rewrite quotes it exactly.
    fn naming_rewrite(
        &self,
        name: &str,
        filters: &[(&str, Span)],
        lacking: &[(&str, Span)],
    ) -> Option<String> {
        let [(filter, span)] = lacking else {
            return None;
        };
        let written = &self.sources.get(span.file).text[span.start..span.end];
        if written != format!("\"{filter}\"") {
            return None;
        }
        let levels: Vec<&str> = filter.split('/').collect();
        let named_at = filters.iter().find_map(|(other, _)| {
            other
                .split('/')
                .enumerate()
                // The wildcard is the level's first character, which need not be one byte
                // long (slicing at byte 1 panicked on `Ւachine`: found by the fuzz target).
                .find_map(|(index, level)| {
                    let wildcard = level.chars().next()?.len_utf8();
                    (level.len() > wildcard && &level[wildcard..] == name)
                        .then(|| (index, &level[..wildcard]))
                })
        });
        let (index, wildcard) = match named_at {
            Some(at) => at,
            None => {
                let unnamed: Vec<(usize, &str)> = levels
                    .iter()
                    .enumerate()
                    .filter(|(_, level)| matches!(**level, "+" | "#"))
                    .map(|(index, level)| (index, *level))
                    .collect();
                match unnamed.as_slice() {
                    [one] if filters.len() == 1 => *one,
                    _ => return None,
                }
            }
        };
        if levels.get(index) != Some(&wildcard) {
            return None;
        }
        let mut fixed: Vec<String> = levels.iter().map(|l| l.to_string()).collect();
        fixed[index] = format!("{wildcard}{name}");
        let fixed = fixed.join("/");
        TopicFilter::parse(&fixed).ok()?;
        Some(format!(
            "name that level in this filter too: replace `\"{filter}\"` with `\"{fixed}\"`"
        ))
    }

    /// The records of a test's `input` block without their `_fdi_topic`, and each record's topic:
    /// text, on a broker source, that one of its filters matches (E0335 otherwise), so the test
    /// gives the flow the levels a live message on that topic would.
    pub(super) fn test_topics(
        &mut self,
        source: Option<&ir::Source>,
        records: &[ast::RecordLit],
    ) -> Option<(Vec<ast::RecordLit>, Vec<Option<String>>)> {
        let mut ok = true;
        let mut kept = Vec::new();
        let mut topics = Vec::new();
        for record in records {
            let mut topic = None;
            let mut rest = record.clone();
            rest.fields.retain(|(key, value)| {
                if key.name != ir::TEST_TOPIC_KEY {
                    return true;
                }
                topic = Some((key.span, value.clone()));
                false
            });
            let Some((key_span, value)) = topic else {
                kept.push(rest);
                topics.push(None);
                continue;
            };
            let checked = source.and_then(|source| {
                let problem = match (filters(source), &value.kind) {
                    (None, _) => Some((
                        key_span,
                        format!(
                            "source `{}` is a {} source: its records have no topic",
                            source.name,
                            source.kind.connector()
                        ),
                        "only an `mqtt` source's records have a topic".to_string(),
                    )),
                    (Some(_), ast::ValueKind::String(_)) => None,
                    (Some(_), _) => Some((
                        value.span,
                        "a topic is text".to_string(),
                        "write the topic the message came on, as `_fdi_topic: \"plant/3/M07/state\"`".to_string(),
                    )),
                };
                if let Some((span, message, help)) = problem {
                    self.report(
                        Diagnostic::error(Code::BadTest, message)
                            .label(span, "no topic here")
                            .help(help),
                    );
                    return None;
                }
                let (Some(filters), ast::ValueKind::String(text)) = (filters(source), &value.kind)
                else {
                    return None;
                };
                if filters
                    .iter()
                    .any(|(filter, _)| TopicFilter::parse(filter).is_ok_and(|f| f.matches(text)))
                {
                    return Some(text.clone());
                }
                let listed: Vec<String> = filters.iter().map(|(f, _)| format!("`{f}`")).collect();
                self.report(
                    Diagnostic::error(
                        Code::BadTest,
                        format!(
                            "topic {text:?} matches none of the topic filters of source `{}`",
                            source.name
                        ),
                    )
                    .label(value.span, "not a topic the source subscribes to")
                    .help(format!(
                        "the source subscribes to {}; a message on another topic is rejected before any flow reads it",
                        listed.join(", ")
                    )),
                );
                None
            });
            ok &= checked.is_some() || source.is_none();
            kept.push(rest);
            topics.push(checked);
        }
        ok.then_some((kept, topics))
    }

    /// E0345: `source.topic` or `source.levels` on a source whose records have no topic.
    fn no_topic(&mut self, source: &ir::Source, field: &Ident) {
        let kind = source.kind.connector();
        let what = match kind {
            "csv" => "rows of a CSV file",
            "jsonl" => "lines of a JSON Lines file",
            "postgres" => "rows of a PostgreSQL table",
            "http" => "records of an HTTP endpoint's JSON document",
            _ => "records that come from no broker",
        };
        self.report(
            Diagnostic::error(
                Code::NoTopic,
                format!(
                    "source `{}` is a {kind} source: its records have no topic",
                    source.name
                ),
            )
            .label(field.span, format!("`source` reads {what}"))
            .help(format!(
                "`source.{}` reads the topic of a broker message, on an `mqtt` source; a {kind} record is told apart by `source.position` and `source.name`, or by its own fields",
                field.name
            )),
        );
    }
}
