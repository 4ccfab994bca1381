//! MTConnect end to end (issue 15): generated programs reading the real OKUMA MULTUS U3000
//! recording (`examples/okuma-to-mes/data/okuma_shdr_2022-08-08.txt`) as an SHDR file, from a TCP
//! adapter, and from an MTConnect agent, with every expectation computed here from the raw file
//! by this test's own small parse (`recording.rs`), never from the program's output.
//!
//! * `okuma_file`: the example `examples/okuma-to-mes/` built and run: its MES tables hold the
//!   four program runs, the execution-state transitions and the part-count steps of the file; a
//!   line with a broken timestamp goes to the dead letter as it was.
//! * `adapter`: the same stream served by a TCP adapter (a test-side server replaying the file:
//!   the peer here is the adapter; the protocol under test, `* PING`/`* PONG` and SHDR, is ours),
//!   read by `mtconnect_adapter`, with a reconnect after the adapter drops the connection and
//!   another after it falls silent past twice its heartbeat.
//! * `agent`: an MTConnect agent (the peer `tests/peers/mtconnect/agent.py`, fed the recording)
//!   restarted mid-run and overflowing its buffer while the program is down: every observation
//!   the agent still had arrives once, and what it dropped is counted.

#[path = "../support/mod.rs"]
mod support;

mod recording;

mod adapter;
mod agent;
mod okuma_file;
