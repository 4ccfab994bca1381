//! Store and forward (`fdi_runtime::queue`) against a real PostgreSQL that the tests stop and start again
//! (`fdi_peers::Postgres::stop`/`resume`), checked at the server with a client of its own: an outage mid-run
//! (`outage.rs`), a full queue (`full.rs`), a full disk under the queue and the dead letter (`disk.rs`), and
//! a row the table refuses for good (`refusal.rs`). The runs are driven as a generated program drives them; a
//! FIFO is their source, so that each test decides when records arrive.

#[path = "../postgres/support.rs"]
#[allow(dead_code)]
mod support;

mod common;
mod disk;
mod full;
mod outage;
mod refusal;
mod throughput;
