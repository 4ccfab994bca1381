//! One OPC UA subscription, kept alive across reconnects by a task of its own.
//!
//! async-opcua's own subscription machinery acknowledges every notification message in the next
//! Publish request, as soon as it has received it: before the run has made its records durable, so
//! that a crash would lose what the server had held for us. So this task creates the subscription
//! and its monitored items with the crate's raw service calls, which leave the session's subscription
//! state empty (the session then sends no Publish requests of its own), and sends the Publish
//! requests itself: a notification message's sequence number goes back to the server only once the
//! run acknowledged every record of it ([`super::OpcuaSource`] puts it in [`PendingAcks`]).
//!
//! Sequence numbers are how nothing is lost. `expected` is the first sequence number not yet
//! delivered; a message, a keep-alive (which carries the next number) or the server's list of
//! available numbers above it reveals a gap, which is filled by Republish, in order, before the
//! newer message is delivered. A session that comes back as a new session gets the subscription
//! by TransferSubscriptions (then republishes what the transfer says is still available); when the
//! server no longer has the subscription (restarted, lifetime expired) or it stopped sending even
//! keep-alives, the subscription is created anew and counted.
//!
//! **Lost** (`fdi_opcua_lost_notifications_total`) counts notification messages the server numbered
//! and this client never delivered: a gap number Republish answered with BadMessageNotAvailable, and,
//! when a subscription is given up, every number up to the highest it is known to have used. What
//! a server numbered but never made known (it restarted before a Publish response could say) cannot
//! be counted by any client; a recreation is counted separately. Values a monitored item's queue
//! discarded are not messages: the server marks the value after them with the Overflow bit, which
//! `fdi_opcua_queue_overflows_total` counts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use opcua::client::services::{
    CreateMonitoredItems, CreateSubscription, DeleteSubscriptions, Publish, Republish,
    TransferSubscriptions,
};
use opcua::client::UARequest;
use opcua::types::{
    DataChangeNotification, MonitoredItemCreateRequest, NodeId, NotificationMessage,
    PublishResponse, StatusCode, SubscriptionAcknowledgement, TimestampsToReturn,
};
use prometheus_client::metrics::counter::Counter;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::connection::OpcuaSession;
use super::error::{is_transient_status, OpcuaError};
use super::handles::item_index;
use super::sequence::{count, number};
use super::value::{data_change_record, status_name};

const ROLE: &str = "source";

/// The most data changes the server may put in one notification message; the client decodes
/// arrays up to [`super::connection::MAX_ARRAY_LENGTH`], so that a server that ignores this limit
/// is still read.
const MAX_NOTIFICATIONS_PER_MESSAGE: u32 = 1000;

/// A monitored item: as the mapping declared it, and its node.
#[derive(Debug, Clone)]
pub(crate) struct MonitoredNode {
    pub declared: String,
    pub node_id: NodeId,
    /// The node id's standard text, for the records.
    pub node_id_text: String,
}

/// What the subscription asks for.
#[derive(Debug, Clone)]
pub(crate) struct SubscriptionSpec {
    pub items: Vec<MonitoredNode>,
    pub sampling_interval: Duration,
    pub publishing_interval: Duration,
    pub queue_size: u32,
    pub deadband: Option<f64>,
    /// How long the server keeps the subscription without Publish requests, at least: the
    /// session's timeout, so that a subscription outlives a reconnect the session outlives.
    pub lifetime: Duration,
    /// Where the subscription's id is kept for the next run of the program, which takes the
    /// subscription over (see `resume.rs`); `None`: not kept.
    pub state_file: Option<std::path::PathBuf>,
    /// How long a request may take; a Publish may take a keep-alive period longer (the server
    /// holds it until it has something to say).
    pub request_timeout: Duration,
    /// The high bits of every client handle of this source's items (see [`client_handle_base`]).
    pub handle_base: u32,
}

