//! The example `examples/spindle-to-historian/` end to end: the real OKUMA recording replayed by
//! the example's asyncua server into the OPC Foundation's MachineTool example instance, through the
//! generated program into its SQLite historian. The expected rows are computed here from the SHDR
//! recording with a parser of this test's own (not the server script's): every change of a
//! variable, in the order written, with the recording's time as its source timestamp. The
//! historian must hold exactly them, besides each variable's value when the program subscribed;
//! nothing may be dead-lettered, and SIGTERM drains and exits 0.

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use support::service::{wait_for_count, Service};

const EQUIPMENT: &str = "EQ-LATHE-0042";

/// The example's replaying server, killed when the test ends.
struct Machine {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Machine {
    fn start(root: &Path, port: u16) -> Machine {
        let mut child = Command::new("python3")
            .arg(root.join("data/serve_machine.py"))
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with asyncua (install it with tests/peers/install)");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut machine = Machine {
            child,
            stdin,
            stdout,
        };
        let ready = machine.line();
        assert!(
            ready.starts_with("ready "),
            "the example's server did not start (asyncua: tests/peers/install): {ready:?}"
        );
        machine
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line.trim().to_string()
    }

    /// Replays the recording; the number of values written.
    fn replay(&mut self) -> usize {
        writeln!(self.stdin, "go").unwrap();
        let done = self.line();
        done.strip_prefix("replayed ")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("the server said {done:?}"))
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An adapter timestamp (`2022-08-08T13:51:34.7167146Z`) as the server holds it: Python's
/// datetime keeps microseconds, so the seventh digit is cut.
fn micros(timestamp: &str) -> String {
    let (seconds, fraction) = timestamp.trim_end_matches('Z').split_once('.').unwrap();
    format!("{seconds}.{:0<6}Z", &fraction[..fraction.len().min(6)])
}

/// The rows the recording makes: samples `signal|at|flag|percent|text|quality` and channel
/// states `since|state`, each only when its variable's value changed.
fn expected(root: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    // The machines-to-mes example's copy of the recording, which the server replays too.
    let recording = root.join("../machines-to-mes/data/okuma_shdr_2022-08-08.txt");
    let shdr = std::fs::read_to_string(recording).expect("recording");
    let mut last: std::collections::BTreeMap<&str, String> = Default::default();
    let (mut samples, mut states) = (BTreeSet::new(), BTreeSet::new());
    for line in shdr.lines() {
        let fields: Vec<&str> = line.split('|').collect();
        if fields.len() < 3 || !fields[0].starts_with("20") || fields[1].starts_with('@') {
            continue;
        }
        let at = micros(fields[0]);
        let mut rest = &fields[1..];
        while let [item, value, ..] = rest {
            // A condition carries level, native code, severity, qualifier and message.
            let width = if *item == "system" || item.ends_with("_cond") {
                6
            } else {
                2
            };
            rest = &rest[width.min(rest.len())..];
            // (variable, the value as the historian writes it)
            let (variable, written) = match (*item, *value) {
                (_, "UNAVAILABLE") => continue,
                ("S1speed", speed) => {
                    let rotating = speed.parse::<f64>().unwrap() != 0.0;
                    ("rotating", format!("{}||", u8::from(rotating)))
                }
                ("S1ovr", percent) => (
                    "override",
                    format!("|{:?}|", percent.parse::<f64>().unwrap()),
                ),
                ("pFovr", percent) => ("feed", format!("|{:?}|", percent.parse::<f64>().unwrap())),
                ("pprogram", name) => ("program", format!("||{name}")),
                ("pexecution", execution) => {
                    let state = match execution {
                        "ACTIVE" => "ACTIVE",
                        "READY" | "PROGRAM_COMPLETED" => "RESET",
                        _ => "INTERRUPTED",
                    };
                    ("channel", state.to_string())
                }
                _ => continue,
            };
            if last.get(variable) == Some(&written) {
                continue;
            }
            last.insert(variable, written.clone());
            let signal = match variable {
                "rotating" => "spindle1.rotating",
                "override" => "spindle1.override",
                "feed" => "channel1.feed_override",
                "program" => "program.name",
                _ => {
                    states.insert(format!("{EQUIPMENT}|{at}|{written}"));
                    continue;
                }
            };
            samples.insert(format!("{EQUIPMENT}|{signal}|{at}|{written}|GOOD"));
        }
    }
    (samples, states)
}

/// The rows of `query` in the historian, `|`-separated, from 2022 (the replay) or not (the
/// values the program found when it subscribed).
fn rows(database: &Path, query: &str) -> (BTreeSet<String>, usize) {
    let connection = rusqlite::Connection::open(database).unwrap();
    let mut statement = connection.prepare(query).unwrap();
    let columns = statement.column_count();
    let all: Vec<String> = statement
        .query_map([], |row| {
            let texts: Vec<String> = (0..columns)
                .map(|i| match row.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Null => String::new(),
                    rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                    rusqlite::types::ValueRef::Real(x) => format!("{x:?}"),
                    rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into(),
                    rusqlite::types::ValueRef::Blob(_) => "<blob>".into(),
                })
                .collect();
            Ok(texts.join("|"))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let initial = all.iter().filter(|r| !r.contains("|2022-08-08T")).count();
    let replayed = all
        .into_iter()
        .filter(|r| r.contains("|2022-08-08T"))
        .collect();
    (replayed, initial)
}

fn count(database: &Path, table: &str) -> usize {
    if !database.exists() {
        return 0;
    }
    let connection = rusqlite::Connection::open(database).unwrap();
    connection
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .map_or(0, |n| n as usize)
}

#[test]
fn the_recorded_machine_reaches_the_historian_over_opc_ua() {
    let root = support::workspace_root().join("examples/spindle-to-historian");
    let (want_samples, want_states) = expected(&root);
    assert!(
        want_samples.len() >= 20 && want_states.len() >= 8,
        "the recording has spindle data and states: {want_samples:?} {want_states:?}"
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut machine = Machine::start(&root, port);
    let scratch = tempfile::tempdir().unwrap();
    let binary = support::build(
        &root.join("spindle_to_historian.fdi"),
        &scratch.path().join("crate"),
    );
    let dir = scratch.path().join("line");
    support::copy_dir(&root.join("master"), &dir.join("master"));
    std::fs::write(
        dir.join("line.toml"),
        format!(
            "[connections.machine]\nendpoint_url = \"opc.tcp://127.0.0.1:{port}/machine\"\nsecurity_mode = \"None\"\n"
        ),
    )
    .unwrap();
    let service = Service::start(&binary, &dir);
    service.wait_for_logs("subscribed source=", 4);
    let written = machine.replay();
    assert_eq!(written, want_samples.len() + want_states.len());

    // Each variable's value when the program subscribed (5 of them), and the replay.
    let database = dir.join("out/historian.db");
    wait_for_count("historian rows", written + 5, || {
        count(&database, "signal_samples") + count(&database, "channel_states")
    });
    // Time for a row too many to arrive.
    std::thread::sleep(Duration::from_secs(2));
    let (code, summary) = service.stop();
    assert_eq!(code, 0, "SIGTERM drains and exits 0: {summary}");
    support::assert_balanced(&summary);

    let (samples, initial_samples) = rows(
        &database,
        "SELECT equipment_id, signal, at, flag, percent, text, quality FROM signal_samples",
    );
    let (states, initial_states) = rows(
        &database,
        "SELECT equipment_id, since, state FROM channel_states",
    );
    assert_eq!(samples, want_samples);
    assert_eq!(states, want_states);
    assert_eq!((initial_samples, initial_states), (4, 1));
    let dead = dir.join("dead-letter.jsonl");
    if dead.exists() {
        let rejected = support::read_jsonl(&dead);
        assert!(rejected.is_empty(), "nothing is rejected: {rejected:?}");
    }
}
