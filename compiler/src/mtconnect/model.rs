//! An MTConnect device model (an `MTConnectDevices` document: a `Devices.xml`, or what an
//! agent's `/probe` answers), read with roxmltree into what the typing needs: each device's
//! data items with their id, name, category, type, subType, units, native units,
//! representation and constrained values, and where each is in the file.
//!
//! Read leniently, as an agent's clients read it: real documents do not all validate (the NIST
//! testbed's uses a namespace prefix it never declares, SimpleCnc's a native unit the schema
//! lacks). What a client would still understand is read; what cannot be used is skipped and
//! listed in [`DeviceModel::skipped`], never dropped silently. Only a document that is not XML
//! at all, or not an `MTConnectDevices` document, is refused.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::ops::Range;

/// The namespace URI a document uses for a prefix it uses but never declares, so that the
/// rest of it can be read. Never shown: the skipped note names the prefix.
const UNDECLARED: &str = "urn:fdi:undeclared-prefix:";

/// At most this many undeclared prefixes are declared for a document before it is refused.
const MAX_UNDECLARED_PREFIXES: usize = 16;

/// Everything read from one `MTConnectDevices` document.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceModel {
    /// The MTConnect version the document says it follows (its namespace, else its header).
    pub version: Option<String>,
    /// The `Device` elements (and, from 2.0, the `Agent`), in the order of the document.
    pub devices: Vec<Device>,
    /// What was read past, in the order of the document.
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub id: Option<String>,
    pub name: Option<String>,
    pub uuid: Option<String>,
    /// `Device` or `Agent`.
    pub element: String,
    /// Where its start tag's name is.
    pub range: Range<usize>,
    pub data_items: Vec<DataItem>,
}

impl Device {
    /// The name a mapping's `device:` gives it, which the records carry: its `name`, else its
    /// `uuid`, else its `id`.
    pub fn label(&self) -> &str {
        self.name
            .as_deref()
            .or(self.uuid.as_deref())
            .or(self.id.as_deref())
            .unwrap_or("")
    }

    /// Whether `text` names the device: its name, uuid or id.
    pub fn is_named(&self, text: &str) -> bool {
        [&self.name, &self.uuid, &self.id]
            .into_iter()
            .any(|n| n.as_deref() == Some(text))
    }

    /// The data item a mapping names by `text`: by id first (ids are unique in a document),
    /// then by name. `None` when neither matches.
    pub fn data_item(&self, text: &str) -> Option<&DataItem> {
        self.data_items.iter().find(|d| d.id == text).or_else(|| {
            self.data_items
                .iter()
                .find(|d| d.name.as_deref() == Some(text))
        })
    }
}

/// One `DataItem` of a device.
#[derive(Debug, Clone, PartialEq)]
pub struct DataItem {
    pub id: String,
    pub name: Option<String>,
    /// `SAMPLE`, `EVENT` or `CONDITION`.
    pub category: Category,
    /// As written (`EXECUTION`, or an extension such as `x:MOTION`).
    pub type_name: String,
    pub sub_type: Option<String>,
    pub units: Option<String>,
    pub native_units: Option<String>,
    /// `VALUE` when the document does not say.
    pub representation: String,
    /// The values its `Constraints` allow (`<Value>SPINDLE</Value>`); empty when unconstrained.
    pub constraint_values: Vec<String>,
    /// The names of the components it belongs to, outermost first (`Controller`, `path`).
    pub component_path: Vec<String>,
    /// Where its `id` attribute's value is, for labels.
    pub id_range: Range<usize>,
    /// Where its `type` attribute's value is.
    pub type_range: Range<usize>,
    /// Where its `units` attribute's value is, when it has one.
    pub units_range: Option<Range<usize>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Sample,
    Event,
    Condition,
}

impl Category {
    fn parse(text: &str) -> Option<Category> {
        Some(match text {
            "SAMPLE" => Category::Sample,
            "EVENT" => Category::Event,
            "CONDITION" => Category::Condition,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Sample => "SAMPLE",
            Category::Event => "EVENT",
            Category::Condition => "CONDITION",
        }
    }
}

/// Something of the document that was read past, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub range: Range<usize>,
    pub what: String,
}

