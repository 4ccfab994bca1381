//! What every Modbus test needs: a device, the run's kind of IO runtime, and the connection to it.

use std::time::Duration;

use fdi_peers::ModbusDevice;
use fdi_runtime::modbus::ModbusConnection;

pub const UNIT: u8 = 7;

pub struct Peer {
    pub device: ModbusDevice,
    pub io: tokio::runtime::Runtime,
}

/// Starts a device; a missing pymodbus fails the test with the peer's message on how to install it.
pub fn peer() -> Peer {
    let device = ModbusDevice::start(UNIT).unwrap_or_else(|error| panic!("{error}"));
    let io = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    Peer { device, io }
}

impl Peer {
    /// The connection to the device; a short timeout, so that a silent device is noticed soon.
    pub fn connection(&self) -> ModbusConnection {
        ModbusConnection {
            timeout: Duration::from_millis(300),
            ..ModbusConnection::new("127.0.0.1", self.device.port())
        }
    }
}

/// Waits until `done` holds, checking every few milliseconds: the tests wait for events (a
/// request the device answered, a failure health shows), never for a time.
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
