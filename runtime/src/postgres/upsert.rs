//! The batch statement of a target and how a batch goes in, refused rows and all.
//!
//! A batch is ONE statement: every column's values as one array parameter, unnested into rows
//! (`INSERT INTO t (..) SELECT * FROM UNNEST($1::text[], $2::int8[], ..) ON CONFLICT (key) DO UPDATE ..`). Its
//! size does not depend on the number of rows (no 65,535-parameter limit, one plan), and at the batch sizes
//! checkpoints produce it measured as fast as or faster than COPY into a staging table and a merge, which wins
//! only single batches of 100,000 rows (see `docs/connectors/postgres.md`).

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::ops::Range;

use tokio_postgres::types::ToSql;
use tokio_postgres::{Statement, Transaction};

use super::error::is_about_rows;
use super::row::{array_type, Cell, Cells, KeyPart};
use super::schema::{quote, TableName};
use crate::target::{Column, SqlType};

/// The statement that writes a batch into one table, and what it needs to know about the rows.
#[derive(Debug)]
pub(crate) struct Upsert {
    sql: String,
    types: Vec<SqlType>,
    /// Per column: a float column written as `numeric` (sent as decimal text).
    numeric: Vec<bool>,
    /// The indices of the key columns in a row; empty for plain inserts.
    keys: Vec<usize>,
}

/// A row the database refused: its index in the batch and the server's error.
pub(crate) type RefusedRow = (usize, tokio_postgres::Error);

impl Upsert {
    /// The statement for `columns` of `table`: an upsert on `keys`, or a plain insert without keys. The keys
    /// are columns (checked by the caller). A float column marked in `numeric` is sent as the decimal text
    /// of each value and cast to `numeric`, which converts it exactly (a `float8` would convert with 15
    /// significant digits).
    pub fn new(table: &TableName, columns: &[Column], numeric: &[bool], keys: &[&str]) -> Self {
        let names: Vec<String> = columns.iter().map(|c| quote(c.name)).collect();
        let arrays: Vec<String> = columns
            .iter()
            .zip(numeric)
            .enumerate()
            .map(|(i, (c, &numeric))| match numeric {
                true => format!("${}::text[]::numeric[]", i + 1),
                false => format!("${}::{}", i + 1, array_type(c.sql_type)),
            })
            .collect();
        let mut sql = format!(
            "INSERT INTO {} ({}) SELECT * FROM UNNEST({})",
            table.sql(),
            names.join(", "),
            arrays.join(", ")
        );
        if !keys.is_empty() {
            let key_names: Vec<String> = keys.iter().map(|k| quote(k)).collect();
            let updates: Vec<String> = columns
                .iter()
                .filter(|c| !keys.contains(&c.name))
                .map(|c| format!("{0} = EXCLUDED.{0}", quote(c.name)))
                .collect();
            if updates.is_empty() {
                sql.push_str(&format!(
                    " ON CONFLICT ({}) DO NOTHING",
                    key_names.join(", ")
                ));
            } else {
                sql.push_str(&format!(
                    " ON CONFLICT ({}) DO UPDATE SET {}",
                    key_names.join(", "),
                    updates.join(", ")
                ));
            }
        }
        Upsert {
            sql,
            types: columns.iter().map(|c| c.sql_type).collect(),
            numeric: numeric.to_vec(),
            keys: keys
                .iter()
                .filter_map(|k| columns.iter().position(|c| c.name == *k))
                .collect(),
        }
    }

    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// Writes `rows` inside `transaction` and returns the rows the database refused (a constraint, a value
    /// its column cannot hold); every other row is written, in order, as if one by one.
    ///
    /// The whole batch goes as one statement under a savepoint. When the database refuses it because of a
    /// row, the savepoint is rolled back and the batch is split in halves, each tried the same way, down to
    /// single rows, which are the refused ones. Cost: nothing extra without refusals but the savepoint (two
    /// short round trips); with `k` refused rows among `n`, at most about `2·k·log2(n)` further statements,
    /// each re-sending its part of the batch (a batch of which every row is refused: `2n` statements). Any
    /// other error (the connection lost) is returned as it is, and the caller's transaction is not committed.
    pub async fn write(
        &self,
        transaction: &Transaction<'_>,
        statement: &Statement,
        rows: &[Cells],
    ) -> Result<Vec<RefusedRow>, tokio_postgres::Error> {
        let mut refused = Vec::new();
        // The parts still to write, the next on top: halves are pushed right first, so rows go in order.
        let mut parts: Vec<Range<usize>> = Vec::new();
        parts.push(0..rows.len());
        while let Some(part) = parts.pop() {
            if part.is_empty() {
                continue;
            }
            transaction.batch_execute("SAVEPOINT fdi_part").await?;
            match self
                .write_part(transaction, statement, rows, part.clone())
                .await
            {
                Ok(_) => {
                    transaction
                        .batch_execute("RELEASE SAVEPOINT fdi_part")
                        .await?
                }
                Err(error) if is_about_rows(&error) => {
                    transaction
                        .batch_execute("ROLLBACK TO SAVEPOINT fdi_part; RELEASE SAVEPOINT fdi_part")
                        .await?;
                    if part.len() == 1 {
                        refused.push((part.start, error));
                    } else {
                        let middle = part.start + part.len() / 2;
                        parts.push(middle..part.end);
                        parts.push(part.start..middle);
                    }
                }
                Err(error) => return Err(error),
            }
        }
        Ok(refused)
    }