impl DeviceModel {
    /// Reads an `MTConnectDevices` document; `Err` says why the text is not one, in words that
    /// follow "the device model cannot be used: ".
    pub fn parse(text: &str) -> Result<DeviceModel, String> {
        let (repaired, repairs) = declare_undeclared_prefixes(text)?;
        let document = roxmltree::Document::parse(&repaired).map_err(|e| describe(&e))?;
        let root = document.root_element();
        if root.tag_name().name() != "MTConnectDevices" {
            return Err(format!(
                "it is not an MTConnect device model: its root element is `{}`, not `MTConnectDevices` (a `/probe` answer or a `Devices.xml`)",
                root.tag_name().name()
            ));
        }
        let shift = |range: Range<usize>| repairs.original(range);
        let mut model = DeviceModel {
            version: version(&root),
            devices: Vec::new(),
            skipped: Vec::new(),
        };
        for prefix in &repairs.prefixes {
            model.skipped.push(Skipped {
                range: prefix.1.clone(),
                what: format!(
                    "the namespace prefix `{}` is used but never declared; its elements are read by their local names",
                    prefix.0
                ),
            });
        }
        let Some(devices) = child(&root, "Devices") else {
            return Err("it has no `Devices` element".into());
        };
        let mut undeclared_values: HashMap<String, (usize, Range<usize>)> = HashMap::new();
        for element in devices.children().filter(|n| n.is_element()) {
            let tag = element.tag_name().name();
            if tag != "Device" && tag != "Agent" {
                model.skipped.push(Skipped {
                    range: shift(element.range_qname_start()),
                    what: format!("`{tag}` in `Devices` is neither a `Device` nor an `Agent`"),
                });
                continue;
            }
            let mut device = Device {
                id: element.attribute("id").map(str::to_string),
                name: element.attribute("name").map(str::to_string),
                uuid: element.attribute("uuid").map(str::to_string),
                element: tag.to_string(),
                range: shift(element.range_qname_start()),
                data_items: Vec::new(),
            };
            let mut reader = ItemReader {
                skipped: &mut model.skipped,
                undeclared_values: &mut undeclared_values,
                shift: &shift,
                seen: HashSet::new(),
            };
            reader.walk(element, &mut Vec::new(), &mut device.data_items);
            model.devices.push(device);
        }
        let mut undeclared: Vec<(String, (usize, Range<usize>))> =
            undeclared_values.into_iter().collect();
        undeclared.sort_by_key(|(_, (_, first))| first.start);
        for (prefix, (count, first)) in undeclared {
            // One note per prefix, where it is first used.
            model.skipped.push(Skipped {
                range: first,
                what: format!(
                    "{count} data item{} of an extension type with the prefix `{prefix}:`, which the document does not declare: read, but not typed",
                    if count == 1 { "" } else { "s" },
                ),
            });
        }
        if model.devices.is_empty() {
            return Err("its `Devices` element has no `Device`".into());
        }
        Ok(model)
    }

    /// The device a mapping's `device:` names; without one, the model's only `Device` (an
    /// `Agent` is never the default).
    pub fn device(&self, name: Option<&str>) -> Option<&Device> {
        match name {
            Some(name) => self.devices.iter().find(|d| d.is_named(name)),
            None => {
                let mut devices = self.devices.iter().filter(|d| d.element == "Device");
                let only = devices.next()?;
                devices.next().is_none().then_some(only)
            }
        }
    }
}

/// The data items under a device, each once.
struct ItemReader<'m, 's> {
    skipped: &'m mut Vec<Skipped>,
    /// Each prefix used undeclared in a `type`: how often, and where first.
    undeclared_values: &'m mut HashMap<String, (usize, Range<usize>)>,
    shift: &'s dyn Fn(Range<usize>) -> Range<usize>,
    /// The ids read so far in this device.
    seen: HashSet<String>,
}

