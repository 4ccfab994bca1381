//! Opening PostgreSQL targets and sources (feature `postgres`): they connect when they are opened, on the
//! run's IO threads, so that a server that cannot be reached or a table that does not fit stops the run before
//! anything is read.

use serde::Serialize;

use super::{Run, TargetId};
use crate::error::RunError;
use crate::postgres::{PollSettings, PostgresConnection, PostgresSource, PostgresTarget};
use crate::record::RawRecord;
use crate::target::Column;

impl Run {
    /// Opens a PostgreSQL target writing `table` (`table` or `schema.table`) through `connection`: created if
    /// missing (`PRIMARY KEY` on `keys`), else checked against `columns`; upserts on `keys`, plain inserts
    /// without keys (see [`PostgresTarget`]). When the run captures targets, the server is not contacted and
    /// the target writes JSON Lines instead (see [`Run::jsonl_target`]).
    pub fn postgres_target<T: Serialize + 'static>(
        &mut self,
        name: &str,
        connection: &PostgresConnection,
        table: &str,
        columns: &'static [Column],
        keys: &[&str],
    ) -> Result<TargetId<T>, RunError> {
        if let Some(captured) = self.capture(name)? {
            return Ok(captured);
        }
        let target = PostgresTarget::open(name, connection, table, columns, keys, self.io())?;
        Ok(self.add_target(name, Box::new(target)))
    }

    /// Registers a PostgreSQL source polled as `settings` say through `connection` (see [`PostgresSource`]),
    /// with its map function. Its watermark is stored under this mapping's name and `name`.
    pub fn postgres_source<F>(
        &mut self,
        name: &str,
        connection: &PostgresConnection,
        settings: PollSettings,
        map: F,
    ) -> Result<(), RunError>
    where
        F: FnMut(&mut Run, &RawRecord) -> Result<(), RunError> + 'static,
    {
        let source =
            PostgresSource::open(name, self.program.mapping, connection, settings, self.io())?;
        self.stream_source(source, map);
        Ok(())
    }
}
