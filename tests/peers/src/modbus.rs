//! A Modbus TCP device: pymodbus's server (pinned in `modbus/requirements.txt`, installed into
//! `modbus/.venv` by `tests/peers/install`) run by `modbus/server.py`, whose tables the test sets
//! and reads back over the process's stdin and stdout, and which it can make answer with
//! exceptions or not at all.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{json, Value};

use crate::error::INSTALL;
use crate::process::{accepts_connections, free_port, ServerProcess, Shutdown};
use crate::PeerError;

const PEER: &str = "pymodbus";

/// One of a device's four tables, as the server's commands name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Holding,
    Input,
    Coil,
    DiscreteInput,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Holding => "holding",
            Table::Input => "input",
            Table::Coil => "coil",
            Table::DiscreteInput => "discrete_input",
        }
    }
}

/// How many requests of each kind a table answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Requests {
    pub reads: u64,
    pub writes: u64,
}

/// A running device with one unit; stopped when dropped.
pub struct ModbusDevice {
    port: u16,
    unit: u8,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    // Dropped last: the process ends after its pipes are closed.
    _process: ServerProcess,
}

fn folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("modbus")
}

impl ModbusDevice {
    /// Starts a device answering as unit `unit` on a free port of 127.0.0.1, every table zero.
    pub fn start(unit: u8) -> Result<Self, PeerError> {
        let python = folder().join(".venv/bin/python");
        if !python.exists() {
            return Err(PeerError::missing(
                PEER,
                format!(
                    "no Python environment with pymodbus at {}",
                    python.display()
                ),
            ));
        }
        let port = free_port(PEER)?;
        let mut process = ServerProcess::spawn(
            PEER,
            Command::new(&python)
                .arg(folder().join("server.py"))
                .args(["--port", &port.to_string(), "--unit", &unit.to_string()])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
            Shutdown::Kill,
        )?;
        let child = process.child_mut();
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| PeerError::new(PEER, "no stdin"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| PeerError::new(PEER, "no stdout"))?;
        process.wait_until(
            PEER,
            || accepts_connections(port),
            || format!("(is pymodbus installed? {INSTALL})"),
        )?;
        Ok(ModbusDevice {
            port,
            unit,
            stdin,
            stdout: BufReader::new(stdout),
            _process: process,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn unit(&self) -> u8 {
        self.unit
    }

    fn command(&mut self, command: Value) -> Result<Value, PeerError> {
        let fail = |what: String| PeerError::new(PEER, what);
        writeln!(self.stdin, "{command}")
            .map_err(|e| fail(format!("cannot send a command: {e}")))?;
        self.stdin
            .flush()
            .map_err(|e| fail(format!("cannot send a command: {e}")))?;
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .map_err(|e| fail(format!("no answer to {command}: {e}")))?;
        let answer: Value = serde_json::from_str(&line)
            .map_err(|e| fail(format!("answer {line:?} to {command} is not JSON: {e}")))?;
        if let Some(error) = answer.get("error") {
            return Err(fail(format!("{command} failed: {error}")));
        }
        Ok(answer)
    }

    /// Sets registers of a register table from `address` on.
    pub fn set_registers(
        &mut self,
        table: Table,
        address: u16,
        words: &[u16],
    ) -> Result<(), PeerError> {
        self.command(
            json!({"op": "set", "table": table.name(), "address": address, "values": words}),
        )
        .map(drop)
    }

    /// Sets coils or discrete inputs from `address` on.
    pub fn set_bits(&mut self, table: Table, address: u16, bits: &[bool]) -> Result<(), PeerError> {
        self.command(
            json!({"op": "set", "table": table.name(), "address": address, "values": bits}),
        )
        .map(drop)
    }

    /// `count` registers of a register table from `address` on.
    pub fn registers(
        &mut self,
        table: Table,
        address: u16,
        count: u16,
    ) -> Result<Vec<u16>, PeerError> {
        let answer = self.command(
            json!({"op": "get", "table": table.name(), "address": address, "count": count}),
        )?;
        serde_json::from_value(answer["values"].clone())
            .map_err(|e| PeerError::new(PEER, format!("registers of {answer}: {e}")))
    }

    /// `count` coils or discrete inputs from `address` on.
    pub fn bits(&mut self, table: Table, address: u16, count: u16) -> Result<Vec<bool>, PeerError> {
        let answer = self.command(
            json!({"op": "get", "table": table.name(), "address": address, "count": count}),
        )?;
        serde_json::from_value(answer["values"].clone())
            .map_err(|e| PeerError::new(PEER, format!("bits of {answer}: {e}")))
    }

    /// Gives the device values that change from poll to poll: each later read request of
    /// `table` starting at `address` first sets the registers from `address` on to the next of
    /// `frames` (the last one stays once all are shown).
    pub fn play_frames(
        &mut self,
        table: Table,
        address: u16,
        frames: &[Vec<u16>],
    ) -> Result<(), PeerError> {
        self.command(
            json!({"op": "frames", "table": table.name(), "address": address, "frames": frames}),
        )
        .map(drop)
    }

    /// How many of the frames given to [`ModbusDevice::play_frames`] are still to be shown.
    pub fn frames_left(&mut self, table: Table, address: u16) -> Result<u64, PeerError> {
        let answer =
            self.command(json!({"op": "frames_left", "table": table.name(), "address": address}))?;
        Ok(answer["left"].as_u64().unwrap_or(0))
    }

    /// From now on, requests touching `count` items of `table` from `address` are answered with
    /// the exception IllegalDataAddress.
    pub fn refuse(&mut self, table: Table, address: u16, count: u16) -> Result<(), PeerError> {
        self.command(
            json!({"op": "refuse", "table": table.name(), "address": address, "count": count}),
        )
        .map(drop)
    }

    /// Refuses nothing any more.
    pub fn accept_all(&mut self) -> Result<(), PeerError> {
        self.command(json!({"op": "accept"})).map(drop)
    }

    /// While `silent`, requests get no answer (connections stay open).
    pub fn set_silent(&mut self, silent: bool) -> Result<(), PeerError> {
        self.command(json!({"op": "silent", "on": silent}))
            .map(drop)
    }

    /// How many requests `table` answered since the start.
    pub fn requests(&mut self, table: Table) -> Result<Requests, PeerError> {
        let answer = self.command(json!({"op": "requests"}))?;
        let count = |kind: &str| answer[kind][table.name()].as_u64().unwrap_or(0);
        Ok(Requests {
            reads: count("reads"),
            writes: count("writes"),
        })
    }
}

/// The four layouts of a value over registers as device manuals name them, by where the bytes
/// `A B C D ...` of the big-endian value go.
pub const LAYOUTS: [&str; 4] = ["ABCD", "BADC", "CDAB", "DCBA"];

/// The registers that hold `bytes` (a value's big-endian bytes, e.g. from `to_be_bytes`) in
/// `layout`: in reverse register order for `CDAB` and `DCBA` (low word first), the two bytes of
/// each register swapped for `BADC` and `DCBA`. Written out here, independently of the runtime's
/// codec, so that a test compares the codec with the manuals' layouts.
pub fn laid_out(bytes: &[u8], layout: &str) -> Vec<u16> {
    assert!(LAYOUTS.contains(&layout), "unknown layout {layout}");
    let mut pairs: Vec<[u8; 2]> = bytes.chunks(2).map(|p| [p[0], p[1]]).collect();
    if layout.starts_with(['C', 'D']) {
        pairs.reverse();
    }
    if layout.starts_with(['B', 'D']) {
        pairs.iter_mut().for_each(|p| p.swap(0, 1));
    }
    pairs
        .iter()
        .map(|p| (u16::from(p[0]) << 8) | u16::from(p[1]))
        .collect()
}
