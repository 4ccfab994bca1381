//! A Modbus device polled as a stream source: one record per poll, or per change.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_modbus::client::Context;

use super::codec::{decode_bit, decode_registers};
use super::connection::{read, Answer, CallError, ModbusConnection};
use super::map::RegisterMap;
use super::plan::{plan_reads, ReadRequest};
use crate::error::RunError;
use crate::ops::health::HealthBoard;
use crate::record::{Position, RawRecord};
use crate::source::{Delivery, StreamSource};

/// The longest a source waits before it asks a silent device again.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// When a poll becomes a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emit {
    /// Every poll.
    Poll,
    /// A poll whose values differ from the last record's (the first poll always).
    Change,
}

/// How a source polls: the device's unit, the register map, the interval, when to emit.
#[derive(Debug, Clone, Copy)]
pub struct ModbusPoll {
    pub unit_id: u8,
    pub map: RegisterMap,
    pub poll_interval: Duration,
    pub emit: Emit,
}

/// Polls a device at a fixed rate: every field of the map, read in the fewest requests the map
/// allows ([`plan_reads`]), decoded per its type, orders and scale, and written as one JSON
/// record with the map's read-time field set to when the answers arrived.
///
/// A poll is whole or not at all: a device that does not answer, or answers any request of a
/// poll with an exception, yields no record for that poll (a record with the other fields would
/// be a wrong value for the one missing). The source then waits (capped exponential backoff),
/// reconnects and polls again; the device is marked unreachable in health from the first failed
/// poll until the next one that succeeds.
///
/// The polls run in a task of their own, started by the first [`StreamSource::next`], which
/// hands each poll's values over a channel of one: `next` only waits on the channel, so the
/// reader may drop it (an acknowledgement came first) without losing a poll that was on the
/// wire, and a core that is slower than the device slows the polls instead of queueing them.
/// Acknowledging commits nothing at the device, but [`StreamSource::commits_positions`] stays
/// true: a poll cannot be read again, so every checkpoint makes its records durable.
pub struct ModbusSource {
    name: Arc<str>,
    emit: Emit,
    read_time: Option<&'static str>,
    quality: &'static [(&'static str, &'static str)],
    /// Until the first `next`, the poller waiting to be started.
    poller: Option<Poller>,
    polls: Option<mpsc::Receiver<Polled>>,
    /// The values of the last record, for `Emit::Change`.
    last_values: Option<Map<String, Value>>,
    next_position: Position,
}

/// One poll's values, and when its answers were in.
struct Polled {
    values: Map<String, Value>,
    read_at: crate::time::Timestamp,
}

/// The polling side: the device's connection and the poll's requests.
struct Poller {
    name: Arc<str>,
    connection: ModbusConnection,
    poll: ModbusPoll,
    requests: Vec<ReadRequest>,
    client: Option<Context>,
    backoff: Duration,
    health: Option<Arc<HealthBoard>>,
    failing: bool,
}

impl ModbusSource {
    /// A source named `name` polling the device at `connection` as `poll` says; it connects at
    /// its first poll. `health`: the run's board, on which the device's reachability shows.
    pub fn new(
        name: &str,
        connection: ModbusConnection,
        poll: ModbusPoll,
        health: Option<Arc<HealthBoard>>,
    ) -> Self {
        if let Some(health) = &health {
            health.register(name);
        }
        let name: Arc<str> = Arc::from(name);
        ModbusSource {
            name: name.clone(),
            emit: poll.emit,
            read_time: poll.map.read_time,
            quality: poll.map.quality,
            poller: Some(Poller {
                name,
                connection,
                requests: plan_reads(poll.map.fields),
                poll,
                client: None,
                backoff: FIRST_BACKOFF,
                health,
                failing: false,
            }),
            polls: None,
            last_values: None,
            next_position: 1,
        }
    }
}

