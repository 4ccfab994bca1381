//! An adapter's live SHDR stream over TCP as a source (`mtconnect_adapter(...)`), connected as
//! cppagent's connector does: on connecting it sends `* PING`; an adapter that answers
//! `* PONG <ms>` is pinged every `<ms>` and dropped when nothing came for twice that; one that
//! does not answer is dropped after `timeout` without a line (600 s, cppagent's legacy timeout).
//! A connection that fails, closes or times out is made again after a growing pause (from 100 ms
//! up to `reconnect_interval`, 10 s by default). The stream is live: what the adapter sent while
//! no connection was up, or before the program started, is not read (an adapter sends its current
//! values again on each connection).

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::select::Selection;
use super::shdr_file::ShdrRecords;
use crate::error::RunError;
use crate::ops::duration::parse_duration;
use crate::record::Position;
use crate::settings::ConnectionSettings;
use crate::source::{Delivery, StreamSource};

/// The adapter a connection's settings name: `host`, `port` (7878, the usual SHDR port),
/// `reconnect_interval` (10 s), `timeout` (600 s without a line when the adapter answers no
/// `* PING`), `heartbeat` (overrides the adapter's `* PONG <ms>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterConnection {
    pub host: String,
    pub port: u16,
    pub reconnect_interval: Duration,
    pub timeout: Duration,
    pub heartbeat: Option<Duration>,
}

impl AdapterConnection {
    pub fn new(host: &str, port: u16) -> Self {
        AdapterConnection {
            host: host.to_string(),
            port,
            reconnect_interval: Duration::from_secs(10),
            timeout: Duration::from_secs(600),
            heartbeat: None,
        }
    }

    pub fn from_settings(settings: &ConnectionSettings) -> Result<Self, RunError> {
        let mut connection = AdapterConnection::new(settings.required("host")?, 7878);
        if let Some(port) = settings.number("port")? {
            connection.port = port;
        }
        let duration = |setting: &str| -> Result<Option<Duration>, RunError> {
            settings
                .text(setting)
                .map(|text| {
                    parse_duration(text).map_err(|why| {
                        RunError::Usage(format!(
                            "connection {:?}: `{setting}` is {text:?}: {why}",
                            settings.name()
                        ))
                    })
                })
                .transpose()
        };
        if let Some(d) = duration("reconnect_interval")? {
            connection.reconnect_interval = d.max(Duration::from_millis(100));
        }
        if let Some(d) = duration("timeout")? {
            connection.timeout = d;
        }
        connection.heartbeat = duration("heartbeat")?;
        Ok(connection)
    }

