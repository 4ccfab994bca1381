//! A PostgreSQL table or query polled by a watermark as a stream source.

use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::time::Instant;
use tokio_postgres::{Client, Statement};

use super::connection::PostgresConnection;
use super::error::{describe, PostgresError};
use super::json_row::{finish, ColumnRead, PolledValue};
use super::schema::{quote, TableName};
use super::watermark::{self, Cursor};
use crate::error::RunError;
use crate::record::{Position, RawRecord};
use crate::source::{Delivery, InFlight, StreamSource};

const ROLE: &str = "source";

/// The longest a source waits before it tries a lost server again.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What is polled: a table, or a query whose rows are read as if it were one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Polled {
    /// `table` or `schema.table`.
    Table(String),
    /// A `SELECT` (no trailing semicolon); it is wrapped as a subquery.
    Query(String),
}

/// How a source polls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollSettings {
    pub polled: Polled,
    /// An ever-increasing column (a bigint id, a timestamptz written at insert): rows are read in its order.
    pub watermark: String,
    /// A column that orders rows with the same watermark (the primary key), so that rows with equal
    /// timestamps are neither skipped nor read twice across pages.
    pub tiebreaker: String,
    /// Rows per page, one page per delivery.
    pub page_size: u32,
    /// How long the source waits, after a page that was not full, before it polls again.
    pub poll_interval: Duration,
    /// Whether the source ends at the first page that is not full (a batch run: export what is there now)
    /// rather than polling on for ever (a service).
    pub until_caught_up: bool,
}

impl PollSettings {
    /// Polls `table` by `watermark` and `tiebreaker`, pages of 1000 rows, every second when idle.
    pub fn table(table: &str, watermark: &str, tiebreaker: &str) -> Self {
        PollSettings {
            polled: Polled::Table(table.to_string()),
            watermark: watermark.to_string(),
            tiebreaker: tiebreaker.to_string(),
            page_size: 1000,
            poll_interval: Duration::from_secs(1),
            until_caught_up: false,
        }
    }
}

/// Polls a table or query incrementally: `ORDER BY watermark, tiebreaker LIMIT page` after the last row read,
/// each row one JSON record (see `json_row.rs`), each page one delivery. The cursor of a page (its last row's
/// watermark and tie-breaker) is stored in `fdi_watermarks` (see `watermark.rs`) when the run acknowledges the
/// page, that is once every record of it is durably written, filtered or dead-lettered; a restarted source
/// reads on from the stored cursor. Delivery is at least once: the pages after the stored cursor are read
/// again after a crash.
///
/// Rows whose watermark or tie-breaker is NULL are never read (they have no place in the order). A row that
/// commits with a watermark lower than one already read (a long transaction that took its id or timestamp
/// early) is not read either: the watermark must grow in commit order.
///
/// A lost connection is not an error of the run: the source waits (capped exponential backoff) and
/// reconnects; a watermark it could not store is stored at the next chance.
pub struct PostgresSource {
    name: Arc<str>,
    mapping: String,
    connection: PostgresConnection,
    server: String,
    settings: PollSettings,
    queries: PageQueries,
    client: Option<Connected>,
    /// The last row delivered.
    cursor: Option<Cursor>,
    /// Deliveries not acknowledged yet: their positions and cursors, oldest first.
    in_flight: InFlight<Cursor>,
    /// An acknowledged cursor not stored yet (the server was unreachable).
    unsaved: Option<Cursor>,
    /// The position of the next record: rows read by this process, from 1.
    next_position: Position,
    next_poll: Instant,
    backoff: Duration,
    /// Set when a source that ends once caught up has read its last page.
    caught_up: bool,
}

struct Connected {
    client: Client,
    first_page: Statement,
    next_page: Statement,
}

/// The page queries of a source and how they name and read each column.
#[derive(Debug)]
struct PageQueries {
    /// Without a cursor: the first rows.
    first_page: String,
    /// After a cursor (`$1`, `$2`: its watermark and tie-breaker as text).
    next_page: String,
    names: Vec<String>,
    reads: Vec<ColumnRead>,
}

impl PostgresSource {
    /// Connects (waiting on `io`), creates `fdi_watermarks` if missing, reads the cursor stored for source
    /// `name` of mapping `mapping`, and checks that the polled rows have the watermark and tie-breaker columns.
    pub fn open(
        name: &str,
        mapping: &str,
        connection: &PostgresConnection,
        settings: PollSettings,
        io: &Handle,
    ) -> Result<Self, RunError> {
        let server = connection.server();
        let fail = |action: &str, e: &tokio_postgres::Error| {
            PostgresError::client(ROLE, name, &server, action, e)
        };
        let (queries, cursor) = io.block_on(async {
            let client = connection.connect(ROLE, name, SESSION).await?;
            client
                .batch_execute(watermark::CREATE_TABLE)
                .await
                .map_err(|e| fail("create the table fdi_watermarks", &e))?;
            let cursor = watermark::load(&client, mapping, name)
                .await
                .map_err(|e| fail("read the stored watermark", &e))?;
            let queries = PageQueries::describe(&client, &settings)
                .await
                .map_err(|detail| {
                    PostgresError::fatal(ROLE, name, &server, "poll its rows", detail)
                })?;
            Ok::<_, PostgresError>((queries, cursor))
        })?;
        if let Some(cursor) = &cursor {
            tracing::info!(target: "fdi::postgres", source = name, watermark = %cursor.watermark, tiebreaker = %cursor.tiebreaker, "resuming after the stored watermark");
        }
        Ok(PostgresSource {
            name: Arc::from(name),
            mapping: mapping.to_string(),
            connection: connection.clone(),
            server,
            settings,
            queries,
            client: None,
            cursor,
            in_flight: InFlight::default(),
            unsaved: None,
            next_position: 1,
            next_poll: Instant::now(),
            backoff: Duration::from_millis(250),
            caught_up: false,
        })
    }

