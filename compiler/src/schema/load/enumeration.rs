//! Enums: closed sets of codes.

use serde_yaml::Value;

use super::locate::locate_word_in_value;
use super::{is_name, FileLoader};
use crate::diagnostic::{Code, Diagnostic};
use crate::schema::{EnumType, SchemaSet};
use crate::source_map::Span;

impl FileLoader<'_> {
    pub(super) fn enumeration(&mut self, set: &mut SchemaSet, name: &str, decl: &Value) {
        let path = ["enums", name];
        if self.declared(set, &path, name) {
            return;
        }
        let (codes_value, description) = match decl {
            Value::Sequence(_) => (decl.clone(), None),
            Value::Mapping(m) => (
                m.get("codes").cloned().unwrap_or(Value::Null),
                m.get("description")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            ),
            _ => (Value::Null, None),
        };
        let Value::Sequence(items) = codes_value else {
            self.shape_error(
                &path,
                "no codes listed",
                format!("enum `{name}` must list its codes"),
                "write `Name: [CODE_A, CODE_B]` or `Name: { codes: [CODE_A, CODE_B] }`",
            );
            return;
        };
        let mut codes: Vec<String> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for item in items {
            let code = match &item {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => String::new(),
            };
            let nth = seen.iter().filter(|c| **c == code).count();
            seen.push(code.clone());
            let code_span = |this: &Self, nth: usize| match locate_word_in_value(
                this.text, &path, &code, nth,
            ) {
                Some((s, e)) if !code.is_empty() => Span::new(this.file, s, e),
                _ => this.key_span(&path),
            };
            if !is_name(&code) {
                let span = code_span(self, nth);
                let shown = if code.is_empty() {
                    serde_yaml::to_string(&item)
                        .unwrap_or_default()
                        .trim()
                        .to_string()
                } else {
                    code.clone()
                };
                self.errors.push(
                    Diagnostic::error(
                        Code::InvalidEnumCode,
                        format!("`{shown}` is not a valid enum code"),
                    )
                    .label(span, "not a valid code")
                    .help(format!(
                        "codes are words of letters, digits and `_`{}",
                        if code.contains('-') {
                            format!(", such as `{}`", code.replace('-', "_"))
                        } else {
                            " such as `RUNNING`".to_string()
                        }
                    )),
                );
                continue;
            }
            if codes.contains(&code) {
                let again = code_span(self, nth);
                let first = code_span(self, 0);
                let mut d = Diagnostic::error(
                    Code::InvalidEnumCode,
                    format!("`{code}` is listed twice in enum `{name}`"),
                )
                .label(again, "listed again here");
                if first != again {
                    d = d.label(first, "first listed here");
                }
                self.errors.push(d.help(format!(
                    "remove the second `{code}`; each code is listed once"
                )));
                continue;
            }
            codes.push(code);
        }
        let span = self.key_span(&path);
        set.enums.insert(
            name.to_string(),
            EnumType {
                name: name.to_string(),
                codes,
                description,
                span,
            },
        );
    }
}
