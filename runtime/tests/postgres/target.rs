//! The target on its own: batches, upserts, types, refused rows, tables that do not fit, lost connections.

use fdi_runtime::postgres::{PostgresConnection, PostgresTable, PostgresTarget, TlsMode};
use fdi_runtime::serde::Serialize;
use fdi_runtime::{Column, Durable, RunError, SqlType, Target, Timestamp};

use crate::support::{peer, Peer};

#[derive(Serialize)]
#[serde(crate = "fdi_runtime::serde")]
pub struct Count {
    pub machine: String,
    pub shift: i64,
    pub count: i64,
    pub load: f64,
}

pub const COUNT_COLUMNS: &[Column] = &[
    Column {
        name: "machine",
        sql_type: SqlType::Text,
        nullable: false,
    },
    Column {
        name: "shift",
        sql_type: SqlType::Integer,
        nullable: false,
    },
    Column {
        name: "count",
        sql_type: SqlType::Integer,
        nullable: false,
    },
    Column {
        name: "load",
        sql_type: SqlType::Real,
        nullable: false,
    },
];

pub const COUNT_KEYS: &[&str] = &["machine", "shift"];

/// The table `counts` of the counts, upserted on (machine, shift).
pub const COUNTS_TABLE: PostgresTable<'static> = PostgresTable {
    table: "counts",
    columns: COUNT_COLUMNS,
    keys: COUNT_KEYS,
    numeric: &[],
};

/// Record `i` of a run of counts: 100 machines, key (machine, shift) unique per `i`; loads exact in binary.
pub fn count(i: i64) -> Count {
    Count {
        machine: format!("M-{:03}", i % 100),
        shift: i / 100,
        count: i * 3,
        load: i as f64 / 8.0,
    }
}

fn open_counts(peer: &Peer, table: &str) -> Result<PostgresTarget<Count>, RunError> {
    PostgresTarget::open(
        "counts",
        &peer.connection("fdi-target-test"),
        &PostgresTable {
            table,
            columns: COUNT_COLUMNS,
            keys: COUNT_KEYS,
            numeric: &[],
        },
        peer.io.handle(),
    )
}

fn write_all(target: &mut PostgresTarget<Count>, records: impl Iterator<Item = Count>) {
    for record in records {
        target.write(&record).unwrap().unwrap();
    }
}

/// The table as text rows ordered by key, and the same rows computed from the records' generator.
pub fn stored_counts(peer: &Peer, table: &str) -> Vec<Vec<Option<String>>> {
    peer.rows(&format!(
        "SELECT machine, shift::text, count::text, load::text FROM {table} AS t ORDER BY t.machine, t.shift"
    ))
}

pub fn expected_counts(range: std::ops::Range<i64>) -> Vec<Vec<Option<String>>> {
    let mut rows: Vec<Count> = range.map(count).collect();
    rows.sort_by(|a, b| (&a.machine, a.shift).cmp(&(&b.machine, b.shift)));
    rows.iter()
        .map(|c| {
            vec![
                Some(c.machine.clone()),
                Some(c.shift.to_string()),
                Some(c.count.to_string()),
                Some(c.load.to_string()),
            ]
        })
        .collect()
}

#[test]
fn the_same_rows_written_twice_are_upserted_once_each() {
    let peer = peer();
    let mut target = open_counts(&peer, "counts").unwrap();
    for _ in 0..2 {
        write_all(&mut target, (0..10_000).map(count));
        target.flush().unwrap();
        assert!(target.take_refused().is_empty());
    }
    assert_eq!(peer.value("SELECT count(*) FROM counts"), "10000");
    assert_eq!(stored_counts(&peer, "counts"), expected_counts(0..10_000));

    // A later write of a key wins, also within one batch.
    target
        .write(&Count {
            count: -1,
            ..count(7)
        })
        .unwrap()
        .unwrap();
    target
        .write(&Count {
            count: -2,
            ..count(7)
        })
        .unwrap()
        .unwrap();
    target.flush().unwrap();
    assert_eq!(
        peer.value("SELECT count::text FROM counts WHERE machine = 'M-007' AND shift = 0"),
        "-2"
    );
    assert_eq!(peer.value("SELECT count(*) FROM counts"), "10000");
}

