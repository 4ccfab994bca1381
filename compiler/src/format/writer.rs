//! The output of the formatter, line by line, with the original comments put back.
//!
//! The printer tells the writer where each line it starts came from (a byte offset in the
//! original text). Every comment written before that offset is printed first: a comment that
//! followed code on its line stays at the end of the line printed last (a trailing comment),
//! and a comment on a line of its own gets a line of its own before the new line. Comments are
//! printed only at line breaks, so a `//` never swallows code, and every comment is printed
//! exactly once: [`Writer::finish`] prints whatever is left at the end.

use super::trivia::{Comment, Trivia};

const INDENT: &str = "  ";

/// Whether the next line gets a blank line before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blank {
    /// Never: the first line of the file or of a block.
    Never,
    /// Always: the first line of a new group of declarations.
    Always,
    /// When the author left one.
    AsWritten,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    /// Nothing printed yet.
    None,
    /// The current line holds code and may take a trailing comment.
    Code,
    /// The current line holds a comment already (trailing or on its own).
    Comment,
}

pub struct Writer<'a> {
    trivia: &'a Trivia<'a>,
    printed: Vec<bool>,
    /// Comments before this index are all printed.
    cursor: usize,
    out: String,
    indent: usize,
    line: Line,
    blank: Blank,
}

impl<'a> Writer<'a> {
    pub fn new(trivia: &'a Trivia<'a>) -> Self {
        Writer {
            trivia,
            printed: vec![false; trivia.comments.len()],
            cursor: 0,
            out: String::new(),
            indent: 0,
            line: Line::None,
            blank: Blank::Never,
        }
    }

    pub fn trivia(&self) -> &'a Trivia<'a> {
        self.trivia
    }

    /// Appends code to the current line.
    pub fn write(&mut self, code: &str) {
        self.out.push_str(code);
    }

    /// The code written so far by a writer that printed no comment: for a measure.
    pub fn into_code(self) -> String {
        self.out
    }

    /// How many characters the current line has.
    pub fn column(&self) -> usize {
        let line_start = self.out.rfind('\n').map_or(0, |i| i + 1);
        self.out[line_start..].chars().count()
    }

    /// How many columns the current block's lines are indented by.
    pub fn indent_width(&self) -> usize {
        self.indent * INDENT.len()
    }

    /// Continues the current line of code on a new line indented by `columns` (a long
    /// expression broken at an operator). Comments are not printed here: the comments inside a
    /// broken expression were moved before its statement, as for any expression.
    pub fn continue_line(&mut self, columns: usize) {
        self.out.push('\n');
        self.out.extend(std::iter::repeat_n(' ', columns));
    }

    pub fn indent(&mut self) {
        self.indent += 1;
    }

    pub fn dedent(&mut self) {
        self.indent = self.indent.saturating_sub(1);
    }

    /// Sets the blank-line rule for the next line printed (comment or code).
    pub fn set_blank(&mut self, blank: Blank) {
        self.blank = blank;
    }

    /// Starts the line of a node that begins at `start` in the original text. Comments before
    /// `start` are printed first. Comments inside the node up to `first_break` (where the
    /// node's first printed line ends) are then moved before it, each on a line of its own:
    /// the formatter joins what they were written between, and a `//` cannot stay inside a
    /// line.
    pub fn node_line(&mut self, start: usize, first_break: usize) {
        self.comments_before(start);
        let hoisted: Vec<usize> = (self.cursor..self.trivia.comments.len())
            .take_while(|&i| self.trivia.comments[i].start < first_break)
            .filter(|&i| !self.printed[i])
            .collect();
        let node_blank = self.blank_wanted(Some(start));
        for (n, i) in hoisted.iter().enumerate() {
            // The first moved comment takes the blank line the author left before the node.
            let blank = if n == 0 {
                node_blank
            } else {
                self.blank_wanted(Some(self.trivia.comments[*i].start))
            };
            self.own_line_comment(*i, blank);
        }
        let blank = if hoisted.is_empty() {
            node_blank
        } else {
            false
        };
        self.new_line(blank);
        self.line = Line::Code;
    }

    /// Prints the comments before `pos` that are still pending, at the current indentation.
    pub fn comments_before(&mut self, pos: usize) {
        let mut i = self.cursor;
        while let Some(comment) = self.trivia.comments.get(i) {
            if comment.start >= pos {
                break;
            }
            if !self.printed[i] {
                self.print_comment(i);
            }
            i += 1;
        }
        self.advance_cursor();
    }

    /// True when a comment before `pos` is still to be printed.
    pub fn has_comments_before(&self, pos: usize) -> bool {
        (self.cursor..self.trivia.comments.len())
            .take_while(|&i| self.trivia.comments[i].start < pos)
            .any(|i| !self.printed[i])
    }

    /// Ends a block whose `}` is at `close` in the original text: comments before it go inside
    /// the block, then `}` goes on a line of its own, one level out.
    pub fn close_block(&mut self, close: usize) {
        self.comments_before(close);
        self.dedent();
        self.new_line(false);
        self.line = Line::Code;
        self.write("}");
    }

    /// The formatted text: every comment not printed yet goes at the end.
    pub fn finish(mut self) -> String {
        self.comments_before(usize::MAX);
        self.out.push('\n');
        self.out
    }

    fn print_comment(&mut self, i: usize) {
        let trivia = self.trivia;
        let comment: &Comment = &trivia.comments[i];
        if !comment.own_line && self.line == Line::Code {
            self.out.push(' ');
            self.out.push_str(&comment.text);
            self.printed[i] = true;
            self.line = Line::Comment;
        } else {
            let blank = self.blank_wanted(Some(comment.start));
            self.own_line_comment(i, blank);
        }
    }

    fn own_line_comment(&mut self, i: usize, blank: bool) {
        let trivia = self.trivia;
        self.new_line(blank);
        self.out.push_str(&trivia.comments[i].text);
        self.printed[i] = true;
        self.line = Line::Comment;
    }

    fn blank_wanted(&self, pos: Option<usize>) -> bool {
        match self.blank {
            Blank::Never => false,
            Blank::Always => true,
            Blank::AsWritten => pos.is_some_and(|p| self.trivia.blank_line_before(p)),
        }
    }

    fn new_line(&mut self, blank: bool) {
        if self.line != Line::None {
            self.out.push('\n');
            if blank {
                self.out.push('\n');
            }
        }
        for _ in 0..self.indent {
            self.out.push_str(INDENT);
        }
        self.blank = Blank::AsWritten;
    }

    fn advance_cursor(&mut self) {
        while self.printed.get(self.cursor) == Some(&true) {
            self.cursor += 1;
        }
    }
}
