//! The plant's XML standards through generated programs (issue 15), on the real files: the
//! B2MML example (`examples/b2mml-orders/`) reads the Courbon V0401 schedule and master data into
//! SQLite (a record missing a required element dead-lettered with its XML, and replayed from the
//! dead letter), and writes production performance as B2MML V0700 that the MESA schemas accept
//! (checked with xmllint) and that the xml source reads back equal.
//!
//! Every expectation is computed here from the raw files: the XML parsed with roxmltree by code
//! of this test (element by element, not with the runtime's path language), the CSV with the
//! csv crate; never from the program's output.

#[path = "../support/mod.rs"]
mod support;

mod b2mml_in;
mod b2mml_out;
mod raw_xml;