    /// `host:port`, for messages.
    pub fn server(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// One connection to the adapter.
struct Connected {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    /// After `* PONG <ms>`: how often the adapter is pinged.
    heartbeat: Option<Duration>,
    next_ping: Instant,
    /// When the connection is dropped if no line came before.
    deadline: Instant,
}

/// An adapter's SHDR stream (see the module). Each line with observations of the selected data
/// items is one delivery; acknowledging commits nothing (the adapter keeps nothing to send again).
pub struct AdapterSource {
    name: Arc<str>,
    connection: AdapterConnection,
    records: ShdrRecords,
    connected: Option<Connected>,
    /// The bytes of the line being read (kept across cancelled reads).
    line: Vec<u8>,
    next_connect: Instant,
    backoff: Duration,
    last_position: Option<Position>,
}

impl AdapterSource {
    pub fn new(name: &str, connection: AdapterConnection, selection: Selection) -> Self {
        let name: Arc<str> = Arc::from(name);
        AdapterSource {
            records: ShdrRecords::new(name.clone(), selection),
            name,
            connection,
            connected: None,
            line: Vec::new(),
            next_connect: Instant::now(),
            backoff: Duration::from_millis(100),
            last_position: None,
        }
    }

    /// Drops the connection and waits before the next one.
    fn drop_connection(&mut self, why: &str) {
        tracing::warn!(target: "fdi::mtconnect", source = %self.name, adapter = %self.connection.server(), why, retry_in_ms = self.backoff.as_millis() as u64, "adapter connection lost");
        self.connected = None;
        self.line.clear();
        self.next_connect = Instant::now() + self.backoff;
        self.backoff = (self.backoff * 2).min(self.connection.reconnect_interval);
    }

    async fn connect(&mut self) {
        tokio::time::sleep_until(self.next_connect).await;
        let server = self.connection.server();
        let attempt = tokio::time::timeout(
            Duration::from_secs(10),
            TcpStream::connect((self.connection.host.as_str(), self.connection.port)),
        )
        .await;
        let stream = match attempt {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => return self.drop_connection(&format!("cannot connect: {e}")),
            Err(_) => return self.drop_connection("connecting timed out"),
        };
        let _ = stream.set_nodelay(true);
        let (read, mut writer) = stream.into_split();
        if let Err(e) = writer.write_all(b"* PING\n").await {
            return self.drop_connection(&format!("cannot send `* PING`: {e}"));
        }
        tracing::info!(target: "fdi::mtconnect", source = %self.name, adapter = %server, "connected to the adapter");
        let now = Instant::now();
        self.connected = Some(Connected {
            reader: BufReader::new(read),
            writer,
            heartbeat: self.connection.heartbeat,
            next_ping: now
                + self
                    .connection
                    .heartbeat
                    .unwrap_or(Duration::from_secs(3600)),
            deadline: now
                + self
                    .connection
                    .heartbeat
                    .map_or(self.connection.timeout, |h| h * 2),
        });
    }

    /// A line the adapter sent; records when it brought some.
    fn take_line(&mut self, text: &str) -> Option<Vec<crate::record::RawRecord>> {
        let trimmed = text.trim_end();
        if let Some(pong) = trimmed.strip_prefix("* PONG") {
            let connection = self.connected.as_mut()?;
            if connection.heartbeat.is_none() {
                let ms = pong
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|ms| *ms > 0 && *ms < 30 * 60 * 1000);
                match ms {
                    Some(ms) => {
                        let every = Duration::from_millis(ms);
                        tracing::debug!(target: "fdi::mtconnect", source = %self.name, every_ms = ms, "adapter heartbeats");
                        connection.heartbeat = Some(every);
                        connection.next_ping = Instant::now() + every;
                    }
                    None => {
                        tracing::warn!(target: "fdi::mtconnect", source = %self.name, line = trimmed, "adapter answered a PONG without a usable frequency; no heartbeats")
                    }
                }
            }
            return None;
        }
        let read = self.records.line(trimmed);
        if let Some(command) = read.command {
            tracing::debug!(target: "fdi::mtconnect", source = %self.name, %command, "adapter command");
        }
        (!read.records.is_empty()).then_some(read.records)
    }
}

impl StreamSource for AdapterSource {
    fn name(&self) -> &str {
        &self.name
    }

    async fn next(&mut self) -> Result<Option<Delivery>, RunError> {
        loop {
            let Some(connection) = self.connected.as_mut() else {
                self.connect().await;
                continue;
            };
            let ping_at = connection.next_ping;
            let deadline = connection.deadline;
            let heartbeats = connection.heartbeat.is_some();
            tokio::select! {
                read = connection.reader.read_until(b'\n', &mut self.line) => {
                    match read {
                        Ok(0) => self.drop_connection("the adapter closed the connection"),
                        Err(e) => self.drop_connection(&format!("cannot read: {e}")),
                        Ok(_) if !self.line.ends_with(b"\n") => {
                            self.drop_connection("the adapter closed the connection in a line")
                        }
                        Ok(_) => {
                            self.backoff = Duration::from_millis(100);
                            let limit = connection.heartbeat.map_or(self.connection.timeout, |h| h * 2);
                            connection.deadline = Instant::now() + limit;
                            let bytes = std::mem::take(&mut self.line);
                            let text = String::from_utf8_lossy(&bytes);
                            let text = text.strip_suffix('\n').unwrap_or(&text).to_string();
                            if let Some(records) = self.take_line(&text) {
                                let position = records.last().map_or(0, |r| r.position());
                                self.last_position = Some(position);
                                return Ok(Some(Delivery { records, position }));
                            }
                        }
                    }
                }
                _ = tokio::time::sleep_until(ping_at), if heartbeats => {
                    let every = connection.heartbeat.unwrap_or(Duration::from_secs(10));
                    connection.next_ping = Instant::now() + every;
                    if let Err(e) = connection.writer.write_all(b"* PING\n").await {
                        self.drop_connection(&format!("cannot send `* PING`: {e}"));
                    }
                }
                _ = tokio::time::sleep_until(deadline) => {
                    let limit = connection.heartbeat.map_or(self.connection.timeout, |h| h * 2);
                    self.drop_connection(&format!("no line for {} ms", limit.as_millis()));
                }
            }
        }
    }

    async fn acknowledge(&mut self, _position: Position) -> Result<(), RunError> {
        // A live stream: nothing to commit, nothing the adapter would send again.
        Ok(())
    }

    fn commits_positions(&self) -> bool {
        false
    }
}
