//! The target's table: created if missing, else checked against the columns the records need.

use tokio_postgres::Client;

use super::row::type_name;
use crate::target::{Column, SqlType};

/// `name` as an SQL identifier: quoted, so that any name (mixed case, spaces, keywords) is taken literally.
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A table name as the mapping gives it: `table` or `schema.table`, each part quoted.
#[derive(Debug, Clone)]
pub(crate) struct TableName {
    pub schema: Option<String>,
    pub table: String,
}

impl TableName {
    pub fn parse(name: &str) -> Self {
        match name.split_once('.') {
            Some((schema, table)) => TableName {
                schema: Some(schema.to_string()),
                table: table.to_string(),
            },
            None => TableName {
                schema: None,
                table: name.to_string(),
            },
        }
    }

    /// The quoted name to use in statements.
    pub fn sql(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{}.{}", quote(schema), quote(&self.table)),
            None => quote(&self.table),
        }
    }
}

impl std::fmt::Display for TableName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.table),
            None => f.write_str(&self.table),
        }
    }
}

/// `CREATE TABLE IF NOT EXISTS` with a column per `columns` (NOT NULL unless nullable; `numeric` where
/// `numeric` says so) and the primary key on `keys`, if any.
pub(crate) fn create_table_sql(
    table: &TableName,
    columns: &[Column],
    numeric: &[bool],
    keys: &[&str],
) -> String {
    let mut parts: Vec<String> = columns
        .iter()
        .zip(numeric)
        .map(|(c, &numeric)| {
            let not_null = if c.nullable { "" } else { " NOT NULL" };
            format!(
                "{} {}{not_null}",
                quote(c.name),
                column_type(c.sql_type, numeric)
            )
        })
        .collect();
    if !keys.is_empty() {
        let keys: Vec<String> = keys.iter().map(|k| quote(k)).collect();
        parts.push(format!("PRIMARY KEY ({})", keys.join(", ")));
    }
    format!(
        "CREATE TABLE IF NOT EXISTS {} ({})",
        table.sql(),
        parts.join(", ")
    )
}

/// The columns of `table` as the server describes them: (name, data type), empty when there is no such
/// table.
pub(crate) async fn existing_columns(
    client: &Client,
    table: &TableName,
) -> Result<Vec<(String, String)>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = COALESCE($1, current_schema()) AND table_name = $2 \
             ORDER BY ordinal_position",
            &[&table.schema, &table.table],
        )
        .await?;
    Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
}

/// Whether `table` has a unique index (a PRIMARY KEY or UNIQUE constraint, not partial) on exactly the
/// columns `keys`, which an upsert's `ON CONFLICT (keys)` needs. The server would only say so when the first
/// batch is planned; asked here, it stops the run before anything is read.
pub(crate) async fn has_unique_key(
    client: &Client,
    table: &TableName,
    keys: &[&str],
) -> Result<bool, tokio_postgres::Error> {
    let mut keys: Vec<&str> = keys.to_vec();
    keys.sort_unstable();
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_index i              WHERE i.indrelid = $1::text::regclass AND i.indisunique AND i.indpred IS NULL              AND i.indnkeyatts = cardinality($2::text[])              AND (SELECT array_agg(a.attname::text ORDER BY a.attname::text) FROM pg_attribute a                   WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])) = $2::text[])",
            &[&table.sql(), &keys],
        )
        .await?;
    Ok(row.get(0))
}

/// The problems of an existing table: a column the records need that it lacks, or whose type cannot hold
/// the column's values exactly. Each says what was expected and what was found.
pub(crate) fn mismatches(
    columns: &[Column],
    numeric: &[bool],
    existing: &[(String, String)],
) -> Vec<String> {
    columns
        .iter()
        .zip(numeric)
        .filter_map(|(column, &numeric)| {
            let expected = column_type(column.sql_type, numeric);
            match existing.iter().find(|(name, _)| name == column.name) {
                None => Some(format!(
                    "column {} is missing (expected {expected})",
                    column.name
                )),
                Some((_, found)) if numeric && found != "numeric" => Some(format!(
                    "column {} is {found}, expected numeric (the mapping declares it numeric)",
                    column.name
                )),
                Some((_, found)) if !holds(column.sql_type, found) => Some(format!(
                    "column {} is {found}, expected {expected}",
                    column.name
                )),
                Some(_) => None,
            }
        })
        .collect()
}

/// The type a created column gets: `numeric` for a float column declared so, else the column's own.
fn column_type(sql_type: SqlType, numeric: bool) -> &'static str {
    if numeric {
        "numeric"
    } else {
        type_name(sql_type)
    }
}

/// Whether a column of PostgreSQL type `found` takes the values of `sql_type` exactly. Narrower integer
/// columns are accepted: a value that overflows one is refused by the server for its row alone (and
/// dead-lettered). A `timestamp without time zone` is not: it would silently drop the offset.
fn holds(sql_type: SqlType, found: &str) -> bool {
    match sql_type {
        SqlType::Text => matches!(found, "text" | "character varying" | "character"),
        SqlType::Integer => matches!(found, "bigint" | "integer" | "smallint" | "numeric"),
        SqlType::Real => matches!(found, "double precision" | "numeric"),
        SqlType::Boolean => found == "boolean",
        SqlType::Timestamp => found == "timestamp with time zone",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[Column] = &[
        Column {
            name: "Machine Code",
            sql_type: SqlType::Text,
            nullable: false,
        },
        Column {
            name: "at",
            sql_type: SqlType::Timestamp,
            nullable: true,
        },
    ];

    #[test]
    fn created_tables_quote_names_and_declare_the_key() {
        let sql = create_table_sql(
            &TableName::parse("mes.states"),
            COLUMNS,
            &[false, false],
            &["Machine Code"],
        );
        assert_eq!(
            sql,
            "CREATE TABLE IF NOT EXISTS \"mes\".\"states\" (\"Machine Code\" text NOT NULL, \
             \"at\" timestamp with time zone, PRIMARY KEY (\"Machine Code\"))"
        );
    }

    #[test]
    fn a_wrong_type_or_missing_column_says_what_was_expected() {
        let existing = vec![("at".to_string(), "timestamp without time zone".to_string())];
        assert_eq!(
            mismatches(COLUMNS, &[false, false], &existing),
            [
                "column Machine Code is missing (expected text)",
                "column at is timestamp without time zone, expected timestamp with time zone",
            ]
        );
    }
}
