//! Which observations are records: the data items a source selects (`data_items:`, each by id or
//! name), with what the device model says about them, and the record of one observation.
//!
//! An SHDR line does not say how many tokens a data item takes: cppagent knows it from the device
//! model (a condition takes five after its key, a message two, a time series three, the rest
//! one), and so does this module when the compiler embedded the model's facts. Without them (an
//! untyped source, or a key the source does not select), a line of exactly six tokens after the
//! timestamp whose second is a condition level (`NORMAL`, `WARNING`, `FAULT`, `UNAVAILABLE`) is a
//! condition, one of three tokens a message, and otherwise each key takes one value. As in
//! cppagent's SHDR version 1, a data item that takes more than one token ends its line.

use serde::Serialize;

use super::{MtconnectItem, MtconnectSource};

/// The record of one observation (see the module of the connector for its keys).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Observation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    pub data_item: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units: Option<String>,
    pub timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u64>,
    /// The value as text; `UNAVAILABLE` for none; a condition's level.
    pub value: String,
    /// `GOOD`, or `BAD` for `UNAVAILABLE`.
    pub value_quality: &'static str,
    /// = `timestamp`.
    pub value_timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub native_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub native_severity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset_type: Option<String>,
}

impl Observation {
    /// The record as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Sets the value and its quality: `UNAVAILABLE` (any case) is the text `UNAVAILABLE`, BAD.
    pub fn set_value(&mut self, value: &str) {
        if value.eq_ignore_ascii_case("UNAVAILABLE") {
            self.value = "UNAVAILABLE".to_string();
            self.value_quality = "BAD";
        } else {
            self.value = value.to_string();
            self.value_quality = "GOOD";
        }
    }
}

/// What a device model says about a selected data item (owned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub device: String,
    pub id: String,
    pub name: Option<String>,
    pub category: String,
    pub type_name: String,
    pub sub_type: Option<String>,
    pub units: Option<String>,
    pub representation: Option<String>,
}

/// One selected data item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    /// As the mapping names it.
    pub key: String,
    pub facts: Option<Facts>,
}

impl Selected {
    /// Whether an observation of data item `id` (named `name`) is of this one.
    fn is(&self, id: &str, name: Option<&str>) -> bool {
        match &self.facts {
            Some(f) => f.id == id || (name.is_some() && f.name.as_deref() == name),
            None => self.key == id || name == Some(self.key.as_str()),
        }
    }

    /// Whether an SHDR key (an id or a name) is of this one.
    fn is_key(&self, key: &str) -> bool {
        self.key == key
            || self
                .facts
                .as_ref()
                .is_some_and(|f| f.id == key || f.name.as_deref() == Some(key))
    }

    /// A record of this data item at `timestamp`, its model's facts filled in.
    fn observation(&self, key: &str, timestamp: &str) -> Observation {
        let mut o = Observation {
            data_item: key.to_string(),
            timestamp: timestamp.to_string(),
            value_timestamp: timestamp.to_string(),
            value_quality: "GOOD",
            ..Observation::default()
        };
        if let Some(f) = &self.facts {
            o.device = Some(f.device.clone());
            o.data_item = f.id.clone();
            o.name = f.name.clone();
            o.category = Some(f.category.clone());
            o.type_name = Some(f.type_name.clone());
            o.sub_type = f.sub_type.clone();
            o.units = f.units.clone();
        }
        o
    }
}

/// How many tokens after its key a data item takes, and what they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Value,
    /// `level|native_code|native_severity|qualifier|text`
    Condition,
    /// `native_code|text`
    Message,
    /// `sample_count|sample_rate|values`
    TimeSeries,
    /// `code|native_code|severity|state|text` (MTConnect 1.0's ALARM)
    Alarm,
}

impl Shape {
    fn of(facts: &Facts) -> Shape {
        match (facts.category.as_str(), facts.type_name.as_str()) {
            ("CONDITION", _) => Shape::Condition,
            (_, "MESSAGE") => Shape::Message,
            (_, "ALARM") => Shape::Alarm,
            ("SAMPLE", _) if facts.representation.as_deref() == Some("TIME_SERIES") => {
                Shape::TimeSeries
            }
            _ => Shape::Value,
        }
    }

    /// Without a model: from the line's shape (`first`: the key is the line's first).
    fn guessed(first: bool, tokens: usize, level: Option<&String>) -> Shape {
        let is_level = level.is_some_and(|l| {
            ["NORMAL", "WARNING", "FAULT", "UNAVAILABLE"]
                .iter()
                .any(|w| l.eq_ignore_ascii_case(w))
        });
        match (first, tokens) {
            (true, 6) if is_level => Shape::Condition,
            (true, 3) => Shape::Message,
            _ => Shape::Value,
        }
    }

    fn tokens(self) -> usize {
        match self {
            Shape::Value => 1,
            Shape::Condition | Shape::Alarm => 5,
            Shape::Message => 2,
            Shape::TimeSeries => 3,
        }
    }
}

