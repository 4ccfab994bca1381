//! Opening MQTT sources and targets (feature `mqtt`): each connects on the run's IO threads.

use serde::Serialize;

use super::{OpenSource, Run, TargetId};
use crate::error::RunError;
use crate::mqtt::{
    MqttConnection, MqttQos, MqttSource, MqttSourceOptions, MqttTarget, MqttTargetOptions,
    RecordedMessages, TopicFilter, TopicTemplate,
};
use crate::settings::ConnectionSettings;
use crate::source::JsonlSource;

/// How the bytes of a broker message become records (the mapping's `payload:` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessagePayload {
    /// One JSON object, one record.
    Json,
    /// A Sparkplug B payload: each metric of a birth or data message is one record (see
    /// `mqtt/sparkplug_records.rs`); of the metrics named in `metrics` only, unless it is empty.
    #[cfg(feature = "sparkplug")]
    SparkplugB { metrics: &'static [&'static str] },
}

impl Run {
    /// Opens the MQTT source a mapping declares: `mqtt(connection: CONNECTION, topics: [...], qos: N)`.
    /// The connection's settings come from the deployment settings (see [`MqttConnection::from_settings`]);
    /// the source's client id is the connection's `client_id` and the source's name, so that a broker
    /// keeps one session per source. In a test run that replaces the source with a file
    /// (`--source NAME=PATH`), the file is read instead, as messages whose `_fdi_topic` is their
    /// topic ([`RecordedMessages`]), and the broker is not contacted.
    pub fn mqtt_source(
        &mut self,
        name: &str,
        connection: &str,
        topics: &[&str],
        qos: u8,
        payload: MessagePayload,
    ) -> Result<OpenSource, RunError> {
        let qos = qos_of("source", name, qos)?;
        let subscriptions = topics
            .iter()
            .map(|topic| {
                TopicFilter::parse(topic)
                    .map(|filter| (filter, qos))
                    .map_err(|e| {
                        RunError::Program(format!("source {name}: topic filter {topic:?}: {e}"))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        // A replay of the dead letter connects to no broker (see `replay.rs`).
        let filters: Vec<TopicFilter> = subscriptions.iter().map(|(f, _)| f.clone()).collect();
        if let Some(stand_in) = self.replay_stand_in(name, false, filters) {
            return Ok(OpenSource::blocking(stand_in));
        }
        // A test run reads the messages from a file, with their topics (`_fdi_topic`).
        if let Some(path) = self.config.source_paths.get(name) {
            let file = JsonlSource::open(name, &self.base_dir.join(path))?;
            self.source_index(name);
            let filters = subscriptions
                .into_iter()
                .map(|(filter, _)| filter)
                .collect();
            return Ok(OpenSource::blocking(RecordedMessages::new(file, filters)));
        }
        let connection_settings = self.connection(connection)?;
        // The broker's limit of unacknowledged messages (mosquitto's `max_inflight_messages`).
        let max_unacknowledged = connection_settings
            .number::<usize>("max_unacknowledged")?
            .unwrap_or(MqttSourceOptions::DEFAULT_MAX_UNACKNOWLEDGED);
        let settings = client_of(connection_settings, name)?;
        let mut options = MqttSourceOptions::new(subscriptions);
        options.max_unacknowledged = max_unacknowledged;
        match payload {
            MessagePayload::Json => {}
            #[cfg(feature = "sparkplug")]
            MessagePayload::SparkplugB { metrics } => {
                options.sparkplug = true;
                options.sparkplug_metrics = metrics.iter().map(|m| m.to_string()).collect();
                if let Some(metrics) = self.ops.metrics() {
                    options.sparkplug_counters = metrics.sparkplug_counters(name);
                }
            }
        }
        let source = self.connect_mqtt_source(name, &settings, options)?;
        Ok(OpenSource::stream(source))
    }

    /// Opens the MQTT target a mapping declares: `mqtt(connection: CONNECTION, topic: "...", qos: N,
    /// retain: B)`, publishing as the connection's `client_id` and the target's name.
    pub fn mqtt_target<T: Serialize + 'static>(
        &mut self,
        name: &str,
        connection: &str,
        topic: &str,
        qos: u8,
        retain: bool,
    ) -> Result<TargetId<T>, RunError> {
        if let Some(captured) = self.capture(name)? {
            return Ok(captured);
        }
        let (settings, options) =
            self.mqtt_target_settings(name, connection, topic, qos, retain)?;
        self.connect_mqtt_target(name, &settings, options)
    }

    /// The connection and options of the MQTT target `name` a mapping declares.
    fn mqtt_target_settings(
        &self,
        name: &str,
        connection: &str,
        topic: &str,
        qos: u8,
        retain: bool,
    ) -> Result<(MqttConnection, MqttTargetOptions), RunError> {
        let settings = client_of(self.connection(connection)?, name)?;
        let qos = qos_of("target", name, qos)?;
        let template = TopicTemplate::parse(topic)
            .map_err(|e| RunError::Program(format!("target {name}: {e}")))?;
        let mut options = MqttTargetOptions::new(template, qos);
        options.retain = retain;
        Ok((settings, options))
    }

    /// Opens the MQTT target a mapping declares (see [`Run::mqtt_target`]) through its store-and-forward
    /// queue (see [`Run::queued_target`]): a broker that is away holds up the queue's forwarder, not the run.
    pub fn queued_mqtt_target<T: Serialize + 'static>(
        &mut self,
        name: &str,
        connection: &str,
        topic: &str,
        qos: u8,
        retain: bool,
    ) -> Result<TargetId<T>, RunError> {
        if let Some(captured) = self.capture(name)? {
            return Ok(captured);
        }
        let (settings, options) =
            self.mqtt_target_settings(name, connection, topic, qos, retain)?;
        let (owned_name, io) = (name.to_string(), self.io().clone());
        let open = move || -> Result<crate::queue::Forwarded, RunError> {
            let target = MqttTarget::connect(&owned_name, &settings, options.clone(), &io)?;
            Ok(Box::new(target))
        };
        self.queued_target(name, crate::queue::OpenForwarded::opened_offline(open))
    }

    /// Opens the Sparkplug B target a mapping declares: `mqtt(connection: CONNECTION, payload:
    /// "sparkplug_b", group_id: G, edge_node_id: N, device_id: D, qos: Q)`. The program is edge node
    /// `G/N` (see [`SparkplugTarget`]), publishing as the connection's `client_id` and the target's
    /// name; each record's fields (`columns`) are its metrics. The bdSeq of its last session is kept
    /// in `sparkplug-bdseq-G-N` beside the dead letter.
    #[cfg(feature = "sparkplug")]
    #[allow(clippy::too_many_arguments)]
    pub fn sparkplug_target<T: Serialize + 'static>(
        &mut self,
        name: &str,
        connection: &str,
        group_id: &str,
        edge_node_id: &str,
        device_id: Option<&str>,
        qos: u8,
        columns: &'static [crate::target::Column],
    ) -> Result<TargetId<T>, RunError> {
        if let Some(captured) = self.capture(name)? {
            return Ok(captured);
        }
        let (settings, options) = self.sparkplug_target_settings(
            name,
            connection,
            group_id,
            edge_node_id,
            device_id,
            qos,
        )?;
        let target = crate::mqtt::SparkplugTarget::<T>::connect(
            name,
            &settings,
            options,
            columns,
            self.io(),
        )?;
        Ok(self.add_target(name, Box::new(target)))
    }

    /// The connection and options of the Sparkplug B target `name` a mapping declares.
    #[cfg(feature = "sparkplug")]
    fn sparkplug_target_settings(
        &self,
        name: &str,
        connection: &str,
        group_id: &str,
        edge_node_id: &str,
        device_id: Option<&str>,
        qos: u8,
    ) -> Result<(MqttConnection, crate::mqtt::SparkplugTargetOptions), RunError> {
        let settings = client_of(self.connection(connection)?, name)?;
        let qos = qos_of("target", name, qos)?;
        let dead_letter = self.base_dir.join(&self.config.dead_letter);
        let folder = dead_letter.parent().unwrap_or(&self.base_dir);
        let options = crate::mqtt::SparkplugTargetOptions {
            node: crate::sparkplug::EdgeNodeId {
                group: group_id.to_string(),
                edge_node: edge_node_id.to_string(),
            },
            device: device_id.map(str::to_string),
            qos,
            bd_seq_file: folder.join(format!("sparkplug-bdseq-{group_id}-{edge_node_id}")),
            ack_timeout: std::time::Duration::from_secs(30),
        };
        Ok((settings, options))
    }

    /// Opens the Sparkplug B target a mapping declares (see [`Run::sparkplug_target`]) through its
    /// store-and-forward queue (see [`Run::queued_target`]). After an outage the forwarder opens the edge node
    /// anew: a new session (NBIRTH, the next bdSeq), as a restart of the program would.
    #[cfg(feature = "sparkplug")]
    #[allow(clippy::too_many_arguments)]
    pub fn queued_sparkplug_target<T: Serialize + 'static>(
        &mut self,
        name: &str,
        connection: &str,
        group_id: &str,
        edge_node_id: &str,
        device_id: Option<&str>,
        qos: u8,
        columns: &'static [crate::target::Column],
    ) -> Result<TargetId<T>, RunError> {
        if let Some(captured) = self.capture(name)? {
            return Ok(captured);
        }
        let (settings, options) = self.sparkplug_target_settings(
            name,
            connection,
            group_id,
            edge_node_id,
            device_id,
            qos,
        )?;
        let (owned_name, io) = (name.to_string(), self.io().clone());
        let open = move || -> Result<crate::queue::Forwarded, RunError> {
            let target = crate::mqtt::SparkplugTarget::connect(
                &owned_name,
                &settings,
                options.clone(),
                columns,
                &io,
            )?;
            Ok(Box::new(target))
        };
        self.queued_target(name, crate::queue::OpenForwarded::opened_offline(open))
    }

