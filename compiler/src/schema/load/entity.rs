//! Entities and their fields.

use serde_yaml::{Mapping, Value};

use super::{FileLoader, PendingType};
use crate::schema::{Entity, Field, FieldType, SchemaSet};

/// The keys of a field written as a mapping.
const FIELD_KEYS: [&str; 16] = [
    "type",
    "optional",
    "column",
    "description",
    "unit",
    "quality",
    "quality_column",
    "timestamp_column",
    "timestamp_format",
    "timestamp_zone",
    "format",
    "zone",
    "modbus",
    "xml",
    "unit_column",
    "units",
];

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
                other => self.unknown_key(
                    &["entities", name, other],
                    &format!("entity `{name}`"),
                    "an entity",
                    &["fields", "description"],
                ),
            }
        }
        let span = self.key_span(&path);
        let fields: Vec<Field> = fields
            .into_iter()
            .filter_map(|(f, spec)| self.field(name, &f, &spec))
            .collect();
        self.columns_distinct(name, &fields);
        self.registers_distinct(name, &fields);
        self.unit_columns_are_text(name, &fields);
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

    /// A field's declaration; types are resolved later by [`super::resolve_field_types`], once
    /// every file is loaded, so that a field may use a type declared in another schema file.
    fn field(&mut self, entity: &str, name: &str, spec: &Value) -> Option<Field> {
        let path = ["entities", entity, "fields", name];
        let span = self.key_span(&path);
        let no_options = Mapping::new();
        let (written, optional, options) = match spec {
            Value::String(t) => match t.strip_suffix('?') {
                Some(t) => (t.trim(), true, &no_options),
                None => (t.as_str(), false, &no_options),
            },
            Value::Mapping(m) => {
                for key in m.keys() {
                    let key = key.as_str().unwrap_or("");
                    if !FIELD_KEYS.contains(&key) {
                        self.unknown_key(
                            &["entities", entity, "fields", name, key],
                            &format!("field `{name}`"),
                            "a field",
                            &FIELD_KEYS,
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
                let optional = self.flag(&path, "optional", m).unwrap_or(false);
                (t, optional, m)
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
        let column = options
            .get("column")
            .and_then(Value::as_str)
            .map(str::to_string);
        self.reserved_field_name(entity, name, written, column.as_deref());
        let type_path: Vec<&str> = match spec {
            Value::Mapping(_) => vec!["entities", entity, "fields", name, "type"],
            _ => path.to_vec(),
        };
        let (type_name, unit_in_type) = self.split_unit(&type_path, name, written)?;
        let mut pending = PendingType {
            entity: entity.to_string(),
            field: name.to_string(),
            type_name: type_name.clone(),
            span: self.value_span(&type_path, &type_name),
            misplaced_unit: None,
            misplaced_format: None,
        };
        let unit = self.field_unit(&path, &mut pending, unit_in_type, options);
        let mut quality = self.quality_columns(&path, column.as_deref().unwrap_or(name), options);
        let sample_time = self.sample_time_format(&path, &mut pending, options);
        if let Some(q) = quality.as_mut() {
            q.timestamp_format = sample_time;
        }
        let time_format = self.time_format(&path, &mut pending, options);
        let modbus = options
            .get("modbus")
            .and_then(|spec| self.register_map(&path, &type_name, spec));
        let xml = options
            .get("xml")
            .and_then(|spec| self.xml_path(&path, spec));
        let unit_column = self.unit_column(&path, &pending, unit.as_ref(), options);
        self.pending.push(pending);
        // Unresolved for now: an identifier or enum name that `resolve` checks.
        let ty = FieldType::builtin(&type_name).unwrap_or(FieldType::Identifier(type_name));
        Some(Field {
            name: name.to_string(),
            ty,
            optional,
            column,
            unit,
            quality,
            time_format,
            modbus,
            xml,
            unit_column,
            span,
        })
    }

    /// A `true`/`false` option of a field; `None` when it is not given or not a bool (which is
    /// reported).
    pub(super) fn flag(&mut self, path: &[&str], key: &str, options: &Mapping) -> Option<bool> {
        match options.get(key)? {
            Value::Bool(b) => Some(*b),
            _ => {
                let field = path.last().copied().unwrap_or("");
                self.shape_error(
                    &[path, &[key]].concat(),
                    "not `true` or `false`",
                    format!("`{key}` of field `{field}` must be `true` or `false`"),
                    format!("write `{key}: true` or leave it out"),
                );
                None
            }
        }
    }
}