/// The data items a source selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// `device:`; `None`: any.
    device: Option<String>,
    items: Vec<Selected>,
}

impl Selection {
    pub fn new(source: &MtconnectSource<'_>) -> Selection {
        Selection::of(source.device, source.data_items)
    }

    pub fn of(device: Option<&str>, items: &[MtconnectItem<'_>]) -> Selection {
        Selection {
            device: device.map(str::to_string),
            items: items
                .iter()
                .map(|item| Selected {
                    key: item.key.to_string(),
                    facts: item.facts.map(|f| Facts {
                        device: f.device.to_string(),
                        id: f.id.to_string(),
                        name: f.name.map(str::to_string),
                        category: f.category.to_string(),
                        type_name: f.type_name.to_string(),
                        sub_type: f.sub_type.map(str::to_string),
                        units: f.units.map(str::to_string),
                        representation: f.representation.map(str::to_string),
                    }),
                })
                .collect(),
        }
    }

    /// `device:`, when the source names one.
    pub fn device(&self) -> Option<&str> {
        self.device.as_deref()
    }

    /// The selected data items.
    pub fn items(&self) -> &[Selected] {
        &self.items
    }

    /// Whether `device` (a name or uuid as a document or key gives it) is the source's.
    pub fn is_device(&self, names: &[&str]) -> bool {
        self.device.as_deref().is_none_or(|d| names.contains(&d))
    }

    /// The selected data item an agent's observation of `id` (named `name`) is of.
    pub fn agent_item(&self, id: &str, name: Option<&str>) -> Option<&Selected> {
        self.items.iter().find(|s| s.is(id, name))
    }

    /// The record of an agent's observation of `selected` (the XML element's facts override the
    /// model's: the agent says what it serves).
    pub fn agent_observation(selected: &Selected, id: &str, timestamp: &str) -> Observation {
        let mut o = selected.observation(id, timestamp);
        o.data_item = id.to_string();
        o
    }

    /// The selected data item of an SHDR key.
    fn shdr_item(&self, key: &str) -> Option<&Selected> {
        self.items.iter().find(|s| s.is_key(key))
    }

    /// The records of an SHDR data line: `tokens` after the timestamp.
    pub fn shdr(&self, timestamp: &str, tokens: &[String]) -> Vec<Observation> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            let first = i == 0;
            let key_token = tokens[i].as_str();
            i += 1;
            if let Some(command) = key_token.strip_prefix('@') {
                let command = format!("@{command}");
                let rest = &tokens[i..];
                if let Some(selected) = self.shdr_item(&command) {
                    let mut o = selected.observation(&command, timestamp);
                    match command.as_str() {
                        "@ASSET@" => {
                            o.asset_id = rest.first().cloned();
                            o.asset_type = rest.get(1).cloned();
                            o.set_value(rest.get(2).map_or("", String::as_str));
                        }
                        "@REMOVE_ALL_ASSETS@" => {
                            o.asset_type = rest.first().cloned().filter(|t| !t.is_empty());
                            o.set_value("");
                        }
                        _ => {
                            // @REMOVE_ASSET@|id, @UPDATE_ASSET@|id|key|value...
                            o.asset_id = rest.first().cloned();
                            o.set_value(&rest.get(1..).map(|r| r.join("|")).unwrap_or_default());
                        }
                    }
                    out.push(o);
                }
                // An asset command takes the rest of its line.
                break;
            }
            let (device, key) = match key_token.split_once(':') {
                Some((device, key)) => (Some(device), key),
                None => (None, key_token),
            };
            let selected = self
                .shdr_item(key)
                .filter(|_| device.is_none_or(|d| self.is_device(&[d])));
            let facts = selected.and_then(|s| s.facts.as_ref());
            let shape = match facts {
                Some(facts) => Shape::of(facts),
                None => Shape::guessed(first, tokens.len(), tokens.get(i)),
            };
            let take = shape.tokens();
            let end = (i + take).min(tokens.len());
            let values = &tokens[i..end];
            i = end;
            if let Some(selected) = selected {
                let mut o = selected.observation(key, timestamp);
                if o.device.is_none() {
                    o.device = device.or(self.device.as_deref()).map(str::to_string);
                }
                fill(&mut o, shape, values);
                out.push(o);
            }
            if take > 1 {
                // As cppagent's SHDR version 1: such a data item is alone on its line.
                break;
            }
        }
        out
    }
}

