//! The local store-and-forward queue of the PostgreSQL baselines: the durability the generated
//! program gives every PostgreSQL target (`runtime/src/queue/`), written as a Rust programmer
//! would with rusqlite. A checkpoint appends its rows to an SQLite database in WAL mode with
//! `synchronous = FULL` in one transaction, durable when it returns, so the source can be
//! acknowledged behind it; a forwarder thread reads the oldest rows (up to 1000), upserts them
//! into PostgreSQL in one transaction and only then deletes them from the queue, in order.
//!
//! As the runtime's: the run thread and the forwarder share one connection behind a lock; a
//! batch run waits until the queue is empty before it ends; a stopped service leaves what is
//! still queued on disk (the next start would forward it). The queue holds each row as the JSON
//! the forwarder reads back. Unlike the runtime's it has no quarantine (a row PostgreSQL refuses
//! fails the run, see BENCHMARKS.md), so it does not keep the original record beside the row,
//! and no size limit (the bench's runs are far below the runtime's 1 GiB).

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{params, Connection};

use super::job_rows::{Database, JobRow};

/// Rows forwarded per PostgreSQL transaction, as the runtime's forwarder.
const FORWARD_BATCH: usize = 1000;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    row TEXT NOT NULL
)";

struct State {
    connection: Connection,
    /// Rows in the queue.
    queued: u64,
    closing: bool,
    /// Why the forwarder stopped, when it failed.
    failed: Option<String>,
}

struct Shared {
    state: Mutex<State>,
    /// Rows were appended, or the queue is closing: the forwarder waits on it.
    appended: Condvar,
    /// Rows left the queue, or the forwarder stopped: `drain` waits on it.
    removed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct LocalQueue {
    shared: Arc<Shared>,
    forwarder: Option<JoinHandle<()>>,
}

fn sql(e: rusqlite::Error) -> String {
    format!("the local queue: {e}")
}

impl LocalQueue {
    /// Opens (creating it) the queue at `path` and starts its forwarder, which writes `database`
    /// on the tokio runtime of `runtime`.
    pub fn open(
        path: &Path,
        database: Database,
        runtime: tokio::runtime::Handle,
    ) -> Result<Self, String> {
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
        }
        let connection = Connection::open(path).map_err(sql)?;
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(sql)?;
        connection
            .pragma_update(None, "synchronous", "FULL")
            .map_err(sql)?;
        connection.execute_batch(SCHEMA).map_err(sql)?;
        let queued: i64 = connection
            .query_row("SELECT count(*) FROM queue", [], |row| row.get(0))
            .map_err(sql)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                connection,
                queued: queued as u64,
                closing: false,
                failed: None,
            }),
            appended: Condvar::new(),
            removed: Condvar::new(),
        });
        let forwarder = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("baseline-forward".into())
                .spawn(move || {
                    if let Err(e) = forward(&shared, database, &runtime) {
                        shared.lock().failed = Some(e);
                    }
                    shared.removed.notify_all();
                })
                .map_err(|e| e.to_string())?
        };
        Ok(LocalQueue {
            shared,
            forwarder: Some(forwarder),
        })
    }

    /// Appends `rows` in one transaction, durable when it returns, and empties `rows`.
    pub fn append(&self, rows: &mut Vec<JobRow>) -> Result<(), String> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut state = self.shared.lock();
        if let Some(failed) = &state.failed {
            return Err(failed.clone());
        }
        let transaction = state.connection.transaction().map_err(sql)?;
        {
            let mut insert = transaction
                .prepare_cached("INSERT INTO queue (row) VALUES (?1)")
                .map_err(sql)?;
            for row in rows.iter() {
                let json = serde_json::to_string(row).map_err(|e| e.to_string())?;
                insert.execute(params![json]).map_err(sql)?;
            }
        }
        transaction.commit().map_err(sql)?;
        state.queued += rows.len() as u64;
        drop(state);
        rows.clear();
        self.shared.appended.notify_all();
        Ok(())
    }

    /// Waits until the forwarder has written every queued row to PostgreSQL (a batch run's end).
    pub fn drain(&self) -> Result<(), String> {
        let mut state = self.shared.lock();
        while state.queued > 0 {
            if let Some(failed) = &state.failed {
                return Err(failed.clone());
            }
            // A forwarder that panicked signals nothing: look at it now and then.
            if self.forwarder.as_ref().is_none_or(|f| f.is_finished()) {
                return Err("the local queue's forwarder stopped".into());
            }
            state = self
                .shared
                .removed
                .wait_timeout(state, Duration::from_millis(200))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        Ok(())
    }

    /// Stops the forwarder after its current batch; what is still queued stays on disk.
    pub fn close(mut self) -> Result<(), String> {
        self.shared.lock().closing = true;
        self.shared.appended.notify_all();
        if let Some(forwarder) = self.forwarder.take() {
            forwarder
                .join()
                .map_err(|_| "the forwarder panicked".to_string())?;
        }
        match self.shared.lock().failed.take() {
            Some(failed) => Err(failed),
            None => Ok(()),
        }
    }
}

/// The forwarder: the oldest rows to PostgreSQL, then out of the queue, until the queue closes.
fn forward(
    shared: &Shared,
    mut database: Database,
    runtime: &tokio::runtime::Handle,
) -> Result<(), String> {
    loop {
        let batch: Vec<(i64, String)> = {
            let mut state = shared.lock();
            while state.queued == 0 && !state.closing {
                state = shared
                    .appended
                    .wait(state)
                    .unwrap_or_else(|e| e.into_inner());
            }
            if state.closing {
                return Ok(());
            }
            let mut oldest = state
                .connection
                .prepare_cached("SELECT id, row FROM queue ORDER BY id LIMIT ?1")
                .map_err(sql)?;
            let rows = oldest
                .query_map([FORWARD_BATCH as i64], |row| Ok((row.get(0)?, row.get(1)?)))
                .map_err(sql)?;
            rows.collect::<Result<_, _>>().map_err(sql)?
        };
        let Some(&(through, _)) = batch.last() else {
            return Err("the local queue counts rows it does not hold".into());
        };
        let mut rows = batch
            .iter()
            .map(|(_, json)| serde_json::from_str::<JobRow>(json))
            .collect::<Result<Vec<JobRow>, _>>()
            .map_err(|e| format!("the local queue holds a row that is not one: {e}"))?;
        runtime.block_on(database.commit(&mut rows))?;
        let mut state = shared.lock();
        state
            .connection
            .execute("DELETE FROM queue WHERE id <= ?1", [through])
            .map_err(sql)?;
        state.queued = state.queued.saturating_sub(batch.len() as u64);
        drop(state);
        shared.removed.notify_all();
    }
}
