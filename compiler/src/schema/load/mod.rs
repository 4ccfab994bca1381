//! Reading and validating schema files: the file-level structure here, one module per kind
//! of declaration.

mod entity;
mod enumeration;
mod field_options;
mod identifier;
mod master_data;
mod register_map;
mod register_overlap;
mod unit_column;
mod xml_path;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

use super::locate::{self, KeyIndex};
use super::*;
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::normalize;
use crate::source_map::{FileId, FileKind, SourceMap, Span};
use crate::syntax::ast::{MappingFile, StringLit};

/// The words a mapping cannot use as names (the grammar's `keyword` rule).
pub(super) const RESERVED_WORDS: [&str; 10] = [
    "true", "false", "and", "or", "not", "match", "let", "else", "reject", "where",
];

/// Reads every schema file the mapping names (relative to the mapping file's folder), through
/// the source map's loader, and validates it. All problems of all schema files are reported
/// together.
pub fn load_schemas(
    mapping: &MappingFile,
    mapping_dir: &Path,
    sources: &mut SourceMap,
) -> Result<SchemaSet, Vec<Diagnostic>> {
    let mut set = SchemaSet::default();
    let mut errors = Vec::new();
    let mut pending = Vec::new();
    let mut master_files = BTreeMap::new();
    let schemas: Vec<&StringLit> = mapping.schemas().collect();
    // A module may share only functions, which need no schema; a mapping needs entities.
    if schemas.is_empty() && mapping.version.is_some() {
        errors.push(
            Diagnostic::error(Code::NoSchema, "this mapping declares no schema file")
                .label(mapping.name.span, "mapping without `schema`")
                .help("add `schema \"schemas/plant.yaml\"` after the mapping line; the schema declares the entities that sources, lookups and targets use"),
        );
    }
    for literal in schemas {
        let path = normalize(&mapping_dir.join(&literal.value));
        let bytes = match sources.read(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                errors.push(
                    Diagnostic::error(
                        Code::SchemaNotFound,
                        format!("cannot read schema file `{}`", literal.value),
                    )
                    .label(literal.span, io_reason(&e))
                    .help(format!(
                        "schema paths are relative to the mapping file's folder; this one resolves to {}",
                        path.display()
                    )),
                );
                continue;
            }
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let file = sources.add_as(&path, text.as_str(), FileKind::Schema);
        let mut loader = FileLoader {
            file,
            text: &text,
            keys: KeyIndex::new(&text),
            dir: path.parent().unwrap_or(Path::new("")),
            sources,
            master_files: &mut master_files,
            errors: &mut errors,
            pending: &mut pending,
        };
        loader.load(&mut set);
    }
    resolve_field_types(&mut set, pending, &mut errors);
    if errors.is_empty() {
        Ok(set)
    } else {
        Err(errors)
    }
}

fn io_reason(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file",
        std::io::ErrorKind::PermissionDenied => "permission denied",
        _ => "cannot be read",
    }
}

/// Loads one file into the set, pushing diagnostics for whatever is wrong.
struct FileLoader<'a> {
    file: FileId,
    text: &'a str,
    /// Where each key of `text` is, for labels.
    keys: KeyIndex<'a>,
    /// The schema file's folder: master-data paths are relative to it.
    dir: &'a Path,
    /// Master-data files are added here, so that labels can point at their rows.
    sources: &'a mut SourceMap,
    /// Master-data files already read (by normalized path), so that two enums reading one
    /// file add it to the source map once.
    master_files: &'a mut BTreeMap<PathBuf, FileId>,
    errors: &'a mut Vec<Diagnostic>,
    pending: &'a mut Vec<PendingType>,
}

/// A field type written as a name, resolved once every schema file is loaded.
struct PendingType {
    entity: String,
    field: String,
    type_name: String,
    span: Span,
    /// A unit or time format given on a type that is not a builtin: wrong once the name
    /// resolves (identifiers and enums take neither), not worth a second error when it
    /// does not.
    misplaced_unit: Option<Span>,
    misplaced_format: Option<Span>,
}

