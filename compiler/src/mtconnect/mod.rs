//! The compiler side of MTConnect: what an `mtconnect(...)`, `shdr(...)` or
//! `mtconnect_adapter(...)` source declares, checked before the program exists. The connector
//! table (`connectors/mod.rs`) types the options; `declare.rs` builds the source's
//! [`ir::SourceKind::Mtconnect`](crate::ir::SourceKind::Mtconnect) (a data item named, none
//! twice) and `record.rs` checks that its entity reads keys an observation's record has. The
//! device model (`devices:`) types the data items in a later stage.

mod declare;
mod record;

pub use declare::source_kind;
pub use record::check_source_fields;
