use super::*;
use crate::target::SqlType;
use serde::Serialize;

#[derive(Serialize)]
struct Reading {
    equipment_id: String,
    sample_no: i64,
    load: f64,
    note: Option<String>,
    active: bool,
}

const COLUMNS: &[Column] = &[
    Column {
        name: "equipment_id",
        sql_type: SqlType::Text,
        nullable: false,
    },
    Column {
        name: "sample_no",
        sql_type: SqlType::Integer,
        nullable: false,
    },
    Column {
        name: "load",
        sql_type: SqlType::Real,
        nullable: false,
    },
    Column {
        name: "note",
        sql_type: SqlType::Text,
        nullable: false,
    },
    Column {
        name: "active",
        sql_type: SqlType::Integer,
        nullable: false,
    },
];

fn reading(sample_no: i64, load: f64) -> Reading {
    Reading {
        equipment_id: "MILL-01".into(),
        sample_no,
        load,
        note: Some("n".into()),
        active: true,
    }
}

fn rows(path: &Path) -> Vec<(String, i64, f64, i64)> {
    let connection = Connection::open(path).unwrap();
    let mut statement = connection
        .prepare("SELECT equipment_id, sample_no, load, active FROM spindle ORDER BY sample_no")
        .unwrap();
    let rows = statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

#[test]
fn upsert_keeps_one_row_with_the_last_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out/line.db");
    let mut target = SqliteTarget::<Reading>::open(
        "history",
        &path,
        "spindle",
        COLUMNS,
        &["equipment_id", "sample_no"],
        1000,
    )
    .unwrap();
    assert_eq!(target.write(&reading(1, 1.0)).unwrap(), Ok(()));
    assert_eq!(target.write(&reading(1, 2.5)).unwrap(), Ok(()));
    assert_eq!(target.write(&reading(2, 3.0)).unwrap(), Ok(()));
    target.flush().unwrap();
    assert_eq!(
        rows(&path),
        vec![("MILL-01".into(), 1, 2.5, 1), ("MILL-01".into(), 2, 3.0, 1)]
    );

    let connection = Connection::open(&path).unwrap();
    let ddl: String = connection
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'spindle'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        ddl.contains("PRIMARY KEY (\"equipment_id\", \"sample_no\")"),
        "{ddl}"
    );
    assert!(ddl.contains("\"load\" REAL NOT NULL"), "{ddl}");
    let mode: String = connection
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn without_keys_every_record_is_inserted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("line.db");
    let mut target =
        SqliteTarget::<Reading>::open("history", &path, "spindle", COLUMNS, &[], 1000).unwrap();
    target.write(&reading(1, 1.0)).unwrap().unwrap();
    target.write(&reading(1, 2.0)).unwrap().unwrap();
    target.flush().unwrap();
    assert_eq!(rows(&path).len(), 2);
}

#[test]
fn existing_table_missing_a_column_is_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("line.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE spindle (equipment_id TEXT, sample_no INTEGER, load REAL)")
        .unwrap();
    let err = SqliteTarget::<Reading>::open("history", &path, "spindle", COLUMNS, &[], 10)
        .err()
        .unwrap();
    match &err {
        RunError::MissingColumns { missing, table, .. } => {
            assert_eq!(missing, &vec!["note".to_string(), "active".to_string()]);
            assert_eq!(table, "spindle");
        }
        other => panic!("unexpected error {other}"),
    }
    assert!(err.to_string().contains("note, active"));
}

#[test]
fn existing_table_without_key_constraint_fails_early() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("line.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE spindle (equipment_id, sample_no, load, note, active)")
        .unwrap();
    let err =
        SqliteTarget::<Reading>::open("history", &path, "spindle", COLUMNS, &["sample_no"], 10)
            .err()
            .unwrap();
    assert!(err.to_string().contains("PRIMARY KEY or UNIQUE"), "{err}");
}

#[test]
fn nan_and_constraint_violations_are_rejects_not_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("line.db");
    let mut target =
        SqliteTarget::<Reading>::open("history", &path, "spindle", COLUMNS, &["sample_no"], 10)
            .unwrap();
    let reject = target.write(&reading(1, f64::NAN)).unwrap().unwrap_err();
    assert_eq!(reject.reason, "value is not a finite number");
    assert_eq!(reject.detail.as_deref(), Some("field load is NaN"));

    let mut no_note = reading(2, 1.0);
    no_note.note = None;
    let reject = target.write(&no_note).unwrap().unwrap_err();
    assert_eq!(reject.reason, "the database rejected the record");
    assert!(reject.detail.unwrap().contains("NOT NULL"));

    target.write(&reading(3, 1.0)).unwrap().unwrap();
    target.flush().unwrap();
    assert_eq!(rows(&path).len(), 1);
    assert_eq!(target.written(), 1);
}

#[test]
fn commits_every_batch_and_on_flush() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("line.db");
    let mut target =
        SqliteTarget::<Reading>::open("history", &path, "spindle", COLUMNS, &[], 2).unwrap();
    target.write(&reading(1, 1.0)).unwrap().unwrap();
    assert_eq!(rows(&path).len(), 0, "nothing is visible before a commit");
    target.write(&reading(2, 1.0)).unwrap().unwrap();
    assert_eq!(rows(&path).len(), 2, "the batch of 2 was committed");
    target.write(&reading(3, 1.0)).unwrap().unwrap();
    target.flush().unwrap();
    assert_eq!(rows(&path).len(), 3);
}

#[derive(Serialize)]
struct State {
    equipment_id: String,
    phase: String,
}

const STATE_COLUMNS: &[Column] = &[
    Column {
        name: "equipment_id",
        sql_type: SqlType::Text,
        nullable: false,
    },
    Column {
        name: "phase",
        sql_type: SqlType::Text,
        nullable: true,
    },
];

#[test]
fn two_targets_share_one_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("line.db");
    let database = SqliteDatabase::open(&path, 1000, "history").unwrap();
    let mut history = SqliteTarget::<Reading>::create(
        "history",
        database.clone(),
        "spindle",
        COLUMNS,
        &["sample_no"],
    )
    .unwrap();
    let mut states = SqliteTarget::<State>::create(
        "states",
        database,
        "state",
        STATE_COLUMNS,
        &["equipment_id"],
    )
    .unwrap();
    for i in 0..5 {
        history.write(&reading(i, 1.0)).unwrap().unwrap();
        let state = State {
            equipment_id: "MILL-01".into(),
            phase: format!("P{i}"),
        };
        states.write(&state).unwrap().unwrap();
    }
    history.flush().unwrap();
    states.flush().unwrap();
    assert_eq!(rows(&path).len(), 5);
    let phase: String = Connection::open(&path)
        .unwrap()
        .query_row("SELECT phase FROM state", [], |r| r.get(0))
        .unwrap();
    assert_eq!(phase, "P4");
}

#[test]
fn identifiers_are_quoted() {
    assert_eq!(quote("a\"b"), "\"a\"\"b\"");
    let sql = insert_sql("t", STATE_COLUMNS, &["equipment_id"]);
    assert_eq!(
        sql,
        "INSERT INTO \"t\" (\"equipment_id\", \"phase\") VALUES (?1, ?2) \
         ON CONFLICT (\"equipment_id\") DO UPDATE SET \"phase\" = excluded.\"phase\""
    );
    assert!(insert_sql("t", STATE_COLUMNS, &["equipment_id", "phase"]).ends_with("DO NOTHING"));
}
