//! An MTConnect agent polled over HTTP as a source (`mtconnect(...)`).
//!
//! At start the source asks `/probe` and checks that the device and every data item it reads are
//! there (a data item the agent does not serve, or one whose category, type or units are not
//! those the program was compiled with, is logged as an error: its observations would never
//! come, or not as the mapping reads them). Then, without a stored position, `/current` gives the
//! first records (each data item's latest observation) and its `nextSequence` the position; from
//! there `/sample?from=N&count=M` follows `nextSequence`. Each response with observations of the
//! selected data items is one delivery; its position, the agent's `instanceId` and the next
//! sequence, is stored when the run acknowledges it (a state file beside the dead letter,
//! written as the HTTP source's), so a restarted program reads on from there: nothing is read
//! twice, nothing skipped.
//!
//! **A gap**: the agent's buffer has moved past the sequence wanted (`firstSequence` above it, or
//! an `OUT_OF_RANGE` error): the observations between are gone from the agent. The source logs
//! it, counts them (`fdi_mtconnect_observations_lost_total`) and reads on from the agent's
//! `firstSequence`, the oldest observation it still has. Reading from `/current` instead would
//! also skip what the agent still holds between `firstSequence` and `nextSequence`, so it is not
//! done: what is lost is exactly what the agent dropped.
//!
//! **A restart** (another `instanceId` in any response, or at start): sequences begin again, so
//! the stored one means nothing. The source reads the new instance from its `firstSequence`,
//! which loses nothing the new agent has (its first observations are the adapter's values on
//! reconnecting, `UNAVAILABLE` before them). Observations the old instance had and the source had
//! not read are gone with it: the source says how far it had read, and counts the new instance's
//! observations already dropped (`firstSequence - 1`) as lost.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::time::Instant;

use super::select::Selection;
use super::streams::{self, Document, Header, ProbeDevice, ProbeItem, StreamObservation};
use crate::error::RunError;
use crate::http::{HttpConnection, HttpError, HttpPosition, StateFile};
use crate::record::{Position, RawRecord};
use crate::source::{Delivery, InFlight, StreamSource};

const ROLE: &str = "source";
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The counters of one agent source (metrics when the run serves them).
#[derive(Debug, Clone, Default)]
pub struct AgentCounters {
    /// Observations the agent dropped before the source read them (gaps, a restarted agent's
    /// buffer already overflowed).
    pub lost: Counter,
    /// Gaps met.
    pub gaps: Counter,
    /// Agent restarts met (a new `instanceId`).
    pub restarts: Counter,
}

/// Where the source reads on from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cursor {
    instance_id: String,
    /// `None`: from the agent's `firstSequence` (after a restart).
    next: Option<u64>,
}

impl Cursor {
    fn stored(&self) -> HttpPosition {
        HttpPosition {
            watermark: Some(json!({
                "instance_id": self.instance_id,
                "next_sequence": self.next,
            })),
            ..HttpPosition::default()
        }
    }

    fn load(position: &HttpPosition) -> Option<Cursor> {
        let value = position.watermark.as_ref()?;
        Some(Cursor {
            instance_id: value.get("instance_id")?.as_str()?.to_string(),
            next: value.get("next_sequence").and_then(Value::as_u64),
        })
    }
}

/// What one request brought.
enum Polled {
    Document(streams::Document),
    /// The agent answered something that is no MTConnect document.
    Unreadable(String),
}

/// An MTConnect agent (see the module).
pub struct AgentSource {
    name: Arc<str>,
    connection: HttpConnection,
    client: reqwest::Client,
    selection: Selection,
    count: u32,
    poll_interval: Duration,
    state: StateFile,
    /// `None` before the first position: read `/current`.
    cursor: Option<Cursor>,
    in_flight: InFlight<Cursor>,
    next_position: Position,
    probed: bool,
    /// The probe's data items, by id: what the agent says about each.
    probe_items: Vec<ProbeItem>,
    next_poll: Instant,
    backoff: Duration,
    counters: AgentCounters,
    /// The sequence wanted when the agent refused it as out of range: the next answer's
    /// `firstSequence` tells how many were lost.
    pending_gap: Option<u64>,
}

