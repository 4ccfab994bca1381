//! Opening PostgreSQL targets and sources (feature `postgres`): they connect when they are opened, on the
//! run's IO threads, so that a server that cannot be reached or a table that does not fit stops the run before
//! anything is read.

use serde::Serialize;

use super::{OpenSource, Run, TargetId};
use crate::error::RunError;
use crate::postgres::{
    PollSettings, PostgresConnection, PostgresSource, PostgresTable, PostgresTarget,
};
use crate::queue::{Forwarded, OpenForwarded};

/// What a mapping's PostgreSQL source declares: `postgres(connection:, table:, watermark:,
/// tiebreaker:, poll_interval:, page:)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostgresPoll<'a> {
    pub table: &'a str,
    pub watermark: &'a str,
    /// `None` when the watermark is unique (an id): it orders rows alone.
    pub tiebreaker: Option<&'a str>,
    pub poll_interval: std::time::Duration,
    pub page: u32,
}

impl Run {
    /// Opens the PostgreSQL target a mapping declares, on the connection the deployment settings
    /// describe (see [`PostgresConnection::from_settings`]).
    pub fn postgres_target<T: Serialize + 'static>(
        &mut self,
        name: &str,
        connection: &str,
        table: &PostgresTable<'_>,
    ) -> Result<TargetId<T>, RunError> {
        if let Some(captured) = self.capture(name)? {
            return Ok(captured);
        }
        let settings = PostgresConnection::from_settings(self.connection(connection)?)?;
        self.connect_postgres_target(name, &settings, table)
    }

    /// Opens the PostgreSQL target a mapping declares through its store-and-forward queue (see
    /// [`Run::queued_target`]): the table is written by the queue's forwarder, which connects again after an
    /// outage, while the run goes on queueing.
    pub fn queued_postgres_target<T: Serialize + 'static>(
        &mut self,
        name: &str,
        connection: &str,
        table: &PostgresTable<'_>,
    ) -> Result<TargetId<T>, RunError> {
        if let Some(captured) = self.capture(name)? {
            return Ok(captured);
        }
        let settings = PostgresConnection::from_settings(self.connection(connection)?)?;
        self.connect_queued_postgres_target(name, &settings, table)
    }

    /// [`Run::queued_postgres_target`] on `connection`.
    pub fn connect_queued_postgres_target<T: Serialize + 'static>(
        &mut self,
        name: &str,
        connection: &PostgresConnection,
        table: &PostgresTable<'_>,
    ) -> Result<TargetId<T>, RunError> {
        if let Some(captured) = self.capture(name)? {
            return Ok(captured);
        }
        // What the forwarder needs to open the target again, owned: it outlives this call.
        let owned_name = name.to_string();
        let connection = connection.clone();
        let (table_name, columns) = (table.table.to_string(), table.columns);
        let keys: Vec<String> = table.keys.iter().map(|k| k.to_string()).collect();
        let numeric: Vec<String> = table.numeric.iter().map(|n| n.to_string()).collect();
        let io = self.io().clone();
        let open = move || -> Result<Forwarded, RunError> {
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            let numeric: Vec<&str> = numeric.iter().map(String::as_str).collect();
            let table = PostgresTable {
                table: &table_name,
                columns,
                keys: &keys,
                numeric: &numeric,
            };
            let target = PostgresTarget::open(&owned_name, &connection, &table, &io)?;
            Ok(Box::new(target))
        };
        self.queued_target(
            name,
            OpenForwarded {
                open: Box::new(open),
                transient: |error| matches!(error, RunError::Postgres(e) if e.is_transient()),
                opened: None,
            },
        )
    }

    /// Opens the PostgreSQL source a mapping declares, on the connection the deployment settings
    /// describe; a test run may replace it with a file of JSON rows (`--source NAME=PATH`).
    pub fn postgres_source(
        &mut self,
        name: &str,
        connection: &str,
        poll: &PostgresPoll<'_>,
    ) -> Result<OpenSource, RunError> {
        if let Some(replaced) = self.replaced_source(name)? {
            return Ok(replaced);
        }
        let settings = PostgresConnection::from_settings(self.connection(connection)?)?;
        let tiebreaker = poll.tiebreaker.unwrap_or(poll.watermark);
        let mut polling = PollSettings::table(poll.table, poll.watermark, tiebreaker);
        polling.poll_interval = poll.poll_interval;
        polling.page_size = poll.page;
        self.connect_postgres_source(name, &settings, polling)
    }

    /// Opens a PostgreSQL target writing `table` through `connection`: created if missing (`PRIMARY KEY` on
    /// its keys), else checked against its columns; upserts on the keys, plain inserts without keys (see
    /// [`PostgresTarget`]). When the run captures targets, the server is not contacted and the target writes
    /// JSON Lines instead (see [`Run::jsonl_target`]).
    pub fn connect_postgres_target<T: Serialize + 'static>(
        &mut self,
        name: &str,
        connection: &PostgresConnection,
        table: &PostgresTable<'_>,
    ) -> Result<TargetId<T>, RunError> {
        if let Some(captured) = self.capture(name)? {
            return Ok(captured);
        }
        let target = PostgresTarget::open(name, connection, table, self.io())?;
        Ok(self.add_target(name, Box::new(target)))
    }

    /// Opens a PostgreSQL source polled as `settings` say through `connection` (see [`PostgresSource`]); its
    /// watermark is stored under this mapping's name and `name`. Register it with its map function through
    /// [`Run::source`]. In a test run that replaces source `name` with a file (`--source NAME=PATH`), the server
    /// is not contacted and the file's JSON lines are the rows (see [`Run::replaced_source`]).
    pub fn connect_postgres_source(
        &mut self,
        name: &str,
        connection: &PostgresConnection,
        settings: PollSettings,
    ) -> Result<OpenSource, RunError> {
        if let Some(replaced) = self.replaced_source(name)? {
            return Ok(replaced);
        }
        let source =
            PostgresSource::open(name, self.program.mapping, connection, settings, self.io())?;
        self.source_index(name);
        Ok(OpenSource::stream(source))
    }
}
