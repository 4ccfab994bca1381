//! The adapter protocol (SHDR) as cppagent reads it: each line `timestamp|key|value|key|value...`;
//! a condition `timestamp|key|level|native_code|native_severity|qualifier|text` and a message
//! `timestamp|key|native_code|text` alone on their line; asset commands (`@ASSET@|id|type|body`,
//! `@UPDATE_ASSET@`, `@REMOVE_ASSET@|id`, `@REMOVE_ALL_ASSETS@|type`), whose body may be a
//! multi-line block (`--multiline--XXXX`, then lines up to one that is `--multiline--XXXX` again);
//! and commands from the adapter (`* PING`, `* shdrVersion: 2`). A token may be quoted (`"a|b"`,
//! `\` escaping inside the quotes), as cppagent's tokenizer allows.
//!
//! What this module does not decide: which key is which data item and how many tokens it takes
//! (`select.rs`, from the device model when there is one).

/// One logical line: a physical line, or a line that opened a multi-line block with its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logical {
    /// The line, without its terminator (for a block: the line that opened it).
    pub head: String,
    /// A multi-line block's body, its lines joined by `\n`: the value of the head's last token.
    pub body: Option<String>,
    /// The 1-based line of the stream the logical line starts on.
    pub line: u64,
}

impl Logical {
    /// The line as it came, for the dead letter: the head and, for a block, its lines and marker.
    pub fn original(&self) -> String {
        match &self.body {
            None => self.head.clone(),
            Some(body) => {
                let marker = self.head.rsplit('|').next().unwrap_or_default().trim();
                format!("{}\n{body}\n{marker}", self.head)
            }
        }
    }
}

/// Joins the physical lines of a stream into logical lines (multi-line blocks).
#[derive(Debug, Default)]
pub struct Assembler {
    lines: u64,
    open: Option<OpenBlock>,
}

#[derive(Debug)]
struct OpenBlock {
    head: String,
    marker: String,
    body: Vec<String>,
    line: u64,
}

/// The longest a multi-line block may be (lines), so that a marker never closed cannot hold the
/// whole stream in memory: beyond it, the block is ended where it is.
const MAX_BLOCK_LINES: usize = 100_000;

impl Assembler {
    /// Takes the next physical line (terminator removed); a logical line when one is complete.
    pub fn push(&mut self, line: &str) -> Option<Logical> {
        self.lines += 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(block) = &mut self.open {
            if line.trim() == block.marker || block.body.len() >= MAX_BLOCK_LINES {
                let block = self.open.take()?;
                return Some(Logical {
                    head: block.head,
                    body: Some(block.body.join("\n")),
                    line: block.line,
                });
            }
            block.body.push(line.to_string());
            return None;
        }
        let last = line.rsplit('|').next().unwrap_or_default().trim();
        if line.contains('|') && last.starts_with("--multiline--") {
            self.open = Some(OpenBlock {
                head: line.to_string(),
                marker: last.to_string(),
                body: Vec::new(),
                line: self.lines,
            });
            return None;
        }
        Some(Logical {
            head: line.to_string(),
            body: None,
            line: self.lines,
        })
    }

    /// At the end of the stream: a block never closed, as far as it came.
    pub fn finish(&mut self) -> Option<Logical> {
        self.open.take().map(|block| Logical {
            head: block.head,
            body: Some(block.body.join("\n")),
            line: block.line,
        })
    }

    /// Physical lines taken so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }
}

/// What a logical line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShdrLine {
    /// Nothing (an empty line).
    Blank,
    /// A command from the adapter: the text after `*`, trimmed (`PING`, `shdrVersion: 2`).
    Command(String),
    /// Data: the timestamp (RFC 3339) and the tokens after it.
    Data {
        timestamp: String,
        tokens: Vec<String>,
    },
    /// A line no observation can be read from, and why.
    Malformed(String),
}

