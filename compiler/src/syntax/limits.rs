//! Limits on what a mapping file may hold, so that untrusted or generated input cannot make
//! the compiler (or the program it emits) use unbounded time, memory or stack.
//!
//! Each limit is far above any mapping written by hand or generated from a tag list (the
//! largest mapping in the repository is 17 KB with identifiers under 40 characters), so a real
//! mapping never meets one; each has its own code, so the diagnostic says which was met. The
//! nesting limits are [`super::MAX_BRACKET_DEPTH`] and [`super::MAX_EXPR_DEPTH`] (E0102).
//!
//! File size, identifiers and strings are measured on the text before the grammar runs, so pest
//! is never handed more than [`MAX_FILE_BYTES`]; declarations are counted while the syntax tree
//! is built.

use super::scan::{pieces, string_literals, Piece};
use crate::diagnostic::{Code, Diagnostic};
use crate::source_map::{FileId, Span};

/// The largest mapping (or module) file, in bytes: 4 MiB, some 250 times the largest real
/// mapping. It bounds the parse and every later stage, whose work grows with the text.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;

/// The longest identifier, in characters (identifiers are ASCII). Names become Rust names
/// and file names of the generated crate (`src/flows/<flow>.rs`, the package `fdi-<mapping>`),
/// and 128 keeps those within the 255-byte file name limit of common file systems.
pub const MAX_IDENTIFIER_CHARS: usize = 128;

/// The longest string literal, in bytes as written between its quotes: 64 KiB. Strings name
/// files, topics, nodes and reject reasons, none of which comes near it; the generated program
/// holds each literal as written.
pub const MAX_STRING_BYTES: usize = 64 * 1024;

/// The most declarations (`source`, `lookup`, `target`, `flow`, `fn`, `test`, `schema`,
/// `import`, `dead_letter`) in one file: 10,000. A plant's mapping has tens; a mapping
/// generated from a tag list has hundreds.
pub const MAX_DECLARATIONS: usize = 10_000;

/// Every limit `text` exceeds, as diagnostics: the file size alone when it is too large (its
/// contents are not looked at then), else each identifier and string literal that is too long.
pub fn check_text_limits(file: FileId, text: &str) -> Vec<Diagnostic> {
    if text.len() > MAX_FILE_BYTES {
        return vec![file_too_large(file, text.len())];
    }
    let mut found = Vec::new();
    // The current run of identifier characters: where its name part starts (a run that starts
    // with digits is a number, and only its part from the first non-digit on can be a name or
    // an exponent), and the byte after its last character.
    let mut name_start: Option<usize> = None;
    let mut run_end = usize::MAX;
    let mut end_run = |name_start: &mut Option<usize>, run_end: usize| {
        if let Some(start) = name_start.take() {
            if run_end - start > MAX_IDENTIFIER_CHARS {
                found.push(identifier_too_long(Span::new(file, start, run_end)));
            }
        }
    };
    for piece in pieces(text) {
        match piece {
            Piece::Code(i, c) if c.is_ascii_alphanumeric() || c == '_' => {
                if i != run_end {
                    end_run(&mut name_start, run_end);
                }
                if name_start.is_none() && !c.is_ascii_digit() {
                    name_start = Some(i);
                }
                run_end = i + 1;
            }
            _ => {
                end_run(&mut name_start, run_end);
                run_end = usize::MAX;
            }
        }
    }
    end_run(&mut name_start, run_end);
    for (start, end) in string_literals(text) {
        // The quotes do not count.
        let inner = end.saturating_sub(start + 1);
        let inner = if text[..end].ends_with('"') && end > start + 1 {
            inner - 1
        } else {
            inner
        };
        if inner > MAX_STRING_BYTES {
            found.push(string_too_long(Span::new(file, start, start + 1), inner));
        }
    }
    found.sort_by_key(|d| d.primary_span().map(|s| s.start));
    found
}

fn file_too_large(file: FileId, bytes: usize) -> Diagnostic {
    Diagnostic::error(
        Code::FileTooLarge,
        format!(
            "the mapping file is {bytes} bytes, more than the {MAX_FILE_BYTES} bytes the compiler reads"
        ),
    )
    .label(Span::new(file, 0, 0), "this file is too large")
    .help("split the mapping into modules (`import \"part.fdi\"`), each under the limit; a file this large is usually not a mapping")
}

fn identifier_too_long(span: Span) -> Diagnostic {
    let chars = span.end - span.start;
    Diagnostic::error(
        Code::IdentifierTooLong,
        format!("this name is {chars} characters long, more than the {MAX_IDENTIFIER_CHARS} a name may have"),
    )
    .label(span, "name too long")
    .help(format!(
        "give it a shorter name (at most {MAX_IDENTIFIER_CHARS} characters)"
    ))
}

fn string_too_long(span: Span, bytes: usize) -> Diagnostic {
    Diagnostic::error(
        Code::StringTooLong,
        format!(
            "this string is {bytes} bytes long, more than the {MAX_STRING_BYTES} a string may have"
        ),
    )
    .label(span, "string too long")
    .help("keep long text in a data file the mapping reads (a lookup), not in the mapping")
}

/// The declaration past [`MAX_DECLARATIONS`] (the parser's builder stops there).
pub(super) fn too_many_declarations(span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::TooManyDeclarations,
        format!("the mapping file has more than {MAX_DECLARATIONS} declarations"),
    )
    .label(span, "one declaration too many")
    .help("split the mapping into modules (`import \"part.fdi\"`), each with fewer declarations")
}
