//! The MQTT source: subscribes to topic filters and hands each message to the run as one delivery,
//! acknowledged only once the run has made it durable.
//!
//! # Guarantee
//!
//! * **QoS 1: at least once.** The source connects with a fixed client id and clean session off, so the
//!   broker keeps its subscriptions and every QoS 1 message not acknowledged yet, also while the program
//!   is down. Acknowledgements are manual: a message's PUBACK is sent only when the run acknowledges its
//!   position, which it does after everything the message became is durably written, filtered or
//!   dead-lettered (`run/drive.rs`). A message the program had not acknowledged when it stopped, crashed
//!   or lost its connection is delivered again, so it may be read twice; none is lost.
//! * **QoS 0: at most once.** The broker sends such a message once and forgets it; one that is in flight
//!   when the program stops or the connection drops is lost. Nothing is acknowledged.
//!
//! # Messages in flight
//!
//! A broker sends a client at most so many QoS 1 messages it has not acknowledged (mosquitto's
//! `max_inflight_messages`, 20 by default); then it waits. The source tells the run this limit
//! ([`MqttSourceOptions::max_unacknowledged`], through `StreamSource::unacknowledged_limit`), and the run
//! checkpoints the source when that many deliveries wait, whatever `--checkpoint-every` says, so a
//! source never waits for its own acknowledgements until `--checkpoint-interval`. Set it to the broker's
//! limit (or below); a higher value than the broker's does not lose messages, but then each checkpoint
//! of a busy topic waits for the interval.
//!
//! # Topics and their named levels
//!
//! The broker is sent each filter without its level names (`plant/+line/+machine/state` subscribes to
//! `plant/+/+/state`). Each message is matched against the filters again, in the order the mapping lists
//! them, and its record keeps the first filter its topic matches ([`RawRecord::matching`]), whose names
//! the mapping reads the levels by ([`RawRecord::topic_level`]): a message of overlapping filters is read
//! by the first. A broker may send a topic that matches none of them: a persistent session keeps the
//! subscriptions of an earlier version of the mapping, which the broker serves until it is told to
//! unsubscribe. Such a message is a decode reject with its reason and its bytes, acknowledged like any
//! other, so it is neither lost silently nor mapped with levels it does not have.
//!
//! # Connection
//!
//! rumqttc's event loop runs in a task of its own that forwards each message into a channel, so
//! [`StreamSource::next`] is cancel-safe and the connection keeps its keep-alive while the run works.
//! The channel holds 256 messages; when the run falls that far behind (only QoS 0 messages can, since
//! the broker's in-flight limit holds QoS 1 ones back), the task waits and sends no keep-alive, and a
//! broker may drop a connection that stays silent for one and a half keep-alives: it is made again.
//! A lost connection is reconnected with capped exponential backoff (100 ms doubling to 30 s). The
//! source subscribes when it first connects (so a changed list of filters takes effect; a broker sends
//! retained messages again then) and again whenever the broker no longer has its session.
//! Acknowledgements go out in the order the messages came, as MQTT requires; one for a message received
//! on an earlier connection is not sent, since the broker delivers that message again on the new one.
//!
//! An acknowledgement never waits for room in the client's request queue. rumqttc's event loop hands
//! out the messages it has read before it takes a request, so while it is waiting to forward a message
//! to a source that waited for room to acknowledge, neither moved: a broker that sends a returning
//! session tens of thousands of queued messages at once (mosquitto does, whatever its in-flight limit)
//! filled the queue with acknowledgements and stopped the program for good. Acknowledgements that find
//! the queue full wait in the source and are queued as it drains, while the source goes on reading.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rumqttc::{
    AsyncClient, Event, EventLoop, Packet, Publish, SubscribeFilter, SubscribeReasonCode,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::connection::{is_fatal, Backoff, MqttConnection, MqttQos};
use super::tls::describe_connection_error;
use crate::error::RunError;
use crate::record::{Position, RawRecord};
use crate::source::{Delivery, StreamSource};
use crate::topic_filter::TopicFilter;

/// Messages received and not yet taken by the run; beyond, the connection task waits (and so does the
/// broker, for QoS 1).
const RECEIVED_BUFFER: usize = 256;

/// Requests queued for the connection (subscriptions, acknowledgements, rebirth requests). A full queue
/// holds acknowledgements back (see the module documentation), never the source.
const REQUEST_CAPACITY: usize = 1 << 16;

