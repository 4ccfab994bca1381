//! The documents of an MTConnect agent (roxmltree, elements by their local names, any version's
//! namespace): a probe (`MTConnectDevices`), a `/current` or `/sample` (`MTConnectStreams`), an
//! error (`MTConnectError`). Read leniently where an agent would still be understood: a prefix
//! used without its namespace declared (the NIST agent's `x:Motion`) is declared and the
//! document read, and an observation without a data item id or sequence is skipped; each such
//! thing is reported in [`Parsed::skipped`].

/// A document's header: the agent's instance and where its buffer stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    pub instance_id: String,
    pub first_sequence: Option<u64>,
    pub last_sequence: Option<u64>,
    pub next_sequence: Option<u64>,
    pub buffer_size: Option<u64>,
}

/// A data item of a probe.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeItem {
    pub id: String,
    pub name: Option<String>,
    pub category: String,
    pub type_name: String,
    pub sub_type: Option<String>,
    pub units: Option<String>,
    pub representation: Option<String>,
}

/// A device of a probe with every data item under it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeDevice {
    pub id: String,
    pub name: String,
    pub uuid: Option<String>,
    pub data_items: Vec<ProbeItem>,
}

/// One observation of a streams document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamObservation {
    pub device: String,
    pub device_uuid: Option<String>,
    pub data_item_id: String,
    pub name: Option<String>,
    /// `SAMPLE`, `EVENT` or `CONDITION`, from the container (`Samples`, `Events`, `Condition`).
    pub category: String,
    /// A condition's `type`; else the element's name in capitals (`PartCount`: `PART_COUNT`).
    pub type_name: String,
    pub sub_type: Option<String>,
    pub timestamp: String,
    pub sequence: u64,
    /// The text; a condition's level (`NORMAL`...); a data set's entries as `key=value ...`.
    pub value: String,
    pub native_code: Option<String>,
    pub native_severity: Option<String>,
    pub qualifier: Option<String>,
    /// A condition's text.
    pub message: Option<String>,
    pub asset_type: Option<String>,
}

/// What a document holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Document {
    Devices(Header, Vec<ProbeDevice>),
    /// Observations in the order of their sequence numbers.
    Streams(Header, Vec<StreamObservation>),
    /// `(errorCode, text)` of each error.
    Error(Header, Vec<(String, String)>),
}

/// A document and what was skipped to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub document: Document,
    pub skipped: Vec<String>,
}

/// Reads an agent's document.
pub fn parse(text: &str) -> Result<Parsed, String> {
    let mut skipped = Vec::new();
    let mut owned;
    let mut text = text;
    // A prefix used without a declaration: declare it (on the root element) and read again, a few
    // times at most.
    for _ in 0..8 {
        match roxmltree::Document::parse(text) {
            Ok(doc) => return read(&doc, skipped),
            Err(roxmltree::Error::UnknownNamespace(prefix, _)) => {
                let Some(patched) = declare_prefix(text, &prefix) else {
                    return Err(format!("the namespace prefix `{prefix}` is not declared"));
                };
                skipped.push(format!(
                    "the namespace prefix `{prefix}` is used without being declared; read as a namespace of its own"
                ));
                owned = patched;
                text = &owned;
            }
            Err(e) => return Err(format!("not an XML document: {e}")),
        }
    }
    Err("too many undeclared namespace prefixes".into())
}

/// `text` with `xmlns:prefix` declared on its root element.
fn declare_prefix(text: &str, prefix: &str) -> Option<String> {
    let mut at = 0;
    // The root element: the first `<` not opening `<?`, `<!`.
    while let Some(offset) = text[at..].find('<') {
        let start = at + offset;
        let next = text[start + 1..].chars().next()?;
        if next != '?' && next != '!' {
            let name_end = text[start + 1..]
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .map(|e| start + 1 + e)?;
            let mut patched = String::with_capacity(text.len() + 64);
            patched.push_str(&text[..name_end]);
            patched.push_str(&format!(" xmlns:{prefix}=\"urn:fdi:undeclared:{prefix}\""));
            patched.push_str(&text[name_end..]);
            return Some(patched);
        }
        at = start + 1;
    }
    None
}

