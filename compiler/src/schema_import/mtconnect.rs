//! `fdi schema import` from MTConnect device models (`MTConnectDevices`: an agent's
//! `Devices.xml` or a `/probe` answer), read as the device-model stage reads them
//! (`mtconnect/model.rs`, leniently, with what was read past as warnings). One device is
//! chosen (`--device`, or the models' only one); a pick is one of its data items by id or name,
//! or a component for all the data items below it; a data item's field type is the one the
//! device-model typing accepts for it (`mtconnect/fit.rs`): a controlled vocabulary an enum of
//! the standard's codes (every CONDITION's levels the one enum `ConditionLevel`), a count an
//! `int`, a number a `float` in its unit, so that the mapping that reads the imported entities
//! checks as written.

use super::{ImportError, ModelFile, ModelReader, RecordFields, ValueType, Variable};
use crate::diagnostic::closest;
use crate::mtconnect::fit::{self, Expected};
use crate::mtconnect::model::{Category, DataItem, Device, DeviceModel};
use crate::mtconnect::standard;

/// The name of the enum of every CONDITION's levels (`NORMAL`, `WARNING`, `FAULT`), which do
/// not depend on the condition's type.
const CONDITION_LEVEL: &str = "ConditionLevel";

/// MTConnect device models, and the device whose data items are picked.
pub struct MtconnectModel {
    /// Each model file as given, and what it holds.
    models: Vec<(String, DeviceModel)>,
    /// The chosen device: its model's index and its own.
    chosen: (usize, usize),
    warnings: Vec<String>,
}

impl MtconnectModel {
    /// Reads the models and finds the device `device` names (its name, uuid or id), or their
    /// only `Device` without one. An error says which file is no device model, or which devices
    /// there are.
    pub fn read(files: &[ModelFile], device: Option<&str>) -> Result<MtconnectModel, ImportError> {
        if files.is_empty() {
            return Err(ImportError(vec![
                "name the MTConnect device model: a `Devices.xml`, or an agent's `/probe` answer saved to a file".into(),
            ]));
        }
        let mut models = Vec::new();
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        for file in files {
            match DeviceModel::parse(&file.text) {
                Ok(model) => {
                    for skipped in &model.skipped {
                        let line = file.text[..skipped.range.start.min(file.text.len())]
                            .matches('\n')
                            .count()
                            + 1;
                        warnings.push(format!("`{}` line {line}: {}", file.path, skipped.what));
                    }
                    models.push((file.path.clone(), model));
                }
                Err(why) => problems.push(format!(
                    "`{}` cannot be used as a device model: {why}",
                    file.path
                )),
            }
        }
        if !problems.is_empty() {
            return Err(ImportError(problems));
        }
        let all = || {
            models.iter().enumerate().flat_map(|(m, (_, model))| {
                model
                    .devices
                    .iter()
                    .enumerate()
                    .map(move |(d, dev)| ((m, d), dev))
            })
        };
        let listed = |devices: &mut dyn Iterator<Item = &Device>| {
            let labels: Vec<String> = devices.map(|d| format!("`{}`", d.label())).collect();
            labels.join(", ")
        };
        let chosen = match device {
            Some(named) => all().find(|(_, d)| d.is_named(named)).map(|(at, _)| at).ok_or_else(|| {
                let names: Vec<&str> = all()
                    .flat_map(|(_, d)| [&d.name, &d.uuid, &d.id])
                    .filter_map(|n| n.as_deref())
                    .collect();
                match closest(named, names.iter().copied()) {
                    Some(near) => format!("`--device {named}`: no device of the model is named so; did you mean `{near}`?"),
                    None => format!(
                        "`--device {named}`: no device of the model is named so; its devices are {}",
                        listed(&mut all().map(|(_, d)| d))
                    ),
                }
            }),
            None => {
                let devices: Vec<((usize, usize), &Device)> =
                    all().filter(|(_, d)| d.element == "Device").collect();
                match devices.as_slice() {
                    [(only, _)] => Ok(*only),
                    _ => Err(format!(
                        "the model has {} devices ({}): name the one whose data items you pick with `--device {}`",
                        devices.len(),
                        listed(&mut devices.iter().map(|(_, d)| *d)),
                        devices.first().map_or("NAME", |(_, d)| d.label())
                    )),
                }
            }
        }
        .map_err(|why| ImportError(vec![why]))?;
        Ok(MtconnectModel {
            models,
            chosen,
            warnings,
        })
    }