    /// Writes the rows of `part` as one statement.
    pub async fn write_part(
        &self,
        transaction: &Transaction<'_>,
        statement: &Statement,
        rows: &[Cells],
        part: Range<usize>,
    ) -> Result<u64, tokio_postgres::Error> {
        let indices = self.last_per_key(rows, part);
        let arrays = self.arrays(rows, &indices);
        let params: Vec<&(dyn ToSql + Sync)> = arrays
            .iter()
            .map(|a| a.as_ref() as &(dyn ToSql + Sync))
            .collect();
        transaction.execute(statement, &params).await
    }

    /// The rows of `part` to send: with a key, only the last row of each key (one statement may not update
    /// a row twice, and writing them one by one would leave the last anyway).
    fn last_per_key(&self, rows: &[Cells], part: Range<usize>) -> Vec<usize> {
        if self.keys.is_empty() {
            return part.collect();
        }
        let mut seen: HashSet<RowKey<'_>, foldhash::fast::RandomState> =
            HashSet::with_capacity_and_hasher(part.len(), Default::default());
        let mut kept: Vec<usize> = part
            .rev()
            .filter(|&i| {
                seen.insert(RowKey {
                    row: &rows[i],
                    keys: &self.keys,
                })
            })
            .collect();
        kept.reverse();
        kept
    }

    /// One array per column holding the values of the rows `indices`.
    fn arrays<'r>(&self, rows: &'r [Cells], indices: &[usize]) -> Vec<Box<dyn ToSql + Sync + 'r>> {
        self.types
            .iter()
            .enumerate()
            .map(|(column, sql_type)| {
                let cells = indices.iter().map(move |&i| &rows[i][column]);
                let array: Box<dyn ToSql + Sync + 'r> = match sql_type {
                    // Rust prints a float as the shortest decimal that reads back as it.
                    SqlType::Real if self.numeric[column] => Box::new(
                        cells
                            .map(|c| match c {
                                Cell::Real(x) => Some(x.to_string()),
                                _ => None,
                            })
                            .collect::<Vec<_>>(),
                    ),
                    SqlType::Text => Box::new(
                        cells
                            .map(|c| match c {
                                Cell::Text(text) => Some(text.as_str()),
                                _ => None,
                            })
                            .collect::<Vec<_>>(),
                    ),
                    SqlType::Integer => Box::new(
                        cells
                            .map(|c| match c {
                                Cell::Integer(n) => Some(*n),
                                _ => None,
                            })
                            .collect::<Vec<_>>(),
                    ),
                    SqlType::Real => Box::new(
                        cells
                            .map(|c| match c {
                                Cell::Real(x) => Some(*x),
                                _ => None,
                            })
                            .collect::<Vec<_>>(),
                    ),
                    SqlType::Boolean => Box::new(
                        cells
                            .map(|c| match c {
                                Cell::Boolean(b) => Some(*b),
                                _ => None,
                            })
                            .collect::<Vec<_>>(),
                    ),
                    SqlType::Timestamp => Box::new(
                        cells
                            .map(|c| match c {
                                Cell::Timestamp(t) => Some(*t),
                                _ => None,
                            })
                            .collect::<Vec<_>>(),
                    ),
                };
                array
            })
            .collect()
    }
}

