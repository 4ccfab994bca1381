//! A row the table refuses for good (a CHECK constraint) mid-stream: it is quarantined in the dead letter with
//! the server's reason, the original and the mapped record, counted as rejected, and the rows behind it arrive.

use std::time::Duration;

use fdi_runtime::serde_json::{json, Value};

use crate::common::*;
use crate::support::peer;

#[test]
fn a_row_the_table_refuses_is_quarantined_with_reason_original_and_mapped_record_and_the_rest_arrives(
) {
    let peer = peer();
    peer.execute(
        "CREATE TABLE readings (seq bigint PRIMARY KEY, machine text NOT NULL, \
         value double precision NOT NULL, CONSTRAINT seq_not_1234 CHECK (seq <> 1234))",
    );
    let dir = tempfile::tempdir().unwrap();
    let lines: String = (0..3000).map(line).collect();
    std::fs::write(dir.path().join("readings.jsonl"), lines).unwrap();
    let mut run = start(dir.path(), 1 << 30, Duration::from_secs(60));
    let target = queued_readings(&mut run, &peer);
    read_readings(&mut run, "readings.jsonl", target);
    run.drive().unwrap();

    let seqs: Vec<i64> = peer
        .rows("SELECT seq FROM readings ORDER BY seq")
        .into_iter()
        .map(|r| r[0].as_deref().unwrap().parse().unwrap())
        .collect();
    let expected: Vec<i64> = (0..3000).filter(|&s| s != 1234).collect();
    assert_eq!(seqs, expected);

    let dead: Vec<Value> = std::fs::read_to_string(dir.path().join("out/dead-letter.jsonl"))
        .unwrap()
        .lines()
        .map(|l| fdi_runtime::serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(dead.len(), 1, "{dead:?}");
    let original: Value = fdi_runtime::serde_json::from_str(line(1234).trim()).unwrap();
    assert_eq!(dead[0]["flow"], json!("readings"));
    assert_eq!(dead[0]["stage"], json!("write"));
    assert_eq!(
        dead[0]["reason"],
        json!("PostgreSQL refused the row: constraint seq_not_1234")
    );
    assert!(
        dead[0]["detail"]
            .as_str()
            .unwrap()
            .contains("violates check constraint"),
        "{}",
        dead[0]
    );
    assert_eq!(dead[0]["source"], json!("readings"));
    assert_eq!(dead[0]["position"], json!(1235));
    assert_eq!(dead[0]["record"], original);
    assert_eq!(
        dead[0]["mapped"], original,
        "the mapped reading is the source reading here"
    );

    let summary = run.summary();
    let flow = &summary.flows[0];
    assert_eq!((flow.read, flow.written, flow.rejected), (3000, 2999, 1));
    assert!(flow.balanced);
    assert_eq!(summary.targets[0].written, 2999);
    let queue = summary.targets[0].queue.clone().unwrap();
    assert_eq!(
        (queue.forwarded, queue.quarantined, queue.queued),
        (2999, 1, 0)
    );
}
