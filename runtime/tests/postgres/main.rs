//! The PostgreSQL connector (feature `postgres`) against a real server that each test starts
//! (`fdi_peers::Postgres`, the distribution's PostgreSQL on a free port of 127.0.0.1), checked at the server
//! with a client of its own: the target (`target.rs`), the source (`source.rs`), whole runs (`run.rs`),
//! TLS verification against a server that serves TLS (`tls.rs`), and the measurement of the batch strategies
//! (`throughput.rs`, ignored unless asked for).

mod run;
mod source;
mod support;
mod target;
mod throughput;
mod tls;