    /// Opens an MQTT source: subscribes to `options.subscriptions` as `connection.client_id`, with a
    /// persistent session and manual acknowledgements (see [`MqttSource`]). Register it with its map
    /// function through [`Run::stream_source`].
    pub fn connect_mqtt_source(
        &mut self,
        name: &str,
        connection: &MqttConnection,
        options: MqttSourceOptions,
    ) -> Result<MqttSource, RunError> {
        let source = MqttSource::connect(name, connection, options, self.io())?;
        self.source_index(name);
        Ok(source)
    }

    /// Opens an MQTT target publishing records of type `T` as JSON (see [`MqttTarget`]). When the run
    /// captures targets, the broker is not contacted and the target writes JSON Lines instead (see
    /// [`Run::jsonl_target`]).
    pub fn connect_mqtt_target<T: Serialize + 'static>(
        &mut self,
        name: &str,
        connection: &MqttConnection,
        options: MqttTargetOptions,
    ) -> Result<TargetId<T>, RunError> {
        if let Some(captured) = self.capture(name)? {
            return Ok(captured);
        }
        let target = MqttTarget::<T>::connect(name, connection, options, self.io())?;
        Ok(self.add_target(name, Box::new(target)))
    }
}

/// The connection a source or target `name` opens on the connection settings `settings`: as the
/// settings' `client_id` and its own name, so that a broker keeps one session for each.
fn client_of(settings: &ConnectionSettings, name: &str) -> Result<MqttConnection, RunError> {
    let mut connection = MqttConnection::from_settings(settings)?;
    connection.client_id = format!("{}-{name}", connection.client_id);
    Ok(connection)
}

/// QoS `level` of the `role` `name`, as the mapping gives it (the checker allows 0 and 1 only).
fn qos_of(role: &str, name: &str, level: u8) -> Result<MqttQos, RunError> {
    MqttQos::from_level(level)
        .ok_or_else(|| RunError::Program(format!("{role} {name}: QoS {level} is not 0 or 1")))
}