#[derive(Serialize)]
#[serde(crate = "fdi_runtime::serde")]
struct Reading {
    id: i64,
    name: Option<String>,
    value: Option<f64>,
    ok: Option<bool>,
    at: Option<Timestamp>,
}

const READING_COLUMNS: &[Column] = &[
    Column {
        name: "id",
        sql_type: SqlType::Integer,
        nullable: false,
    },
    Column {
        name: "name",
        sql_type: SqlType::Text,
        nullable: true,
    },
    Column {
        name: "value",
        sql_type: SqlType::Real,
        nullable: true,
    },
    Column {
        name: "ok",
        sql_type: SqlType::Boolean,
        nullable: true,
    },
    Column {
        name: "at",
        sql_type: SqlType::Timestamp,
        nullable: true,
    },
];

#[test]
fn every_type_round_trips_and_absent_values_are_null() {
    let peer = peer();
    let mut target: PostgresTarget<Reading> = PostgresTarget::open(
        "readings",
        &peer.connection("fdi-target-test"),
        &PostgresTable {
            table: "plant readings",
            columns: READING_COLUMNS,
            keys: &["id"],
            numeric: &[],
        },
        peer.io.handle(),
    )
    .unwrap();
    let records = [
        Reading {
            id: i64::MIN,
            name: Some("Ofen \"3\" — Zürich; DROP TABLE x".into()),
            value: Some(-1.5e-300),
            ok: Some(true),
            at: Some(Timestamp::parse("2026-12-06T22:00:00.123456+01:00").unwrap()),
        },
        Reading {
            id: i64::MAX,
            name: Some(String::new()),
            value: Some(0.1),
            ok: Some(false),
            at: Some(Timestamp::parse("1970-01-01T00:00:00Z").unwrap()),
        },
        Reading {
            id: 0,
            name: None,
            value: None,
            ok: None,
            at: None,
        },
    ];
    for record in &records {
        target.write(record).unwrap().unwrap();
    }
    target.flush().unwrap();
    let text = |s: &str| Some(s.to_string());
    assert_eq!(
        peer.rows(
            "SELECT id::text, name, value::text, ok::text, at::text FROM \"plant readings\" ORDER BY id"
        ),
        [
            vec![
                text("-9223372036854775808"),
                text("Ofen \"3\" — Zürich; DROP TABLE x"),
                text("-1.5e-300"),
                text("true"),
                text("2026-12-06 21:00:00.123456+00"),
            ],
            vec![text("0"), None, None, None, None],
            vec![
                text("9223372036854775807"),
                text(""),
                text("0.1"),
                text("false"),
                text("1970-01-01 00:00:00+00"),
            ],
        ]
    );
    let types = peer.rows(
        "SELECT column_name::text, data_type::text, is_nullable::text FROM information_schema.columns \
         WHERE table_name = 'plant readings' ORDER BY ordinal_position",
    );
    let types: Vec<String> = types
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r[0].as_deref().unwrap(),
                r[1].as_deref().unwrap(),
                r[2].as_deref().unwrap()
            )
        })
        .collect();
    assert_eq!(
        types,
        [
            "id bigint NO",
            "name text YES",
            "value double precision YES",
            "ok boolean YES",
            "at timestamp with time zone YES",
        ]
    );
}

