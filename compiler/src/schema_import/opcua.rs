//! `fdi schema import` from OPC UA NodeSet2 files: the files are merged as `nodeset:` merges
//! them (the first is the server's instance model, its namespace table the one `ns=N` and
//! `N:Name` are read in), a pick is a browse path from the Objects folder or a node id, and a
//! variable's field type is what the NodeSet typing accepts for it (`opcua/types.rs`), with its
//! unit from `EngineeringUnits` (`opcua/engineering_units.rs`).

use super::{ImportError, ModelFile, ModelReader, RecordFields, ValueType, Variable};
use crate::diagnostic::closest;
use crate::opcua::browse_path::{self, Step};
use crate::opcua::engineering_units::NodeUnit;
use crate::opcua::node_id::{self, Identifier};
use crate::opcua::nodeset::{Key, Node, NodeClass, NodeSet, AGGREGATES, HIERARCHICAL_REFERENCES};
use crate::opcua::types;

/// The Objects folder, where browse paths start.
const OBJECTS: u32 = 85;

/// NodeSet2 files, merged.
pub struct OpcuaModel {
    set: NodeSet,
    files: Vec<String>,
}

impl OpcuaModel {
    /// Parses and merges the files; an error names each file that is no NodeSet2 document.
    pub fn read(files: &[ModelFile]) -> Result<OpcuaModel, ImportError> {
        let mut merged: Option<NodeSet> = None;
        let mut problems = Vec::new();
        for (index, file) in files.iter().enumerate() {
            match NodeSet::parse(&file.text, index) {
                Ok(set) => match &mut merged {
                    Some(merged) => merged.absorb(set),
                    None => merged = Some(set),
                },
                Err(why) => problems.push(format!(
                    "`{}` is not a NodeSet2 file fdi can read: {why}",
                    file.path
                )),
            }
        }
        match merged {
            Some(set) if problems.is_empty() => Ok(OpcuaModel {
                set,
                files: files.iter().map(|f| f.path.clone()).collect(),
            }),
            None if problems.is_empty() => Err(ImportError(vec![
                "name at least one NodeSet2 file: the server's instance model first".into(),
            ])),
            _ => Err(ImportError(problems)),
        }
    }

    /// The node a browse path leads to, and the path without namespace indices when each of
    /// its names says which node it means (see [`OpcuaModel::readable`]); or what is wrong.
    /// Names without an index are found as the NodeSet typing finds them: namespace 0's first,
    /// else the one node of that name there.
    fn browse(&self, text: &str) -> Result<(Key, Option<String>), String> {
        let elements = browse_path::parse(text).map_err(|e| {
            format!(
                "`{text}` is not a browse path ({}): {}",
                e.label, e.explanation
            )
        })?;
        let mut current: Key = (0, Identifier::Numeric(OBJECTS));
        let mut walked = String::new();
        let mut readable = Some(String::new());
        for element in &elements {
            let ancestor = match element.step {
                Step::Hierarchical => HIERARCHICAL_REFERENCES,
                Step::Aggregate => AGGREGATES,
            };
            let children = self.children(&current, ancestor);
            let step = &text[element.range.start..=element.range.start];
            let written = &text[element.range.clone()];
            let wanted = (element.namespace, element.name.clone());
            let mut found = children.iter().find(|(_, n)| n.browse_name == wanted);
            if found.is_none() && !element.indexed {
                let named: Vec<&(&Key, &Node)> = children
                    .iter()
                    .filter(|(_, n)| n.browse_name.1 == element.name)
                    .collect();
                match named.as_slice() {
                    [] => {}
                    [one] => found = Some(one),
                    several => {
                        let shown: Vec<String> = several
                            .iter()
                            .map(|(key, n)| {
                                format!(
                                    "`{step}{}:{}` ({})",
                                    n.browse_name.0,
                                    browse_path::escape(&n.browse_name.1),
                                    self.set.display(key, true)
                                )
                            })
                            .collect();
                        return Err(format!(
                            "`{written}` in `{text}` names {} nodes in different namespaces: write the index of the one you mean, {}",
                            several.len(),
                            shown.join(" or ")
                        ));
                    }
                }
            }
            if let Some((key, node)) = found {
                readable = readable
                    .filter(|_| readable_among(&children, node))
                    .map(|r| format!("{r}{step}{}", browse_path::escape(&node.browse_name.1)));
                current = (*key).clone();
                walked.push_str(written);
                continue;
            }
            let shown: Vec<String> = children
                .iter()
                .map(|(_, n)| {
                    if element.indexed {
                        format!(
                            "{step}{}:{}",
                            n.browse_name.0,
                            browse_path::escape(&n.browse_name.1)
                        )
                    } else {
                        format!("{step}{}", browse_path::escape(&n.browse_name.1))
                    }
                })
                .collect();
            let below = if walked.is_empty() {
                "the Objects folder".to_string()
            } else {
                format!("`{walked}`")
            };
            let help = match closest(written, shown.iter().map(String::as_str)) {
                Some(near) => format!("did you mean `{walked}{near}`?"),
                None if shown.is_empty() && walked.is_empty() => format!(
                    "nothing is below the Objects folder by `{step}`: an instance's top objects usually hang in a folder of a companion specification (Machinery's `Machines`), so name the companion NodeSets after the instance's"
                ),
                None if shown.is_empty() => format!("nothing is below {below} by `{step}`"),
                None => format!("below it are {}", quoted(&shown)),
            };
            return Err(format!(
                "`{written}` is not below {below} in the NodeSets: {help}"
            ));
        }
        Ok((current, readable))
    }

