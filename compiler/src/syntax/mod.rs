//! The parse stage: `.fdi` text to [`ast::MappingFile`].

pub mod ast;
mod escape;
mod expressions;
pub mod limits;
mod parser;
pub mod scan;
mod syntax_error;
mod test_blocks;

pub use escape::unescape;
pub use parser::{parse_text, MAX_BRACKET_DEPTH, MAX_EXPR_DEPTH};
