//! The schema YAML `fdi schema import` writes: a header saying where it comes from, the enums
//! of the values' vocabularies (each once, however many entities use it), then one entity per
//! group of variables, each preceded by what the model says of its variables and the source
//! declaration that reads them. Written as text (serde_yaml keeps no comments); every value the
//! model supplies is a JSON string, which is YAML, or a code read back as itself, and comments
//! are one line.

use std::collections::BTreeMap;

use super::{ModelReader, ValueType, Variable};

/// The YAML text for `entities`.
pub fn write(reader: &dyn ModelReader, entities: &[(String, Vec<Variable>)]) -> String {
    let mut out = String::new();
    line(
        &mut out,
        "",
        &format!("Written by `fdi schema import` from {}.", reader.describe()),
    );
    line(
        &mut out,
        "",
        &format!("Each entity is the record of one {} listed above it, with the type and unit the model gives them; edit names and add your own entities as you need.", reader.record()),
    );
    let mut enums: BTreeMap<&str, &[String]> = BTreeMap::new();
    for variable in entities.iter().flat_map(|(_, variables)| variables) {
        if let Ok(ValueType::Enum { name, codes }) = &variable.ty {
            enums.insert(name, codes);
        }
    }
    if !enums.is_empty() {
        out.push_str("enums:\n");
        for (name, codes) in enums {
            let codes: Vec<String> = codes.iter().map(|c| code(c)).collect();
            out.push_str(&format!("  {name}: [{}]\n", codes.join(", ")));
        }
        out.push('\n');
    }
    out.push_str("entities:\n");
    for (index, (entity, variables)) in entities.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        for variable in variables {
            let id = if variable.id == variable.reference {
                String::new()
            } else {
                format!(" ({})", variable.id)
            };
            line(
                &mut out,
                "  ",
                &format!("{}{id}: {}", variable.reference, variable.note),
            );
        }
        let refs: Vec<&Variable> = variables.iter().collect();
        line(
            &mut out,
            "  ",
            &format!(
                "read with: {}",
                reader.source_declaration(&snake_case(entity), entity, &refs)
            ),
        );
        out.push_str(&format!("  {entity}:\n    fields:\n"));
        let fields = reader.record_fields(&refs);
        for (name, ty) in &fields.before {
            out.push_str(&format!("      {name}: {ty}\n"));
        }
        let ty = variables
            .first()
            .and_then(|v| v.ty.as_ref().ok())
            .map(ValueType::schema_type)
            .unwrap_or_default();
        out.push_str(&format!(
            "      value: {{ type: {}, quality: true }}\n",
            json(&ty)
        ));
        for (name, ty) in &fields.after {
            out.push_str(&format!("      {name}: {ty}\n"));
        }
    }
    out
}

/// An enum code as YAML reads it back: as it is where it is a plain string there (`ACTIVE`),
/// else as a JSON string (`"TRUE"`, `"NO"`, which YAML may read as a bool).
fn code(text: &str) -> String {
    match serde_yaml::from_str::<serde_yaml::Value>(text) {
        Ok(serde_yaml::Value::String(read)) if read == text => text.to_string(),
        _ => json(text),
    }
}

/// A comment, as one line per line of `text` (a model's names may hold line breaks).
fn line(out: &mut String, indent: &str, text: &str) {
    for part in text.lines() {
        out.push_str(indent);
        out.push_str("# ");
        out.push_str(part.trim_end());
        out.push('\n');
    }
}

/// A YAML scalar that is exactly `text`: a JSON string.
fn json(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// `SpindleFloatPercent` as a source name: `spindle_float_percent`.
fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_read_back_as_themselves() {
        assert_eq!(super::code("ACTIVE"), "ACTIVE");
        assert_eq!(super::code("TRUE"), "\"TRUE\"");
        assert_eq!(super::code("null"), "\"null\"");
    }

    #[test]
    fn source_names_are_snake_case() {
        assert_eq!(
            super::snake_case("SpindleFloatPercent"),
            "spindle_float_percent"
        );
        assert_eq!(super::snake_case("Spindle_Bool"), "spindle_bool");
    }
}
