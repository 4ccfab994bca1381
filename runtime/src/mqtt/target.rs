//! The MQTT target: publishes each record as a JSON object to a topic built from its fields.
//!
//! # Guarantee
//!
//! At QoS 1, [`Durable::flush`] returns only once the broker has acknowledged (PUBACK) every message
//! published so far: the broker then has them, so the run may acknowledge its sources. A message whose
//! acknowledgement did not come before the connection was lost is published again once the client is
//! connected again, whether or not the broker kept the session (rumqttc would drop them with a session
//! the broker forgot; this target keeps them and hands them back): at least once, so a subscriber may
//! see a message twice. At QoS 0 a message is sent once and not waited for: at most once.
//!
//! A lost connection is transient ([`Durable::is_transient`]): a write waits for room in the client's
//! queue, and a flush for its acknowledgements, up to [`MqttTargetOptions::ack_timeout`]; then it fails
//! with an error the run retries for `--retry-targets-for`, while the client reconnects with capped
//! exponential backoff.
//!
//! The client connects with a clean session (a publisher keeps no state at the broker) and its own
//! client id, which must differ from every other client's on the broker, also from a source's of the
//! same program: a broker disconnects the older of two clients with one id.

use std::marker::PhantomData;
use std::time::Duration;

use rumqttc::{AsyncClient, Event, EventLoop, LastWill, Outgoing, Packet, Request};
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::connection::{is_fatal, Backoff, MqttConnection, MqttQos};
use super::template::TopicTemplate;
use super::tls::describe_connection_error;
use crate::error::RunError;
use crate::outcome::Reject;
use crate::target::{Durable, Target};

/// Publishes queued for the connection before a write waits.
const REQUEST_CAPACITY: usize = 1024;

/// How a target publishes.
#[derive(Debug, Clone)]
pub struct MqttTargetOptions {
    /// The topic of each record (see [`TopicTemplate`]).
    pub topic: TopicTemplate,
    pub qos: MqttQos,
    /// Whether the broker keeps the last message of each topic for subscribers that come later.
    pub retain: bool,
    /// The message the broker publishes when this client's connection ends without a DISCONNECT (the
    /// program crashed, or the network failed); `None`: the connection's (`MqttConnection::last_will`).
    pub last_will: Option<MqttLastWill>,
    /// How long a write waits for room and a flush for the broker's acknowledgements before they fail
    /// with a transient error.
    pub ack_timeout: Duration,
}

impl MqttTargetOptions {
    /// Publishing to `topic` at `qos`, not retained, without a last will, waiting up to 30 s.
    pub fn new(topic: TopicTemplate, qos: MqttQos) -> Self {
        MqttTargetOptions {
            topic,
            qos,
            retain: false,
            last_will: None,
            ack_timeout: Duration::from_secs(30),
        }
    }
}

/// A last will: published by the broker for this client when its connection is lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttLastWill {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: MqttQos,
    pub retain: bool,
}

/// What the connection task reports.
#[derive(Debug, Clone, Default)]
struct LinkState {
    connected: bool,
    /// QoS 1 publishes the broker has acknowledged since the target was opened.
    acknowledged: u64,
    /// The broker refused the client for good.
    failed: Option<String>,
}

/// An MQTT target for records of type `T`; see the module documentation.
pub struct MqttTarget<T> {
    name: String,
    client: AsyncClient,
    runtime: tokio::runtime::Handle,
    options: MqttTargetOptions,
    link: watch::Receiver<LinkState>,
    /// QoS 1 publishes handed to the client since the target was opened.
    published: u64,
    task: Option<JoinHandle<()>>,
    /// The start of every transient error's message, by which [`Durable::is_transient`] knows it.
    transient: String,
    record: PhantomData<fn(&T)>,
}

