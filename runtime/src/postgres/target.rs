//! PostgreSQL tables as a target: the records of a checkpoint in one transaction.

use std::any::Any;
use std::marker::PhantomData;

use serde::Serialize;
use serde_json::value::RawValue;
use tokio::runtime::Handle;
use tokio_postgres::{Client, Statement};

use super::connection::PostgresConnection;
use super::error::{describe, is_about_rows, PostgresError};
use super::row::{row_of, row_of_json, Cells};
use super::schema::{create_table_sql, existing_columns, has_unique_key, mismatches, TableName};
use super::upsert::Upsert;
use crate::error::RunError;
use crate::outcome::Reject;
use crate::target::{check_writable, Column, Durable, Refusal, SqlType, Target};

const ROLE: &str = "target";

/// The table a PostgreSQL target writes, as the mapping declares it: `table` (or `schema.table`), the
/// record's `columns`, the `keys` it upserts on (none: plain inserts), and the `numeric` columns: `float`
/// fields kept as `numeric`, their values written as the shortest decimal that reads back as the same
/// float (`0.1`, not `0.1000000000000000055511151231257827`), so that a value the mapping rounded to
/// cents is stored as those cents. A `float` column of an existing table that is `numeric` is written so
/// too, declared or not.
#[derive(Debug, Clone, Copy)]
pub struct PostgresTable<'a> {
    pub table: &'a str,
    pub columns: &'static [Column],
    pub keys: &'a [&'a str],
    pub numeric: &'a [&'a str],
}

/// Writes records into one PostgreSQL table.
///
/// `write` only converts the record to its row (a value that does not fit its column is rejected there) and
/// buffers it; `flush` writes the buffered rows in ONE transaction, as upserts on the key (later writes of a
/// key win) or plain inserts without a key (see `upsert.rs`). Rows the database refuses are left out of the
/// commit and named by [`Durable::take_refused`]; the run dead-letters their originals.
///
/// A lost connection or a server shutting down fails the flush with a transient error: nothing is committed,
/// the rows stay buffered, and the run's retry calls `flush` again, which reconnects. If the connection is lost
/// while the commit is under way, the server may have committed: the retry then writes the same rows again,
/// which an upsert on the key makes harmless; a target without a key may then hold those rows twice.
pub struct PostgresTarget<T> {
    name: String,
    connection: PostgresConnection,
    server: String,
    io: Handle,
    upsert: Upsert,
    columns: &'static [Column],
    /// The open connection and the prepared batch statement; `None` after a transient failure.
    client: Option<(Client, Statement)>,
    pending: Vec<Cells>,
    refused: Vec<Refusal>,
    _record: PhantomData<fn(&T)>,
}

impl<T> PostgresTarget<T> {
    /// Connects (waiting on `io`), creates the table if missing (`PRIMARY KEY` on its keys) or checks the
    /// existing one against its columns, and prepares the batch statement, so that a table without a unique
    /// constraint on the key fails here, before anything is read.
    pub fn open(
        name: &str,
        connection: &PostgresConnection,
        declared: &PostgresTable<'_>,
        io: &Handle,
    ) -> Result<Self, RunError> {
        let (columns, keys) = (declared.columns, declared.keys);
        let server = connection.server();
        if columns.is_empty() {
            return Err(RunError::Program(format!(
                "PostgreSQL target {name} has no columns"
            )));
        }
        if let Some(key) = keys.iter().find(|k| !columns.iter().any(|c| c.name == **k)) {
            return Err(RunError::Program(format!(
                "PostgreSQL target {name}: key {key} is not one of its columns"
            )));
        }
        if let Some(column) = declared.numeric.iter().find(|n| {
            !columns
                .iter()
                .any(|c| c.name == **n && c.sql_type == SqlType::Real)
        }) {
            return Err(RunError::Program(format!(
                "PostgreSQL target {name}: numeric column {column} is not one of its float columns"
            )));
        }
        let table = TableName::parse(declared.table);
        let fail = |action: String, e: &tokio_postgres::Error| {
            PostgresError::client(ROLE, name, &server, action, e)
        };
        let (client, upsert) = io.block_on(async {
            let client = connection.connect(ROLE, name, &[]).await?;
            let existing = existing_columns(&client, &table)
                .await
                .map_err(|e| fail(format!("read the columns of table {table}"), &e))?;
            let numeric: Vec<bool> = columns
                .iter()
                .map(|c| {
                    c.sql_type == SqlType::Real
                        && (declared.numeric.contains(&c.name)
                            || existing.iter().any(|(n, t)| n == c.name && t == "numeric"))
                })
                .collect();
            if existing.is_empty() {
                client
                    .batch_execute(&create_table_sql(&table, columns, &numeric, keys))
                    .await
                    .map_err(|e| fail(format!("create table {table}"), &e))?;
            } else {
                let mut problems = mismatches(columns, &numeric, &existing);
                let keyed = keys.is_empty()
                    || has_unique_key(&client, &table, keys)
                        .await
                        .map_err(|e| fail(format!("read the keys of table {table}"), &e))?;
                if !keyed {
                    problems.push(format!(
                        "it has no PRIMARY KEY or UNIQUE constraint on exactly ({}), which the upsert on the \
                         target's key (ON CONFLICT) needs; add one",
                        keys.join(", ")
                    ));
                }
                if !problems.is_empty() {
                    return Err(PostgresError::fatal(
                        ROLE,
                        name,
                        &server,
                        format!("write table {table}"),
                        format!(
                            "{}; alter the table, or drop it so that it is created again",
                            problems.join("; ")
                        ),
                    ));
                }
            }
            let upsert = Upsert::new(&table, columns, &numeric, keys);
            let statement = client.prepare(upsert.sql()).await.map_err(|e| {
                fail(
                    format!(
                        "prepare the insert into {table} (a table created elsewhere needs a PRIMARY KEY or \
                         UNIQUE constraint on the target's key columns)"
                    ),
                    &e,
                )
            })?;
            Ok::<_, PostgresError>(((client, statement), upsert))
        })?;
        Ok(PostgresTarget {
            name: name.to_string(),
            connection: connection.clone(),
            server,
            io: io.clone(),
            upsert,
            columns,
            client: Some(client),
            pending: Vec::new(),
            refused: Vec::new(),
            _record: PhantomData,
        })
    }

