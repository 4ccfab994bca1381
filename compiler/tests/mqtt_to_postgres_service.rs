//! A generated service with two sources side by side, an MQTT topic (never ends) and a CSV file
//! (ends), into PostgreSQL tables upserted on their keys (`tests/programs/mqtt_to_postgres/`),
//! against a real mosquitto and a real PostgreSQL: killed with SIGKILL while 10,000 readings
//! stream in, started again, stopped with SIGTERM. Every reading is in its table once with the
//! values computed here from what was published, and the file's rows are there once although
//! the file was read by both starts.

mod support;

use fdi_peers::{Mosquitto, MqttClient, Postgres};
use support::service::{
    broker_settings, database_settings, payload, psql_count, psql_rows, reading, wait_for_count,
    Service,
};

const READINGS: u64 = 10_000;

#[test]
fn a_file_and_a_topic_side_by_side_into_postgres_lose_nothing_across_a_kill() {
    let database = Postgres::start().expect("PostgreSQL (install it with tests/peers/install)");
    let broker = Mosquitto::start().expect("mosquitto (install it with tests/peers/install)");
    let scratch = tempfile::tempdir().unwrap();
    let mapping =
        support::workspace_root().join("tests/programs/mqtt_to_postgres/mqtt_to_postgres.fdi");
    let binary = support::build(&mapping, &scratch.path().join("crate"));
    let dir = mapping.parent().unwrap().to_path_buf();
    let settings = scratch.path().join("settings");
    std::fs::create_dir_all(&settings).unwrap();
    std::fs::write(
        settings.join("line.toml"),
        broker_settings("plant_broker", &broker, "line4")
            + "
" + &database_settings("mes", &database),
    )
    .unwrap();
    // The program's files (the dead letter) go to the scratch folder, its input is the mapping's.
    let start = || Service::start_in(&binary, &settings, &dir);

    let first = start();
    first.wait_subscribed();
    let publisher = {
        let mut client = MqttClient::connect(&broker, "machines", true);
        std::thread::spawn(move || {
            for chunk in (1..=READINGS).collect::<Vec<_>>().chunks(500) {
                let payloads: Vec<Vec<u8>> = chunk.iter().map(|&seq| payload(seq)).collect();
                client.publish_all("plant/m/readings", &payloads);
            }
            client.disconnect();
        })
    };
    wait_for_count("readings", 2_000, || psql_count(&database, "readings"));
    first.kill();

    let second = start();
    publisher.join().unwrap();
    wait_for_count("readings", READINGS as usize, || {
        psql_count(&database, "readings")
    });
    let (code, summary) = second.stop();
    assert_eq!(code, 0, "SIGTERM drains and exits 0: {summary}");
    support::assert_balanced(&summary);

    let stored = psql_rows(
        &database,
        "SELECT machine, seq, value, doubled FROM readings ORDER BY seq",
    );
    let expected: Vec<String> = (1..=READINGS)
        .map(|seq| {
            let (machine, seq, value) = reading(seq);
            format!("{machine}|{seq}|{value}|{}", value * 2.0)
        })
        .collect();
    assert_eq!(stored, expected, "every reading once, with its values");
    assert_eq!(
        psql_rows(
            &database,
            "SELECT column_name, data_type FROM information_schema.columns \
             WHERE table_name = 'readings' AND column_name IN ('value', 'doubled') ORDER BY 1"
        ),
        ["doubled|numeric", "value|double precision"],
        "numeric where the mapping declares it"
    );
    assert_eq!(
        psql_rows(
            &database,
            "SELECT shift, starts FROM shifts ORDER BY starts"
        ),
        ["early|06:00", "late|14:00", "night|22:00"],
        "the file's rows once, though both starts read the file"
    );
}