    /// Connects if it is not connected, and prepares the page queries.
    async fn connected(&mut self) -> Result<&Connected, PostgresError> {
        if self.client.as_ref().is_some_and(|c| c.client.is_closed()) {
            self.client = None;
        }
        if self.client.is_none() {
            let client = self.connection.connect(ROLE, &self.name, SESSION).await?;
            let fail = |e: &tokio_postgres::Error| {
                PostgresError::client(ROLE, &self.name, &self.server, "prepare the page query", e)
            };
            let first_page = client
                .prepare(&self.queries.first_page)
                .await
                .map_err(|e| fail(&e))?;
            let next_page = client
                .prepare(&self.queries.next_page)
                .await
                .map_err(|e| fail(&e))?;
            self.client = Some(Connected {
                client,
                first_page,
                next_page,
            });
        }
        Ok(self.client.as_ref().expect("connected above"))
    }

    /// The next page after the cursor: each row as the JSON object's text, and the cursor of its last row;
    /// `None` when there are no new rows (cancel-safe: nothing changes before the query's answer is in).
    async fn poll_page(&mut self) -> Result<Option<(Vec<String>, Cursor)>, PostgresError> {
        let limit = i64::from(self.settings.page_size.max(1));
        let cursor = self.cursor.clone();
        let (name, server) = (self.name.clone(), self.server.clone());
        let connected = self.connected().await?;
        let rows = match &cursor {
            None => {
                connected
                    .client
                    .query(&connected.first_page, &[&limit])
                    .await
            }
            Some(cursor) => {
                connected
                    .client
                    .query(
                        &connected.next_page,
                        &[&cursor.watermark, &cursor.tiebreaker, &limit],
                    )
                    .await
            }
        }
        .map_err(|e| PostgresError::client(ROLE, &name, &server, "poll its rows", &e))?;
        let queries = &self.queries;
        let columns = queries.names.len();
        let texts: Vec<String> = rows
            .iter()
            .map(|row| {
                let mut object = serde_json::Map::with_capacity(columns);
                for (index, (column, read)) in queries.names.iter().zip(&queries.reads).enumerate()
                {
                    object.insert(
                        column.clone(),
                        finish(*read, row.try_get::<_, PolledValue>(index)),
                    );
                }
                serde_json::Value::Object(object).to_string()
            })
            .collect();
        let Some(last) = rows.last() else {
            return Ok(None);
        };
        let read = |index: usize, what: &str| {
            last.try_get(index).map_err(|e| {
                PostgresError::client(ROLE, &name, &server, format!("read a row's {what}"), &e)
            })
        };
        let cursor = Cursor {
            watermark: read(columns, "watermark")?,
            tiebreaker: read(columns + 1, "tie-breaker")?,
        };
        Ok(Some((texts, cursor)))
    }

    /// Stores the acknowledged cursor that is waiting; a transient failure leaves it waiting.
    async fn store_unsaved(&mut self) -> Result<(), RunError> {
        let Some(cursor) = self.unsaved.clone() else {
            return Ok(());
        };
        let (mapping, name, server) =
            (self.mapping.clone(), self.name.clone(), self.server.clone());
        let stored = match self.connected().await {
            Ok(connected) => watermark::store(&connected.client, &mapping, &name, &cursor)
                .await
                .map_err(|e| {
                    PostgresError::client(ROLE, &name, &server, "store the watermark", &e)
                }),
            Err(error) => Err(error),
        };
        match stored {
            Ok(()) => {
                if self.unsaved.as_ref() == Some(&cursor) {
                    self.unsaved = None;
                }
                Ok(())
            }
            Err(error) if error.is_transient() => {
                tracing::warn!(target: "fdi::postgres", source = %self.name, %error, "the watermark waits to be stored");
                self.client = None;
                Ok(())
            }
            Err(error) => Err(error.into()),
        }
    }

    /// After a transient failure: wait longer before the next try (up to [`MAX_BACKOFF`]).
    fn back_off(&mut self, error: &PostgresError) {
        tracing::warn!(target: "fdi::postgres", source = %self.name, %error, retry_in = ?self.backoff, "server unreachable");
        self.client = None;
        self.next_poll = Instant::now() + self.backoff;
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
    }
}

