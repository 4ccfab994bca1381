//! Entities and their fields.

use serde_yaml::Value;

use super::{FileLoader, PendingType};
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::schema::{Entity, Field, FieldType, SchemaSet};

impl FileLoader<'_> {
    pub(super) fn entity(&mut self, set: &mut SchemaSet, name: &str, decl: &Value) {
        let path = ["entities", name];
        if self.declared(set, &path, name) {
            return;
        }
        let Some(decl) = self.mapping_of(&path, decl) else {
            return;
        };
        let mut fields = Vec::new();
        let mut description = None;
        for (key, value) in &decl {
            match key.as_str().unwrap_or("") {
                "description" => description = value.as_str().map(str::to_string),
                "fields" => {
                    let fields_path = ["entities", name, "fields"];
                    let Some(map) = self.mapping_of(&fields_path, value) else {
                        continue;
                    };
                    for (field_name, spec) in &map {
                        if let Some(field_name) = self.name_of(&fields_path, field_name) {
                            fields.push((field_name, spec.clone()));
                        }
                    }
                }
                other => {
                    let help = did_you_mean(other, ["fields", "description"])
                        .unwrap_or_else(|| "an entity has `fields` and `description`".into());
                    self.shape_error(
                        &["entities", name, other],
                        "unknown key",
                        format!("unknown key `{other}` in entity `{name}`"),
                        help,
                    );
                }
            }
        }
        let span = self.key_span(&path);
        let fields = fields
            .into_iter()
            .filter_map(|(f, spec)| self.field(name, &f, &spec))
            .collect();
        set.entities.insert(
            name.to_string(),
            Entity {
                name: name.to_string(),
                fields,
                description,
                span,
            },
        );
    }

    /// A field's declaration; types are resolved later by [`resolve_field_types`], once every
    /// file is loaded, so that a field may use a type declared in another schema file.
    fn field(&mut self, entity: &str, name: &str, spec: &Value) -> Option<Field> {
        let path = ["entities", entity, "fields", name];
        let span = self.key_span(&path);
        let (type_name, optional, column) = match spec {
            Value::String(t) => match t.strip_suffix('?') {
                Some(t) => (t.trim().to_string(), true, None),
                None => (t.clone(), false, None),
            },
            Value::Mapping(m) => {
                for key in m.keys() {
                    let key = key.as_str().unwrap_or("");
                    if !["type", "optional", "column", "description"].contains(&key) {
                        let help = did_you_mean(key, ["type", "optional", "column", "description"])
                            .unwrap_or_else(|| {
                                "a field has `type`, `optional`, `column` and `description`".into()
                            });
                        let span = self.value_span(&path, key);
                        self.errors.push(
                            Diagnostic::error(
                                Code::SchemaShape,
                                format!("unknown key `{key}` in field `{name}`"),
                            )
                            .label(span, "unknown key")
                            .help(help),
                        );
                    }
                }
                let Some(t) = m.get("type").and_then(Value::as_str) else {
                    self.shape_error(
                        &path,
                        "no `type`",
                        format!("field `{name}` has no `type`"),
                        "write `type: string` (or int, float, bool, timestamp, or a declared type)",
                    );
                    return None;
                };
                let optional = m.get("optional").and_then(Value::as_bool).unwrap_or(false);
                let column = m.get("column").and_then(Value::as_str).map(str::to_string);
                (t.to_string(), optional, column)
            }
            _ => {
                self.shape_error(
                    &path,
                    "no type given",
                    format!("field `{name}` needs a type"),
                    "write `name: string`, or `name: { type: string, optional: true }`",
                );
                return None;
            }
        };
        // Unresolved for now: an identifier or enum name that `resolve` checks.
        let ty = FieldType::builtin(&type_name).unwrap_or(FieldType::Identifier(type_name.clone()));
        let type_span = self.value_span(&path, &type_name);
        self.pending.push(PendingType {
            entity: entity.to_string(),
            field: name.to_string(),
            type_name,
            span: type_span,
        });
        Some(Field {
            name: name.to_string(),
            ty,
            optional,
            column,
            span,
        })
    }
}
