//! mosquitto restarted 5 times while 50,000 QoS 1 messages stream through it into PostgreSQL.
//! The broker keeps its sessions and their queued messages in its persistence file across each
//! restart; the program and the publisher connect again, the publisher sends again what the
//! broker had not acknowledged, and the broker sends again what the program had not.

use crate::harness::{reading_messages, reading_row, Plant, Publisher, Scenario, READING_COLUMNS};

const MESSAGES: u64 = 50_000;
const RESTARTS: u64 = 5;

#[test]
fn five_broker_restarts_mid_stream_lose_nothing_and_write_nothing_twice() {
    let scenario = Scenario::start("broker_restarts");
    let mut plant = Plant::start();
    let program = plant.start_program_subscribed();
    let publisher = Publisher::start(&plant.broker, "machines", reading_messages(1..=MESSAGES));

    // Each restart once the broker acknowledged another sixth of the messages: mid-stream for
    // the publisher, and for the program, which follows it, whatever the machine's speed.
    for restart in 1..=RESTARTS {
        publisher.wait_for_acknowledged((MESSAGES * restart / (RESTARTS + 1)) as usize);
        plant.broker.restart().expect("mosquitto starts again");
    }
    scenario.done("the restarts");
    let published = publisher.join();
    assert_eq!(published.acknowledged, MESSAGES as usize, "{published:?}");
    assert!(
        published.connections_lost >= RESTARTS as usize,
        "the publisher was connected through the restarts: {published:?}"
    );
    plant.wait_for_rows("broker_readings", MESSAGES as usize);
    let (code, summary) = program.stop();

    assert_eq!(code, 0, "SIGTERM drains and exits 0: {summary}");
    crate::support::assert_balanced(&summary);
    assert_eq!(plant.dead_letter(), Vec::<serde_json::Value>::new());
    let expected: Vec<String> = (1..=MESSAGES).map(reading_row).collect();
    plant.assert_each_once("broker_readings", "seq", READING_COLUMNS, &expected);
    scenario.done(&format!(
        "the check (the publisher lost its connection {} times)",
        published.connections_lost
    ));
}
