//! What a PostgreSQL failure that stops (or pauses) a run says, and which failures are transient or about
//! one row.

use std::io::ErrorKind;

/// A PostgreSQL failure that is not about one row. Its text names the target or source, the server (never
/// the password) and what was being done; [`PostgresError::is_transient`] says whether the same call may
/// succeed later (a lost connection, a server shutting down or not yet accepting connections).
#[derive(Debug, thiserror::Error)]
#[error("PostgreSQL {role} {name} ({server}): cannot {action}: {detail}")]
pub struct PostgresError {
    /// "target" or "source".
    pub role: &'static str,
    pub name: String,
    /// `user@host:port/dbname`.
    pub server: String,
    pub action: String,
    pub detail: String,
    transient: bool,
}

impl PostgresError {
    /// A failure that no retry fixes (a wrong column type, a missing privilege).
    pub fn fatal(
        role: &'static str,
        name: &str,
        server: &str,
        action: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        PostgresError {
            role,
            name: name.to_string(),
            server: server.to_string(),
            action: action.into(),
            detail: detail.into(),
            transient: false,
        }
    }

    /// The client's `error` while doing `action`, transient or not as [`is_transient`] decides.
    pub(crate) fn client(
        role: &'static str,
        name: &str,
        server: &str,
        action: impl Into<String>,
        error: &tokio_postgres::Error,
    ) -> Self {
        PostgresError {
            transient: is_transient(error),
            ..Self::fatal(role, name, server, action, describe(error))
        }
    }

    /// Whether trying the same call again later may succeed with nothing lost or written twice.
    pub fn is_transient(&self) -> bool {
        self.transient
    }
}

/// The server's own words for a database error (message, detail, hint, SQLSTATE), else the client's.
pub(crate) fn describe(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => {
            let mut text = db.message().to_string();
            if let Some(detail) = db.detail() {
                text.push_str(&format!(" ({detail})"));
            }
            if let Some(hint) = db.hint() {
                text.push_str(&format!("; hint: {hint}"));
            }
            text.push_str(&format!(" [SQLSTATE {}]", db.code().code()));
            text
        }
        None => {
            let mut text = error.to_string();
            let mut cause = std::error::Error::source(error);
            while let Some(inner) = cause {
                let inner_text = inner.to_string();
                if !text.contains(&inner_text) {
                    text.push_str(&format!(": {inner_text}"));
                }
                cause = inner.source();
            }
            text
        }
    }
}

/// A lost or refused connection, a server shutting down, starting up or out of connections, a
/// serialization failure or deadlock: the same statements may succeed later. A TLS certificate the client
/// does not trust is not transient.
pub(crate) fn is_transient(error: &tokio_postgres::Error) -> bool {
    if let Some(db) = error.as_db_error() {
        let code = db.code().code();
        return code.starts_with("08")
            || code.starts_with("57P")
            || matches!(code, "40001" | "40P01" | "53300");
    }
    if error.is_closed() {
        return true;
    }
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        if let Some(io) = inner.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                ErrorKind::ConnectionRefused
                    | ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::BrokenPipe
                    | ErrorKind::TimedOut
                    | ErrorKind::UnexpectedEof
                    | ErrorKind::NotConnected
                    | ErrorKind::AddrNotAvailable
                    | ErrorKind::HostUnreachable
                    | ErrorKind::NetworkUnreachable
                    | ErrorKind::NetworkDown
            ) && io.get_ref().is_none_or(|tls| !tls.is::<rustls::Error>());
        }
        cause = inner.source();
    }
    // The client says "timeout" for a connect timeout without an io::Error underneath.
    error.to_string().contains("timeout")
}

/// Whether `error` is about the row(s) of the statement rather than the connection or the schema: a
/// constraint (SQLSTATE class 23), a value the column cannot hold (class 22), an exception a trigger raised
/// (P0001). Such a row is dead-lettered; the other rows of its batch still go in.
pub(crate) fn is_about_rows(error: &tokio_postgres::Error) -> bool {
    error.as_db_error().is_some_and(|db| {
        let code = db.code().code();
        code.starts_with("23") || code.starts_with("22") || code == "P0001"
    })
}
