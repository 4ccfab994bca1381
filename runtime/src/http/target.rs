//! An HTTP endpoint as a target: each record POSTed or PUT as JSON, alone or in batches, acknowledged only
//! once the endpoint answered 2xx.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::time::{Duration, SystemTime};

use prometheus_client::metrics::counter::Counter;
use serde::Serialize;
use tokio::runtime::Handle;

use super::connection::HttpConnection;
use super::error::{answer, body_text, retry_after, Answer, HttpError};
use super::template::{batch_key, idempotency_key, PathTemplate};
use crate::error::RunError;
use crate::outcome::Reject;
use crate::target::{check_writable, Durable, Refusal, Target};

const ROLE: &str = "target";

/// The longest a target waits on one `Retry-After` before it asks again: an endpoint that asks for an hour
/// is asked again after this, and its answer counts as one more failed try.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// The method a target sends records with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    Post,
    Put,
}

/// What a mapping's HTTP target declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpTargetOptions {
    /// Appended to the connection's base URL; `{field}` is replaced by the record's field.
    pub path: String,
    pub method: HttpMethod,
    /// 1: each record is the body of its own request (a JSON object). More: up to that many records per
    /// request, as a JSON array (a path with placeholders sends one record per request).
    pub batch: usize,
    /// The header that carries the idempotency key (`Idempotency-Key`).
    pub idempotency_header: String,
    /// The target's key fields, whose values make the idempotency key; none: no idempotency key is sent.
    pub key_fields: Vec<String>,
    /// How often one request is tried again (5xx, 408, 429, no answer) before the flush fails with a
    /// transient error, which the run retries (`--retry-targets-for`).
    pub retries: u32,
    /// The first pause between tries, doubled each time (a `Retry-After` wins).
    pub backoff: Duration,
}

impl HttpTargetOptions {
    /// POST to `path`, one record per request, `Idempotency-Key` from `key_fields`, 5 retries from 200 ms
    /// (about 6 s in all, more when the endpoint asks with `Retry-After`).
    pub fn post(path: &str, key_fields: &[&str]) -> Self {
        HttpTargetOptions {
            path: path.to_string(),
            method: HttpMethod::Post,
            batch: 1,
            idempotency_header: "Idempotency-Key".to_string(),
            key_fields: key_fields.iter().map(|k| k.to_string()).collect(),
            retries: 5,
            backoff: Duration::from_millis(200),
        }
    }
}

/// Sends records to an HTTP endpoint.
///
/// `write` turns the record into its JSON text, path and idempotency key (a record without a value for
/// its path is rejected there) and keeps it; `flush` sends what is kept, in order, and returns only when
/// every record was answered 2xx or refused. A record is dead-lettered ([`Durable::take_refused`]) when the
/// endpoint answers a 4xx other than 408 and 429, with the status and the answer's body. A batch the
/// endpoint refuses is sent again one record at a time (each as an array of one, with its own key), so that
/// only the records the endpoint refuses are dead-lettered and the others go in: an endpoint that takes a
/// batch whole or not at all (the usual) then holds every good record once.
///
/// 5xx, 408, 429 and requests without an answer (refused, reset, timed out) are tried again with backoff,
/// honouring `Retry-After` (seconds or an HTTP date); after `retries` tries the flush fails with a transient
/// error, the run retries it later, and the records stay kept. 401, 403 and 407 stop the run: the
/// credentials are wrong, and every record would be refused.
///
/// Delivery is at least once: a request whose answer was lost is sent again after a retry or a restart,
/// with the same idempotency key (the key fields' values), so an endpoint that honours the header takes it
/// once.
pub struct HttpTarget<T> {
    name: String,
    connection: HttpConnection,
    client: reqwest::Client,
    io: Handle,
    options: HttpTargetOptions,
    template: PathTemplate,
    key_fields: Vec<String>,
    pending: VecDeque<Pending>,
    /// How many of the first pending records go one at a time: a refused batch's.
    singles: usize,
    /// Writes since the last flush that completed (the indices of [`Refusal`]s).
    writes: usize,
    refused: Vec<Refusal>,
    /// Requests tried again (a metric when the run serves them; counts for nobody otherwise).
    retried: Counter,
    _record: PhantomData<fn(&T)>,
}

