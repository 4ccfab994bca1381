//! The device-model stage: an MTConnect source with `devices:` has its data items looked up in
//! that model and typed by it, after the check (the checker does no IO). A model that cannot be
//! read is E0710 (what was read past in one that can is the warning E0716); a device it lacks
//! is E0711; a data item the device lacks is E0712, with the closest id or name; a `value`
//! field that cannot hold a data item's values, or not in its unit, is E0713; an enum whose
//! codes are not the controlled vocabulary's is E0714; a `value` field without `quality: true`
//! is E0715, since UNAVAILABLE is a quality. Labels point at the item in the mapping, the field
//! in the schema and the data item in the model. Each data item found gets its
//! [`ir::DataItemFacts`] for the emitter.

use std::collections::HashSet;
use std::path::Path;

use super::fit::{self, Expected, Fit};
use super::model::{DataItem, Device};
use super::standard;
use crate::diagnostic::{closest, Code, Diagnostic};
use crate::ir::{self, DataItemFacts, Program, TextItem};
use crate::schema::{Entity, Field, FieldType, SchemaSet};
use crate::source_map::{FileId, SourceMap, Span};

/// At most this many devices are labelled when a source must name one.
const DEVICE_LABELS: usize = 6;

/// Types every MTConnect source of `program` that names a device model by it, and fills the
/// facts of its data items. `folder` is the mapping's folder; each model read is added to
/// `sources` (so the build manifest hashes it and diagnostics can point into it). Warnings
/// (what a model's reading skipped) are added to the program's.
pub fn type_sources(
    mut program: Program,
    folder: &Path,
    sources: &mut SourceMap,
) -> Result<Program, Vec<Diagnostic>> {
    let mut models = super::files::Models::default();
    let mut problems = Vec::new();
    let mut filled: Vec<(usize, Vec<Option<DataItemFacts>>)> = Vec::new();
    for (index, source) in program.sources.iter().enumerate() {
        let ir::SourceKind::Mtconnect {
            devices,
            device,
            data_items,
            ..
        } = &source.kind
        else {
            continue;
        };
        if devices.is_empty() {
            continue;
        }
        let Some(read) = models.load(devices, folder, sources, &mut problems) else {
            continue;
        };
        let Some((device, file)) = find_device(&read, devices, device.as_ref(), &mut problems)
        else {
            continue;
        };
        let entity = &program.schema.entities[&source.entity];
        let typing = Typing {
            device,
            file,
            entity,
            schema: &program.schema,
            value: entity.fields.iter().find(|f| f.external_name() == "value"),
        };
        let mut facts = Vec::new();
        let mut reported = HashSet::new();
        for item in data_items {
            if ASSET_COMMANDS.contains(&item.item.text.as_str()) {
                // An adapter's asset command, not a data item of the model: its value is the
                // asset document (or the removed asset's id), text.
                typing.asset_value(&item.item, &mut problems);
                facts.push(None);
                continue;
            }
            let found = typing.data_item(&item.item, &read, &mut problems);
            if let Some(data_item) = found {
                typing.value(&item.item, data_item, &mut reported, &mut problems);
            }
            facts.push(found.map(|d| typing.facts(d)));
        }
        if facts.iter().any(Option::is_some) {
            typing.quality(devices, &mut problems);
        }
        filled.push((index, facts));
    }
    program.warnings.extend(models.warnings);
    if !problems.is_empty() {
        // In the order of the text, as the checker reports its own.
        problems.sort_by_key(|d| d.primary_span().map(|s| (s.file, s.start)));
        problems.dedup_by(|a, b| a.message == b.message && a.primary_span() == b.primary_span());
        return Err(problems);
    }
    for (index, facts) in filled {
        if let ir::SourceKind::Mtconnect { data_items, .. } = &mut program.sources[index].kind {
            for (item, facts) in data_items.iter_mut().zip(facts) {
                item.facts = facts;
            }
        }
    }
    Ok(program)
}

/// The adapter's asset commands a source may read beside data items (docs/connectors/mtconnect.md).
const ASSET_COMMANDS: &[&str] = &[
    "@ASSET@",
    "@UPDATE_ASSET@",
    "@REMOVE_ASSET@",
    "@REMOVE_ALL_ASSETS@",
];

