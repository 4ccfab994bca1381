//! SQLite tables as a target.

use std::cell::Cell;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, ErrorCode, Statement};
use serde::Serialize;

use super::sql_row::BoundTexts;
use super::{check_writable, Column, Durable, Target};
use crate::error::RunError;
use crate::outcome::Reject;

/// One SQLite database file and its write transaction, shared by every target writing to that file.
///
/// SQLite allows one writer per database at a time, even in WAL mode. Two targets holding a connection each
/// would each keep a write transaction open between checkpoints and block each other (`SQLITE_BUSY`), so targets
/// on the same file share this one connection and one transaction, committed every `batch_size` records and on
/// flush.
pub struct SqliteDatabase {
    path: PathBuf,
    connection: Connection,
    batch_size: usize,
    in_transaction: Cell<bool>,
    uncommitted: Cell<usize>,
}

impl SqliteDatabase {
    /// Opens or creates the database file (and its parent directories) in WAL mode. `opened_for` names the target
    /// in error messages.
    pub fn open(path: &Path, batch_size: usize, opened_for: &str) -> Result<Rc<Self>, RunError> {
        crate::files::create_parent_dirs(path, &format!("database of target {opened_for}"))?;
        let fail = |action: &str, e| RunError::sqlite(opened_for, path, action, e);
        let connection = Connection::open(path).map_err(|e| fail("open the database", e))?;
        connection
            .query_row("PRAGMA journal_mode=WAL", [], |row| row.get::<_, String>(0))
            .map_err(|e| fail("switch the database to WAL mode", e))?;
        connection
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| fail("set the busy timeout", e))?;
        Ok(Rc::new(SqliteDatabase {
            path: path.to_path_buf(),
            connection,
            batch_size: batch_size.max(1),
            in_transaction: Cell::new(false),
            uncommitted: Cell::new(0),
        }))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn begin_if_needed(&self, target: &str) -> Result<(), RunError> {
        if !self.in_transaction.get() {
            self.connection
                // IMMEDIATE takes the write lock now: a database locked by another writer fails here, where no
                // transaction is open and the write can simply be tried again (see `is_transient`).
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(|e| RunError::sqlite(target, &self.path, "begin a transaction", e))?;
            self.in_transaction.set(true);
        }
        Ok(())
    }

    fn record_written(&self, target: &str) -> Result<(), RunError> {
        self.uncommitted.set(self.uncommitted.get() + 1);
        if self.uncommitted.get() >= self.batch_size {
            self.commit(target)?;
        }
        Ok(())
    }

    /// Whether `error` is the database being locked by another connection while this one has no transaction
    /// open (SQLite's view and ours agree): nothing written is at stake, and the write may be tried again.
    fn is_transient(&self, error: &RunError) -> bool {
        let locked = matches!(
            error,
            RunError::Sqlite { source, .. }
                if matches!(
                    source.sqlite_error_code(),
                    Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
                )
        );
        locked && !self.in_transaction.get() && self.connection.is_autocommit()
    }

    /// Commits the open transaction, if any: everything written so far is durable afterwards.
    pub fn commit(&self, target: &str) -> Result<(), RunError> {
        if self.in_transaction.get() {
            self.connection.execute_batch("COMMIT").map_err(|e| {
                RunError::sqlite(target, &self.path, "commit the open transaction", e)
            })?;
            self.in_transaction.set(false);
            self.uncommitted.set(0);
        }
        Ok(())
    }
}

self_cell::self_cell!(
    /// A target's insert, prepared once on its database's connection and held for the target's
    /// life. Finding it in rusqlite's statement cache instead hashes the whole SQL text on every
    /// record (about 6,000 instructions of an 18-column upsert, more than SQLite's own insert);
    /// rusqlite's `Statement` borrows the `Connection`, so the two are kept together here.
    struct PreparedInsert {
        owner: Rc<SqliteDatabase>,

        #[covariant]
        dependent: Statement,
    }
);

/// Writes records into one table: inserts, or upserts when the target has a key.
pub struct SqliteTarget<T> {
    name: String,
    insert: PreparedInsert,
    columns: &'static [Column],
    written: u64,
    /// The texts the insert's parameters hold (see `sql_row`).
    bound: BoundTexts,
    /// Whether records are bound straight from their fields (`sql_row`) when they can be;
    /// `false` only in the tests that compare that path with the general one.
    bind_fields: bool,
    _record: PhantomData<fn(&T)>,
}

