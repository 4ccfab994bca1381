//! Real test peers: servers that fdi's tests start on 127.0.0.1, on free ports, and that stop
//! when their handle drops (the process is ended and waited for, its temporary folder removed).
//! No mocks: what a test talks to is the distribution's mosquitto, the distribution's
//! PostgreSQL, Eclipse Tahu's JavaScript Sparkplug B edge node, and an HTTP server on Python's
//! standard library.
//!
//! A peer that is not installed makes `start()` return a [`PeerError`] whose message says how
//! to install it (`tests/peers/install`), so a test that calls `.expect(...)` on it fails with
//! that message and never passes silently.

mod error;
mod http;
mod modbus;
mod mosquitto;
mod mqtt;
// The MTConnect agent (tests/peers/mtconnect/agent.py).
mod mtconnect;
pub mod opcua;
mod postgres;
mod process;
pub mod proxy;
mod sparkplug;
mod tls;

pub use error::PeerError;
pub use http::{HttpServer, Received};
pub use modbus::{laid_out, ModbusDevice, Requests, Table, LAYOUTS};
pub use mosquitto::{Mosquitto, DEFAULT_MAX_INFLIGHT};
pub use mqtt::{MqttClient, Publish, QoS};
pub use mtconnect::MtconnectAgent;
pub use postgres::Postgres;
pub use sparkplug::{
    decode_with_tahu, encode_with_tahu, DataMessage, EdgeNodePlan, PlanDevice, PlanMetric,
    Published, SparkplugEdgeNode,
};
pub use tls::{TlsFiles, LOOPBACK_NAMES};

/// The address every peer listens on, and the only one tests talk to.
pub const HOST: &str = "127.0.0.1";
