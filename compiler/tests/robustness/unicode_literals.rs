//! Any Unicode string written as a literal in a mapping comes out of the generated program
//! unchanged: as a constant (`let`), a string assigned to a text field, a match pattern and
//! arm, and a reject reason.
//!
//! At the emit level for many generated strings (proptest): the mapping is compiled from
//! memory and emitted, every generated Rust file must parse with `syn`, and the string
//! literals of the generated code must hold each string exactly. End to end for a fixed set of
//! hard strings (NUL, quotes, backslashes, format braces, RTL marks, emoji, combining marks,
//! line separators, text that closes a Rust string): one built program writes them, and its
//! output and run summary are compared with the strings themselves. Lone surrogates cannot be
//! tested: a Rust `String` (and so a mapping's text, which must be UTF-8) cannot hold one.
//!
//! The mapping's escapes are written here from docs/language.md, not with the compiler's own
//! code, so a bug shared by the two cannot hide.

use std::path::Path;

use fdi_compiler::loader::MemoryFiles;
use fdi_compiler::source_map::SourceMap;
use proptest::prelude::*;

use super::support::{assert_balanced, build, flow, read_jsonl, run_json};

const SCHEMA: &str = "entities:
  Line:
    fields:
      text: string
      maybe: { type: string, optional: true }
  Note:
    fields:
      text: string
      constant: string
      assigned: string
      matched: string
";

/// The literals one mapping holds, by the role each plays.
#[derive(Debug, Clone)]
struct Literals {
    constant: String,
    assigned: String,
    pattern: String,
    arm: String,
    reason: String,
}

impl Literals {
    fn all(&self) -> [&str; 5] {
        [
            &self.constant,
            &self.assigned,
            &self.pattern,
            &self.arm,
            &self.reason,
        ]
    }
}