fn resolve_field_types(
    set: &mut SchemaSet,
    pending: Vec<PendingType>,
    errors: &mut Vec<Diagnostic>,
) {
    for p in pending {
        let ty = if let Some(builtin) = FieldType::builtin(&p.type_name) {
            builtin
        } else if set.identifiers.contains_key(&p.type_name) {
            FieldType::Identifier(p.type_name.clone())
        } else if set.enums.contains_key(&p.type_name) {
            FieldType::Enum(p.type_name.clone())
        } else {
            let (message, help) = if set.entities.contains_key(&p.type_name) {
                (
                    format!("field `{}` of `{}` has the entity `{}` as its type", p.field, p.entity, p.type_name),
                    "fields hold single values; nested entities are not supported, use an identifier field that refers to it".to_string(),
                )
            } else {
                let candidates = FieldType::BUILTIN
                    .iter()
                    .copied()
                    .chain(set.identifiers.keys().map(String::as_str))
                    .chain(set.enums.keys().map(String::as_str));
                (
                    format!("unknown type `{}` for field `{}` of `{}`", p.type_name, p.field, p.entity),
                    did_you_mean(&p.type_name, candidates).unwrap_or_else(|| {
                        "a field's type is string, int, float, bool, timestamp, or an identifier type or enum declared in a schema".to_string()
                    }),
                )
            };
            errors.push(
                Diagnostic::error(Code::UnknownSchemaType, message)
                    .label(p.span, "unknown type")
                    .help(help),
            );
            continue;
        };
        if let Some(span) = p.misplaced_unit {
            errors.push(field_options::unit_on_non_float(
                span,
                &p.field,
                &p.type_name,
            ));
        }
        if let Some(span) = p.misplaced_format {
            errors.push(field_options::format_on_non_timestamp(
                span,
                &p.field,
                &p.type_name,
            ));
        }
        if let Some(field) = set
            .entities
            .get_mut(&p.entity)
            .and_then(|e| e.fields.iter_mut().find(|f| f.name == p.field))
        {
            field.ty = ty;
        }
    }
}

