//! The MQTT source in whole runs: from a topic to a JSON Lines target.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fdi_peers::Mosquitto;
use fdi_runtime::mqtt::{MqttConnection, MqttQos, MqttSource, MqttSourceOptions, TopicFilter};
use fdi_runtime::serde_json::{self, json, Value};
use fdi_runtime::{RunSummary, TargetId};

use super::*;

const CLIENT_ID: &str = "line3-states";
const COUNT: u64 = 10_000;

fn options(max_unacknowledged: usize) -> MqttSourceOptions {
    MqttSourceOptions {
        max_unacknowledged,
        ..MqttSourceOptions::new(vec![(
            TopicFilter::parse(STATE_FILTER).unwrap(),
            MqttQos::AtLeastOnce,
        )])
    }
}

/// Runs the program once: the broker source, wrapped by `wrap`, into `out/states.jsonl` of `dir`.
fn run_states(
    dir: &Path,
    connection: MqttConnection,
    checkpoint_every: usize,
    checkpoint_interval: Duration,
    max_unacknowledged: usize,
    wrap: impl FnOnce(MqttSource) -> Ending<MqttSource>,
) -> (Result<(), RunError>, RunSummary) {
    let mut run = start_run(dir, checkpoint_every, checkpoint_interval);
    let source = run
        .connect_mqtt_source("broker", &connection, options(max_unacknowledged))
        .unwrap();
    let target: TargetId<Placed> = run.jsonl_target("states", "out/states.jsonl").unwrap();
    let flow = run.flow("place", "broker", target);
    run.stream_source(wrap(source), place_readings(flow));
    let result = run.drive();
    (result, run.summary())
}

/// The written records by sequence number, each checked against what was published for it.
fn written_by_seq(lines: &[Value]) -> BTreeMap<u64, usize> {
    let mut seen = BTreeMap::new();
    for line in lines {
        let placed: Placed = serde_json::from_value(line.clone()).unwrap();
        assert_eq!(placed, reading_of(placed.seq), "record {line}");
        *seen.entry(placed.seq).or_insert(0) += 1;
    }
    seen
}

