//! A JSON endpoint polled as a stream source: each response's records (selected by a path into the
//! document) one delivery, read on from a watermark stored when the run acknowledges them.

use std::cmp::Ordering;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use prometheus_client::metrics::counter::Counter;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::time::Instant;

use super::connection::HttpConnection;
use super::error::{answer, body_text, retry_after, Answer, HttpError};
use super::records::{compare, is_orderable, select};
use super::state::{self, StateFile};
use crate::error::RunError;
use crate::record::{Position, RawRecord};
use crate::source::{Delivery, InFlight, StreamSource};

const ROLE: &str = "source";

/// The longest a source waits before it asks an endpoint that failed again.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// What a source remembers to read on without losing or repeating records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Watermark {
    /// A field of the records whose values grow (an id, an ISO instant): records whose value is not above
    /// the last one acknowledged are not delivered again; `{watermark}` in the path asks the endpoint for
    /// the records after it.
    Field(String),
    /// The document's `ETag`: asked with `If-None-Match`; each new version is delivered whole, once.
    ETag,
    /// The document's `Last-Modified`: asked with `If-Modified-Since`; each new version is delivered whole,
    /// once.
    LastModified,
}

/// What a mapping's HTTP source declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSourceOptions {
    /// Appended to the base URL; `{watermark}` is replaced by the last watermark delivered (empty before
    /// the first).
    pub path: String,
    /// The path to the array of records in the document (`data.items`); empty: the document is the array.
    pub records: String,
    pub watermark: Watermark,
    /// How long the source waits after a response without new records.
    pub poll_interval: Duration,
}

/// Polls a JSON endpoint (see [`HttpSourceOptions`]). Each response with new records is one delivery; its
/// position (the watermark of its last record, or the document's validators) is stored in the state file
/// when the run acknowledges it, that is once every record of it is durably written, filtered or
/// dead-lettered. A restarted source reads on from there, so a record acknowledged is not delivered again
/// and one not acknowledged is (at least once; not again once stored).
///
/// A response that is not JSON, or a document without the records path, is one record that the decode
/// stage rejects with the reason, its body in the dead letter; so is an answer 4xx (not 408 or 429). 5xx,
/// 408, 429 and an endpoint that does not answer are waited out (backoff, `Retry-After`) and do not stop the
/// run; refused credentials (401, 403) and a certificate not trusted do.
pub struct HttpSource {
    name: Arc<str>,
    connection: HttpConnection,
    client: reqwest::Client,
    options: HttpSourceOptions,
    state: StateFile,
    /// Where the next poll reads on from: the last delivery's position.
    cursor: state::Position,
    /// Deliveries not acknowledged yet: their last record's position and where they leave the source.
    in_flight: InFlight<state::Position>,
    next_position: Position,
    next_poll: Instant,
    backoff: Duration,
    /// Polls tried again (a metric when the run serves them; counts for nobody otherwise).
    retried: Counter,
}

/// What one poll brought.
enum Polled {
    /// Nothing new (304, or no record above the watermark).
    Nothing,
    /// Records (and records to reject), and where they leave the source.
    Records(Vec<RawRecord>, state::Position),
}

impl HttpSource {
    /// Makes the client and reads the stored position (a state file that cannot be read stops the run here).
    pub fn open(
        name: &str,
        connection: &HttpConnection,
        options: HttpSourceOptions,
        state: StateFile,
    ) -> Result<Self, RunError> {
        let client = connection.client(ROLE, name)?;
        let cursor = state.load().map_err(|detail| {
            HttpError::fatal(ROLE, name, &connection.url(&options.path), "resume", detail)
        })?;
        if cursor != state::Position::default() {
            tracing::info!(target: "fdi::http", source = name, position = ?cursor, "resuming after the stored position");
        }
        Ok(HttpSource {
            name: Arc::from(name),
            connection: connection.clone(),
            client,
            options,
            state,
            cursor,
            in_flight: InFlight::default(),
            next_position: 1,
            next_poll: Instant::now(),
            backoff: Duration::from_millis(250),
            retried: Counter::default(),
        })
    }

