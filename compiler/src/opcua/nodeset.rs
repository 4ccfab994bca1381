//! A NodeSet2 XML file (OPC UA Part 6, Annex F), read with roxmltree into what the typing needs:
//! each node's class, browse name, DataType and references, the DataTypes' supertypes, and
//! the file's namespace table. Node ids of the file are kept with the file's own namespace
//! indices (`ns=1` is the first `<Uri>` of `<NamespaceUris>`, `ns=0` the OPC UA base).

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use super::engineering_units::EuInformation;
use super::node_id::{self, Identifier, Namespace, NodeId};

/// The namespace URI of namespace 0.
pub const BASE_NAMESPACE: &str = "http://opcfoundation.org/UA/";

/// A node id of the file: its namespace index in the file, its identifier.
pub type Key = (u16, Identifier);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeClass {
    Object,
    Variable,
    Method,
    ObjectType,
    VariableType,
    DataType,
    ReferenceType,
    View,
}

impl NodeClass {
    fn from_tag(tag: &str) -> Option<NodeClass> {
        Some(match tag {
            "UAObject" => NodeClass::Object,
            "UAVariable" => NodeClass::Variable,
            "UAMethod" => NodeClass::Method,
            "UAObjectType" => NodeClass::ObjectType,
            "UAVariableType" => NodeClass::VariableType,
            "UADataType" => NodeClass::DataType,
            "UAReferenceType" => NodeClass::ReferenceType,
            "UAView" => NodeClass::View,
            _ => return None,
        })
    }

    pub fn describe(self) -> &'static str {
        match self {
            NodeClass::Object => "an Object",
            NodeClass::Variable => "a Variable",
            NodeClass::Method => "a Method",
            NodeClass::ObjectType => "an ObjectType",
            NodeClass::VariableType => "a VariableType",
            NodeClass::DataType => "a DataType",
            NodeClass::ReferenceType => "a ReferenceType",
            NodeClass::View => "a View",
        }
    }
}

/// One node of the file.
#[derive(Debug, Clone)]
pub struct Node {
    /// Which of the files read it (in the order they were given).
    pub file: usize,
    pub class: NodeClass,
    pub browse_name: (u16, String),
    /// The DataType of a Variable or VariableType (`i=24`, BaseDataType, when not given).
    pub data_type: Option<Key>,
    /// The ValueRank of a Variable: -1 (or none) a scalar, 0 or more an array.
    pub value_rank: Option<i32>,
    /// The `DataType` attribute as written (an alias or a node id), for messages.
    pub data_type_written: Option<String>,
    /// Where the DataType attribute is, or the NodeId attribute when it has none.
    pub data_type_range: Range<usize>,
    /// The node's supertype (a DataType's or ReferenceType's inverse HasSubtype).
    pub supertype: Option<Key>,
    /// The EUInformation the node's `<Value>` holds (an `EngineeringUnits` property's).
    pub engineering_units: Option<EuInformation>,
}

/// A reference between two nodes of the file, forward.
#[derive(Debug, Clone)]
pub struct Edge {
    pub reference_type: Key,
    pub target: Key,
}

/// A NodeSet2 file that parsed.
#[derive(Debug, Default)]
pub struct NodeSet {
    pub namespace_uris: Vec<String>,
    pub nodes: BTreeMap<Key, Node>,
    /// Forward references by source node, from both the forward and the inverse references the
    /// file writes (a child usually names its parent with `IsForward="false"`).
    pub edges: HashMap<Key, Vec<Edge>>,
}