impl<T> SqliteTarget<T> {
    /// Opens its own connection to `path` (see [`SqliteTarget::create`]). Targets of one run that share a file
    /// should share the database instead, as `Run::sqlite_target` does.
    pub fn open(
        name: &str,
        path: &Path,
        table: &str,
        columns: &'static [Column],
        keys: &[&str],
        batch_size: usize,
    ) -> Result<Self, RunError> {
        let database = SqliteDatabase::open(path, batch_size, name)?;
        Self::create(name, database, table, columns, keys)
    }

    /// Creates `table` if it is missing (`PRIMARY KEY` on `keys`), or checks that the existing table has every
    /// column, and prepares the insert (an upsert on `keys`, when there are keys).
    pub fn create(
        name: &str,
        database: Rc<SqliteDatabase>,
        table: &str,
        columns: &'static [Column],
        keys: &[&str],
    ) -> Result<Self, RunError> {
        if columns.is_empty() {
            return Err(RunError::Program(format!(
                "SQLite target {name} has no columns"
            )));
        }
        if let Some(key) = keys
            .iter()
            .find(|key| !columns.iter().any(|c| c.name == **key))
        {
            return Err(RunError::Program(format!(
                "SQLite target {name}: key {key} is not one of its columns"
            )));
        }
        let fail = |action: &str, e| RunError::sqlite(name, &database.path, action, e);
        let existing = existing_columns(&database.connection, table)
            .map_err(|e| fail(&format!("read the columns of table {table}"), e))?;
        if existing.is_empty() {
            database
                .connection
                .execute_batch(&create_table_sql(table, columns, keys))
                .map_err(|e| fail(&format!("create table {table}"), e))?;
        } else {
            let missing: Vec<String> = columns
                .iter()
                .filter(|c| !existing.iter().any(|e| e.eq_ignore_ascii_case(c.name)))
                .map(|c| c.name.to_string())
                .collect();
            if !missing.is_empty() {
                return Err(RunError::MissingColumns {
                    target: name.to_string(),
                    table: table.to_string(),
                    path: database.path.clone(),
                    missing,
                });
            }
        }
        let insert_sql = insert_sql(table, columns, keys);
        // Prepared now, so that a table without a unique constraint on the keys fails before any record is read.
        let prepare_failed = |e| {
            fail(
                &format!(
                    "prepare the insert into {table} (a table created elsewhere needs a PRIMARY KEY or UNIQUE \
                     constraint on its key columns)"
                ),
                e,
            )
        };
        let insert = PreparedInsert::try_new(Rc::clone(&database), |database| {
            database.connection.prepare(&insert_sql)
        })
        .map_err(prepare_failed)?;
        Ok(SqliteTarget {
            name: name.to_string(),
            insert,
            columns,
            written: 0,
            bound: BoundTexts::default(),
            bind_fields: true,
            _record: PhantomData,
        })
    }

    /// Records written so far (not all of them necessarily committed).
    pub fn written(&self) -> u64 {
        self.written
    }
}

impl<T> Durable for SqliteTarget<T> {
    fn name(&self) -> &str {
        &self.name
    }

    fn flush(&mut self) -> Result<(), RunError> {
        self.insert.borrow_owner().commit(&self.name)
    }

    fn is_transient(&self, error: &RunError) -> bool {
        self.insert.borrow_owner().is_transient(error)
    }
}

impl<T: Serialize> Target<T> for SqliteTarget<T> {
    fn write(&mut self, record: &T) -> Result<Result<(), Reject>, RunError> {
        // The usual record is bound field by field, straight from the record; one that is not
        // flat, holds a non-finite float, or does not list its fields as the table's columns
        // goes the general way, which also words the reject.
        let (columns, bound) = (self.columns, &mut self.bound);
        let bound_fields = self.bind_fields
            && self.insert.with_dependent_mut(|_, statement| {
                super::sql_row::bind_row(record, statement, columns, bound)
            });
        if !bound_fields {
            let values = match self.general_row(record)? {
                Ok(values) => values,
                Err(reject) => return Ok(Err(reject)),
            };
            self.bound.forget();
            let bound_values = self.insert.with_dependent_mut(|_, statement| {
                values
                    .iter()
                    .enumerate()
                    .try_for_each(|(i, value)| statement.raw_bind_parameter(i + 1, value))
            });
            let database = self.insert.borrow_owner();
            bound_values
                .map_err(|e| RunError::sqlite(&self.name, &database.path, "insert a record", e))?;
        }
        let name = &self.name;
        self.insert.borrow_owner().begin_if_needed(name)?;
        let executed = self
            .insert
            .with_dependent_mut(|_, statement| statement.raw_execute());
        let database = self.insert.borrow_owner();
        let fail = |action: &str, e| RunError::sqlite(name, &database.path, action, e);
        match executed {
            Ok(_) => {}
            // A constraint (NOT NULL, CHECK, a trigger's RAISE...) is about this record: reject it, keep going.
            Err(rusqlite::Error::SqliteFailure(e, message))
                if e.code == ErrorCode::ConstraintViolation =>
            {
                let detail = message.unwrap_or_else(|| e.to_string());
                return Ok(Err(
                    Reject::new("the database rejected the record").with_detail(detail)
                ));
            }
            Err(e) => return Err(fail("insert a record", e)),
        }
        self.written += 1;
        database.record_written(name)?;
        Ok(Ok(()))
    }
}

