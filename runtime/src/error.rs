//! Fatal errors: the ones that stop a run.
//!
//! Per-record problems are never `RunError`s; they are [`Reject`](crate::Reject)s that end up in the dead
//! letter. A `RunError` means the run cannot go on safely (a file is missing, the database refuses to work, master
//! data is wrong), so its message names the file, table or source involved and says what to do about it.

use std::path::{Path, PathBuf};

/// An error that stops the run. Everything read before it is accounted for in the summary.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A file could not be opened, read, created or written.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What the run was doing, e.g. "open the input of source mill".
        action: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A CSV file is malformed in a way that stops reading it (bad header, I/O error inside the CSV reader).
    #[error("cannot read CSV {what} {path}: {detail}")]
    Csv {
        /// What the file is, e.g. "source mill" or "lookup machines".
        what: String,
        path: PathBuf,
        detail: String,
    },

    /// A CSV source's header lacks columns its entity requires: every record would be rejected, so the run stops
    /// when the source opens, before a record is read.
    #[error(
        "{0}; no record was read. Correct the file's header, or the schema (a field's `column:` names the \
         column it reads) and build the program again"
    )]
    MissingSourceColumns(crate::source::MissingColumns),

    /// SQLite refused an operation that is not about one record (open, create table, commit...).
    #[error("SQLite target {target} ({path}): cannot {action}: {source}")]
    Sqlite {
        target: String,
        path: PathBuf,
        /// What the target was doing, e.g. "commit the open transaction".
        action: String,
        /// Boxed: `rusqlite::Error` is large and would make every `Result<_, RunError>` large.
        #[source]
        source: Box<rusqlite::Error>,
    },

    /// An existing table does not have every column the target writes.
    #[error(
        "SQLite target {target}: table {table} in {path} has no column(s) {}; \
         add them (ALTER TABLE) or drop the table so that it is created again",
        missing.join(", ")
    )]
    MissingColumns {
        target: String,
        table: String,
        path: PathBuf,
        missing: Vec<String>,
    },

    /// A master-data row that does not decode: master data must be right before a line runs.
    #[error("lookup {lookup}: row {row} of {path} is not a valid {type_name}: {detail}; fix the master data")]
    BadMasterData {
        lookup: String,
        path: PathBuf,
        row: u64,
        type_name: String,
        detail: String,
    },

    /// Two master-data rows with the same key: the lookup would be ambiguous.
    #[error(
        "lookup {lookup}: key {key} appears in row {first_row} and again in row {row} of {path}; \
         keys must be unique, fix the master data"
    )]
    DuplicateKey {
        lookup: String,
        path: PathBuf,
        /// The key as the mapping would write it: `"MILL-01"`, or `("LINE-A", "M-1")`.
        key: String,
        first_row: u64,
        row: u64,
    },

    /// The run was asked for something the program does not have, e.g. `--source` with a name that is not one
    /// of the mapping's sources. Found before any file is touched; the command line exits with code 2.
    #[error("{0}")]
    Usage(String),

    /// The metrics and health endpoint could not be served (`--metrics-listen`).
    #[error("cannot serve metrics and health on {address}: {detail}; is another program using that port? choose another with --metrics-listen")]
    Listen {
        address: std::net::SocketAddr,
        detail: String,
    },

    /// A PostgreSQL target or source failed in a way that is not about one row (connect, create or check a
    /// table, commit); [`crate::postgres::PostgresError::is_transient`] says whether trying again may help.
    #[cfg(feature = "postgres")]
    #[error(transparent)]
    Postgres(#[from] crate::postgres::PostgresError),

    /// An HTTP target or source failed in a way that is not about one record (a refused credential, an
    /// endpoint that keeps failing or cannot be reached); [`crate::http::HttpError::is_transient`] says whether
    /// trying again may help. Boxed: it is larger than the other variants.
    #[cfg(feature = "http")]
    #[error(transparent)]
    Http(Box<crate::http::HttpError>),
    /// An OPC UA source or target failed in a way that is not about one record (connect, subscribe,
    /// a lost session); [`crate::opcua::OpcuaError::is_transient`] says whether trying again may help.
    #[cfg(feature = "opcua")]
    #[error(transparent)]
    Opcua(Box<crate::opcua::OpcuaError>),

    /// The generated program asked for something inconsistent (e.g. a key that is not a column). This is a
    /// compiler bug, not a data problem.
    #[error("invalid program: {0} (this is a bug in the fdi compiler, please report it)")]
    Program(String),

    /// A connector's peer failed the run: a broker that cannot be reached or does not acknowledge, a
    /// subscription or a publish it refused, a connection that ended. The message names the source or
    /// target and what the peer did; whether a retry may help is the connector's to say
    /// (`Durable::is_transient`).
    #[error("{0}")]
    Connector(String),

    /// An XML document that cannot be read whole (too big, not well-formed, not UTF-8), or a document an XML
    /// target cannot write (see `crate::xml`).
    #[error("cannot read XML {what} {path}: {detail}")]
    Xml {
        /// What the file is, e.g. "source orders" or "lookup materials".
        what: String,
        path: PathBuf,
        detail: String,
    },
}

impl RunError {
    /// An I/O error while doing `action` on `path`.
    pub fn io(action: impl Into<String>, path: &Path, source: std::io::Error) -> Self {
        RunError::Io {
            action: action.into(),
            path: path.to_path_buf(),
            source,
        }
    }

    /// An SQLite error of target `target` on the database `path` while doing `action`.
    pub fn sqlite(
        target: &str,
        path: &Path,
        action: impl Into<String>,
        source: rusqlite::Error,
    ) -> Self {
        RunError::Sqlite {
            target: target.to_string(),
            path: path.to_path_buf(),
            action: action.into(),
            source: Box::new(source),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_file_and_what_to_do() {
        let err = RunError::MissingColumns {
            target: "history".into(),
            table: "spindle_history".into(),
            path: PathBuf::from("/out/line.db"),
            missing: vec!["a".into(), "b".into()],
        };
        let text = err.to_string();
        assert!(text.contains("spindle_history"), "{text}");
        assert!(text.contains("/out/line.db"), "{text}");
        assert!(text.contains("a, b"), "{text}");
        assert!(text.contains("drop the table"), "{text}");

        let err = RunError::io(
            "open the input of source mill",
            Path::new("/data/x.csv"),
            std::io::Error::from(std::io::ErrorKind::NotFound),
        );
        assert!(err
            .to_string()
            .starts_with("cannot open the input of source mill /data/x.csv"));
    }
}
