//! Syntax errors in words: pest's "expected one of these rules" turned into a diagnostic that
//! names the missing piece, with hints for the mistakes people make most.

use super::parser::GrammarRule as Rule;
use super::scan::Piece;
use crate::diagnostic::{Code, Diagnostic};
use crate::source_map::{FileId, Span};

/// Turns pest's error into a diagnostic that names what was expected in words.
pub(super) fn syntax_error(
    file: FileId,
    text: &str,
    error: pest::error::Error<Rule>,
) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let start = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let rules: Vec<&str> = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut names: Vec<&str> = positives.iter().filter_map(|r| describe(*r)).collect();
            names.sort_unstable();
            names.dedup();
            names
        }
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let found = token_at(text, start);
    if let Some(d) = special_syntax_error(file, text, start, found, &rules) {
        return d;
    }
    let reserved_name = RESERVED_WORDS.contains(&found) && rules.contains(&"a name");
    // Pest reports where the last rule failed; a literal token (`->`, `:`, `=`) missing further
    // on is the better place to point at (`flow f: a b {` lacks `->`).
    let further = error
        .parse_attempts()
        .filter(|a| !reserved_name && a.max_position > start && a.max_position < text.len())
        .map(|a| {
            let tokens: Vec<String> = a
                .expected_tokens()
                .iter()
                .map(|t| t.to_string())
                .filter(|t| {
                    !t.trim().is_empty() && t != "//" && t != "BUILTIN_RULE" && !t.contains("..")
                })
                .map(|t| format!("`{t}`"))
                .collect();
            (a.max_position, tokens)
        })
        .filter(|(at, tokens)| !tokens.is_empty() && !token_at(text, *at).trim().is_empty());
    let (start, tokens) = further.unwrap_or((start, Vec::new()));
    let found = token_at(text, start);
    let expected: Vec<&str> = if tokens.is_empty() {
        rules
    } else {
        tokens.iter().map(String::as_str).collect()
    };
    let message = if found.is_empty() {
        "unexpected end of file".to_string()
    } else {
        format!("unexpected `{found}`")
    };
    let label = match expected.as_slice() {
        [] => "not expected here".to_string(),
        [one] => format!("expected {one}"),
        many => format!(
            "expected {} or {}",
            many[..many.len() - 1].join(", "),
            many[many.len() - 1]
        ),
    };
    let mut span = Span::new(file, start, start + found.len());
    let label = if found.is_empty() {
        // At the very end there is nothing to underline: point at the last thing written.
        let end = text.trim_end().len();
        let last = text[..end]
            .char_indices()
            .last()
            .map(|(i, _)| i)
            .unwrap_or(0);
        span = Span::new(file, last, end);
        format!("the file ends after this; {label}")
    } else {
        label
    };
    Diagnostic::error(Code::Syntax, message)
        .label(span, label)
        .help(syntax_hint(found, &expected))
}

const RESERVED_WORDS: [&str; 10] = [
    "true", "false", "and", "or", "not", "match", "let", "else", "reject", "where",
];

/// The word or the single character at `at`: what the reader sees as "the next thing".
fn token_at(text: &str, at: usize) -> &str {
    let rest = &text[at..];
    let len = match rest.chars().next() {
        Some(c) if c.is_alphanumeric() || c == '_' => rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len()),
        Some(c) => c.len_utf8(),
        None => 0,
    };
    &rest[..len]
}

const DECLARATION_WORDS: [&str; 9] = [
    "import",
    "fn",
    "test",
    "schema",
    "source",
    "lookup",
    "target",
    "dead_letter",
    "flow",
];

/// Syntax errors that have a better explanation than "unexpected X, expected Y": an unclosed
/// bracket, an unterminated string, an assignment without `=`.
fn special_syntax_error(
    file: FileId,
    text: &str,
    start: usize,
    found: &str,
    expected: &[&str],
) -> Option<Diagnostic> {
    let span = |s: usize, e: usize| Span::new(file, s, e);
    // The file ends, or a new declaration starts, inside a bracket.
    let inside_flow_body = expected.contains(&"a statement") && DECLARATION_WORDS.contains(&found);
    if found.is_empty() || inside_flow_body {
        if let Some((open, at)) = unclosed_bracket(&text[..start]) {
            let close = match open {
                '(' => ')',
                '[' => ']',
                _ => '}',
            };
            let mut d = Diagnostic::error(Code::Syntax, format!("this `{open}` is never closed"))
                .label(
                    span(at, at + 1),
                    format!("this `{open}` has no matching `{close}`"),
                );
            if !found.is_empty() {
                d = d.label(
                    span(start, start + found.len()),
                    format!("a new declaration starts here, before the `{close}`"),
                );
            }
            return Some(d.help(format!(
                "add `{close}` where the {} ends",
                if open == '{' { "block" } else { "expression" }
            )));
        }
    }
    // A string literal that runs to the end of its line.
    if found == "\"" {
        let line_end = text[start..]
            .find('\n')
            .map(|i| start + i)
            .unwrap_or(text.len());
        let rest = &text[start + 1..line_end];
        let mut escaped = false;
        let closed = rest.chars().any(|c| {
            let close = c == '"' && !escaped;
            escaped = c == '\\' && !escaped;
            close
        });
        if !closed {
            let end = text[..line_end].trim_end().len().max(start + 1);
            return Some(
                Diagnostic::error(Code::Syntax, "this string is never closed")
                    .label(span(start, end), "the string starts here and runs to the end of the line")
                    .help("close it with `\"` on the same line; a string cannot span lines (write `\\n` for a line break)"),
            );
        }
    }
    // `field value` or `let name value`: the `=` is missing.
    if expected.contains(&"a statement") {
        let mut rest = &text[start..];
        let mut words = Vec::new();
        for _ in 0..2 {
            let word_len = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if word_len == 0 {
                break;
            }
            words.push(&rest[..word_len]);
            let after = &rest[word_len..];
            rest = after.trim_start();
            if words[0] != "let" {
                break;
            }
        }
        let named = match words.as_slice() {
            ["let", name] => Some(format!("let {name}")),
            [field] if *field != "let" => Some((*field).to_string()),
            _ => None,
        };
        if let Some(named) = named.filter(|_| !rest.starts_with('=')) {
            let at = text.len() - rest.len();
            let next_len = rest.chars().next().map(|c| {
                if c.is_alphanumeric() || c == '_' {
                    rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .unwrap_or(rest.len())
                } else {
                    c.len_utf8()
                }
            });
            let next_span = span(at, at + next_len.unwrap_or(0));
            return Some(
                Diagnostic::error(Code::Syntax, format!("expected `=` after `{named}`"))
                    .label(next_span, "expected `=` here")
                    .help("a statement is `field = expression` or `let name = expression`"),
            );
        }
    }
    None
}

