//! The OKUMA recording served by a TCP adapter and read by `mtconnect_adapter`. The adapter is
//! this test's own small server replaying the file, as an adapter would: it answers the agent's
//! `* PING` with `* PONG 1000`, sends the first half of the file, drops the connection, sends
//! the rest on the next one, answers two heartbeats and falls silent, and must be connected to a
//! third time. The protocol under test (connecting, heartbeats, reconnecting,
//! SHDR) is the program's.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::recording::{self, instant};
use crate::support::service::{build_test_program, wait_for_count, Service};
use crate::support::{self, read_jsonl};

const KEYS: &[&str] = &["pexecution", "ppartcount", "pprogram", "Z1actm", "system"];
const BROKEN: &str = "garbage|pexecution|ACTIVE";

/// Waits for the agent's `* PING` on `stream` and answers it.
fn handshake(reader: &mut BufReader<TcpStream>, writer: &mut TcpStream) {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert_eq!(
        line.trim_end(),
        "* PING",
        "the agent greets an adapter with * PING"
    );
    writer.write_all(b"* PONG 1000\n").unwrap();
}

#[test]
fn an_adapter_stream_is_read_across_a_reconnect_with_heartbeats() {
    let binary = build_test_program("mtconnect_adapter");
    let text = std::fs::read_to_string(recording::path()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Cut at a line that starts a run (not inside a multi-line block).
    let cut = lines
        .iter()
        .position(|l| l.contains("|pprogram|IMTS-2022-4B-mm"))
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = Arc::new(AtomicBool::new(false));
    let pings = Arc::new(AtomicUsize::new(0));
    let connections = Arc::new(AtomicUsize::new(1));
    let server = {
        let (stop, pings, connections) = (stop.clone(), pings.clone(), connections.clone());
        let first: String = lines[..cut].iter().map(|l| format!("{l}\n")).collect();
        let rest: String = lines[cut..].iter().map(|l| format!("{l}\n")).collect();
        std::thread::spawn(move || {
            // The first connection: half the file, then the adapter goes away.
            let (stream, _) = listener.accept().unwrap();
            let mut writer = stream.try_clone().unwrap();
            let mut reader = BufReader::new(stream);
            handshake(&mut reader, &mut writer);
            writer.write_all(first.as_bytes()).unwrap();
            drop((reader, writer));
            // The next: the rest, a line without a timestamp, two heartbeats answered, then
            // silence: the agent must drop it after twice the heartbeat and connect again.
            let (stream, _) = listener.accept().unwrap();
            connections.fetch_add(1, Ordering::SeqCst);
            stream
                .set_read_timeout(Some(Duration::from_millis(200)))
                .unwrap();
            let mut writer = stream.try_clone().unwrap();
            let mut reader = BufReader::new(stream);
            handshake(&mut reader, &mut writer);
            writer.write_all(rest.as_bytes()).unwrap();
            writer.write_all(format!("{BROKEN}\n").as_bytes()).unwrap();
            let answer_pings =
                |reader: &mut BufReader<TcpStream>, writer: &mut TcpStream, most: usize| {
                    let mut line = String::new();
                    let mut answered = 0;
                    while !stop.load(Ordering::SeqCst) && answered < most {
                        line.clear();
                        match reader.read_line(&mut line) {
                            Ok(0) => break,
                            Ok(_) if line.trim_end() == "* PING" => {
                                pings.fetch_add(1, Ordering::SeqCst);
                                answered += 1;
                                writer.write_all(b"* PONG 1000\n").unwrap();
                            }
                            _ => {}
                        }
                    }
                };
            answer_pings(&mut reader, &mut writer, 2);
            let silent = (reader, writer);
            // The third connection: heartbeats until the test stops.
            let (stream, _) = listener.accept().unwrap();
            connections.fetch_add(1, Ordering::SeqCst);
            drop(silent);
            stream
                .set_read_timeout(Some(Duration::from_millis(200)))
                .unwrap();
            let mut writer = stream.try_clone().unwrap();
            let mut reader = BufReader::new(stream);
            handshake(&mut reader, &mut writer);
            answer_pings(&mut reader, &mut writer, usize::MAX);
        })
    };

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("line.toml"),
        format!("[connections.okuma_adapter]\nhost = \"127.0.0.1\"\nport = {port}\nreconnect_interval = \"200ms\"\n"),
    )
    .unwrap();
    let expected = recording::observations(&recording::path(), KEYS);
    assert!(expected.len() > 2000, "{}", expected.len());
    let out = dir.path().join("out/observations.jsonl");
    let service = Service::start(&binary, dir.path());
    let count = || {
        std::fs::read_to_string(&out)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    wait_for_count("observations", expected.len(), count);
    // Heartbeats: the agent pings every second once the adapter said `* PONG 1000`; an adapter
    // that falls silent is dropped after two seconds and connected again.
    wait_for_count("pings", 2, || pings.load(Ordering::SeqCst));
    wait_for_count("connections", 3, || connections.load(Ordering::SeqCst));
    let (code, summary) = service.stop();
    stop.store(true, Ordering::SeqCst);
    server.join().unwrap();
    assert_eq!(code, 0, "{summary}");
    support::assert_balanced(&summary);

    let written = read_jsonl(&out);
    eprintln!(
        "adapter: {} observations of {} data items over 3 connections",
        written.len(),
        KEYS.len()
    );
    let got: Vec<_> = written
        .iter()
        .map(|w| {
            (
                w["data_item"].as_str().unwrap().to_string(),
                instant(w["timestamp"].as_str().unwrap()),
                w["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<_> = expected
        .iter()
        .map(|o| (o.key.clone(), instant(&o.timestamp), o.value.clone()))
        .collect();
    assert_eq!(got.len(), want.len(), "each observation once");
    assert_eq!(got, want);
    assert!(written
        .iter()
        .filter(|w| w["value"] == "UNAVAILABLE")
        .all(|w| w["quality"] == "BAD"));
    let dead_letter = summary["dead_letter"]["path"].as_str().unwrap();
    let dead = read_jsonl(std::path::Path::new(dead_letter));
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0]["record"], BROKEN);
}
