//! Whole runs, as a generated program drives them: a file into a table that refuses some rows, and a table
//! into another table through a lost connection and a restart.

use std::path::Path;
use std::time::Duration;

use fdi_runtime::postgres::{PollSettings, PostgresConnection, PostgresTable};
use fdi_runtime::serde::{Deserialize, Serialize};
use fdi_runtime::serde_json::{json, Value};
use fdi_runtime::settings::Settings;
use fdi_runtime::{
    Column, FlowId, MapOutcome, ProgramInfo, RawRecord, Run, RunConfig, RunError, RunSummary,
    SqlType, Timestamp,
};

use crate::support::{peer, Peer};
use crate::target::{count, Count, COUNTS_TABLE};

fn program(mapping: &'static str, sources: &'static [&'static str]) -> ProgramInfo {
    ProgramInfo {
        mapping,
        version: "1.0.0",
        mapping_dir: None,
        dead_letter: "out/dead-letter.jsonl",
        service: false,
        sources,
        lookups: &[],
        connections: &[],
        manifest: &fdi_runtime::Manifest::UNKNOWN,
    }
}

/// A run in `base` that checkpoints every `every` records and retries an unreachable target for a minute.
fn start(program: &ProgramInfo, base: &Path, every: usize) -> Run {
    let mut config = RunConfig {
        base_dir: base.to_path_buf(),
        checkpoint_every: every,
        ..RunConfig::new(program)
    };
    config.operations.retry_targets_for = Duration::from_secs(60);
    Run::new(program, config).unwrap()
}

fn dead_letter(base: &Path) -> Vec<Value> {
    std::fs::read_to_string(base.join("out/dead-letter.jsonl"))
        .unwrap()
        .lines()
        .map(|line| fdi_runtime::serde_json::from_str(line).unwrap())
        .collect()
}

/// The map function of a flow whose source records are the target's records.
fn copy_flow<T>(
    flow: FlowId<T>,
    type_name: &'static str,
) -> impl FnMut(&mut Run, &RawRecord) -> Result<(), RunError>
where
    T: for<'de> Deserialize<'de> + 'static,
{
    move |run, raw| {
        if let Some(record) = run.decode::<T>(raw, type_name)? {
            run.deliver(flow, raw, MapOutcome::Mapped(record))?;
        }
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
#[serde(crate = "fdi_runtime::serde")]
struct CountIn {
    machine: String,
    shift: i64,
    count: i64,
    load: f64,
}

/// The map function of the counts flow: each JSON line is a count, written as it is.
fn count_flow(flow: FlowId<Count>) -> impl FnMut(&mut Run, &RawRecord) -> Result<(), RunError> {
    move |run, raw| {
        if let Some(c) = run.decode::<CountIn>(raw, "Count")? {
            let record = Count {
                machine: c.machine,
                shift: c.shift,
                count: c.count,
                load: c.load,
            };
            run.deliver(flow, raw, MapOutcome::Mapped(record))?;
        }
        Ok(())
    }
}

#[test]
fn rows_a_check_constraint_refuses_are_dead_lettered_with_their_originals_and_the_rest_is_written()
{
    let peer = peer();
    peer.execute(
        "CREATE TABLE counts (machine text, shift bigint, count bigint NOT NULL CHECK (count % 7 <> 0), \
         load double precision NOT NULL, PRIMARY KEY (machine, shift))",
    );
    let dir = tempfile::tempdir().unwrap();
    let lines: String = (0..1000)
        .map(|i| fdi_runtime::serde_json::to_string(&count(i)).unwrap() + "\n")
        .collect();
    std::fs::write(dir.path().join("counts.jsonl"), lines).unwrap();
    let program = program("counts_to_mes", &["counts"]);
    let mut run = start(&program, dir.path(), 100);
    let source = run.jsonl_source("counts", "counts.jsonl").unwrap();
    let target = run
        .connect_postgres_target::<Count>("mes", &peer.connection("fdi-run-test"), &COUNTS_TABLE)
        .unwrap();
    let flow = run.flow("counts", "counts", target);
    run.source(source, count_flow(flow));
    run.drive().unwrap();

    // count = 3i is a multiple of 7 exactly when i is.
    let refused: Vec<i64> = (0..1000).filter(|i| i % 7 == 0).collect();
    let summary = run.summary();
    let flow = &summary.flows[0];
    assert_eq!(
        (flow.read, flow.written, flow.rejected),
        (1000, 1000 - refused.len() as u64, refused.len() as u64)
    );
    assert!(flow.balanced);
    let dead = dead_letter(dir.path());
    let originals: Vec<Value> = dead.iter().map(|d| d["record"].clone()).collect();
    let expected: Vec<Value> = refused
        .iter()
        .map(|&i| fdi_runtime::serde_json::to_value(count(i)).unwrap())
        .collect();
    assert_eq!(originals, expected);
    assert_eq!(dead[0]["stage"], json!("write"));
    assert_eq!(
        dead[0]["reason"],
        json!("PostgreSQL refused the row: constraint counts_count_check")
    );
    let stored: Vec<i64> = peer
        .rows("SELECT count FROM counts ORDER BY count")
        .into_iter()
        .map(|r| r[0].as_deref().unwrap().parse().unwrap())
        .collect();
    let written: Vec<i64> = (0..1000).filter(|i| i % 7 != 0).map(|i| i * 3).collect();
    assert_eq!(stored, written);
}

#[derive(Serialize, Deserialize)]
#[serde(crate = "fdi_runtime::serde")]
struct Order {
    id: i64,
    made_at: Timestamp,
    machine: String,
    qty: i64,
    rush: Option<bool>,
}

const ORDER_COLUMNS: &[Column] = &[
    Column {
        name: "id",
        sql_type: SqlType::Integer,
        nullable: false,
    },
    Column {
        name: "made_at",
        sql_type: SqlType::Timestamp,
        nullable: false,
    },
    Column {
        name: "machine",
        sql_type: SqlType::Text,
        nullable: false,
    },
    Column {
        name: "qty",
        sql_type: SqlType::Integer,
        nullable: false,
    },
    Column {
        name: "rush",
        sql_type: SqlType::Boolean,
        nullable: true,
    },
];

const ORDERS: ProgramInfo = ProgramInfo {
    mapping: "orders_to_mes",
    version: "1.0.0",
    mapping_dir: None,
    dead_letter: "out/dead-letter.jsonl",
    service: false,
    sources: &["erp_orders"],
    lookups: &[],
    connections: &["erp"],
    manifest: &fdi_runtime::Manifest::UNKNOWN,
};

/// Orders `ids` in the ERP table: every tenth shares its timestamp with the next ones, every third is a rush
/// order, every fifth says nothing about it.
fn insert_orders(peer: &Peer, ids: std::ops::RangeInclusive<i64>) {
    peer.execute(&format!(
        "CREATE TABLE IF NOT EXISTS erp_orders (id bigint PRIMARY KEY, made_at timestamptz NOT NULL, \
         machine text NOT NULL, qty bigint NOT NULL, rush boolean); \
         INSERT INTO erp_orders SELECT id, timestamptz '2026-12-01 00:00:00+00' + (id / 10) * interval '1 minute', \
         'M-' || (id % 17), id * 2, CASE WHEN id % 5 = 0 THEN NULL ELSE id % 3 = 0 END \
         FROM generate_series({}, {}) AS id",
        ids.start(),
        ids.end()
    ));
}

/// The rows the MES table must hold for orders `ids`, computed from the rule above.
fn expected_orders(ids: std::ops::RangeInclusive<i64>) -> Vec<Vec<Option<String>>> {
    ids.map(|id| {
        let minutes = id / 10;
        vec![
            Some(id.to_string()),
            Some(format!(
                "2026-12-{:02} {:02}:{:02}:00+00",
                1 + minutes / 1440,
                minutes % 1440 / 60,
                minutes % 60
            )),
            Some(format!("M-{}", id % 17)),
            Some((id * 2).to_string()),
            (id % 5 != 0).then(|| (id % 3 == 0).to_string()),
        ]
    })
    .collect()
}

/// One run of the orders mapping until it has caught up; `cut_at` cuts every connection of the run (source
/// and target) when that many records have been mapped.
fn run_orders(peer: &Peer, base: &Path, cut_at: Option<u64>) -> RunSummary {
    // The connection's settings come from the deployment's config file, as a generated program's do.
    let config = base.join("line.toml");
    std::fs::write(
        &config,
        format!(
            "[connections.erp]\nhost = \"{}\"\nport = {}\nusername = \"{}\"\ndatabase = \"{}\"\n\
             tls = \"disable\"\napplication_name = \"fdi-orders\"\n",
            peer.server.host(),
            peer.server.port(),
            peer.server.user(),
            peer.server.database()
        ),
    )
    .unwrap();
    let mut config = RunConfig {
        base_dir: base.to_path_buf(),
        checkpoint_every: 1000,
        settings: Settings::load(Some(&config), ORDERS.connections, []).unwrap(),
        ..RunConfig::new(&ORDERS)
    };
    config.operations.retry_targets_for = Duration::from_secs(60);
    let mut run = Run::new(&ORDERS, config).unwrap();
    let connection = PostgresConnection::from_settings(run.connection("erp").unwrap()).unwrap();
    let target = run
        .connect_postgres_target::<Order>(
            "mes_orders",
            &connection,
            &PostgresTable {
                table: "mes_orders",
                columns: ORDER_COLUMNS,
                keys: &["id"],
                numeric: &[],
            },
        )
        .unwrap();
    let flow = run.flow("orders", "erp_orders", target);
    let settings = PollSettings {
        page_size: 700,
        poll_interval: Duration::from_millis(50),
        until_caught_up: true,
        ..PollSettings::table("erp_orders", "made_at", "id")
    };
    let mut copy = copy_flow(flow, "Order");
    let mut admin = peer.client();
    let mut mapped = 0;
    let source = run
        .connect_postgres_source("erp_orders", &connection, settings)
        .unwrap();
    run.source(source, move |run: &mut Run, raw: &RawRecord| {
        mapped += 1;
        if Some(mapped) == cut_at {
            let cut = admin
                .execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'fdi-orders'",
                    &[],
                )
                .unwrap();
            assert_eq!(cut, 2, "the source's and the target's connections");
        }
        copy(run, raw)
    });
    run.drive().unwrap();
    run.summary()
}

#[test]
fn a_table_moves_into_another_through_a_lost_connection_and_a_restart_reads_only_new_rows() {
    let peer = peer();
    insert_orders(&peer, 1..=10_000);
    let dir = tempfile::tempdir().unwrap();
    let summary = run_orders(&peer, dir.path(), Some(5_000));
    let flow = &summary.flows[0];
    assert_eq!(
        (flow.read, flow.written, flow.rejected),
        (10_000, 10_000, 0)
    );
    let stored = "SELECT id::text, made_at::text, machine, qty::text, rush::text FROM mes_orders AS t ORDER BY t.id";
    assert_eq!(peer.rows(stored), expected_orders(1..=10_000));
    assert_eq!(
        peer.value("SELECT tiebreaker FROM fdi_watermarks WHERE mapping = 'orders_to_mes' AND source = 'erp_orders'"),
        "10000"
    );

    insert_orders(&peer, 10_001..=10_500);
    let summary = run_orders(&peer, dir.path(), None);
    assert_eq!(
        summary.flows[0].read, 500,
        "only the rows after the stored watermark"
    );
    assert_eq!(peer.rows(stored), expected_orders(1..=10_500));
}

#[test]
fn a_test_run_captures_a_postgres_target_without_contacting_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let program = program("counts_to_mes", &["counts"]);
    let config = RunConfig {
        base_dir: dir.path().to_path_buf(),
        capture_targets: Some("captured".into()),
        ..RunConfig::new(&program)
    };
    let mut run = Run::new(&program, config).unwrap();
    // Nothing listens on port 1: opening the target would fail if it connected.
    let mut nowhere = PostgresConnection::new("127.0.0.1", "fdi", "mes");
    nowhere.port = 1;
    let target = run
        .connect_postgres_target::<Count>("mes", &nowhere, &COUNTS_TABLE)
        .unwrap();
    std::fs::write(
        dir.path().join("counts.jsonl"),
        fdi_runtime::serde_json::to_string(&count(3)).unwrap() + "\n",
    )
    .unwrap();
    let source = run.jsonl_source("counts", "counts.jsonl").unwrap();
    let flow = run.flow("counts", "counts", target);
    run.source(source, count_flow(flow));
    run.drive().unwrap();
    let captured = std::fs::read_to_string(dir.path().join("captured/mes.jsonl")).unwrap();
    assert_eq!(
        fdi_runtime::serde_json::from_str::<Value>(captured.trim()).unwrap(),
        json!({"machine": "M-003", "shift": 0, "count": 9, "load": 0.375})
    );
}
