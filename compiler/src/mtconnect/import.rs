//! `fdi schema import` for MTConnect: the schema YAML of the data items a user picks from a
//! device model, typed as the device-model stage types them (`fit.rs`), so that an engineer
//! starts from the machine's own model and the mapping that reads them checks as written.
//!
//! One entity per picked data item (its values are of one type each: an EXECUTION and a
//! PART_COUNT cannot share a typed `value`), named after the data item, with the record keys
//! a mapping reads most (`device`, `data_item`, `timestamp`, the `value` with
//! `quality: true`; a CONDITION's `native_code` and `message` too), and one enum per controlled
//! vocabulary, named after its type (`ConditionLevel` for every CONDITION's).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::fit::{self, SchemaType};
use super::model::{Category, DataItem, Device, DeviceModel};
use crate::diagnostic::closest;

/// Why a schema cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// The text is not an MTConnect device model; why.
    NotADeviceModel(String),
    /// `device` names no device of the model (`None`: the model has several and none was
    /// named); the devices it has.
    Device {
        named: Option<String>,
        closest: Option<String>,
        devices: Vec<String>,
    },
    /// A picked data item is not one of the device's, with the closest id or name.
    DataItem {
        picked: String,
        device: String,
        closest: Option<String>,
    },
    /// A picked name is the name of several data items; their ids.
    Ambiguous { picked: String, ids: Vec<String> },
    /// Nothing was picked.
    NothingPicked,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::NotADeviceModel(why) => {
                write!(f, "the device model cannot be used: {why}")
            }
            ImportError::Device {
                named: Some(named),
                closest,
                devices,
            } => {
                write!(f, "`{named}` is not a device of the model")?;
                match closest {
                    Some(near) => write!(f, "; did you mean `{near}`?"),
                    None => write!(f, "; its devices are {}", devices.join(", ")),
                }
            }
            ImportError::Device { devices, .. } => write!(
                f,
                "the model has {} devices ({}); name the one to import from",
                devices.len(),
                devices.join(", ")
            ),
            ImportError::DataItem {
                picked,
                device,
                closest,
            } => {
                write!(f, "`{picked}` is not a data item of the device `{device}`")?;
                match closest {
                    Some(near) => write!(f, "; did you mean `{near}`?"),
                    None => Ok(()),
                }
            }
            ImportError::Ambiguous { picked, ids } => write!(
                f,
                "`{picked}` names {} data items; pick one by its id: {}",
                ids.len(),
                ids.join(", ")
            ),
            ImportError::NothingPicked => write!(f, "no data item was picked"),
        }
    }
}

impl std::error::Error for ImportError {}

/// The schema YAML (`enums:` and `entities:`) of the data items `picked` (each by id or name)
/// of the device `device` (its name, uuid or id; `None`: the model's only device) of the
/// MTConnect device model `model` (the text of a `Devices.xml` or a `/probe` answer).
pub fn schema_yaml(
    model: &str,
    device: Option<&str>,
    picked: &[&str],
) -> Result<String, ImportError> {
    if picked.is_empty() {
        return Err(ImportError::NothingPicked);
    }
    let model = DeviceModel::parse(model).map_err(ImportError::NotADeviceModel)?;
    let found = model.device(device).ok_or_else(|| {
        let devices: Vec<String> = model
            .devices
            .iter()
            .map(|d| d.label().to_string())
            .collect();
        let names: Vec<&str> = model
            .devices
            .iter()
            .flat_map(|d| [&d.name, &d.uuid, &d.id])
            .filter_map(|n| n.as_deref())
            .collect();
        ImportError::Device {
            named: device.map(str::to_string),
            closest: device.and_then(|d| closest(d, names.iter().copied()).map(str::to_string)),
            devices,
        }
    })?;
    let mut items = Vec::new();
    for pick in picked {
        let named: Vec<String> = found
            .data_items
            .iter()
            .filter(|d| d.name.as_deref() == Some(*pick))
            .map(|d| d.id.clone())
            .collect();
        if named.len() > 1 && !found.data_items.iter().any(|d| d.id == *pick) {
            return Err(ImportError::Ambiguous {
                picked: pick.to_string(),
                ids: named,
            });
        }
        let item = found.data_item(pick).ok_or_else(|| ImportError::DataItem {
            picked: pick.to_string(),
            device: found.label().to_string(),
            closest: closest(
                pick,
                found
                    .data_items
                    .iter()
                    .flat_map(|d| std::iter::once(d.id.as_str()).chain(d.name.as_deref())),
            )
            .map(str::to_string),
        })?;
        if !items.iter().any(|i: &&DataItem| i.id == item.id) {
            items.push(item);
        }
    }
    Ok(write_yaml(&model, found, &items))
}