/// `text` as a mapping's string literal: `"` `\` and the newline must be escaped; with
/// `escape_all`, every other character outside printable ASCII is written `\u{...}` too (else
/// as itself, which the grammar allows).
fn fdi_literal(text: &str, escape_all: bool) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' if escape_all => out.push_str("\\t"),
            '\r' if escape_all => out.push_str("\\r"),
            '\0' if escape_all => out.push_str("\\0"),
            c if escape_all && !(' '..='~').contains(&c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn mapping(literals: &Literals, escape_all: bool) -> String {
    let q = |s: &str| fdi_literal(s, escape_all);
    format!(
        "mapping unicode_literals version \"1\"

schema \"schema.yaml\"

source lines: jsonl(\"input.jsonl\") as Line

target notes: jsonl(\"out/notes.jsonl\") as Note

flow note: lines -> notes {{
  let constant = {}
  let present = maybe else reject {}
  text = present
  constant = constant
  assigned = {}
  matched = match text {{
    {} => {},
    _ => \"no match\",
  }}
}}
",
        q(&literals.constant),
        q(&literals.reason),
        q(&literals.assigned),
        q(&literals.pattern),
        q(&literals.arm),
    )
}

/// Every string literal's value in a Rust file (doc comments are `#[doc = "..."]` and count).
fn string_literals(tokens: proc_macro2::TokenStream, out: &mut Vec<String>) {
    for tree in tokens {
        match tree {
            proc_macro2::TokenTree::Group(group) => string_literals(group.stream(), out),
            proc_macro2::TokenTree::Literal(literal) => {
                if let Ok(string) = syn::parse_str::<syn::LitStr>(&literal.to_string()) {
                    out.push(string.value());
                }
            }
            _ => {}
        }
    }
}

/// Compiles and emits the mapping from memory; the string literals of the generated code, or
/// why there are none.
fn emitted_literals(text: &str) -> Result<Vec<String>, String> {
    let files = MemoryFiles::new()
        .with("unicode/mapping.fdi", text)
        .with("unicode/schema.yaml", SCHEMA);
    let mut sources = SourceMap::reading(files);
    let path = Path::new("unicode/mapping.fdi");
    let program = fdi_compiler::compile(path, &mut sources).map_err(|diagnostics| {
        diagnostics
            .iter()
            .map(|d| d.render_plain(&sources))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let generated = fdi_compiler::emit::emit(&program, &fdi_compiler::emit_options(path, &sources));
    let mut found = Vec::new();
    for (file, code) in generated.files.iter().filter(|(f, _)| f.ends_with(".rs")) {
        syn::parse_file(code).map_err(|e| format!("{file} does not parse: {e}"))?;
        let tokens: proc_macro2::TokenStream = code
            .parse()
            .map_err(|e| format!("{file} does not lex: {e:?}"))?;
        string_literals(tokens, &mut found);
    }
    Ok(found)
}

fn assert_emitted_unchanged(literals: &Literals, escape_all: bool) {
    let text = mapping(literals, escape_all);
    let found = emitted_literals(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    for literal in literals.all() {
        assert!(
            found.iter().any(|f| f == literal),
            "{literal:?} is not a literal of the generated code\n{text}"
        );
    }
}

/// Any string of Unicode scalar values, controls (NUL, CR, LF, tab) included: proptest's
/// `any::<String>()` leaves out control characters.
fn any_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..40).prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn any_unicode_literal_is_emitted_unchanged(
        constant in any_text(),
        assigned in any_text(),
        pattern in any_text(),
        arm in any_text(),
        reason in any_text(),
        escape_all in any::<bool>(),
    ) {
        let literals = Literals { constant, assigned, pattern, arm, reason };
        assert_emitted_unchanged(&literals, escape_all);
    }
}

/// Strings that break naive code generation, each one in every role at once.
const HARD_STRINGS: &[&str] = &[
    "nul \0 inside",
    "\"quoted\", \\ backslash, \\\" both, \\n not a newline",
    "{} {0} {{}} {name} %s $1",
    "right-to-left \u{200F}\u{202E}abc\u{202C} marks",
    "emoji 👩\u{200D}🔧 🏭 \u{1F600}",
    "combining e\u{301} a\u{30A}, \u{FEFF}byte order mark",
    "line breaks \r\n \t \u{2028} \u{2029} \u{85}",
    "\"#); std::process::exit(42); (r#\"",
    "/* not a comment */ // nor this",
    "",
];

#[test]
fn hard_strings_are_emitted_unchanged() {
    for (i, hard) in HARD_STRINGS.iter().enumerate() {
        let next = HARD_STRINGS[(i + 1) % HARD_STRINGS.len()];
        let literals = Literals {
            constant: hard.to_string(),
            assigned: next.to_string(),
            pattern: hard.to_string(),
            arm: next.to_string(),
            reason: hard.to_string(),
        };
        assert_emitted_unchanged(&literals, i % 2 == 0);
    }
}

/// One built program: each hard string is a constant, an assigned text, a match pattern (its
/// input record's text) and arm, and the reject reason of a record without `maybe`.
#[test]
fn hard_strings_come_out_of_a_built_program_unchanged() {
    let [first, second, third, ..] = HARD_STRINGS else {
        unreachable!("there are more than three hard strings");
    };
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let dir = tmp.path().join("unicode");
    std::fs::create_dir_all(&dir).expect("create the mapping's folder");
    // The match pattern is the NUL string, the arm the quotes, the reason the braces, the
    // constant all the others; each record's text is one hard string, through to the output.
    let literals = Literals {
        constant: HARD_STRINGS[3..].concat(),
        assigned: first.to_string(),
        pattern: first.to_string(),
        arm: second.to_string(),
        reason: third.to_string(),
    };
    std::fs::write(dir.join("mapping.fdi"), mapping(&literals, false)).expect("write mapping");
    std::fs::write(dir.join("schema.yaml"), SCHEMA).expect("write schema");
    let mut input = String::new();
    for text in HARD_STRINGS {
        input.push_str(&serde_json::json!({ "text": text, "maybe": text }).to_string());
        input.push('\n');
    }
    input.push_str(&serde_json::json!({ "text": "no maybe" }).to_string());
    input.push('\n');
    std::fs::write(dir.join("input.jsonl"), input).expect("write input");

    let binary = build(&dir.join("mapping.fdi"), &tmp.path().join("crate"));
    let (_, summary) = run_json(&binary, &[]);
    let written = read_jsonl(&dir.join("out/notes.jsonl"));
    assert_eq!(written.len(), HARD_STRINGS.len(), "{summary}");
    for (row, text) in written.iter().zip(HARD_STRINGS) {
        let expected = serde_json::json!({
            "text": text,
            "constant": literals.constant,
            "assigned": literals.assigned,
            "matched": if text == first { literals.arm.as_str() } else { "no match" },
        });
        assert_eq!(row, &expected);
    }
    assert_balanced(&summary);
    assert_eq!(
        flow(&summary, "note")["reasons"][&literals.reason],
        1,
        "{summary}"
    );
}