impl<T> MqttTarget<T> {
    /// Starts the target's connection on `runtime` (the run's IO threads) and returns at once; the
    /// connection is made in the background and a flush waits for it. Refused here: settings that cannot
    /// connect, and a last will whose topic is empty or has a wildcard.
    pub fn connect(
        name: &str,
        connection: &MqttConnection,
        options: MqttTargetOptions,
        runtime: &tokio::runtime::Handle,
    ) -> Result<MqttTarget<T>, RunError> {
        let what = format!("target {name}");
        let mut mqtt = connection.options(&what).map_err(RunError::Usage)?;
        mqtt.set_clean_session(true);
        // The target's own will, else the one of its connection's settings.
        if let Some(will) = options.last_will.as_ref().or(connection.last_will.as_ref()) {
            if will.topic.is_empty() || will.topic.contains(['+', '#', '\0']) {
                return Err(RunError::Usage(format!(
                    "{what}: the last will's topic {:?} must be one topic, without `+` or `#`",
                    will.topic
                )));
            }
            mqtt.set_last_will(LastWill::new(
                &will.topic,
                will.payload.clone(),
                will.qos.rumqttc(),
                will.retain,
            ));
        }
        let (client, event_loop) = AsyncClient::new(mqtt, REQUEST_CAPACITY);
        let (report, link) = watch::channel(LinkState::default());
        let task = runtime.spawn(run_connection(what.clone(), event_loop, report));
        Ok(MqttTarget {
            transient: format!("{what}: the MQTT broker"),
            name: name.to_string(),
            client,
            runtime: runtime.clone(),
            options,
            link,
            published: 0,
            task: Some(task),
            record: PhantomData,
        })
    }

    fn unreachable(&self, what: &str) -> RunError {
        let connected = self.link.borrow().connected;
        unreachable(&self.transient, connected, what, self.options.ack_timeout)
    }

    fn failed(&self) -> Option<RunError> {
        self.link
            .borrow()
            .failed
            .as_ref()
            .map(|reason| refused(&self.name, reason))
    }
}

/// The broker refused target `name` for good (`reason`: credentials, a certificate TLS does not accept):
/// the deployment's settings must change, as for any other setting that cannot work.
fn refused(name: &str, reason: &str) -> RunError {
    RunError::Usage(format!("target {name}: {reason}"))
}

/// A target's wait for the broker that took longer than `within`: a transient error, which starts
/// with the target's `transient` text (by which its `is_transient` knows it).
pub(super) fn unreachable(
    transient: &str,
    connected: bool,
    what: &str,
    within: Duration,
) -> RunError {
    let connected = if connected {
        "is connected"
    } else {
        "is not reachable"
    };
    RunError::Connector(format!("{transient} {connected}; {what} within {within:?}"))
}

impl<T> Durable for MqttTarget<T> {
    fn name(&self) -> &str {
        &self.name
    }

    fn flush(&mut self) -> Result<(), RunError> {
        if let Some(error) = self.failed() {
            return Err(error);
        }
        let wanted = self.published;
        let mut link = self.link.clone();
        let waited = self.runtime.block_on(async {
            tokio::time::timeout(
                self.options.ack_timeout,
                link.wait_for(|state| state.acknowledged >= wanted || state.failed.is_some()),
            )
            .await
            .map(|result| result.map(|state| state.failed.clone()))
        });
        match waited {
            Ok(Ok(None)) => Ok(()),
            Ok(Ok(Some(reason))) => Err(refused(&self.name, &reason)),
            Ok(Err(_)) => Err(RunError::Connector(format!(
                "target {}: its MQTT connection stopped",
                self.name
            ))),
            Err(_) => {
                let missing = wanted.saturating_sub(self.link.borrow().acknowledged);
                Err(self.unreachable(&format!("{missing} messages were not acknowledged")))
            }
        }
    }

    fn is_transient(&self, error: &RunError) -> bool {
        matches!(error, RunError::Connector(message) if message.starts_with(&self.transient))
    }
}

