//! An OPC UA subscription as a stream source: one delivery per notification message, one record per
//! data change (see `value.rs`), acknowledged to the server by sequence number once durable.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use opcua::types::SubscriptionAcknowledgement;
use tokio::runtime::Handle;
use tokio::sync::mpsc;

use super::connection::OpcuaConnection;
use super::error::OpcuaError;
use super::handles::{client_handle_base, MAX_ITEMS};
use super::node::{resolve_browse_paths, resolve_node_id};
use super::subscription::{
    MonitoredNode, Notification, PendingAcks, Subscriber, SubscriptionCounters, SubscriptionSpec,
};
use crate::error::RunError;
use crate::record::{Position, RawRecord};
use crate::source::{Delivery, InFlight, StreamSource};

const ROLE: &str = "source";

/// How many notification messages may wait for the run: then the subscription's task waits before
/// its next Publish request, and the server keeps the data changes (back-pressure).
const WAITING_MESSAGES: usize = 16;

/// What an OPC UA source monitors and how.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionSettings {
    /// Node ids as written (`ns=2;s=Spindle.Speed`, `nsu=urn:x;i=7`).
    pub nodes: Vec<String>,
    /// Browse paths from the Objects folder (`/2:Machine/2:State`).
    pub browse_paths: Vec<String>,
    /// For each browse path (or none), the namespace URI of each of its elements whose index the
    /// server's namespace array gives (an element the compiler resolved by its browse name in
    /// the NodeSets), empty for an element sent as written; see `node::resolve_browse_paths`.
    pub browse_path_namespaces: Vec<Vec<String>>,
    pub sampling_interval: Duration,
    pub publishing_interval: Duration,
    pub queue_size: u32,
    pub deadband: Option<f64>,
    /// Where the subscription's id is kept, so that the next run takes the subscription over and
    /// gets what the server still holds (see `resume.rs`); `None`: every run subscribes anew.
    pub state_file: Option<std::path::PathBuf>,
}

/// Data changes of the monitored items of one subscription.
///
/// Each notification message is one delivery; its position is that of its last record. When the run
/// acknowledges a position, every message up to it is acknowledged to the server in the next Publish
/// request: the server keeps a message until then and republishes it after a reconnect, so delivery
/// is at least once. With a state file (a run's sources have one), the next run of the program
/// takes the subscription over and gets every message the server still holds, so a crash or a
/// restart within the subscription's lifetime (the connection's `session_timeout`) loses nothing
/// either; after it, the server has dropped the subscription and what it held.
pub struct OpcuaSource {
    name: Arc<str>,
    receiver: mpsc::Receiver<Result<Notification, OpcuaError>>,
    acks: PendingAcks,
    /// Messages delivered and not acknowledged: position of their last record, subscription, sequence.
    in_flight: InFlight<SubscriptionAcknowledgement>,
    next_position: Position,
    task: tokio::task::JoinHandle<()>,
}

impl OpcuaSource {
    /// Connects (waiting on `io`), resolves the browse paths and `nsu=` namespaces, creates the
    /// subscription and its monitored items, and starts the task that publishes. A node the server
    /// does not have or does not let the program monitor fails here, before anything is read.
    pub fn open(
        name: &str,
        connection: &OpcuaConnection,
        settings: &SubscriptionSettings,
        counters: SubscriptionCounters,
        io: &Handle,
    ) -> Result<Self, RunError> {
        if settings.nodes.is_empty() && settings.browse_paths.is_empty() {
            return Err(RunError::Program(format!(
                "OPC UA source {name} monitors no node: give it nodes or browse_paths"
            )));
        }
        if settings.nodes.len() + settings.browse_paths.len() > MAX_ITEMS {
            return Err(RunError::Program(format!(
                "OPC UA source {name} monitors more than {MAX_ITEMS} nodes: split it into sources"
            )));
        }
        // The mapping's state file names the source for good (the program's mapping and the
        // source); without one, its name does.
        let identity = settings
            .state_file
            .as_ref()
            .and_then(|file| file.file_name())
            .map_or_else(
                || name.to_string(),
                |file| file.to_string_lossy().into_owned(),
            );
        let endpoint = connection.endpoint_url.clone();
        let fail =
            |action: &str, detail: String| OpcuaError::fatal(ROLE, name, &endpoint, action, detail);
        let (sender, receiver) = mpsc::channel(WAITING_MESSAGES);
        let acks: PendingAcks = Arc::new(Mutex::new(Vec::new()));
        let subscriber = io.block_on(async {
            let session = connection
                .connect(ROLE, name, counters.reconnects.clone())
                .await?;
            let mut items = Vec::new();
            for node in &settings.nodes {
                let node_id = resolve_node_id(&session.session, node)
                    .await
                    .map_err(|e| fail("monitor its nodes", e))?;
                items.push(MonitoredNode {
                    declared: node.clone(),
                    node_id_text: node_id.to_string(),
                    node_id,
                });
            }
            let paths: Vec<&str> = settings.browse_paths.iter().map(String::as_str).collect();
            let resolved =
                resolve_browse_paths(&session.session, &paths, &settings.browse_path_namespaces)
                    .await
                    .map_err(|e| fail("resolve its browse paths", e))?;
            for (path, node_id) in settings.browse_paths.iter().zip(resolved) {
                items.push(MonitoredNode {
                    declared: path.clone(),
                    node_id_text: node_id.to_string(),
                    node_id,
                });
            }
            let spec = SubscriptionSpec {
                items,
                sampling_interval: settings.sampling_interval,
                publishing_interval: settings.publishing_interval,
                queue_size: settings.queue_size,
                deadband: settings.deadband,
                lifetime: connection.session_timeout,
                state_file: settings.state_file.clone(),
                request_timeout: connection.request_timeout,
                handle_base: client_handle_base(&identity),
            };
            let mut subscriber = Subscriber::new(
                name,
                &endpoint,
                session,
                spec,
                counters,
                sender,
                acks.clone(),
            );
            if !subscriber.resume().await? {
                subscriber.create().await?;
            }
            Ok::<_, OpcuaError>(subscriber)
        })?;
        let task = io.spawn(subscriber.run());
        Ok(OpcuaSource {
            name: Arc::from(name),
            receiver,
            acks,
            in_flight: InFlight::default(),
            next_position: 1,
            task,
        })
    }
}

impl Drop for OpcuaSource {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl StreamSource for OpcuaSource {
    fn name(&self) -> &str {
        &self.name
    }

    /// Cancel-safe: receiving from the channel is, and nothing changes before a message is taken.
    async fn next(&mut self) -> Result<Option<Delivery>, RunError> {
        let Some(received) = self.receiver.recv().await else {
            return Err(RunError::Connector(format!(
                "OPC UA source {}: the subscription's task ended",
                self.name
            )));
        };
        let notification = received?;
        let first = self.next_position;
        let records: Vec<RawRecord> = notification
            .records
            .into_iter()
            .enumerate()
            .map(|(i, text)| RawRecord::json_line(self.name.clone(), first + i as u64, text))
            .collect();
        let position = first + records.len() as u64 - 1;
        self.next_position = position + 1;
        self.in_flight.push(
            position,
            SubscriptionAcknowledgement {
                subscription_id: notification.subscription_id,
                sequence_number: notification.sequence,
            },
        );
        Ok(Some(Delivery { records, position }))
    }

    async fn acknowledge(&mut self, position: Position) -> Result<(), RunError> {
        let durable: Vec<_> = self.in_flight.acknowledged(position).collect();
        if !durable.is_empty() {
            self.acks.lock().expect("acks lock").extend(durable);
        }
        Ok(())
    }
}