impl NodeSet {
    /// Reads a NodeSet2 document; the error says what is wrong and where (line and column).
    /// `file` is its place among the files read (see [`Node::file`]).
    pub fn parse(text: &str, file: usize) -> Result<NodeSet, String> {
        let document =
            roxmltree::Document::parse(text).map_err(|e| format!("it is not XML: {e}"))?;
        let root = document.root_element();
        if root.tag_name().name() != "UANodeSet" {
            return Err(format!(
                "its root element is `{}`, not a NodeSet2 `UANodeSet`",
                root.tag_name().name()
            ));
        }
        let mut set = NodeSet::default();
        let mut aliases: HashMap<String, String> = HashMap::new();
        for child in root.children().filter(roxmltree::Node::is_element) {
            match child.tag_name().name() {
                "NamespaceUris" => {
                    set.namespace_uris = child
                        .children()
                        .filter(|u| u.has_tag_name("Uri"))
                        .map(|u| u.text().unwrap_or_default().trim().to_string())
                        .collect();
                }
                "Aliases" => {
                    for alias in child.children().filter(|a| a.has_tag_name("Alias")) {
                        if let Some(name) = alias.attribute("Alias") {
                            aliases.insert(
                                name.to_string(),
                                alias.text().unwrap_or_default().trim().to_string(),
                            );
                        }
                    }
                }
                _ => {}
            }
        }
        let position = |at: usize| {
            let pos = document.text_pos_at(at);
            format!("line {}, column {}", pos.row, pos.col)
        };
        let key = |written: &str, at: usize| -> Result<Key, String> {
            let resolved = aliases
                .get(written.trim())
                .map_or(written.trim(), String::as_str);
            file_key(resolved)
                .ok_or_else(|| format!("`{written}` at {} is not a node id", position(at)))
        };
        for element in root.children().filter(roxmltree::Node::is_element) {
            let Some(class) = NodeClass::from_tag(element.tag_name().name()) else {
                continue;
            };
            let at = element.range().start;
            let written_id = element.attribute("NodeId").ok_or_else(|| {
                format!(
                    "the {} at {} has no NodeId",
                    element.tag_name().name(),
                    position(at)
                )
            })?;
            let this = key(written_id, at)?;
            let browse_name = browse_name(element.attribute("BrowseName").unwrap_or_default());
            let data_type_attribute = element.attribute_node("DataType");
            let data_type = match class {
                NodeClass::Variable | NodeClass::VariableType => Some(match data_type_attribute {
                    Some(attribute) => key(attribute.value(), attribute.range().start)?,
                    None => (0, Identifier::Numeric(24)),
                }),
                _ => None,
            };
            let mut supertype = None;
            for reference in element
                .children()
                .filter(|r| r.has_tag_name("References"))
                .flat_map(|r| r.children().filter(|r| r.has_tag_name("Reference")))
            {
                let at = reference.range().start;
                let reference_type =
                    key(reference.attribute("ReferenceType").unwrap_or_default(), at)?;
                let target = key(reference.text().unwrap_or_default(), at)?;
                let forward = reference
                    .attribute("IsForward")
                    .is_none_or(|f| f.trim() != "false");
                if !forward && reference_type == (0, Identifier::Numeric(HAS_SUBTYPE)) {
                    supertype = Some(target.clone());
                }
                let (from, to) = if forward {
                    (this.clone(), target)
                } else {
                    (target, this.clone())
                };
                let edges = set.edges.entry(from).or_default();
                if !edges
                    .iter()
                    .any(|e| e.target == to && e.reference_type == reference_type)
                {
                    edges.push(Edge {
                        reference_type,
                        target: to,
                    });
                }
            }
            set.nodes.insert(
                this,
                Node {
                    file,
                    class,
                    browse_name,
                    data_type,
                    value_rank: element
                        .attribute("ValueRank")
                        .and_then(|v| v.trim().parse().ok()),
                    data_type_written: data_type_attribute.map(|a| a.value().to_string()),
                    data_type_range: data_type_attribute
                        .or_else(|| element.attribute_node("NodeId"))
                        .map_or(element.range(), |a| a.range()),
                    supertype,
                    engineering_units: element
                        .children()
                        .find(|c| c.has_tag_name("Value"))
                        .and_then(EuInformation::from_value),
                },
            );
        }
        Ok(set)
    }

    /// Adds the nodes of `other` (a companion specification, a folder's NodeSet) to this one:
    /// its namespaces are renumbered into this file's table by URI (a URI this table lacks is
    /// appended), and a node both define is kept as this one has it.
    pub fn absorb(&mut self, other: NodeSet) {
        let mut renumbered: Vec<u16> = vec![0];
        for uri in &other.namespace_uris {
            let index = match self.namespace_uris.iter().position(|u| u == uri) {
                Some(at) => at + 1,
                None => {
                    self.namespace_uris.push(uri.clone());
                    self.namespace_uris.len()
                }
            };
            renumbered.push(u16::try_from(index).unwrap_or(u16::MAX));
        }
        let map = |key: Key| -> Key {
            let index = renumbered.get(usize::from(key.0)).copied().unwrap_or(key.0);
            (index, key.1)
        };
        for (key, mut node) in other.nodes {
            node.browse_name.0 = map((node.browse_name.0, Identifier::Numeric(0))).0;
            node.data_type = node.data_type.map(map);
            node.supertype = node.supertype.map(map);
            self.nodes.entry(map(key)).or_insert(node);
        }
        for (from, edges) in other.edges {
            let into = self.edges.entry(map(from)).or_default();
            for edge in edges {
                let edge = Edge {
                    reference_type: map(edge.reference_type),
                    target: map(edge.target),
                };
                if !into
                    .iter()
                    .any(|e| e.target == edge.target && e.reference_type == edge.reference_type)
                {
                    into.push(edge);
                }
            }
        }
    }