impl AgentSource {
    /// Makes the client and reads the stored position (a state file that cannot be read stops the
    /// run here).
    pub fn open(
        name: &str,
        connection: &HttpConnection,
        selection: Selection,
        count: u32,
        poll_interval: Duration,
        state: StateFile,
    ) -> Result<Self, RunError> {
        let client = connection.client(ROLE, name)?;
        let stored = state.load().map_err(|detail| {
            HttpError::fatal(ROLE, name, &connection.base_url, "resume", detail)
        })?;
        let cursor = Cursor::load(&stored);
        if let Some(cursor) = &cursor {
            tracing::info!(target: "fdi::mtconnect", source = name, instance_id = %cursor.instance_id, next_sequence = ?cursor.next, "resuming after the stored position");
        }
        Ok(AgentSource {
            name: Arc::from(name),
            connection: connection.clone(),
            client,
            selection,
            count: count.max(1),
            poll_interval,
            state,
            cursor,
            in_flight: InFlight::default(),
            next_position: 1,
            probed: false,
            probe_items: Vec::new(),
            next_poll: Instant::now(),
            backoff: Duration::from_millis(250),
            counters: AgentCounters::default(),
            pending_gap: None,
        })
    }

    /// Counts into `counters` (the run's metrics).
    pub fn count_into(&mut self, counters: AgentCounters) {
        self.counters = counters;
    }

    /// The counters (for tests and the summary).
    pub fn counters(&self) -> &AgentCounters {
        &self.counters
    }

    /// The path of a request: under `/<device>` when the source names one.
    fn path(&self, request: &str) -> String {
        match self.selection.device() {
            Some(device) => format!("/{}/{request}", percent(device)),
            None => format!("/{request}"),
        }
    }

    /// One GET (cancel-safe: nothing changes before the answer is in).
    async fn get(&self, request: &str) -> Result<(String, Polled), HttpError> {
        let url = self.connection.url(&self.path(request));
        let fail = |e: &reqwest::Error| {
            HttpError::client(ROLE, &self.name, &url, "poll", e, self.connection.trust())
        };
        let response = self
            .client
            .get(&url)
            .header(reqwest::header::ACCEPT, "application/xml, text/xml")
            .send()
            .await
            .map_err(|e| fail(&e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| fail(&e))?;
        let text = String::from_utf8_lossy(&body).into_owned();
        if status.is_server_error()
            || status == StatusCode::REQUEST_TIMEOUT
            || status == StatusCode::TOO_MANY_REQUESTS
        {
            return Err(HttpError::transient(
                ROLE,
                &self.name,
                &url,
                "poll",
                format!("HTTP {status}"),
            ));
        }
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(HttpError::fatal(
                ROLE,
                &self.name,
                &url,
                "poll",
                format!("HTTP {status}; the agent refuses the connection's credentials"),
            ));
        }
        // An MTConnect error document comes with 4xx; anything else unreadable is reported.
        match streams::parse(&text) {
            Ok(parsed) => {
                for skip in parsed.skipped {
                    self.note_skip(&skip);
                }
                Ok((url, Polled::Document(parsed.document)))
            }
            Err(why) => Ok((url, Polled::Unreadable(format!("HTTP {status}: {why}")))),
        }
    }

    fn note_skip(&self, what: &str) {
        tracing::warn!(target: "fdi::mtconnect", source = %self.name, skipped = what, "read leniently");
    }