/// The device `device:` names in the models, or their only `Device`; E0711 otherwise.
fn find_device<'m>(
    read: &'m super::files::Read,
    files: &[TextItem],
    named: Option<&TextItem>,
    problems: &mut Vec<Diagnostic>,
) -> Option<(&'m Device, FileId)> {
    let all = || {
        read.iter()
            .flat_map(|(model, id)| model.devices.iter().map(move |d| (d, *id)))
    };
    match named {
        Some(named) => {
            if let Some(found) = all().find(|(d, _)| d.is_named(&named.text)) {
                return Some(found);
            }
            let candidates: Vec<&str> = all()
                .flat_map(|(d, _)| [&d.name, &d.uuid, &d.id])
                .filter_map(|n| n.as_deref())
                .collect();
            let help = match closest(&named.text, candidates.iter().copied()) {
                Some(near) if named.exact => format!("did you mean `{near}`?"),
                Some(near) => format!("the closest is `{near}`"),
                None => format!("its devices are {}", device_list(all().map(|(d, _)| d))),
            };
            let mut error = Diagnostic::error(
                Code::DeviceNotInModel,
                format!("`{}` is not a device of the device model", named.text),
            )
            .label(named.span, "no such device in the model")
            .help(help);
            if let Some(file) = files.first() {
                error = error.label(file.span, "the device model");
            }
            problems.push(error);
            None
        }
        None => {
            let devices: Vec<(&Device, FileId)> =
                all().filter(|(d, _)| d.element == "Device").collect();
            if let [only] = devices.as_slice() {
                return Some(*only);
            }
            let file = files.first()?;
            let mut error = Diagnostic::error(
                Code::DeviceNotInModel,
                format!(
                    "the device model has {} devices, and the source does not name one",
                    devices.len()
                ),
            )
            .label(file.span, "a model of several devices");
            for (device, id) in devices.iter().take(DEVICE_LABELS) {
                error = error.label(
                    Span::new(*id, device.range.start, device.range.end),
                    format!("the device `{}`", device.label()),
                );
            }
            problems.push(error.help(format!(
                "name the device whose data items the source reads: `device: \"{}\"` (its devices are {})",
                devices.first().map_or("", |(d, _)| d.label()),
                device_list(devices.iter().map(|(d, _)| *d))
            )));
            None
        }
    }
}

fn device_list<'d>(devices: impl Iterator<Item = &'d Device>) -> String {
    let names: Vec<String> = devices.map(|d| format!("`{}`", d.label())).collect();
    names.join(", ")
}

/// One source's device and entity.
struct Typing<'a> {
    device: &'a Device,
    /// The model file the device is in.
    file: FileId,
    entity: &'a Entity,
    schema: &'a SchemaSet,
    /// The entity's field read from the record's `value`.
    value: Option<&'a Field>,
}

impl<'a> Typing<'a> {
    fn span(&self, range: &std::ops::Range<usize>) -> Span {
        Span::new(self.file, range.start, range.end)
    }

