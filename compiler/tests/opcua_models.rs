//! OPC UA information models at work: `fdi schema import` writes schemas from NodeSet2 files
//! that then check with the source declarations it suggests (`opcua_models/schema_import.rs`).

mod support;

#[path = "opcua_models/schema_import.rs"]
mod schema_import;
