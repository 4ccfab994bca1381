//! The durable store of one queued target: an SQLite database in WAL mode whose rows are the
//! mapped records waiting for the target, in the order they were enqueued, and the records the
//! target refused for good, waiting for the dead letter.
//!
//! Measured against the alternatives (see the module documentation of `queue`): one transaction per
//! checkpoint of appended rows, `synchronous = FULL` (a commit is on disk when it returns: it is
//! what lets the run acknowledge the source positions behind it), and deletes in the forwarder's
//! batches.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::error::RunError;
use crate::outcome::Reject;
use crate::record::Position;

/// The [`Stored`] entry of a row selected as [`COLUMNS`].
fn stored_of(row: &Row<'_>) -> rusqlite::Result<Stored> {
    let text = |column: usize| row.get::<_, String>(column).map(Arc::from);
    let original = match row.get_ref(6)? {
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => bytes.to_vec(),
        other => {
            return Err(rusqlite::Error::InvalidColumnType(
                6,
                "original".into(),
                other.data_type(),
            ))
        }
    };
    let kind: Option<String> = row.get(8)?;
    Ok(Stored {
        id: row.get(0)?,
        entry: Entry {
            enqueued_at: row.get(1)?,
            flow: text(2)?,
            source: text(3)?,
            position: row.get::<_, i64>(4)? as Position,
            topic: row.get(5)?,
            original: Original::of_stored(kind.as_deref(), original),
            mapped: row.get(7)?,
        },
    })
}

/// One record to enqueue: what the target is given, and what its quarantine needs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    /// Unix time in milliseconds: when the entry was committed to the queue.
    pub enqueued_at: i64,
    pub flow: Arc<str>,
    pub source: Arc<str>,
    pub position: Position,
    pub topic: Option<String>,
    /// The source record, for the dead letter of a quarantined entry.
    pub original: Original,
    /// The mapped record as the target serializes it, JSON text.
    pub mapped: String,
}

/// The source record of an entry, kept so that the dead letter shows it as it shows any reject's
/// (`RawRecord::original_view`) if the target refuses the entry for good.
///
/// A JSON line and a broker message are kept as they were read: a copy of their bytes, which the
/// dead letter makes its view of only for the rare entry that is quarantined. Any other record
/// (a CSV row, an XML element, a record that could not be read as it came) is kept as the view's JSON
/// text, which is also how queues written before the kinds existed hold every original (their
/// `original_kind` is NULL).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Original {
    /// The JSON text of `RawRecord::original_view` (stored kind NULL).
    View(String),
    /// The line of a JSON Lines source, as read (stored kind `line`).
    JsonLine(String),
    /// The payload of a broker message, as received (stored kind `message`, a BLOB).
    Message(Vec<u8>),
}

impl Original {
    /// The bytes stored in the `original` column.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Original::View(text) | Original::JsonLine(text) => text.as_bytes(),
            Original::Message(bytes) => bytes,
        }
    }

    /// The `original_kind` column.
    fn kind(&self) -> Option<&'static str> {
        match self {
            Original::View(_) => None,
            Original::JsonLine(_) => Some(LINE),
            Original::Message(_) => Some(MESSAGE),
        }
    }

    /// The original of a row whose `original_kind` is `kind`: an unknown kind (a newer program's) is
    /// taken as the view's text, which the dead letter then shows as it finds it.
    fn of_stored(kind: Option<&str>, bytes: Vec<u8>) -> Original {
        let text = |bytes: Vec<u8>| {
            String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
        };
        match kind {
            Some(MESSAGE) => Original::Message(bytes),
            Some(LINE) => Original::JsonLine(text(bytes)),
            _ => Original::View(text(bytes)),
        }
    }

    /// The column's value: text, but for a message's payload (bytes that need not be UTF-8).
    fn sql_value(&self) -> ToSqlOutput<'_> {
        match self {
            Original::View(text) | Original::JsonLine(text) => {
                ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes()))
            }
            Original::Message(bytes) => ToSqlOutput::Borrowed(ValueRef::Blob(bytes)),
        }
    }
}

const LINE: &str = "line";
const MESSAGE: &str = "message";

