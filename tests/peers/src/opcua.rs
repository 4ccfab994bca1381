//! Two independent OPC UA servers, the Python `asyncua` library's and the Node.js
//! `node-opcua` one (scripts and pinned versions in `tests/peers/opcua/`), each serving the same
//! address space (`opcua/address_space.json`) on a free port of 127.0.0.1, so a test runs
//! unchanged against both. A test changes values, statuses and reads nodes through the
//! script's control channel (`opcua/control.md`: JSON lines on its stdin and stdout).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::error::INSTALL;
use crate::process::{
    find_program, free_port, log_tail, ServerProcess, Shutdown, STARTUP_DEADLINE,
};
use crate::{PeerError, HOST};

/// The namespace of every node of the test address space; its index is whatever the server
/// gives it ([`OpcuaServer::namespace_index`]).
pub const NAMESPACE_URI: &str = "urn:fdi:test";

/// How long a command other than `produce` may take; the servers answer in milliseconds.
const COMMAND_DEADLINE: Duration = Duration::from_secs(60);

/// Which library serves the address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpcuaImplementation {
    /// Python's `asyncua` (`opcua/asyncua_server.py`).
    Asyncua,
    /// Node.js's `node-opcua` (`opcua/node_opcua_server.js`).
    NodeOpcua,
}

impl OpcuaImplementation {
    /// Both, for a test that must pass against each.
    pub const ALL: [OpcuaImplementation; 2] =
        [OpcuaImplementation::Asyncua, OpcuaImplementation::NodeOpcua];

    /// The peer's name in errors and test output.
    pub fn name(self) -> &'static str {
        match self {
            OpcuaImplementation::Asyncua => "OPC UA server (asyncua)",
            OpcuaImplementation::NodeOpcua => "OPC UA server (node-opcua)",
        }
    }
}

/// What a client must do to connect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpcuaSecurity {
    /// One endpoint, security policy and mode `None`, anonymous users.
    None,
    /// One endpoint, `Basic256Sha256` with `SignAndEncrypt`, the server's own self-signed
    /// certificate ([`OpcuaServer::server_certificate`]), any client certificate accepted, and
    /// only this user (no anonymous).
    SignAndEncrypt { username: String, password: String },
}

/// A variable's value as the server holds it. `value` is JSON by the node's DataType: Boolean
/// a bool, integers numbers (64-bit ones exact), Float/Double numbers, String text, DateTime
/// RFC 3339 UTC text with milliseconds; null after a Bad status (Part 4, 7.7.1).
#[derive(Clone, Debug, PartialEq)]
pub struct NodeValue {
    /// The node's string identifier (`Machine.Counter1`).
    pub node: String,
    pub value: Value,
    /// The node's DataType (`Double`, `Int32`, ...).
    pub data_type: String,
    /// The status code's name (`Good`, `BadSensorFailure`).
    pub status: String,
    pub source_timestamp: Option<String>,
    pub server_timestamp: Option<String>,
}

/// One value `produce` wrote, in the order written, with the source timestamp it carries.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub node: String,
    pub value: Value,
    pub data_type: String,
    pub source_timestamp: String,
}

/// A running OPC UA server; dropping it kills the server and removes its folder.
pub struct OpcuaServer {
    implementation: OpcuaImplementation,
    security: OpcuaSecurity,
    /// NodeSet2 files served beside the test address space ([`OpcuaServer::start_with_models`]).
    models: Vec<PathBuf>,
    port: u16,
    folder: TempDir,
    running: Running,
}

/// One process of the server (a restart replaces it).
struct Running {
    // Declared first: dropped (closed) before the process is killed and waited for.
    stdin: ChildStdin,
    lines: Receiver<String>,
    process: ServerProcess,
    ready: Ready,
}

#[derive(Deserialize)]
struct Ready {
    endpoint_url: String,
    namespace_index: u16,
    /// The server's namespace array (asyncua says it; node-opcua does not).
    #[serde(default)]
    namespaces: Vec<String>,
    server_certificate: Option<PathBuf>,
}

impl OpcuaServer {
    /// Starts `implementation` without security (policy and mode `None`, anonymous).
    pub fn start(implementation: OpcuaImplementation) -> Result<Self, PeerError> {
        Self::start_with(implementation, OpcuaSecurity::None)
    }