/// The value and attributes of an observation of `shape` from its tokens.
fn fill(o: &mut Observation, shape: Shape, values: &[String]) {
    let at = |i: usize| values.get(i).filter(|t| !t.is_empty()).cloned();
    match shape {
        Shape::Value => o.set_value(values.first().map_or("", String::as_str)),
        Shape::Condition => {
            let level = values
                .first()
                .map_or("", String::as_str)
                .to_ascii_uppercase();
            o.set_value(if level.is_empty() {
                "UNAVAILABLE"
            } else {
                &level
            });
            o.native_code = at(1);
            o.native_severity = at(2);
            o.qualifier = at(3);
            o.message = at(4);
        }
        Shape::Message => {
            o.native_code = at(0);
            o.set_value(values.get(1).map_or("", String::as_str));
        }
        Shape::TimeSeries => o.set_value(values.get(2).map_or("", String::as_str)),
        Shape::Alarm => {
            o.native_code = at(1);
            o.native_severity = at(2);
            o.qualifier = at(3);
            o.message = at(4);
            o.set_value(values.first().map_or("", String::as_str));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mtconnect::DataItemFacts;

    fn tokens(line: &str) -> Vec<String> {
        crate::mtconnect::shdr::tokenize(line)
    }

    const TS: &str = "2022-08-08T13:51:34Z";

    #[test]
    fn only_the_selected_keys_of_a_line_are_records() {
        let items = [
            MtconnectItem {
                key: "pexecution",
                facts: None,
            },
            MtconnectItem {
                key: "ppartcount",
                facts: None,
            },
        ];
        let selection = Selection::of(None, &items);
        let records = selection.shdr(
            TS,
            &tokens("avail|AVAILABLE|pexecution|READY|p1LPathPos|1 0 2|ppartcount|UNAVAILABLE"),
        );
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].data_item, "pexecution");
        assert_eq!(records[0].value, "READY");
        assert_eq!(records[0].value_quality, "GOOD");
        assert_eq!(records[1].value, "UNAVAILABLE");
        assert_eq!(records[1].value_quality, "BAD");
        assert_eq!(records[1].timestamp, TS);
        let json: serde_json::Value = serde_json::from_str(&records[0].to_json()).unwrap();
        assert_eq!(json["value_timestamp"], TS);
        assert!(json.get("device").is_none());
    }

    #[test]
    fn the_model_names_the_data_item_and_says_how_many_tokens_it_takes() {
        let facts = DataItemFacts {
            device: "OKUMA",
            id: "Lsystem",
            name: Some("system"),
            category: "CONDITION",
            type_name: "SYSTEM",
            sub_type: None,
            units: None,
            representation: None,
        };
        let items = [MtconnectItem {
            key: "system",
            facts: Some(facts),
        }];
        let selection = Selection::of(None, &items);
        let records = selection.shdr(TS, &tokens("system|fault|E12|HIGH|LOW|Overheat"));
        assert_eq!(records.len(), 1);
        let o = &records[0];
        assert_eq!(o.data_item, "Lsystem");
        assert_eq!(o.name.as_deref(), Some("system"));
        assert_eq!(o.device.as_deref(), Some("OKUMA"));
        assert_eq!(o.value, "FAULT");
        assert_eq!(o.native_code.as_deref(), Some("E12"));
        assert_eq!(o.native_severity.as_deref(), Some("HIGH"));
        assert_eq!(o.qualifier.as_deref(), Some("LOW"));
        assert_eq!(o.message.as_deref(), Some("Overheat"));
        // Untyped, a line of that shape is a condition all the same; its empty tokens are absent.
        let untyped = [MtconnectItem {
            key: "system",
            facts: None,
        }];
        let records = Selection::of(None, &untyped).shdr(TS, &tokens("system|NORMAL||||"));
        assert_eq!(records[0].value, "NORMAL");
        assert_eq!(records[0].native_code, None);
    }

    #[test]
    fn messages_assets_and_devices() {
        let items = [
            MtconnectItem {
                key: "msg",
                facts: None,
            },
            MtconnectItem {
                key: "@ASSET@",
                facts: None,
            },
            MtconnectItem {
                key: "avail",
                facts: None,
            },
        ];
        let selection = Selection::of(Some("OKUMA"), &items);
        let m = &selection.shdr(TS, &tokens("msg|C01|Door open"))[0];
        assert_eq!(
            (m.native_code.as_deref(), m.value.as_str()),
            (Some("C01"), "Door open")
        );
        let a = &selection.shdr(TS, &tokens("@ASSET@|T1|CuttingTool|<CuttingTool/>"))[0];
        assert_eq!(a.asset_id.as_deref(), Some("T1"));
        assert_eq!(a.asset_type.as_deref(), Some("CuttingTool"));
        assert_eq!(a.value, "<CuttingTool/>");
        // A key of another device is not the source's.
        assert!(selection
            .shdr(TS, &tokens("Mazak:avail|AVAILABLE"))
            .is_empty());
        let own = &selection.shdr(TS, &tokens("OKUMA:avail|AVAILABLE"))[0];
        assert_eq!(own.device.as_deref(), Some("OKUMA"));
        // Unselected keys are skipped with their values, whatever the values say.
        assert!(selection
            .shdr(TS, &tokens("x|avail|y|msg"))
            .iter()
            .all(|o| o.data_item != "avail" && o.data_item != "msg"));
    }
}
