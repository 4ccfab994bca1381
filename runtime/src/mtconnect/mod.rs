//! The MTConnect connector (feature `mtconnect`, docs/connectors/mtconnect.md): an adapter's SHDR
//! stream read from a file ([`ShdrFileSource`]) or live over TCP ([`AdapterSource`]), and an agent
//! polled over HTTP ([`AgentSource`]). Each observation of a data item the mapping selects is one
//! record, a JSON object of the keys the compiler's record check knows (`device`, `data_item`,
//! `name`, `category`, `type`, `sub_type`, `units`, `timestamp`, `sequence`, `value`,
//! `value_quality`, `value_timestamp`, `native_code`, `native_severity`, `qualifier`, `message`,
//! `asset_id`, `asset_type`); the observations of the others are read and skipped.
//!
//! `shdr.rs` parses the adapter protocol as cppagent reads it, `select.rs` picks the selected data
//! items and makes their records, `shdr_file.rs` and `adapter.rs` are the two SHDR sources,
//! `streams.rs` reads the agent's XML documents (probe, streams, errors) and `agent.rs` polls it.

mod adapter;
mod agent;
mod select;
pub mod shdr;
mod shdr_file;
pub mod streams;

pub use adapter::{AdapterConnection, AdapterSource};
pub use agent::{AgentCounters, AgentSource};
pub use select::{Observation, Selection};
pub use shdr_file::ShdrFileSource;

use std::time::Duration;

/// What a mapping's MTConnect source declares (written by the generated program).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MtconnectSource<'a> {
    pub stream: MtconnectStream<'a>,
    /// `device:` the device's name or uuid; `None`: any (the model's only one).
    pub device: Option<&'a str>,
    /// `data_items:` what the source reads.
    pub data_items: &'a [MtconnectItem<'a>],
}

/// Where an MTConnect source's observations come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MtconnectStream<'a> {
    /// An agent polled over HTTP; the connection's `base_url` is the agent's.
    Agent {
        connection: &'a str,
        poll_interval: Duration,
        count: u32,
    },
    /// A recorded SHDR stream, relative to the mapping's folder.
    ShdrFile { path: &'a str },
    /// An adapter's live SHDR stream; the connection's `host` and `port` are the adapter's.
    Adapter { connection: &'a str },
}

/// One data item a source reads: as the mapping names it (an id or a name), and what the device
/// model says about it (`None`: untyped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MtconnectItem<'a> {
    pub key: &'a str,
    pub facts: Option<DataItemFacts<'a>>,
}

/// What a device model says about a data item (the compiler's `ir::DataItemFacts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataItemFacts<'a> {
    pub device: &'a str,
    pub id: &'a str,
    pub name: Option<&'a str>,
    /// `SAMPLE`, `EVENT` or `CONDITION`.
    pub category: &'a str,
    pub type_name: &'a str,
    pub sub_type: Option<&'a str>,
    pub units: Option<&'a str>,
    pub representation: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    /// The literal the compiler's emitter writes for a typed and an untyped data item
    /// (`compiler/src/emit/main_rs.rs`, `a_typed_data_item_is_emitted_with_its_facts`), as a
    /// generated program has it: it compiles, and the facts name the record's data item.
    #[test]
    fn emitted_facts_compile() {
        // Written with the crate's name as a generated program names it (the runtime's tests
        // see it as a dependency of its own).
        let source = ::fdi_runtime::MtconnectSource {
            stream: ::fdi_runtime::MtconnectStream::ShdrFile {
                path: "data/okuma.txt",
            },
            device: Some("OKUMA"),
            data_items: &[
                ::fdi_runtime::MtconnectItem {
                    key: "pexecution",
                    facts: Some(::fdi_runtime::DataItemFacts {
                        device: "OKUMA",
                        id: "Lpexecution",
                        name: Some("pexecution"),
                        category: "EVENT",
                        type_name: "EXECUTION",
                        sub_type: None,
                        units: None,
                        representation: None,
                    }),
                },
                ::fdi_runtime::MtconnectItem {
                    key: "Z1actm",
                    facts: None,
                },
            ],
        };
        let records = ::fdi_runtime::mtconnect::Selection::new(&source).shdr(
            "2022-08-08T13:51:36Z",
            &["pexecution".to_string(), "ACTIVE".to_string()],
        );
        assert_eq!(records[0].data_item, "Lpexecution");
        assert_eq!(records[0].type_name.as_deref(), Some("EXECUTION"));
    }
}