#[test]
fn rows_the_database_refuses_are_named_and_the_rest_commits() {
    let peer = peer();
    peer.execute(
        "CREATE TABLE counts (machine text, shift bigint, count bigint NOT NULL CHECK (count % 7 <> 0), \
         load double precision NOT NULL, PRIMARY KEY (machine, shift))",
    );
    let mut target = open_counts(&peer, "counts").unwrap();
    // Writes 0..=9 are counts 0, 3, ..., 27; 0 (write 0), 21 (write 7) are multiples of 7. Write 10 sets key
    // of write 1 again, refused: the value of write 1 stays, as if written one by one.
    write_all(&mut target, (0..10).map(count));
    target
        .write(&Count {
            count: 14,
            ..count(1)
        })
        .unwrap()
        .unwrap();
    target.flush().unwrap();
    let refused = target.take_refused();
    let writes: Vec<usize> = refused.iter().map(|r| r.write).collect();
    assert_eq!(writes, [0, 7, 10]);
    assert_eq!(
        refused[0].reject.reason,
        "PostgreSQL refused the row: constraint counts_count_check"
    );
    let detail = refused[0].reject.detail.as_deref().unwrap();
    assert!(
        detail.contains("violates check constraint \"counts_count_check\""),
        "{detail}"
    );
    let expected: Vec<_> = expected_counts(0..10)
        .into_iter()
        .filter(|row| row[2].as_deref() != Some("0") && row[2].as_deref() != Some("21"))
        .collect();
    assert_eq!(stored_counts(&peer, "counts"), expected);
    assert!(target.take_refused().is_empty(), "asked once per flush");
}

#[test]
fn a_table_that_does_not_fit_stops_with_what_was_expected_and_found() {
    let peer = peer();
    peer.execute(
        "CREATE TABLE wrong_type (machine text, shift bigint, count text, load double precision, \
         PRIMARY KEY (machine, shift)); \
         CREATE TABLE missing (machine text, shift bigint, count bigint, PRIMARY KEY (machine, shift)); \
         CREATE TABLE no_key (machine text, shift bigint, count bigint, load double precision)",
    );
    let message = |table| match open_counts(&peer, table) {
        Ok(_) => panic!("table {table} was accepted"),
        Err(error) => error.to_string(),
    };
    let wrong = message("wrong_type");
    assert!(wrong.contains("PostgreSQL target counts"), "{wrong}");
    assert!(wrong.contains("write table wrong_type"), "{wrong}");
    assert!(
        wrong.contains("column count is text, expected bigint"),
        "{wrong}"
    );
    let missing = message("missing");
    assert!(
        missing.contains("column load is missing (expected double precision)"),
        "{missing}"
    );
    let no_key = message("no_key");
    assert!(
        no_key.contains("PRIMARY KEY or UNIQUE constraint"),
        "{no_key}"
    );
    assert!(no_key.contains("ON CONFLICT"), "{no_key}");
}

#[test]
fn a_connection_lost_in_the_middle_of_a_batch_is_transient_and_the_retry_writes_everything_once() {
    let peer = peer();
    let mut target = open_counts(&peer, "counts").unwrap();
    write_all(&mut target, (0..500).map(count));
    target.flush().unwrap();
    // The server ends the target's connection inside its next batch, once (a sequence is not rolled back).
    peer.execute(
        "CREATE SEQUENCE cuts; \
         CREATE FUNCTION cut_once() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           IF nextval('cuts') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF; \
           RETURN NULL; END $$; \
         CREATE TRIGGER cut_once BEFORE INSERT ON counts EXECUTE FUNCTION cut_once()",
    );
    write_all(&mut target, (500..1000).map(count));
    let error = target.flush().expect_err("the connection is gone");
    assert!(target.is_transient(&error), "{error}");
    assert!(
        error.to_string().contains("terminating connection"),
        "{error}"
    );
    assert_eq!(
        peer.value("SELECT count(*) FROM counts"),
        "500",
        "nothing of the batch committed"
    );
    target.flush().expect("reconnected");
    assert!(target.take_refused().is_empty());
    assert_eq!(stored_counts(&peer, "counts"), expected_counts(0..1000));
}

