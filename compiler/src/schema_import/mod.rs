//! `fdi schema import`: a schema YAML written from a machine's own model, so that an engineer
//! starts from what the machine has rather than typing it. The user picks variables of the
//! model (by browse path or node id for OPC UA, by data item id or name for MTConnect); each
//! becomes the `value` of a source entity, typed and with its unit as the model declares them,
//! grouped so that one entity is one source's record (all the variables of one source share
//! its entity, so one field type). A controlled vocabulary is an enum, declared once under
//! `enums:` however many entities use it.
//!
//! The format-specific part is a [`ModelReader`], one file per format (`opcua.rs`,
//! `mtconnect.rs`); the rest (`yaml.rs`, grouping and naming here) is common. This module does
//! no IO: the CLI reads the model files and writes the YAML.

mod mtconnect;
mod opcua;
mod yaml;

use std::collections::BTreeMap;
use std::fmt;

pub use mtconnect::MtconnectModel;
pub use opcua::OpcuaModel;

/// A model format `fdi schema import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelFormat {
    /// OPC UA NodeSet2 XML files: the server's instance model, then the companion
    /// specifications it uses.
    Opcua,
    /// MTConnect device models (`MTConnectDevices`: an agent's `Devices.xml` or a `/probe`
    /// answer).
    Mtconnect,
}

impl ModelFormat {
    /// Every format, for `--from` and messages.
    pub const ALL: &'static [(&'static str, ModelFormat)] = &[
        ("opcua", ModelFormat::Opcua),
        ("mtconnect", ModelFormat::Mtconnect),
    ];

    /// The format named on the command line (`opcua`, `mtconnect`).
    pub fn from_name(name: &str) -> Option<ModelFormat> {
        Self::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, f)| *f)
    }

    /// The format of a model file, by its XML root element (`UANodeSet`, `MTConnectDevices`);
    /// `None` when no format reads it. A document that is not well-formed XML is still
    /// recognised by its first element's name, since real device models do not all validate
    /// (the NIST one uses a namespace prefix it never declares) and the format's reader says
    /// what it reads past.
    pub fn detect(text: &str) -> Option<ModelFormat> {
        let root = match roxmltree::Document::parse(text) {
            Ok(document) => document.root_element().tag_name().name().to_string(),
            Err(_) => first_element_name(text)?,
        };
        match root.as_str() {
            "UANodeSet" => Some(ModelFormat::Opcua),
            "MTConnectDevices" => Some(ModelFormat::Mtconnect),
            _ => None,
        }
    }

    /// Reads the model files into a reader. For OPC UA the first is the instance model; for
    /// MTConnect `device` chooses the device whose data items are picked (by name, uuid or id;
    /// needed when the models have several). A device for a format without devices is an
    /// error, as is a model that cannot be read.
    pub fn read(
        self,
        files: &[ModelFile],
        device: Option<&str>,
    ) -> Result<Box<dyn ModelReader>, ImportError> {
        match self {
            ModelFormat::Opcua => {
                if let Some(device) = device {
                    return Err(ImportError(vec![format!(
                        "`--device {device}`: a device is chosen in MTConnect models; in OPC UA NodeSets pick the machine's objects by browse path"
                    )]));
                }
                Ok(Box::new(OpcuaModel::read(files)?))
            }
            ModelFormat::Mtconnect => Ok(Box::new(MtconnectModel::read(files, device)?)),
        }
    }
}

/// The local name of the first element of an XML text that may not be well-formed: after the
/// declaration, comments, processing instructions and a DOCTYPE.
fn first_element_name(text: &str) -> Option<String> {
    let mut rest = text.trim_start_matches('\u{feff}');
    loop {
        rest = rest.trim_start();
        let skip_to = |rest: &str, end: &str| rest.find(end).map(|at| at + end.len());
        let skipped = if rest.starts_with("<?") {
            skip_to(rest, "?>")
        } else if rest.starts_with("<!--") {
            skip_to(rest, "-->")
        } else if rest.starts_with("<!") {
            skip_to(rest, ">")
        } else {
            break;
        }?;
        rest = &rest[skipped..];
    }
    let name: String = rest
        .strip_prefix('<')?
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, '>' | '/'))
        .collect();
    let local = name.rsplit(':').next().unwrap_or(&name);
    (!local.is_empty()).then(|| local.to_string())
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

    /// What one record of its source connector is, for the YAML's header: "data change of
    /// the variables", "observation of the data items".
    fn record(&self) -> &'static str;

    /// The variables `pick` names: one for a variable, the scalar variables of an object (its
    /// components and properties). An error says what is wrong, with the closest the model
    /// has.
    fn pick(&self, pick: &str) -> Result<Vec<Variable>, String>;

    /// The fields of a source entity whose record carries `variables`' values, in order:
    /// `value` is written by the common part, the others (`node: string`) as `(name, YAML)`,
    /// before `value` or, for `after`, after it.
    fn record_fields(&self, variables: &[&Variable]) -> RecordFields;

    /// What reading the model skipped or could not type, each a sentence, for warnings.
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }

    /// How a mapping declares a source of `entity` reading `variables`, for a comment in the
    /// YAML (`source NAME: opcua(...) as Entity`).
    fn source_declaration(&self, source: &str, entity: &str, variables: &[&Variable]) -> String;
}