    /// The node a node id names (`ns=N` in the first file's namespace table), or why not.
    fn node(&self, text: &str) -> Result<Key, String> {
        let id = node_id::parse(text)
            .map_err(|e| format!("`{text}` is not a node id ({}): {}", e.label, e.explanation))?;
        let index = self.set.index_of(&id.namespace).ok_or_else(|| {
            format!(
                "`{text}` names a namespace the NodeSets do not define; theirs are {}",
                quoted(&self.set.namespace_uris)
            )
        })?;
        let key = (index, id.identifier);
        if self.set.nodes.contains_key(&key) {
            return Ok(key);
        }
        let by_uri = text.starts_with("nsu=");
        let ids: Vec<String> = self
            .set
            .nodes
            .iter()
            .filter(|(_, n)| matches!(n.class, NodeClass::Variable | NodeClass::Object))
            .map(|(key, _)| self.set.display(key, by_uri))
            .collect();
        Err(match closest(text, ids.iter().map(String::as_str)) {
            Some(near) => format!("`{text}` is not a node of the NodeSets: did you mean `{near}`?"),
            None => format!("`{text}` is not a node of the NodeSets (`ns=N` is the first file's namespace N, where `ns=1` is its first namespace URI)"),
        })
    }

    /// The nodes below `key` by references of `ancestor` or a subtype, in the file's order.
    fn children(&self, key: &Key, ancestor: u32) -> Vec<(&Key, &Node)> {
        let mut seen = Vec::new();
        for edge in self.set.edges.get(key).into_iter().flatten() {
            if !self.set.is_subtype(&edge.reference_type, ancestor) {
                continue;
            }
            if let Some(found) = self.set.nodes.get_key_value(&edge.target) {
                if !seen.iter().any(|(k, _)| *k == found.0) {
                    seen.push(found);
                }
            }
        }
        seen
    }

    /// A Variable as the schema types it, named as the mapping would write it.
    fn variable(&self, key: &Key, node: &Node, reference: String, picked: bool) -> Variable {
        let data_type = types::data_type_name(&self.set, node);
        let unit = self
            .set
            .engineering_units(key)
            .and_then(|(_, property)| property.engineering_units.as_ref())
            .map(|info| info.unit());
        let (unit_text, unit_note) = match &unit {
            Some(NodeUnit::Known { text, shown, .. }) => {
                (Some(text.clone()), format!(", in {shown}"))
            }
            Some(NodeUnit::Unknown { shown, why }) => (
                None,
                format!(", in {shown}, which fdi does not know ({why}): a plain number here"),
            ),
            None => (None, String::new()),
        };
        let ty = match types::value_type(&self.set, node) {
            types::ValueType::Boolean => Ok(ValueType::Bool),
            // A 32-bit integer with a unit is read as a float, which keeps the unit.
            types::ValueType::Integer if unit_text.is_some() => Ok(ValueType::Float(unit_text)),
            types::ValueType::Integer | types::ValueType::Integer64 => Ok(ValueType::Int),
            types::ValueType::Floating => Ok(ValueType::Float(unit_text)),
            types::ValueType::Text => Ok(ValueType::String),
            types::ValueType::DateTime => Ok(ValueType::Timestamp),
            types::ValueType::Structure => Err(format!(
                "its DataType {data_type} is a structure, which no field type holds; pick one of its scalar components"
            )),
            types::ValueType::Array => Err(format!(
                "it holds an array ({data_type}), which no field type holds"
            )),
            types::ValueType::Unknown => Err(format!(
                "its DataType {data_type} is not one fdi can follow to a built-in type; give the NodeSet that defines it too"
            )),
        };
        Variable {
            reference,
            name: node.browse_name.1.clone(),
            picked,
            ty,
            id: self.set.display(key, true),
            note: format!("{data_type}{unit_note}"),
        }
    }
}