    /// Counts each poll tried again into `counter` (`fdi_http_retried_requests_total`).
    pub fn count_retries(&mut self, counter: Counter) {
        self.retried = counter;
    }

    /// The URL of the next poll: `{watermark}` replaced by the cursor's watermark.
    fn url(&self) -> String {
        let watermark = match &self.cursor.watermark {
            Some(Value::String(text)) => text.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        let encoded = super::template::percent_encode(&watermark);
        self.connection
            .url(&self.options.path.replace("{watermark}", &encoded))
    }

    /// One request and what it brought (cancel-safe: nothing changes before the answer is in).
    async fn poll(&self) -> Result<Polled, HttpError> {
        let url = self.url();
        let mut request = self
            .client
            .get(&url)
            .header(reqwest::header::ACCEPT, "application/json");
        match self.options.watermark {
            Watermark::ETag => {
                if let Some(etag) = &self.cursor.etag {
                    request = request.header(IF_NONE_MATCH, etag);
                }
            }
            Watermark::LastModified => {
                if let Some(at) = &self.cursor.last_modified {
                    request = request.header(IF_MODIFIED_SINCE, at);
                }
            }
            Watermark::Field(_) => {}
        }
        let fail = |e: &reqwest::Error| {
            HttpError::client(ROLE, &self.name, &url, "poll", e, self.connection.trust())
        };
        let response = request.send().await.map_err(|e| fail(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|e| fail(&e))?;
        let header = |name| {
            headers
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Polled::Nothing);
        }
        let unreadable = |reason: String, next: &state::Position| {
            let record = RawRecord::unreadable_message(
                self.name.clone(),
                self.next_position,
                url.clone(),
                body.to_vec(),
                reason,
            );
            Ok(Polled::Records(vec![record], next.clone()))
        };
        match answer(status) {
            Answer::Accepted => {}
            Answer::Later => {
                return Err(HttpError::transient(
                    ROLE,
                    &self.name,
                    &url,
                    "poll",
                    format!("HTTP {status}: {}", body_text(&body)),
                )
                .with_retry_after(retry_after(&headers, SystemTime::now())))
            }
            Answer::Unauthorized => {
                return Err(HttpError::fatal(
                    ROLE,
                    &self.name,
                    &url,
                    "poll",
                    format!(
                        "HTTP {status}; the endpoint refuses the connection's credentials: check `token` or \
                         `username`/`password` of connection {:?}",
                        self.connection.name
                    ),
                ))
            }
            // An answer that is not the document: the position stays where it was.
            Answer::Refused | Answer::Unexpected => {
                return unreadable(format!("the endpoint answered HTTP {status}"), &self.cursor);
            }
        }
        let document: Value = match serde_json::from_slice(&body) {
            Ok(document) => document,
            Err(e) => return unreadable(format!("the response is not JSON: {e}"), &self.cursor),
        };
        let items = match select(&document, &self.options.records) {
            Ok(items) => items,
            Err(reason) => return unreadable(reason, &self.cursor),
        };
        // The document's validators are remembered only for a document read: a proxy's maintenance page
        // is rejected at every poll rather than taken for a version.
        let mut next = self.cursor.clone();
        match self.options.watermark {
            Watermark::ETag => {
                next.etag = Some(header(ETAG).ok_or_else(|| {
                    HttpError::fatal(ROLE, &self.name, &url, "poll", "the endpoint sends no ETag, so a new version of its document cannot be told from the last one; choose another `watermark` (a field of the records, or \"last_modified\")")
                })?);
            }
            Watermark::LastModified => {
                next.last_modified = Some(header(LAST_MODIFIED).ok_or_else(|| {
                    HttpError::fatal(ROLE, &self.name, &url, "poll", "the endpoint sends no Last-Modified, so a new version of its document cannot be told from the last one; choose another `watermark` (a field of the records, or \"etag\")")
                })?);
            }
            Watermark::Field(_) => {}
        }
        let mut records = Vec::with_capacity(items.len());
        let mut position = self.next_position;
        for item in items {
            if let Watermark::Field(field) = &self.options.watermark {
                match item.get(field).filter(|v| is_orderable(v)) {
                    None => {
                        records.push(RawRecord::unreadable_message(
                            self.name.clone(),
                            position,
                            url.clone(),
                            item.to_string(),
                            format!(
                                "the record has no number or text in its watermark field {field}"
                            ),
                        ));
                        position += 1;
                        continue;
                    }
                    Some(value) => {
                        let after = |last: &Option<Value>| {
                            last.as_ref()
                                .is_none_or(|last| compare(value, last) == Some(Ordering::Greater))
                        };
                        if !after(&self.cursor.watermark) {
                            continue;
                        }
                        if after(&next.watermark) {
                            next.watermark = Some(value.clone());
                        }
                    }
                }
            }
            records.push(RawRecord::json_line(
                self.name.clone(),
                position,
                item.to_string(),
            ));
            position += 1;
        }
        if records.is_empty() && next == self.cursor {
            return Ok(Polled::Nothing);
        }
        Ok(Polled::Records(records, next))
    }

    /// Stores an acknowledged position; a failure stops the run.
    fn store(&self, position: &state::Position) -> Result<(), RunError> {
        if let Err(detail) = self.state.store(position) {
            // A full disk or a folder gone: the run cannot keep its promise not to repeat records.
            return Err(HttpError::fatal(
                ROLE,
                &self.name,
                &self.connection.base_url,
                "store its position",
                detail,
            )
            .into());
        }
        Ok(())
    }
}

impl StreamSource for HttpSource {
    fn name(&self) -> &str {
        &self.name
    }