    /// `/probe`: the device and the data items the source reads, against the program's model.
    async fn probe(&mut self) -> Result<(), HttpError> {
        let (url, polled) = self.get("probe").await?;
        let (header, devices) = match polled {
            Polled::Document(Document::Devices(header, devices)) => (header, devices),
            Polled::Document(Document::Error(_, errors)) => {
                let text = describe_errors(&errors);
                if errors.iter().any(|(code, _)| code == "NO_DEVICE") {
                    return Err(HttpError::fatal(
                        ROLE,
                        &self.name,
                        &url,
                        "probe",
                        format!(
                            "the agent has no device {:?}: {text}",
                            self.selection.device().unwrap_or_default()
                        ),
                    ));
                }
                return Err(HttpError::transient(ROLE, &self.name, &url, "probe", text));
            }
            Polled::Document(_) => {
                return Err(HttpError::transient(
                    ROLE,
                    &self.name,
                    &url,
                    "probe",
                    "the agent answered the probe with another document",
                ))
            }
            Polled::Unreadable(why) => {
                return Err(HttpError::transient(ROLE, &self.name, &url, "probe", why))
            }
        };
        let devices: Vec<&ProbeDevice> = devices
            .iter()
            .filter(|d| {
                let mut names = vec![d.name.as_str(), d.id.as_str()];
                names.extend(d.uuid.as_deref());
                self.selection.is_device(&names)
            })
            .collect();
        if devices.is_empty() {
            tracing::error!(target: "fdi::mtconnect", source = %self.name, agent = %url, device = ?self.selection.device(), "the agent's probe has no such device: no observation will come");
        }
        self.probe_items = devices
            .iter()
            .flat_map(|d| d.data_items.iter().cloned())
            .collect();
        for selected in self.selection.items() {
            let found = self.probe_items.iter().find(|p| match &selected.facts {
                Some(f) => p.id == f.id,
                None => p.id == selected.key || p.name.as_deref() == Some(selected.key.as_str()),
            });
            match (found, &selected.facts) {
                (None, _) => {
                    tracing::error!(target: "fdi::mtconnect", source = %self.name, agent = %url, data_item = %selected.key, "the agent does not serve this data item: none of its observations will come; the device model the program was compiled with is not the agent's")
                }
                (Some(p), Some(f)) => {
                    let differs = [
                        ("category", p.category.as_str(), f.category.as_str()),
                        ("type", p.type_name.as_str(), f.type_name.as_str()),
                        (
                            "units",
                            p.units.as_deref().unwrap_or(""),
                            f.units.as_deref().unwrap_or(""),
                        ),
                    ];
                    for (what, agent, model) in differs {
                        if agent != model {
                            tracing::error!(target: "fdi::mtconnect", source = %self.name, data_item = %selected.key, what, agent, model, "the agent's data item differs from the device model the program was compiled with");
                        }
                    }
                }
                (Some(_), None) => {}
            }
        }
        tracing::info!(target: "fdi::mtconnect", source = %self.name, agent = %url, instance_id = %header.instance_id, buffer_size = ?header.buffer_size, "probed the agent");
        if let Some(cursor) = &self.cursor {
            if cursor.instance_id != header.instance_id {
                self.restarted(&cursor.clone(), &header.instance_id);
            }
        }
        self.probed = true;
        Ok(())
    }

    /// The agent is another instance than the cursor's: read the new one from its start.
    fn restarted(&mut self, old: &Cursor, new_instance: &str) {
        self.counters.restarts.inc();
        self.pending_gap = None;
        tracing::warn!(target: "fdi::mtconnect", source = %self.name, old_instance_id = %old.instance_id, new_instance_id = new_instance, read_up_to = ?old.next.map(|n| n.saturating_sub(1)), "the agent restarted (a new instanceId): reading the new instance from its firstSequence; what the old one held after the sequence read is gone with it");
        self.cursor = Some(Cursor {
            instance_id: new_instance.to_string(),
            next: None,
        });
    }

    /// A gap: `lost` observations the agent dropped before they were read.
    fn gap(&mut self, wanted: u64, first: u64) {
        let lost = first.saturating_sub(wanted);
        self.counters.gaps.inc();
        self.counters.lost.inc_by(lost);
        tracing::error!(target: "fdi::mtconnect", source = %self.name, wanted, first_sequence = first, lost, "the agent's buffer moved past the sequence wanted: observations lost; reading on from its firstSequence");
    }

