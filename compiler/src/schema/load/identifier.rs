//! Identifier types: base, pattern.

use serde_yaml::Value;

use super::FileLoader;
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::schema::{IdBase, IdentifierType, SchemaSet};
use crate::source_map::Span;

impl FileLoader<'_> {
    pub(super) fn identifier(&mut self, set: &mut SchemaSet, name: &str, decl: &Value) {
        let path = ["identifiers", name];
        if self.declared(set, &path, name) {
            return;
        }
        let Some(decl) = self.mapping_of(&path, decl) else {
            return;
        };
        let mut base = IdBase::String;
        let mut pattern = None;
        let mut description = None;
        for (key, value) in &decl {
            let key = key.as_str().unwrap_or("");
            let key_path = ["identifiers", name, key];
            match (key, value) {
                ("base", Value::String(b)) => match b.as_str() {
                    "string" => base = IdBase::String,
                    "int" => base = IdBase::Int,
                    other => {
                        let span = self.value_span(&key_path, other);
                        self.errors.push(
                            Diagnostic::error(
                                Code::UnknownSchemaType,
                                format!("`{other}` cannot be the base of an identifier type"),
                            )
                            .label(span, "not `string` or `int`")
                            .help("identifier types are based on `string` or `int`"),
                        );
                    }
                },
                ("pattern", Value::String(p)) => {
                    // Checked on its own first, so that the error's position is in the user's text.
                    let error = regex::Regex::new(p)
                        .and_then(|_| regex::Regex::new(&format!("^(?:{p})$")))
                        .err();
                    if let Some(e) = error {
                        let (reason, place) = regex_error(&e.to_string());
                        let whole = self.value_span(&key_path, p);
                        let found_verbatim =
                            self.text.get(whole.start..whole.end) == Some(p.as_str());
                        let span = match place {
                            Some((start, len)) if found_verbatim => {
                                let byte = |chars: usize| {
                                    p.char_indices()
                                        .nth(chars)
                                        .map(|(i, _)| i)
                                        .unwrap_or(p.len())
                                };
                                Span::new(
                                    self.file,
                                    whole.start + byte(start),
                                    whole.start + byte(start + len).max(byte(start) + 1),
                                )
                            }
                            _ => whole,
                        };
                        self.errors.push(
                            Diagnostic::error(Code::InvalidPattern, format!("the pattern of `{name}` is not a valid regular expression"))
                                .label(span, reason)
                                .help("patterns use the syntax of Rust's regex crate; the whole value must match, so `^` and `$` are implied"),
                        );
                    }
                    pattern = Some(p.clone());
                }
                ("description", Value::String(d)) => description = Some(d.clone()),
                ("base" | "pattern" | "description", _) => self.shape_error(
                    &key_path,
                    "not a string",
                    format!("`{key}` of `{name}` must be a string"),
                    "quote the value",
                ),
                (other, _) => {
                    let help = did_you_mean(other, ["base", "pattern", "description"])
                        .unwrap_or_else(|| {
                            "an identifier type has `base`, `pattern` and `description`".into()
                        });
                    self.shape_error(
                        &key_path,
                        "unknown key",
                        format!("unknown key `{other}` in identifier type `{name}`"),
                        help,
                    );
                }
            }
        }
        let span = self.key_span(&path);
        set.identifiers.insert(
            name.to_string(),
            IdentifierType {
                name: name.to_string(),
                base,
                pattern,
                description,
                span,
            },
        );
    }
}

/// The reason of a regex crate error, and the place it points at within the pattern (in
/// characters: start and length), read from the error's caret line.
fn regex_error(message: &str) -> (String, Option<(usize, usize)>) {
    let lines: Vec<&str> = message.lines().collect();
    let reason = lines
        .last()
        .map(|l| l.trim().trim_start_matches("error: ").to_string())
        .unwrap_or_else(|| "invalid".to_string());
    let place = match lines.as_slice() {
        [_, pattern, carets, _]
            if pattern.starts_with("    ") && carets.trim_start().starts_with('^') =>
        {
            let start = carets.chars().take_while(|c| *c == ' ').count();
            let len = carets.trim().chars().count();
            start.checked_sub(4).map(|s| (s, len))
        }
        _ => None,
    };
    (reason, place)
}