/// The session the source reads in: instants in UTC and ISO text, so that a watermark's text reads back as
/// the same value whatever the server's defaults.
const SESSION: &[(&str, &str)] = &[("TimeZone", "UTC"), ("DateStyle", "ISO")];

impl PageQueries {
    /// Asks the server for the polled rows' columns and builds the page queries; an error says what is wrong
    /// with the settings (no such column, two columns of one name).
    async fn describe(client: &Client, settings: &PollSettings) -> Result<Self, String> {
        let base = match &settings.polled {
            Polled::Table(table) => format!("SELECT * FROM {}", TableName::parse(table).sql()),
            Polled::Query(query) => query.trim().trim_end_matches(';').to_string(),
        };
        let statement = client
            .prepare(&format!("SELECT * FROM ({base}) AS fdi_rows"))
            .await
            .map_err(|e| describe(&e))?;
        let columns = statement.columns();
        let names: Vec<String> = columns.iter().map(|c| c.name().to_string()).collect();
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(format!(
                    "the polled rows have two columns named {name}; give them distinct names (AS)"
                ));
            }
        }
        let type_of = |role: &str, column: &str| {
            columns
                .iter()
                .find(|c| c.name() == column)
                .map(|c| format!("{}.{}", quote(c.type_().schema()), quote(c.type_().name())))
                .ok_or_else(|| {
                    format!(
                        "the {role} column {column} is not among the polled columns ({})",
                        names.join(", ")
                    )
                })
        };
        let watermark_type = type_of("watermark", &settings.watermark)?;
        let tiebreaker_type = type_of("tie-breaker", &settings.tiebreaker)?;
        let reads: Vec<ColumnRead> = columns.iter().map(|c| ColumnRead::of(c.type_())).collect();
        let (watermark, tiebreaker) = (quote(&settings.watermark), quote(&settings.tiebreaker));
        let mut select: Vec<String> = names
            .iter()
            .zip(&reads)
            .map(|(name, read)| {
                let cast = if read.selected_as_text() {
                    "::text"
                } else {
                    ""
                };
                format!("fdi_rows.{}{cast}", quote(name))
            })
            .collect();
        select.push(format!("fdi_rows.{watermark}::text"));
        select.push(format!("fdi_rows.{tiebreaker}::text"));
        let query = |after: &str, limit: &str| {
            format!(
                "SELECT {} FROM ({base}) AS fdi_rows \
                 WHERE fdi_rows.{watermark} IS NOT NULL AND fdi_rows.{tiebreaker} IS NOT NULL{after} \
                 ORDER BY fdi_rows.{watermark}, fdi_rows.{tiebreaker} LIMIT {limit}",
                select.join(", ")
            )
        };
        Ok(PageQueries {
            first_page: query("", "$1"),
            next_page: query(
                &format!(
                    " AND (fdi_rows.{watermark}, fdi_rows.{tiebreaker}) > \
                     ($1::text::{watermark_type}, $2::text::{tiebreaker_type})"
                ),
                "$3",
            ),
            names,
            reads,
        })
    }
}

impl StreamSource for PostgresSource {
    fn name(&self) -> &str {
        &self.name
    }

    /// Cancel-safe: a watermark waiting to be stored stays waiting until its statement returned, the time of
    /// the next poll is kept in the source (a call dropped while it sleeps sleeps only the rest next time), and
    /// the cursor and positions move only after the page's query has answered, with no await left.
    async fn next(&mut self) -> Result<Option<Delivery>, RunError> {
        loop {
            if self.caught_up {
                return Ok(None);
            }
            self.store_unsaved().await?;
            tokio::time::sleep_until(self.next_poll).await;
            let page = match self.poll_page().await {
                Ok(page) => page,
                Err(error) if error.is_transient() => {
                    self.back_off(&error);
                    continue;
                }
                Err(error) => return Err(error.into()),
            };
            self.backoff = Duration::from_millis(250);
            let rows = page.as_ref().map_or(0, |(texts, _)| texts.len());
            let full = rows >= self.settings.page_size as usize;
            self.caught_up = !full && self.settings.until_caught_up;
            self.next_poll = if full {
                Instant::now()
            } else {
                Instant::now() + self.settings.poll_interval
            };
            let Some((texts, cursor)) = page else {
                continue;
            };
            let records: Vec<RawRecord> = texts
                .into_iter()
                .enumerate()
                .map(|(i, text)| {
                    RawRecord::json_line(self.name.clone(), self.next_position + i as u64, text)
                })
                .collect();
            let position = self.next_position + records.len() as u64 - 1;
            self.next_position = position + 1;
            self.cursor = Some(cursor.clone());
            self.in_flight.push(position, cursor);
            return Ok(Some(Delivery { records, position }));
        }
    }

    async fn acknowledge(&mut self, position: Position) -> Result<(), RunError> {
        if let Some(cursor) = self.in_flight.acknowledged(position).last() {
            self.unsaved = Some(cursor);
        }
        self.store_unsaved().await
    }
}