fn read(doc: &roxmltree::Document<'_>, mut skipped: Vec<String>) -> Result<Parsed, String> {
    let root = doc.root_element();
    let header = root
        .children()
        .find(|n| n.is_element() && n.tag_name().name() == "Header")
        .map(|h| Header {
            instance_id: h.attribute("instanceId").unwrap_or_default().to_string(),
            first_sequence: number(h.attribute("firstSequence")),
            last_sequence: number(h.attribute("lastSequence")),
            next_sequence: number(h.attribute("nextSequence")),
            buffer_size: number(h.attribute("bufferSize")),
        })
        .unwrap_or_default();
    let document = match root.tag_name().name() {
        "MTConnectDevices" => Document::Devices(header, devices(root)),
        "MTConnectStreams" => {
            let mut observations = streams(root, &mut skipped);
            observations.sort_by_key(|o| o.sequence);
            Document::Streams(header, observations)
        }
        "MTConnectError" => {
            let errors = root
                .descendants()
                .filter(|n| n.is_element() && n.tag_name().name() == "Error")
                .map(|e| {
                    (
                        e.attribute("errorCode").unwrap_or_default().to_string(),
                        e.text().unwrap_or_default().trim().to_string(),
                    )
                })
                .collect();
            Document::Error(header, errors)
        }
        other => return Err(format!("`{other}` is not an MTConnect document")),
    };
    Ok(Parsed { document, skipped })
}

fn number(text: Option<&str>) -> Option<u64> {
    text.and_then(|t| t.trim().parse().ok())
}

fn devices(root: roxmltree::Node<'_, '_>) -> Vec<ProbeDevice> {
    root.descendants()
        .filter(|n| {
            n.is_element()
                && matches!(n.tag_name().name(), "Device" | "Agent")
                && n.parent_element()
                    .is_some_and(|p| p.tag_name().name() == "Devices")
        })
        .map(|d| ProbeDevice {
            id: d.attribute("id").unwrap_or_default().to_string(),
            name: d.attribute("name").unwrap_or_default().to_string(),
            uuid: d.attribute("uuid").map(str::to_string),
            data_items: d
                .descendants()
                .filter(|n| n.is_element() && n.tag_name().name() == "DataItem")
                .map(|i| ProbeItem {
                    id: i.attribute("id").unwrap_or_default().to_string(),
                    name: i.attribute("name").map(str::to_string),
                    category: i.attribute("category").unwrap_or_default().to_string(),
                    type_name: i.attribute("type").unwrap_or_default().to_string(),
                    sub_type: i.attribute("subType").map(str::to_string),
                    units: i.attribute("units").map(str::to_string),
                    representation: i.attribute("representation").map(str::to_string),
                })
                .collect(),
        })
        .collect()
}

fn streams(root: roxmltree::Node<'_, '_>, skipped: &mut Vec<String>) -> Vec<StreamObservation> {
    let mut out = Vec::new();
    for device in root
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "DeviceStream")
    {
        let device_name = device.attribute("name").unwrap_or_default();
        for container in device.descendants().filter(|n| {
            n.is_element() && matches!(n.tag_name().name(), "Samples" | "Events" | "Condition")
        }) {
            let category = match container.tag_name().name() {
                "Samples" => "SAMPLE",
                "Events" => "EVENT",
                _ => "CONDITION",
            };
            for element in container.children().filter(|n| n.is_element()) {
                let (Some(id), Some(sequence)) = (
                    element.attribute("dataItemId"),
                    number(element.attribute("sequence")),
                ) else {
                    skipped.push(format!(
                        "a <{}> of {device_name} without a dataItemId or sequence",
                        element.tag_name().name()
                    ));
                    continue;
                };
                let tag = element.tag_name().name();
                let text = value_text(element);
                let mut o = StreamObservation {
                    device: device_name.to_string(),
                    device_uuid: device.attribute("uuid").map(str::to_string),
                    data_item_id: id.to_string(),
                    name: element.attribute("name").map(str::to_string),
                    category: category.to_string(),
                    type_name: upper_snake(tag),
                    sub_type: element.attribute("subType").map(str::to_string),
                    timestamp: element
                        .attribute("timestamp")
                        .unwrap_or_default()
                        .to_string(),
                    sequence,
                    value: text.clone(),
                    native_code: element.attribute("nativeCode").map(str::to_string),
                    native_severity: element.attribute("nativeSeverity").map(str::to_string),
                    qualifier: element.attribute("qualifier").map(str::to_string),
                    message: None,
                    asset_type: element.attribute("assetType").map(str::to_string),
                };
                if category == "CONDITION" {
                    o.type_name = element.attribute("type").unwrap_or_default().to_string();
                    o.value = tag.to_ascii_uppercase();
                    o.message = Some(text).filter(|t| !t.is_empty());
                }
                out.push(o);
            }
        }
    }
    out
}