    /// Writes the pending rows in one transaction; the refused rows' indices and errors when it committed.
    ///
    /// The whole batch goes first as one statement in a transaction of its own, without the savepoints of
    /// [`Upsert::write`] (two round trips fewer): nearly always the database takes every row. Only when it
    /// refuses the batch because of a row is that transaction rolled back and the batch written again, in a
    /// new one, by [`Upsert::write`], which finds the refused rows.
    async fn write_pending(
        client: &mut Client,
        statement: &Statement,
        upsert: &Upsert,
        rows: &[Cells],
    ) -> Result<Vec<super::upsert::RefusedRow>, tokio_postgres::Error> {
        let transaction = client.transaction().await?;
        match upsert
            .write_part(&transaction, statement, rows, 0..rows.len())
            .await
        {
            Ok(_) => {
                transaction.commit().await?;
                return Ok(Vec::new());
            }
            Err(error) if is_about_rows(&error) => transaction.rollback().await?,
            Err(error) => return Err(error),
        }
        let transaction = client.transaction().await?;
        let refused = upsert.write(&transaction, statement, rows).await?;
        transaction.commit().await?;
        Ok(refused)
    }

    /// Connects again after a transient failure (and prepares the batch statement).
    fn connected(&mut self) -> Result<(), PostgresError> {
        if self
            .client
            .as_ref()
            .is_some_and(|(client, _)| client.is_closed())
        {
            self.client = None;
        }
        if self.client.is_none() {
            let (connection, name, sql) = (&self.connection, &self.name, self.upsert.sql());
            let server = &self.server;
            let reconnected = self.io.block_on(async {
                let client = connection.connect(ROLE, name, &[]).await?;
                let statement = client.prepare(sql).await.map_err(|e| {
                    PostgresError::client(ROLE, name, server, "prepare the batch insert", &e)
                })?;
                Ok::<_, PostgresError>((client, statement))
            })?;
            tracing::info!(target: "fdi::postgres", target_name = %self.name, server = %self.server, "reconnected");
            self.client = Some(reconnected);
        }
        Ok(())
    }
}

impl<T> Durable for PostgresTarget<T> {
    fn name(&self) -> &str {
        &self.name
    }

    fn flush(&mut self) -> Result<(), RunError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.pending);
        let result = match self.connected() {
            Ok(_) => {
                let (client, statement) = self.client.as_mut().expect("connected");
                self.io
                    .block_on(Self::write_pending(client, statement, &self.upsert, &rows))
                    .map_err(|e| {
                        PostgresError::client(ROLE, &self.name, &self.server, "write a batch", &e)
                    })
            }
            Err(error) => Err(error),
        };
        match result {
            Ok(refused) => {
                self.refused = refused
                    .into_iter()
                    .map(|(write, error)| Refusal {
                        write,
                        reject: refusal_reject(&error),
                    })
                    .collect();
                Ok(())
            }
            Err(error) => {
                // Nothing was committed (or, if the commit's answer was lost, the retry's upsert repeats it):
                // the rows wait for the next flush, on a new connection.
                self.pending = rows;
                if error.is_transient() {
                    self.client = None;
                }
                Err(error.into())
            }
        }
    }

    fn refuses_on_flush(&self) -> bool {
        true
    }

    fn take_refused(&mut self) -> Vec<Refusal> {
        std::mem::take(&mut self.refused)
    }

    fn is_transient(&self, error: &RunError) -> bool {
        matches!(error, RunError::Postgres(e) if e.is_transient())
    }
}

impl<T: Serialize + 'static> Target<T> for PostgresTarget<T> {
    fn write(&mut self, record: &T) -> Result<Result<(), Reject>, RunError> {
        // A queue's forwarder hands over the record's JSON text, which holds no NaN and is read into the row
        // directly; any other record is checked and converted through its serialization.
        let row = match (record as &dyn Any).downcast_ref::<Box<RawValue>>() {
            Some(json) => row_of_json(json, self.columns),
            None => check_writable(record).and_then(|()| row_of(record, self.columns)),
        };
        match row {
            Ok(row) => {
                self.pending.push(row);
                Ok(Ok(()))
            }
            Err(reject) => Ok(Err(reject)),
        }
    }
}

/// What the dead letter says about a refused row: the reason names the constraint (a fixed text per rule,
/// which operators count by), the detail is the server's message about the row.
fn refusal_reject(error: &tokio_postgres::Error) -> Reject {
    let reason = match error.as_db_error() {
        Some(db) => match db.constraint() {
            Some(constraint) => format!("PostgreSQL refused the row: constraint {constraint}"),
            None => format!("PostgreSQL refused the row: SQLSTATE {}", db.code().code()),
        },
        None => "PostgreSQL refused the row".to_string(),
    };
    Reject::new(reason).with_detail(describe(error))
}
