//! A generated service against a real broker (mosquitto, started by `fdi-peers`): readings over
//! MQTT into an SQLite table keyed by (machine, seq). The program is killed with SIGKILL while
//! 10,000 messages stream in, started again, and stopped with SIGTERM: every published reading
//! is in the table exactly once with the values computed here from what was published, the
//! stop drains and exits 0 with everything acknowledged, and a third start receives nothing again.

mod support;

use std::path::Path;
use std::time::Duration;

use support::service::{broker_settings, payload, reading, wait_for_count, Service};

use fdi_peers::{Mosquitto, MqttClient};

const READINGS: u64 = 10_000;

fn rows(database: &Path) -> Vec<(String, i64, f64, f64)> {
    support::service::sqlite_rows(
        database,
        "SELECT machine, seq, value, doubled FROM readings ORDER BY seq",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
}

#[test]
fn a_killed_service_loses_nothing_and_a_stopped_one_drains() {
    let broker = Mosquitto::start().expect("mosquitto (install it with tests/peers/install)");
    let binary = support::service::build_test_program("mqtt_to_sqlite");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("line.toml"),
        broker_settings("plant_broker", &broker, "line3"),
    )
    .unwrap();
    let database = dir.path().join("out/line.db");

    // First start: subscribe, then stream in; SIGKILL while messages are still arriving.
    let first = Service::start(&binary, dir.path());
    first.wait_subscribed();
    let publisher = {
        let mut client = MqttClient::connect(&broker, "machines", true);
        std::thread::spawn(move || {
            // Not records of the table, published first so that they are read before the last
            // reading is: one that is not JSON, one that is filtered.
            client.publish_all(
                "plant/m/readings",
                &[
                    b"{not json".to_vec(),
                    br#"{"machine":"M1","seq":0,"value":-1.0}"#.to_vec(),
                ],
            );
            for chunk in (1..=READINGS).collect::<Vec<_>>().chunks(500) {
                let payloads: Vec<Vec<u8>> = chunk.iter().map(|&seq| payload(seq)).collect();
                client.publish_all("plant/m/readings", &payloads);
            }
            client.disconnect();
        })
    };
    wait_for_count("rows", 2_000, || rows(&database).len());
    first.kill();

    // Second start: the broker kept the session; what was not acknowledged comes again.
    let second = Service::start(&binary, dir.path());
    publisher.join().unwrap();
    wait_for_count("rows", READINGS as usize, || rows(&database).len());
    let (code, summary) = second.stop();
    assert_eq!(code, 0, "SIGTERM drains and exits 0: {summary}");
    support::assert_balanced(&summary);
    let source = &summary["sources"][0];
    assert_eq!(
        source["acknowledged"], source["read"],
        "everything read was acknowledged before exit: {summary}"
    );

    let expected: Vec<(String, i64, f64, f64)> = (1..=READINGS)
        .map(|seq| {
            let (machine, seq, value) = reading(seq);
            (machine, seq as i64, value, value * 2.0)
        })
        .collect();
    assert_eq!(
        rows(&database),
        expected,
        "every reading once, with its values"
    );

    // Third start: everything was acknowledged, so the broker has nothing to send again.
    let third = Service::start(&binary, dir.path());
    third.wait_subscribed();
    std::thread::sleep(Duration::from_millis(500));
    let (code, summary) = third.stop();
    assert_eq!(code, 0);
    assert_eq!(
        summary["sources"][0]["read"], 0,
        "nothing delivered twice after a clean stop: {summary}"
    );

    // The message that was not JSON is in the dead letter (appended to across restarts): once,
    // or twice if the kill came before its checkpoint (at least once, as promised).
    let dead: Vec<serde_json::Value> = support::read_jsonl(&dir.path().join("dead-letter.jsonl"));
    let not_json: Vec<&serde_json::Value> =
        dead.iter().filter(|d| d["record"] == "{not json").collect();
    assert!(matches!(not_json.len(), 1 | 2), "{dead:?}");
    assert_eq!(not_json[0]["topic"], "plant/m/readings");
}
