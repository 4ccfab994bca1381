//! Enums: closed sets of codes, listed in the schema or read from a master-data file.

use serde_yaml::Value;

use super::locate::locate_word_in_value;
use super::{is_name, FileLoader};
use crate::diagnostic::{Code, Diagnostic};
use crate::schema::{EnumOrigin, EnumType, SchemaSet};
use crate::source_map::Span;

const KEYS: [&str; 4] = ["codes", "from", "column", "description"];

/// A code as read, and where: in the schema, or in a row of a master-data file.
pub(super) struct CodeAt {
    pub code: String,
    /// The value as written, for messages about values that are not text.
    pub shown: String,
    pub span: Span,
}

impl FileLoader<'_> {
    pub(super) fn enumeration(&mut self, set: &mut SchemaSet, name: &str, decl: &Value) {
        let path = ["enums", name];
        if self.declared(set, &path, name) {
            return;
        }
        let mut description = None;
        let mut origin = None;
        let items = match decl {
            Value::Sequence(items) => Some(self.inline_codes(&path, items)),
            Value::Mapping(m) => {
                for key in m.keys() {
                    let key = key.as_str().unwrap_or("");
                    if !KEYS.contains(&key) {
                        let owner = format!("enum `{name}`");
                        self.unknown_key(&["enums", name, key], &owner, "an enum", &KEYS);
                    }
                }
                description = m
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                let column = m.get("column");
                match (m.get("codes"), m.get("from")) {
                    (Some(_), Some(_)) => {
                        self.shape_error(
                            &["enums", name, "from"],
                            "codes read from a file",
                            format!(
                                "enum `{name}` lists its codes and also reads them `from` a file"
                            ),
                            "list the codes with `codes:` or read them with `from:`, not both",
                        );
                        None
                    }
                    (Some(Value::Sequence(items)), None) => {
                        self.column_without_from(name, column);
                        Some(self.inline_codes(&path, items))
                    }
                    (None, Some(Value::String(from))) => {
                        let (read_from, items) = self.master_codes(name, from, column);
                        origin = read_from;
                        items
                    }
                    (None, Some(_)) => {
                        self.shape_error(
                            &["enums", name, "from"],
                            "not a path",
                            format!("`from` of enum `{name}` must be a file path"),
                            "write the master-data file's path relative to this schema file, such as `from: \"../master/states.csv\"`",
                        );
                        None
                    }
                    _ => {
                        self.no_codes(name);
                        None
                    }
                }
            }
            _ => {
                self.no_codes(name);
                None
            }
        };
        // Without codes (reported already), the enum still exists, so that the fields using it
        // report nothing more.
        let codes = match items {
            Some(items) if items.is_empty() => {
                self.empty_enum(name, origin.as_ref());
                Vec::new()
            }
            Some(items) => self.accept_codes(name, items, origin.as_ref()),
            None => Vec::new(),
        };
        let span = self.key_span(&path);
        set.enums.insert(
            name.to_string(),
            EnumType {
                name: name.to_string(),
                codes,
                description,
                origin,
                span,
            },
        );
    }

    fn no_codes(&mut self, name: &str) {
        self.shape_error(
            &["enums", name],
            "no codes listed",
            format!("enum `{name}` must list its codes"),
            "write `Name: [CODE_A, CODE_B]`, `Name: { codes: [CODE_A, CODE_B] }`, or read them from master data with `Name: { from: \"states.csv\", column: code }`",
        );
    }

    fn column_without_from(&mut self, name: &str, column: Option<&Value>) {
        if column.is_some() {
            self.shape_error(
                &["enums", name, "column"],
                "no file to read",
                format!("enum `{name}` names a `column` but reads no file"),
                "`column` says which column of a CSV file named by `from:` holds the codes; remove it, or read the codes `from:` the file",
            );
        }
    }

    /// Codes listed in the schema, each with its place in the list (a code written twice is
    /// found at its second place).
    fn inline_codes(&self, path: &[&str], items: &[Value]) -> Vec<CodeAt> {
        let mut found: Vec<CodeAt> = Vec::new();
        let codes_path = [path, &["codes"]].concat();
        for item in items {
            let (code, shown) = scalar_code(item);
            let nth = found.iter().filter(|c| c.code == code).count();
            let span = [path, &codes_path[..]]
                .iter()
                .filter(|_| !code.is_empty())
                .find_map(|p| locate_word_in_value(self.text, p, &code, nth))
                .map(|(s, e)| Span::new(self.file, s, e))
                .unwrap_or_else(|| self.key_span(path));
            found.push(CodeAt { code, shown, span });
        }
        found
    }

    /// The valid codes of `items`, reporting invalid and repeated ones.
    fn accept_codes(
        &mut self,
        name: &str,
        items: Vec<CodeAt>,
        origin: Option<&EnumOrigin>,
    ) -> Vec<String> {
        let mut accepted: Vec<(String, Span)> = Vec::new();
        for item in items {
            let code = &item.code;
            if !is_name(code) {
                let (message, help) = match origin {
                    None => (
                        format!("`{}` is not a valid enum code", item.shown),
                        format!(
                            "codes are words of letters, digits and `_`{}",
                            if code.contains('-') {
                                format!(", such as `{}`", code.replace('-', "_"))
                            } else {
                                " such as `RUNNING`".to_string()
                            }
                        ),
                    ),
                    Some(origin) => (
                        format!("`{}` in `{}` is not a valid enum code", item.shown, origin.path),
                        format!("codes are words of letters, digits and `_`, so that a mapping can write `{name}.RUNNING`; if the master data's codes are not, declare the field as `string` and turn the text into values with a `match`"),
                    ),
                };
                let d = Diagnostic::error(Code::InvalidEnumCode, message)
                    .label(item.span, "not a valid code");
                self.errors.push(with_origin(d, name, origin).help(help));
                continue;
            }
            if let Some((_, first)) = accepted.iter().find(|(c, _)| c == code) {
                let (message, help) = match origin {
                    None => (
                        format!("`{code}` is listed twice in enum `{name}`"),
                        format!("remove the second `{code}`; each code is listed once"),
                    ),
                    Some(origin) => (
                        format!("`{code}` is listed twice in `{}`, the codes of enum `{name}`", origin.path),
                        "a code column holds each code once: remove the repeated row, or check that `column:` names the column of codes".to_string(),
                    ),
                };
                let mut d = Diagnostic::error(Code::InvalidEnumCode, message)
                    .label(item.span, "listed again here");
                if *first != item.span {
                    d = d.label(*first, "first listed here");
                }
                self.errors.push(with_origin(d, name, origin).help(help));
                continue;
            }
            accepted.push((item.code, item.span));
        }
        accepted.into_iter().map(|(code, _)| code).collect()
    }

    fn empty_enum(&mut self, name: &str, origin: Option<&EnumOrigin>) {
        let d = match origin {
            None => Diagnostic::error(Code::EmptyEnum, format!("enum `{name}` has no codes"))
                .label(self.key_span(&["enums", name]), "no codes")
                .help("list the codes, as in `Name: [SETUP, RUNNING]`; a field of an enum without codes could hold no value"),
            Some(origin) => Diagnostic::error(
                Code::EmptyEnum,
                format!("enum `{name}` has no codes: `{}` lists none", origin.path),
            )
            .label(origin.span, "no codes in this file")
            .help("check that the file is the right one and, for a CSV file, that `column:` names a column with values; blank cells are skipped"),
        };
        self.errors.push(d);
    }
}

/// The text of a code written as a YAML scalar (`""` for anything else), and the value as
/// written.
pub(super) fn scalar_code(item: &Value) -> (String, String) {
    let code = match item {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    };
    let shown = if code.is_empty() {
        compact(item)
    } else {
        code.clone()
    };
    (code, shown)
}

/// A YAML value on one line, for messages: `[A, B]`, `{code: X}`.
fn compact(value: &Value) -> String {
    let list = |items: Vec<String>| items.join(", ");
    match value {
        Value::Null => "~".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Sequence(items) => format!("[{}]", list(items.iter().map(compact).collect())),
        Value::Mapping(m) => format!(
            "{{{}}}",
            list(
                m.iter()
                    .map(|(k, v)| format!("{}: {}", compact(k), compact(v)))
                    .collect()
            )
        ),
        Value::Tagged(t) => format!("{} {}", t.tag, compact(&t.value)),
    }
}

/// Adds a label on the schema's `from:` to a diagnostic about a master-data file.
fn with_origin(d: Diagnostic, name: &str, origin: Option<&EnumOrigin>) -> Diagnostic {
    match origin {
        Some(origin) => d.label(origin.span, format!("the codes of `{name}` come from here")),
        None => d,
    }
}