/// The innermost bracket that `text` opens and does not close: its character and offset.
/// Strings and comments are skipped.
fn unclosed_bracket(text: &str) -> Option<(char, usize)> {
    let mut stack: Vec<(char, usize)> = Vec::new();
    for piece in super::scan::pieces(text) {
        match piece {
            Piece::Code(i, c @ ('(' | '[' | '{')) => stack.push((c, i)),
            Piece::Code(_, ')' | ']' | '}') => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack.pop()
}

fn syntax_hint(found: &str, expected: &[&str]) -> String {
    if RESERVED_WORDS.contains(&found) && expected.contains(&"a name") {
        return format!("`{found}` is a reserved word and cannot be used as a name");
    }
    if expected.contains(&"`->`") {
        return "a flow is written `flow name: source -> target { ... }`".to_string();
    }
    if expected.contains(&"`:`") {
        return "a declaration is written like `source name: csv(\"file.csv\") as Entity`"
            .to_string();
    }
    if expected.contains(&"a declaration") {
        return "a mapping holds `schema`, `source`, `lookup`, `target`, `dead_letter` and `flow` declarations; see docs/language.md".to_string();
    }
    if expected.contains(&"`mapping`") {
        return "a mapping file starts with `mapping NAME version \"1.0.0\"`".to_string();
    }
    "see docs/language.md for the syntax of mappings".to_string()
}

/// Words for the grammar's rules, as an error message names them.
fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::ident => "a name",
        Rule::string | Rule::string_inner => "a string",
        Rule::expr
        | Rule::literal
        | Rule::int
        | Rule::float
        | Rule::boolean
        | Rule::call
        | Rule::group
        | Rule::match_expr
        | Rule::not
        | Rule::neg => "an expression",
        Rule::header => "`mapping`",
        Rule::module_header => "`module`",
        Rule::schema_decl
        | Rule::source_decl
        | Rule::lookup_decl
        | Rule::target_decl
        | Rule::dead_letter_decl
        | Rule::flow_decl
        | Rule::import_decl
        | Rule::fn_decl
        | Rule::test_decl => "a declaration",
        Rule::param => "a parameter such as `x: float[mm]`",
        Rule::type_ref => "a type",
        Rule::unit | Rule::unit_text => "a unit such as `[mm]`",
        Rule::quantity => "an expression",
        Rule::as_unit => "`as [unit]`",
        Rule::test_input | Rule::test_lookup | Rule::test_expect => "`input`, `lookup` or `expect`",
        Rule::record_block | Rule::record => "a record such as `{ field: \"value\" }`",
        Rule::record_field => "a field such as `name: \"value\"`",
        Rule::null | Rule::signed_number => "a value",
        Rule::let_stmt | Rule::assign_stmt => "a statement",
        Rule::else_reject => "`else reject`",
        Rule::where_clause => "`where`",
        Rule::key_clause => "`key`",
        Rule::connector => "a connector such as csv(\"...\")",
        Rule::named_arg => "an option such as `table: \"...\"`",
        Rule::arm => "a match arm",
        Rule::arm_reject => "`reject \"reason\"`",
        Rule::pattern | Rule::wildcard | Rule::enum_code => "a pattern",
        Rule::field => "`.`",
        Rule::index => "`[`",
        Rule::coalesce
        | Rule::or
        | Rule::and
        | Rule::eq
        | Rule::ne
        | Rule::le
        | Rule::ge
        | Rule::lt
        | Rule::gt
        | Rule::add
        | Rule::sub
        | Rule::mul
        | Rule::div
        | Rule::rem => "an operator",
        Rule::EOI => "end of file",
        Rule::skip_stmt => "a statement",
        Rule::skip_word | Rule::when_word => "`skip when CONDITION`",
        _ => return None,
    })
}