impl<T: Serialize> Target<T> for MqttTarget<T> {
    fn write(&mut self, record: &T) -> Result<Result<(), Reject>, RunError> {
        if let Err(reject) = crate::target::check_writable(record) {
            return Ok(Err(reject));
        }
        let topic = if self.options.topic.is_fixed() {
            self.options.topic.as_str().to_string()
        } else {
            let fields = serde_json::to_value(record).map_err(|e| {
                RunError::Program(format!(
                    "target {}: cannot serialize a record: {e}",
                    self.name
                ))
            })?;
            match self.options.topic.render(&fields) {
                Ok(topic) => topic,
                Err(reject) => return Ok(Err(reject)),
            }
        };
        let payload = serde_json::to_vec(record).map_err(|e| {
            RunError::Program(format!(
                "target {}: cannot serialize a record: {e}",
                self.name
            ))
        })?;
        if let Some(error) = self.failed() {
            return Err(error);
        }
        let qos = self.options.qos;
        let publish = self
            .client
            .publish(topic, qos.rumqttc(), self.options.retain, payload);
        match self
            .runtime
            .block_on(async { tokio::time::timeout(self.options.ack_timeout, publish).await })
        {
            Ok(Ok(())) => {
                if qos == MqttQos::AtLeastOnce {
                    self.published += 1;
                }
                Ok(Ok(()))
            }
            Ok(Err(error)) => Err(RunError::Connector(format!(
                "target {}: cannot publish: {error}",
                self.name
            ))),
            Err(_) => Err(self.unreachable("no room for another message")),
        }
    }
}

impl<T> Drop for MqttTarget<T> {
    /// Disconnects cleanly (so the broker does not publish the last will) once what was queued is sent.
    fn drop(&mut self) {
        let Some(task) = self.task.take() else {
            return;
        };
        if task.is_finished() {
            // The broker refused the client, or the IO threads are gone: there is no connection.
            return;
        }
        if tokio::runtime::Handle::try_current().is_ok() {
            // Dropped on a runtime thread, which must not block: the connection just ends.
            let _ = self.client.try_disconnect();
            return;
        }
        let client = self.client.clone();
        let abort = task.abort_handle();
        let finished = self.runtime.block_on(async move {
            tokio::time::timeout(Duration::from_secs(5), async move {
                client.disconnect().await.ok()?;
                task.await.ok()
            })
            .await
        });
        if !matches!(finished, Ok(Some(()))) {
            abort.abort();
        }
    }
}

/// Drives rumqttc's event loop: counts acknowledgements, keeps what a lost connection left unsent and
/// hands it back after reconnecting, reconnects with backoff. Ends after a clean disconnect, or when the
/// broker refuses the client for good.
async fn run_connection(what: String, mut event_loop: EventLoop, report: watch::Sender<LinkState>) {
    let mut backoff = Backoff::new();
    // Publishes not acknowledged when a connection was lost (rumqttc puts them in `pending`, and drops
    // them when the broker has no session, as with a clean session it never has).
    let mut unsent: Vec<Request> = Vec::new();
    let mut disconnecting = false;
    loop {
        match event_loop.poll().await {
            // After the DISCONNECT, until the broker closes the connection: it has read the
            // DISCONNECT then, and publishes no last will. Returning at once could reset the
            // socket before the broker read it, and the broker would publish the will.
            Err(_) if disconnecting => return,
            Ok(_) if disconnecting => {}
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                backoff.reset();
                unsent.extend(event_loop.pending.drain(..));
                event_loop.pending.extend(unsent.drain(..));
                report.send_modify(|state| state.connected = true);
                tracing::info!(target: "fdi::mqtt", target_name = %what, "connected to the MQTT broker");
            }
            Ok(Event::Incoming(Packet::PubAck(_))) => {
                report.send_modify(|state| state.acknowledged += 1);
            }
            Ok(Event::Outgoing(Outgoing::Disconnect)) => {
                report.send_modify(|state| state.connected = false);
                disconnecting = true;
            }
            Ok(_) => {}
            Err(error) => {
                unsent.extend(event_loop.pending.drain(..));
                report.send_modify(|state| state.connected = false);
                if is_fatal(&error) {
                    let reason = format!(
                        "cannot connect to the MQTT broker: {}",
                        describe_connection_error(&error)
                    );
                    report.send_modify(|state| state.failed = Some(reason));
                    return;
                }
                let wait = backoff.next_wait();
                tracing::warn!(target: "fdi::mqtt", target_name = %what, %error, retry_in = ?wait, "MQTT connection lost; reconnecting");
                tokio::time::sleep(wait).await;
            }
        }
    }
}
