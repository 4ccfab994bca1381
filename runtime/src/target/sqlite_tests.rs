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

/// A record with every kind of field the fast path binds, and the ones it leaves to the general
/// path: a nested list, a field skipped when absent, integers beyond SQLite's, non-finite floats.
#[derive(Serialize)]
struct Sample {
    seq: i64,
    part: &'static str,
    operator: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    batch: Option<&'static str>,
    count: u64,
    small: u8,
    load: f64,
    ratio: f32,
    ok: bool,
    grade: char,
    phase: Phase,
    at: crate::time::Timestamp,
    tags: Option<Vec<&'static str>>,
}

#[derive(Serialize, Clone, Copy)]
enum Phase {
    #[serde(rename = "SETUP")]
    Setup,
    #[serde(rename = "RUN")]
    Run,
}

const fn sample_column(name: &'static str, sql_type: SqlType, nullable: bool) -> Column {
    Column {
        name,
        sql_type,
        nullable,
    }
}

const SAMPLE_COLUMNS: &[Column] = &[
    sample_column("seq", SqlType::Integer, false),
    sample_column("part", SqlType::Text, false),
    // NOT NULL: a record without an operator is the database's reject.
    sample_column("operator", SqlType::Text, false),
    sample_column("batch", SqlType::Text, true),
    sample_column("count", SqlType::Integer, false),
    sample_column("small", SqlType::Integer, false),
    sample_column("load", SqlType::Real, false),
    sample_column("ratio", SqlType::Real, false),
    sample_column("ok", SqlType::Integer, false),
    sample_column("grade", SqlType::Text, false),
    sample_column("phase", SqlType::Text, false),
    sample_column("at", SqlType::Timestamp, false),
    sample_column("tags", SqlType::Text, true),
];

/// A seeded generator of samples whose texts repeat from record to record, as a part's or a
/// machine's do, and whose every tenth or so record needs the general path or is rejected.
struct Samples(u64);

impl Samples {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[(self.next() % from.len() as u64) as usize]
    }

    fn sample(&mut self, seq: i64) -> Sample {
        let odd = self.next() % 40;
        let at = 1_700_000_000 + (self.next() % 4) as i64 * 60;
        Sample {
            // A few sequence numbers repeat: the upsert replaces their rows.
            seq: seq % 900,
            part: self.pick(&["04012345100495", "04012345100358", "ü-Teil ✓", ""]),
            operator: self.pick(&[Some("OP-0001"), Some("OP-0002"), None, Some("OP-0001")]),
            batch: if odd == 1 {
                None
            } else {
                Some(self.pick(&["B1", "B2"]))
            },
            count: if odd == 2 {
                u64::MAX
            } else {
                self.next() % 1000
            },
            small: self.pick(&[0, 7, 255]),
            load: match odd {
                3 => f64::NAN,
                4 => f64::INFINITY,
                _ => self.pick(&[0.1, -2.5, 1e300, 0.0]),
            },
            ratio: self.pick(&[0.5, 1.25]),
            ok: self.next().is_multiple_of(2),
            grade: self.pick(&['A', 'ß', '✓']),
            phase: self.pick(&[Phase::Setup, Phase::Run]),
            at: crate::time::Timestamp::from_datetime(
                chrono::DateTime::from_timestamp(at, 0).unwrap(),
            )
            .unwrap(),
            tags: (odd == 5).then(|| vec!["hot", "late"]),
        }
    }
}

fn all_rows(path: &Path, table: &str) -> Vec<Vec<SqlValue>> {
    let connection = Connection::open(path).unwrap();
    let mut statement = connection
        .prepare(&format!("SELECT * FROM {} ORDER BY 1", quote(table)))
        .unwrap();
    let width = statement.column_count();
    let rows = statement
        .query_map([], |r| (0..width).map(|i| r.get(i)).collect())
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

/// Writes the same records through a target binding each record's fields and through one that
/// takes the general path for every record: the outcomes and the tables must be the same.
fn fast_and_general_agree<T: Serialize>(
    columns: &'static [Column],
    keys: &[&str],
    records: impl Iterator<Item = T>,
) -> (usize, usize) {
    let dir = tempfile::tempdir().unwrap();
    let open = |file: &str| {
        let path = dir.path().join(file);
        let target = SqliteTarget::<T>::open("samples", &path, "samples", columns, keys, 97);
        (path, target.unwrap())
    };
    let (fast_path, mut fast) = open("fast.db");
    let (general_path, mut general) = open("general.db");
    general.bind_fields = false;
    let (mut written, mut rejected) = (0, 0);
    for (i, record) in records.enumerate() {
        let outcome = fast.write(&record).unwrap();
        assert_eq!(outcome, general.write(&record).unwrap(), "record {i}");
        match outcome {
            Ok(()) => written += 1,
            Err(_) => rejected += 1,
        }
    }
    fast.flush().unwrap();
    general.flush().unwrap();
    let rows = all_rows(&fast_path, "samples");
    assert!(!rows.is_empty());
    assert_eq!(rows, all_rows(&general_path, "samples"));
    (written, rejected)
}

#[test]
fn binding_fields_writes_what_the_general_path_writes() {
    for keys in [&["seq"][..], &[]] {
        let mut samples = Samples(0x5eed_0017);
        let records = (0..4000).map(|seq| samples.sample(seq));
        let (written, rejected) = fast_and_general_agree(SAMPLE_COLUMNS, keys, records);
        // Both paths were taken, and both kinds of reject were met.
        assert!(
            written > 2500 && rejected > 800,
            "{written} written, {rejected} rejected"
        );
    }
}

#[test]
fn binding_fields_writes_provenance_as_the_general_path_does() {
    use crate::provenance::{Provenance, Traced, COLUMNS as PROVENANCE};
    use std::sync::Arc;
    static TRACED_COLUMNS: std::sync::OnceLock<Vec<Column>> = std::sync::OnceLock::new();
    let columns = TRACED_COLUMNS.get_or_init(|| {
        let mut columns = SAMPLE_COLUMNS.to_vec();
        columns.extend(PROVENANCE);
        columns
    });
    let mut samples = Samples(42);
    let sources: [Arc<str>; 2] = [Arc::from("measurements"), Arc::from("rework")];
    let records = (0..3000).map(|seq| {
        let record = samples.sample(seq);
        let source_time = record.at;
        Traced {
            record,
            provenance: Provenance {
                source: sources[(seq % 7 == 0) as usize].clone(),
                stream: (seq % 5 == 0).then(|| Arc::from("topic/1")),
                position: seq as u64 + 2,
                source_time,
                flow: if seq % 3 == 0 { "to_spc" } else { "rework" },
                mapping_sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            },
        }
    });
    fast_and_general_agree(columns, &["seq"], records);
}