    fn device(&self) -> &Device {
        &self.models[self.chosen.0].1.devices[self.chosen.1]
    }

    /// The data item `pick` names by id (first) or name; an error for a name several data
    /// items share (an SHDR key names one, so the mapping must say which, by id) and for one
    /// the device lacks, with the closest id or name, or the other device that has it.
    fn data_item(&self, pick: &str) -> Result<Option<&DataItem>, String> {
        let device = self.device();
        let named: Vec<&DataItem> = device
            .data_items
            .iter()
            .filter(|d| d.id != pick && d.name.as_deref() == Some(pick))
            .collect();
        if named.len() > 1 && !device.data_items.iter().any(|d| d.id == pick) {
            let ids: Vec<String> = named.iter().map(|d| format!("`{}`", d.id)).collect();
            return Err(format!(
                "`{pick}` names {} data items of the device `{}`; pick one by its id: {}",
                named.len(),
                device.label(),
                ids.join(", ")
            ));
        }
        Ok(device.data_item(pick))
    }

    /// The data items below the components `pick` names (by the name a component has, else
    /// its id; or as `Element name`, `Rotary C1`), in the model's order.
    fn component(&self, pick: &str) -> Vec<&DataItem> {
        let names = |part: &String| {
            part == pick || part.split_once(' ').is_some_and(|(_, label)| label == pick)
        };
        self.device()
            .data_items
            .iter()
            .filter(|d| d.component_path.iter().any(names))
            .collect()
    }

    /// Why `pick` is nothing of the device: the closest id, name or component, or the other
    /// device that has it.
    fn missing(&self, pick: &str) -> String {
        let device = self.device();
        let elsewhere = self
            .models
            .iter()
            .flat_map(|(_, model)| &model.devices)
            .filter(|d| !std::ptr::eq(*d, device))
            .find(|d| d.data_item(pick).is_some());
        if let Some(other) = elsewhere {
            return format!(
                "`{pick}` is not a data item of the device `{}` but of `{}`: import it with `--device {}`",
                device.label(),
                other.label(),
                other.label()
            );
        }
        // The nearer of the closest id, name and component.
        let ids = device.data_items.iter().map(|d| d.id.as_str());
        let names = device.data_items.iter().filter_map(|d| d.name.as_deref());
        let components = device
            .data_items
            .iter()
            .flat_map(|d| &d.component_path)
            .filter_map(|c| c.split_once(' ').map(|(_, label)| label));
        let near = [
            closest(pick, ids),
            closest(pick, names),
            closest(pick, components),
        ]
        .into_iter()
        .flatten()
        .min_by_key(|near| strsim::levenshtein(&pick.to_lowercase(), &near.to_lowercase()));
        match near {
            Some(near) => format!(
                "`{pick}` is not a data item of the device `{}`; did you mean `{near}`?",
                device.label()
            ),
            None => format!(
                "`{pick}` is not a data item of the device `{}`, by id or name; it has {} data items",
                device.label(),
                device.data_items.len()
            ),
        }
    }

    /// How a mapping's `data_items:` names `item`: by its name where that names it alone in
    /// the device (as an SHDR key names it), else by its id, which is unique.
    fn reference(&self, item: &DataItem) -> String {
        let device = self.device();
        match &item.name {
            Some(name)
                if device.data_item(name).is_some_and(|d| d.id == item.id)
                    && device
                        .data_items
                        .iter()
                        .filter(|d| d.name.as_ref() == Some(name))
                        .count()
                        == 1 =>
            {
                name.clone()
            }
            _ => item.id.clone(),
        }
    }