impl<T: Serialize> SqliteTarget<T> {
    /// The row's values by way of `serde_json::Value`, which handles any record and says what
    /// is wrong with one that cannot be stored.
    fn general_row(&self, record: &T) -> Result<Result<Vec<SqlValue>, Reject>, RunError> {
        if let Err(reject) = check_writable(record) {
            return Ok(Err(reject));
        }
        let object = match serde_json::to_value(record) {
            Ok(serde_json::Value::Object(object)) => object,
            Ok(_) => {
                return Err(RunError::Program(format!(
                    "SQLite target {}: its records do not serialize to an object",
                    self.name
                )))
            }
            Err(e) => {
                return Ok(Err(
                    Reject::new("record cannot be serialized").with_detail(e.to_string())
                ))
            }
        };
        let mut values = Vec::with_capacity(self.columns.len());
        for column in self.columns {
            match sql_value(object.get(column.name).unwrap_or(&serde_json::Value::Null)) {
                Ok(value) => values.push(value),
                Err(problem) => {
                    return Ok(Err(Reject::new("value cannot be stored")
                        .with_detail(format!("field {}: {problem}", column.name))))
                }
            }
        }
        Ok(Ok(values))
    }
}

/// The names of the columns of `table`, empty when the table does not exist.
fn existing_columns(connection: &Connection, table: &str) -> Result<Vec<String>, rusqlite::Error> {
    let mut statement = connection.prepare("SELECT name FROM pragma_table_info(?1)")?;
    let names = statement.query_map([table], |row| row.get::<_, String>(0))?;
    names.collect()
}

/// An SQL identifier in double quotes, with embedded quotes doubled.
fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| quote(name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn create_table_sql(table: &str, columns: &[Column], keys: &[&str]) -> String {
    let mut parts: Vec<String> = columns
        .iter()
        .map(|c| {
            let null = if c.nullable { "" } else { " NOT NULL" };
            format!("{} {}{null}", quote(c.name), c.sql_type.sql())
        })
        .collect();
    if !keys.is_empty() {
        parts.push(format!("PRIMARY KEY ({})", quoted_list(keys)));
    }
    format!(
        "CREATE TABLE IF NOT EXISTS {} ({})",
        quote(table),
        parts.join(", ")
    )
}

fn insert_sql(table: &str, columns: &[Column], keys: &[&str]) -> String {
    let names: Vec<&str> = columns.iter().map(|c| c.name).collect();
    let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
    let mut sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        quote(table),
        quoted_list(&names),
        placeholders.join(", ")
    );
    if !keys.is_empty() {
        let updates: Vec<String> = names
            .iter()
            .filter(|name| !keys.contains(name))
            .map(|name| format!("{0} = excluded.{0}", quote(name)))
            .collect();
        if updates.is_empty() {
            sql.push_str(&format!(" ON CONFLICT ({}) DO NOTHING", quoted_list(keys)));
        } else {
            sql.push_str(&format!(
                " ON CONFLICT ({}) DO UPDATE SET {}",
                quoted_list(keys),
                updates.join(", ")
            ));
        }
    }
    sql
}

/// A serialized field as an SQLite value: text, integer, real (finite: checked before), bool as 0/1, null;
/// nested arrays and objects are stored as JSON text.
fn sql_value(value: &serde_json::Value) -> Result<SqlValue, String> {
    use serde_json::Value;
    Ok(match value {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::String(text) => SqlValue::Text(text.clone()),
        Value::Number(number) => {
            if let Some(i) = number.as_i64() {
                SqlValue::Integer(i)
            } else if number.is_u64() {
                return Err(format!("{number} is out of the 64-bit integer range"));
            } else {
                SqlValue::Real(number.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::Array(_) | Value::Object(_) => SqlValue::Text(value.to_string()),
    })
}

#[cfg(test)]
#[path = "sqlite_tests.rs"]
mod tests;
