//! OPC UA information models at work: `fdi schema import` writes schemas from NodeSet2 files
//! (and, through the same command, MTConnect device models) that then check with the source
//! declarations it suggests (`opcua_models/schema_import.rs`);
//! a program whose browse paths, DataTypes and units were checked against the MachineTool
//! example's NodeSets gets from a server serving those NodeSets the values of the types and
//! units the checker promised (`opcua_models/machine_tool_server.rs`).

mod support;

#[path = "opcua_models/machine_tool_server.rs"]
mod machine_tool_server;
#[path = "opcua_models/schema_import.rs"]
mod schema_import;
