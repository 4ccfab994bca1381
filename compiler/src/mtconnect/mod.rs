//! The compiler side of MTConnect: what an `mtconnect(...)`, `shdr(...)` or
//! `mtconnect_adapter(...)` source declares, checked before the program exists. The connector
//! table (`connectors/mod.rs`) types the options; `declare.rs` builds the source's
//! [`ir::SourceKind::Mtconnect`](crate::ir::SourceKind::Mtconnect) (a data item named, none
//! twice) and `record.rs` checks that its entity reads keys an observation's record has. The
//! device model (`devices:`) types the data items in a later stage.
//!
//! That stage: a mapping that names a device model (`devices:`, a `Devices.xml` or a `/probe`
//! answer) has its data items looked up in it and its entity's `value` typed by them, after
//! the check (the checker does no IO). `model.rs` reads `MTConnectDevices` documents leniently
//! and lists what it skipped; `standard.rs` holds what the standard says values are
//! (`standard.yaml`, extracted from the 2.7 Streams schema by `extract_standard.py`) and its
//! units in the compiler's units; `fit.rs` says which field types read a data item's values,
//! `files.rs` reads the model files once each, and `typing.rs` is the stage ([`type_sources`]).
//! `fdi schema import` reads device models through `model.rs` and types what it writes by
//! `fit.rs` (`schema_import/mtconnect.rs`), so that an imported schema checks.

mod declare;
mod files;
pub(crate) mod fit;
pub mod model;
mod record;
pub mod standard;
mod typing;

pub use declare::source_kind;
pub use record::check_source_fields;
pub use typing::type_sources;