    /// Starts asyncua (without security) serving the information model of `nodesets` beside the
    /// test address space: NodeSet2 files, each after those it depends on (companion
    /// specifications first, the instance last). Their nodes are named by node id in
    /// [`OpcuaServer::set_node`], [`OpcuaServer::read_node`] and
    /// [`OpcuaServer::engineering_units`]; the server numbers their namespaces after the test's
    /// ([`OpcuaServer::namespaces`]). node-opcua is not taught to import NodeSets.
    pub fn start_with_models(nodesets: &[PathBuf]) -> Result<Self, PeerError> {
        let implementation = OpcuaImplementation::Asyncua;
        let peer = implementation.name();
        let folder = tempfile::Builder::new()
            .prefix("fdi-opcua-")
            .tempdir()
            .map_err(|e| PeerError::new(peer, format!("no temporary folder: {e}")))?;
        let port = free_port(peer)?;
        let security = OpcuaSecurity::None;
        let running = Running::spawn(implementation, &security, nodesets, port, folder.path())?;
        Ok(OpcuaServer {
            implementation,
            security,
            models: nodesets.to_vec(),
            port,
            folder,
            running,
        })
    }

    /// Starts `implementation` with `security`.
    pub fn start_with(
        implementation: OpcuaImplementation,
        security: OpcuaSecurity,
    ) -> Result<Self, PeerError> {
        let peer = implementation.name();
        let folder = tempfile::Builder::new()
            .prefix("fdi-opcua-")
            .tempdir()
            .map_err(|e| PeerError::new(peer, format!("no temporary folder: {e}")))?;
        let port = free_port(peer)?;
        let running = Running::spawn(implementation, &security, &[], port, folder.path())?;
        Ok(OpcuaServer {
            implementation,
            security,
            models: Vec::new(),
            port,
            folder,
            running,
        })
    }

    pub fn implementation(&self) -> OpcuaImplementation {
        self.implementation
    }