/// A record kept until the endpoint took or refused it.
struct Pending {
    write: usize,
    json: String,
    path: String,
    key: Option<String>,
}

/// What one request came to.
enum Sent {
    Accepted,
    Refused { status: u16, text: String },
}

impl<T> HttpTarget<T> {
    /// Makes the client (TLS set up here, so a CA file that cannot be read stops the run before anything is
    /// read); the endpoint is first asked at the first flush.
    pub fn open(
        name: &str,
        connection: &HttpConnection,
        options: HttpTargetOptions,
        io: &Handle,
    ) -> Result<Self, RunError> {
        let template = PathTemplate::parse(&options.path)
            .map_err(|e| RunError::Program(format!("HTTP target {name}: {e}")))?;
        let client = connection.client(ROLE, name)?;
        Ok(HttpTarget {
            name: name.to_string(),
            connection: connection.clone(),
            client,
            io: io.clone(),
            key_fields: options.key_fields.clone(),
            options,
            template,
            pending: VecDeque::new(),
            singles: 0,
            writes: 0,
            refused: Vec::new(),
            retried: Counter::default(),
            _record: PhantomData,
        })
    }

    /// Counts each request tried again into `counter` (`fdi_http_retried_requests_total`).
    pub fn count_retries(&mut self, counter: Counter) {
        self.retried = counter;
    }

    /// Whether requests carry arrays of records.
    fn batched(&self) -> bool {
        self.options.batch > 1 && !self.template.has_fields()
    }

