//! Store and forward through a generated service (`tests/programs/mqtt_to_postgres/`: readings from a real
//! mosquitto into a real PostgreSQL, whose target the connector table marks queued), the database stopped
//! and started again by the test (`fdi_peers::Postgres::stop`/`resume`):
//! - stopped for 30 seconds mid-run: the readings queue on disk, the program's memory stays bounded
//!   (measured), and once it is back every reading is in its table once, in the order it was published;
//! - stopped again, and the program SIGKILLed while it is down and started again while it is still down:
//!   the queue survives the restart and every reading arrives once;
//! - stopped again with a small queue (`--queue-max-bytes`): the queue fills, the program stops reading,
//!   and SIGTERM still stops it (exit 0); what the broker kept arrives after the next start.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use fdi_peers::{Mosquitto, MqttClient, Postgres};
use support::service::{
    broker_settings, database_settings, payload, psql_count, psql_rows, reading, sqlite_rows,
    wait_for_count, Service,
};

/// Records in the queue of target `stored`, read from its SQLite file.
fn queued(queue_dir: &Path) -> usize {
    sqlite_rows(
        &queue_dir.join("stored.sqlite"),
        "SELECT count(*) FROM queue",
        |row| row.get::<_, i64>(0),
    )
    .first()
    .copied()
    .unwrap_or(0) as usize
}

/// Publishes readings `seqs` on one topic, in order, each acknowledged by the broker.
fn publish(broker: &Mosquitto, seqs: std::ops::RangeInclusive<u64>) {
    let mut client = MqttClient::connect(broker, "machines", true);
    let payloads: Vec<Vec<u8>> = seqs.map(payload).collect();
    client.publish_all("plant/m/readings", &payloads);
    client.disconnect();
}

#[test]
fn readings_queue_through_a_database_outage_and_a_kill_and_arrive_once_in_order() {
    let mut database = Postgres::start().expect("PostgreSQL (install it with tests/peers/install)");
    let broker = Mosquitto::start().expect("mosquitto (install it with tests/peers/install)");
    let scratch = tempfile::tempdir().unwrap();
    let mapping =
        support::workspace_root().join("tests/programs/mqtt_to_postgres/mqtt_to_postgres.fdi");
    let binary = support::build(&mapping, &scratch.path().join("crate"));
    let inputs = mapping.parent().unwrap().to_path_buf();
    let settings = scratch.path().join("settings");
    // Where the test services keep the queues: beside the dead letter.
    let queue_dir = settings.join("queue");
    std::fs::create_dir_all(&settings).unwrap();
    std::fs::write(
        settings.join("line.toml"),
        broker_settings("plant_broker", &broker, "line4")
            + "\n"
            + &database_settings("mes", &database),
    )
    .unwrap();
    let start = || Service::start_in(&binary, &settings, &inputs);

    // A 30 s outage mid-run.
    let first = start();
    first.wait_subscribed();
    publish(&broker, 1..=2000);
    wait_for_count("readings", 2000, || psql_count(&database, "readings"));
    let before = first.memory();
    database.stop();
    let outage = Instant::now();
    publish(&broker, 2001..=12_000);
    wait_for_count("queued readings", 10_000, || queued(&queue_dir));
    let during = first.memory();
    // The outage lasts 30 seconds, as an outage would; the program keeps retrying meanwhile.
    std::thread::sleep(Duration::from_secs(30).saturating_sub(outage.elapsed()));
    assert_eq!(
        queued(&queue_dir),
        10_000,
        "nothing left the queue while the database was down"
    );
    database.resume().unwrap();
    wait_for_count("readings", 12_000, || psql_count(&database, "readings"));
    let after = first.memory();
    eprintln!(
        "program memory (VmRSS, VmHWM in KiB): before the outage {before:?}, with 10,000 readings \
         queued {during:?}, after {after:?}"
    );
    assert!(
        during.0 < before.0 + 32 * 1024,
        "the program grew from {} KiB to {} KiB while the readings queued",
        before.0,
        during.0
    );
    // In the order published: a later transaction (xmin; one writer) never holds an earlier reading.
    let transactions: Vec<i64> = psql_rows(
        &database,
        "SELECT xmin::text::bigint FROM readings ORDER BY seq",
    )
    .iter()
    .map(|x| x.parse().unwrap())
    .collect();
    assert_eq!(transactions.len(), 12_000, "every reading in the table");
    assert!(
        transactions.windows(2).all(|pair| pair[0] <= pair[1]),
        "readings committed out of their order"
    );

    // Down again, and the program killed while it is: the queue outlives it, and a start while the
    // database is still down forwards it once the database is back.
    database.stop();
    publish(&broker, 12_001..=16_000);
    wait_for_count("queued readings", 4000, || queued(&queue_dir));
    first.kill();
    let second = start();
    second.wait_subscribed();
    publish(&broker, 16_001..=18_000);
    wait_for_count("queued readings", 6000, || queued(&queue_dir));
    database.resume().unwrap();
    wait_for_count("readings", 18_000, || psql_count(&database, "readings"));
    let (code, summary) = second.stop();
    assert_eq!(code, 0, "SIGTERM drains and exits 0: {summary}");
    support::assert_balanced(&summary);

    // Down again with a small queue: it fills, the program waits for room (reading nothing more), and a
    // SIGTERM still stops it, exit 0; the broker keeps what was not read for the next start.
    database.stop();
    let small = Service::start_in_with_options(
        &binary,
        &settings,
        &inputs,
        &["--queue-max-bytes", "65536"],
    );
    small.wait_subscribed();
    publish(&broker, 18_001..=22_000);
    small.wait_for_log("queue full");
    let (code, summary) = small.stop();
    assert_eq!(
        code, 0,
        "SIGTERM stops a backpressured program, exit 0: {summary}"
    );
    support::assert_balanced(&summary);
    let in_queue = queued(&queue_dir);
    assert!(
        in_queue < 4000,
        "{in_queue} readings queued: the program read on past its full queue"
    );
    database.resume().unwrap();
    let last = start();
    wait_for_count("readings", 22_000, || psql_count(&database, "readings"));
    let (code, summary) = last.stop();
    assert_eq!(code, 0, "SIGTERM drains and exits 0: {summary}");
    support::assert_balanced(&summary);

    let stored = psql_rows(
        &database,
        "SELECT machine, seq, value, doubled FROM readings ORDER BY seq",
    );
    let expected: Vec<String> = (1..=22_000)
        .map(|seq| {
            let (machine, seq, value) = reading(seq);
            format!("{machine}|{seq}|{value}|{}", value * 2.0)
        })
        .collect();
    assert_eq!(stored, expected, "every reading once, with its values");
}