    /// The file's index of a namespace: an index is the file's own, a URI is looked up in its
    /// table. `None`: a URI the file lacks.
    pub fn index_of(&self, namespace: &Namespace) -> Option<u16> {
        match namespace {
            Namespace::Index(index) => Some(*index),
            Namespace::Uri(uri) if uri == BASE_NAMESPACE => Some(0),
            Namespace::Uri(uri) => self
                .namespace_uris
                .iter()
                .position(|u| u == uri)
                .and_then(|i| u16::try_from(i + 1).ok()),
        }
    }

    /// Whether `reference_type` is `ancestor` or one of its subtypes (those the file defines
    /// included).
    pub fn is_subtype(&self, reference_type: &Key, ancestor: u32) -> bool {
        let mut current = Some(reference_type.clone());
        for _ in 0..32 {
            let Some(key) = current else { return false };
            if key == (0, Identifier::Numeric(ancestor)) {
                return true;
            }
            current = self.supertype(&key, super::standard_types::reference_type_parent);
        }
        false
    }

    /// The supertype of a DataType or ReferenceType: the file's own HasSubtype, else namespace
    /// 0's (`standard`).
    pub fn supertype(&self, key: &Key, standard: fn(u32) -> Option<u32>) -> Option<Key> {
        if let Some(parent) = self.nodes.get(key).and_then(|n| n.supertype.clone()) {
            return Some(parent);
        }
        match key {
            (0, Identifier::Numeric(id)) => standard(*id).map(|p| (0, Identifier::Numeric(p))),
            _ => None,
        }
    }

    /// The `EngineeringUnits` property of a Variable (by HasProperty or a subtype) that holds
    /// an EUInformation: the property's key and node.
    pub fn engineering_units(&self, key: &Key) -> Option<(&Key, &Node)> {
        self.edges
            .get(key)?
            .iter()
            .filter(|edge| self.is_subtype(&edge.reference_type, HAS_PROPERTY))
            .filter_map(|edge| self.nodes.get_key_value(&edge.target))
            .find(|(_, n)| {
                n.browse_name == (0, "EngineeringUnits".to_string())
                    && n.engineering_units.is_some()
            })
    }

    /// A node id of the file as a mapping would write it, in the namespace form it used.
    pub fn display(&self, key: &Key, by_uri: bool) -> String {
        let namespace = match (key.0, by_uri) {
            (0, _) => Namespace::Index(0),
            (index, true) => match self.namespace_uris.get(usize::from(index) - 1) {
                Some(uri) => Namespace::Uri(uri.clone()),
                None => Namespace::Index(index),
            },
            (index, false) => Namespace::Index(index),
        };
        NodeId {
            namespace,
            identifier: key.1.clone(),
        }
        .to_string()
    }
}

/// HasSubtype (`i=45`).
pub const HAS_SUBTYPE: u32 = 45;
/// HasProperty (`i=46`), by which a Variable has its `EngineeringUnits`.
pub const HAS_PROPERTY: u32 = 46;
/// HierarchicalReferences (`i=33`), what a browse path's `/` follows.
pub const HIERARCHICAL_REFERENCES: u32 = 33;
/// Aggregates (`i=44`), what a browse path's `.` follows.
pub const AGGREGATES: u32 = 44;

/// A node id as a NodeSet file writes it (`i=85`, `ns=1;i=5002`), with the file's indices.
fn file_key(text: &str) -> Option<Key> {
    let id = node_id::parse(text).ok()?;
    match id.namespace {
        Namespace::Index(index) => Some((index, id.identifier)),
        Namespace::Uri(_) => None,
    }
}