impl Poller {
    /// Polls until the source is dropped (the channel closes).
    async fn run(mut self, polls: mpsc::Sender<Polled>) {
        let mut next_poll = Instant::now();
        loop {
            // Only when the poll is due later: a timer that is due already still waits for
            // the timer wheel's next tick.
            if next_poll > Instant::now() {
                tokio::time::sleep_until(next_poll).await;
            }
            let due = next_poll;
            match self.poll_once().await {
                Ok(values) => {
                    self.recovered();
                    let read_at = crate::time::Timestamp::now();
                    if polls.send(Polled { values, read_at }).await.is_err() {
                        return;
                    }
                    // A fixed rate: the next poll is one interval after this one was due, so
                    // slow answers do not make the polls drift (a device slower than the
                    // interval is polled as fast as it answers).
                    next_poll = (due + self.poll.poll_interval).max(Instant::now());
                }
                Err(error) => {
                    if polls.is_closed() {
                        return;
                    }
                    self.failed(&error);
                    next_poll = Instant::now() + self.backoff;
                    self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// Every field's value, read now.
    async fn poll_once(&mut self) -> Result<Map<String, Value>, CallError> {
        if self.client.is_none() {
            self.client = Some(self.connection.connect(self.poll.unit_id).await?);
        }
        let client = self.client.as_mut().expect("connected above");
        let fields = self.poll.map.fields;
        let mut values = Map::with_capacity(fields.len() + 1);
        for request in &self.requests {
            let answer = read(
                &self.connection,
                client,
                request.table,
                request.address,
                request.count,
            )
            .await?;
            for &index in &request.fields {
                let field = &fields[index];
                let from = usize::from(field.address - request.address);
                let to = from + usize::from(field.ty.count());
                let value = match &answer {
                    Answer::Registers(words) => decode_registers(field, &words[from..to]),
                    Answer::Bits(bits) => decode_bit(bits[from]),
                };
                values.insert(field.name.to_string(), value);
            }
        }
        Ok(values)
    }

    fn failed(&mut self, error: &CallError) {
        let message = format!(
            "Modbus source {} ({}, unit {}): {error}",
            self.name,
            self.connection.server(),
            self.poll.unit_id
        );
        tracing::warn!(target: "fdi::modbus", source = %self.name, %error, retry_in = ?self.backoff, "poll failed");
        if let Some(health) = &self.health {
            health.failed(&self.name, &message);
        }
        self.failing = true;
        // A device that answered with an exception is still connected; one that did not answer
        // may have half a response on the way, which would be taken for the next request's.
        if matches!(error, CallError::NoAnswer(_)) {
            self.client = None;
        }
    }

    fn recovered(&mut self) {
        if self.failing {
            tracing::info!(target: "fdi::modbus", source = %self.name, "device answers again");
            if let Some(health) = &self.health {
                health.recovered(&self.name);
            }
            self.failing = false;
        }
        self.backoff = FIRST_BACKOFF;
    }
}

impl StreamSource for ModbusSource {
    fn name(&self) -> &str {
        &self.name
    }

    /// Cancel-safe: it only waits on the poller's channel, and changes nothing before a poll
    /// has arrived.
    async fn next(&mut self) -> Result<Option<Delivery>, RunError> {
        if let Some(poller) = self.poller.take() {
            let (sender, receiver) = mpsc::channel(1);
            tokio::spawn(poller.run(sender));
            self.polls = Some(receiver);
        }
        let polls = self.polls.as_mut().expect("started above");
        loop {
            let Some(Polled { values, read_at }) = polls.recv().await else {
                return Err(RunError::Connector(format!(
                    "Modbus source {}: its polling task ended",
                    self.name
                )));
            };
            if self.emit == Emit::Change && self.last_values.as_ref() == Some(&values) {
                continue;
            }
            let mut record = values.clone();
            let read_at = read_at.to_string();
            if let Some(field) = self.read_time {
                record.insert(field.to_string(), Value::String(read_at.clone()));
            }
            for (quality, timestamp) in self.quality {
                record.insert(quality.to_string(), Value::String("GOOD".into()));
                record.insert(timestamp.to_string(), Value::String(read_at.clone()));
            }
            self.last_values = Some(values);
            let position = self.next_position;
            self.next_position += 1;
            let text = Value::Object(record).to_string();
            let raw = RawRecord::json_line(self.name.clone(), position, text);
            return Ok(Some(Delivery {
                records: vec![raw],
                position,
            }));
        }
    }

    /// Nothing to commit: the device keeps no position.
    async fn acknowledge(&mut self, _position: Position) -> Result<(), RunError> {
        Ok(())
    }
}
