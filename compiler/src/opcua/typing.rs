//! The NodeSet stage: an OPC UA connector with `nodeset:` has its nodes looked up in that
//! NodeSet2 file and typed by it, after the check (the checker does no IO). A file that cannot
//! be read is E0702; a node, namespace or browse path the file lacks is E0703, with the closest
//! it has; a node whose DataType does not fit the entity's field is E0704, labelled on the node
//! in the mapping, the field in the schema and the DataType in the NodeSet.
//!
//! A node id's `ns=N` is read as the file's own namespace index N (the first `<Uri>` of its
//! `<NamespaceUris>` is 1); a server may number its namespaces otherwise, which `nsu=<uri>;`
//! does not depend on. A DataType the file does not define (one of another companion
//! specification) cannot be typed, and is not.

use std::path::Path;

use super::browse_path::{self, Step};
use super::node_id::{self, Identifier, Namespace};
use super::nodeset::{Key, Node, NodeClass, NodeSet, AGGREGATES, HIERARCHICAL_REFERENCES};
use super::types::{self, Fit, ValueType};
use crate::diagnostic::{closest, Code, Diagnostic};
use crate::ir::{self, OpcuaItem, Program};
use crate::schema::{Entity, Field};
use crate::source_map::{FileId, SourceMap, Span};

/// The Objects folder (`i=85`), where browse paths start.
const OBJECTS: u32 = 85;

/// Checks the nodes of every OPC UA connector of `program` that names a NodeSet against it.
/// `folder` is the mapping's folder; each NodeSet read is added to `sources` (so the build
/// manifest hashes it and diagnostics can point into it). `Ok` holds its warnings (a unit fdi
/// does not know, read as plain numbers); `Err` every diagnostic, when one is an error.
pub fn check_nodesets(
    program: &mut Program,
    folder: &Path,
    sources: &mut SourceMap,
) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
    let mut read = super::files::Read::new();
    let mut problems = Vec::new();
    // (source, the URIs of each of its browse paths' elements resolved by name)
    let mut by_name: Vec<(usize, Vec<Vec<String>>)> = Vec::new();
    for (at, source) in program.sources.iter().enumerate() {
        let ir::SourceKind::Opcua {
            nodes,
            browse_paths,
            nodesets,
            namespaces,
            ..
        } = &source.kind
        else {
            continue;
        };
        if nodesets.is_empty() {
            continue;
        }
        let Some((set, xml)) =
            super::files::load(nodesets, folder, sources, &mut read, &mut problems)
        else {
            continue;
        };
        let entity = &program.schema.entities[&source.entity];
        let typing = Typing {
            set: &set,
            namespaces,
            xml,
            program,
            entity,
        };
        let value = entity.fields.iter().find(|f| f.external_name() == "value");
        for item in nodes {
            if let Some(key) = typing.node(item, &mut problems) {
                typing.source_value(item, &key, value, &mut problems);
            }
        }
        let mut resolved = Vec::with_capacity(browse_paths.len());
        for item in browse_paths {
            match typing.browse(item, &mut problems) {
                Some((key, uris)) => {
                    typing.source_value(item, &key, value, &mut problems);
                    resolved.push(uris);
                }
                None => resolved.push(Vec::new()),
            }
        }
        // Only a path with a name to resolve on the server needs its URIs.
        if resolved.iter().flatten().any(|uri| !uri.is_empty()) {
            by_name.push((at, resolved));
        }
    }
    for target in &program.targets {
        let ir::TargetKind::Opcua {
            writes,
            nodesets,
            namespaces,
            ..
        } = &target.kind
        else {
            continue;
        };
        if nodesets.is_empty() {
            continue;
        }
        let Some((set, xml)) =
            super::files::load(nodesets, folder, sources, &mut read, &mut problems)
        else {
            continue;
        };
        let entity = &program.schema.entities[&target.entity];
        let typing = Typing {
            set: &set,
            namespaces,
            xml,
            program,
            entity,
        };
        for write in writes {
            let Some(field) = entity.field(&write.field) else {
                continue; // reported by the check (E0808)
            };
            let holes = super::declare::holes(write);
            if holes.is_empty() {
                if let Some(key) = typing.node(&write.node, &mut problems) {
                    typing.target_node(write, field, &key, &mut problems);
                }
            } else {
                for key in typing.template(&write.node, &mut problems) {
                    typing.target_node(write, field, &key, &mut problems);
                }
            }
        }
    }
    for (at, resolved) in by_name {
        if let ir::SourceKind::Opcua {
            browse_path_namespaces,
            ..
        } = &mut program.sources[at].kind
        {
            *browse_path_namespaces = resolved;
        }
    }
    // In the order of the text, as the checker reports its own.
    problems.sort_by_key(|d| d.primary_span().map(|s| (s.file, s.start)));
    if problems.iter().any(Diagnostic::is_error) {
        return Err(problems);
    }
    Ok(problems)
}