#[test]
fn tls_is_required_by_default_and_its_absence_is_not_retried() {
    let peer = peer();
    let mut connection: PostgresConnection = peer.connection("fdi-target-test");
    connection.tls.mode = TlsMode::VerifyFull;
    connection.password = Some("never-shown".into());
    let error = open_counts_with(&peer, &connection)
        .err()
        .expect("no TLS on the test server");
    let text = error.to_string();
    assert!(
        text.contains("the server does not offer TLS") && text.contains("set `tls = \"disable\"`"),
        "{text}"
    );
    assert!(!text.contains("never-shown"), "{text}");
    let target = open_counts(&peer, "counts").unwrap();
    assert!(!target.is_transient(&error), "{text}");
}

/// The counts target on the table `counts`, opened through `connection`.
pub fn open_counts_with(
    peer: &Peer,
    connection: &PostgresConnection,
) -> Result<PostgresTarget<Count>, RunError> {
    PostgresTarget::open("counts", connection, &COUNTS_TABLE, peer.io.handle())
}

#[derive(Serialize)]
#[serde(crate = "fdi_runtime::serde")]
struct Price {
    item: i64,
    amount: f64,
    weight: f64,
}

const PRICE_COLUMNS: &[Column] = &[
    Column {
        name: "item",
        sql_type: SqlType::Integer,
        nullable: false,
    },
    Column {
        name: "amount",
        sql_type: SqlType::Real,
        nullable: false,
    },
    Column {
        name: "weight",
        sql_type: SqlType::Real,
        nullable: false,
    },
];

fn open_prices(
    peer: &Peer,
    table: &str,
    numeric: &[&str],
) -> Result<PostgresTarget<Price>, RunError> {
    PostgresTarget::open(
        "prices",
        &peer.connection("fdi-target-test"),
        &PostgresTable {
            table,
            columns: PRICE_COLUMNS,
            keys: &["item"],
            numeric,
        },
        peer.io.handle(),
    )
}

/// Floats whose nearest `float8` conversion to `numeric` (15 significant digits) would differ from the
/// value, and ones that a binary fraction cannot hold exactly.
const AMOUNTS: &[f64] = &[
    0.1,
    12.35,
    -2.5,
    1e-7,
    123_456_789.123_456_79,
    0.1 + 0.2,
    1e21,
    f64::MAX,
];

#[test]
fn numeric_columns_hold_the_shortest_decimal_of_each_float() {
    let peer = peer();
    // Declared by the mapping: the created column is numeric. Declared by the table: a numeric
    // column the mapping did not name is written the same way.
    peer.execute("CREATE TABLE priced_by_dba (item bigint PRIMARY KEY, amount numeric, weight double precision)");
    for (table, numeric) in [("prices", &["amount"][..]), ("priced_by_dba", &[][..])] {
        let mut target = open_prices(&peer, table, numeric).unwrap();
        for (item, &amount) in AMOUNTS.iter().enumerate() {
            let record = Price {
                item: item as i64,
                amount,
                weight: amount,
            };
            target.write(&record).unwrap().unwrap();
        }
        target.flush().unwrap();
        let rows = peer.rows(&format!(
            "SELECT amount::text, pg_typeof(amount)::text, weight::float8::text FROM {table} ORDER BY item"
        ));
        for (row, amount) in rows.iter().zip(AMOUNTS) {
            assert_eq!(
                row[0].as_deref(),
                Some(amount.to_string().as_str()),
                "{table}"
            );
            assert_eq!(row[1].as_deref(), Some("numeric"), "{table}");
            // The double precision column reads back as the same float.
            let weight: f64 = row[2].as_deref().unwrap().parse().unwrap();
            assert_eq!(weight, *amount, "{table}");
        }
        assert_eq!(rows.len(), AMOUNTS.len());
    }
    // Declared numeric, but the table says double precision: the table does not fit.
    let error = match open_prices(&peer, "priced_by_dba", &["weight"]) {
        Ok(_) => panic!("a double precision column was taken for a numeric one"),
        Err(error) => error.to_string(),
    };
    assert!(
        error.contains("column weight is double precision, expected numeric"),
        "{error}"
    );
}