#[test]
fn ten_thousand_messages_reach_the_target_record_by_record() {
    let broker = Mosquitto::start().expect("mosquitto");
    // Published while the program is down: the broker keeps them in the program's session.
    leave_session(&broker, CLIENT_ID, "plant/+/+/state");
    publish(&broker, &readings(0..COUNT));

    let dir = tempfile::tempdir().unwrap();
    let (result, summary) = run_states(
        dir.path(),
        connection(&broker, CLIENT_ID),
        1000,
        Duration::from_secs(1),
        fdi_peers::DEFAULT_MAX_INFLIGHT as usize,
        |source| Ending::new(source, Stop::After(|raw| seq_of(raw) == Some(COUNT - 1))),
    );
    result.unwrap_or_else(|e| panic!("{e}\n{}", broker.log()));

    let lines = read_lines(&dir.path().join("out/states.jsonl"));
    assert_eq!(lines.len() as u64, COUNT);
    // In the order they were published, each once.
    let seqs: Vec<u64> = lines.iter().map(|l| l["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (0..COUNT).collect::<Vec<_>>());
    written_by_seq(&lines);
    let flow = &summary.flows[0];
    assert_eq!((flow.read, flow.written, flow.rejected), (COUNT, COUNT, 0));
    assert_eq!(summary.sources[0].acknowledged, Some(COUNT));
}

#[test]
fn malformed_messages_are_dead_lettered_with_their_original_and_the_run_goes_on() {
    let broker = Mosquitto::start().expect("mosquitto");
    leave_session(&broker, CLIENT_ID, "plant/+/+/state");
    let topic = |line: &str| format!("plant/{line}/m1/state");
    let messages: Vec<(String, Vec<u8>)> = vec![
        (topic("1"), br#"{"seq":0,"value":1.5}"#.to_vec()),
        (topic("1"), b"{\"seq\":1,\"value\":".to_vec()),
        (topic("2"), vec![0xff, 0xfe, b'{', 0x00]),
        (topic("2"), br#"{"seq":3,"value":"high"}"#.to_vec()),
        (topic("3"), b"plain text".to_vec()),
        (topic("3"), br#"{"seq":5,"value":-1}"#.to_vec()),
        (topic("3"), br#"{"seq":6,"value":2}"#.to_vec()),
    ];
    publish(&broker, &messages);

    let dir = tempfile::tempdir().unwrap();
    let (result, summary) = run_states(
        dir.path(),
        connection(&broker, CLIENT_ID),
        1000,
        Duration::from_secs(1),
        20,
        |source| Ending::new(source, Stop::After(|raw| seq_of(raw) == Some(6))),
    );
    result.unwrap();

    let written = read_lines(&dir.path().join("out/states.jsonl"));
    let seqs: Vec<&Value> = written.iter().map(|l| &l["seq"]).collect();
    assert_eq!(seqs, [&json!(0), &json!(6)]);
    let flow = &summary.flows[0];
    assert_eq!(
        (flow.read, flow.written, flow.rejected, flow.filtered),
        (7, 2, 4, 1)
    );
    assert!(flow.balanced);

    let dead = read_lines(&dir.path().join("out/dead-letter.jsonl"));
    let entries: Vec<(&Value, &Value, &Value)> = dead
        .iter()
        .map(|d| (&d["position"], &d["topic"], &d["record"]))
        .collect();
    assert_eq!(
        entries,
        [
            (
                &json!(2),
                &json!("plant/1/m1/state"),
                &json!("{\"seq\":1,\"value\":")
            ),
            (
                &json!(3),
                &json!("plant/2/m1/state"),
                &json!({"base64": "//57AA=="})
            ),
            (
                &json!(4),
                &json!("plant/2/m1/state"),
                &json!({"seq": 3, "value": "high"})
            ),
            (&json!(5), &json!("plant/3/m1/state"), &json!("plain text")),
        ]
    );
    let details: Vec<&str> = dead.iter().map(|d| d["detail"].as_str().unwrap()).collect();
    assert!(
        details[0].starts_with("the message is not valid JSON"),
        "{details:?}"
    );
    assert_eq!(
        details[1],
        "the message is not UTF-8 text (invalid byte at offset 0)"
    );
    assert!(details[2].starts_with("field \"value\""), "{details:?}");
    assert!(dead
        .iter()
        .all(|d| d["stage"] == "decode" && d["source"] == "broker"));
}

#[test]
fn a_restarted_program_receives_exactly_what_it_had_not_acknowledged() {
    let broker = Mosquitto::start().expect("mosquitto");
    leave_session(&broker, CLIENT_ID, "plant/+/+/state");
    publish(&broker, &readings(0..COUNT));
    const CRASH_AFTER: u64 = 4321;

    let first = tempfile::tempdir().unwrap();
    let (result, summary) = run_states(
        first.path(),
        connection(&broker, CLIENT_ID),
        500,
        Duration::from_secs(3600),
        20,
        |source| {
            Ending::new(
                source,
                Stop::FailAfter(|raw| seq_of(raw) == Some(CRASH_AFTER)),
            )
        },
    );
    assert!(result.is_err(), "the first run fails as a crash would");
    let acknowledged = summary.sources[0].acknowledged.expect("some checkpoints");
    assert!(acknowledged <= CRASH_AFTER, "{acknowledged}");

    let second = tempfile::tempdir().unwrap();
    let (result, _) = run_states(
        second.path(),
        connection(&broker, CLIENT_ID),
        500,
        Duration::from_secs(1),
        20,
        |source| Ending::new(source, Stop::After(|raw| seq_of(raw) == Some(COUNT - 1))),
    );
    result.unwrap();

    let before = read_lines(&first.path().join("out/states.jsonl"));
    let after = read_lines(&second.path().join("out/states.jsonl"));
    let resumed = after[0]["seq"].as_u64().unwrap();
    // The second run starts where the broker last had an acknowledgement: no later than the last
    // checkpoint of the first run (an acknowledgement may still have been on its way), and then takes
    // every message once, in order.
    assert!(
        resumed <= acknowledged,
        "resumed at {resumed}, acknowledged {acknowledged}"
    );
    let seqs: Vec<u64> = after.iter().map(|l| l["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (resumed..COUNT).collect::<Vec<_>>());
    // Nothing lost; read twice only what was not acknowledged.
    let mut both = written_by_seq(&before);
    for (seq, count) in written_by_seq(&after) {
        *both.entry(seq).or_insert(0) += count;
    }
    assert_eq!(both.len() as u64, COUNT);
    let twice: Vec<u64> = both
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(s, _)| *s)
        .collect();
    assert!(
        twice
            .iter()
            .all(|seq| *seq >= resumed && *seq <= CRASH_AFTER),
        "{twice:?}"
    );
}

#[test]
fn a_single_message_on_a_quiet_topic_is_acknowledged_within_the_interval() {
    let broker = Mosquitto::start().expect("mosquitto");
    leave_session(&broker, CLIENT_ID, "plant/+/+/state");
    publish(&broker, &readings(0..1));

    // --checkpoint-every is far away: only the interval can make the message durable and
    // acknowledge it, and the source ends only once it is acknowledged.
    let dir = tempfile::tempdir().unwrap();
    let (result, summary) = run_states(
        dir.path(),
        connection(&broker, CLIENT_ID),
        1000,
        Duration::from_millis(200),
        20,
        |source| Ending::new(source, Stop::WhenAcknowledged(1)),
    );
    result.unwrap();
    assert_eq!(summary.sources[0].acknowledged, Some(1));
    assert_eq!(read_lines(&dir.path().join("out/states.jsonl")).len(), 1);

    // The broker forgot it: the session's next message is the one published after.
    publish(&broker, &readings(1..2));
    let mut session = fdi_peers::MqttClient::connect(&broker, CLIENT_ID, false);
    let next = session.receive(1);
    let value: Value = serde_json::from_slice(&next[0].payload).unwrap();
    assert_eq!(value["seq"], 1);
}

#[test]
fn a_broker_that_allows_few_messages_in_flight_does_not_stall_the_source() {
    // The broker sends 5 unacknowledged messages at most; --checkpoint-every 1000 and an interval of
    // an hour would wait an hour for each 5, were the source's limit not a checkpoint of its own.
    let broker = Mosquitto::start_with_max_inflight(5).expect("mosquitto");
    leave_session(&broker, CLIENT_ID, "plant/+/+/state");
    publish(&broker, &readings(0..500));

    let dir = tempfile::tempdir().unwrap();
    let (result, summary) = run_states(
        dir.path(),
        connection(&broker, CLIENT_ID),
        1000,
        Duration::from_secs(3600),
        5,
        |source| Ending::new(source, Stop::After(|raw| seq_of(raw) == Some(499))),
    );
    result.unwrap();
    assert_eq!(summary.flows[0].written, 500);
    written_by_seq(&read_lines(&dir.path().join("out/states.jsonl")));
}

#[test]
fn a_broker_restarted_mid_run_loses_nothing() {
    let broker = Arc::new(Mutex::new(Mosquitto::start().expect("mosquitto")));
    let restart = broker.clone();
    {
        let broker = broker.lock().unwrap();
        leave_session(&broker, CLIENT_ID, "plant/+/+/state");
        publish(&broker, &readings(0..COUNT));
    }

    let dir = tempfile::tempdir().unwrap();
    // Not locked while the run goes on: the hook restarts the broker.
    let to_broker = connection(&broker.lock().unwrap(), CLIENT_ID);
    let (result, _) = run_states(
        dir.path(),
        to_broker,
        1000,
        Duration::from_secs(1),
        20,
        |source| {
            Ending::new(source, Stop::After(|raw| seq_of(raw) == Some(COUNT - 1))).with_hook(
                3000,
                move || {
                    restart
                        .lock()
                        .unwrap()
                        .restart()
                        .expect("restart mosquitto")
                },
            )
        },
    );
    result.unwrap();

    let seen = written_by_seq(&read_lines(&dir.path().join("out/states.jsonl")));
    assert_eq!(seen.len() as u64, COUNT, "every message arrived");
}

/// Filters that overlap: a message is read by the first filter its topic matches, with that
/// filter's names; one only a later filter matches has only that filter's levels (a flow reading
/// another rejects it); one that no filter matches (an old subscription of the session) is a decode
/// reject with its bytes, never a record with levels it does not have.
#[test]
fn a_message_is_read_by_the_first_filter_its_topic_matches() {
    let broker = Mosquitto::start().expect("mosquitto");
    // The session holds the source's subscriptions and one of an earlier version of the mapping.
    leave_session(&broker, CLIENT_ID, "plant/#");
    leave_session(&broker, CLIENT_ID, "retired/#");
    publish(
        &broker,
        &[
            (
                "plant/9/m1/state".into(),
                br#"{"seq":0,"value":1}"#.to_vec(),
            ),
            ("plant/x".into(), br#"{"seq":1,"value":1}"#.to_vec()),
            ("retired/a".into(), br#"{"seq":2,"value":1}"#.to_vec()),
            (
                "plant/2/m2/state".into(),
                br#"{"seq":3,"value":1}"#.to_vec(),
            ),
        ],
    );
    let options = MqttSourceOptions::new(vec![
        (
            TopicFilter::parse(STATE_FILTER).unwrap(),
            MqttQos::AtLeastOnce,
        ),
        (
            TopicFilter::parse("plant/#line").unwrap(),
            MqttQos::AtLeastOnce,
        ),
    ]);

    let dir = tempfile::tempdir().unwrap();
    let mut run = start_run(dir.path(), 1000, Duration::from_secs(1));
    let source = run
        .connect_mqtt_source("broker", &connection(&broker, CLIENT_ID), options)
        .unwrap();
    let target: TargetId<Placed> = run.jsonl_target("states", "out/states.jsonl").unwrap();
    let flow = run.flow("place", "broker", target);
    let ending = Ending::new(source, Stop::After(|raw| seq_of(raw) == Some(3)));
    run.stream_source(ending, place_readings(flow));
    run.drive()
        .unwrap_or_else(|e| panic!("{e}\n{}", broker.log()));
    let summary = run.summary();
    assert!(summary.flows[0].balanced, "{summary:?}");

    // A broker may deliver a message of overlapping subscriptions more than once: compare sets.
    let written: std::collections::BTreeSet<(u64, String, String)> =
        read_lines(&dir.path().join("out/states.jsonl"))
            .iter()
            .map(|l| {
                let placed: Placed = serde_json::from_value(l.clone()).unwrap();
                (placed.seq, placed.line, placed.machine)
            })
            .collect();
    assert_eq!(
        written,
        [(0, "9", "m1"), (3, "2", "m2")]
            .map(|(seq, line, machine)| (seq, line.to_string(), machine.to_string()))
            .into(),
        "read by the first filter, with its names"
    );
    let dead: std::collections::BTreeSet<(u64, String, String, String)> =
        read_lines(&dir.path().join("out/dead-letter.jsonl"))
            .iter()
            .map(|d| {
                let text = |key: &str| d[key].as_str().unwrap_or("").to_string();
                (
                    d["record"]["seq"].as_u64().unwrap(),
                    text("stage"),
                    text("reason"),
                    text("detail"),
                )
            })
            .collect();
    let dead: Vec<_> = dead.into_iter().collect();
    assert_eq!(dead.len(), 2, "{dead:?}");
    assert_eq!(
        (dead[0].0, dead[0].1.as_str(), dead[0].2.as_str()),
        (1, "map", "the record has no topic level `machine`"),
        "plant/x matched only plant/#line, which names no machine: {dead:?}"
    );
    assert_eq!((dead[1].0, dead[1].1.as_str()), (2, "decode"), "{dead:?}");
    assert!(
        dead[1].3.contains(
            "topic \"retired/a\" matches none of the source's topic filters (\"plant/+line/+machine/state\", \"plant/#line\")"
        ),
        "{dead:?}"
    );
}

#[test]
fn a_backlog_larger_than_the_request_queue_is_read_to_its_end() {
    // mosquitto sends a returning session its whole backlog at once, whatever its in-flight limit,
    // and rumqttc's event loop takes no request (an acknowledgement) while it still has messages to
    // hand out: a source that waited for room in the request queue (65,536) to acknowledge stopped
    // for good a little past 65,536 messages.
    const BACKLOG: u64 = 100_000;
    /// The last message published, after which the run ends.
    static LAST: AtomicU64 = AtomicU64::new(0);
    let broker = Mosquitto::start().expect("mosquitto");
    leave_session(&broker, CLIENT_ID, "plant/+/+/state");
    // By topic, in windows: one message at a time would take a minute.
    let mut by_topic: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
    for (topic, payload) in readings(0..BACKLOG) {
        by_topic.entry(topic).or_default().push(payload);
    }
    let mut publisher = fdi_peers::MqttClient::connect(&broker, "publisher", true);
    for (topic, payloads) in &by_topic {
        publisher.publish_all(topic, payloads);
        let last: Value = serde_json::from_slice(payloads.last().unwrap()).unwrap();
        LAST.store(last["seq"].as_u64().unwrap(), Ordering::SeqCst);
    }
    publisher.disconnect();

    // A stall never ends the run: fail the whole test binary instead of waiting for ever.
    let finished = Arc::new(Mutex::new(false));
    let watched = finished.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(180));
        if !*watched.lock().unwrap() {
            eprintln!("the source did not read its backlog of {BACKLOG} messages within 180 s");
            std::process::abort();
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let mut connection = connection(&broker, CLIENT_ID);
    // The connection task waits while the run writes what it forwarded, and sends no keep-alive.
    connection.keep_alive = Duration::from_secs(60);
    let (result, summary) = run_states(
        dir.path(),
        connection,
        1000,
        Duration::from_millis(100),
        fdi_peers::DEFAULT_MAX_INFLIGHT as usize,
        |source| {
            Ending::new(
                source,
                Stop::After(|raw| seq_of(raw) == Some(LAST.load(Ordering::SeqCst))),
            )
        },
    );
    *finished.lock().unwrap() = true;
    result.unwrap_or_else(|e| panic!("{e}"));
    // Every message; one the broker sent again after a lost connection may be there twice.
    let written = written_by_seq(&read_lines(&dir.path().join("out/states.jsonl")));
    assert_eq!(written.len() as u64, BACKLOG, "every message");
    assert!(summary.flows[0].read >= BACKLOG);
}
