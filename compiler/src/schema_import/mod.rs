//! `fdi schema import`: a schema YAML written from a machine's own model, so that an engineer
//! starts from what the machine has rather than typing it. The user picks variables of the
//! model (by browse path or node id for OPC UA); each becomes the `value` of a source entity,
//! typed and with its unit as the model declares them, grouped so that one entity is one
//! source's record (all the variables of one source share its entity, so one field type).
//!
//! The format-specific part is a [`ModelReader`], one file per format (`opcua.rs`); the rest
//! (`yaml.rs`, grouping and naming here) is common. This module does no IO: the CLI reads the
//! model files and writes the YAML.

mod opcua;
mod yaml;

use std::collections::BTreeMap;
use std::fmt;

pub use opcua::OpcuaModel;

/// A model format `fdi schema import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelFormat {
    /// OPC UA NodeSet2 XML files: the server's instance model, then the companion
    /// specifications it uses.
    Opcua,
}

impl ModelFormat {
    /// Every format, for `--from` and messages.
    pub const ALL: &'static [(&'static str, ModelFormat)] = &[("opcua", ModelFormat::Opcua)];

    /// The format named on the command line (`opcua`).
    pub fn from_name(name: &str) -> Option<ModelFormat> {
        Self::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, f)| *f)
    }

    /// The format of a model file, by its XML root element (`UANodeSet`); `None` when no
    /// format reads it.
    pub fn detect(text: &str) -> Option<ModelFormat> {
        let document = roxmltree::Document::parse(text).ok()?;
        match document.root_element().tag_name().name() {
            "UANodeSet" => Some(ModelFormat::Opcua),
            _ => None,
        }
    }

    /// Reads the model files (the first is the instance model) into a reader.
    pub fn read(self, files: &[ModelFile]) -> Result<Box<dyn ModelReader>, ImportError> {
        match self {
            ModelFormat::Opcua => Ok(Box::new(OpcuaModel::read(files)?)),
        }
    }
}

/// A model file, read by the caller: its path as the user wrote it (shown in messages and in
/// the source declaration the YAML suggests) and its text.
#[derive(Debug, Clone)]
pub struct ModelFile {
    pub path: String,
    pub text: String,
}

/// What one format contributes: the variables a pick names, and the shape of a record of its
/// source connector.
pub trait ModelReader {
    /// The model, for the YAML's header: "the OPC UA NodeSet2 files `a.xml`, `b.xml`".
    fn describe(&self) -> String;

    /// The variables `pick` names: one for a variable, the scalar variables of an object (its
    /// components and properties). An error says what is wrong, with the closest the model
    /// has.
    fn pick(&self, pick: &str) -> Result<Vec<Variable>, String>;

    /// The fields of a source entity whose record carries `value`, in order: `value` is
    /// written by the common part, the others (`node: string`) as `(name, YAML)`.
    fn record_fields(&self) -> Vec<(String, String)>;

    /// How a mapping declares a source of `entity` reading `variables`, for a comment in the
    /// YAML (`source NAME: opcua(...) as Entity`).
    fn source_declaration(&self, source: &str, entity: &str, variables: &[&Variable]) -> String;
}

/// A variable of the model, as the schema will type it.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    /// How a mapping names it: the browse path or node id to write in the connector.
    pub reference: String,
    /// Its name in the model (the browse name).
    pub name: String,
    /// Whether the pick named it (not an object it belongs to).
    pub picked: bool,
    /// Its field type, or why it has none.
    pub ty: Result<ValueType, String>,
    /// Its id in the model by which no server numbering changes it (`nsu=...;i=6070`).
    pub id: String,
    /// What the model says of it, for a comment: its DataType and unit.
    pub note: String,
}

/// The field type of a variable's values.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ValueType {
    Bool,
    Int,
    /// A float, with its unit in fdi's spelling when the model gives one fdi knows.
    Float(Option<String>),
    String,
    Timestamp,
}

impl ValueType {
    /// The schema's type text: `float[%]`.
    pub fn schema_type(&self) -> String {
        match self {
            ValueType::Bool => "bool".into(),
            ValueType::Int => "int".into(),
            ValueType::Float(None) => "float".into(),
            ValueType::Float(Some(unit)) => format!("float[{unit}]"),
            ValueType::String => "string".into(),
            ValueType::Timestamp => "timestamp".into(),
        }
    }

