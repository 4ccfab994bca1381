//! The durable store of one queued target: an SQLite database in WAL mode whose rows are the
//! mapped records waiting for the target, in the order they were enqueued, and the records the
//! target refused for good, waiting for the dead letter.
//!
//! Measured against the alternatives (see the module documentation of `queue`): one transaction per
//! checkpoint of appended rows, `synchronous = FULL` (a commit is on disk when it returns: it is
//! what lets the run acknowledge the source positions behind it), and deletes in the forwarder's
//! batches.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::RunError;
use crate::outcome::Reject;
use crate::record::Position;

/// The [`Stored`] entry of a row selected as [`COLUMNS`] (a macro: the row's type is the database
/// library's, inferred where it is read).
macro_rules! stored_of {
    ($row:expr) => {
        Stored {
            id: $row.get(0)?,
            entry: Entry {
                enqueued_at: $row.get(1)?,
                flow: $row.get(2)?,
                source: $row.get(3)?,
                position: $row.get::<_, i64>(4)? as Position,
                topic: $row.get(5)?,
                original: $row.get(6)?,
                mapped: $row.get(7)?,
            },
        }
    };
}

/// One record to enqueue: what the target is given, and what its quarantine needs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    /// Unix time in milliseconds.
    pub enqueued_at: i64,
    pub flow: String,
    pub source: String,
    pub position: Position,
    pub topic: Option<String>,
    /// The source record as the dead letter shows it (`RawRecord::original_view`), JSON text.
    pub original: String,
    /// The mapped record as the target serializes it, JSON text.
    pub mapped: String,
}

impl Entry {
    /// What the entry counts towards `--queue-max-bytes`: its texts and a row's bookkeeping.
    pub fn size(&self) -> u64 {
        (self.original.len()
            + self.mapped.len()
            + self.flow.len()
            + self.source.len()
            + self.topic.as_deref().map_or(0, str::len)
            + ROW_OVERHEAD) as u64
    }
}

/// What a row costs beside its texts (its id, times, SQLite's record header), roughly.
const ROW_OVERHEAD: usize = 32;

/// An entry read back, with its id (its place in the queue).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stored {
    pub id: i64,
    pub entry: Entry,
}

/// An entry the target refused for good, with the target's reason.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Refused {
    pub stored: Stored,
    pub reject: Reject,
}

/// Depth, bytes and the oldest record's time of a queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Extent {
    pub records: u64,
    pub bytes: u64,
    /// Unix milliseconds of the oldest queued record.
    pub oldest: Option<i64>,
}