/// The key of a row (its cells in the key columns), compared and hashed as those cells' [`KeyPart`]s, without
/// collecting them.
struct RowKey<'r> {
    row: &'r Cells,
    keys: &'r [usize],
}

impl RowKey<'_> {
    fn parts(&self) -> impl Iterator<Item = KeyPart<'_>> {
        self.keys.iter().map(|&k| KeyPart::from(&self.row[k]))
    }
}

impl PartialEq for RowKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.parts().eq(other.parts())
    }
}

impl Eq for RowKey<'_> {}

impl Hash for RowKey<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for part in self.parts() {
            part.hash(state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[Column] = &[
        Column {
            name: "machine",
            sql_type: SqlType::Text,
            nullable: false,
        },
        Column {
            name: "count",
            sql_type: SqlType::Integer,
            nullable: true,
        },
    ];

    #[test]
    fn upserts_on_the_key_and_inserts_without_one() {
        let table = TableName::parse("counts");
        assert_eq!(
            Upsert::new(&table, COLUMNS, &[false, false], &["machine"]).sql(),
            "INSERT INTO \"counts\" (\"machine\", \"count\") SELECT * FROM UNNEST($1::text[], $2::int8[]) \
             ON CONFLICT (\"machine\") DO UPDATE SET \"count\" = EXCLUDED.\"count\""
        );
        assert!(!Upsert::new(&table, COLUMNS, &[false, false], &[])
            .sql()
            .contains("ON CONFLICT"));
        assert!(
            Upsert::new(&table, COLUMNS, &[false, false], &["machine", "count"])
                .sql()
                .ends_with("DO NOTHING")
        );
    }

    #[test]
    fn a_part_sends_the_last_row_of_each_key() {
        let upsert = Upsert::new(
            &TableName::parse("counts"),
            COLUMNS,
            &[false, false],
            &["machine"],
        );
        let row = |m: &str, n| vec![Cell::Text(m.into()), Cell::Integer(n)];
        let rows = vec![row("A", 1), row("B", 2), row("A", 3), row("C", 4)];
        assert_eq!(upsert.last_per_key(&rows, 0..4), [1, 2, 3]);
        assert_eq!(upsert.last_per_key(&rows, 0..2), [0, 1]);
    }

    #[test]
    fn the_rows_sent_are_those_that_collected_keys_pick() {
        const KEYED: &[Column] = &[
            Column {
                name: "machine",
                sql_type: SqlType::Text,
                nullable: true,
            },
            Column {
                name: "load",
                sql_type: SqlType::Real,
                nullable: true,
            },
            Column {
                name: "count",
                sql_type: SqlType::Integer,
                nullable: true,
            },
        ];
        let upsert = Upsert::new(
            &TableName::parse("counts"),
            KEYED,
            &[false, false, false],
            &["load", "machine"],
        );
        let texts = [Cell::Null, Cell::Text("A".into()), Cell::Text("B".into())];
        let reals = [
            Cell::Null,
            Cell::Real(0.0),
            Cell::Real(-0.0),
            Cell::Real(1.5),
        ];
        let rows: Vec<Cells> = (0..500_i64)
            .map(|i| {
                let i = i as usize;
                vec![
                    texts[(i * 7 / 3) % 3].clone(),
                    reals[(i * 5 / 2) % 4].clone(),
                    Cell::Integer(i as i64),
                ]
            })
            .collect();
        // The keys collected, as the rows of a part were picked before.
        let collected = |part: Range<usize>| {
            let mut seen = HashSet::new();
            let mut kept: Vec<usize> = part
                .rev()
                .filter(|&i| seen.insert([KeyPart::from(&rows[i][1]), KeyPart::from(&rows[i][0])]))
                .collect();
            kept.reverse();
            kept
        };
        for part in [0..500, 0..1, 3..17, 100..400, 499..500] {
            assert_eq!(upsert.last_per_key(&rows, part.clone()), collected(part));
        }
        assert_eq!(upsert.last_per_key(&rows, 0..500).len(), 12);
    }
}
