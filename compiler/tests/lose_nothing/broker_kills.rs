//! 20 SIGKILLs at random moments while the program moves 100,000 QoS 1 messages of a persistent
//! session into PostgreSQL. A message is acknowledged to the broker only once its row is
//! committed, so the broker sends again what a killed program had not acknowledged, and the
//! table's upsert on `seq` makes a message written twice one row. The messages are all published
//! before the first kill, so every start begins with a backlog of tens of thousands, which is
//! what stopped the MQTT source for good before its acknowledgements stopped waiting for room in
//! rumqttc's request queue (`runtime/src/mqtt/source.rs`).

use crate::harness::{
    kill_repeatedly, reading_messages, reading_row, Plant, Publisher, Scenario, READING_COLUMNS,
};

const MESSAGES: u64 = 100_000;
const KILLS: usize = 20;

#[test]
fn twenty_kills_while_a_topic_streams_lose_nothing_and_write_nothing_twice() {
    let scenario = Scenario::start("broker_kills");
    let mut rng = scenario.rng();
    let plant = Plant::start();
    // The first start makes the program's sessions, so the broker keeps for them every message
    // published from now on, also while the program is down.
    plant.start_program_subscribed().kill();
    // All of them wait at the broker before the first kill: each start begins with a backlog,
    // which mosquitto sends a returning session at once, whatever its in-flight limit.
    let published =
        Publisher::start(&plant.broker, "machines", reading_messages(1..=MESSAGES)).join();
    assert_eq!(published.acknowledged, MESSAGES as usize, "{published:?}");
    scenario.done("build, start of the peers, the first subscription and publishing");

    // A start reads on from what the broker holds: kills after fewer than a twentieth each
    // fall across the stream, and always before its end.
    kill_repeatedly(&mut rng, KILLS, "readings", MESSAGES / KILLS as u64, || {
        plant.start_program()
    });
    scenario.done("the kills");
    let program = plant.start_program();
    plant.wait_for_rows("broker_readings", MESSAGES as usize);
    scenario.done("the last start's run");
    let (code, summary) = program.stop();

    assert_eq!(code, 0, "SIGTERM drains and exits 0: {summary}");
    crate::support::assert_balanced(&summary);
    assert_eq!(plant.dead_letter(), Vec::<serde_json::Value>::new());
    let expected: Vec<String> = (1..=MESSAGES).map(reading_row).collect();
    plant.assert_each_once("broker_readings", "seq", READING_COLUMNS, &expected);
}