    /// The data item `item` names, by id or name; E0712 with the closest when the device has
    /// none.
    fn data_item(
        &self,
        item: &TextItem,
        read: &super::files::Read,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<&'a DataItem> {
        let named: Vec<&DataItem> = self
            .device
            .data_items
            .iter()
            .filter(|d| d.id != item.text && d.name.as_deref() == Some(item.text.as_str()))
            .collect();
        if named.len() > 1 && !self.device.data_items.iter().any(|d| d.id == item.text) {
            // An SHDR key names one data item: which of these the agent would take is its
            // own affair, so the mapping says which by id.
            let ids: Vec<String> = named.iter().map(|d| d.id.clone()).collect();
            let mut error = Diagnostic::error(
                Code::DataItemNotInDevice,
                format!(
                    "`{}` names {} data items of the device `{}`",
                    item.text,
                    named.len(),
                    self.device.label()
                ),
            )
            .label(item.span, "a name, not unique in the device");
            for data_item in &named {
                error = error.label(
                    self.span(&data_item.id_range),
                    format!("the data item `{}`", data_item.id),
                );
            }
            problems.push(error.help(format!(
                "name the one to read by its id, which is unique: {}",
                list(&ids)
            )));
            return None;
        }
        if let Some(found) = self.device.data_item(&item.text) {
            return Some(found);
        }
        // The nearer of the closest id and the closest name.
        let ids = self.device.data_items.iter().map(|d| d.id.as_str());
        let names = self
            .device
            .data_items
            .iter()
            .filter_map(|d| d.name.as_deref());
        let near = [closest(&item.text, ids), closest(&item.text, names)]
            .into_iter()
            .flatten()
            .min_by_key(|near| {
                strsim::levenshtein(&item.text.to_lowercase(), &near.to_lowercase())
            });
        let elsewhere = read
            .iter()
            .flat_map(|(model, _)| &model.devices)
            .filter(|d| !std::ptr::eq(*d, self.device))
            .find(|d| d.data_item(&item.text).is_some());
        let help = match (near, elsewhere) {
            (_, Some(other)) => format!(
                "it is a data item of the device `{}`: read it in a source whose `device:` is `{}`",
                other.label(),
                other.label()
            ),
            (Some(near), None) if item.exact => format!("did you mean `{near}`?"),
            (Some(near), None) => format!("the closest is `{near}`"),
            (None, None) => format!(
                "the device `{}` has {} data items; name one by its `id` or `name`",
                self.device.label(),
                self.device.data_items.len()
            ),
        };
        problems.push(
            Diagnostic::error(
                Code::DataItemNotInDevice,
                format!(
                    "`{}` is not a data item of the device `{}`",
                    item.text,
                    self.device.label()
                ),
            )
            .label(item.span, "no such data item, by id or name")
            .label(
                self.span(&self.device.range),
                format!("the device `{}`", self.device.label()),
            )
            .help(help),
        );
        None
    }

    fn facts(&self, item: &DataItem) -> DataItemFacts {
        DataItemFacts {
            device: self.device.label().to_string(),
            id: item.id.clone(),
            name: item.name.clone(),
            category: item.category.as_str().to_string(),
            type_name: item.type_name.clone(),
            sub_type: item.sub_type.clone(),
            units: item.units.clone(),
            representation: Some(item.representation.clone()),
        }
    }

    /// The entity's `value` field against an asset command's value, which is text (E0713).
    fn asset_value(&self, item: &TextItem, problems: &mut Vec<Diagnostic>) {
        let Some(field) = self.value else { return };
        if field.ty == FieldType::String {
            return;
        }
        problems.push(
            Diagnostic::error(
                Code::DataItemTypeMismatch,
                format!(
                    "`{}` is an asset command, whose value is the asset's document as text, and `{}.{}` is not a `string`",
                    item.text, self.entity.name, field.name
                ),
            )
            .label(item.span, "an asset command: its value is text")
            .label(field.span, "declared here")
            .help(format!(
                "declare `{}: {{ type: string, quality: true }}` in the schema, or read the asset commands in a source of their own",
                field.name
            )),
        );
    }

    /// The entity's `value` field against the data item's values (E0713, E0714).
    fn value(
        &self,
        item: &TextItem,
        data_item: &DataItem,
        reported: &mut HashSet<String>,
        problems: &mut Vec<Diagnostic>,
    ) {
        let Some(field) = self.value else { return };
        let unit = field.unit.as_ref().map(|u| &u.unit);
        let expected = fit::expected(data_item);
        match fit::fits(&expected, &field.ty, unit, self.schema) {
            Fit::Yes => {}
            Fit::Enum(name) => {
                let Expected::Codes(codes) = &expected else {
                    return;
                };
                self.codes(item, data_item, field, &name, codes, reported, problems);
            }
            Fit::WrongType | Fit::WrongUnit => {
                problems.push(self.mismatch(item, data_item, field, &expected));
            }
        }
    }