/// The source's counters (detached ones when the run publishes no metrics).
#[derive(Debug, Clone, Default)]
pub struct SubscriptionCounters {
    pub lost_notifications: Counter,
    pub recreations: Counter,
    pub reconnects: Counter,
    pub queue_overflows: Counter,
    /// Notification messages recovered by Republish after a gap.
    pub republished: Counter,
}

/// The records of one notification message, for the source to deliver.
#[derive(Debug)]
pub(crate) struct Notification {
    pub subscription_id: u32,
    pub sequence: u32,
    pub records: Vec<String>,
}

/// Sequence numbers whose records are all durable, to acknowledge in the next Publish request.
pub(crate) type PendingAcks = Arc<Mutex<Vec<SubscriptionAcknowledgement>>>;

/// The subscription on the server, as far as this client knows it.
pub(super) struct Active {
    pub(super) id: u32,
    /// How long without any Publish response (data or keep-alive) means the subscription is gone.
    pub(super) silence_limit: Duration,
    /// The longest a server holds a Publish request before it answers (a keep-alive).
    pub(super) keep_alive_period: Duration,
    pub(super) last_heard: Instant,
    /// The first sequence number not delivered yet; 0 when unknown (a subscription taken over
    /// from a previous run with nothing left to republish): the next message sets it.
    pub(super) expected: u64,
    /// The highest sequence number the server is known to have used.
    pub(super) highest_numbered: u64,
}

/// The task that owns the subscription.
pub(crate) struct Subscriber {
    pub name: String,
    pub endpoint: String,
    pub session: OpcuaSession,
    pub spec: SubscriptionSpec,
    pub counters: SubscriptionCounters,
    pub deliveries: mpsc::Sender<Result<Notification, OpcuaError>>,
    pub acks: PendingAcks,
    pub(super) active: Option<Active>,
    generation: u64,
}

/// What stopped handling a Publish response early.
enum Interrupted {
    /// The connection or session went away: wait for it and carry on.
    Disconnected,
    /// The source is gone (the run stopped): end the task.
    Closed,
}

impl Subscriber {
    pub(crate) fn new(
        name: &str,
        endpoint: &str,
        session: OpcuaSession,
        spec: SubscriptionSpec,
        counters: SubscriptionCounters,
        deliveries: mpsc::Sender<Result<Notification, OpcuaError>>,
        acks: PendingAcks,
    ) -> Self {
        let generation = session.state.borrow().generation;
        Subscriber {
            name: name.to_string(),
            endpoint: endpoint.to_string(),
            session,
            spec,
            counters,
            deliveries,
            acks,
            active: None,
            generation,
        }
    }

    fn error(&self, action: &str, error: &opcua::types::Error) -> OpcuaError {
        OpcuaError::status(ROLE, &self.name, &self.endpoint, action, error)
    }

