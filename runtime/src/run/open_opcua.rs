//! Opening OPC UA sources and targets (feature `opcua`): each connects when it is opened, on the run's IO
//! threads, so that an endpoint that cannot be reached, a certificate or user the server refuses, or a node
//! it does not have stops the run before anything is read.

use std::time::Duration;

use serde::Serialize;

use super::{OpenSource, Run, TargetId};
use crate::error::RunError;
use crate::opcua::{
    OpcuaConnection, OpcuaSource, OpcuaTarget, SubscriptionCounters, SubscriptionSettings,
};

/// What a mapping's OPC UA source declares: `opcua(connection:, nodes:, browse_paths:,
/// sampling_interval:, publishing_interval:, queue_size:, deadband:)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpcuaSubscription<'a> {
    /// Monitored items by node id, as written (`ns=2;s=Spindle.Speed`, `nsu=urn:x;i=7`, `i=2258`).
    pub nodes: &'a [&'a str],
    /// Monitored items by browse path from the Objects folder (`/2:Machine/2:Spindle.2:Speed`).
    pub browse_paths: &'a [&'a str],
    /// For each browse path, the namespace URI of each element whose index is the server's
    /// for that URI (an element written without an index, which the compiler resolved in the
    /// NodeSets), `""` for the others; empty: every path is sent as written.
    pub browse_path_namespaces: &'a [&'a [&'a str]],
    pub sampling_interval: Duration,
    pub publishing_interval: Duration,
    pub queue_size: u32,
    /// An absolute deadband on the value; `None`: every change.
    pub deadband: Option<f64>,
}

/// What a mapping's OPC UA target declares: `opcua(connection:, writes:, read_back:)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpcuaWrites<'a> {
    /// (field, node id): each record writes these fields, each to its node; `{field}` in a node id is
    /// replaced by that field of the record (as text).
    pub writes: &'a [(&'a str, &'a str)],
    /// Read each written node back once the server confirmed the write; a different value is a reject.
    pub read_back: bool,
}

impl Run {
    /// Opens the OPC UA source a mapping declares, on the connection the deployment settings describe
    /// (see [`OpcuaConnection::from_settings`]); a test run may replace it with a file of JSON records
    /// (`--source NAME=PATH`), in the fields of a data change.
    pub fn opcua_source(
        &mut self,
        name: &str,
        connection: &str,
        subscription: &OpcuaSubscription<'_>,
    ) -> Result<OpenSource, RunError> {
        if let Some(replaced) = self.replaced_source(name)? {
            return Ok(replaced);
        }
        let settings = self.opcua_connection(connection)?;
        let subscription = SubscriptionSettings {
            nodes: subscription.nodes.iter().map(|n| n.to_string()).collect(),
            browse_paths: subscription
                .browse_paths
                .iter()
                .map(|p| p.to_string())
                .collect(),
            browse_path_namespaces: subscription
                .browse_path_namespaces
                .iter()
                .map(|uris| uris.iter().map(|u| u.to_string()).collect())
                .collect(),
            sampling_interval: subscription.sampling_interval,
            publishing_interval: subscription.publishing_interval,
            queue_size: subscription.queue_size,
            deadband: subscription.deadband,
            state_file: Some(self.base_dir().join(".fdi").join(format!(
                "opcua-{}-{name}.subscription.json",
                self.program.mapping
            ))),
        };
        self.connect_opcua_source(name, &settings, &subscription)
    }

    /// Opens the OPC UA target a mapping declares, on the connection the deployment settings describe.
    /// When the run captures targets, the server is not contacted and the target writes JSON Lines.
    pub fn opcua_target<T: Serialize + 'static>(
        &mut self,
        name: &str,
        connection: &str,
        writes: &OpcuaWrites<'_>,
    ) -> Result<TargetId<T>, RunError> {
        if let Some(captured) = self.capture(name)? {
            return Ok(captured);
        }
        let settings = self.opcua_connection(connection)?;
        self.connect_opcua_target(name, &settings, writes)
    }

    /// The settings of OPC UA connection `name`, paths relative to the run's base folder; a connection
    /// without security says so in a warning.
    fn opcua_connection(&self, name: &str) -> Result<OpcuaConnection, RunError> {
        let settings = OpcuaConnection::from_settings(self.connection(name)?, self.base_dir())?;
        if settings.is_insecure() {
            tracing::warn!(target: "fdi::opcua", connection = name, endpoint = %settings.endpoint_url, "OPC UA connection without security (security_mode = \"None\"): messages are neither signed nor encrypted");
        }
        Ok(settings)
    }

    /// Opens an OPC UA source subscribing as `subscription` says through `connection` (see
    /// [`OpcuaSource`]). Register it with its map function through [`Run::source`].
    pub fn connect_opcua_source(
        &mut self,
        name: &str,
        connection: &OpcuaConnection,
        subscription: &SubscriptionSettings,
    ) -> Result<OpenSource, RunError> {
        if let Some(replaced) = self.replaced_source(name)? {
            return Ok(replaced);
        }
        let counters = match self.ops.metrics() {
            Some(metrics) => metrics.opcua_counters(name),
            None => SubscriptionCounters::default(),
        };
        let source = OpcuaSource::open(name, connection, subscription, counters, self.io())?;
        self.source_index(name);
        Ok(OpenSource::stream(source))
    }

    /// Opens an OPC UA target writing through `connection` (see [`OpcuaTarget`]).
    pub fn connect_opcua_target<T: Serialize + 'static>(
        &mut self,
        name: &str,
        connection: &OpcuaConnection,
        writes: &OpcuaWrites<'_>,
    ) -> Result<TargetId<T>, RunError> {
        if let Some(captured) = self.capture(name)? {
            return Ok(captured);
        }
        let reconnects = match self.ops.metrics() {
            Some(metrics) => metrics.opcua_target_reconnects(name),
            None => Default::default(),
        };
        let target = OpcuaTarget::open(
            name,
            connection,
            writes.writes,
            writes.read_back,
            reconnects,
            self.io(),
        )?;
        Ok(self.add_target(name, Box::new(target)))
    }
}
