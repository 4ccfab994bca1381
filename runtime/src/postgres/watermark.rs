//! Where a PostgreSQL source keeps its watermark: the table `fdi_watermarks` of the database it polls.
//!
//! In the same database rather than a local state file because the watermark describes that database's
//! rows: restoring the database from a backup restores the watermark with it, a program moved to another host
//! (or a container without a volume) resumes where it was, and a DBA can read, reset or move it with SQL.
//! The cost: the source's user needs to create that table once (or have a DBA create it) and write to it.

use tokio_postgres::Client;

/// Creates the watermark table if it is missing.
pub(crate) const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS fdi_watermarks (\
     mapping text NOT NULL, \
     source text NOT NULL, \
     watermark text NOT NULL, \
     tiebreaker text NOT NULL, \
     updated_at timestamp with time zone NOT NULL DEFAULT now(), \
     PRIMARY KEY (mapping, source))";

/// The last row acknowledged: its watermark and tie-breaker values, as the server's text for them (cast
/// back to their types in the page query, so nothing is lost on the way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub watermark: String,
    pub tiebreaker: String,
}

/// The stored cursor of source `source` of mapping `mapping`, if it has one.
pub(crate) async fn load(
    client: &Client,
    mapping: &str,
    source: &str,
) -> Result<Option<Cursor>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT watermark, tiebreaker FROM fdi_watermarks WHERE mapping = $1 AND source = $2",
            &[&mapping, &source],
        )
        .await?;
    Ok(row.map(|row| Cursor {
        watermark: row.get(0),
        tiebreaker: row.get(1),
    }))
}

/// Stores `cursor` as the one of source `source` of mapping `mapping` (one statement: durable when it
/// returns).
pub(crate) async fn store(
    client: &Client,
    mapping: &str,
    source: &str,
    cursor: &Cursor,
) -> Result<(), tokio_postgres::Error> {
    client
        .execute(
            "INSERT INTO fdi_watermarks (mapping, source, watermark, tiebreaker, updated_at) \
             VALUES ($1, $2, $3, $4, now()) \
             ON CONFLICT (mapping, source) DO UPDATE \
             SET watermark = EXCLUDED.watermark, tiebreaker = EXCLUDED.tiebreaker, updated_at = now()",
            &[&mapping, &source, &cursor.watermark, &cursor.tiebreaker],
        )
        .await?;
    Ok(())
}