    /// Creates the subscription and its monitored items. Every item must be accepted: a node the
    /// server does not have, or refuses to monitor, fails with the item and the server's status.
    pub(crate) async fn create(&mut self) -> Result<(), OpcuaError> {
        let session = &self.session.session;
        let spec = &self.spec;
        let interval_ms = spec.publishing_interval.as_millis().max(1) as u64;
        // A keep-alive about every second, and a lifetime of at least three keep-alives.
        let keep_alive_count = (1000 / interval_ms).clamp(1, 1000) as u32;
        let lifetime_count =
            ((spec.lifetime.as_millis() as u64 / interval_ms) as u32).max(3 * keep_alive_count);
        let created = CreateSubscription::new(session)
            .publishing_interval(spec.publishing_interval)
            .max_keep_alive_count(keep_alive_count)
            .max_lifetime_count(lifetime_count)
            // Bounded messages: a queue that filled during an outage comes in several.
            .max_notifications_per_publish(MAX_NOTIFICATIONS_PER_MESSAGE)
            .publishing_enabled(true)
            .send(session.channel())
            .await
            .map_err(|e| self.error("create a subscription", &e))?;
        let revised_interval =
            Duration::from_secs_f64(created.revised_publishing_interval.max(1.0) / 1000.0);
        let items: Vec<MonitoredItemCreateRequest> = spec
            .items
            .iter()
            .enumerate()
            .map(|(index, item)| super::node::monitored_item(item, index, spec))
            .collect();
        let results = CreateMonitoredItems::new(created.subscription_id, session)
            .timestamps_to_return(TimestampsToReturn::Both)
            .items_to_create(items)
            .send(session.channel())
            .await
            .map_err(|e| {
                if e.status() == StatusCode::BadSubscriptionIdInvalid {
                    // Gone between its creation and its items: a server that restarted reuses
                    // ids, and another client's TransferSubscriptions of an old one took it. A new
                    // one is created on the next try.
                    OpcuaError::transient(
                        ROLE,
                        &self.name,
                        &self.endpoint,
                        "create its monitored items",
                        "the new subscription was taken over before its items were created",
                    )
                } else {
                    self.error("create its monitored items", &e)
                }
            })?;
        let refused: Vec<String> = results
            .results
            .iter()
            .zip(&spec.items)
            .filter(|(created, _)| created.result.status_code.is_bad())
            .map(|(created, item)| {
                format!(
                    "{} ({}): {}",
                    item.declared,
                    item.node_id_text,
                    status_name(created.result.status_code)
                )
            })
            .collect();
        if !refused.is_empty() {
            let _ = DeleteSubscriptions::new(session)
                .subscription(created.subscription_id)
                .send(session.channel())
                .await;
            return Err(OpcuaError::fatal(
                ROLE,
                &self.name,
                &self.endpoint,
                "monitor its nodes",
                format!("the server refused {}", refused.join("; ")),
            ));
        }
        let keep_alive_period = revised_interval * created.revised_max_keep_alive_count.max(1);
        let silence_limit = (keep_alive_period * 3).max(Duration::from_secs(3));
        tracing::info!(target: "fdi::opcua", source = %self.name, subscription = created.subscription_id, publishing_interval = ?revised_interval, keep_alive_count = created.revised_max_keep_alive_count, lifetime_count = created.revised_lifetime_count, items = spec.items.len(), "subscribed");
        self.active = Some(Active {
            id: created.subscription_id,
            silence_limit,
            keep_alive_period,
            last_heard: Instant::now(),
            expected: 1,
            highest_numbered: 0,
        });
        self.save_state();
        Ok(())
    }

    /// Runs until the source is dropped, or a failure no reconnect fixes (sent to the source).
    pub(crate) async fn run(mut self) {
        loop {
            if let Err(interrupted) = self.step().await {
                match interrupted {
                    Interrupted::Closed => return,
                    Interrupted::Disconnected => {}
                }
            }
        }
    }

    /// One Publish request and what follows from its answer.
    async fn step(&mut self) -> Result<(), Interrupted> {
        self.session.connected().await;
        self.after_reconnect().await?;
        if self.active.is_none() {
            if let Err(error) = self.create().await {
                return self.failed(error).await;
            }
            self.counters.recreations.inc();
        }
        let active = self.active.as_ref().expect("created above");
        let silent_at = active.last_heard + active.silence_limit;
        let acks = std::mem::take(&mut *self.acks.lock().expect("acks lock"));
        let session = self.session.session.clone();
        // An answer that does not come within a keep-alive period and a request's time was lost
        // (a connection that stopped answering): the next Publish shows the gap.
        let publish = Publish::new(&session)
            .timeout(active.keep_alive_period + self.spec.request_timeout)
            .acks(acks.clone())
            .send(session.channel());
        let mut state = self.session.state.clone();
        let generation = self.generation;
        tokio::select! {
            response = publish => match response {
                Ok(response) => self.handle(response).await,
                Err(error) => {
                    self.requeue(acks);
                    self.publish_failed(&error).await
                }
            },
            _ = tokio::time::sleep_until(silent_at) => {
                self.requeue(acks);
                tracing::warn!(target: "fdi::opcua", source = %self.name, "the subscription sent nothing, not even a keep-alive, for {:?}; creating it anew", self.active.as_ref().map(|a| a.silence_limit));
                self.abandon().await;
                Ok(())
            }
            _ = async move {
                let _ = state.wait_for(|s| !s.connected || s.generation != generation).await.is_ok();
            } => {
                // The request went down with the connection: its acknowledgements go again.
                self.requeue(acks);
                Err(Interrupted::Disconnected)
            }
        }
    }