impl ItemReader<'_, '_> {
    fn walk(
        &mut self,
        element: roxmltree::Node,
        path: &mut Vec<String>,
        items: &mut Vec<DataItem>,
    ) {
        for child in element.children().filter(|n| n.is_element()) {
            match child.tag_name().name() {
                "DataItems" => {
                    for item in child.children().filter(|n| n.is_element()) {
                        if item.tag_name().name() == "DataItem" {
                            if let Some(read) = self.data_item(item, path) {
                                items.push(read);
                            }
                        }
                    }
                }
                "Components" => {
                    for component in child.children().filter(|n| n.is_element()) {
                        let label = component
                            .attribute("name")
                            .or(component.attribute("id"))
                            .unwrap_or(component.tag_name().name());
                        path.push(format!("{} {label}", component.tag_name().name()));
                        self.walk(component, path, items);
                        path.pop();
                    }
                }
                // Configuration, Description, References, Compositions...: no data items.
                _ => {}
            }
        }
    }

    fn data_item(&mut self, item: roxmltree::Node, path: &[String]) -> Option<DataItem> {
        let start = (self.shift)(item.range_qname_start());
        let Some(id) = item.attribute_node("id") else {
            self.skipped.push(Skipped {
                range: start,
                what: "a `DataItem` without an `id` cannot be named or observed".into(),
            });
            return None;
        };
        let id_text = id.value().to_string();
        if !self.seen.insert(id_text.clone()) {
            self.skipped.push(Skipped {
                range: (self.shift)(id.range_value()),
                what: format!(
                    "a second `DataItem` with the id `{id_text}`; the first is the one read"
                ),
            });
            return None;
        }
        let category_text = item.attribute("category").unwrap_or("");
        let Some(category) = Category::parse(category_text) else {
            self.skipped.push(Skipped {
                range: (self.shift)(id.range_value()),
                what: format!(
                    "the `DataItem` `{id_text}` has the category `{category_text}`, not SAMPLE, EVENT or CONDITION"
                ),
            });
            return None;
        };
        let Some(type_attribute) = item.attribute_node("type") else {
            self.skipped.push(Skipped {
                range: (self.shift)(id.range_value()),
                what: format!("the `DataItem` `{id_text}` has no `type`"),
            });
            return None;
        };
        // An extension type (`x:MOTION`) whose prefix the document never declares: its meaning
        // is nobody's, so it is read but cannot be typed. (An undeclared prefix in a `subType`
        // changes nothing the typing uses.)
        if let Some((prefix, _)) = type_attribute.value().split_once(':') {
            if item.lookup_namespace_uri(Some(prefix)).is_none() {
                let at = type_attribute.range_value();
                let used = (self.shift)(at.start..at.start + prefix.len() + 1);
                self.undeclared_values
                    .entry(prefix.to_string())
                    .or_insert((0, used))
                    .0 += 1;
            }
        }
        let units = item.attribute_node("units");
        if let Some(units) =
            units.filter(|u| super::standard::unit(u.value()) == super::standard::Unit::Unknown)
        {
            self.skipped.push(Skipped {
                range: (self.shift)(units.range_value()),
                what: format!(
                    "the units `{}` of the data item `{id_text}` are not a unit of the MTConnect standard: its values are read as numbers without a unit, unchecked",
                    units.value()
                ),
            });
        }
        let constraint_values = item
            .children()
            .filter(|n| n.tag_name().name() == "Constraints")
            .flat_map(|c| c.children())
            .filter(|n| n.tag_name().name() == "Value")
            .filter_map(|v| v.text())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        Some(DataItem {
            id: id_text,
            name: item.attribute("name").map(str::to_string),
            category,
            type_name: type_attribute.value().to_string(),
            sub_type: item.attribute("subType").map(str::to_string),
            units: item.attribute("units").map(str::to_string),
            native_units: item.attribute("nativeUnits").map(str::to_string),
            representation: item
                .attribute("representation")
                .unwrap_or("VALUE")
                .to_string(),
            constraint_values,
            component_path: path.to_vec(),
            id_range: (self.shift)(id.range_value()),
            type_range: (self.shift)(type_attribute.range_value()),
            units_range: units.map(|u| (self.shift)(u.range_value())),
        })
    }
}