/// One connector's NodeSet and entity.
pub(super) struct Typing<'a> {
    pub(super) set: &'a NodeSet,
    /// The server's namespace table from index 1 (`namespaces:`); empty: the first file's.
    pub(super) namespaces: &'a [OpcuaItem],
    /// The files read, by [`Node::file`].
    pub(super) xml: Vec<FileId>,
    pub(super) program: &'a Program,
    pub(super) entity: &'a Entity,
}

impl Typing<'_> {
    /// The node a node id names, or E0703 with the closest the file has.
    fn node(&self, item: &OpcuaItem, problems: &mut Vec<Diagnostic>) -> Option<Key> {
        let id = node_id::parse(&item.text).ok()?; // well-formed: the check said so
        let by_uri = matches!(id.namespace, Namespace::Uri(_));
        let index = self.namespace(&id.namespace, item.span, problems)?;
        let key: Key = (index, id.identifier.clone());
        if self.set.nodes.contains_key(&key) {
            return Some(key);
        }
        if key.0 == 0 && !self.has_base_namespace() {
            // A standard node (`i=2258`, the server's time): namespace 0 is every server's, and
            // a companion NodeSet does not repeat it, so there is nothing to check it against.
            return None;
        }
        let variables: Vec<(String, &Key)> = self
            .variables()
            .filter_map(|(key, _)| Some((self.show(key, by_uri)?, key)))
            .collect();
        // By node id first; then by browse name, for a node id that names the node by a name
        // the server does not use (`s=Spindle.Speed` for the node browsed as `ActualSpeed`).
        let by_id = closest(
            &item.text,
            variables.iter().map(|(shown, _)| shown.as_str()),
        );
        let by_name = match &id.identifier {
            Identifier::String(name) => {
                let last = name.rsplit(['.', '/']).next().unwrap_or(name);
                let names: Vec<&str> = self
                    .variables()
                    .map(|(_, n)| n.browse_name.1.as_str())
                    .collect();
                closest(last, names.iter().copied()).and_then(|found| {
                    self.variables()
                        .find(|(_, n)| n.browse_name.1 == found)
                        .and_then(|(key, _)| self.show(key, by_uri))
                })
            }
            _ => None,
        };
        let help = match by_id.map(str::to_string).or(by_name) {
            Some(near) if item.exact => format!("did you mean `{near}`?"),
            Some(near) => format!("the closest node is `{near}`"),
            None => format!(
                "the NodeSet has {} variables; a node id with `ns=N` is read in the NodeSet's own namespace table, where `ns=1` is its first namespace URI",
                variables.len()
            ),
        };
        problems.push(
            Diagnostic::error(
                Code::NodeNotInNodeset,
                format!("`{}` is not a node of the NodeSet", item.text),
            )
            .label(item.span, "no such node in the NodeSet")
            .help(help),
        );
        None
    }

    /// The node a browse path leads to, from the Objects folder, with the namespace URI of
    /// each element written without an index that only another namespace than 0 has (`""`
    /// for the others); or E0703 on the first element that leads nowhere, E0707 on one whose
    /// name several namespaces have there.
    fn browse(
        &self,
        item: &OpcuaItem,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<(Key, Vec<String>)> {
        let elements = browse_path::parse(&item.text).ok()?;
        let mut current: Key = (0, Identifier::Numeric(OBJECTS));
        let mut walked = String::new();
        let mut uris = Vec::with_capacity(elements.len());
        for element in &elements {
            let ancestor = match element.step {
                Step::Hierarchical => HIERARCHICAL_REFERENCES,
                Step::Aggregate => AGGREGATES,
            };
            let children: Vec<(&Key, &Node)> = self
                .set
                .edges
                .get(&current)
                .into_iter()
                .flatten()
                .filter(|edge| self.set.is_subtype(&edge.reference_type, ancestor))
                .filter_map(|edge| self.set.nodes.get_key_value(&edge.target))
                .collect();
            let element_span = if item.exact {
                Span::new(
                    item.span.file,
                    item.span.start + element.range.start,
                    item.span.start + element.range.end,
                )
            } else {
                item.span
            };
            let namespace =
                self.namespace(&Namespace::Index(element.namespace), element_span, problems)?;
            let mut found = children
                .iter()
                .find(|(_, n)| n.browse_name == (namespace, element.name.clone()));
            let mut uri = String::new();
            if found.is_none() && !element.indexed {
                // A name without an index is namespace 0's (Part 4, A.2); where namespace 0 has
                // no such node, the one node of that name in another namespace, whose index the
                // program asks the server for.
                let named: Vec<&(&Key, &Node)> = children
                    .iter()
                    .filter(|(_, n)| n.browse_name.1 == element.name)
                    .collect();
                match named.as_slice() {
                    [] => {}
                    [one] => {
                        found = Some(one);
                        uri = self
                            .set
                            .namespace_uris
                            .get(usize::from(one.1.browse_name.0).wrapping_sub(1))
                            .cloned()
                            .unwrap_or_default();
                    }
                    several => {
                        problems.push(self.ambiguous(item, element, element_span, several));
                        return None;
                    }
                }
            }
            if let Some((key, _)) = found {
                current = (*key).clone();
                walked.push_str(&item.text[element.range.clone()]);
                uris.push(uri);
                continue;
            }
            let step = if element.step == Step::Hierarchical {
                '/'
            } else {
                '.'
            };
            let shown: Vec<String> = children
                .iter()
                .filter_map(|(_, n)| {
                    // As the path writes its names: with an index, or without.
                    if !element.indexed {
                        return Some(format!("{step}{}", browse_path::escape(&n.browse_name.1)));
                    }
                    let index = self.server_index(n.browse_name.0)?;
                    Some(format!(
                        "{step}{index}:{}",
                        browse_path::escape(&n.browse_name.1)
                    ))
                })
                .collect();
            let written = &item.text[element.range.clone()];
            let near = closest(written, shown.iter().map(String::as_str));
            if namespace == 0 && !self.has_base_namespace() && (element.indexed || near.is_none()) {
                // A standard node (`/0:Server`, `/Server`): not in a companion NodeSet, and not
                // checked; a name without an index close to one there is taken for a typo.
                return None;
            }
            let help = match near {
                Some(near) if item.exact => format!("did you mean `{near}`?"),
                Some(near) => format!("the closest is `{near}`"),
                None if shown.is_empty() => format!(
                    "the NodeSet has nothing below `{}` by {}",
                    if walked.is_empty() {
                        "the Objects folder"
                    } else {
                        &walked
                    },
                    if element.step == Step::Hierarchical {
                        "a hierarchical reference (`/`)"
                    } else {
                        "a component or property (`.`)"
                    }
                ),
                None => format!(
                    "below it are {}",
                    list(&shown.iter().map(String::as_str).collect::<Vec<_>>())
                ),
            };
            problems.push(
                Diagnostic::error(
                    Code::NodeNotInNodeset,
                    format!(
                        "`{written}` is not in the NodeSet below `{}`",
                        if walked.is_empty() {
                            "Objects"
                        } else {
                            &walked
                        }
                    ),
                )
                .label(element_span, "no such node there")
                .help(help),
            );
            return None;
        }
        Some((current, uris))
    }

    /// E0707: a name without an index that several namespaces have at that place of the path.
    fn ambiguous(
        &self,
        item: &OpcuaItem,
        element: &browse_path::Element,
        span: Span,
        candidates: &[&(&Key, &Node)],
    ) -> Diagnostic {
        let step = if element.step == Step::Hierarchical {
            '/'
        } else {
            '.'
        };
        let written = &item.text[element.range.clone()];
        let shown: Vec<String> = candidates
            .iter()
            .map(|(key, n)| {
                let uri = self
                    .set
                    .namespace_uris
                    .get(usize::from(n.browse_name.0).wrapping_sub(1))
                    .map_or("", String::as_str);
                let name = browse_path::escape(&n.browse_name.1);
                let id = self.set.display(key, true);
                match self.server_index(n.browse_name.0) {
                    Some(index) => format!("`{step}{index}:{name}` ({uri}, the node `{id}`)"),
                    None => format!("`{name}` of {uri} (the node `{id}`)"),
                }
            })
            .collect();
        Diagnostic::error(
            Code::AmbiguousBrowseName,
            format!(
                "`{written}` in `{}` names {} nodes of the NodeSets, in different namespaces",
                item.text,
                candidates.len()
            ),
        )
        .label(span, "which namespace's?")
        .help(format!(
            "write the namespace index of the one you mean, {}; an index is the server's, read in {}; or monitor the node by its id in `nodes:`, which names the namespace by URI",
            shown.join(" or "),
            if self.namespaces.is_empty() {
                "the first NodeSet file's table for this check (`namespaces:` gives the server's)"
            } else {
                "`namespaces:`"
            }
        ))
    }

    /// The Variables whose node id the template `node` (with `{field}`s) can name; E0703 when
    /// none.
    fn template(&self, node: &OpcuaItem, problems: &mut Vec<Diagnostic>) -> Vec<Key> {
        let by_uri = node.text.starts_with("nsu=");
        let matching: Vec<Key> = self
            .variables()
            .filter(|(key, _)| {
                self.show(key, by_uri)
                    .is_some_and(|shown| types::matches_template(&node.text, &shown))
            })
            .map(|(key, _)| key.clone())
            .collect();
        if matching.is_empty() {
            problems.push(
                Diagnostic::error(
                    Code::NodeNotInNodeset,
                    format!("no node of the NodeSet is `{}` for any record", node.text),
                )
                .label(node.span, "matches no node of the NodeSet")
                .help("each `{field}` stands for the text of that field of the record; the node ids of the NodeSet's variables have no such shape (with `ns=N`, N is the NodeSet's own namespace index)"),
            );
        }
        matching
    }

    /// The NodeSet's index of a namespace the mapping names: by URI (`nsu=`), or by index
    /// through `namespaces:` (the server's table) when given, else as the first file's own
    /// index. E0703 when the NodeSet does not have it.
    fn namespace(
        &self,
        namespace: &Namespace,
        span: Span,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<u16> {
        let uri = match namespace {
            Namespace::Index(0) => return Some(0),
            Namespace::Index(index) if self.namespaces.is_empty() => {
                if usize::from(*index) <= self.set.namespace_uris.len() {
                    return Some(*index);
                }
                problems.push(
                    Diagnostic::error(Code::NodeNotInNodeset, format!("the NodeSet has no namespace {index}"))
                        .label(span, format!("namespace {index}"))
                        .help(format!(
                            "without `namespaces:`, a namespace index is read in the first NodeSet file's own table, where {}; give the server's table with `namespaces: [\"<uri of ns=1>\", ...]`, or name the namespace by its URI (`nsu=<uri>;`)",
                            self.file_table()
                        )),
                );
                return None;
            }
            Namespace::Index(index) => match self.namespaces.get(usize::from(*index) - 1) {
                Some(uri) => uri.text.clone(),
                None => {
                    problems.push(
                        Diagnostic::error(Code::NodeNotInNodeset, format!("`namespaces:` has no namespace {index}"))
                            .label(span, format!("namespace {index}"))
                            .help(format!("`namespaces:` lists the server's namespace URIs from index 1, and it lists {}", self.namespaces.len())),
                    );
                    return None;
                }
            },
            Namespace::Uri(uri) => uri.clone(),
        };
        let found = self.set.index_of(&Namespace::Uri(uri.clone()));
        if found.is_none() {
            let uris: Vec<&str> = self.set.namespace_uris.iter().map(String::as_str).collect();
            let help = match closest(&uri, uris.iter().copied()) {
                Some(near) => format!(
                    "the NodeSet's namespaces are {}; the closest is `{near}`",
                    list(&uris)
                ),
                None => format!("the NodeSet's namespaces are {}", list(&uris)),
            };
            problems.push(
                Diagnostic::error(
                    Code::NodeNotInNodeset,
                    format!("the namespace `{uri}` is not in the NodeSet"),
                )
                .label(span, "a namespace the NodeSet does not define")
                .help(help),
            );
        }
        found
    }

    /// The index the mapping writes for the NodeSet's namespace `index`: through `namespaces:`
    /// when given; `None` when it does not list it.
    pub(super) fn server_index(&self, index: u16) -> Option<u16> {
        if index == 0 || self.namespaces.is_empty() {
            return Some(index);
        }
        let uri = self.set.namespace_uris.get(usize::from(index) - 1)?;
        let at = self.namespaces.iter().position(|n| &n.text == uri)?;
        u16::try_from(at + 1).ok()
    }

    /// A node id of the NodeSet as the mapping writes it: `nsu=` when it names namespaces by
    /// URI, else `ns=` with the mapping's index.
    pub(super) fn show(&self, key: &Key, by_uri: bool) -> Option<String> {
        if by_uri {
            return Some(self.set.display(key, true));
        }
        let index = self.server_index(key.0)?;
        Some(self.set.display(&(index, key.1.clone()), false))
    }

    /// `1 = <uri>, 2 = <uri>`: the first file's namespace table.
    fn file_table(&self) -> String {
        let entries: Vec<String> = self
            .set
            .namespace_uris
            .iter()
            .enumerate()
            .map(|(i, uri)| format!("{} is `{uri}`", i + 1))
            .collect();
        entries.join(", ")
    }

    /// Whether the NodeSets include namespace 0 itself (the base `Opc.Ua.NodeSet2.xml`), so
    /// that its nodes can be checked too.
    fn has_base_namespace(&self) -> bool {
        self.set
            .nodes
            .contains_key(&(0, Identifier::Numeric(OBJECTS)))
    }

    fn variables(&self) -> impl Iterator<Item = (&Key, &Node)> {
        self.set
            .nodes
            .iter()
            .filter(|(_, n)| n.class == NodeClass::Variable)
    }

    /// A source's `value` field against the monitored node's DataType.
    fn source_value(
        &self,
        item: &OpcuaItem,
        key: &Key,
        value: Option<&Field>,
        problems: &mut Vec<Diagnostic>,
    ) {
        let node = &self.set.nodes[key];
        if node.class != NodeClass::Variable {
            let near = value.and_then(|field| self.fitting_near(item, key, field));
            problems.push(self.no_value(item, node, near));
            return;
        }
        let Some(field) = value else { return };
        let value_type = types::value_type(self.set, node);
        match types::source_fits(&value_type, &field.ty, &self.program.schema) {
            Fit::Yes => self.check_unit(item, key, field, true, problems),
            Fit::Unknown => {}
            Fit::No => problems.push(self.mismatch(item, key, field, &value_type, true)),
        }
    }

    /// A target's written field against the node's DataType.
    fn target_node(
        &self,
        write: &ir::OpcuaWrite,
        field: &Field,
        key: &Key,
        problems: &mut Vec<Diagnostic>,
    ) {
        let node = &self.set.nodes[key];
        if node.class != NodeClass::Variable {
            problems.push(self.no_value(&write.node, node, None));
            return;
        }
        let value_type = types::value_type(self.set, node);
        match types::target_fits(&field.ty, &value_type, &self.program.schema) {
            Fit::Yes => self.check_unit(&write.node, key, field, false, problems),
            Fit::Unknown => {}
            Fit::No => problems.push(self.mismatch(&write.node, key, field, &value_type, false)),
        }
    }

    fn no_value(&self, item: &OpcuaItem, node: &Node, near: Option<String>) -> Diagnostic {
        Diagnostic::error(
            Code::NodeTypeMismatch,
            format!(
                "`{}` is {}, which has no value",
                item.text,
                node.class.describe()
            ),
        )
        .label(
            item.span,
            format!("{} `{}`", node.class.describe(), node.browse_name.1),
        )
        .label(self.xml_span(node), "declared here")
        .help(match near {
            Some(near) => format!("name one of its Variables: did you mean `{near}`?"),
            None => {
                "name one of its Variables (a component or property of it holds its values)".into()
            }
        })
    }

    fn mismatch(
        &self,
        item: &OpcuaItem,
        key: &Key,
        field: &Field,
        value_type: &ValueType,
        source: bool,
    ) -> Diagnostic {
        let node = &self.set.nodes[key];
        let near = if source {
            self.fitting_near(item, key, field)
        } else {
            None
        };
        let data_type = types::data_type_name(self.set, node);
        let field_type = types::describe_field(&field.ty);
        let (message, help) = if source {
            (
                format!(
                    "`{}` holds a {data_type}, and `{}.{}` is {field_type}",
                    item.text, self.entity.name, field.name
                ),
                types::source_help(value_type, &field.name),
            )
        } else {
            (
                format!(
                    "`{}.{}` is {field_type}, and `{}` holds a {data_type}",
                    self.entity.name, field.name, item.text
                ),
                types::target_help(value_type, &field.name),
            )
        };
        Diagnostic::error(Code::NodeTypeMismatch, message)
            .label(item.span, format!("a {data_type} node"))
            .label(field.span, format!("`{}` is declared here", field.name))
            .label(self.xml_span(node), format!("DataType {data_type}"))
            .help(match near {
                Some(near) => format!("{help}; or did you mean `{near}`?"),
                None => help,
            })
    }

    pub(super) fn xml_span(&self, node: &Node) -> Span {
        Span::new(
            self.xml[node.file],
            node.data_type_range.start,
            node.data_type_range.end,
        )
    }
}

fn list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    quoted.join(", ")
}