    fn mismatch(
        &self,
        item: &TextItem,
        data_item: &DataItem,
        field: &Field,
        expected: &Expected,
    ) -> Diagnostic {
        let unit = field.unit.as_ref().map(|u| &u.unit);
        let written = fit::written(&field.ty, unit);
        let what = format!(
            "{} {} of type {}",
            article(data_item.category.as_str()),
            data_item.category.as_str(),
            data_item.type_name
        );
        let declare = match fit::schema_type(data_item) {
            fit::SchemaType::Plain(ty) => format!(
                "declare `{}: {{ type: \"{ty}\", quality: true }}` in the schema",
                field.name
            ),
            fit::SchemaType::Enum(codes) => {
                let name = fit::enum_name(&data_item.type_name);
                format!(
                    "declare the enum `{name}: [{}]` and `{}: {{ type: {name}, quality: true }}` in the schema",
                    codes.join(", "),
                    field.name
                )
            }
        };
        let why = match (expected, &field.ty, unit) {
            (Expected::Float(Some(wanted_unit)), FieldType::Float, Some(unit))
                if wanted_unit.same_dimension(unit) =>
            {
                format!(
                    "its values arrive in {wanted_unit}, and a field's unit is the unit its values arrive in; convert in the flow (`{} as [{unit}]`)",
                    field.name
                )
            }
            (Expected::Float(Some(_)), FieldType::Float, Some(_)) => format!(
                "its values are {}, not quantities of the field's unit",
                fit::describe(data_item)
            ),
            (Expected::Float(Some(_)), FieldType::Float, None) => {
                "its values carry a unit, which the units-of-measure checks need".to_string()
            }
            (Expected::Integer | Expected::Float(None), FieldType::Float, Some(_)) => {
                "its values have no unit".to_string()
            }
            _ => format!("its values are {}", fit::describe(data_item)),
        };
        let model_label = match (&data_item.units_range, expected) {
            (Some(range), Expected::Float(_) | Expected::Integer) => (
                self.span(range),
                format!("units {}", data_item.units.as_deref().unwrap_or("")),
            ),
            _ => (
                self.span(&data_item.type_range),
                format!("{} {}", data_item.category.as_str(), data_item.type_name),
            ),
        };
        let field_span = match (&field.unit, &field.ty) {
            (Some(unit), FieldType::Float) => unit.span,
            _ => field.span,
        };
        Diagnostic::error(
            Code::DataItemTypeMismatch,
            format!(
                "`{}` is {what} ({}), and `{}.{}` is `{written}`",
                item.text,
                fit::describe(data_item),
                self.entity.name,
                field.name
            ),
        )
        .label(item.span, what)
        .label(
            field_span,
            format!("`{}` is declared `{written}` here", field.name),
        )
        .label(model_label.0, model_label.1)
        .help(format!(
            "{why}: {declare}, or read the data item in a source of its own"
        ))
    }

