//! Hand-written `mqtt_to_postgres`: the same work as `bench/workloads/mqtt_to_postgres`. An
//! rumqttc client with a fixed client id, clean session off and manual acknowledgements; its
//! event loop runs in a task of its own (so the connection keeps its keep-alive while a batch
//! commits) and forwards the messages. The rows of the messages are appended to the local queue
//! (`local_queue.rs`: SQLite, WAL, `synchronous = FULL`) in one transaction per checkpoint, and
//! only then are the messages acknowledged, in order, so that nothing is lost when the program
//! stops or crashes; the queue's forwarder thread upserts them into PostgreSQL.
//!
//! A checkpoint comes, as in the generated program, after 1000 messages, when as many messages
//! wait as the broker sends unacknowledged (mosquitto's `max_inflight_messages`, 20 by default,
//! which the generated program's MQTT source assumes), or 1 s after the oldest waiting message
//! arrived. The dead letter is synced before an acknowledgement when something was written to
//! it since the last sync. SIGTERM makes a last checkpoint and disconnects.
//!
//! Unlike the generated program, it does not reconnect: a lost connection ends it with an
//! error (the bench's broker does not go away while it runs).

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Outgoing, Packet, Publish, QoS};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::job_rows::{Database, JobRow, Mapper};
use super::local_queue::LocalQueue;
use super::{Machine, Rejects};

const CHECKPOINT_EVERY: usize = 1000;
const MAX_IN_FLIGHT: usize = 20;
const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);

/// Where the broker is and whom the broker keeps the session for.
pub struct Broker {
    pub host: String,
    pub port: u16,
    pub client_id: String,
    pub topic_filter: String,
}

/// The messages read since the last checkpoint, and what they became.
struct Pending {
    messages: Vec<Publish>,
    rows: Vec<JobRow>,
    oldest: Option<Instant>,
}

pub fn run(
    machines: &HashMap<String, Machine>,
    mut rejects: Rejects,
    postgres: &str,
    broker: &Broker,
    queue: &Path,
) -> Result<(), String> {
    let mapper = Mapper::new(machines)?;
    let runtime = super::tokio_runtime()?;
    let database = runtime.block_on(Database::connect(postgres))?;
    let queue = LocalQueue::open(queue, database, runtime.handle().clone())?;
    runtime.block_on(async {
        let mut options = MqttOptions::new(&broker.client_id, &broker.host, broker.port);
        options.set_keep_alive(Duration::from_secs(30));
        options.set_clean_session(false);
        options.set_manual_acks(true);
        let (client, mut event_loop) = AsyncClient::new(options, 1 << 16);
        client
            .subscribe(&broker.topic_filter, QoS::AtLeastOnce)
            .await
            .map_err(|e| e.to_string())?;
        let (forward, mut received) = mpsc::channel::<Publish>(256);
        let connection = tokio::spawn(async move {
            loop {
                match event_loop.poll().await {
                    Ok(Event::Incoming(Packet::Publish(publish))) => {
                        if forward.send(publish).await.is_err() {
                            return Ok(());
                        }
                    }
                    Ok(Event::Outgoing(Outgoing::Disconnect)) => return Ok(()),
                    Ok(_) => {}
                    Err(e) => return Err(format!("MQTT connection: {e}")),
                }
            }
        });
        let mut terminate = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
        let mut pending = Pending {
            messages: Vec::with_capacity(MAX_IN_FLIGHT),
            rows: Vec::with_capacity(MAX_IN_FLIGHT),
            oldest: None,
        };
        let mut position = 0;
        loop {
            let due = pending.oldest.map(|t| t + CHECKPOINT_INTERVAL);
            tokio::select! {
                message = received.recv() => {
                    let Some(message) = message else {
                        return match connection.await {
                            Ok(Err(e)) => Err(e),
                            _ => Err("the MQTT connection ended".to_string()),
                        };
                    };
                    position += 1;
                    pending.oldest.get_or_insert_with(Instant::now);
                    match std::str::from_utf8(&message.payload) {
                        Ok(text) => match mapper.row(text, position) {
                            Ok(row) => pending.rows.push(row),
                            Err(r) => rejects.reject(r.stage, r.reason, &r.detail, position, text)?,
                        },
                        Err(e) => rejects.reject(
                            "decode",
                            "not UTF-8 text",
                            &format!("the message is not UTF-8 text: {e}"),
                            position,
                            &String::from_utf8_lossy(&message.payload),
                        )?,
                    }
                    pending.messages.push(message);
                    let waiting = pending.messages.len();
                    if waiting >= MAX_IN_FLIGHT || waiting >= CHECKPOINT_EVERY {
                        checkpoint(&mut pending, &queue, &mut rejects, &client).await?;
                    }
                }
                _ = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                    checkpoint(&mut pending, &queue, &mut rejects, &client).await?;
                }
                _ = terminate.recv() => break,
            }
        }
        checkpoint(&mut pending, &queue, &mut rejects, &client).await?;
        client.disconnect().await.map_err(|e| e.to_string())?;
        // Messages that come after the stop are not read (the broker sends them again to the
        // next start): the event loop must not wait for room to forward them.
        drop(received);
        // The acknowledgements and the DISCONNECT go out before the event loop ends.
        connection
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("while disconnecting: {e}"))?;
        // What the forwarder has not written yet stays queued on disk, as the generated
        // program's queue does when it stops (the bench stops it after the last row is written).
        queue.close()?;
        rejects.finish()
    })
}

/// Appends the rows to the local queue (durable when it returns), makes the dead letter durable,
/// then acknowledges the messages in order. (The queue's short blocking transaction runs on the
/// thread of `block_on`, not on a worker of the runtime, so the event loop goes on meanwhile.)
async fn checkpoint(
    pending: &mut Pending,
    queue: &LocalQueue,
    rejects: &mut Rejects,
    client: &AsyncClient,
) -> Result<(), String> {
    queue.append(&mut pending.rows)?;
    rejects.sync()?;
    for message in pending.messages.drain(..) {
        client.ack(&message).await.map_err(|e| e.to_string())?;
    }
    pending.oldest = None;
    Ok(())
}