    /// `opc.tcp://127.0.0.1:<port>/fdi/`
    pub fn endpoint_url(&self) -> &str {
        &self.running.ready.endpoint_url
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The index the server gave [`NAMESPACE_URI`].
    pub fn namespace_index(&self) -> u16 {
        self.running.ready.namespace_index
    }

    /// The node id of a node of the test address space: `ns=<index>;s=<identifier>`.
    pub fn node_id(&self, identifier: &str) -> String {
        format!("ns={};s={identifier}", self.namespace_index())
    }

    /// The server's self-signed certificate (DER), with [`OpcuaSecurity::SignAndEncrypt`].
    pub fn server_certificate(&self) -> Option<&Path> {
        self.running.ready.server_certificate.as_deref()
    }

    /// The server's namespace array, index 0 first (empty for node-opcua, which does not say).
    pub fn namespaces(&self) -> &[String] {
        &self.running.ready.namespaces
    }

    /// Sets a variable of a served model ([`OpcuaServer::start_with_models`]) by node id
    /// (`nsu=<uri>;i=6070`), with status Good and the current time, converted to the built-in
    /// type its DataType stands for (an enumeration an Int32); returns what the server holds.
    pub fn set_node(&mut self, node_id: &str, value: Value) -> Result<NodeValue, PeerError> {
        self.node_value(json!({"op": "set", "node_id": node_id, "value": wire_value(&value)}))
    }

    /// Reads a variable of a served model by node id; `node` in the answer is the node id.
    pub fn read_node(&mut self, node_id: &str) -> Result<NodeValue, PeerError> {
        self.node_value(json!({"op": "read", "node_id": node_id}))
    }

    /// The `EngineeringUnits` a variable of a served model has on the server: its EUInformation's
    /// `(NamespaceUri, UnitId, DisplayName)`.
    pub fn engineering_units(&mut self, node_id: &str) -> Result<(String, i32, String), PeerError> {
        let answer = self.command(
            json!({"op": "engineering_units", "node_id": node_id}),
            COMMAND_DEADLINE,
        )?;
        let text = |field: &str| {
            answer
                .get(field)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let unit_id = answer
            .get("unit_id")
            .and_then(Value::as_i64)
            .and_then(|id| i32::try_from(id).ok());
        match (text("namespace_uri"), unit_id, text("display_name")) {
            (Some(uri), Some(id), Some(name)) => Ok((uri, id, name)),
            _ => Err(self.error(format!("it answered {answer}"))),
        }
    }

    /// Sets a variable's value with status Good and the current time as source timestamp,
    /// as a device would; returns what the server then holds.
    pub fn set(&mut self, node: &str, value: Value) -> Result<NodeValue, PeerError> {
        self.node_value(json!({"op": "set", "node": node, "value": wire_value(&value)}))
    }

    /// Sets a variable's value, status and source timestamp (RFC 3339) at once.
    pub fn set_with(
        &mut self,
        node: &str,
        value: Value,
        status: &str,
        source_timestamp: &str,
    ) -> Result<NodeValue, PeerError> {
        self.node_value(json!({
            "op": "set",
            "node": node,
            "value": wire_value(&value),
            "status": status,
            "source_timestamp": source_timestamp,
        }))
    }

    /// Gives a variable a status (`BadSensorFailure`, `UncertainLastUsableValue`, `Good`):
    /// a Bad status nulls the value, a status back to Good or Uncertain restores the last one.
    pub fn set_status(&mut self, node: &str, status: &str) -> Result<NodeValue, PeerError> {
        self.node_value(json!({"op": "set_status", "node": node, "status": status}))
    }

    /// Reads a variable: its value, DataType, status and timestamps (what a client's write
    /// left there, too).
    pub fn read(&mut self, node: &str) -> Result<NodeValue, PeerError> {
        self.node_value(json!({"op": "read", "node": node}))
    }

    /// Writes `count` changes round-robin over `nodes`, one every `interval` (zero: as fast as
    /// the server takes them, still letting it publish between them), and returns every one in
    /// the order written. Each node's values follow a fixed sequence, each different from the
    /// one before (a Boolean toggles), so each is a data change a subscription reports.
    pub fn produce(
        &mut self,
        nodes: &[&str],
        count: usize,
        interval: Duration,
    ) -> Result<Vec<Change>, PeerError> {
        let pace = interval.saturating_mul(u32::try_from(count).unwrap_or(u32::MAX));
        let answer = self.command(
            json!({
                "op": "produce",
                "nodes": nodes,
                "count": count,
                "interval_ms": interval.as_secs_f64() * 1000.0,
            }),
            pace + COMMAND_DEADLINE,
        )?;
        let changes = answer
            .get("changes")
            .and_then(Value::as_array)
            .ok_or_else(|| self.error(format!("`produce` answered {answer}")))?;
        changes
            .iter()
            .map(|change| {
                let text = |field: &str| change.get(field).and_then(Value::as_str);
                match (text("node"), text("data_type"), text("source_timestamp")) {
                    (Some(node), Some(data_type), Some(source_timestamp)) => Ok(Change {
                        node: node.to_string(),
                        value: exact_value(data_type, change.get("value")),
                        data_type: data_type.to_string(),
                        source_timestamp: source_timestamp.to_string(),
                    }),
                    _ => Err(self.error(format!("`produce` reported {change}"))),
                }
            })
            .collect()
    }

    /// Kills the server (SIGKILL, as a crash or power cut would) and starts the same
    /// implementation again on the same port with the same address space, initial values and
    /// certificate. Its clients' sessions and subscriptions are gone.
    pub fn restart(&mut self) -> Result<(), PeerError> {
        self.running.process.stop();
        self.running = Running::spawn(
            self.implementation,
            &self.security,
            &self.models,
            self.port,
            self.folder.path(),
        )?;
        Ok(())
    }

    fn node_value(&mut self, command: Value) -> Result<NodeValue, PeerError> {
        let answer = self.command(command, COMMAND_DEADLINE)?;
        let text = |field: &str| {
            answer
                .get(field)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        match (text("node"), text("data_type"), text("status")) {
            (Some(node), Some(data_type), Some(status)) => Ok(NodeValue {
                value: exact_value(&data_type, answer.get("value")),
                node,
                data_type,
                status,
                source_timestamp: text("source_timestamp"),
                server_timestamp: text("server_timestamp"),
            }),
            _ => Err(self.error(format!("it answered {answer}"))),
        }
    }

    /// Sends one command and waits for its one answer; an answer `ok: false` is an error with
    /// the server's words.
    fn command(&mut self, command: Value, deadline: Duration) -> Result<Value, PeerError> {
        let sent =
            writeln!(self.running.stdin, "{command}").and_then(|()| self.running.stdin.flush());
        if let Err(e) = sent {
            return Err(self.error(format!("cannot send {command}: {e}")));
        }
        let line = match self.running.lines.recv_timeout(deadline) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => {
                return Err(self.error(format!(
                    "no answer to {command} within {} s",
                    deadline.as_secs()
                )))
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(self.error(format!("it exited before answering {command}")))
            }
        };
        let answer: Value = serde_json::from_str(&line)
            .map_err(|e| self.error(format!("it answered `{line}` ({e})")))?;
        if answer.get("ok") == Some(&Value::Bool(true)) {
            Ok(answer)
        } else {
            let why = answer.get("error").and_then(Value::as_str).unwrap_or(&line);
            Err(PeerError::new(
                self.implementation.name(),
                format!("{command} failed: {why}"),
            ))
        }
    }

    fn error(&self, problem: String) -> PeerError {
        PeerError::new(
            self.implementation.name(),
            format!(
                "{problem}; its log:\n{}",
                log_tail(&self.folder.path().join("stderr.log"))
            ),
        )
    }
}

impl Running {
    fn spawn(
        implementation: OpcuaImplementation,
        security: &OpcuaSecurity,
        models: &[PathBuf],
        port: u16,
        folder: &Path,
    ) -> Result<Self, PeerError> {
        let peer = implementation.name();
        let mut command = server_command(implementation)?;
        command
            .arg("--port")
            .arg(port.to_string())
            .arg("--pki")
            .arg(folder.join("pki"));
        for model in models {
            command.arg("--nodeset").arg(model);
        }
        if let OpcuaSecurity::SignAndEncrypt { username, password } = security {
            command
                .args(["--secure", "true", "--username", username])
                .args(["--password", password]);
        }
        let log_path = folder.join("stderr.log");
        // Appended to: a restart's log follows the killed server's.
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| PeerError::new(peer, format!("cannot create its log: {e}")))?;
        let mut process = ServerProcess::spawn(
            peer,
            command
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(log),
            Shutdown::Kill,
        )?;
        let child = process.child_mut();
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(PeerError::new(peer, "no stdin or stdout"));
        };
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let ready = wait_for_ready(implementation, &lines, &mut process, &log_path)?;
        Ok(Running {
            stdin,
            lines,
            process,
            ready,
        })
    }
}