    /// The records of the selected data items among `observations`.
    fn records(&mut self, observations: &[StreamObservation]) -> Vec<RawRecord> {
        let mut records = Vec::new();
        for o in observations {
            let mut names = vec![o.device.as_str()];
            names.extend(o.device_uuid.as_deref());
            if !self.selection.is_device(&names) {
                continue;
            }
            let Some(selected) = self
                .selection
                .agent_item(&o.data_item_id, o.name.as_deref())
            else {
                continue;
            };
            let probe = self.probe_items.iter().find(|p| p.id == o.data_item_id);
            let mut record = Selection::agent_observation(selected, &o.data_item_id, &o.timestamp);
            record.device = Some(o.device.clone());
            record.name = o.name.clone().or(record.name);
            record.category = Some(o.category.clone());
            record.type_name = Some(
                probe
                    .map(|p| p.type_name.clone())
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| o.type_name.clone()),
            );
            record.sub_type = o
                .sub_type
                .clone()
                .or_else(|| probe.and_then(|p| p.sub_type.clone()))
                .or(record.sub_type);
            record.units = probe.and_then(|p| p.units.clone()).or(record.units);
            record.sequence = Some(o.sequence);
            record.set_value(&o.value);
            record.native_code = o.native_code.clone();
            record.native_severity = o.native_severity.clone();
            record.qualifier = o.qualifier.clone();
            record.message = o.message.clone();
            record.asset_type = o.asset_type.clone();
            let position = self.next_position;
            self.next_position += 1;
            records.push(RawRecord::json_line(
                self.name.clone(),
                position,
                record.to_json(),
            ));
        }
        records
    }

    /// Stores an acknowledged position; a failure stops the run.
    fn store(&self, cursor: &Cursor) -> Result<(), RunError> {
        self.state.store(&cursor.stored()).map_err(|detail| {
            HttpError::fatal(
                ROLE,
                &self.name,
                &self.connection.base_url,
                "store its position",
                detail,
            )
            .into()
        })
    }

    /// One step: a delivery, or `None` to go on (after the pause it set).
    async fn step(&mut self) -> Result<Option<Delivery>, HttpError> {
        if !self.probed {
            self.probe().await?;
        }
        let request = match &self.cursor {
            None => "current".to_string(),
            Some(Cursor { next: None, .. }) => format!("sample?count={}", self.count),
            Some(Cursor {
                next: Some(next), ..
            }) => format!("sample?from={next}&count={}", self.count),
        };
        let (url, polled) = self.get(&request).await?;
        let (header, observations) = match polled {
            Polled::Document(Document::Streams(header, observations)) => (header, observations),
            Polled::Document(Document::Error(header, errors)) => {
                return self.refused(&url, &header, &errors);
            }
            Polled::Document(Document::Devices(..)) => {
                return Err(HttpError::transient(
                    ROLE,
                    &self.name,
                    &url,
                    "poll",
                    "the agent answered with a probe",
                ))
            }
            Polled::Unreadable(why) => {
                return Err(HttpError::transient(ROLE, &self.name, &url, "poll", why))
            }
        };
        let Some(next_sequence) = header.next_sequence else {
            return Err(HttpError::fatal(
                ROLE,
                &self.name,
                &url,
                "poll",
                "the agent's header has no nextSequence, so the source cannot follow its sequence numbers (is it an MTConnect agent?)",
            ));
        };
        let wanted = self.cursor.as_ref().and_then(|c| c.next);
        if let Some(cursor) = self.cursor.clone() {
            if cursor.instance_id != header.instance_id {
                // Sequences of another instance: read it from its start.
                self.restarted(&cursor, &header.instance_id);
                self.next_poll = Instant::now();
                return Ok(None);
            }
        }
        let first = header.first_sequence.unwrap_or(1);
        match (&self.cursor, wanted, self.pending_gap.take()) {
            (Some(_), Some(wanted), _) if first > wanted => self.gap(wanted, first),
            (Some(_), None, Some(refused)) if first > refused => self.gap(refused, first),
            (Some(_), None, None) if first > 1 => {
                // A restarted agent whose buffer already overflowed.
                self.gap(1, first)
            }
            _ => {}
        }
        let observations: Vec<StreamObservation> = match wanted {
            // A `/sample` may repeat nothing before `from`; an agent that does is not believed.
            Some(wanted) => observations
                .into_iter()
                .filter(|o| o.sequence >= wanted)
                .collect(),
            None => observations,
        };
        let moved = wanted != Some(next_sequence);
        let cursor = Cursor {
            instance_id: header.instance_id.clone(),
            next: Some(next_sequence),
        };
        let caught_up = header.last_sequence.is_none_or(|last| next_sequence > last);
        self.next_poll = if caught_up {
            Instant::now() + self.poll_interval
        } else {
            Instant::now()
        };
        let records = self.records(&observations);
        self.cursor = Some(cursor.clone());
        if records.is_empty() {
            if moved {
                // Observations of other data items only: the position moves once what was
                // delivered before is stored.
                match self.in_flight.newest_mut() {
                    Some(newest) => *newest = cursor,
                    None => {
                        if let Err(e) = self.state.store(&cursor.stored()) {
                            return Err(HttpError::fatal(
                                ROLE,
                                &self.name,
                                &self.connection.base_url,
                                "store its position",
                                e,
                            ));
                        }
                    }
                }
            }
            return Ok(None);
        }
        let position = records.last().map_or(0, |r| r.position());
        self.in_flight.push(position, cursor);
        Ok(Some(Delivery { records, position }))
    }

    /// An error document instead of observations.
    fn refused(
        &mut self,
        url: &str,
        header: &Header,
        errors: &[(String, String)],
    ) -> Result<Option<Delivery>, HttpError> {
        let text = describe_errors(errors);
        let out_of_range = errors
            .iter()
            .any(|(code, _)| matches!(code.as_str(), "OUT_OF_RANGE" | "MTInvalidRange"));
        if let Some(cursor) = self.cursor.clone() {
            if !header.instance_id.is_empty() && cursor.instance_id != header.instance_id {
                self.restarted(&cursor, &header.instance_id);
                self.next_poll = Instant::now();
                return Ok(None);
            }
            if out_of_range && cursor.next.is_some() {
                // `from` is before the agent's firstSequence (a gap) or after its last (a restart
                // that kept its instanceId): read from its firstSequence, and count the gap when
                // that answer shows one.
                tracing::warn!(target: "fdi::mtconnect", source = %self.name, agent = url, error = %text, "the agent refused the sequence wanted");
                self.pending_gap = cursor.next;
                self.cursor = Some(Cursor {
                    next: None,
                    ..cursor
                });
                self.next_poll = Instant::now();
                return Ok(None);
            }
        }
        Err(HttpError::transient(ROLE, &self.name, url, "poll", text))
    }
}

