//! Opening MQTT sources and targets (feature `mqtt`): each connects on the run's IO threads.

use serde::Serialize;

use super::{Run, TargetId};
use crate::error::RunError;
use crate::mqtt::{MqttConnection, MqttSource, MqttSourceOptions, MqttTarget, MqttTargetOptions};

impl Run {
    /// Opens an MQTT source: subscribes to `options.subscriptions` as `connection.client_id`, with a
    /// persistent session and manual acknowledgements (see [`MqttSource`]). Register it with its map
    /// function through [`Run::stream_source`].
    pub fn mqtt_source(
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
    pub fn mqtt_target<T: Serialize + 'static>(
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