    /// An enum field's codes against the codes the data item may send (E0714).
    #[allow(clippy::too_many_arguments)]
    fn codes(
        &self,
        item: &TextItem,
        data_item: &DataItem,
        field: &Field,
        enum_name: &str,
        sent: &[String],
        reported: &mut HashSet<String>,
        problems: &mut Vec<Diagnostic>,
    ) {
        let Some(declared) = self.schema.enums.get(enum_name) else {
            return; // the check's error
        };
        let vocabulary = standard::vocabulary(data_item.category, &data_item.type_name)
            .map(<[String]>::to_vec)
            .unwrap_or_else(|| sent.to_vec());
        // A code the device may send, or that the standard's vocabulary has.
        let allowed =
            |code: &str| sent.iter().any(|c| c == code) || vocabulary.iter().any(|c| c == code);
        let what = if data_item.category == super::model::Category::Condition {
            format!("a CONDITION's level ({})", CONDITION_WORDS)
        } else {
            format!(
                "{} (MTConnect {})",
                data_item.type_name,
                standard::version()
            )
        };
        let enum_label = (declared.span, format!("the enum `{enum_name}`"));
        let field_label = (
            field.span,
            format!("`{}` is declared `{enum_name}` here", field.name),
        );
        for code in &declared.codes {
            if allowed(code) {
                continue;
            }
            let key = format!("extra {enum_name} {code} {}", data_item.type_name);
            if !reported.insert(key) {
                continue;
            }
            let help = if code == "UNAVAILABLE" {
                format!(
                    "UNAVAILABLE is not a code but the absence of a value: remove it from `{enum_name}`; `{}` reads it as BAD quality (`{}.quality`)",
                    field.name, field.name
                )
            } else {
                let near = closest(code, vocabulary.iter().map(String::as_str))
                    .map(|near| format!("the closest is `{near}`; "))
                    .unwrap_or_default();
                format!(
                    "{near}the codes of {what} are {}; give the plant's own names in the flow, with a `match` on `{}`",
                    list(&vocabulary),
                    field.name
                )
            };
            problems.push(
                Diagnostic::error(
                    Code::VocabularyMismatch,
                    format!(
                        "the enum `{enum_name}` has the code `{code}`, which `{}` never sends",
                        item.text
                    ),
                )
                .label(
                    item.span,
                    format!("{} {}", data_item.category.as_str(), data_item.type_name),
                )
                .label(field_label.0, field_label.1.clone())
                .label(enum_label.0, enum_label.1.clone())
                .label(self.span(&data_item.type_range), "its vocabulary")
                .help(help),
            );
        }
        let missing: Vec<&String> = sent
            .iter()
            .filter(|c| !declared.codes.iter().any(|d| d == *c))
            .collect();
        if missing.is_empty() {
            return;
        }
        let key = format!("missing {enum_name} {}", item.text);
        if !reported.insert(key) {
            return;
        }
        let mut complete: Vec<String> = declared
            .codes
            .iter()
            .filter(|c| allowed(c))
            .cloned()
            .collect();
        complete.extend(missing.iter().map(|c| c.to_string()));
        let constrained = if data_item.constraint_values.is_empty() {
            String::new()
        } else {
            " (the codes its `Constraints` allow)".to_string()
        };
        problems.push(
            Diagnostic::error(
                Code::VocabularyMismatch,
                format!(
                    "the enum `{enum_name}` lacks {}, which `{}` may send{constrained}",
                    list(&missing.iter().map(|c| c.to_string()).collect::<Vec<_>>()),
                    item.text
                ),
            )
            .label(item.span, format!("{} {}", data_item.category.as_str(), data_item.type_name))
            .label(field_label.0, field_label.1)
            .label(enum_label.0, enum_label.1)
            .label(self.span(&data_item.type_range), "its vocabulary")
            .help(format!(
                "a record with such a value would fail to read as `{enum_name}` and be rejected at run time: declare `{enum_name}: [{}]`, or read the value as a `string`",
                complete.join(", ")
            )),
        );
    }

    /// E0715: a typed source's `value` must be declared `quality: true`.
    fn quality(&self, devices: &[TextItem], problems: &mut Vec<Diagnostic>) {
        let Some(field) = self.value else { return };
        if field.quality.is_some() {
            return;
        }
        let unit = field.unit.as_ref().map(|u| &u.unit);
        let written = fit::written(&field.ty, unit);
        let mut error = Diagnostic::error(
            Code::UnavailableNotQuality,
            format!(
                "`{}.{}` reads MTConnect observations, and is not declared `quality: true`",
                self.entity.name, field.name
            ),
        )
        .label(field.span, format!("`{}` has no quality", field.name));
        if let Some(file) = devices.first() {
            error = error.label(file.span, "typed by this device model");
        }
        problems.push(error.help(format!(
            "a data item with no value reports UNAVAILABLE, which is not a value of `{written}` (nor a zero) but BAD quality; declare `{}: {{ type: \"{written}\", quality: true }}` in the schema, and handle it in the flow (`{} ?? ...` or `{} else reject \"...\"`)",
            field.name, field.name, field.name
        )));
    }
}

const CONDITION_WORDS: &str = "NORMAL, WARNING or FAULT";

fn article(word: &str) -> &'static str {
    if word.starts_with(['A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    }
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    quoted.join(", ")
}

#[cfg(test)]
#[path = "typing_tests.rs"]
mod tests;
