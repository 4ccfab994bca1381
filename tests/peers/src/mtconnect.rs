//! The MTConnect agent peer: `tests/peers/mtconnect/agent.py` (Python 3's standard library) on a
//! free port of 127.0.0.1, serving one device of a device model with a buffer of the size asked.
//! A test feeds it an adapter's SHDR lines ([`MtconnectAgent::feed`]), restarts it as a new
//! instance ([`MtconnectAgent::restart`]) and asks what it dropped ([`MtconnectAgent::state`]).
//!
//! Why not an agent from a registry: the PyPI package `mtconnect` (0.3.3) was tried. Its agent
//! class serves no HTTP, its headers carry no `firstSequence`, `lastSequence` or `nextSequence`
//! (so no client can follow its sequence), its `sample` is not ordered by sequence, and its
//! errors are not MTConnect's codes (`MTInvalidRange` for `OUT_OF_RANGE`). cppagent itself is no
//! package of the registries this project uses. So the peer is this small agent of our own,
//! which implements what the tests need of the standard: probe, current, sample with `from` and
//! `count`, the header's sequences and instance, `OUT_OF_RANGE`, a bounded buffer, a restart.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::process::{
    accepts_connections, control_request, find_program, free_port, ServerProcess, Shutdown,
};
use crate::{PeerError, HOST};

const PEER: &str = "MTConnect agent";

/// A running agent; dropping it stops it.
#[derive(Debug)]
pub struct MtconnectAgent {
    process: ServerProcess,
    port: u16,
}

impl MtconnectAgent {
    /// Starts an agent serving `device` of the model `devices` with a buffer of `buffer_size`
    /// observations, and returns once it accepts connections.
    pub fn start(devices: &Path, device: &str, buffer_size: usize) -> Result<Self, PeerError> {
        let python = find_program("python3", &[])
            .ok_or_else(|| PeerError::missing(PEER, "python3 is not installed (looked in PATH)"))?;
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("mtconnect/agent.py");
        let port = free_port(PEER)?;
        let mut command = Command::new(python);
        command
            .arg(&script)
            .args(["--port", &port.to_string()])
            .arg("--devices")
            .arg(devices)
            .args(["--device", device])
            .args(["--buffer-size", &buffer_size.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let mut process = ServerProcess::spawn(PEER, &mut command, Shutdown::Kill)?;
        process.wait_until(
            PEER,
            || accepts_connections(port),
            || format!("{} did not start", script.display()),
        )?;
        Ok(MtconnectAgent { process, port })
    }

    /// `http://127.0.0.1:PORT`: the base URL of a connection to it.
    pub fn base_url(&self) -> String {
        format!("http://{HOST}:{}", self.port)
    }

    /// The agent's process id.
    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    /// Feeds SHDR lines as an adapter would send them; the observations added.
    pub fn feed(&self, shdr: &str) -> Result<u64, PeerError> {
        let answer = self.request("POST", "/_peer/shdr", shdr)?;
        Ok(answer["added"].as_u64().unwrap_or(0))
    }

    /// Restarts it as a new instance (a new `instanceId`, sequences from 1, every data item
    /// UNAVAILABLE first); its new instance id.
    pub fn restart(&self) -> Result<String, PeerError> {
        let answer = self.request("POST", "/_peer/restart", "")?;
        Ok(answer["instance_id"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// `instance_id`, `first_sequence`, `next_sequence`, and `dropped`: every observation its
    /// buffer dropped (`sequence`, `id`, `name`, `timestamp`, `value`) since it (re)started.
    pub fn state(&self) -> Result<Value, PeerError> {
        self.request("GET", "/_peer/state", "")
    }

    fn request(&self, method: &str, path: &str, body: &str) -> Result<Value, PeerError> {
        control_request(PEER, self.port, method, path, body)
    }
}