/// An element's value as text: its text trimmed, or a data set's or table's entries as
/// `key=value` separated by spaces (a table's cells as `key={cell=value ...}`).
fn value_text(element: roxmltree::Node<'_, '_>) -> String {
    let entries: Vec<String> = element
        .children()
        .filter(|n| n.is_element() && n.tag_name().name() == "Entry")
        .map(|entry| {
            let key = entry.attribute("key").unwrap_or_default();
            let cells: Vec<String> = entry
                .children()
                .filter(|n| n.is_element() && n.tag_name().name() == "Cell")
                .map(|c| {
                    format!(
                        "{}={}",
                        c.attribute("key").unwrap_or_default(),
                        c.text().unwrap_or_default().trim()
                    )
                })
                .collect();
            if cells.is_empty() {
                format!("{key}={}", entry.text().unwrap_or_default().trim())
            } else {
                format!("{key}={{{}}}", cells.join(" "))
            }
        })
        .collect();
    if entries.is_empty() {
        element.text().unwrap_or_default().trim().to_string()
    } else {
        entries.join(" ")
    }
}

/// `PartCount` -> `PART_COUNT`, `PathFeedrate` -> `PATH_FEEDRATE`.
fn upper_snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mtconnect/data/");

    fn file(name: &str) -> String {
        std::fs::read_to_string(format!("{DATA}{name}")).expect("test document")
    }

    #[test]
    fn the_okuma_probe_has_its_devices_and_data_items() {
        let parsed = parse(&file("okuma_Devices.xml")).unwrap();
        let Document::Devices(_, devices) = parsed.document else {
            panic!("a probe")
        };
        let okuma = devices.iter().find(|d| d.name == "OKUMA").unwrap();
        assert_eq!(okuma.uuid.as_deref(), Some("OKUMA.123456"));
        let execution = okuma
            .data_items
            .iter()
            .find(|i| i.name.as_deref() == Some("pexecution"))
            .unwrap();
        assert_eq!(
            (
                execution.id.as_str(),
                execution.category.as_str(),
                execution.type_name.as_str()
            ),
            ("Lpexecution", "EVENT", "EXECUTION")
        );
    }

    #[test]
    fn the_simple_stream_has_its_observations_in_sequence_order() {
        let parsed = parse(&file("SimpleStream.xml")).unwrap();
        let Document::Streams(header, observations) = parsed.document else {
            panic!("streams")
        };
        assert!(!header.instance_id.is_empty());
        assert!(header.next_sequence.is_some());
        assert!(observations
            .windows(2)
            .all(|w| w[0].sequence <= w[1].sequence));
        let part_count = observations
            .iter()
            .find(|o| o.type_name == "PART_COUNT")
            .unwrap();
        assert_eq!(part_count.value, "662");
        assert_eq!(part_count.category, "EVENT");
        let fault = observations.iter().find(|o| o.value == "FAULT").unwrap();
        assert_eq!(fault.category, "CONDITION");
        assert_eq!(fault.native_code.as_deref(), Some("MOT-OVR"));
    }

    #[test]
    fn the_nist_snapshot_is_read_with_its_undeclared_prefix_reported() {
        let parsed = parse(&file("nist_current_streams.xml")).unwrap();
        assert!(
            parsed.skipped.iter().any(|s| s.contains("`x`")),
            "{:?}",
            parsed.skipped
        );
        let Document::Streams(_, observations) = parsed.document else {
            panic!("streams")
        };
        assert!(observations.iter().any(|o| o.type_name == "EXECUTION"));
        assert!(observations
            .iter()
            .any(|o| o.category == "CONDITION" && o.value == "FAULT"));
    }

    #[test]
    fn an_error_document_says_its_codes() {
        let text = r#"<?xml version="1.0"?><MTConnectError xmlns="urn:mtconnect.org:MTConnectError:1.3"><Header instanceId="7" bufferSize="8"/><Errors><Error errorCode="OUT_OF_RANGE">'from' must be greater than 3</Error></Errors></MTConnectError>"#;
        let Document::Error(header, errors) = parse(text).unwrap().document else {
            panic!("error")
        };
        assert_eq!(header.instance_id, "7");
        assert_eq!(errors[0].0, "OUT_OF_RANGE");
    }
}