/// The largest packet MQTT 3.1.1 can frame (a remaining length of 268,435,455 bytes and its fixed
/// header), taken whole: a message the source refused for its size would break the connection, come
/// again on the next and stop the source for good (a 17 MiB message did, with rumqttc's 16 MiB). What
/// the mapping cannot take is dead-lettered like any other message. rumqttc's buffer grows with what
/// arrives, so the limit costs nothing until such a message comes.
const LARGEST_MQTT_PACKET: usize = 268_435_455 + 5;

/// How often a source with acknowledgements held back and no message arriving tries to queue them again.
const ACKNOWLEDGE_RETRY: std::time::Duration = std::time::Duration::from_millis(10);

/// What an MQTT source subscribes to and how.
#[derive(Debug, Clone)]
pub struct MqttSourceOptions {
    /// The filters, each with the QoS to subscribe at.
    pub subscriptions: Vec<(TopicFilter, MqttQos)>,
    /// The broker's limit of unacknowledged QoS 1 messages per client (mosquitto's
    /// `max_inflight_messages`): the run checkpoints the source before that many wait (see the module
    /// documentation).
    pub max_unacknowledged: usize,
    /// Read each message as a Sparkplug B payload whose metrics are the records (see
    /// `sparkplug_records.rs`), instead of as one JSON record.
    #[cfg(feature = "sparkplug")]
    pub sparkplug: bool,
    /// With `sparkplug`: the metrics that become records; empty, every metric.
    #[cfg(feature = "sparkplug")]
    pub sparkplug_metrics: Vec<String>,
    /// Where the Sparkplug host session counts sequence gaps and rebirth requests.
    #[cfg(feature = "sparkplug")]
    pub sparkplug_counters: crate::ops::metrics::SparkplugCounters,
}

impl MqttSourceOptions {
    /// mosquitto's default `max_inflight_messages`.
    pub const DEFAULT_MAX_UNACKNOWLEDGED: usize = 20;

    /// Subscriptions with the default limit of unacknowledged messages.
    pub fn new(subscriptions: Vec<(TopicFilter, MqttQos)>) -> Self {
        MqttSourceOptions {
            subscriptions,
            max_unacknowledged: Self::DEFAULT_MAX_UNACKNOWLEDGED,
            #[cfg(feature = "sparkplug")]
            sparkplug: false,
            #[cfg(feature = "sparkplug")]
            sparkplug_metrics: Vec::new(),
            #[cfg(feature = "sparkplug")]
            sparkplug_counters: Default::default(),
        }
    }
}

/// What the connection task hands the source.
enum Received {
    /// A message, and the connection it came on.
    Message { connection: u64, publish: Publish },
    /// The broker refused the client or a subscription: the source fails with this.
    Failed(RunError),
}

/// A QoS 1 message delivered and not yet acknowledged.
#[derive(Debug)]
struct Unacknowledged {
    position: Position,
    connection: u64,
    packet_id: u16,
}

/// An MQTT source; see the module documentation.
pub struct MqttSource {
    name: String,
    shared_name: Arc<str>,
    client: AsyncClient,
    received: mpsc::Receiver<Received>,
    /// The number of the connection the task has now (it changes when one is lost and when one is made).
    connection: Arc<AtomicU64>,
    unacknowledged: VecDeque<Unacknowledged>,
    /// Acknowledgements due (the run acknowledged their positions) that found the request queue full,
    /// in order: (connection, packet id).
    held_back: VecDeque<(u64, u16)>,
    last_position: Position,
    max_unacknowledged: usize,
    has_qos1: bool,
    /// The filters subscribed to, in the mapping's order, shared with the records that match them.
    filters: Vec<Arc<TopicFilter>>,
    task: JoinHandle<()>,
    /// The Sparkplug B host sessions, when the messages are Sparkplug B payloads.
    #[cfg(feature = "sparkplug")]
    sparkplug: Option<super::sparkplug_records::SparkplugRecords>,
}

