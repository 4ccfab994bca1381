//! The HTTP peer: Python's standard-library http.server running `tests/peers/http/server.py` on a free
//! port of 127.0.0.1. It takes POSTs and PUTs and records them (headers included, to check idempotency
//! keys and credentials), serves pages of records and a versioned document (ETag, Last-Modified) to poll,
//! and misbehaves when told to: 503s, 429s with Retry-After, delays, dropped connections, 422 for given
//! records, an answer that is not JSON.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::process::{
    accepts_connections, control_request, find_program, free_port, ServerProcess, Shutdown,
};
use crate::{PeerError, TlsFiles, HOST};

const PEER: &str = "HTTP server";

/// A running HTTP peer; dropping it stops the server.
#[derive(Debug)]
pub struct HttpServer {
    process: ServerProcess,
    port: u16,
    /// Plain HTTP, for the control requests.
    control_port: u16,
    scheme: &'static str,
}

/// One request the peer received on a data endpoint, and the status it answered (0: it dropped the
/// connection instead).
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    /// Header names in lower case.
    pub headers: serde_json::Map<String, Value>,
    /// The body as JSON, or as text when it is not JSON; null when empty.
    pub body: Value,
    pub status: u16,
    /// When it arrived, in seconds since the epoch (the peer's clock).
    pub at: f64,
}

impl Received {
    /// A header's value, by its lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(Value::as_str)
    }
}

impl HttpServer {
    /// Starts the server and returns once it accepts connections.
    pub fn start() -> Result<HttpServer, PeerError> {
        Self::launch(None)
    }

    /// Starts a server whose data endpoints speak HTTPS only, presenting the server certificate of
    /// `files` (read at start); [`HttpServer::base_url`] is then `https://`.
    pub fn start_with_tls(files: &TlsFiles) -> Result<HttpServer, PeerError> {
        Self::launch(Some(files))
    }

    fn launch(tls: Option<&TlsFiles>) -> Result<HttpServer, PeerError> {
        let python = find_program("python3", &[])
            .ok_or_else(|| PeerError::missing(PEER, "python3 is not installed (looked in PATH)"))?;
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("http/server.py");
        let port = free_port(PEER)?;
        let control_port = free_port(PEER)?;
        let mut command = Command::new(python);
        command
            .arg(&script)
            .args(["--port", &port.to_string()])
            .args(["--control-port", &control_port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(files) = tls {
            command
                .arg("--cert")
                .arg(files.server_cert_file())
                .arg("--key")
                .arg(files.server_key_file());
        }
        let mut process = ServerProcess::spawn(PEER, &mut command, Shutdown::Kill)?;
        process.wait_until(
            PEER,
            || accepts_connections(port) && accepts_connections(control_port),
            || format!("{} did not start", script.display()),
        )?;
        Ok(HttpServer {
            process,
            port,
            control_port,
            scheme: if tls.is_some() { "https" } else { "http" },
        })
    }

    /// `http://127.0.0.1:PORT` (`https://` with TLS): the base URL of a connection to it.
    pub fn base_url(&self) -> String {
        format!("{}://{HOST}:{}", self.scheme, self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    /// Changes how the server answers (see the keys in `tests/peers/http/server.py`): e.g.
    /// `json!({"fail": 3})` answers the next 3 data requests 503; keys not given stay as they were.
    pub fn behave(&self, behaviour: Value) -> Result<(), PeerError> {
        self.control("POST", "/_peer/behaviour", Some(&behaviour))
            .map(|_| ())
    }

    /// Appends records to what `/items` and `/document` serve (a new version of the document).
    pub fn add_items(&self, items: &[Value]) -> Result<(), PeerError> {
        let body = serde_json::json!({ "items": items });
        self.control("POST", "/_peer/items", Some(&body))
            .map(|_| ())
    }

    /// Every request to a data endpoint so far, in the order they arrived.
    pub fn received(&self) -> Result<Vec<Received>, PeerError> {
        let answer = self.control("GET", "/_peer/received", None)?;
        let requests = answer["requests"].as_array().cloned().unwrap_or_default();
        Ok(requests
            .into_iter()
            .map(|r| Received {
                method: r["method"].as_str().unwrap_or_default().to_string(),
                path: r["path"].as_str().unwrap_or_default().to_string(),
                headers: r["headers"].as_object().cloned().unwrap_or_default(),
                body: r["body"].clone(),
                status: r["status"].as_u64().unwrap_or(0) as u16,
                at: r["at"].as_f64().unwrap_or(0.0),
            })
            .collect())
    }

    /// How many POSTs and PUTs the server answered 2xx so far (cheaper than [`HttpServer::received`]).
    pub fn taken(&self) -> Result<usize, PeerError> {
        let counts = self.control("GET", "/_peer/counts", None)?;
        Ok(counts["taken"].as_u64().unwrap_or(0) as usize)
    }

    /// One control request (HTTP/1.0, the connection closed after the answer), its answer's JSON body.
    fn control(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, PeerError> {
        let body = body.map(Value::to_string).unwrap_or_default();
        control_request(PEER, self.control_port, method, path, &body)
    }
}