    /// A suffix for an entity name when the picks need several: `Bool`, `FloatPercent`.
    fn suffix(&self) -> String {
        match self {
            ValueType::Bool => "Bool".into(),
            ValueType::Int => "Int".into(),
            ValueType::Float(None) => "Float".into(),
            ValueType::Float(Some(unit)) => format!("Float{}", unit_name(unit)),
            ValueType::String => "Text".into(),
            ValueType::Timestamp => "Time".into(),
        }
    }
}

/// A unit as part of an identifier: its name for a table unit (`%` is `Percent`, `degC`
/// `DegreeCelsius`), else its symbols with `/` as `Per` (`mm/min` is `MmPerMin`).
fn unit_name(unit: &str) -> String {
    let words = match crate::units::Unit::parse(unit).ok().and_then(|u| u.name()) {
        Some(name) => name.to_string(),
        None => unit.replace('/', " per ").replace(['*', '^', '-'], " "),
    };
    words
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// What the user asks for.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The entity's name (a prefix when the picks need several entities).
    pub entity: String,
    /// Browse paths, node ids (or another format's names), in order.
    pub picks: Vec<String>,
}

/// Why nothing was written: every problem, each a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError(pub Vec<String>);

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

impl std::error::Error for ImportError {}

/// The written schema: its YAML text, and the entities in it with the variables each reads.
#[derive(Debug, Clone)]
pub struct Imported {
    pub yaml: String,
    pub entities: Vec<(String, Vec<Variable>)>,
}

/// Writes the schema for `request` from the model `reader` read.
pub fn import(reader: &dyn ModelReader, request: &ImportRequest) -> Result<Imported, ImportError> {
    let mut problems = Vec::new();
    if !is_entity_name(&request.entity) {
        problems.push(format!(
            "`{}` is not an entity name: a letter, then letters, digits or `_` (`SpindleSample`)",
            request.entity
        ));
    }
    if request.picks.is_empty() {
        problems.push("pick at least one variable (`--pick PATH_OR_NODE_ID`), or an object for all its variables".into());
    }
    let mut by_type: BTreeMap<ValueType, Vec<Variable>> = BTreeMap::new();
    for pick in &request.picks {
        match reader.pick(pick) {
            Ok(variables) => {
                for variable in variables {
                    match &variable.ty {
                        Ok(ty) => {
                            let group = by_type.entry(ty.clone()).or_default();
                            if !group.iter().any(|v| v.reference == variable.reference) {
                                group.push(variable);
                            }
                        }
                        // A variable of an object without a field type is left out of the
                        // object's; one picked by name is an error.
                        Err(why) if variable.picked => {
                            problems.push(format!("`{pick}` cannot be a field: {why}"));
                        }
                        Err(_) => {}
                    }
                }
            }
            Err(why) => problems.push(why),
        }
    }
    if by_type.is_empty() && problems.is_empty() {
        problems.push(
            "the picks name no variable with a field type (structures and arrays have none)".into(),
        );
    }
    if !problems.is_empty() {
        return Err(ImportError(problems));
    }
    let single = by_type.len() == 1;
    let entities: Vec<(String, Vec<Variable>)> = by_type
        .into_iter()
        .map(|(ty, variables)| {
            let name = if single {
                request.entity.clone()
            } else {
                format!("{}{}", request.entity, ty.suffix())
            };
            (name, variables)
        })
        .collect();
    Ok(Imported {
        yaml: yaml::write(reader, &entities),
        entities,
    })
}

fn is_entity_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_become_parts_of_names() {
        assert_eq!(unit_name("%"), "Percent");
        assert_eq!(unit_name("degC"), "DegreeCelsius");
        assert_eq!(unit_name("mm/min"), "MmPerMin");
        assert_eq!(
            ValueType::Float(Some("rpm".into())).suffix(),
            "FloatRevolutionPerMinute"
        );
    }

    #[test]
    fn formats_are_named_and_detected() {
        assert_eq!(ModelFormat::from_name("OPCUA"), Some(ModelFormat::Opcua));
        assert_eq!(ModelFormat::from_name("b2mml"), None);
        assert_eq!(
            ModelFormat::detect(
                "<UANodeSet xmlns=\"http://opcfoundation.org/UA/2011/03/UANodeSet.xsd\"/>"
            ),
            Some(ModelFormat::Opcua)
        );
        assert_eq!(ModelFormat::detect("<MTConnectDevices/>"), None);
        assert_eq!(ModelFormat::detect("entities: {}"), None);
    }
}
