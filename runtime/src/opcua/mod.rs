//! The OPC UA connector (feature `opcua`): subscriptions as stream sources and writes to nodes as
//! targets, on async-opcua's client and the run's tokio threads.
//!
//! - `connection.rs`: the deployment settings of a connection and the session they open (security,
//!   certificates and trust list, user; reconnects with backoff, watched);
//! - `subscription.rs`: one subscription kept alive across reconnects (its own Publish requests, so
//!   that a sequence number is acknowledged only once its records are durable; transfer, republish,
//!   recreation, the lost-notification count); `resume.rs`: its id kept for the next run, which
//!   takes it over;
//! - `source.rs`: the subscription as a [`crate::source::StreamSource`];
//! - `value.rs`: a data change as a JSON record;
//! - `node.rs`: node ids and browse paths resolved on the server;
//! - `handles.rs`: the client handles of a source's items, its own range;
//! - `sequence.rs`: sequence numbers counted across their wrap;
//! - `convert.rs` and `target.rs`: record fields converted to the nodes' data types and written.

mod connection;
mod convert;
mod error;
mod handles;
mod node;
mod resume;
mod sequence;
mod source;
mod subscription;
mod target;
mod value;

pub use self::connection::OpcuaConnection;
pub use self::error::OpcuaError;
pub use self::source::{OpcuaSource, SubscriptionSettings};
pub use self::subscription::SubscriptionCounters;
pub use self::target::OpcuaTarget;
pub use self::value::{status_name, type_name, variant_json};
