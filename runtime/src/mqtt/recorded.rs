//! Broker messages read from a JSON Lines file, for a test run that replaces an MQTT source with a
//! file (`--source NAME=PATH`, which `fdi test` uses): each line is a message's JSON, and a line's
//! `_fdi_topic` member is the topic it came on. The topic is matched against the source's filters
//! as a live message's is (see `source.rs`), so the flows read the same `source.topic` and named
//! levels; a line without one is a record without a topic, and a flow that reads the topic
//! rejects it.

use std::sync::Arc;

use crate::error::RunError;
use crate::record::{Payload, Position, RawRecord};
use crate::source::{JsonlSource, ReadProgress, Source};
use crate::topic_filter::TopicFilter;

/// The member of a line that names its message's topic; it is left out of the message's bytes.
pub const TOPIC_MEMBER: &str = "_fdi_topic";

/// A JSON Lines file of broker messages; see the module documentation.
pub struct RecordedMessages {
    file: JsonlSource,
    filters: Vec<Arc<TopicFilter>>,
}

impl RecordedMessages {
    /// The messages of `file`, matched against `filters` (the source's, in the mapping's order).
    pub fn new(file: JsonlSource, filters: Vec<TopicFilter>) -> Self {
        RecordedMessages {
            file,
            filters: filters.into_iter().map(Arc::new).collect(),
        }
    }

    /// `raw` as the message it records, when its line names a topic.
    fn message(&self, raw: RawRecord) -> RawRecord {
        let Payload::JsonLine {
            text,
            encoding_error: None,
        } = &raw.payload
        else {
            return raw;
        };
        let Ok(serde_json::Value::Object(mut members)) = serde_json::from_str(text) else {
            return raw;
        };
        let Some(serde_json::Value::String(topic)) = members.remove(TOPIC_MEMBER) else {
            return raw;
        };
        let bytes = serde_json::Value::Object(members).to_string();
        let (source, position) = (raw.source_name().clone(), raw.position());
        match self.filters.iter().find(|f| f.matches(&topic)) {
            Some(filter) => {
                RawRecord::message(source, position, topic, bytes).matching(filter.clone())
            }
            None => {
                let reason = super::source::unmatched_topic(&topic, &self.filters);
                RawRecord::unreadable_message(source, position, topic, bytes, reason)
            }
        }
    }
}

impl Source for RecordedMessages {
    fn name(&self) -> &str {
        self.file.name()
    }

    fn read(&mut self) -> Result<Option<RawRecord>, RunError> {
        Ok(self.file.read()?.map(|raw| self.message(raw)))
    }

    fn recycle(&mut self, raw: RawRecord) {
        if raw.topic().is_none() {
            self.file.recycle(raw);
        }
    }

    fn acknowledge(&mut self, position: Position) -> Result<(), RunError> {
        self.file.acknowledge(position)
    }

    fn acknowledged(&self) -> Option<Position> {
        self.file.acknowledged()
    }

    fn progress(&self) -> Option<ReadProgress> {
        self.file.progress()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_with_a_topic_is_a_message_with_the_levels_of_its_filter() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("states.jsonl");
        std::fs::write(
            &path,
            "{\"seq\":1,\"_fdi_topic\":\"plant/3/M07/state\"}\n{\"seq\":2}\n{\"seq\":3,\"_fdi_topic\":\"other/x\"}\n",
        )
        .unwrap();
        let filters = vec![TopicFilter::parse("plant/+line/+machine/state").unwrap()];
        let mut source =
            RecordedMessages::new(JsonlSource::open("states", &path).unwrap(), filters);

        let first = source.read().unwrap().unwrap();
        assert_eq!(first.topic(), Some("plant/3/M07/state"));
        assert_eq!(first.topic_level("machine"), Ok("M07"));
        assert_eq!(
            first.original(),
            serde_json::json!({"seq": 1}),
            "the topic is not in the bytes"
        );
        let second = source.read().unwrap().unwrap();
        assert_eq!(second.topic(), None);
        assert!(second.topic_level("line").is_err());
        let third = source.read().unwrap().unwrap();
        let reject = crate::decode::<serde_json::Value>(&third, "State").unwrap_err();
        assert!(reject.to_string().contains("matches none"), "{reject}");
        assert!(source.read().unwrap().is_none());
    }
}
