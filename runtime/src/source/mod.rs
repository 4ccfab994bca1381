//! The read and acknowledge stages.
//!
//! A source hands out [`RawRecord`]s one at a time (streaming: nothing is loaded whole) and is told, through
//! [`Source::acknowledge`], when every record up to a position has been durably written or dead-lettered. File
//! sources just remember that position (it is reported in the summary); network sources (MQTT, OPC UA) will
//! commit their offset there, which is what makes delivery at-least-once.

mod columns;
mod csv;
mod jsonl;
mod stream;

pub use self::columns::{EntityColumns, FileSample, MissingColumn, MissingColumns};
pub use self::csv::CsvSource;
pub use self::jsonl::JsonlSource;
pub use self::stream::{Delivery, InFlight, StreamSource};

use crate::error::RunError;
use crate::record::{Position, RawRecord};

/// How many recycled records a file source keeps for reuse: a delivery's worth (`CHUNK` in
/// `run/reader.rs`, which checks that it is not more). The reader hands back a whole spent chunk
/// before it reads the next: a smaller spare drops the rest, and their rows are allocated again.
pub(crate) const SPARE_RECORDS: usize = 512;

/// The read and acknowledge stages of one source.
pub trait Source {
    /// The source's name in the mapping (used in the dead letter and the summary).
    fn name(&self) -> &str;

    /// Read stage: the next record, `Ok(None)` at end of input. Errors are fatal (I/O), not per-record
    /// problems: a record that cannot be understood is still returned, and the decode stage rejects it.
    fn read(&mut self) -> Result<Option<RawRecord>, RunError>;

    /// Takes back a record after its last use, so that a later [`Source::read`] can reuse its
    /// buffers instead of allocating new ones (a wide CSV row is dozens of allocations). Optional:
    /// a record that is simply dropped costs only the allocations.
    fn recycle(&mut self, raw: RawRecord) {
        drop(raw);
    }

    /// Acknowledge stage: every record up to and including `position` has been durably written or
    /// dead-lettered. File sources record it (it appears in the summary as `acknowledged`); network sources will
    /// commit their offset here.
    fn acknowledge(&mut self, position: Position) -> Result<(), RunError>;

    /// The last acknowledged position, `None` before the first acknowledgement.
    fn acknowledged(&self) -> Option<Position>;

    /// Whether acknowledging commits the position outside this process (a broker offset), so
    /// that every checkpoint must make the targets durable first. A file source commits
    /// nothing: after a crash it is read again from its start.
    fn commits_positions(&self) -> bool {
        false
    }

    /// How far the source has read, for metrics and the progress bar: bytes read and, when known, the size of
    /// the input (a file's size when it was opened). `None` for a source without such a measure.
    fn progress(&self) -> Option<ReadProgress> {
        None
    }
}

/// Bytes read of a source's input, and its size when known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadProgress {
    pub read_bytes: u64,
    pub total_bytes: Option<u64>,
}

/// Acknowledgement bookkeeping shared by the file sources: positions only move forward.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct AcknowledgedPosition(Option<Position>);

impl AcknowledgedPosition {
    pub(crate) fn advance_to(&mut self, position: Position) {
        // `None` orders before every `Some`, so the first acknowledgement always advances.
        if self.0 < Some(position) {
            self.0 = Some(position);
        }
    }

    pub(crate) fn get(&self) -> Option<Position> {
        self.0
    }
}

/// Every record of `source` as its original JSON, each handed back after use as the generated
/// loop does, so a test sees what reused buffers would leave behind.
#[cfg(test)]
pub(crate) fn originals_recycling(source: &mut impl Source) -> Vec<serde_json::Value> {
    let mut originals = Vec::new();
    while let Some(raw) = source.read().expect("readable") {
        originals.push(raw.original());
        source.recycle(raw);
    }
    originals
}
