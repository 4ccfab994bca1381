//! The formatter's promise, checked on every file it formats: the output parses to the same
//! syntax tree (spans aside) and keeps every comment. A formatter bug then leaves a file
//! alone instead of changing what the mapping does.

use super::trivia::comments;
use crate::source_map::FileId;
use crate::syntax::ast::MappingFile;
use crate::syntax::parse_text;

/// Checks `formatted` against the original `text`, which parsed to `original`.
pub fn check(
    file: FileId,
    text: &str,
    original: &MappingFile,
    formatted: &str,
) -> Result<(), String> {
    let reparsed = parse_text(file, formatted).map_err(|d| {
        let first = d.first().map(|d| d.message.as_str()).unwrap_or("");
        format!("the formatted text does not parse ({first})")
    })?;
    if !same_mapping(original, &reparsed) {
        return Err("the formatted text parses to a different mapping".to_string());
    }
    if comment_texts(text) != comment_texts(formatted) {
        return Err("the formatted text does not keep every comment".to_string());
    }
    Ok(())
}

/// True when two mappings are the same tree, wherever their nodes were written.
pub fn same_mapping(a: &MappingFile, b: &MappingFile) -> bool {
    without_spans(&format!("{a:?}")) == without_spans(&format!("{b:?}"))
}

/// A `Debug` rendering of a syntax tree with every `Span { .. }` blanked out. The derived
/// `Debug` shows every field, so two renderings are equal exactly when the trees are (the
/// marker is long enough that no string literal in a mapping plausibly contains it).
pub fn without_spans(debug: &str) -> String {
    const SPAN: &str = "Span { file: FileId(";
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(at) = rest.find(SPAN) {
        out.push_str(&rest[..at]);
        out.push_str("Span");
        // A span's fields are numbers and `FileId(..)`: the first `}` closes it.
        let after = &rest[at + SPAN.len()..];
        rest = after.find('}').map_or("", |close| &after[close + 1..]);
    }
    out.push_str(rest);
    out
}

/// The comments of a text, sorted: the formatter may move a comment before the line it was
/// in, but never drops or changes one.
fn comment_texts(text: &str) -> Vec<String> {
    let mut texts: Vec<String> = comments(text).into_iter().map(|c| c.text).collect();
    texts.sort();
    texts
}

#[cfg(test)]
mod tests {
    use super::without_spans;

    #[test]
    fn spans_are_blanked_and_the_rest_kept() {
        let debug = "Ident { name: \"a\", span: Span { file: FileId(0), start: 1, end: 2 } }";
        assert_eq!(without_spans(debug), "Ident { name: \"a\", span: Span }");
    }
}
