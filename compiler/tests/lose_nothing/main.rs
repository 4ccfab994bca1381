//! Crash and fault tests that count every record at the peer (issue 14): the generated program
//! of `tests/programs/lose_nothing/` (a JSON Lines file, an MQTT topic and a Sparkplug B source,
//! each into a PostgreSQL table upserted on its key) against a real mosquitto and a real
//! PostgreSQL on 127.0.0.1. Each scenario asserts, by key at the peer, that every record the test
//! made arrived once with the values the test computed from its own input, and that nothing
//! else did.
//!
//! * `file_kills`: 20 SIGKILLs at random moments while 100,000 lines of a file move.
//! * `broker_kills`: 20 SIGKILLs at random moments while 100,000 QoS 1 messages move.
//! * `broker_restarts`: mosquitto restarted 5 times mid-run.
//! * `malformed_input`: 1% malformed records in each of the three sources: the dead letter holds
//!   exactly the injected ones, with their reasons, and the summary balances.
//!
//! The random moments come from a seeded generator whose seed is printed (set `FDI_CHAOS_SEED`
//! to run a failure again). Each scenario prints how long it took.

#[path = "../support/mod.rs"]
mod support;

mod harness;

mod broker_kills;
mod broker_restarts;
mod file_kills;
mod malformed_input;
