//! Text to syntax tree, with the grammar in `grammar/fdi.pest`.

use pest::iterators::Pair;
use pest::Parser as _;
use std::sync::Mutex;

use super::ast::*;
use super::escape::unescape;
use super::limits::{check_text_limits, too_many_declarations, MAX_DECLARATIONS};
use super::scan::Piece;
use super::syntax_error::syntax_error;
use crate::diagnostic::{Code, Diagnostic};
use crate::source_map::{FileId, Span};

#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/fdi.pest"]
struct FdiParser;

pub(super) use self::Rule as GrammarRule;

/// Brackets nested deeper than this are refused before parsing, so that no input can exhaust
/// the parser's stack.
pub const MAX_BRACKET_DEPTH: usize = 64;
/// Expressions nested deeper than this (counting operators too) are refused after parsing, so
/// that the checker and emitter, which recurse over expressions, stay within their stack.
pub const MAX_EXPR_DEPTH: usize = 128;

/// Parses one mapping file. A file has at most one syntax error reported: the parser stops at
/// the first place the text leaves the grammar.
pub fn parse_text(file: FileId, text: &str) -> Result<MappingFile, Vec<Diagnostic>> {
    // Before the grammar: the limits bound what pest and every later stage is handed.
    let over_limits = check_text_limits(file, text);
    if !over_limits.is_empty() {
        return Err(over_limits);
    }
    if is_blank(text) {
        let message = if text.trim().is_empty() {
            "the mapping file is empty"
        } else {
            "the mapping file holds only comments"
        };
        return Err(vec![Diagnostic::error(Code::EmptyFile, message)
            .label(Span::new(file, 0, text.trim_end().len()), "no mapping here")
            .help(
                "a mapping starts with `mapping NAME version \"1.0.0\"`; see docs/language.md",
            )]);
    }
    if let Some(diagnostic) = check_bracket_depth(file, text) {
        return Err(vec![diagnostic]);
    }
    // With error detail on, pest also records the literal tokens (`=`, `->`, `:`) it expected at
    // the furthest position it reached, which names the missing piece exactly. That bookkeeping
    // costs most of the parse, so a file is parsed without it first, and again with it only when
    // it has a syntax error to explain.
    let mut pairs = match FdiParser::parse(Rule::file, text) {
        Ok(pairs) => pairs,
        Err(_) => {
            // The setting is global to pest: detailed parses take turns, so that another
            // thread's detailed parse cannot switch it off in the middle of this one. (A fast
            // parse that runs meanwhile is only slower.)
            static DETAILED: Mutex<()> = Mutex::new(());
            let turn = DETAILED
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            pest::set_error_detail(true);
            let detailed = FdiParser::parse(Rule::file, text);
            pest::set_error_detail(false);
            drop(turn);
            return Err(vec![match detailed {
                Err(e) => syntax_error(file, text, e),
                // Both parses read the same text with the same grammar.
                Ok(_) => unreachable_parse(file),
            }]);
        }
    };
    let mut builder = Builder {
        file,
        errors: Vec::new(),
    };
    let file_pair = pairs
        .next()
        .expect("the grammar's file rule always produces one pair");
    let mapping = builder.file(file_pair);
    if let Some(d) = mapping.as_ref().and_then(|m| builder.check_depth(m)) {
        builder.errors.push(d);
    }
    match mapping {
        Some(m) if builder.errors.is_empty() => Ok(m),
        _ => Err(builder.errors),
    }
}

/// A parse that failed without error detail and succeeded with it: pest does not do that, but
/// if it ever did, the file is reported rather than the compiler stopping.
fn unreachable_parse(file: FileId) -> Diagnostic {
    Diagnostic::error(
        Code::Syntax,
        "the parser disagreed with itself on this file",
    )
    .label(Span::new(file, 0, 0), "parsed twice with different results")
    .help("this is a compiler bug; please report it with the file")
}

/// True when the text holds nothing but whitespace and `//` comments.
fn is_blank(text: &str) -> bool {
    text.lines().all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with("//")
    })
}