    fn requeue(&self, acks: Vec<SubscriptionAcknowledgement>) {
        if !acks.is_empty() {
            self.acks.lock().expect("acks lock").extend(acks);
        }
    }

    /// A failure that stops the source: sent to it, and the task waits to be dropped; a transient
    /// one waits for the session instead.
    async fn failed(&mut self, error: OpcuaError) -> Result<(), Interrupted> {
        if error.is_transient() {
            tracing::warn!(target: "fdi::opcua", source = %self.name, %error, "waiting for the server");
            tokio::time::sleep(Duration::from_millis(250)).await;
            return Err(Interrupted::Disconnected);
        }
        let _ = self.deliveries.send(Err(error)).await;
        self.deliveries.closed().await;
        Err(Interrupted::Closed)
    }

    /// After the session came back: a new session takes the subscription over by
    /// TransferSubscriptions and republishes what the server still holds; a reactivated session
    /// still has it (a gap shows in the next response).
    async fn after_reconnect(&mut self) -> Result<(), Interrupted> {
        let state = self.session.state.borrow().clone();
        if state.generation == self.generation {
            return Ok(());
        }
        self.generation = state.generation;
        let Some(active) = &mut self.active else {
            return Ok(());
        };
        active.last_heard = Instant::now();
        if !state.new_session {
            return Ok(());
        }
        let id = active.id;
        let session = self.session.session.clone();
        let transferred = TransferSubscriptions::new(&session)
            .subscription(id)
            .send_initial_values(false)
            .send(session.channel())
            .await;
        match transferred {
            Ok(response) => {
                let result = response.results.unwrap_or_default().into_iter().next();
                match result {
                    Some(result) if result.status_code.is_good() => {
                        let available = result.available_sequence_numbers.unwrap_or_default();
                        tracing::info!(target: "fdi::opcua", source = %self.name, subscription = id, available = ?available, "subscription transferred to the new session");
                        let active = self.active.as_mut().expect("checked above");
                        let near = active.expected.max(active.highest_numbered).max(1);
                        for available in available {
                            active.highest_numbered =
                                active.highest_numbered.max(count(available, near));
                        }
                        self.fill_gap_to(None).await
                    }
                    other => {
                        let status =
                            other.map_or(StatusCode::BadUnexpectedError, |r| r.status_code);
                        tracing::warn!(target: "fdi::opcua", source = %self.name, subscription = id, status = %status_name(status), "the server no longer has the subscription; creating it anew");
                        self.abandon().await;
                        Ok(())
                    }
                }
            }
            Err(error) if is_transient_status(error.status()) => Err(Interrupted::Disconnected),
            Err(error) => {
                tracing::warn!(target: "fdi::opcua", source = %self.name, subscription = id, %error, "TransferSubscriptions failed; creating the subscription anew");
                self.abandon().await;
                Ok(())
            }
        }
    }

    /// Gives the subscription up: what it numbered and did not deliver is lost; the next step
    /// creates a new one.
    async fn abandon(&mut self) {
        let Some(active) = self.active.take() else {
            return;
        };
        let lost = match active.expected {
            0 => 0,
            expected => active
                .highest_numbered
                .saturating_add(1)
                .saturating_sub(expected),
        };
        if lost > 0 {
            tracing::warn!(target: "fdi::opcua", source = %self.name, subscription = active.id, lost, first = active.expected, last = active.highest_numbered, "notification messages lost with the subscription");
            self.counters.lost_notifications.inc_by(lost);
        }
        // Best effort: a server that still has it would otherwise keep it until its lifetime ends.
        let session = self.session.session.clone();
        let _ = DeleteSubscriptions::new(&session)
            .subscription(active.id)
            .send(session.channel())
            .await;
    }

