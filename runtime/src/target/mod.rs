//! The write stage.
//!
//! A target buffers what it is given and makes it durable on [`Durable::flush`]; the run flushes every target
//! (and the dead letter) before it acknowledges a source position, which is what at-least-once delivery rests
//! on. A record that cannot be written (a NaN, a constraint the database enforces) is a [`Reject`] that the run
//! dead-letters; only problems that are not about one record are fatal [`RunError`]s.

mod finite;
mod json_line;
mod jsonl;
mod sql_row;
mod sqlite;

pub(crate) use self::json_line::CleanKeys;
pub(crate) use self::jsonl::serialize_line;
pub use self::jsonl::JsonlTarget;
pub use self::sqlite::{SqliteDatabase, SqliteTarget};

use crate::error::RunError;
use crate::outcome::Reject;

/// Something that buffers writes and can make them durable.
pub trait Durable {
    /// The target's name in the mapping.
    fn name(&self) -> &str;
    /// Make everything written so far durable (SQLite: commit; files: flush and sync).
    fn flush(&mut self) -> Result<(), RunError>;

    /// Hand everything written so far to the operating system (files: flush, no sync), at a
    /// checkpoint of a source that does not commit its positions: such a source is read again
    /// from its start after a crash, so syncing at every checkpoint would buy nothing. The end
    /// of the source still calls [`Durable::flush`]. By default the same as `flush`.
    fn hand_over(&mut self) -> Result<(), RunError> {
        self.flush()
    }

    /// At a checkpoint whose every source is read again from its start after a crash (files):
    /// not even the operating system needs the writes before the end of the sources, so a target
    /// may keep them buffered a while longer to write them in large pieces (a file target: until
    /// its buffer is full or its oldest line has waited `files::HAND_OVER_WITHIN`). A live stream
    /// that commits nothing (Modbus polls, an MTConnect adapter) still gets [`Durable::hand_over`]
    /// at each checkpoint. By default the same as `hand_over`.
    fn hand_over_lazily(&mut self) -> Result<(), RunError> {
        self.hand_over()
    }

    /// Whether this target may refuse records when it flushes (a database that checks a constraint when the
    /// batch is sent): the run then keeps the original of every record written since the last flush, to
    /// dead-letter the ones [`Durable::take_refused`] names. By default, no.
    fn refuses_on_flush(&self) -> bool {
        false
    }

    /// The records the last successful flush refused (the rest of the batch is durable), each by its index
    /// among the writes since the flush before it, with its reason. Asked once after each flush.
    fn take_refused(&mut self) -> Vec<Refusal> {
        Vec::new()
    }

    /// Whether `error`, returned by this target's `write`, `flush` or `hand_over`, means the target is
    /// unreachable for now (a database locked by another program; for network targets, a lost connection) and
    /// the same call may succeed later with nothing lost or written twice. The run then retries it for
    /// `--retry-targets-for` and reports the target unreachable meanwhile (see `ops`). By default, no error is.
    fn is_transient(&self, error: &RunError) -> bool {
        let _ = error;
        false
    }

    // Store and forward (see `crate::queue`): what the run asks of a queued target. Other targets keep the
    // defaults, which do nothing.

    /// The flow and source record of the next `write`, which a queued target keeps with the mapped record
    /// for its quarantine. Called by the run just before each write.
    fn original_of_next_write(&mut self, flow: &str, raw: &crate::record::RawRecord) {
        let _ = (flow, raw);
    }

    /// The records the target refused for good since they were queued, for the dead letter (stage `write`).
    /// Once the dead letter holds them durably, the run calls [`Durable::quarantine_dead_lettered`].
    fn take_quarantined(&mut self) -> Result<Vec<crate::queue::Quarantined>, RunError> {
        Ok(Vec::new())
    }

    /// The records last taken by [`Durable::take_quarantined`] are durable in the dead letter.
    fn quarantine_dead_lettered(&mut self) -> Result<(), RunError> {
        Ok(())
    }

    /// Waits until everything queued has reached the target, at the end of a batch run: an error once the
    /// target has been unreachable for `unreachable_for` (the records stay queued for the next start).
    fn drain(&mut self, unreachable_for: std::time::Duration) -> Result<(), RunError> {
        let _ = unreachable_for;
        Ok(())
    }

    /// The state of the target's queue, when it has one.
    fn queue_status(&self) -> Option<crate::queue::QueueStatus> {
        None
    }

    // Parallel mapping (see `run/parallel.rs`): a target whose records are lines of JSON takes them
    // serialized by the map workers, so that the single writer only copies bytes.

    /// Whether the target takes [`Durable::write_line`]: records serialized as JSON Lines
    /// (`jsonl::serialize_line`), one line each, in place of `Target::write`. By default, no.
    fn takes_lines(&self) -> bool {
        false
    }

    /// Writes one record already serialized as a line of JSON (without its newline), as
    /// `Target::write` would have written it. Only called when [`Durable::takes_lines`].
    fn write_line(&mut self, line: &[u8]) -> Result<(), RunError> {
        let _ = line;
        Err(RunError::Program(format!(
            "target {} does not take serialized lines",
            self.name()
        )))
    }
}

/// A record a target refused when it flushed: the `write`-th write (0-based) since the flush before.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub write: usize,
    pub reject: Reject,
}

/// The write stage of one target for records of type `T`.
pub trait Target<T>: Durable {
    /// Write stage. `Ok(Err(Reject))` when the record cannot be written (e.g. a NaN or infinite float: reason
    /// "value is not a finite number", detail naming the field); the caller dead-letters it. The outer `Err` is
    /// fatal.
    fn write(&mut self, record: &T) -> Result<Result<(), Reject>, RunError>;
}

/// Column description generated per target entity.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub sql_type: SqlType,
    pub nullable: bool,
}

/// What a column holds, as precisely as the schema says: each SQL target maps it to its own types
/// (SQLite's storage classes: [`SqlType::sql`]; a typed database to its column types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlType {
    /// Text: strings, text identifiers, enum codes.
    Text,
    /// A 64-bit integer: ints and int identifiers.
    Integer,
    /// A 64-bit float.
    Real,
    /// A boolean (SQLite stores 0 or 1).
    Boolean,
    /// An instant in UTC (SQLite stores its RFC 3339 text).
    Timestamp,
}

impl SqlType {
    /// The SQLite type name used in `CREATE TABLE`.
    pub fn sql(self) -> &'static str {
        match self {
            SqlType::Text | SqlType::Timestamp => "TEXT",
            SqlType::Integer | SqlType::Boolean => "INTEGER",
            SqlType::Real => "REAL",
        }
    }
}

/// The write-stage checks shared by all targets: the record must serialize, and every float in it must be
/// finite (JSON has no NaN, and serde_json would silently write `null` instead).
pub(crate) fn check_writable<T: serde::Serialize>(record: &T) -> Result<(), Reject> {
    finite::check_finite(record)
}
