//! String literal escapes, both ways: the parser resolves them, the emitter never needs them
//! (it prints Rust literals with `{:?}`), and the formatter will write them back.

/// Resolves the escapes of a string literal's inner text. On error: the byte offset and length
/// of the bad escape within `raw`, and its text.
pub fn unescape(raw: &str) -> Result<String, (usize, usize, String)> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some((_, e)) = chars.next() else {
            return Err((i, 1, "\\".to_string()));
        };
        match e {
            '"' => out.push('"'),
            '\\' => out.push('\\'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            '0' => out.push('\0'),
            'u' => {
                let rest = &raw[i + 2..];
                let close = rest.find('}');
                let decoded = match (rest.strip_prefix('{'), close) {
                    (Some(_), Some(close)) if (2..=7).contains(&close) => {
                        u32::from_str_radix(&rest[1..close], 16)
                            .ok()
                            .and_then(char::from_u32)
                    }
                    _ => None,
                };
                match (decoded, close) {
                    (Some(ch), Some(close)) => {
                        out.push(ch);
                        // skip the `{...}` that the loop has not consumed yet
                        let end = i + 2 + close;
                        while chars.peek().is_some_and(|(j, _)| *j <= end) {
                            chars.next();
                        }
                    }
                    _ => {
                        let len = close.map(|c| c + 3).unwrap_or(2).min(raw.len() - i);
                        return Err((i, len, raw[i..i + len].to_string()));
                    }
                }
            }
            other => return Err((i, 1 + other.len_utf8(), format!("\\{other}"))),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::unescape;

    #[test]
    fn resolves_escapes() {
        assert_eq!(unescape(r#"a\"b\\c\nd\u{41}"#).unwrap(), "a\"b\\c\ndA");
    }

    #[test]
    fn reports_bad_escapes_with_their_place() {
        assert_eq!(unescape(r"ab\q").unwrap_err(), (2, 2, r"\q".to_string()));
        assert_eq!(unescape(r"\u{zz}").unwrap_err().0, 0);
    }
}