impl Entry {
    /// What the entry counts towards `--queue-max-bytes`: its texts and a row's bookkeeping.
    pub fn size(&self) -> u64 {
        (self.original.bytes().len()
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

/// What the forwarder reads of an entry: its id, the mapped record and its [`Entry::size`] (the rest
/// is for the quarantine, which copies it inside the store).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Waiting {
    pub id: i64,
    pub mapped: String,
    pub size: u64,
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
    mapped TEXT NOT NULL,
    original_kind TEXT
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
    detail TEXT,
    original_kind TEXT
);
";

/// The column a queue written before the kinds of originals lacks (see [`Original`]); added when it
/// opens. NULL, what its rows get, is the kind they hold.
const KIND_COLUMN: &str = "original_kind";

const COLUMNS: &str =
    "id, enqueued_at, flow, source, position, topic, original, mapped, original_kind";

/// What an entry counts towards `--queue-max-bytes` ([`Entry::size`]) without the row's overhead, as
/// SQL: the byte lengths of its texts.
const SIZE_SQL: &str = "length(CAST(original AS BLOB)) + length(CAST(mapped AS BLOB)) \
    + length(CAST(flow AS BLOB)) + length(CAST(source AS BLOB)) + coalesce(length(CAST(topic AS BLOB)), 0)";

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
        for table in ["queue", "quarantine"] {
            add_kind_column(&connection, table).map_err(fail)?;
        }
        Ok(Store {
            path: path.to_path_buf(),
            connection,
        })
    }

    fn error(&self, action: &str, e: rusqlite::Error) -> RunError {
        store_error(action, &self.path, e)
    }