/// The fields of a source's record beside `value`: `(name, YAML type)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordFields {
    /// Written before `value` (`node: string`, `device: string`).
    pub before: Vec<(String, String)>,
    /// Written after it (a CONDITION's `native_code`).
    pub after: Vec<(String, String)>,
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
    /// Its id in the model by which no server numbering changes it (`nsu=...;i=6070`, an
    /// MTConnect data item's `id`).
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
    /// One of the codes of a controlled vocabulary (MTConnect's EXECUTION), declared as the
    /// enum `name` under `enums:`. Made by [`ValueType::vocabulary`].
    Enum {
        name: String,
        codes: Vec<String>,
    },
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
            ValueType::Enum { name, .. } => name.clone(),
        }
    }

    /// The enum `name` (a type name, such as `Execution`) of `codes`, or a `string` when a
    /// code cannot be an enum's (a word of letters, digits and `_` that is no keyword of the
    /// language, so that a mapping can write `Execution.ACTIVE`): text is read as it comes.
    pub fn vocabulary(name: String, codes: Vec<String>) -> ValueType {
        if !codes.is_empty() && codes.iter().all(|c| is_code(c)) && is_entity_name(&name) {
            ValueType::Enum { name, codes }
        } else {
            ValueType::String
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
            ValueType::Enum { name, .. } => name.clone(),
        }
    }
}

/// Whether `code` may be an enum code (docs/language.md section 4) that a mapping can write
/// after the enum's name: no keyword of the language.
fn is_code(code: &str) -> bool {
    code.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(
            code,
            "and" | "else" | "false" | "let" | "match" | "not" | "or" | "reject" | "true" | "where"
        )
}

/// `S1_speed` or `GFAgie01-X_2` as a part of a type name: `S1Speed`, `GFAgie01X2`.
fn pascal_case(text: &str) -> String {
    let mut name = String::new();
    let mut upper = true;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        } else {
            upper = true;
        }
    }
    name
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
    /// Browse paths, node ids, MTConnect data items' ids or names, in order.
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

/// The written schema: its YAML text, the entities in it with the variables each reads, and
/// what reading the model skipped or could not type (each a sentence, for warnings).
#[derive(Debug, Clone)]
pub struct Imported {
    pub yaml: String,
    pub entities: Vec<(String, Vec<Variable>)>,
    pub warnings: Vec<String>,
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
        problems.push("pick at least one variable (`--pick`: a browse path or node id, an MTConnect data item's id or name), or an object or component for all its variables".into());
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
    let groups = distinct_enum_names(by_type.into_iter().collect());
    let single = groups.len() == 1;
    let entities: Vec<(String, Vec<Variable>)> = groups
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
    // An entity and an enum share the schema's names.
    let enums: Vec<&str> = entities
        .iter()
        .flat_map(|(_, variables)| variables)
        .filter_map(|v| match &v.ty {
            Ok(ValueType::Enum { name, .. }) => Some(name.as_str()),
            _ => None,
        })
        .collect();
    for (name, _) in &entities {
        if enums.contains(&name.as_str()) {
            problems.push(format!(
                "the entity `{name}` would have the name of an enum of the values: give `--entity` another name (`{name}Event`)"
            ));
        }
    }
    if !problems.is_empty() {
        return Err(ImportError(problems));
    }
    Ok(Imported {
        yaml: yaml::write(reader, &entities),
        entities,
        warnings: reader.warnings(),
    })
}

/// The groups with one enum name per set of codes: when two data items of one type have
/// different codes (their `Constraints` narrow the vocabulary differently), the second
/// group's enum is named after its first variable too (`P2executionExecution`). The groups'
/// variables carry the name their enum is declared by.
fn distinct_enum_names(groups: Vec<(ValueType, Vec<Variable>)>) -> Vec<(ValueType, Vec<Variable>)> {
    let mut taken: BTreeMap<String, Vec<String>> = BTreeMap::new();
    groups
        .into_iter()
        .map(|(ty, mut variables)| {
            let ValueType::Enum { name, codes } = ty else {
                return (ty, variables);
            };
            let mut unique = name.clone();
            if taken.get(&name).is_some_and(|existing| *existing != codes) {
                let prefix = variables
                    .first()
                    .map_or(String::new(), |v| pascal_case(&v.name));
                let base = if prefix.starts_with(|c: char| c.is_ascii_alphabetic()) {
                    format!("{prefix}{name}")
                } else {
                    name.clone()
                };
                unique = base.clone();
                let mut n = 2;
                while taken.contains_key(&unique) {
                    unique = format!("{base}{n}");
                    n += 1;
                }
            }
            taken.insert(unique.clone(), codes.clone());
            let ty = ValueType::Enum {
                name: unique,
                codes,
            };
            for variable in &mut variables {
                variable.ty = Ok(ty.clone());
            }
            (ty, variables)
        })
        .collect()
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
        assert_eq!(
            ModelFormat::from_name("mtconnect"),
            Some(ModelFormat::Mtconnect)
        );
        assert_eq!(
            ModelFormat::detect("<MTConnectDevices/>"),
            Some(ModelFormat::Mtconnect)
        );
        // Not well-formed (an undeclared prefix), after a declaration and a comment.
        assert_eq!(
            ModelFormat::detect(
                "<?xml version=\"1.0\"?>\n<!-- probe -->\n<m:MTConnectDevices><x:Motion/>"
            ),
            Some(ModelFormat::Mtconnect)
        );
        assert_eq!(ModelFormat::detect("<Devices><x:Motion/>"), None);
        assert_eq!(ModelFormat::detect("entities: {}"), None);
    }
}