impl MqttSource {
    /// Starts the source's connection on `runtime` (the run's IO threads) and returns at once; the
    /// connection is made, and made again when lost, in the background. Refused here: settings that
    /// cannot connect (an empty client id, a password without a user) and an empty list of filters.
    pub fn connect(
        name: &str,
        connection: &MqttConnection,
        options: MqttSourceOptions,
        runtime: &tokio::runtime::Handle,
    ) -> Result<MqttSource, RunError> {
        let what = format!("source {name}");
        if options.subscriptions.is_empty() {
            return Err(RunError::Usage(format!(
                "{what}: no topic filter to subscribe to"
            )));
        }
        let mut mqtt = connection.options(&what).map_err(RunError::Usage)?;
        // What the source sends (subscriptions, acknowledgements, rebirth requests) is small.
        mqtt.set_max_packet_size(LARGEST_MQTT_PACKET, LARGEST_MQTT_PACKET);
        mqtt.set_clean_session(false);
        mqtt.set_manual_acks(true);
        let (client, event_loop) = AsyncClient::new(mqtt, REQUEST_CAPACITY);
        let (forward, received) = mpsc::channel(RECEIVED_BUFFER);
        let connection_number = Arc::new(AtomicU64::new(0));
        let subscriptions: Vec<SubscribeFilter> = options
            .subscriptions
            .iter()
            .map(|(filter, qos)| SubscribeFilter::new(filter.subscription(), qos.rumqttc()))
            .collect();
        let task = runtime.spawn(run_connection(ConnectionTask {
            what,
            event_loop,
            client: client.clone(),
            subscriptions,
            forward,
            connection: connection_number.clone(),
        }));
        Ok(MqttSource {
            name: name.to_string(),
            shared_name: Arc::from(name),
            client,
            received,
            connection: connection_number,
            unacknowledged: VecDeque::new(),
            held_back: VecDeque::new(),
            last_position: 0,
            max_unacknowledged: options.max_unacknowledged.max(1),
            has_qos1: options
                .subscriptions
                .iter()
                .any(|(_, qos)| *qos == MqttQos::AtLeastOnce),
            filters: options
                .subscriptions
                .into_iter()
                .map(|(filter, _)| Arc::new(filter))
                .collect(),
            task,
            #[cfg(feature = "sparkplug")]
            sparkplug: options.sparkplug.then(|| {
                super::sparkplug_records::SparkplugRecords::new(options.sparkplug_counters.clone())
                    .selecting(&options.sparkplug_metrics)
            }),
        })
    }
}

impl Drop for MqttSource {
    fn drop(&mut self) {
        // The broker keeps the session; what was not acknowledged comes again at the next start.
        self.task.abort();
    }
}

impl StreamSource for MqttSource {
    fn name(&self) -> &str {
        &self.name
    }

    async fn next(&mut self) -> Result<Option<Delivery>, RunError> {
        // Cancel-safe: a message is either still in the channel or handled below without an await, and
        // held-back acknowledgements are queued without one.
        let received = loop {
            self.queue_acknowledgements();
            if self.held_back.is_empty() {
                break self.received.recv().await;
            }
            tokio::select! {
                received = self.received.recv() => break received,
                _ = tokio::time::sleep(ACKNOWLEDGE_RETRY) => {}
            }
        };
        let Some(received) = received else {
            return Err(RunError::Connector(format!(
                "source {}: its MQTT connection stopped",
                self.name
            )));
        };
        let (connection, publish) = match received {
            Received::Message {
                connection,
                publish,
            } => (connection, publish),
            Received::Failed(error) => return Err(error),
        };
        self.last_position += 1;
        let position = self.last_position;
        if publish.qos != rumqttc::QoS::AtMostOnce {
            self.unacknowledged.push_back(Unacknowledged {
                position,
                connection,
                packet_id: publish.pkid,
            });
        }
        let Some(filter) = self
            .filters
            .iter()
            .find(|filter| filter.matches(&publish.topic))
            .cloned()
        else {
            let reason = unmatched_topic(&publish.topic, &self.filters);
            let raw = RawRecord::unreadable_message(
                self.shared_name.clone(),
                position,
                publish.topic,
                publish.payload.to_vec(),
                reason,
            );
            return Ok(Some(Delivery {
                records: vec![raw],
                position,
            }));
        };
        #[cfg(feature = "sparkplug")]
        if let Some(sparkplug) = &mut self.sparkplug {
            let read = sparkplug.read(
                &self.shared_name,
                position,
                &publish.topic,
                &publish.payload,
            );
            if let Some((request, reason)) = read.rebirth {
                tracing::warn!(target: "fdi::mqtt", source = %self.name, topic = %publish.topic, %reason, "asking the edge node for a rebirth");
                // Not awaited: `next` must stay cancel-safe; a full request queue only delays the request.
                match self.client.try_publish(
                    request.topic,
                    rumqttc::QoS::AtLeastOnce,
                    false,
                    request.payload,
                ) {
                    Ok(()) => sparkplug.rebirth_requested(),
                    Err(error) => {
                        tracing::warn!(target: "fdi::mqtt", source = %self.name, %error, "the rebirth request could not be queued")
                    }
                }
            }
            let records = read
                .records
                .into_iter()
                .map(|record| record.matching(filter.clone()))
                .collect();
            return Ok(Some(Delivery { records, position }));
        }
        let raw = RawRecord::message(
            self.shared_name.clone(),
            position,
            publish.topic,
            publish.payload.to_vec(),
        )
        .matching(filter);
        Ok(Some(Delivery {
            records: vec![raw],
            position,
        }))
    }