/// `1:SampleMachineTool` (namespace 1), `Objects` (namespace 0).
fn browse_name(text: &str) -> (u16, String) {
    match text.split_once(':') {
        Some((index, name)) if !index.is_empty() && index.chars().all(|c| c.is_ascii_digit()) => {
            (index.parse().unwrap_or(0), name.to_string())
        }
        _ => (0, text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An instance NodeSet in namespace `urn:plant`, whose machine hangs in a folder of a
    /// companion NodeSet (`urn:companion`, its ns=2 here) by an inverse reference, through a
    /// reference type the companion defines.
    const INSTANCE: &str = r#"<UANodeSet xmlns="http://opcfoundation.org/UA/2011/03/UANodeSet.xsd">
      <NamespaceUris><Uri>urn:plant</Uri><Uri>urn:companion</Uri></NamespaceUris>
      <Aliases><Alias Alias="Double">i=11</Alias><Alias Alias="HasComponent">i=47</Alias></Aliases>
      <UAObject NodeId="ns=1;s=Mill" BrowseName="1:Mill">
        <References><Reference ReferenceType="ns=2;i=7001" IsForward="false">ns=2;i=5001</Reference></References>
      </UAObject>
      <UAVariable NodeId="ns=1;s=Mill.Speed" BrowseName="1:Speed" DataType="Double">
        <References><Reference ReferenceType="HasComponent" IsForward="false">ns=1;s=Mill</Reference></References>
      </UAVariable>
      <UAVariable NodeId="ns=1;s=Mill.Log" BrowseName="1:Log" DataType="Double" ValueRank="1"/>
    </UANodeSet>"#;

    /// The companion: its own namespace is its ns=1; a folder below Objects and a subtype of
    /// Organizes.
    const COMPANION: &str = r#"<UANodeSet xmlns="http://opcfoundation.org/UA/2011/03/UANodeSet.xsd">
      <NamespaceUris><Uri>urn:companion</Uri></NamespaceUris>
      <UAReferenceType NodeId="ns=1;i=7001" BrowseName="1:HoldsMachine">
        <References><Reference ReferenceType="i=45" IsForward="false">i=35</Reference></References>
      </UAReferenceType>
      <UAObject NodeId="ns=1;i=5001" BrowseName="1:Machines">
        <References><Reference ReferenceType="i=35" IsForward="false">i=85</Reference></References>
      </UAObject>
    </UANodeSet>"#;

    #[test]
    fn a_companion_joins_by_namespace_uri_with_its_references_both_ways() {
        let mut set = NodeSet::parse(INSTANCE, 0).unwrap();
        set.absorb(NodeSet::parse(COMPANION, 1).unwrap());
        assert_eq!(set.namespace_uris, ["urn:plant", "urn:companion"]);
        let machines = (2, Identifier::Numeric(5001));
        assert_eq!(
            set.nodes[&machines].browse_name,
            (2, "Machines".to_string())
        );
        assert_eq!(set.nodes[&machines].file, 1);
        // Objects -> Machines (inverse Organizes of the companion), Machines -> Mill (inverse
        // HoldsMachine of the instance), Mill -> Speed.
        let child = |from: &Key| {
            set.edges[from]
                .iter()
                .map(|e| e.target.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            child(&(0, Identifier::Numeric(85))),
            std::slice::from_ref(&machines)
        );
        let mill = (1, Identifier::String("Mill".into()));
        assert_eq!(child(&machines), std::slice::from_ref(&mill));
        let holds_machine = &set.edges[&machines][0].reference_type;
        assert!(
            set.is_subtype(holds_machine, HIERARCHICAL_REFERENCES),
            "a subtype of Organizes"
        );
        assert!(!set.is_subtype(holds_machine, AGGREGATES));
        let speed = &set.nodes[&(1, Identifier::String("Mill.Speed".into()))];
        assert_eq!(speed.data_type, Some((0, Identifier::Numeric(11))));
        assert_eq!(
            set.nodes[&(1, Identifier::String("Mill.Log".into()))].value_rank,
            Some(1)
        );
        assert_eq!(
            set.display(&mill, true),
            "nsu=urn:plant;s=Mill",
            "by URI, for a mapping that writes nsu="
        );
    }

    #[test]
    fn what_is_not_a_nodeset_says_why() {
        assert!(NodeSet::parse("entities: {}", 0)
            .unwrap_err()
            .contains("not XML"));
        assert!(NodeSet::parse("<Schema/>", 0)
            .unwrap_err()
            .contains("not a NodeSet2"));
        let bad_id = r#"<UANodeSet><UAObject NodeId="x=1" BrowseName="A"/></UANodeSet>"#;
        assert!(NodeSet::parse(bad_id, 0).unwrap_err().contains("line 1"));
    }
}
