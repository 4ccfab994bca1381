//! A light pass over mapping text that tells code from string literals and `//` comments,
//! for the checks that run before (or beside) the grammar: bracket depth, unclosed brackets,
//! and the comments the formatter puts back. Strings cannot span lines, so a newline ends one
//! even when it is unterminated.

/// What the scan finds, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    /// A character of code (not in a string or comment) at its byte offset.
    Code(usize, char),
    /// A `//` comment from its first `/` to the end of its line (without the newline).
    Comment { start: usize, end: usize },
}

/// The pieces of `text` outside string literals.
pub fn pieces(text: &str) -> impl Iterator<Item = Piece> + '_ {
    tokens(text).filter_map(|token| match token {
        Token::Piece(piece) => Some(piece),
        Token::String { .. } => None,
    })
}

/// The byte range of every string literal in `text`, quotes included (an unterminated one ends
/// before the newline or at the end of the text): what the input limits measure.
pub fn string_literals(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    tokens(text).filter_map(|token| match token {
        Token::String { start, end } => Some((start, end)),
        Token::Piece(_) => None,
    })
}

/// One scan yields both code and strings, so the two views agree on where strings are.
enum Token {
    Piece(Piece),
    String { start: usize, end: usize },
}

fn tokens(text: &str) -> impl Iterator<Item = Token> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let (i, c) = chars.next()?;
        Some(match c {
            '"' => {
                let mut escaped = false;
                let mut end = text.len();
                for (j, c) in chars.by_ref() {
                    if c == '\n' {
                        end = j;
                        break;
                    }
                    if c == '"' && !escaped {
                        end = j + 1;
                        break;
                    }
                    escaped = c == '\\' && !escaped;
                }
                Token::String { start: i, end }
            }
            '/' if chars.peek().map(|p| p.1) == Some('/') => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                while chars.peek().is_some_and(|(j, _)| *j < end) {
                    chars.next();
                }
                Token::Piece(Piece::Comment { start: i, end })
            }
            _ => Token::Piece(Piece::Code(i, c)),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_hide_brackets_and_slashes() {
        let text = "a(\"x // (\\\" [\") // note (\nb]";
        let found: Vec<Piece> = pieces(text).collect();
        let code: String = found
            .iter()
            .filter_map(|p| match p {
                Piece::Code(_, c) => Some(*c),
                _ => None,
            })
            .collect();
        assert_eq!(code, "a() \nb]");
        let start = text.find("// note").expect("the comment");
        let end = text.find('\n').expect("a newline");
        assert!(found.contains(&Piece::Comment { start, end }), "{found:?}");
    }

    #[test]
    fn an_unterminated_string_ends_at_the_line() {
        let code: String = pieces("\"open\n(")
            .filter_map(|p| match p {
                Piece::Code(_, c) => Some(c),
                _ => None,
            })
            .collect();
        assert_eq!(code, "(");
    }

    #[test]
    fn string_literals_span_their_quotes() {
        let text = "a \"b\\\"c\" // \"no\"\n\"open\n";
        let found: Vec<&str> = string_literals(text).map(|(s, e)| &text[s..e]).collect();
        assert_eq!(found, ["\"b\\\"c\"", "\"open"]);
    }
}