fn write_yaml(model: &DeviceModel, device: &Device, items: &[&DataItem]) -> String {
    // The enums first, so that no entity takes an enum's name.
    let mut enums: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut value_types = Vec::new();
    for item in items {
        value_types.push(match fit::schema_type(item) {
            SchemaType::Plain(ty) => format!("\"{ty}\""),
            SchemaType::Enum(codes) if codes.iter().all(|c| is_name(c)) => {
                // Every CONDITION's levels are one enum.
                let mut name = if item.category == Category::Condition {
                    "ConditionLevel".to_string()
                } else {
                    fit::enum_name(&item.type_name)
                };
                // Two data items of one type with different constraints: an enum each.
                if enums.get(&name).is_some_and(|existing| *existing != codes) {
                    name = unique(format!("{}{name}", entity_name(item)), &enums);
                }
                enums.insert(name.clone(), codes);
                name
            }
            // Codes no enum can hold (a constraint value with a space): text.
            SchemaType::Enum(_) => "\"string\"".to_string(),
        });
    }
    let mut entities: Vec<(String, &DataItem, String)> = Vec::new();
    let mut taken: Vec<String> = Vec::new();
    for (item, value_type) in items.iter().zip(value_types) {
        let mut name = entity_name(item);
        let mut n = 2;
        while taken.contains(&name) || enums.contains_key(&name) {
            name = format!("{}{n}", entity_name(item));
            n += 1;
        }
        taken.push(name.clone());
        entities.push((name, item, value_type));
    }
    let mut yaml = String::new();
    let _ = writeln!(
        yaml,
        "# Imported from the MTConnect device model of `{}` (MTConnect {}); the value types follow\n# the standard's vocabularies and units (MTConnect {}).",
        device.label(),
        model.version.as_deref().unwrap_or("version not given"),
        super::standard::version()
    );
    if !enums.is_empty() {
        yaml.push_str("enums:\n");
        for (name, codes) in &enums {
            let _ = writeln!(yaml, "  {name}: [{}]", codes.join(", "));
        }
        yaml.push('\n');
    }
    yaml.push_str("entities:\n");
    for (index, (name, item, value_type)) in entities.iter().enumerate() {
        if index > 0 {
            yaml.push('\n');
        }
        let _ = writeln!(yaml, "  {name}:");
        let _ = writeln!(yaml, "    description: {}", quoted(&describe(device, item)));
        yaml.push_str("    fields:\n");
        yaml.push_str("      device: string\n");
        yaml.push_str("      data_item: string\n");
        yaml.push_str("      timestamp: timestamp\n");
        let _ = writeln!(yaml, "      value: {{ type: {value_type}, quality: true }}");
        if item.category == Category::Condition {
            yaml.push_str("      native_code: { type: string, optional: true }\n");
            yaml.push_str("      message: { type: string, optional: true }\n");
        }
    }
    yaml
}

/// `OKUMA's pexecution (id Lpexecution): EVENT EXECUTION`.
fn describe(device: &Device, item: &DataItem) -> String {
    let mut text = format!("{}'s ", device.label());
    match &item.name {
        Some(name) => {
            let _ = write!(text, "{name} (id {})", item.id);
        }
        None => text.push_str(&item.id),
    }
    let _ = write!(text, ": {} {}", item.category.as_str(), item.type_name);
    if let Some(sub_type) = &item.sub_type {
        let _ = write!(text, " {sub_type}");
    }
    if let Some(units) = &item.units {
        let _ = write!(text, " in {units}");
    }
    text
}

/// An entity's name from the data item's name (else its id): `S1speed` is `S1speed`,
/// `p1_block` is `P1Block`, `GFAgie01-X_2` is `GFAgie01X2`.
fn entity_name(item: &DataItem) -> String {
    let source = item.name.as_deref().unwrap_or(&item.id);
    let mut name = String::new();
    let mut upper = true;
    for c in source.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        } else {
            upper = true;
        }
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name.insert_str(0, "DataItem");
    }
    name
}

fn unique(name: String, taken: &BTreeMap<String, Vec<String>>) -> String {
    let mut candidate = name.clone();
    let mut n = 2;
    while taken.contains_key(&candidate) {
        candidate = format!("{name}{n}");
        n += 1;
    }
    candidate
}

/// Whether `code` is a name an enum code may be (docs/language.md section 4).
fn is_name(code: &str) -> bool {
    code.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(
            code,
            "and" | "else" | "false" | "let" | "match" | "not" | "or" | "reject" | "true" | "where"
        )
}

/// A YAML double-quoted scalar.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

#[cfg(test)]
#[path = "import_tests.rs"]
mod tests;
