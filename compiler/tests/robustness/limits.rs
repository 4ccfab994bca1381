//! The input limits (`compiler/src/syntax/limits.rs`): a file just past each limit gets the
//! limit's code, with its label where the limit was passed; a file at the limit does not.
//! Files past E0105, E0107 and E0108 are too large to be case files, so they are made here.

use fdi_compiler::diagnostic::{Code, Diagnostic};
use fdi_compiler::source_map::SourceMap;
use fdi_compiler::syntax::limits::{
    MAX_DECLARATIONS, MAX_FILE_BYTES, MAX_IDENTIFIER_CHARS, MAX_STRING_BYTES,
};

use super::{codes_for, write_temp, HEADER};

/// The parse stage's diagnostics for `text` (empty when it parses), with each rendered.
fn parse_diagnostics(text: &str) -> Vec<Diagnostic> {
    let mut sources = SourceMap::new();
    let file = sources.add("limits.fdi", text);
    match fdi_compiler::parse(&sources, file) {
        Ok(_) => Vec::new(),
        Err(diagnostics) => {
            for d in &diagnostics {
                let _ = d.render_plain(&sources);
            }
            diagnostics
        }
    }
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<Code> {
    diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn a_file_past_the_size_limit_is_refused_unread() {
    // The header and one comment line of the given total size.
    let file_of = |bytes: usize| {
        let padding = bytes - HEADER.len() - "// \n".len();
        format!("{HEADER}// {}\n", "x".repeat(padding))
    };
    let over = file_of(MAX_FILE_BYTES + 1);
    let (_dir, path) = write_temp("large.fdi", over.as_bytes());
    assert_eq!(codes_for(&path), vec![Code::FileTooLarge]);
    // At the limit exactly, the text is parsed: a mapping with no items.
    let at_limit = file_of(MAX_FILE_BYTES);
    assert_eq!(at_limit.len(), MAX_FILE_BYTES);
    assert_eq!(codes(&parse_diagnostics(&at_limit)), Vec::<Code>::new());
}

#[test]
fn names_longer_than_the_limit_are_each_reported_where_they_are() {
    let long = format!("s{}", "x".repeat(MAX_IDENTIFIER_CHARS));
    let longest = format!("s{}", "x".repeat(MAX_IDENTIFIER_CHARS - 1));
    let text = format!(
        "{HEADER}source {long}: csv(\"a.csv\") as Thing\nsource {longest}: csv(\"b.csv\") as Thing\nsource c: csv(\"c.csv\") as {long}\n"
    );
    let found = parse_diagnostics(&text);
    assert_eq!(
        codes(&found),
        vec![Code::IdentifierTooLong, Code::IdentifierTooLong]
    );
    let first = text.find(&long).expect("the first long name");
    let spans: Vec<(usize, usize)> = found
        .iter()
        .map(|d| d.primary_span().map(|s| (s.start, s.end)).expect("a label"))
        .collect();
    let last = text.rfind(&long).expect("the last long name");
    assert_eq!(
        spans,
        vec![(first, first + long.len()), (last, last + long.len())]
    );
}

#[test]
fn numbers_and_strings_are_not_names() {
    // A long run of digits is a number (out of range: E0104), and a long name inside a string
    // or a comment is no name; an exponent after digits is not a name either.
    let digits = "9".repeat(MAX_IDENTIFIER_CHARS * 2);
    let words = "w".repeat(MAX_IDENTIFIER_CHARS * 2);
    let text = format!(
        "{HEADER}// {words}\nflow f: s -> t where x < {digits} and y < 1e10 {{\n  a = \"{words}\"\n}}\n"
    );
    assert_eq!(
        codes(&parse_diagnostics(&text)),
        vec![Code::NumberOutOfRange]
    );
}

#[test]
fn a_string_past_the_limit_is_refused_and_one_at_the_limit_is_not() {
    let text_with = |bytes: usize| {
        format!(
            "{HEADER}flow f: s -> t {{\n  let ok = 1\n  a = \"{}\"\n}}\n",
            "é".repeat(bytes / 2) + &"e".repeat(bytes % 2)
        )
    };
    let over = text_with(MAX_STRING_BYTES + 1);
    let found = parse_diagnostics(&over);
    assert_eq!(codes(&found), vec![Code::StringTooLong]);
    let quote = over.find("= \"").expect("the string") + 2;
    let span = found[0].primary_span().expect("a label");
    assert_eq!((span.start, span.end), (quote, quote + 1));
    assert_eq!(
        codes(&parse_diagnostics(&text_with(MAX_STRING_BYTES))),
        Vec::<Code>::new()
    );
}

#[test]
fn a_file_past_the_declaration_limit_is_refused_at_the_first_declaration_too_many() {
    // The header's `schema` is the first declaration.
    let declarations = |count: usize| {
        let mut text = HEADER.to_string();
        for i in 1..count {
            text.push_str(&format!("fn f{i}() -> int = {i}\n"));
        }
        text
    };
    let over = declarations(MAX_DECLARATIONS + 1);
    let found = parse_diagnostics(&over);
    assert_eq!(codes(&found), vec![Code::TooManyDeclarations]);
    let past = over
        .find(&format!("fn f{MAX_DECLARATIONS}("))
        .expect("the last declaration");
    assert_eq!(found[0].primary_span().map(|s| s.start), Some(past));
    assert_eq!(
        codes(&parse_diagnostics(&declarations(MAX_DECLARATIONS))),
        Vec::<Code>::new()
    );
}
