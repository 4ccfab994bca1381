//! Where a Modbus device is (deployment settings `host`, `port`, `timeout`) and the client's
//! calls to it, each bounded by the timeout: a device that does not answer is a failure of the
//! call, never a hang.

use std::net::SocketAddr;
use std::time::Duration;

use tokio_modbus::client::{tcp, Context, Reader, Writer};
use tokio_modbus::slave::Slave;

use crate::error::RunError;
use crate::ops::duration::parse_duration;
use crate::settings::ConnectionSettings;

/// A device on Modbus TCP: `[connections.meter] host = "10.0.3.17"`, `port = 502` (the
/// default), `timeout = "2s"` (the default: how long one request may wait for its answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModbusConnection {
    pub host: String,
    pub port: u16,
    pub timeout: Duration,
}

/// A failed call: no answer (a lost or refused connection, a timeout), or an answer that is an
/// exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// The device did not answer; the connection is dropped and made again.
    NoAnswer(String),
    /// The device answered with an exception, by its name (`IllegalDataAddress`).
    Exception(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::NoAnswer(why) => write!(f, "no answer: {why}"),
            CallError::Exception(name) => {
                write!(f, "the device answered with the exception {name}")
            }
        }
    }
}

impl ModbusConnection {
    pub fn new(host: &str, port: u16) -> Self {
        ModbusConnection {
            host: host.to_string(),
            port,
            timeout: Duration::from_secs(2),
        }
    }

    /// From the deployment settings of a connection: `host` (required), `port`, `timeout`.
    pub fn from_settings(settings: &ConnectionSettings) -> Result<Self, RunError> {
        let mut connection = ModbusConnection::new(settings.required("host")?, 502);
        if let Some(port) = settings.number("port")? {
            connection.port = port;
        }
        if let Some(timeout) = settings.text("timeout") {
            connection.timeout = parse_duration(timeout).map_err(|why| {
                RunError::Usage(format!(
                    "connection {:?}: `timeout` is {timeout:?}: {why}",
                    settings.name()
                ))
            })?;
        }
        Ok(connection)
    }

    /// `host:port`, for messages.
    pub fn server(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// Connects to unit `unit_id` of the device.
    pub(crate) async fn connect(&self, unit_id: u8) -> Result<Context, CallError> {
        let no_answer = |why: String| CallError::NoAnswer(why);
        let address: SocketAddr = tokio::time::timeout(
            self.timeout,
            tokio::net::lookup_host((self.host.as_str(), self.port)),
        )
        .await
        .map_err(|_| no_answer(format!("resolving {} timed out", self.host)))?
        .map_err(|e| no_answer(format!("cannot resolve {}: {e}", self.host)))?
        .next()
        .ok_or_else(|| no_answer(format!("{} has no address", self.host)))?;
        let stream = tokio::time::timeout(self.timeout, tokio::net::TcpStream::connect(address))
            .await
            .map_err(|_| no_answer(format!("connecting timed out after {:?}", self.timeout)))?
            .map_err(|e| no_answer(format!("cannot connect: {e}")))?;
        // A request is small and waits for its answer: Nagle's algorithm would hold back its
        // last segment until the device's delayed acknowledgement, milliseconds per request.
        stream
            .set_nodelay(true)
            .map_err(|e| no_answer(format!("cannot configure the connection: {e}")))?;
        Ok(tcp::attach_slave(stream, Slave(unit_id)))
    }

    /// One call to the device, bounded by the timeout.
    pub(crate) async fn call<T>(
        &self,
        request: impl std::future::Future<Output = tokio_modbus::Result<T>>,
    ) -> Result<T, CallError> {
        match tokio::time::timeout(self.timeout, request).await {
            Err(_) => Err(CallError::NoAnswer(format!(
                "no answer within {:?}",
                self.timeout
            ))),
            Ok(Err(error)) => Err(CallError::NoAnswer(error.to_string())),
            Ok(Ok(Err(exception))) => Err(CallError::Exception(format!("{exception:?}"))),
            Ok(Ok(Ok(value))) => Ok(value),
        }
    }
}

/// The words of a read of `count` registers or bits of `table` at `address`.
pub(crate) enum Answer {
    Registers(Vec<u16>),
    Bits(Vec<bool>),
}

pub(crate) async fn read(
    connection: &ModbusConnection,
    client: &mut Context,
    table: super::RegisterTable,
    address: u16,
    count: u16,
) -> Result<Answer, CallError> {
    use super::RegisterTable::*;
    let answer = match table {
        Holding => Answer::Registers(
            connection
                .call(client.read_holding_registers(address, count))
                .await?,
        ),
        Input => Answer::Registers(
            connection
                .call(client.read_input_registers(address, count))
                .await?,
        ),
        Coil => Answer::Bits(connection.call(client.read_coils(address, count)).await?),
        DiscreteInput => Answer::Bits(
            connection
                .call(client.read_discrete_inputs(address, count))
                .await?,
        ),
    };
    // A device that answers with fewer items than asked for is not answering this request.
    let got = match &answer {
        Answer::Registers(words) => words.len(),
        Answer::Bits(bits) => bits.len(),
    };
    if got < usize::from(count) {
        return Err(CallError::NoAnswer(format!(
            "asked for {count} items at {address}, got {got}"
        )));
    }
    Ok(answer)
}

/// Writes `words` from `address` on (one register: function code 6; more: 16).
pub(crate) async fn write_registers(
    connection: &ModbusConnection,
    client: &mut Context,
    address: u16,
    words: &[u16],
) -> Result<(), CallError> {
    match words {
        [word] => {
            connection
                .call(client.write_single_register(address, *word))
                .await
        }
        _ => {
            connection
                .call(client.write_multiple_registers(address, words))
                .await
        }
    }
}

pub(crate) async fn write_coils(
    connection: &ModbusConnection,
    client: &mut Context,
    address: u16,
    bits: &[bool],
) -> Result<(), CallError> {
    match bits {
        [bit] => {
            connection
                .call(client.write_single_coil(address, *bit))
                .await
        }
        _ => {
            connection
                .call(client.write_multiple_coils(address, bits))
                .await
        }
    }
}

/// Sets bit `bit` of the register at `address` to `set`, the others unchanged (function code 22).
pub(crate) async fn write_bit(
    connection: &ModbusConnection,
    client: &mut Context,
    address: u16,
    bit: u8,
    set: bool,
) -> Result<(), CallError> {
    let mask = 1u16 << bit;
    let or = if set { mask } else { 0 };
    connection
        .call(client.masked_write_register(address, !mask, or))
        .await
}