fn check_bracket_depth(file: FileId, text: &str) -> Option<Diagnostic> {
    let mut depth = 0usize;
    for piece in super::scan::pieces(text) {
        match piece {
            Piece::Code(i, '(' | '[' | '{') => {
                depth += 1;
                if depth > MAX_BRACKET_DEPTH {
                    return Some(too_deep(Span::new(file, i, i + 1)));
                }
            }
            Piece::Code(_, ')' | ']' | '}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::error(Code::TooDeep, "this expression is nested too deeply")
        .label(span, "nesting goes too deep here")
        .help(format!(
            "split the expression with `let` bindings; brackets may nest {MAX_BRACKET_DEPTH} deep and expressions {MAX_EXPR_DEPTH} deep"
        ))
}

/// Walks pest's pairs into the syntax tree. Problems the grammar cannot see (bad escapes,
/// numbers out of range) are collected rather than stopping at the first.
pub(super) struct Builder {
    pub(super) file: FileId,
    pub(super) errors: Vec<Diagnostic>,
}

impl Builder {
    pub(super) fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, s.start(), s.end())
    }

    pub(super) fn ident(&self, pair: Pair<Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    pub(super) fn string(&mut self, pair: Pair<Rule>) -> StringLit {
        let span = self.span(&pair);
        let inner = pair.into_inner().next();
        let raw = inner.as_ref().map(|p| p.as_str()).unwrap_or("");
        let inner_start = span.start + 1;
        let value = match unescape(raw) {
            Ok(v) => v,
            Err((offset, len, what)) => {
                let at = Span::new(self.file, inner_start + offset, inner_start + offset + len);
                self.errors.push(
                    Diagnostic::error(Code::BadEscape, format!("invalid escape sequence `{what}` in a string"))
                        .label(at, "not a valid escape")
                        .help("the escapes are \\\" \\\\ \\n \\r \\t \\0 and \\u{...} with 1 to 6 hex digits"),
                );
                String::new()
            }
        };
        StringLit { value, span }
    }

    fn file(&mut self, pair: Pair<Rule>) -> Option<MappingFile> {
        let mut inner = pair.into_inner();
        let mut header = inner.next()?.into_inner();
        let name = self.ident(header.next()?);
        // A module header has no version.
        let version = header.next().map(|v| self.string(v));
        let mut items = Vec::new();
        for item in inner {
            if items.len() == MAX_DECLARATIONS && item.as_rule() != Rule::EOI {
                self.errors.push(too_many_declarations(self.span(&item)));
                break;
            }
            let item = match item.as_rule() {
                Rule::schema_decl => Item::Schema(self.string(item.into_inner().next()?)),
                Rule::source_decl => {
                    let mut p = item.into_inner();
                    Item::Source(SourceDecl {
                        name: self.ident(p.next()?),
                        connector: self.connector(p.next()?)?,
                        entity: self.ident(p.next()?),
                        time: p.next().and_then(|clause| self.clause_word(clause)),
                    })
                }
                Rule::lookup_decl => {
                    let mut p = item.into_inner();
                    Item::Lookup(LookupDecl {
                        name: self.ident(p.next()?),
                        connector: self.connector(p.next()?)?,
                        entity: self.ident(p.next()?),
                        key: p.next()?.into_inner().map(|i| self.ident(i)).collect(),
                    })
                }
                Rule::target_decl => {
                    let mut p = item.into_inner();
                    let name = self.ident(p.next()?);
                    let connector = self.connector(p.next()?)?;
                    let entity = self.ident(p.next()?);
                    let mut key = Vec::new();
                    let mut with = None;
                    for clause in p {
                        match clause.as_rule() {
                            Rule::key_clause => {
                                key = clause.into_inner().map(|i| self.ident(i)).collect()
                            }
                            _ => with = self.clause_word(clause),
                        }
                    }
                    Item::Target(TargetDecl {
                        name,
                        connector,
                        entity,
                        key,
                        with,
                    })
                }
                Rule::dead_letter_decl => {
                    Item::DeadLetter(self.connector(item.into_inner().next()?)?)
                }
                Rule::flow_decl => Item::Flow(self.flow(item)?),
                Rule::per_source_decl => Item::PerSource(self.per_source(item)?),
                Rule::import_decl => Item::Import(self.string(item.into_inner().next()?)),
                Rule::fn_decl => Item::Function(self.function(item)?),
                Rule::test_decl => Item::Test(self.test(item)?),
                Rule::EOI => continue,
                _ => continue,
            };
            items.push(item);
        }
        Some(MappingFile {
            name,
            version,
            items,
        })
    }

    /// The name in a `time NAME`, `with NAME` or `delivery NAME` clause.
    fn clause_word(&mut self, clause: Pair<Rule>) -> Option<Ident> {
        let word = clause.into_inner().find(|p| p.as_rule() == Rule::ident)?;
        Some(self.ident(word))
    }

    fn function(&mut self, pair: Pair<Rule>) -> Option<FnDecl> {
        let mut p = pair.into_inner();
        let name = self.ident(p.next()?);
        let mut params = Vec::new();
        let mut returns = None;
        let mut body = None;
        for part in p {
            match part.as_rule() {
                Rule::param => {
                    let mut q = part.into_inner();
                    let name = self.ident(q.next()?);
                    let ty = self.type_ref(q.next()?)?;
                    params.push(Param { name, ty });
                }
                Rule::type_ref => returns = Some(self.type_ref(part)?),
                _ => body = Some(self.expr(part.into_inner())),
            }
        }
        Some(FnDecl {
            name,
            params,
            returns: returns?,
            body: body?,
        })
    }

    fn type_ref(&mut self, pair: Pair<Rule>) -> Option<TypeRef> {
        let span = self.span(&pair);
        let mut p = pair.into_inner();
        let name = self.ident(p.next()?);
        let unit = p.next().map(|u| self.unit(u));
        Some(TypeRef { name, unit, span })
    }

    /// `[mm/min]` to the unit's text, trimmed, with the span of the text.
    pub(super) fn unit(&self, pair: Pair<Rule>) -> UnitRef {
        let whole = self.span(&pair);
        let raw = pair.into_inner().next().map(|t| t.as_str()).unwrap_or("");
        let lead = raw.len() - raw.trim_start().len();
        let text = raw.trim();
        let start = whole.start + 1 + lead;
        UnitRef {
            text: text.to_string(),
            span: Span::new(self.file, start, start + text.len()),
        }
    }

    fn connector(&mut self, pair: Pair<Rule>) -> Option<Connector> {
        let span = self.span(&pair);
        let mut p = pair.into_inner();
        let kind = self.ident(p.next()?);
        let mut location: Option<StringLit> = None;
        let mut options = Vec::new();
        for arg in p {
            match arg.as_rule() {
                Rule::named_arg => {
                    let mut a = arg.into_inner();
                    let name = self.ident(a.next()?);
                    let value = self.option_value(a.next()?);
                    options.push(ConnectorOption { name, value });
                }
                _ => {
                    let path = self.string(arg);
                    let misplaced = if location.is_some() {
                        Some("a connector names one file")
                    } else if !options.is_empty() {
                        Some("the file comes before the named options")
                    } else {
                        None
                    };
                    match misplaced {
                        Some(why) => self.errors.push(
                            Diagnostic::error(
                                Code::UnknownConnector,
                                format!("a string without a name here: {why}"),
                            )
                            .label(path.span, "not the connector's first argument")
                            .help(format!(
                                "write it first, or give it its option's name: `{}(\"file\", option: \"...\")`",
                                kind.name
                            )),
                        ),
                        None => location = Some(path),
                    }
                }
            }
        }
        Some(Connector {
            kind,
            location,
            options,
            span,
        })
    }

    /// A connector option's value: text, a number, a boolean, a duration or a list of them.
    fn option_value(&mut self, pair: Pair<Rule>) -> OptionValue {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::string => OptionValueKind::Text(self.string(pair).value),
            Rule::boolean => OptionValueKind::Bool(pair.as_str() == "true"),
            Rule::duration => OptionValueKind::Duration(pair.as_str().to_string()),
            Rule::option_list => OptionValueKind::List(
                pair.into_inner()
                    .map(|item| self.option_value(item))
                    .collect(),
            ),
            _ => OptionValueKind::Number(pair.as_str().to_string()),
        };
        OptionValue { kind, span }
    }

    fn flow(&mut self, pair: Pair<Rule>) -> Option<FlowDecl> {
        let mut p = pair.into_inner().peekable();
        let name = self.ident(p.next()?);
        let source = self.ident(p.next()?);
        let target = self.ident(p.next()?);
        let header_span = name.span.to(target.span);
        let mut delivery = None;
        let mut filter = None;
        let mut statements = Vec::new();
        for part in p {
            match part.as_rule() {
                Rule::delivery_clause => delivery = self.clause_word(part),
                Rule::where_clause => {
                    filter = Some(self.expr(part.into_inner().next()?.into_inner()))
                }
                Rule::skip_stmt => {
                    let span = self.span(&part);
                    let condition = part.into_inner().find(|p| p.as_rule() == Rule::expr)?;
                    statements.push(Statement::Skip {
                        condition: self.expr(condition.into_inner()),
                        span,
                    });
                }
                Rule::let_stmt | Rule::assign_stmt => {
                    let is_let = part.as_rule() == Rule::let_stmt;
                    let mut s = part.into_inner();
                    let target_name = self.ident(s.next()?);
                    let value = self.expr(s.next()?.into_inner());
                    let else_reject = match s.next() {
                        Some(e) => Some(self.string(e.into_inner().next()?)),
                        None => None,
                    };
                    statements.push(if is_let {
                        Statement::Let {
                            name: target_name,
                            value,
                            else_reject,
                        }
                    } else {
                        Statement::Assign {
                            field: target_name,
                            value,
                            else_reject,
                        }
                    });
                }
                _ => {}
            }
        }
        Some(FlowDecl {
            name,
            source,
            target,
            delivery,
            filter,
            statements,
            header_span,
        })
    }

    fn per_source(&mut self, pair: Pair<Rule>) -> Option<PerSourceDecl> {
        let start = pair.as_span().start();
        let mut p = pair
            .into_inner()
            .skip_while(|part| part.as_rule() == Rule::per_word);
        let source = self.ident(p.next()?);
        let header_span = Span {
            start,
            ..source.span
        };
        let mut statements = Vec::new();
        for part in p {
            let mut s = part.into_inner();
            let name = self.ident(s.next()?);
            let value = self.expr(s.next()?.into_inner());
            let else_reject = match s.next() {
                Some(e) => Some(self.string(e.into_inner().next()?)),
                None => None,
            };
            statements.push(Statement::Let {
                name,
                value,
                else_reject,
            });
        }
        Some(PerSourceDecl {
            source,
            statements,
            header_span,
        })
    }

    /// The first expression nested deeper than [`MAX_EXPR_DEPTH`], if any.
    fn check_depth(&self, file: &MappingFile) -> Option<Diagnostic> {
        fn depth_exceeded(e: &Expr, depth: usize) -> Option<Span> {
            if depth > MAX_EXPR_DEPTH {
                return Some(e.span);
            }
            let d = depth + 1;
            match &e.kind {
                ExprKind::Literal(_) | ExprKind::Name(_) => None,
                ExprKind::Quantity(..) | ExprKind::Reject(_) => None,
                ExprKind::Field(b, _) | ExprKind::Unary(_, b) | ExprKind::As(b, _) => {
                    depth_exceeded(b, d)
                }
                ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
                    depth_exceeded(a, d).or_else(|| depth_exceeded(b, d))
                }
                ExprKind::Call(_, args) | ExprKind::Tuple(args) => {
                    args.iter().find_map(|a| depth_exceeded(a, d))
                }
                ExprKind::Match(s, arms) => depth_exceeded(s, d)
                    .or_else(|| arms.iter().find_map(|a| depth_exceeded(&a.body, d))),
            }
        }
        file.items.iter().find_map(|item| match item {
            Item::Flow(flow) => flow
                .filter
                .iter()
                .chain(flow.statements.iter().map(|s| match s {
                    Statement::Let { value, .. } | Statement::Assign { value, .. } => value,
                    Statement::Skip { condition, .. } => condition,
                }))
                .find_map(|e| depth_exceeded(e, 0))
                .map(too_deep),
            Item::Function(f) => depth_exceeded(&f.body, 0).map(too_deep),
            Item::PerSource(shared) => shared
                .statements
                .iter()
                .map(|s| match s {
                    Statement::Let { value, .. } | Statement::Assign { value, .. } => value,
                    Statement::Skip { condition, .. } => condition,
                })
                .find_map(|e| depth_exceeded(e, 0))
                .map(too_deep),
            _ => None,
        })
    }
}