/// Parses a logical line.
pub fn parse(logical: &Logical) -> ShdrLine {
    let head = logical.head.as_str();
    if head.trim().is_empty() {
        return ShdrLine::Blank;
    }
    if let Some(command) = head.trim_start().strip_prefix('*') {
        return ShdrLine::Command(command.trim().to_string());
    }
    let mut tokens = tokenize(head);
    if let (Some(body), Some(last)) = (&logical.body, tokens.last_mut()) {
        *last = body.clone();
    }
    if tokens.len() < 2 {
        return ShdrLine::Malformed(format!(
            "no `|` in the line: an SHDR line is `timestamp|key|value...`, this is {:?}",
            shorten(head)
        ));
    }
    let first = tokens.remove(0);
    match timestamp(&first) {
        Ok(timestamp) => ShdrLine::Data { timestamp, tokens },
        Err(why) => ShdrLine::Malformed(why),
    }
}

/// An SHDR timestamp as RFC 3339: `2022-08-08T13:51:34.7167146Z` as it is, a time without an
/// offset taken as UTC (`Z` added), as cppagent does; a `@duration` after it is dropped. A line
/// without a timestamp, or with one that is not a date and time (a relative time, as an agent
/// configured with `RelativeTime` reads it), is refused: no record can say when it happened.
pub fn timestamp(token: &str) -> Result<String, String> {
    let text = token.trim();
    let text = text.split_once('@').map_or(text, |(time, _)| time);
    if text.is_empty() {
        return Err(
            "the line has no timestamp (an SHDR line starts `2024-01-31T12:00:00Z|`)".into(),
        );
    }
    if chrono::DateTime::parse_from_rfc3339(text).is_ok() {
        return Ok(text.to_string());
    }
    if chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").is_ok() {
        return Ok(format!("{text}Z"));
    }
    Err(format!(
        "the timestamp {:?} is not a date and time (an SHDR line starts `2024-01-31T12:00:00Z|`)",
        shorten(text)
    ))
}

/// Splits a line at its `|`s as cppagent's tokenizer does: each token trimmed of spaces; a token
/// that starts with `"` and whose closing `"` is followed by `|` or the end is quoted (a `|` inside
/// it is text, `\` escapes the next character); a line ending in `|` ends in an empty token.
pub fn tokenize(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && chars[i].is_whitespace() && chars[i] != '|' {
            i += 1;
        }
        if i < chars.len() && chars[i] == '"' {
            if let Some((token, next)) = quoted(&chars, i + 1) {
                tokens.push(token);
                i = next;
                if i < chars.len() && chars[i] == '|' {
                    i += 1;
                    if i == chars.len() {
                        tokens.push(String::new());
                    }
                }
                continue;
            }
        }
        let start = i;
        while i < chars.len() && chars[i] != '|' {
            i += 1;
        }
        let token: String = chars[start..i].iter().collect();
        tokens.push(token.trim_end().to_string());
        if i < chars.len() {
            i += 1;
            if i == chars.len() {
                tokens.push(String::new());
            }
        }
    }
    tokens
}

/// A quoted token from after its opening `"`: its text and the index after the closing quote and
/// the spaces behind it. As in cppagent, `\` takes the next character as it is (`\|`, `\"`), and
/// a `|` not so escaped ends the token where it is (without the quote); `None` when that happens
/// after an escape, or at the end without a closing quote: the token is then read as unquoted.
fn quoted(chars: &[char], mut i: usize) -> Option<(String, usize)> {
    let mut text = String::new();
    let mut escaped = false;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                text.push(chars[i + 1]);
                escaped = true;
                i += 2;
            }
            '"' => {
                let mut next = i + 1;
                while next < chars.len() && chars[next].is_whitespace() {
                    next += 1;
                }
                if next == chars.len() || chars[next] == '|' {
                    return Some((text, next));
                }
                text.push('"');
                i += 1;
            }
            '|' if escaped => return None,
            '|' => return Some((text.trim_end().to_string(), i)),
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    None
}