impl FileLoader<'_> {
    /// The key at `path` (in block or flow form), or the nearest enclosing key found.
    fn key_span(&self, path: &[&str]) -> Span {
        (1..=path.len())
            .rev()
            .find_map(|k| self.keys.nested_key(&path[..k]))
            .map(|(s, e)| Span::new(self.file, s, e))
            .unwrap_or(Span::new(self.file, 0, 0))
    }

    /// `needle` in the value of the key at `path`, or the key.
    fn value_span(&self, path: &[&str], needle: &str) -> Span {
        match self.keys.nested_value(path, needle) {
            Some((s, e)) => Span::new(self.file, s, e),
            None => self.key_span(path),
        }
    }

    /// The error for a key that `owner` (say "field `speed`") does not have, with the closest
    /// of the keys `a_kind` (say "a field") has.
    fn unknown_key(&mut self, path: &[&str], owner: &str, a_kind: &str, known: &[&str]) {
        let key = path.last().copied().unwrap_or("");
        let help = did_you_mean(key, known.iter().copied()).unwrap_or_else(|| {
            let (last, rest) = known.split_last().unwrap_or((&"", &[]));
            let list = rest.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>();
            format!("{a_kind} has {} and `{last}`", list.join(", "))
        });
        let span = self.key_span(path);
        self.errors.push(
            Diagnostic::error(Code::SchemaShape, format!("unknown key `{key}` in {owner}"))
                .label(span, "unknown key")
                .help(help),
        );
    }

    fn shape_error(
        &mut self,
        path: &[&str],
        label: &str,
        message: String,
        help: impl Into<String>,
    ) {
        let span = self.key_span(path);
        self.errors.push(
            Diagnostic::error(Code::SchemaShape, message)
                .label(span, label)
                .help(help),
        );
    }

    fn load(&mut self, set: &mut SchemaSet) {
        let root: Value = match serde_yaml::from_str(self.text) {
            Ok(v) => v,
            Err(e) => {
                let at = e
                    .location()
                    .map(|l| l.index())
                    .unwrap_or(0)
                    .min(self.text.len());
                let message = e.to_string();
                let message = message
                    .split(" at line ")
                    .next()
                    .unwrap_or(&message)
                    .to_string();
                let unclosed = ["']'", "'}'"]
                    .iter()
                    .any(|b| message.contains(b))
                    .then(|| unclosed_yaml_bracket(&self.text[..at]))
                    .flatten();
                let diagnostic = match unclosed {
                    Some((open, open_at)) => Diagnostic::error(Code::InvalidYaml, format!("a `{open}` in the schema file is never closed"))
                        .label(Span::new(self.file, open_at, open_at + 1), format!("this `{open}` has no matching `{}`", if open == '[' { ']' } else { '}' }))
                        .label(Span::new(self.file, at, at), message)
                        .help("close the list or mapping on the line it starts, or write it as an indented block"),
                    None => Diagnostic::error(Code::InvalidYaml, "the schema file is not valid YAML")
                        .label(Span::new(self.file, at, at), message)
                        .help("check the indentation and quoting around this place"),
                };
                self.errors.push(diagnostic);
                return;
            }
        };
        let root = match root {
            Value::Mapping(m) => m,
            Value::Null => Mapping::new(),
            _ => {
                self.shape_error(
                    &[],
                    "not a mapping",
                    "a schema file must be a mapping with `identifiers`, `enums` and `entities`"
                        .into(),
                    "start the file with `entities:` (and optionally `identifiers:` and `enums:`)",
                );
                return;
            }
        };
        const SECTIONS: [&str; 3] = ["identifiers", "enums", "entities"];
        for (key, value) in &root {
            let Some(key) = key.as_str() else { continue };
            let Some(section) = self.mapping_of(&[key], value) else {
                continue;
            };
            match key {
                "identifiers" => {
                    for (name, decl) in &section {
                        if let Some(name) = self.name_of(&[key], name) {
                            self.identifier(set, &name, decl);
                        }
                    }
                }
                "enums" => {
                    for (name, decl) in &section {
                        if let Some(name) = self.name_of(&[key], name) {
                            self.enumeration(set, &name, decl);
                        }
                    }
                }
                "entities" => {
                    for (name, decl) in &section {
                        if let Some(name) = self.name_of(&[key], name) {
                            self.entity(set, &name, decl);
                        }
                    }
                }
                other => {
                    let help = did_you_mean(other, SECTIONS).unwrap_or_else(|| {
                        "the sections are `identifiers`, `enums` and `entities`".into()
                    });
                    self.shape_error(
                        &[other],
                        "unknown section",
                        format!("unknown schema section `{other}`"),
                        help,
                    );
                }
            }
        }
    }

    fn mapping_of(&mut self, path: &[&str], value: &Value) -> Option<Mapping> {
        match value {
            Value::Mapping(m) => Some(m.clone()),
            Value::Null => Some(Mapping::new()),
            _ => {
                self.shape_error(
                    path,
                    "not a mapping",
                    format!(
                        "`{}` must be a mapping of names to declarations",
                        path.join(".")
                    ),
                    "indent the declarations below the key, one `Name:` per line",
                );
                None
            }
        }
    }

    fn name_of(&mut self, parent: &[&str], key: &Value) -> Option<String> {
        let name = match key {
            Value::String(s) => s.clone(),
            other => {
                let text = serde_yaml::to_string(other).unwrap_or_default();
                self.shape_error(
                    parent,
                    "not a name",
                    format!("`{}` is not a valid name", text.trim()),
                    "names are words such as `EquipmentId`",
                );
                return None;
            }
        };
        if !is_name(&name) {
            let mut path = parent.to_vec();
            path.push(&name);
            self.shape_error(
                &path, "not a valid name",
                format!("`{name}` is not a valid name"),
                "names start with a letter or `_` and contain only letters, digits and `_`; use `column:` to give a field another external name",
            );
            return None;
        }
        Some(name)
    }

    fn declared(&mut self, set: &SchemaSet, path: &[&str], name: &str) -> bool {
        let previous = set
            .identifiers
            .get(name)
            .map(|d| d.span)
            .or_else(|| set.enums.get(name).map(|d| d.span))
            .or_else(|| set.entities.get(name).map(|d| d.span));
        if let Some(previous) = previous {
            let span = self.key_span(path);
            self.errors.push(
                Diagnostic::error(
                    Code::DuplicateSchemaName,
                    format!("`{name}` is declared twice"),
                )
                .label(span, "declared again here")
                .label(previous, "first declared here")
                .help(
                    "identifier types, enums and entities share one namespace; rename one of them",
                ),
            );
            return true;
        }
        false
    }
}

/// The innermost `[` or `{` that YAML text opens and does not close, skipping quoted text and
/// comments: its character and offset.
fn unclosed_yaml_bracket(text: &str) -> Option<(char, usize)> {
    let mut stack = Vec::new();
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut previous = '\n';
    for (i, c) in text.char_indices() {
        if comment {
            comment = c != '\n';
        } else if let Some(q) = quote {
            if c == q {
                quote = None;
            }
        } else {
            match c {
                '#' if previous.is_whitespace() => comment = true,
                '"' | '\'' if previous.is_whitespace() || "[{,:".contains(previous) => {
                    quote = Some(c)
                }
                '[' | '{' => stack.push((c, i)),
                ']' | '}' => {
                    stack.pop();
                }
                _ => {}
            }
        }
        previous = c;
    }
    stack.pop()
}

/// Names in schemas must be usable in mappings.
fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
