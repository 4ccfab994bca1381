//! The compiler side of OPC UA: what an `opcua(...)` source or target declares, checked before
//! the program exists. The connector table (`connectors/mod.rs`) types the options; this module
//! checks what the table cannot: each node id is well-formed (`node_id.rs`), each browse path
//! too (`browse_path.rs`), a source monitors something, a target's `writes` are `field = node id`
//! with fields of its entity (`declare.rs`, `writes.rs`), a source's entity reads fields a data
//! change has (`record.rs`); and, with `nodeset:`, that every node is in the NodeSet2 files and
//! its DataType fits the entity's field (`files.rs` reads the files, `nodeset.rs` parses them,
//! `types.rs` says what fits, `typing.rs` compares: a stage after the check, since it reads
//! files).

pub mod browse_path;
mod declare;
pub mod engineering_units;
mod files;
pub mod node_id;
pub(crate) mod nodeset;
mod record;
mod standard_types;
pub(crate) mod types;
mod typing;
mod typing_units;
mod writes;

pub use declare::{check_write_fields, source_kind, target_kind};
pub use record::check_source_fields;
pub use typing::check_nodesets;
