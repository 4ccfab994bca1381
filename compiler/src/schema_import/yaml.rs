//! The schema YAML `fdi schema import` writes: a header saying where it comes from, then one
//! entity per group of variables, each preceded by what the model says of its variables and
//! the source declaration that reads them. Written as text (serde_yaml keeps no comments);
//! every value the model supplies is a JSON string, which is YAML, and comments are one line.

use super::{ModelReader, Variable};

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
        "Each entity is the record of one data change of the variables listed above it, with the type and unit the model gives them; edit names and add your own entities as you need.",
    );
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
        for (name, ty) in reader.record_fields() {
            out.push_str(&format!("      {name}: {ty}\n"));
        }
        let ty = variables
            .first()
            .and_then(|v| v.ty.as_ref().ok())
            .map(super::ValueType::schema_type)
            .unwrap_or_default();
        out.push_str(&format!(
            "      value: {{ type: {}, quality: true }}\n",
            json(&ty)
        ));
    }
    out
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
    fn source_names_are_snake_case() {
        assert_eq!(
            super::snake_case("SpindleFloatPercent"),
            "spindle_float_percent"
        );
        assert_eq!(super::snake_case("Spindle_Bool"), "spindle_bool");
    }
}
