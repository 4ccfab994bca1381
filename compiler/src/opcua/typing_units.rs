//! The units half of the NodeSet typing, and the nodes it offers instead of a wrong one.
//!
//! A Variable's unit is its `EngineeringUnits` property (`engineering_units.rs` reads it). A
//! `float` field that reads or writes the node must be declared in that unit (E0705): the run
//! never converts a node's values on its own, as values of different units never meet in a
//! mapping without an `as [unit]` (docs/language.md); a flow converts where it needs another
//! unit, and the schema says what the data is. A unit fdi does not know is E0706: an error when
//! the field declares a unit (which then cannot be checked), a warning when it declares none.
//! A node without `EngineeringUnits` is not checked: its unit, if any, is the server's secret.
//! `int` fields carry no unit in fdi, so integer nodes' units are not compared.

use super::browse_path;
use super::engineering_units::NodeUnit;
use super::nodeset::{Key, Node, NodeClass, AGGREGATES};
use super::types::{self, Fit};
use super::typing::Typing;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::OpcuaItem;
use crate::schema::{Field, FieldType};
use crate::source_map::Span;

/// How a node's unit stands to a field's.
pub(super) enum UnitFit {
    /// Nothing to compare: the field is not a float, or the node has no EngineeringUnits, or
    /// both are in the same unit.
    Fits,
    /// The node's unit is one fdi does not know.
    Unknown {
        property: Key,
        shown: String,
        why: String,
    },
    /// The node is in `text` (fdi's spelling), which is not the field's unit (or the field has
    /// none).
    Differs {
        property: Key,
        unit: crate::units::Unit,
        text: String,
        shown: String,
    },
}

