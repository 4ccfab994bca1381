//! The example `examples/limits-to-machine/` end to end: the MES's test limits in a real
//! PostgreSQL (the example's `data/test_limits.sql`), written by the generated program to the
//! stations' variables of a real OPC UA server (node-opcua's, `fdi_peers::opcua`) and read back.
//! What each station must hold afterwards, and which revisions are rejected or filtered, is
//! computed here from the SQL file's rows: the latest released revision of each station whose
//! lower limit is below its upper one, in micrometres.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use fdi_peers::opcua::{OpcuaImplementation, OpcuaServer};
use fdi_peers::Postgres;
use support::service::{database_settings, Service};

/// One row of `test_limits`, as the SQL file inserts it.
struct Revision {
    station: i64,
    lower_mm: f64,
    upper_mm: f64,
    released: bool,
}

/// The rows of the file's INSERT: each line `(revision, station, 'characteristic', lower, upper,
/// 'status'),`.
fn revisions(sql: &str) -> Vec<Revision> {
    sql.lines()
        .map(str::trim)
        .filter(|line| line.starts_with('(') && !line.starts_with("(\n"))
        .filter(|line| line.chars().nth(1).is_some_and(|c| c.is_ascii_digit()))
        .map(|line| {
            let inner = line
                .trim_start_matches('(')
                .trim_end_matches([',', ';', ')']);
            let fields: Vec<&str> = inner.split(", ").collect();
            Revision {
                station: fields[1].parse().unwrap(),
                lower_mm: fields[3].parse().unwrap(),
                upper_mm: fields[4].parse().unwrap(),
                released: fields[5] == "'RELEASED'",
            }
        })
        .collect()
}

#[test]
fn released_limits_reach_the_stations_and_read_back() {
    let root = support::workspace_root().join("examples/limits-to-machine");
    let rows = revisions(&std::fs::read_to_string(root.join("data/test_limits.sql")).unwrap());
    assert_eq!(rows.len(), 8, "the example's revisions");
    // station -> (lower, upper) in um; and the counts of the flow.
    let mut want: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
    let (mut rejected, mut filtered) = (0, 0);
    for row in &rows {
        if !row.released {
            filtered += 1;
        } else if row.lower_mm >= row.upper_mm || !(1..=3).contains(&row.station) {
            // Swapped limits; a station the server has no variables for.
            rejected += 1;
        } else {
            want.insert(row.station, (row.lower_mm * 1000.0, row.upper_mm * 1000.0));
        }
    }
    assert_eq!((want.len(), rejected, filtered), (3, 2, 1));

    let database = Postgres::start().expect("PostgreSQL (install it with tests/peers/install)");
    support::service::psql(
        &database,
        &[
            std::ffi::OsStr::new("-f"),
            root.join("data/test_limits.sql").as_os_str(),
        ],
    );
    let mut server = OpcuaServer::start(OpcuaImplementation::NodeOpcua)
        .unwrap_or_else(|e| panic!("{e} (install it with tests/peers/install)"));

    let scratch = tempfile::tempdir().unwrap();
    let binary = support::build(
        &root.join("limits_to_machine.fdi"),
        &scratch.path().join("crate"),
    );
    let dir = scratch.path().join("line");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("line.toml"),
        database_settings("mes", &database)
            + &format!(
                "[connections.test_stations]\nendpoint_url = \"{}\"\nsecurity_mode = \"None\"\n",
                server.endpoint_url()
            ),
    )
    .unwrap();
    let service = Service::start(&binary, &dir);

    // The stations' variables, once they hold what they should.
    let holds = |server: &mut OpcuaServer, station: i64, (lower, upper): (f64, f64)| {
        let read = |server: &mut OpcuaServer, which: &str| {
            let node = server.read(&format!("Station{station}.{which}")).unwrap();
            node.value.as_f64().unwrap_or(f64::NAN)
        };
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs();
        close(read(server, "LowerLimit"), lower) && close(read(server, "UpperLimit"), upper)
    };
    let dead = dir.join("dead-letter.jsonl");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let done = want
            .iter()
            .all(|(station, limits)| holds(&mut server, *station, *limits))
            && dead.exists()
            && support::read_jsonl(&dead).len() == rejected;
        if done {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the stations do not hold the released limits within 60 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    let (code, summary) = service.stop();
    assert_eq!(code, 0, "SIGTERM drains and exits 0: {summary}");
    support::assert_balanced(&summary);
    let flow = support::flow(&summary, "download");
    assert_eq!(
        (
            &flow["read"],
            &flow["written"],
            &flow["rejected"],
            &flow["filtered"]
        ),
        (
            &serde_json::json!(rows.len()),
            &serde_json::json!(rows.len() - rejected - filtered),
            &serde_json::json!(rejected),
            &serde_json::json!(filtered),
        ),
        "{summary}"
    );
    // Each reject's reason and detail.
    let reasons: Vec<String> = support::read_jsonl(&dead)
        .iter()
        .map(|r| {
            format!(
                "{}: {}",
                r["reason"].as_str().unwrap_or_default(),
                r["detail"]
            )
        })
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("the lower limit is not below the upper limit")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("node cannot be written") && r.contains("BadNodeIdUnknown")),
        "the server's refusal of station 4 names its status: {reasons:?}"
    );
}
