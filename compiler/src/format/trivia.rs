//! What the syntax tree does not keep: comments, blank lines, and where the keywords are.
//!
//! The parser drops `//` comments and the tree has no span for a declaration's keyword or a
//! block's braces, so the formatter finds them in the text here. All searches skip comments,
//! so a `let` or `}` written inside a comment is never taken for code.

use crate::syntax::scan::{pieces, Piece};

/// One `//` comment, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Byte offset of the `//`.
    pub start: usize,
    /// The comment from `//` to the end of its line, without trailing whitespace.
    pub text: String,
    /// True when only whitespace comes before it on its line; false for a comment after code
    /// (a trailing comment).
    pub own_line: bool,
}

impl Comment {
    fn end(&self) -> usize {
        self.start + self.text.len()
    }
}

/// A mapping's text with its comments found.
pub struct Trivia<'a> {
    pub text: &'a str,
    /// In text order.
    pub comments: Vec<Comment>,
}

impl<'a> Trivia<'a> {
    pub fn new(text: &'a str) -> Self {
        Trivia {
            text,
            comments: comments(text),
        }
    }

    /// The comment that `pos` falls inside, if any.
    fn comment_at(&self, pos: usize) -> Option<&Comment> {
        let i = self.comments.partition_point(|c| c.start <= pos);
        let c = self.comments.get(i.checked_sub(1)?)?;
        (pos < c.end()).then_some(c)
    }

    /// Where the last `keyword` before `pos` that is code (not inside a comment) starts.
    /// Used for the keyword that opens a declaration or a `let`, which the tree has no span for.
    pub fn keyword_before(&self, pos: usize, keyword: &str) -> Option<usize> {
        let mut end = pos.min(self.text.len());
        while let Some(at) = self.text.get(..end)?.rfind(keyword) {
            match self.comment_at(at) {
                Some(c) => end = c.start,
                None => return Some(at),
            }
        }
        None
    }

    /// Where the first `ch` at or after `pos` that is code (not inside a comment) is.
    /// Used for braces, which the tree has no span for.
    pub fn code_char_after(&self, pos: usize, ch: char) -> Option<usize> {
        let mut start = pos;
        loop {
            let at = start + self.text.get(start..)?.find(ch)?;
            match self.comment_at(at) {
                Some(c) => start = c.end(),
                None => return Some(at),
            }
        }
    }

    /// The first byte of code: where the header starts, after any leading comments.
    pub fn first_code(&self) -> usize {
        let mut pos = 0;
        loop {
            let rest = &self.text[pos..];
            let skipped = rest.len() - rest.trim_start().len();
            pos += skipped;
            match self.comment_at(pos) {
                Some(c) => pos = c.end(),
                None => return pos,
            }
        }
    }

    /// True when `pos` is the first thing on its line and the line above it is blank: the
    /// author left a blank line before what starts at `pos`.
    pub fn blank_line_before(&self, pos: usize) -> bool {
        let Some(before) = self.text.get(..pos) else {
            return false;
        };
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        if !before[line_start..].trim().is_empty() || line_start == 0 {
            return false;
        }
        let above = &before[..line_start - 1];
        let above_start = above.rfind('\n').map_or(0, |i| i + 1);
        above[above_start..].trim().is_empty()
    }
}

/// Every `//` comment in `text`. A `//` inside a string literal is not a comment; strings
/// cannot span lines, so a newline ends one even when it is unterminated.
pub fn comments(text: &str) -> Vec<Comment> {
    pieces(text)
        .filter_map(|piece| match piece {
            Piece::Comment { start, end } => {
                let line_start = text[..start].rfind('\n').map_or(0, |n| n + 1);
                Some(Comment {
                    start,
                    text: text[start..end].trim_end().to_string(),
                    own_line: text[line_start..start].trim().is_empty(),
                })
            }
            Piece::Code(..) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slashes_in_strings_are_not_comments() {
        let text = "a = \"http://x\" // real\n  // own\nb = \"\\\"//\" c";
        let found = comments(text);
        let texts: Vec<&str> = found.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["// real", "// own"]);
        assert!(!found[0].own_line);
        assert!(found[1].own_line);
    }

    #[test]
    fn an_unterminated_string_ends_at_its_line() {
        let found = comments("x = \"open\n// after");
        assert_eq!(found.len(), 1);
        assert!(found[0].own_line);
    }

    #[test]
    fn keywords_and_braces_inside_comments_are_skipped() {
        let text = "let // let\n x = 1 // }\n}";
        let t = Trivia::new(text);
        assert_eq!(t.keyword_before(text.find(" x").unwrap(), "let"), Some(0));
        assert_eq!(t.code_char_after(0, '}'), Some(text.len() - 1));
        assert_eq!(Trivia::new("// a\n\n  // b\nmapping").first_code(), 13);
    }

    #[test]
    fn blank_lines_are_seen_only_at_line_starts() {
        let text = "a\n\n  b c\n \nd";
        let t = Trivia::new(text);
        assert!(t.blank_line_before(text.find('b').unwrap()));
        assert!(!t.blank_line_before(text.find('c').unwrap()));
        assert!(t.blank_line_before(text.find('d').unwrap()));
        assert!(!t.blank_line_before(0));
    }
}