pub(crate) struct Store {
    path: PathBuf,
    connection: Connection,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    enqueued_at INTEGER NOT NULL,
    flow TEXT NOT NULL,
    source TEXT NOT NULL,
    position INTEGER NOT NULL,
    topic TEXT,
    original TEXT NOT NULL,
    mapped TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS quarantine (
    id INTEGER PRIMARY KEY,
    enqueued_at INTEGER NOT NULL,
    flow TEXT NOT NULL,
    source TEXT NOT NULL,
    position INTEGER NOT NULL,
    topic TEXT,
    original TEXT NOT NULL,
    mapped TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT
);
";

const COLUMNS: &str = "id, enqueued_at, flow, source, position, topic, original, mapped";

impl Store {
    /// Opens (creating it and its folder if missing) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, RunError> {
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)
                .map_err(|e| RunError::io("create the queue folder", folder, e))?;
        }
        let fail = |e: rusqlite::Error| store_error("open the queue", path, e);
        let connection = Connection::open(path).map_err(fail)?;
        // WAL: a commit appends to the log instead of rewriting pages (the run and the forwarder share
        // this one connection behind the queue's lock, so they still take turns). FULL: a commit is durable when it
        // returns, against a power cut too, since the source positions behind it are acknowledged then.
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(fail)?;
        connection
            .pragma_update(None, "synchronous", "FULL")
            .map_err(fail)?;
        connection.execute_batch(SCHEMA).map_err(fail)?;
        Ok(Store {
            path: path.to_path_buf(),
            connection,
        })
    }

    fn error(&self, action: &str, e: rusqlite::Error) -> RunError {
        store_error(action, &self.path, e)
    }

    /// Appends `entries` in one transaction; durable when it returns.
    pub fn append(&mut self, entries: &[Entry]) -> Result<(), RunError> {
        if entries.is_empty() {
            return Ok(());
        }
        let path = self.path.clone();
        let fail = |e| store_error("write the queue", &path, e);
        let transaction = self.connection.transaction().map_err(fail)?;
        {
            let mut insert = transaction
                .prepare_cached(
                    "INSERT INTO queue (enqueued_at, flow, source, position, topic, original, mapped) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(fail)?;
            for e in entries {
                insert
                    .execute(params![
                        e.enqueued_at,
                        e.flow,
                        e.source,
                        e.position as i64,
                        e.topic,
                        e.original,
                        e.mapped
                    ])
                    .map_err(fail)?;
            }
        }
        transaction.commit().map_err(fail)
    }

    /// The oldest `limit` entries, oldest first.
    pub fn oldest(&self, limit: usize) -> Result<Vec<Stored>, RunError> {
        let sql = format!("SELECT {COLUMNS} FROM queue ORDER BY id LIMIT ?1");
        self.select(&sql, limit)
    }

    /// The refused entries waiting for the dead letter, oldest first.
    pub fn refused(&self, limit: usize) -> Result<Vec<Refused>, RunError> {
        let sql = format!("SELECT {COLUMNS}, reason, detail FROM quarantine ORDER BY id LIMIT ?1");
        let fail = |e| self.error("read the queue's quarantine", e);
        let mut statement = self.connection.prepare_cached(&sql).map_err(fail)?;
        let rows = statement
            .query_map([limit as i64], |row| {
                Ok(Refused {
                    stored: stored_of!(row),
                    reject: Reject {
                        reason: row.get(8)?,
                        detail: row.get(9)?,
                    },
                })
            })
            .map_err(fail)?;
        rows.collect::<Result<_, _>>().map_err(fail)
    }

    fn select(&self, sql: &str, limit: usize) -> Result<Vec<Stored>, RunError> {
        let fail = |e| self.error("read the queue", e);
        let mut statement = self.connection.prepare_cached(sql).map_err(fail)?;
        let rows = statement
            .query_map([limit as i64], |row| Ok(stored_of!(row)))
            .map_err(fail)?;
        rows.collect::<Result<_, _>>().map_err(fail)
    }

    /// The target has made every entry up to `through` durable, but for `refused`: in one transaction, those
    /// move to the quarantine and the rest leave the queue.
    pub fn forwarded(&mut self, through: i64, refused: &[(i64, Reject)]) -> Result<(), RunError> {
        let path = self.path.clone();
        let fail = |e| store_error("remove forwarded records from the queue", &path, e);
        let transaction = self.connection.transaction().map_err(fail)?;
        {
            let mut quarantine = transaction
                .prepare_cached(&format!(
                    "INSERT OR REPLACE INTO quarantine ({COLUMNS}, reason, detail) \
                     SELECT {COLUMNS}, ?2, ?3 FROM queue WHERE id = ?1"
                ))
                .map_err(fail)?;
            for (id, reject) in refused {
                quarantine
                    .execute(params![id, reject.reason, reject.detail])
                    .map_err(fail)?;
            }
        }
        transaction
            .execute("DELETE FROM queue WHERE id <= ?1", [through])
            .map_err(fail)?;
        transaction.commit().map_err(fail)
    }

    /// Refused entries up to `through` are in the dead letter, durably: they leave the quarantine.
    pub fn dead_lettered(&mut self, through: i64) -> Result<(), RunError> {
        self.connection
            .execute("DELETE FROM quarantine WHERE id <= ?1", [through])
            .map(|_| ())
            .map_err(|e| self.error("remove dead-lettered records from the queue", e))
    }

    /// Depth, bytes and the oldest record of the queue as it is on disk (read once, when it opens).
    pub fn extent(&self) -> Result<Extent, RunError> {
        let fail = |e| self.error("read the queue", e);
        let (records, bytes, oldest) = self
            .connection
            .query_row(
                "SELECT count(*), coalesce(sum(length(CAST(original AS BLOB)) + length(CAST(mapped AS BLOB)) \
                 + length(CAST(flow AS BLOB)) + length(CAST(source AS BLOB)) \
                 + coalesce(length(CAST(topic AS BLOB)), 0)), 0), min(enqueued_at) FROM queue",
                [],
                |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get(2)?)),
            )
            .map_err(fail)?;
        Ok(Extent {
            records: records as u64,
            bytes: bytes as u64 + records as u64 * ROW_OVERHEAD as u64,
            oldest,
        })
    }

    /// When the oldest queued record was enqueued (Unix milliseconds).
    pub fn oldest_time(&self) -> Result<Option<i64>, RunError> {
        self.connection
            .query_row(
                "SELECT enqueued_at FROM queue ORDER BY id LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.error("read the queue", e))
    }

    /// The id the next appended entry gets at the earliest: entries from this id on were enqueued by
    /// this run (ids only grow: `AUTOINCREMENT`).
    pub fn next_id(&self) -> Result<i64, RunError> {
        let fail = |e| self.error("read the queue", e);
        let last: Option<i64> = self
            .connection
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'queue'",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(fail)?;
        Ok(last.unwrap_or(0) + 1)
    }

    /// The bytes the store takes on disk: the database and its write-ahead log.
    pub fn disk_bytes(&self) -> u64 {
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        [self.path.clone(), PathBuf::from(wal)]
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    }
}

