//! `fdi fmt`: prints a mapping file in the one canonical layout.
//!
//! The layout comes from the syntax tree, not from the text: two-space indentation, one
//! statement and one match arm per line, single spaces around operators, the fewest brackets
//! that keep the tree, strings re-escaped. From the text come only what the tree drops: the
//! comments, and the single blank lines an author left between declarations of a group,
//! statements or arms (see [`trivia`]). [`writer`] puts the comments back; [`items`] and
//! [`expr`] have one printing function per kind of node, so a new kind of node in the
//! grammar is one new function.
//!
//! Formatting never changes what a mapping means: [`format_text`] parses its own output and
//! refuses it unless it is the same tree with the same comments.

mod diff;
mod expr;
mod items;
mod test_blocks;
mod trivia;
mod verify;
mod wrap;
mod writer;

use crate::diagnostic::Diagnostic;
use crate::source_map::FileId;
use crate::syntax::ast::{Expr, Item, MappingFile};
use crate::syntax::parse_text;

pub use diff::unified_diff;
pub use trivia::{comments, Comment};
pub use verify::{same_mapping, without_spans};

/// Why a file could not be formatted.
#[derive(Debug)]
pub enum FormatError {
    /// The text does not parse; these are the parser's diagnostics.
    Parse(Vec<Diagnostic>),
    /// The formatted text would not mean the same as the original (a bug in the formatter,
    /// caught before anything is written). Says what differed.
    WouldChangeMeaning(String),
}

/// Formats a mapping file's text: parses it, prints it, and checks the result.
pub fn format_text(file: FileId, text: &str) -> Result<String, FormatError> {
    let mapping = parse_text(file, text).map_err(FormatError::Parse)?;
    let formatted = format_mapping(&mapping, text);
    verify::check(file, text, &mapping, &formatted).map_err(FormatError::WouldChangeMeaning)?;
    Ok(formatted)
}

/// Prints `mapping`, which was parsed from `text`, with the comments of `text`. Unchecked:
/// [`format_text`] is the safe entry point.
pub fn format_mapping(mapping: &MappingFile, text: &str) -> String {
    let trivia = trivia::Trivia::new(text);
    let mut w = writer::Writer::new(&trivia);
    items::mapping(&mut w, mapping);
    w.finish()
}

/// One expression in the canonical layout, without comments and with literals written
/// canonically (`1e3` as `1000.0`): how `fdi diff` shows an old and a new value, so that two
/// spellings of one tree print alike.
pub fn format_expression(e: &Expr) -> String {
    let trivia = trivia::Trivia::new("");
    let mut w = writer::Writer::new(&trivia);
    w.node_line(0, 0);
    expr::expr(&mut w, e);
    w.finish().trim_end().to_string()
}

/// A string literal as the formatter writes one: quoted, with quotes, backslashes, control
/// and invisible characters escaped.
pub fn quote(value: &str) -> String {
    expr::string(value)
}

/// One declaration (or flow, or test) in the canonical layout, like [`format_expression`].
pub fn format_item(item: &Item) -> String {
    let trivia = trivia::Trivia::new("");
    let mut w = writer::Writer::new(&trivia);
    items::item_node(&mut w, item);
    w.finish().trim_end().to_string()
}

#[cfg(test)]
mod expr_tests;
