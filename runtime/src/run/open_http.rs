//! Opening HTTP targets and sources (feature `http`) by their connection's name in the deployment settings.
//! The client is made here (TLS files read), so a setting that is wrong stops the run before anything is
//! read; the endpoint is first asked when the first records are flushed or the first poll is made.

use std::time::Duration;

use serde::Serialize;

use super::{OpenSource, Run, TargetId};
use crate::error::RunError;
use crate::http::{
    HttpConnection, HttpMethod, HttpSource, HttpSourceOptions, HttpTarget, HttpTargetOptions,
    StateFile, Watermark,
};

/// What a mapping's HTTP target declares: `http(connection:, path:, method:, batch:, idempotency_key:)`,
/// with the target's key fields (as the records name them), whose values make the idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpPost<'a> {
    pub path: &'a str,
    /// `"POST"` or `"PUT"`.
    pub method: &'a str,
    pub batch: u32,
    /// The header that carries the idempotency key.
    pub idempotency_key: &'a str,
    pub keys: &'a [&'a str],
}

/// What a mapping's HTTP source declares: `http(connection:, path:, records:, watermark:, poll_interval:)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpPoll<'a> {
    pub path: &'a str,
    pub records: &'a str,
    /// A field of the records, or `"etag"` / `"last_modified"`.
    pub watermark: &'a str,
    pub poll_interval: Duration,
}

impl Run {
    /// Opens the HTTP target a mapping declares, on the connection the deployment settings describe (see
    /// [`HttpConnection::from_settings`]). When the run captures targets, the endpoint is not contacted and
    /// the target writes JSON Lines instead (see [`Run::jsonl_target`]).
    pub fn http_target<T: Serialize + 'static>(
        &mut self,
        name: &str,
        connection: &str,
        post: &HttpPost<'_>,
    ) -> Result<TargetId<T>, RunError> {
        if let Some(captured) = self.capture(name)? {
            return Ok(captured);
        }
        let (settings, options) = self.http_target_settings(name, connection, post)?;
        self.connect_http_target(name, &settings, options)
    }

    /// Opens the HTTP target a mapping declares (see [`Run::http_target`]) through its store-and-forward
    /// queue (see [`Run::queued_target`]): an endpoint that is away holds up the queue's forwarder, not the
    /// run.
    pub fn queued_http_target<T: Serialize + 'static>(
        &mut self,
        name: &str,
        connection: &str,
        post: &HttpPost<'_>,
    ) -> Result<TargetId<T>, RunError> {
        if let Some(captured) = self.capture(name)? {
            return Ok(captured);
        }
        let (settings, options) = self.http_target_settings(name, connection, post)?;
        let (owned_name, io) = (name.to_string(), self.io().clone());
        let retries = self
            .ops
            .metrics()
            .map(|metrics| metrics.http_retries("target", name));
        let open = move || -> Result<crate::queue::Forwarded, RunError> {
            let mut target = HttpTarget::open(&owned_name, &settings, options.clone(), &io)?;
            if let Some(counter) = &retries {
                target.count_retries(counter.clone());
            }
            Ok(Box::new(target))
        };
        self.queued_target(name, crate::queue::OpenForwarded::opened_offline(open))
    }

    /// The connection and options of the HTTP target `name` a mapping declares.
    fn http_target_settings(
        &self,
        name: &str,
        connection: &str,
        post: &HttpPost<'_>,
    ) -> Result<(HttpConnection, HttpTargetOptions), RunError> {
        let settings = HttpConnection::from_settings(self.connection(connection)?)?;
        // No header, no key: an endpoint that ignores idempotency keys is sent none.
        let keys = if post.idempotency_key.is_empty() {
            &[][..]
        } else {
            post.keys
        };
        let mut options = HttpTargetOptions::post(post.path, keys);
        options.method = match post.method {
            "POST" => HttpMethod::Post,
            "PUT" => HttpMethod::Put,
            other => {
                return Err(RunError::Program(format!(
                    "HTTP target {name}: method {other:?} is not POST or PUT"
                )))
            }
        };
        options.batch = post.batch.max(1) as usize;
        options.idempotency_header = post.idempotency_key.to_string();
        Ok((settings, options))
    }

    /// Opens the HTTP source a mapping declares; its position is kept in `http-<mapping>-<source>.json`
    /// beside the dead letter. A test run may replace it with a file of JSON records (`--source NAME=PATH`).
    pub fn http_source(
        &mut self,
        name: &str,
        connection: &str,
        poll: &HttpPoll<'_>,
    ) -> Result<OpenSource, RunError> {
        if let Some(replaced) = self.replaced_source(name)? {
            return Ok(replaced);
        }
        let settings = HttpConnection::from_settings(self.connection(connection)?)?;
        let options = HttpSourceOptions {
            path: poll.path.to_string(),
            records: poll.records.to_string(),
            watermark: match poll.watermark {
                "etag" => Watermark::ETag,
                "last_modified" => Watermark::LastModified,
                field => Watermark::Field(field.to_string()),
            },
            poll_interval: poll.poll_interval,
        };
        let dead_letter = self.base_dir.join(&self.config.dead_letter);
        let folder = dead_letter.parent().unwrap_or(&self.base_dir);
        let state =
            StateFile::new(folder.join(format!("http-{}-{name}.json", self.program.mapping)));
        self.connect_http_source(name, &settings, options, state)
    }

    /// Opens an HTTP target sending records of type `T` as `options` say (see [`HttpTarget`]).
    pub fn connect_http_target<T: Serialize + 'static>(
        &mut self,
        name: &str,
        connection: &HttpConnection,
        options: HttpTargetOptions,
    ) -> Result<TargetId<T>, RunError> {
        if let Some(captured) = self.capture(name)? {
            return Ok(captured);
        }
        let mut target = HttpTarget::<T>::open(name, connection, options, self.io())?;
        if let Some(metrics) = self.ops.metrics() {
            target.count_retries(metrics.http_retries("target", name));
        }
        Ok(self.add_target(name, Box::new(target)))
    }

    /// Opens an HTTP source polled as `options` say, its position kept in `state` (see [`HttpSource`]).
    /// Register it with its map function through [`Run::source`].
    pub fn connect_http_source(
        &mut self,
        name: &str,
        connection: &HttpConnection,
        options: HttpSourceOptions,
        state: StateFile,
    ) -> Result<OpenSource, RunError> {
        if let Some(replaced) = self.replaced_source(name)? {
            return Ok(replaced);
        }
        let mut source = HttpSource::open(name, connection, options, state)?;
        if let Some(metrics) = self.ops.metrics() {
            source.count_retries(metrics.http_retries("source", name));
        }
        self.source_index(name);
        Ok(OpenSource::stream(source))
    }
}