    async fn acknowledge(&mut self, position: Position) -> Result<(), RunError> {
        while let Some(front) = self.unacknowledged.front() {
            if front.position > position {
                break;
            }
            let message = self.unacknowledged.pop_front().expect("front exists");
            self.held_back
                .push_back((message.connection, message.packet_id));
        }
        self.queue_acknowledgements();
        Ok(())
    }

    fn unacknowledged_limit(&self) -> Option<usize> {
        self.has_qos1.then_some(self.max_unacknowledged)
    }
}

impl MqttSource {
    /// Queues the acknowledgements held back, in order, as far as the request queue has room; drops those
    /// of messages that came on a connection that is gone, which the broker sends again on this one.
    fn queue_acknowledgements(&mut self) {
        let current = self.connection.load(Ordering::SeqCst);
        while let Some(&(connection, packet_id)) = self.held_back.front() {
            if connection == current {
                let mut ack = Publish::new("", rumqttc::QoS::AtLeastOnce, Vec::new());
                ack.pkid = packet_id;
                // Full (or the connection task is gone, which the next read reports): try again later.
                if self.client.try_ack(&ack).is_err() {
                    return;
                }
            }
            self.held_back.pop_front();
        }
    }
}

/// Why a message whose topic matches none of the source's filters is rejected.
pub(super) fn unmatched_topic(topic: &str, filters: &[Arc<TopicFilter>]) -> String {
    let filters: Vec<String> = filters
        .iter()
        .map(|filter| format!("{:?}", filter.as_str()))
        .collect();
    format!(
        "topic {topic:?} matches none of the source's topic filters ({}); the broker may still hold a \
         subscription of the session from an earlier version of the mapping",
        filters.join(", ")
    )
}

/// What the connection task owns.
struct ConnectionTask {
    what: String,
    event_loop: EventLoop,
    client: AsyncClient,
    subscriptions: Vec<SubscribeFilter>,
    forward: mpsc::Sender<Received>,
    connection: Arc<AtomicU64>,
}

/// Drives rumqttc's event loop: forwards messages, subscribes, reconnects with backoff. Ends when the
/// source is dropped or the broker refuses the client for good.
async fn run_connection(mut task: ConnectionTask) {
    let mut backoff = Backoff::new();
    let mut subscribed_once = false;
    loop {
        match task.event_loop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                task.connection.fetch_add(1, Ordering::SeqCst);
                backoff.reset();
                tracing::info!(target: "fdi::mqtt", source = %task.what, session_present = ack.session_present, "connected to the MQTT broker");
                if !subscribed_once || !ack.session_present {
                    subscribed_once = true;
                    // Room is certain: see REQUEST_CAPACITY.
                    if let Err(error) = task.client.try_subscribe_many(task.subscriptions.clone()) {
                        let error = RunError::Connector(format!(
                            "{}: cannot subscribe: {error}",
                            task.what
                        ));
                        let _ = task.forward.send(Received::Failed(error)).await;
                        return;
                    }
                }
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                let connection = task.connection.load(Ordering::SeqCst);
                let message = Received::Message {
                    connection,
                    publish,
                };
                if task.forward.send(message).await.is_err() {
                    return;
                }
            }
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                let refused: Vec<&str> = ack
                    .return_codes
                    .iter()
                    .zip(&task.subscriptions)
                    .filter(|(code, _)| matches!(code, SubscribeReasonCode::Failure))
                    .map(|(_, filter)| filter.path.as_str())
                    .collect();
                if !refused.is_empty() {
                    let error = RunError::Connector(format!(
                        "{}: the MQTT broker refused the subscription to {}",
                        task.what,
                        refused.join(", ")
                    ));
                    let _ = task.forward.send(Received::Failed(error)).await;
                    return;
                }
                // Operators (and tests) learn here that messages published from now on reach the program.
                tracing::info!(target: "fdi::mqtt", source = %task.what, "subscribed");
            }
            Ok(_) => {}
            Err(error) => {
                task.connection.fetch_add(1, Ordering::SeqCst);
                if is_fatal(&error) {
                    // Credentials or a certificate the deployment's settings must change, not a bug.
                    let error = RunError::Usage(format!(
                        "{}: cannot connect to the MQTT broker: {}",
                        task.what,
                        describe_connection_error(&error)
                    ));
                    let _ = task.forward.send(Received::Failed(error)).await;
                    return;
                }
                let wait = backoff.next_wait();
                tracing::warn!(target: "fdi::mqtt", source = %task.what, %error, retry_in = ?wait, "MQTT connection lost; reconnecting");
                tokio::time::sleep(wait).await;
            }
        }
    }
}