    /// Appends `entries` in one transaction, enqueued at `now` (Unix milliseconds); durable when it returns.
    pub fn append(&mut self, entries: &[Entry], now: i64) -> Result<(), RunError> {
        if entries.is_empty() {
            return Ok(());
        }
        let path = self.path.clone();
        let fail = |e| store_error("write the queue", &path, e);
        let transaction = self.connection.transaction().map_err(fail)?;
        {
            let mut insert = transaction
                .prepare_cached(
                    "INSERT INTO queue (enqueued_at, flow, source, position, topic, original, mapped, original_kind) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(fail)?;
            // SQLite keeps a parameter's value from one execution to the next: the time is bound once, and
            // what usually repeats from the entry before (flow, source, topic, kind) only when it changes.
            insert.raw_bind_parameter(1, now).map_err(fail)?;
            let mut previous: Option<&Entry> = None;
            for e in entries {
                let changed =
                    |same: fn(&Entry, &Entry) -> bool| previous.is_none_or(|p| !same(p, e));
                if changed(|a, b| a.flow == b.flow) {
                    insert.raw_bind_parameter(2, &*e.flow).map_err(fail)?;
                }
                if changed(|a, b| a.source == b.source) {
                    insert.raw_bind_parameter(3, &*e.source).map_err(fail)?;
                }
                insert
                    .raw_bind_parameter(4, e.position as i64)
                    .map_err(fail)?;
                if changed(|a, b| a.topic == b.topic) {
                    insert.raw_bind_parameter(5, &e.topic).map_err(fail)?;
                }
                insert
                    .raw_bind_parameter(6, e.original.sql_value())
                    .map_err(fail)?;
                insert.raw_bind_parameter(7, &e.mapped).map_err(fail)?;
                if changed(|a, b| a.original.kind() == b.original.kind()) {
                    insert
                        .raw_bind_parameter(8, e.original.kind())
                        .map_err(fail)?;
                }
                insert.raw_execute().map_err(fail)?;
                previous = Some(e);
            }
        }
        transaction.commit().map_err(fail)
    }

    /// The oldest `limit` entries as the forwarder needs them, oldest first.
    pub fn oldest(&self, limit: usize) -> Result<Vec<Waiting>, RunError> {
        let fail = |e| self.error("read the queue", e);
        let sql = format!("SELECT id, mapped, {SIZE_SQL} FROM queue ORDER BY id LIMIT ?1");
        let mut statement = self.connection.prepare_cached(&sql).map_err(fail)?;
        let rows = statement
            .query_map([limit as i64], |row| {
                Ok(Waiting {
                    id: row.get(0)?,
                    mapped: row.get(1)?,
                    size: row.get::<_, i64>(2)? as u64 + ROW_OVERHEAD as u64,
                })
            })
            .map_err(fail)?;
        rows.collect::<Result<_, _>>().map_err(fail)
    }

    /// The refused entries waiting for the dead letter, oldest first.
    pub fn refused(&self, limit: usize) -> Result<Vec<Refused>, RunError> {
        let sql = format!("SELECT {COLUMNS}, reason, detail FROM quarantine ORDER BY id LIMIT ?1");
        let fail = |e| self.error("read the queue's quarantine", e);
        let mut statement = self.connection.prepare_cached(&sql).map_err(fail)?;
        let rows = statement
            .query_map([limit as i64], |row| {
                Ok(Refused {
                    stored: stored_of(row)?,
                    reject: Reject {
                        reason: row.get(9)?,
                        detail: row.get(10)?,
                    },
                })
            })
            .map_err(fail)?;
        rows.collect::<Result<_, _>>().map_err(fail)
    }

    /// Every entry still queued, oldest first, as it was appended (for tests of what the queue holds).
    #[cfg(test)]
    fn entries(&self) -> Result<Vec<Stored>, RunError> {
        let fail = |e| self.error("read the queue", e);
        let sql = format!("SELECT {COLUMNS} FROM queue ORDER BY id");
        let mut statement = self.connection.prepare(&sql).map_err(fail)?;
        let rows = statement.query_map([], stored_of).map_err(fail)?;
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
                &format!(
                    "SELECT count(*), coalesce(sum({SIZE_SQL}), 0), min(enqueued_at) FROM queue"
                ),
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

/// Adds the `original_kind` column to `table` of a queue written before it existed (SQLite adds a
/// column without rewriting the rows, which keep NULL: the kind they hold).
fn add_kind_column(connection: &Connection, table: &str) -> rusqlite::Result<()> {
    let mut columns =
        connection.prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?;
    let names = columns.query_map([], |row| row.get::<_, String>(0))?;
    for name in names {
        if name? == KIND_COLUMN {
            return Ok(());
        }
    }
    connection.execute_batch(&format!(
        "ALTER TABLE {table} ADD COLUMN {KIND_COLUMN} TEXT"
    ))
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
            enqueued_at: NOW,
            flow: "readings".into(),
            source: "broker".into(),
            position,
            topic: Some("plant/m/readings".into()),
            original: match position % 3 {
                0 => Original::View(format!("{{\"seq\":{position}}}")),
                1 => Original::JsonLine(format!("{{\"seq\": {position} }}")),
                _ => Original::Message(vec![0xff, b'{', position as u8]),
            },
            mapped: format!("{{\"seq\":{position},\"doubled\":{}}}", position * 2),
        }
    }

    const NOW: i64 = 1_000;

    fn ids(waiting: &[Waiting]) -> Vec<i64> {
        waiting.iter().map(|w| w.id).collect()
    }

    #[test]
    fn entries_leave_in_order_and_a_refused_one_waits_in_the_quarantine_until_dead_lettered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue/mes.sqlite");
        let mut store = Store::open(&path).unwrap();
        let entries: Vec<Entry> = (1..=5).map(entry).collect();
        store.append(&entries, NOW).unwrap();
        let extent = store.extent().unwrap();
        assert_eq!(extent.records, 5);
        assert_eq!(extent.bytes, entries.iter().map(Entry::size).sum::<u64>());
        assert_eq!(extent.oldest, Some(NOW));
        assert_eq!(
            store
                .entries()
                .unwrap()
                .into_iter()
                .map(|s| s.entry)
                .collect::<Vec<_>>(),
            entries,
            "every kind of original reads back as it was appended"
        );

        let oldest = store.oldest(3).unwrap();
        assert_eq!(
            oldest
                .iter()
                .map(|w| (w.mapped.as_str(), w.size))
                .collect::<Vec<_>>(),
            entries[..3]
                .iter()
                .map(|e| (e.mapped.as_str(), e.size()))
                .collect::<Vec<_>>()
        );
        let ids = ids(&oldest);
        let refusal =
            Reject::new("PostgreSQL refused the row: constraint positive").with_detail("seq 2");
        store
            .forwarded(ids[2], &[(ids[1], refusal.clone())])
            .unwrap();
        assert_eq!(store.extent().unwrap().records, 2);
        assert_eq!(store.oldest_time().unwrap(), Some(NOW));

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
        let rest = store.entries().unwrap();
        assert_eq!(
            rest.iter().map(|s| s.entry.position).collect::<Vec<_>>(),
            [4, 5]
        );
        store.forwarded(rest[1].id, &[]).unwrap();
        assert_eq!(store.extent().unwrap(), Extent::default());
        let next = store.next_id().unwrap();
        assert_eq!(next, rest[1].id + 1);
        store.append(&[entry(6)], NOW).unwrap();
        assert_eq!(store.oldest(1).unwrap()[0].id, next);
    }