    /// Gives up a subscription that turned out not to be ours: deleted (its owner lost it to
    /// the transfer already, and creates its own anew), nothing counted; the next step creates
    /// ours anew.
    async fn disown(&mut self) {
        let Some(active) = self.active.take() else {
            return;
        };
        let session = self.session.session.clone();
        let _ = DeleteSubscriptions::new(&session)
            .subscription(active.id)
            .send(session.channel())
            .await;
    }

    async fn publish_failed(&mut self, error: &opcua::types::Error) -> Result<(), Interrupted> {
        match error.status() {
            // The server's answer to a Publish it had nothing for within the request's timeout.
            StatusCode::BadTimeout => Ok(()),
            StatusCode::BadNoSubscription | StatusCode::BadSubscriptionIdInvalid => {
                tracing::warn!(target: "fdi::opcua", source = %self.name, status = %status_name(error.status()), "the server no longer has the subscription; creating it anew");
                self.abandon().await;
                Ok(())
            }
            status if is_transient_status(status) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                Err(Interrupted::Disconnected)
            }
            _ => {
                tracing::warn!(target: "fdi::opcua", source = %self.name, %error, "Publish failed");
                tokio::time::sleep(Duration::from_millis(250)).await;
                Ok(())
            }
        }
    }

    /// A Publish response: fills the gap before its message, then delivers it.
    async fn handle(&mut self, response: PublishResponse) -> Result<(), Interrupted> {
        let Some(active) = &mut self.active else {
            return Ok(());
        };
        let message = response.notification_message;
        if response.subscription_id != active.id {
            // A subscription given up earlier that the server still had: nothing of ours.
            self.requeue(vec![SubscriptionAcknowledgement {
                subscription_id: response.subscription_id,
                sequence_number: message.sequence_number,
            }]);
            return Ok(());
        }
        active.last_heard = Instant::now();
        let near = active.expected.max(active.highest_numbered).max(1);
        let sequence = count(message.sequence_number, near);
        if active.expected == 0 {
            // Taken over with nothing to republish: numbering goes on from this message (a
            // keep-alive carries the next number).
            active.expected = sequence.max(1);
        }
        for available in response.available_sequence_numbers.unwrap_or_default() {
            active.highest_numbered = active.highest_numbered.max(count(available, near));
        }
        let has_data = message
            .notification_data
            .as_ref()
            .is_some_and(|data| !data.is_empty());
        if !has_data {
            // A keep-alive carries the number the next message will have.
            let used = sequence.saturating_sub(1);
            active.highest_numbered = active.highest_numbered.max(used);
            return self.fill_gap_to(None).await;
        }
        active.highest_numbered = active.highest_numbered.max(sequence);
        if sequence < active.expected {
            // Delivered already (republished before this answer came).
            return Ok(());
        }
        self.fill_gap_to(Some(sequence)).await?;
        self.deliver(message, sequence).await?;
        Ok(())
    }

    /// Republishes every number from `expected` up to (not including) `until`, or up to the highest
    /// number known when `until` is `None`, delivering each in order; one the server no longer has
    /// is lost. A connection that fails meanwhile leaves the rest for later.
    async fn fill_gap_to(&mut self, until: Option<u64>) -> Result<(), Interrupted> {
        loop {
            let Some(active) = &self.active else {
                return Ok(());
            };
            let end = until.unwrap_or(active.highest_numbered.saturating_add(1));
            if active.expected >= end {
                return Ok(());
            }
            let (id, sequence) = (active.id, active.expected);
            let session = self.session.session.clone();
            match Republish::new(id, number(sequence), &session)
                .send(session.channel())
                .await
            {
                Ok(response)
                    if response.notification_message.sequence_number == number(sequence) =>
                {
                    tracing::info!(target: "fdi::opcua", source = %self.name, subscription = id, sequence, "republished");
                    self.counters.republished.inc();
                    self.deliver(response.notification_message, sequence)
                        .await?;
                }
                Ok(response) => {
                    // Not the message asked for: the one asked for is not there.
                    tracing::warn!(target: "fdi::opcua", source = %self.name, subscription = id, sequence, answered = response.notification_message.sequence_number, "notification message lost: Republish answered another message");
                    self.counters.lost_notifications.inc();
                    self.active.as_mut().expect("checked above").expected = sequence + 1;
                }
                Err(error) if error.status() == StatusCode::BadMessageNotAvailable => {
                    tracing::warn!(target: "fdi::opcua", source = %self.name, subscription = id, sequence, "notification message lost: the server no longer has it (BadMessageNotAvailable)");
                    self.counters.lost_notifications.inc();
                    self.active.as_mut().expect("checked above").expected = sequence + 1;
                }
                Err(error) if is_transient_status(error.status()) => {
                    return Err(Interrupted::Disconnected)
                }
                Err(error) => {
                    // The subscription is not there any more: what it held is lost with it.
                    tracing::warn!(target: "fdi::opcua", source = %self.name, subscription = id, sequence, %error, "Republish failed; creating the subscription anew");
                    self.abandon().await;
                    return Ok(());
                }
            }
        }
    }

    /// Sends a message's data changes to the source (a message without any is acknowledged at
    /// once: there is nothing to make durable) and moves `expected` past it; `sequence` is its
    /// count (see `sequence.rs`).
    async fn deliver(
        &mut self,
        message: NotificationMessage,
        sequence: u64,
    ) -> Result<(), Interrupted> {
        let Some(active) = &mut self.active else {
            return Ok(());
        };
        if sequence < active.expected {
            return Ok(());
        }
        active.expected = sequence + 1;
        active.highest_numbered = active.highest_numbered.max(sequence);
        // What the server numbered it: what the records carry and the acknowledgement names.
        let (id, sequence) = (active.id, message.sequence_number);
        let mut records = Vec::new();
        for data in message.notification_data.unwrap_or_default() {
            let Some(changes) = data.into_inner_as::<DataChangeNotification>() else {
                continue;
            };
            for change in changes.monitored_items.unwrap_or_default() {
                let Some(item) = item_index(change.client_handle, self.spec.handle_base)
                    .and_then(|index| self.spec.items.get(index))
                else {
                    // Not an item this source created: the subscription is another client's,
                    // taken over by a transfer after the server restarted and reused its id.
                    // Nothing of it is ours: none of it is read, none of it counts as lost.
                    tracing::warn!(target: "fdi::opcua", source = %self.name, subscription = id, client_handle = change.client_handle, "the subscription delivers items this source did not create: a transfer took over another client's subscription; creating ours anew");
                    self.disown().await;
                    return Ok(());
                };
                if change.value.status.is_some_and(|s| s.overflow()) {
                    self.counters.queue_overflows.inc();
                }
                records.push(data_change_record(
                    &item.declared,
                    &item.node_id_text,
                    &change.value,
                    sequence,
                ));
            }
        }
        if records.is_empty() {
            self.requeue(vec![SubscriptionAcknowledgement {
                subscription_id: id,
                sequence_number: sequence,
            }]);
            return Ok(());
        }
        let notification = Notification {
            subscription_id: id,
            sequence,
            records,
        };
        self.deliveries
            .send(Ok(notification))
            .await
            .map_err(|_| Interrupted::Closed)?;
        // The time spent waiting for the run (back-pressure) is not the server's silence.
        if let Some(active) = &mut self.active {
            active.last_heard = Instant::now();
        }
        Ok(())
    }
}