    // Cancel-safe: the cursor and positions change only after the response is in, with no await left.
    async fn next(&mut self) -> Result<Option<Delivery>, RunError> {
        loop {
            tokio::time::sleep_until(self.next_poll).await;
            let polled = match self.poll().await {
                Ok(polled) => polled,
                Err(error) if error.is_transient() => {
                    let wait = error
                        .retry_after
                        .unwrap_or(self.backoff)
                        .min(MAX_BACKOFF.max(self.backoff));
                    tracing::warn!(target: "fdi::http", source = %self.name, %error, retry_in_ms = wait.as_millis() as u64, "endpoint unavailable");
                    self.retried.inc();
                    self.next_poll = Instant::now() + wait;
                    self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
                Err(error) => return Err(error.into()),
            };
            self.backoff = Duration::from_millis(250);
            let (records, next) = match polled {
                Polled::Nothing => {
                    self.next_poll = Instant::now() + self.options.poll_interval;
                    continue;
                }
                Polled::Records(records, next) => (records, next),
            };
            // A field watermark pages: when the watermark moved, more records may wait. A document's version
            // is read whole; records without a watermark (rejected) do not make the source ask again at once.
            let more = matches!(self.options.watermark, Watermark::Field(_))
                && next.watermark != self.cursor.watermark;
            self.cursor = next.clone();
            self.next_poll = if more {
                Instant::now()
            } else {
                Instant::now() + self.options.poll_interval
            };
            if records.is_empty() {
                // A new version without records: stored once what was delivered before it is.
                match self.in_flight.newest_mut() {
                    Some(position) => *position = next,
                    None => {
                        self.store(&next)?;
                    }
                }
                continue;
            }
            let position = self.next_position + records.len() as u64 - 1;
            self.next_position = position + 1;
            self.in_flight.push(position, next);
            return Ok(Some(Delivery { records, position }));
        }
    }

    async fn acknowledge(&mut self, position: Position) -> Result<(), RunError> {
        match self.in_flight.acknowledged(position).last() {
            Some(reached) => self.store(&reached),
            None => Ok(()),
        }
    }
}