/// A store error: a full disk says so, for the operator who must free space.
fn store_error(action: &str, path: &Path, e: rusqlite::Error) -> RunError {
    let full = matches!(
        &e,
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DiskFull
    );
    let message = if full {
        format!("{e} (the disk of the queue is full: free space, then start the program again; what was not acknowledged is read again)")
    } else {
        e.to_string()
    };
    RunError::io(action, path, std::io::Error::other(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(position: Position) -> Entry {
        Entry {
            enqueued_at: 1_000 + position as i64,
            flow: "readings".into(),
            source: "broker".into(),
            position,
            topic: Some("plant/m/readings".into()),
            original: format!("{{\"seq\":{position}}}"),
            mapped: format!("{{\"seq\":{position},\"doubled\":{}}}", position * 2),
        }
    }

    #[test]
    fn entries_leave_in_order_and_a_refused_one_waits_in_the_quarantine_until_dead_lettered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue/mes.sqlite");
        let mut store = Store::open(&path).unwrap();
        let entries: Vec<Entry> = (1..=5).map(entry).collect();
        store.append(&entries).unwrap();
        let extent = store.extent().unwrap();
        assert_eq!(extent.records, 5);
        assert_eq!(extent.bytes, entries.iter().map(Entry::size).sum::<u64>());
        assert_eq!(extent.oldest, Some(1_001));

        let oldest = store.oldest(3).unwrap();
        let ids: Vec<i64> = oldest.iter().map(|s| s.id).collect();
        assert_eq!(
            oldest.iter().map(|s| &s.entry).collect::<Vec<_>>(),
            entries[..3].iter().collect::<Vec<_>>()
        );
        let refusal =
            Reject::new("PostgreSQL refused the row: constraint positive").with_detail("seq 2");
        store
            .forwarded(ids[2], &[(ids[1], refusal.clone())])
            .unwrap();
        assert_eq!(store.extent().unwrap().records, 2);
        assert_eq!(store.oldest_time().unwrap(), Some(1_004));

        let refused = store.refused(10).unwrap();
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].stored.entry, entries[1]);
        assert_eq!(refused[0].reject, refusal);
        store.dead_lettered(refused[0].stored.id).unwrap();
        assert!(store.refused(10).unwrap().is_empty());

        // Reopened (a restart): what is left is there, and new ids come after every id handed out, even
        // once the queue is empty.
        drop(store);
        let mut store = Store::open(&path).unwrap();
        let rest = store.oldest(10).unwrap();
        assert_eq!(
            rest.iter().map(|s| s.entry.position).collect::<Vec<_>>(),
            [4, 5]
        );
        store.forwarded(rest[1].id, &[]).unwrap();
        assert_eq!(store.extent().unwrap(), Extent::default());
        let next = store.next_id().unwrap();
        assert_eq!(next, rest[1].id + 1);
        store.append(&[entry(6)]).unwrap();
        assert_eq!(store.oldest(1).unwrap()[0].id, next);
    }
}
