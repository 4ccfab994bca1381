//! The one formatting pass over every generated Rust file: prettyplease over syn's syntax tree,
//! so generated code is laid out as `rustfmt` would and reviewers read it like any other code.
//!
//! syn drops `//` comments, and the generated code's comments matter (`// mapping.fdi:12`
//! says where a statement comes from). So before parsing, each `//` comment line becomes a
//! placeholder macro call, `__fdi_comment!(N);`: syn keeps a macro call wherever a statement or
//! an item may stand, and prettyplease prints it on a line of its own. After formatting, each
//! placeholder line becomes comment `N` again, at the placeholder's indentation. The emitters
//! write `//` comments only where a statement or an item stands. Doc comments (`///`, `//!`)
//! are attributes, which syn keeps; the comment lines a file starts with (its header) stay as
//! they are.

/// The macro name of a comment's placeholder: no emitter writes it, and after formatting no
/// placeholder is left.
const PLACEHOLDER: &str = "__fdi_comment";

/// `code` formatted, with its comments where they were. Code that does not parse is returned
/// as it is: that is an emitter bug, which `compiler/tests/emitted_code_parses.rs` reports for
/// every case.
pub fn format_rust(code: &str) -> String {
    let mut header = String::new();
    let mut body = String::new();
    let mut comments: Vec<&str> = Vec::new();
    for line in code.lines() {
        let trimmed = line.trim_start();
        let comment =
            trimmed.starts_with("//") && !trimmed.starts_with("///") && !trimmed.starts_with("//!");
        if comment && body.is_empty() {
            header.push_str(trimmed);
            header.push('\n');
        } else if comment {
            body.push_str(&format!("{PLACEHOLDER}!({});\n", comments.len()));
            comments.push(trimmed);
        } else {
            body.push_str(line);
            body.push('\n');
        }
    }
    let Ok(file) = syn::parse_file(&body) else {
        return code.to_string();
    };
    let mut formatted = header;
    let mut previous = "";
    for line in prettyplease::unparse(&file).lines() {
        if separates_items(previous, line) {
            formatted.push('\n');
        }
        previous = line;
        let trimmed = line.trim_start();
        let comment = trimmed
            .strip_prefix(PLACEHOLDER)
            .and_then(|rest| rest.strip_prefix("!("))
            .and_then(|rest| rest.strip_suffix(");"))
            .and_then(|index| index.parse::<usize>().ok())
            .and_then(|index| comments.get(index));
        match comment {
            Some(comment) => {
                formatted.push_str(&line[..line.len() - trimmed.len()]);
                formatted.push_str(comment);
            }
            None => formatted.push_str(line),
        }
        formatted.push('\n');
    }
    formatted
}

/// Whether a blank line goes between `previous` and `line` of prettyplease's output, which
/// leaves none: between two top-level items (an item ends with `}` or `;` at the start of a
/// line), except in a run of `mod` and `use` lines, and after the module's doc. A comment
/// belongs to the item after it.
fn separates_items(previous: &str, line: &str) -> bool {
    let top_level = |l: &str| !l.is_empty() && !l.starts_with(char::is_whitespace);
    let one_liner = |l: &str| {
        ["mod ", "pub mod ", "use ", "pub use "]
            .iter()
            .any(|start| l.starts_with(start))
    };
    let after_module_doc = previous.starts_with("//!") && !line.starts_with("//");
    after_module_doc
        || top_level(previous)
            && top_level(line)
            && previous.ends_with(['}', ';'])
            && !previous.starts_with(PLACEHOLDER)
            && !line.starts_with(['}', ')', ']', '>'])
            && !(one_liner(previous) && one_liner(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_keeps_comments_where_they_stand() {
        let code = "// header\n//! doc\nuse a::b;\n// item comment\nfn f() -> i64 { // not a line comment\n// one\nlet x = 1_i64;\n    // two\n x }\nfn g() {}\n";
        assert_eq!(
            format_rust(code),
            "// header\n//! doc\n\nuse a::b;\n\n// item comment\nfn f() -> i64 {\n    // one\n    let x = 1_i64;\n    // two\n    x\n}\n\nfn g() {}\n"
        );
    }

    #[test]
    fn code_that_does_not_parse_is_left_as_it_is() {
        assert_eq!(format_rust("fn f( {\n"), "fn f( {\n");
    }
}