    /// A data item as the schema types it.
    fn variable(&self, item: &DataItem, picked: bool) -> Variable {
        let mut note = format!("{} {}", item.category.as_str(), item.type_name);
        if let Some(sub_type) = &item.sub_type {
            note.push_str(&format!(" {sub_type}"));
        }
        if let Some(units) = &item.units {
            note.push_str(&format!(" in {units}"));
        }
        if !item.constraint_values.is_empty() {
            note.push_str(&format!(
                ", which its Constraints narrow to {}",
                item.constraint_values.join(", ")
            ));
        }
        let ty = match fit::expected(item) {
            Expected::Codes(codes) => {
                let name = if item.category == Category::Condition {
                    CONDITION_LEVEL.to_string()
                } else {
                    fit::enum_name(&item.type_name)
                };
                let ty = ValueType::vocabulary(name, codes);
                if ty == ValueType::String {
                    note.push_str(": codes that cannot all be an enum's, read as text");
                }
                ty
            }
            Expected::Integer => ValueType::Int,
            Expected::Float(Some(unit)) => ValueType::Float(Some(unit.to_string())),
            Expected::Float(None) => ValueType::Float(None),
            Expected::FloatUnchecked => {
                note.push_str(match &item.units {
                    Some(_) => ": units fdi cannot check, a number without a unit",
                    None => ": no units, a number without a unit",
                });
                ValueType::Float(None)
            }
            Expected::Text => {
                if standard::value_of(item) == standard::Value::Vector {
                    if !matches!(item.representation.as_str(), "VALUE" | "DISCRETE") {
                        note.push_str(&format!(", a {}", item.representation));
                    }
                    note.push_str(": several values in one, read as text");
                }
                ValueType::String
            }
            Expected::Time => ValueType::Timestamp,
            Expected::Unknown => {
                note.push_str(": a type the standard does not define, read as text");
                ValueType::String
            }
        };
        Variable {
            reference: self.reference(item),
            name: item.name.clone().unwrap_or_else(|| item.id.clone()),
            picked,
            ty: Ok(ty),
            id: item.id.clone(),
            note,
        }
    }
}

impl ModelReader for MtconnectModel {
    fn describe(&self) -> String {
        let files: Vec<String> = self.models.iter().map(|(p, _)| format!("`{p}`")).collect();
        let version = self.models[self.chosen.0]
            .1
            .version
            .as_deref()
            .map_or(String::new(), |v| format!(" (MTConnect {v})"));
        format!(
            "the device `{}` of the MTConnect device model {}{version}, typed by the vocabularies and units of MTConnect {}",
            self.device().label(),
            files.join(", "),
            standard::version()
        )
    }

    fn record(&self) -> &'static str {
        "observation of the data items"
    }

    fn pick(&self, pick: &str) -> Result<Vec<Variable>, String> {
        if let Some(item) = self.data_item(pick)? {
            return Ok(vec![self.variable(item, true)]);
        }
        let below = self.component(pick);
        if below.is_empty() {
            return Err(self.missing(pick));
        }
        Ok(below
            .into_iter()
            .map(|item| self.variable(item, false))
            .collect())
    }

    fn record_fields(&self, variables: &[&Variable]) -> RecordFields {
        let text = || "string".to_string();
        let mut fields = RecordFields {
            before: vec![
                ("device".into(), text()),
                ("data_item".into(), text()),
                ("timestamp".into(), "timestamp".into()),
            ],
            after: Vec::new(),
        };
        let condition = variables.iter().any(|v| {
            self.device()
                .data_items
                .iter()
                .any(|d| d.id == v.id && d.category == Category::Condition)
        });
        if condition {
            // A NORMAL condition has neither.
            let optional = || "{ type: string, optional: true }".to_string();
            fields.after.push(("native_code".into(), optional()));
            fields.after.push(("message".into(), optional()));
        }
        fields
    }

    fn source_declaration(&self, source: &str, entity: &str, variables: &[&Variable]) -> String {
        let files: Vec<String> = self.models.iter().map(|(p, _)| format!("{p:?}")).collect();
        let devices = match files.as_slice() {
            [one] => one.clone(),
            _ => format!("[{}]", files.join(", ")),
        };
        let items: Vec<String> = variables
            .iter()
            .map(|v| format!("{:?}", v.reference))
            .collect();
        format!(
            "source {source}: mtconnect(connection: \"CONNECTION\", devices: {devices}, device: {:?}, data_items: [{}]) as {entity}",
            self.device().label(),
            items.join(", ")
        )
    }

    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }
}

#[cfg(test)]
#[path = "mtconnect_tests.rs"]
mod tests;