    /// Sends the first `count` pending records in one request, tried again as the options say.
    fn send(&self, count: usize, as_array: bool) -> Result<Sent, HttpError> {
        let records: Vec<&Pending> = self.pending.iter().take(count).collect();
        let body = if as_array {
            let texts: Vec<&str> = records.iter().map(|p| p.json.as_str()).collect();
            format!("[{}]", texts.join(","))
        } else {
            records[0].json.clone()
        };
        let key = match (records.first(), records.last()) {
            (Some(first), Some(last)) if count > 1 => match (&first.key, &last.key) {
                (Some(a), Some(b)) => Some(batch_key(a, b, count)),
                _ => None,
            },
            (Some(only), _) => only.key.clone(),
            _ => None,
        };
        let url = self.connection.url(&records[0].path);
        let method = match self.options.method {
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Put => reqwest::Method::PUT,
        };
        let action = format!("{method} {count} record(s)");
        let mut pause = self.options.backoff;
        let mut tries = 0;
        loop {
            tries += 1;
            let mut request = self
                .client
                .request(method.clone(), &url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
            if let Some(key) = &key {
                request = request.header(self.options.idempotency_header.as_str(), key.as_str());
            }
            let answered = self.io.block_on(async {
                let response = request.send().await?;
                let status = response.status();
                let wait = retry_after(response.headers(), SystemTime::now());
                let body = response.bytes().await?;
                Ok::<_, reqwest::Error>((status, wait, body))
            });
            let failure = match answered {
                Err(error) => HttpError::client(
                    ROLE,
                    &self.name,
                    &url,
                    &action,
                    &error,
                    self.connection.trust(),
                ),
                Ok((status, wait, body)) => {
                    let text = || format!("HTTP {status}: {}", body_text(&body));
                    match answer(status) {
                        Answer::Accepted => return Ok(Sent::Accepted),
                        Answer::Refused => {
                            return Ok(Sent::Refused {
                                status: status.as_u16(),
                                text: body_text(&body),
                            })
                        }
                        Answer::Unauthorized => {
                            return Err(HttpError::fatal(
                                ROLE,
                                &self.name,
                                &url,
                                &action,
                                format!(
                                    "{}; the endpoint refuses the connection's credentials: check `token` or \
                                     `username`/`password` of connection {:?}",
                                    text(),
                                    self.connection.name
                                ),
                            ))
                        }
                        Answer::Unexpected => {
                            return Err(HttpError::fatal(
                                ROLE,
                                &self.name,
                                &url,
                                &action,
                                format!(
                                    "{}; redirects are not followed: set `base_url` of connection {:?} to \
                                     where the endpoint is",
                                    text(),
                                    self.connection.name
                                ),
                            ))
                        }
                        Answer::Later => {
                            HttpError::transient(ROLE, &self.name, &url, &action, text())
                                .with_retry_after(wait)
                        }
                    }
                }
            };
            if !failure.is_transient() || tries > self.options.retries {
                return Err(failure);
            }
            let wait = failure
                .retry_after
                .map_or(pause, |w| w.min(MAX_RETRY_AFTER));
            tracing::warn!(target: "fdi::http", target_name = %self.name, error = %failure, retry_in_ms = wait.as_millis() as u64, "request failed; trying again");
            self.retried.inc();
            std::thread::sleep(wait);
            pause = (pause * 2).min(Duration::from_secs(10));
        }
    }

    /// Sends the pending records; on an error the ones not yet answered stay pending.
    fn send_pending(&mut self) -> Result<(), HttpError> {
        while !self.pending.is_empty() {
            let batched = self.batched();
            let (count, as_array) = if self.singles > 0 {
                (1, true)
            } else if batched {
                (self.options.batch.min(self.pending.len()), true)
            } else {
                (1, false)
            };
            match self.send(count, as_array)? {
                Sent::Accepted => {
                    self.pending.drain(..count);
                    self.singles = self.singles.saturating_sub(count);
                }
                Sent::Refused { status, .. } if count > 1 => {
                    tracing::info!(target: "fdi::http", target_name = %self.name, status, records = count, "batch refused; sending its records one at a time to find the refused ones");
                    self.singles = count;
                }
                Sent::Refused { status, text } => {
                    let refused = self.pending.pop_front().expect("one was sent");
                    self.singles = self.singles.saturating_sub(1);
                    self.refused.push(Refusal {
                        write: refused.write,
                        reject: Reject::new(format!(
                            "the endpoint refused the record: HTTP {status}"
                        ))
                        .with_detail(text),
                    });
                }
            }
        }
        Ok(())
    }
}

impl<T> Durable for HttpTarget<T> {
    fn name(&self) -> &str {
        &self.name
    }

    fn flush(&mut self) -> Result<(), RunError> {
        self.send_pending()?;
        self.writes = 0;
        Ok(())
    }

    fn refuses_on_flush(&self) -> bool {
        true
    }

    fn take_refused(&mut self) -> Vec<Refusal> {
        std::mem::take(&mut self.refused)
    }

    fn is_transient(&self, error: &RunError) -> bool {
        matches!(error, RunError::Http(e) if e.is_transient())
    }
}

impl<T: Serialize> Target<T> for HttpTarget<T> {
    fn write(&mut self, record: &T) -> Result<Result<(), Reject>, RunError> {
        if let Err(reject) = check_writable(record) {
            return Ok(Err(reject));
        }
        let value = serde_json::to_value(record)
            .map_err(|e| RunError::Program(format!("HTTP target {}: {e}", self.name)))?;
        let serde_json::Value::Object(object) = &value else {
            return Err(RunError::Program(format!(
                "HTTP target {}: a record is not a JSON object",
                self.name
            )));
        };
        let path = match self.template.path_of(object) {
            Ok(path) => path,
            Err(reject) => return Ok(Err(reject)),
        };
        let keys: Vec<&str> = self.key_fields.iter().map(String::as_str).collect();
        let key = idempotency_key(object, &keys);
        self.pending.push_back(Pending {
            write: self.writes,
            json: value.to_string(),
            path,
            key,
        });
        self.writes += 1;
        Ok(Ok(()))
    }
}