impl Typing<'_> {
    /// The `EngineeringUnits` property of a Variable that holds an EUInformation.
    fn engineering_units(&self, key: &Key) -> Option<(&Key, &Node)> {
        self.set.engineering_units(key)
    }

    /// How the node's unit stands to `field`'s.
    pub(super) fn unit_fit(&self, key: &Key, field: &Field) -> UnitFit {
        if field.ty != FieldType::Float {
            return UnitFit::Fits;
        }
        let Some((property, node)) = self.engineering_units(key) else {
            return UnitFit::Fits;
        };
        let Some(info) = &node.engineering_units else {
            return UnitFit::Fits;
        };
        match info.unit() {
            NodeUnit::Known { unit, text, shown } => match &field.unit {
                Some(declared) if declared.unit.same_unit(&unit) => UnitFit::Fits,
                _ => UnitFit::Differs {
                    property: property.clone(),
                    unit,
                    text,
                    shown,
                },
            },
            NodeUnit::Unknown { shown, why } => UnitFit::Unknown {
                property: property.clone(),
                shown,
                why,
            },
        }
    }

    /// E0705 or E0706 for a node whose unit does not fit `field`'s, labelled on the node in
    /// the mapping, the field in the schema and the unit in the NodeSet.
    pub(super) fn check_unit(
        &self,
        item: &OpcuaItem,
        key: &Key,
        field: &Field,
        source: bool,
        problems: &mut Vec<Diagnostic>,
    ) {
        let field_span = field.unit.as_ref().map_or(field.span, |u| u.span);
        let field_unit = field.unit.as_ref().map(|u| u.unit.to_string());
        let whose = format!("`{}.{}`", self.entity.name, field.name);
        match self.unit_fit(key, field) {
            UnitFit::Fits => {}
            UnitFit::Unknown {
                property,
                shown,
                why,
            } => {
                let node = &self.set.nodes[&property];
                let diagnostic = match &field_unit {
                    Some(declared) => Diagnostic::error(
                        Code::NodeUnitUnknown,
                        format!("`{}` is in {shown}, which fdi cannot compare with {whose}'s `{declared}`: {why}", item.text),
                    )
                    .help(format!("fdi cannot check that the values are in `{declared}`: declare `{}` as a plain `float` and give it its unit in the flow (`{} as [{declared}]`) once you know the node is in it, or monitor a node whose unit fdi knows (the units are in compiler/src/units/units.yaml)", field.name, field.name)),
                    None => Diagnostic::warning(
                        Code::NodeUnitUnknown,
                        format!("`{}` is in {shown}, which fdi does not know: {why}; {whose} reads its values as plain numbers", item.text),
                    )
                    .help(format!("the values of `{}` carry no unit in the mapping; a flow gives them one with `{} as [UNIT]` where it knows it", field.name, field.name)),
                };
                problems.push(
                    diagnostic
                        .label(item.span, "a node in a unit fdi does not know")
                        .label(field_span, format!("`{}` is declared here", field.name))
                        .label(self.unit_span(node), "its EngineeringUnits"),
                );
            }
            UnitFit::Differs {
                property,
                unit,
                text,
                shown,
            } => {
                let node = &self.set.nodes[&property];
                let message = match &field_unit {
                    Some(declared) if source => format!(
                        "`{}` is in {shown}, and {whose} is in `{declared}`",
                        item.text
                    ),
                    Some(declared) => format!(
                        "{whose} is in `{declared}`, and `{}` is in {shown}",
                        item.text
                    ),
                    None => format!(
                        "`{}` is in {shown}, and {whose} declares no unit",
                        item.text
                    ),
                };
                let declare = if source {
                    format!(
                        "declare the field in the node's unit, `{}: \"float[{text}]\"` (or `unit: {text}`), so that the mapping knows what its values are",
                        field.name
                    )
                } else {
                    format!(
                        "write a field in the node's unit: declare `{}: \"float[{text}]\"` and convert into it in the flow",
                        field.name
                    )
                };
                let convert = match field.unit.as_ref().map(|u| &u.unit) {
                    Some(declared) if source && declared.conversion_to(&unit).is_some() => format!(
                        "; the flow converts where it needs `{declared}`: `{} as [{declared}]`, since the run never converts a node's values on its own",
                        field.name
                    ),
                    Some(declared) if source && unit.angle_difference(declared).is_some() => format!(
                        "; `{text}` and `{declared}` differ by an angle (a count per time is not an angular speed): the flow converts with `({} * 1[rev]) as [{declared}]` where a revolution is what is counted",
                        field.name
                    ),
                    Some(declared) if !unit.same_dimension(declared) => format!(
                        "; `{text}` is {} and `{declared}` {}, which no conversion turns into each other",
                        a(&unit.dimension_name()), a(&declared.dimension_name())
                    ),
                    _ => String::new(),
                };
                // Another node in the field's unit, when the field has one.
                let near = field_unit
                    .as_ref()
                    .and_then(|declared| {
                        let near = self.fitting_near(item, key, field)?;
                        Some(format!(
                            "; or did you mean `{near}`, a node in `{declared}`?"
                        ))
                    })
                    .unwrap_or_default();
                problems.push(
                    Diagnostic::error(Code::NodeUnitMismatch, message)
                        .label(item.span, format!("a node in `{text}`"))
                        .label(
                            field_span,
                            match &field_unit {
                                Some(declared) => format!("`{}` is in `{declared}`", field.name),
                                None => format!("`{}` has no unit", field.name),
                            },
                        )
                        .label(self.unit_span(node), format!("EngineeringUnits `{text}`"))
                        .help(format!("{declare}{convert}{near}")),
                );
            }
        }
    }

    /// Where an EngineeringUnits property's UnitId is.
    fn unit_span(&self, node: &Node) -> Span {
        let range = node
            .engineering_units
            .as_ref()
            .map_or(node.data_type_range.clone(), |eu| eu.range.clone());
        Span::new(self.xml[node.file], range.start, range.end)
    }

    /// The one node near `key` whose values `field` reads (or takes) as it is declared, as
    /// the mapping would write it: a Variable of an Object the item names, or a sibling of a
    /// Variable of another type or unit. `None` when there is none, or more than one.
    pub(super) fn fitting_near(
        &self,
        item: &OpcuaItem,
        key: &Key,
        field: &Field,
    ) -> Option<String> {
        let node = &self.set.nodes[key];
        let (parent, candidates): (Option<Key>, Vec<&Key>) = if node.class == NodeClass::Variable {
            let parent = self.parent(key)?;
            let siblings = self.components(&parent);
            (Some(parent), siblings)
        } else {
            (None, self.components(key))
        };
        let fitting: Vec<&Key> = candidates
            .into_iter()
            .filter(|k| *k != key)
            .filter(|k| self.fits(k, field))
            .collect();
        let [found] = fitting.as_slice() else {
            return None;
        };
        let found_node = &self.set.nodes[*found];
        if item.text.starts_with(['/', '.']) {
            // A browse path: its last element replaced by the sibling, or the Object's path
            // followed by its component.
            let mut elements = browse_path::parse(&item.text).ok()?;
            let base = if parent.is_some() {
                let last = elements.pop()?;
                &item.text[..last.range.start]
            } else {
                item.text.as_str()
            };
            // A component or property is reached by `.` from its parent.
            let index = self.server_index(found_node.browse_name.0)?;
            Some(format!(
                "{base}.{index}:{}",
                browse_path::escape(&found_node.browse_name.1)
            ))
        } else {
            self.show(found, item.text.starts_with("nsu="))
        }
    }

    /// Whether a node is a Variable whose values `field` reads, in `field`'s unit.
    fn fits(&self, key: &Key, field: &Field) -> bool {
        let node = &self.set.nodes[key];
        node.class == NodeClass::Variable
            && types::source_fits(
                &types::value_type(self.set, node),
                &field.ty,
                &self.program.schema,
            ) == Fit::Yes
            && match self.unit_fit(key, field) {
                UnitFit::Fits => field.unit.is_none() || self.engineering_units(key).is_some(),
                _ => false,
            }
    }

    /// The node of which `key` is a component or property.
    fn parent(&self, key: &Key) -> Option<Key> {
        self.set.edges.iter().find_map(|(from, edges)| {
            edges
                .iter()
                .any(|e| &e.target == key && self.set.is_subtype(&e.reference_type, AGGREGATES))
                .then(|| from.clone())
        })
    }

    /// The components and properties of a node, in the order of their keys.
    fn components(&self, key: &Key) -> Vec<&Key> {
        let mut found: Vec<&Key> = self
            .set
            .edges
            .get(key)
            .into_iter()
            .flatten()
            .filter(|e| self.set.is_subtype(&e.reference_type, AGGREGATES))
            .filter_map(|e| self.set.nodes.get_key_value(&e.target).map(|(k, _)| k))
            .collect();
        found.sort();
        found.dedup();
        found
    }
}

/// `a length`, `an angle`; `dimensionless` stays an adjective.
fn a(noun: &str) -> String {
    if noun == "dimensionless" {
        noun.to_string()
    } else if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {noun}")
    } else {
        format!("a {noun}")
    }
}