/// The first line a server prints, once it listens: its endpoint and namespace index.
fn wait_for_ready(
    implementation: OpcuaImplementation,
    lines: &Receiver<String>,
    process: &mut ServerProcess,
    log_path: &Path,
) -> Result<Ready, PeerError> {
    let peer = implementation.name();
    let deadline = Instant::now() + STARTUP_DEADLINE;
    let line = match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(line) => line,
        Err(RecvTimeoutError::Timeout) => {
            return Err(PeerError::new(
                peer,
                format!(
                    "it did not listen within {} s; its log:\n{}",
                    STARTUP_DEADLINE.as_secs(),
                    log_tail(log_path)
                ),
            ))
        }
        Err(RecvTimeoutError::Disconnected) => {
            let status = process.child_mut().wait();
            let log = log_tail(log_path);
            let problem = format!("it exited ({status:?}) before it listened; its log:\n{log}");
            // Python without asyncua says so on its last line.
            return Err(if log.contains("No module named 'asyncua'") {
                PeerError::missing(peer, problem)
            } else {
                PeerError::new(peer, problem)
            });
        }
    };
    let ready: Ready = serde_json::from_str(&line).map_err(|e| {
        PeerError::new(
            peer,
            format!("its first line `{line}` is not the ready event ({e})"),
        )
    })?;
    if !ready.endpoint_url.contains(&format!("{HOST}:")) {
        return Err(PeerError::new(
            peer,
            format!("it listens at {}, not on {HOST}", ready.endpoint_url),
        ));
    }
    Ok(ready)
}

/// The command that runs `implementation`'s script, or why it cannot run here.
fn server_command(implementation: OpcuaImplementation) -> Result<Command, PeerError> {
    let peer = implementation.name();
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("opcua");
    match implementation {
        OpcuaImplementation::Asyncua => {
            let python = find_program("python3", &[])
                .ok_or_else(|| PeerError::missing(peer, "Python 3 (`python3`) is not installed"))?;
            let mut command = Command::new(python);
            command.arg(scripts.join("asyncua_server.py"));
            Ok(command)
        }
        OpcuaImplementation::NodeOpcua => {
            let node = find_program("node", &[])
                .or_else(|| find_program("nodejs", &[]))
                .ok_or_else(|| PeerError::missing(peer, "Node.js (`node`) is not installed"))?;
            let installed = scripts.join("node_modules/node-opcua/package.json");
            if !installed.is_file() {
                return Err(PeerError::missing(
                    peer,
                    format!(
                        "the npm package `node-opcua` is not installed in {}",
                        scripts.display()
                    ),
                )
                .with_fix(format!("run `npm ci` in tests/peers/opcua, or {INSTALL}")));
            }
            let mut command = Command::new(node);
            command.arg(scripts.join("node_opcua_server.js"));
            Ok(command)
        }
    }
}

/// An integer goes to the scripts as decimal text: JavaScript's JSON numbers lose digits past
/// 2^53, and both scripts read an integer node's value from text.
fn wire_value(value: &Value) -> Value {
    match value {
        Value::Number(number) if number.is_i64() || number.is_u64() => {
            Value::String(number.to_string())
        }
        other => other.clone(),
    }
}

/// The scripts send 64-bit integers as decimal text; a test compares numbers.
fn exact_value(data_type: &str, value: Option<&Value>) -> Value {
    let value = value.cloned().unwrap_or(Value::Null);
    match (data_type, &value) {
        ("Int64", Value::String(text)) => text.parse::<i64>().map(Value::from).unwrap_or(value),
        ("UInt64", Value::String(text)) => text.parse::<u64>().map(Value::from).unwrap_or(value),
        _ => value,
    }
}
