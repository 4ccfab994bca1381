//! The `xml` connector: XML documents as sources, lookups and targets, with a small path language
//! (`path.rs`) that says where each field is. The path parser is always compiled (the compiler
//! checks paths with it); reading and writing documents need the `xml` feature.

pub mod path;
pub use self::path::{PathError, WritableStep, XmlPath};

#[cfg(feature = "xml")]
mod eval;
#[cfg(feature = "xml")]
mod source;
#[cfg(feature = "xml")]
mod target;
#[cfg(feature = "xml")]
pub use self::eval::Selected;
#[cfg(feature = "xml")]
pub use self::source::{XmlField, XmlRecords, XmlSource, MAX_DOCUMENT_BYTES};
#[cfg(feature = "xml")]
pub use self::target::{XmlDocument, XmlTarget};