    /// The schema of the queues written before the kinds of originals, as they are on disk.
    const SCHEMA_WITHOUT_KINDS: &str = "
        CREATE TABLE queue (id INTEGER PRIMARY KEY AUTOINCREMENT, enqueued_at INTEGER NOT NULL,
            flow TEXT NOT NULL, source TEXT NOT NULL, position INTEGER NOT NULL, topic TEXT,
            original TEXT NOT NULL, mapped TEXT NOT NULL);
        CREATE TABLE quarantine (id INTEGER PRIMARY KEY, enqueued_at INTEGER NOT NULL,
            flow TEXT NOT NULL, source TEXT NOT NULL, position INTEGER NOT NULL, topic TEXT,
            original TEXT NOT NULL, mapped TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT);";

    #[test]
    fn a_queue_written_before_the_kinds_of_originals_is_read_and_extended_where_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mes.sqlite");
        {
            let old = Connection::open(&path).unwrap();
            old.execute_batch(SCHEMA_WITHOUT_KINDS).unwrap();
            old.execute_batch(
                "INSERT INTO queue (enqueued_at, flow, source, position, topic, original, mapped)
                 VALUES (500, 'readings', 'broker', 7, 'plant/m/readings', '{\"seq\":7}', '{\"seq\":7}'),
                        (501, 'readings', 'file', 8, NULL, '{\"seq\":8}', '{\"seq\":8}');
                 INSERT INTO quarantine VALUES (1, 400, 'readings', 'file', 3, NULL, '{\"seq\":3}',
                        '{\"seq\":3}', 'refused', NULL);",
            )
            .unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        let old_entry = |position: Position, topic: Option<&str>, source: &str, at: i64| Entry {
            enqueued_at: at,
            flow: "readings".into(),
            source: source.into(),
            position,
            topic: topic.map(str::to_string),
            original: Original::View(format!("{{\"seq\":{position}}}")),
            mapped: format!("{{\"seq\":{position}}}"),
        };
        assert_eq!(
            store
                .entries()
                .unwrap()
                .into_iter()
                .map(|s| s.entry)
                .collect::<Vec<_>>(),
            [
                old_entry(7, Some("plant/m/readings"), "broker", 500),
                old_entry(8, None, "file", 501)
            ]
        );
        assert_eq!(
            store.refused(10).unwrap()[0].stored.entry,
            old_entry(3, None, "file", 400)
        );
        let extent = store.extent().unwrap();
        assert_eq!((extent.records, extent.oldest), (2, Some(500)));
        assert_eq!(
            extent.bytes,
            old_entry(7, Some("plant/m/readings"), "broker", 500).size()
                + old_entry(8, None, "file", 501).size()
        );

        // The old refused entry goes to the dead letter; new entries go in behind the old ones, with their
        // kinds; an old one refused keeps its kind.
        store.dead_lettered(1).unwrap();
        store.append(&[entry(1), entry(2)], NOW).unwrap();
        let oldest = store.oldest(10).unwrap();
        let refusal = Reject::new("refused");
        store
            .forwarded(
                oldest[3].id,
                &[(oldest[0].id, refusal.clone()), (oldest[3].id, refusal)],
            )
            .unwrap();
        let refused: Vec<Entry> = store
            .refused(10)
            .unwrap()
            .into_iter()
            .map(|r| r.stored.entry)
            .collect();
        assert_eq!(
            refused,
            [
                old_entry(7, Some("plant/m/readings"), "broker", 500),
                Entry {
                    enqueued_at: NOW,
                    ..entry(2)
                }
            ]
        );
        drop(store);
        // Opened again: nothing is added twice.
        let store = Store::open(&path).unwrap();
        assert_eq!(store.extent().unwrap(), Extent::default());
    }
}