impl ModelReader for OpcuaModel {
    fn describe(&self) -> String {
        format!("the OPC UA NodeSet2 files {}", quoted(&self.files))
    }

    fn record(&self) -> &'static str {
        "data change of the variables"
    }

    fn pick(&self, pick: &str) -> Result<Vec<Variable>, String> {
        // How the mapping names what was picked: by a path without namespace indices, which
        // the program resolves on any server, or else by node id with its namespace's URI;
        // never with an index, which is the server's and which no NodeSet knows.
        let (key, readable) = if pick.starts_with(['/', '.']) {
            self.browse(pick)?
        } else {
            (self.node(pick)?, None)
        };
        let node = &self.set.nodes[&key];
        match node.class {
            NodeClass::Variable => {
                let reference = readable.unwrap_or_else(|| self.set.display(&key, true));
                Ok(vec![self.variable(&key, node, reference, true)])
            }
            NodeClass::Object => {
                let components = self.children(&key, AGGREGATES);
                let variables: Vec<Variable> = components
                    .iter()
                    .filter(|(_, n)| n.class == NodeClass::Variable)
                    .map(|(child, n)| {
                        let reference = match &readable {
                            Some(path) if readable_among(&components, n) => {
                                format!("{path}.{}", browse_path::escape(&n.browse_name.1))
                            }
                            _ => self.set.display(child, true),
                        };
                        self.variable(child, n, reference, false)
                    })
                    .collect();
                if variables.is_empty() {
                    return Err(format!(
                        "`{pick}` is an Object without Variables of its own; pick one of the objects below it"
                    ));
                }
                Ok(variables)
            }
            other => Err(format!(
                "`{pick}` is {}, which has no values: pick a Variable, or an Object for its Variables",
                other.describe()
            )),
        }
    }

    fn record_fields(&self, _: &[&Variable]) -> RecordFields {
        RecordFields {
            before: vec![("node".into(), "string".into())],
            after: Vec::new(),
        }
    }

    fn source_declaration(&self, source: &str, entity: &str, variables: &[&Variable]) -> String {
        let list = |paths: bool| -> Vec<String> {
            variables
                .iter()
                .filter(|v| v.reference.starts_with(['/', '.']) == paths)
                .map(|v| format!("{:?}", v.reference))
                .collect()
        };
        let mut options = vec!["connection: \"CONNECTION\"".to_string()];
        let nodes = list(false);
        if !nodes.is_empty() {
            options.push(format!("nodes: [{}]", nodes.join(", ")));
        }
        let paths = list(true);
        if !paths.is_empty() {
            options.push(format!("browse_paths: [{}]", paths.join(", ")));
        }
        let files: Vec<String> = self.files.iter().map(|f| format!("{f:?}")).collect();
        options.push(format!("nodeset: [{}]", files.join(", ")));
        format!("source {source}: opcua({}) as {entity}", options.join(", "))
    }
}

/// Whether `node`'s browse name, written without its index, names it among `siblings`: it is
/// namespace 0's, or no sibling of namespace 0 or of another namespace has that name too.
fn readable_among(siblings: &[(&Key, &Node)], node: &Node) -> bool {
    let same_name = |n: &&(&Key, &Node)| n.1.browse_name.1 == node.browse_name.1;
    node.browse_name.0 == 0 || siblings.iter().filter(same_name).count() == 1
}

fn quoted(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    quoted.join(", ")
}