/// The version in the document's namespace (`urn:mtconnect.org:MTConnectDevices:1.3`), else
/// in its header.
fn version(root: &roxmltree::Node) -> Option<String> {
    root.tag_name()
        .namespace()
        .and_then(|uri| uri.rsplit_once(':'))
        .map(|(_, version)| version.to_string())
        .filter(|v| v.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .or_else(|| {
            child(root, "Header")
                .and_then(|h| h.attribute("version"))
                .map(str::to_string)
        })
}

fn child<'a, 'i>(node: &roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children()
        .find(|n| n.is_element() && n.tag_name().name() == name)
}

trait StartTag {
    /// Where the element's start tag name is (after `<`).
    fn range_qname_start(&self) -> Range<usize>;
}

impl StartTag for roxmltree::Node<'_, '_> {
    fn range_qname_start(&self) -> Range<usize> {
        let start = self.range().start + 1;
        // The name as written, prefix included.
        let len = self
            .document()
            .input_text()
            .get(start..)
            .and_then(|rest| rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/'))
            .unwrap_or(0);
        start..start + len
    }
}

/// Prefixes declared on the root so that a document that uses them undeclared can be read,
/// and how to map positions back to the original text.
struct Repairs {
    /// Each prefix, and where it was first used in the original text.
    prefixes: Vec<(String, Range<usize>)>,
    /// Where the declarations were inserted, and how many bytes.
    inserted_at: usize,
    inserted_len: usize,
}

impl Repairs {
    fn original(&self, range: Range<usize>) -> Range<usize> {
        let back = |at: usize| {
            if at >= self.inserted_at + self.inserted_len {
                at - self.inserted_len
            } else {
                at.min(self.inserted_at)
            }
        };
        back(range.start)..back(range.end)
    }
}

/// `text`, with a declaration on the root element for each prefix it uses undeclared, so
/// that roxmltree reads it as a namespace-lenient XML reader (libxml2's recover mode, which
/// agents' clients often use) would.
fn declare_undeclared_prefixes(text: &str) -> Result<(Cow<'_, str>, Repairs), String> {
    let mut repairs = Repairs {
        prefixes: Vec::new(),
        inserted_at: 0,
        inserted_len: 0,
    };
    let mut current = Cow::Borrowed(text);
    loop {
        match roxmltree::Document::parse(&current) {
            Ok(_) => return Ok((current, repairs)),
            Err(roxmltree::Error::UnknownNamespace(prefix, position))
                if repairs.prefixes.len() < MAX_UNDECLARED_PREFIXES =>
            {
                let Some(at) = root_name_end(text) else {
                    return Err(describe(&roxmltree::Error::UnknownNamespace(
                        prefix, position,
                    )));
                };
                let offset = byte_offset(&current, position);
                let used_at = repairs.original(offset..offset + prefix.len());
                repairs.prefixes.push((prefix, used_at));
                let declarations: String = repairs
                    .prefixes
                    .iter()
                    .map(|(p, _)| format!(" xmlns:{p}=\"{UNDECLARED}{p}\""))
                    .collect();
                repairs.inserted_at = at;
                repairs.inserted_len = declarations.len();
                current = Cow::Owned(format!("{}{declarations}{}", &text[..at], &text[at..]));
            }
            Err(e) => return Err(describe(&e)),
        }
    }
}

/// Where the root element's name ends: declarations go right after it.
fn root_name_end(text: &str) -> Option<usize> {
    let mut at = 0;
    loop {
        let open = at + text[at..].find('<')?;
        let rest = &text[open + 1..];
        if rest.starts_with('?') || rest.starts_with('!') {
            // A declaration, processing instruction or comment: skip past its end.
            let close = if rest.starts_with("!--") {
                rest.find("-->")? + 3
            } else {
                rest.find('>')? + 1
            };
            at = open + 1 + close;
            continue;
        }
        let name_len = rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
        return Some(open + 1 + name_len);
    }
}

/// The byte offset of a roxmltree position (1-based row and column, in characters).
fn byte_offset(text: &str, position: roxmltree::TextPos) -> usize {
    let row_start: usize = text
        .split_inclusive('\n')
        .take(position.row.saturating_sub(1) as usize)
        .map(str::len)
        .sum();
    let column = position.col.saturating_sub(1) as usize;
    row_start
        + text[row_start..]
            .char_indices()
            .nth(column)
            .map_or(0, |(i, _)| i)
}

fn describe(error: &roxmltree::Error) -> String {
    format!("it is not well-formed XML ({error})")
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
