//! 20 SIGKILLs at random moments while the program moves 100,000 lines of a JSON Lines file into
//! PostgreSQL. A file source commits no position: each start reads the file from its first line
//! again, and the table's upsert on `seq` makes a line written twice one row.

use crate::harness::{kill_repeatedly, reading_row, Plant, Scenario, READING_COLUMNS};
use crate::support::service::payload;

const LINES: u64 = 100_000;
const KILLS: usize = 20;

#[test]
fn twenty_kills_while_a_file_moves_lose_nothing_and_write_nothing_twice() {
    let scenario = Scenario::start("file_kills");
    let mut rng = scenario.rng();
    let plant = Plant::start();
    let mut input = Vec::new();
    for seq in 1..=LINES {
        input.extend(payload(seq));
        input.push(b'\n');
    }
    plant.write_input(&input);
    crate::harness::program();
    scenario.done("build and start of the peers");

    // Each start reads the file from its first line: a kill anywhere in it.
    kill_repeatedly(&mut rng, KILLS, "lines", LINES, || plant.start_program());
    scenario.done("the kills");
    // The table may hold every row already: the last start is done when its source is, and its
    // targets' queues have forwarded what the source gave them (a SIGTERM leaves a queue on disk
    // for the next start, not in the table).
    let program = plant.start_program();
    program.wait_for_log("source finished");
    plant.wait_for_rows("file_readings", LINES as usize);
    scenario.done("the last start's whole file");
    let (code, summary) = program.stop();

    assert_eq!(code, 0, "SIGTERM drains and exits 0: {summary}");
    crate::support::assert_balanced(&summary);
    assert_eq!(plant.dead_letter(), Vec::<serde_json::Value>::new());
    let expected: Vec<String> = (1..=LINES).map(reading_row).collect();
    plant.assert_each_once("file_readings", "seq", READING_COLUMNS, &expected);
}
