//! `fdi explain`: the long explanation of a diagnostic code, taken from `docs/errors.md`.
//!
//! The page is compiled into the binary, so the explanation always matches the compiler that
//! printed the code, and there is one text to maintain: the page's section for the code.

use std::fmt;

use crate::codes::Code;

/// `docs/errors.md`, where every code has a section headed `## fdi::E0xxx — summary`.
pub const ERRORS_PAGE: &str = include_str!("../../docs/errors.md");

/// A code `fdi explain` does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCode {
    pub input: String,
    /// The closest known code, when one is close.
    pub suggestion: Option<Code>,
}

impl fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not an fdi diagnostic code", self.input)?;
        if let Some(code) = self.suggestion {
            write!(f, "; did you mean {}?", short(code))?;
        }
        write!(f, "\n  help: `fdi explain --list` lists every code")
    }
}

/// `E0311` for `fdi::E0311`.
pub fn short(code: Code) -> &'static str {
    code.as_str().trim_start_matches("fdi::")
}

/// Reads a code as a user types it: `fdi::E0311`, `E0311`, `e0311` or `0311`.
pub fn parse_code(input: &str) -> Result<Code, UnknownCode> {
    let trimmed = input.trim();
    let upper = trimmed.to_ascii_uppercase();
    let bare = upper.strip_prefix("FDI::").unwrap_or(&upper);
    let digits = bare.strip_prefix('E').unwrap_or(bare);
    let wanted = format!("E{digits}");
    if let Some(code) = Code::ALL.iter().find(|c| short(**c) == wanted) {
        return Ok(*code);
    }
    let suggestion = Code::ALL
        .iter()
        .map(|c| (strsim::osa_distance(short(*c), &wanted), *c))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c);
    Err(UnknownCode {
        input: trimmed.to_string(),
        suggestion,
    })
}

/// The code's section of `docs/errors.md` as written (Markdown), heading included.
pub fn section(code: Code) -> Option<&'static str> {
    let heading = format!("## {} ", code.as_str());
    let mut start = None;
    let mut offset = 0;
    let mut in_code = false;
    for line in ERRORS_PAGE.split_inclusive('\n') {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with("## ") {
            if let Some(s) = start {
                return Some(ERRORS_PAGE[s..offset].trim_end());
            }
            if line.starts_with(&heading) {
                start = Some(offset);
            }
        }
        offset += line.len();
    }
    start.map(|s| ERRORS_PAGE[s..].trim_end())
}

/// The explanation of `code` as plain text for a terminal, ending in a newline.
pub fn explanation(code: Code) -> Option<String> {
    let section = section(code)?;
    let mut text = to_plain_text(section);
    if section.contains("```fdi\nflow ") {
        text.push_str(
            "\nThe flows above belong to the example mapping at the top of docs/errors.md\n\
             (\"The examples on this page\").\n",
        );
    }
    Some(text)
}

/// Markdown to terminal text: headings lose their `#`, code blocks lose their fences and are
/// indented, `**bold**` loses its stars and links keep their text. Inline `code` keeps its
/// backticks, which mark code as clearly in plain text.
fn to_plain_text(markdown: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            if !line.is_empty() {
                out.push_str("    ");
            }
            out.push_str(line);
        } else if let Some(heading) = line.strip_prefix("## ") {
            out.push_str(heading);
        } else {
            out.push_str(&links_as_text(&line.replace("**", "")));
        }
        out.push('\n');
    }
    out
}

/// `[text](target)` becomes `text (target)`, with a page of the docs named by its path from
/// the repository's root (`docs/language.md`), and a link within the page becomes `text`.
fn links_as_text(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find("](").map(|c| open + c) else {
            break;
        };
        let Some(end) = rest[close..].find(')').map(|e| close + e) else {
            break;
        };
        let text = &rest[open + 1..close];
        let target = &rest[close + 2..end];
        out.push_str(&rest[..open]);
        let page = target.split('#').next().unwrap_or("");
        let target = if target.starts_with("http") {
            target.to_string()
        } else if page.is_empty() {
            String::new()
        } else {
            format!("docs/{page}")
        };
        if target.is_empty() {
            out.push_str(text);
        } else if text == page {
            out.push_str(&target);
        } else {
            out.push_str(&format!("{text} ({target})"));
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_in_every_spelling() {
        for spelling in ["fdi::E0301", "E0301", "e0301", "0301", " FDI::e0301 "] {
            assert_eq!(parse_code(spelling), Ok(Code::DuplicateName), "{spelling}");
        }
    }

    #[test]
    fn an_unknown_code_gets_the_nearest_known_one() {
        let unknown = parse_code("E0399").unwrap_err();
        assert!(unknown.suggestion.is_some());
        assert_eq!(
            parse_code("E311").unwrap_err().suggestion,
            Some(Code::UnhandledLookupMiss)
        );
        assert_eq!(parse_code("hello").unwrap_err().suggestion, None);
    }

    #[test]
    fn markdown_becomes_plain_text() {
        let md = "## fdi::E9 — x\n\n**Fix:** see [language.md](language.md), [regex](https://docs.rs/regex), [section 5](language.md#5-schema-files) and [above](#e00xx).\n\n```fdi\nflow f: a -> b {\n\n}\n```\n";
        assert_eq!(
            to_plain_text(md),
            "fdi::E9 — x\n\nFix: see docs/language.md, regex (https://docs.rs/regex), section 5 (docs/language.md) and above.\n\n    flow f: a -> b {\n\n    }\n"
        );
    }
}