fn describe_errors(errors: &[(String, String)]) -> String {
    let texts: Vec<String> = errors
        .iter()
        .map(|(code, text)| format!("{code}: {text}"))
        .collect();
    if texts.is_empty() {
        "an MTConnect error document without errors".to_string()
    } else {
        texts.join("; ")
    }
}

/// A device name as one path segment.
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl StreamSource for AgentSource {
    fn name(&self) -> &str {
        &self.name
    }

    // Cancel-safe: the state changes only after a response is in, with no await left.
    async fn next(&mut self) -> Result<Option<Delivery>, RunError> {
        loop {
            tokio::time::sleep_until(self.next_poll).await;
            match self.step().await {
                Ok(Some(delivery)) => {
                    self.backoff = Duration::from_millis(250);
                    return Ok(Some(delivery));
                }
                Ok(None) => self.backoff = Duration::from_millis(250),
                Err(error) if error.is_transient() => {
                    tracing::warn!(target: "fdi::mtconnect", source = %self.name, %error, retry_in_ms = self.backoff.as_millis() as u64, "agent unavailable");
                    self.next_poll = Instant::now() + self.backoff;
                    self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                    // Probe again: the agent may come back as another instance.
                    self.probed = false;
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    async fn acknowledge(&mut self, position: Position) -> Result<(), RunError> {
        match self.in_flight.acknowledged(position).last() {
            Some(reached) => self.store(&reached),
            None => Ok(()),
        }
    }
}
