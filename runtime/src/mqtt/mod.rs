//! The MQTT connector (cargo feature `mqtt`): a source that subscribes to topic filters and acknowledges
//! each message only once it is durable ([`MqttSource`]), and a target that publishes records as JSON to
//! topics built from their fields ([`MqttTarget`]), or, with feature `sparkplug`, as the metrics of a
//! Sparkplug B edge node ([`SparkplugTarget`]). Each runs rumqttc's client on the run's IO threads.
//!
//! A message becomes a [`crate::RawRecord::message`]: its topic and its bytes, decoded as JSON, with
//! the first of the source's [`TopicFilter`]s its topic matches. The mapping reaches the topic
//! (`source.topic`, [`crate::RawRecord::message_topic`]) and the levels that filter names
//! (`plant/+line/+machine/state`: `source.levels.line`, [`crate::RawRecord::topic_level`]).
//!
//! Connection settings ([`MqttConnection`]) come from the deployment, not the mapping; a password is a
//! [`Secret`], which never prints. What each side guarantees is in `source.rs` and `target.rs`, and for
//! users in `docs/connectors/mqtt.md`.

mod connection;
mod recorded;
mod source;
#[cfg(feature = "sparkplug")]
mod sparkplug_records;
#[cfg(feature = "sparkplug")]
mod sparkplug_target;
mod target;
mod template;
mod tls;

pub use self::connection::{MqttConnection, MqttQos, Secret};
pub use self::recorded::{RecordedMessages, TOPIC_MEMBER};
pub use self::source::{MqttSource, MqttSourceOptions};
#[cfg(feature = "sparkplug")]
pub use self::sparkplug_target::{SparkplugTarget, SparkplugTargetOptions};
pub use self::target::{MqttLastWill, MqttTarget, MqttTargetOptions};
pub use self::template::{TopicTemplate, NO_TOPIC};
pub use self::tls::{MqttClientCert, MqttTls};
pub use crate::topic_filter::{TopicFilter, TopicFilterError, TopicLevels};