/// At most 80 characters of `text`, for messages.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(80) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logical(lines: &[&str]) -> Vec<Logical> {
        let mut assembler = Assembler::default();
        let mut out: Vec<Logical> = lines.iter().filter_map(|l| assembler.push(l)).collect();
        out.extend(assembler.finish());
        out
    }

    #[test]
    fn tokens_are_split_trimmed_and_quoted_as_cppagent_does() {
        assert_eq!(tokenize("a|b|c"), ["a", "b", "c"]);
        assert_eq!(tokenize(" a | b "), ["a", "b"]);
        assert_eq!(tokenize("a|NORMAL||||"), ["a", "NORMAL", "", "", "", ""]);
        assert_eq!(tokenize("a|"), ["a", ""]);
        assert_eq!(tokenize(r#"msg|"x\|y"|z"#), ["msg", "x|y", "z"]);
        assert_eq!(
            tokenize(r#"msg|"say \"hi\""|z"#),
            ["msg", "say \"hi\"", "z"]
        );
        // A `|` not escaped ends a quoted token, as in cppagent.
        assert_eq!(tokenize(r#"msg|"x|y"|z"#), ["msg", "x", "y\"", "z"]);
        assert_eq!(
            tokenize("p|1039.897 0 269.0133"),
            ["p", "1039.897 0 269.0133"]
        );
    }

    #[test]
    fn timestamps_are_rfc3339_or_refused() {
        assert_eq!(
            timestamp("2022-08-08T13:51:34.7167146Z").unwrap(),
            "2022-08-08T13:51:34.7167146Z"
        );
        assert_eq!(
            timestamp("2022-08-08T13:51:34.5").unwrap(),
            "2022-08-08T13:51:34.5Z"
        );
        assert_eq!(
            timestamp("2022-08-08T13:51:34Z@100.0").unwrap(),
            "2022-08-08T13:51:34Z"
        );
        assert!(timestamp("").is_err());
        assert!(timestamp("2").is_err());
        assert!(timestamp("2022-13-08T13:51:34Z").is_err());
        assert!(timestamp("yesterday").is_err());
    }

    #[test]
    fn lines_are_commands_data_or_malformed() {
        let parsed: Vec<ShdrLine> = logical(&[
            "* PING",
            "",
            "2022-08-08T13:51:34Z|avail|AVAILABLE",
            "|avail|AVAILABLE",
            "garbage",
            "2|execution|READY",
        ])
        .iter()
        .map(parse)
        .collect();
        assert_eq!(parsed[0], ShdrLine::Command("PING".into()));
        assert_eq!(parsed[1], ShdrLine::Blank);
        assert_eq!(
            parsed[2],
            ShdrLine::Data {
                timestamp: "2022-08-08T13:51:34Z".into(),
                tokens: vec!["avail".into(), "AVAILABLE".into()]
            }
        );
        assert!(matches!(parsed[3], ShdrLine::Malformed(_)));
        assert!(matches!(parsed[4], ShdrLine::Malformed(_)));
        assert!(matches!(parsed[5], ShdrLine::Malformed(_)));
    }

    #[test]
    fn a_multiline_block_is_the_last_token_of_its_line() {
        let lines = logical(&[
            "2022-08-08T13:43:36Z|@ASSET@|T1|CuttingTool|--multiline--ABCD",
            "<CuttingTool assetId=\"T1\">",
            "a|b</CuttingTool>",
            "--multiline--ABCD",
            "2022-08-08T13:43:37Z|avail|AVAILABLE",
        ]);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].line, 1);
        assert_eq!(lines[1].line, 5);
        let ShdrLine::Data { tokens, .. } = parse(&lines[0]) else {
            panic!("data")
        };
        assert_eq!(
            tokens,
            [
                "@ASSET@",
                "T1",
                "CuttingTool",
                "<CuttingTool assetId=\"T1\">\na|b</CuttingTool>"
            ]
        );
        assert!(lines[0]
            .original()
            .ends_with("</CuttingTool>\n--multiline--ABCD"));
    }
}
