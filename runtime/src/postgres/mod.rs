//! PostgreSQL as a target and as a source (cargo feature `postgres`).
//!
//! * [`PostgresTarget`] buffers the records of a checkpoint and writes them in one transaction as upserts on
//!   the target's key (plain inserts without one); rows the database refuses (a CHECK or foreign key a DBA
//!   added) are named to the run, which dead-letters their originals, while the rest of the batch commits.
//! * [`PostgresSource`] polls a table or a query by a watermark column and a tie-breaker, one page per
//!   delivery, and stores the watermark of each acknowledged page in the table `fdi_watermarks` of the same
//!   database, from which a restarted source resumes.
//!
//! Both connect with a [`PostgresConnection`]: TLS verified against the host name by default, a password that
//! never shows in a debug print, an error or a log. Their IO runs on the run's tokio threads; the target is
//! called from the core thread and waits for its IO there (`Handle::block_on`), the source is a tokio task.

mod connection;
mod error;
mod json_row;
mod row;
mod schema;
mod source;
mod target;
mod upsert;
mod watermark;

pub use self::connection::{PostgresConnection, Tls, TlsMode};
pub use self::error::PostgresError;
pub use self::source::{PollSettings, Polled, PostgresSource};
pub use self::target::{PostgresTable, PostgresTarget};
