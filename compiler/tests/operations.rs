//! Operations of a built program, run as a process and watched from outside as an operator would: metrics and
//! health scraped over HTTP on loopback, JSON logs read from stderr, a real target failure (an SQLite database
//! locked by another connection), and no progress-bar control characters when stderr is not a terminal.

mod support;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::*;

/// The mill example's program, built once for every test here; each test runs it on its own copy of the example
/// (`--base-dir`).
fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let dir = workspace_root().join("target/fdi-test-operations");
        let _ = std::fs::remove_dir_all(&dir);
        let example = dir.join("mill-to-mes");
        copy_dir(&workspace_root().join("examples/mill-to-mes"), &example);
        build(&example.join("mill_to_mes.fdi"), &dir.join("crate"))
    })
}

fn example_copy(dir: &Path) -> PathBuf {
    let example = dir.join("mill-to-mes");
    copy_dir(&workspace_root().join("examples/mill-to-mes"), &example);
    example
}

/// Rewrites the example's input so that one row fails to decode (cut short) and one fails the `phase` flow's
/// map stage (a program number that is not whole). Returns their positions: (decode, map).
fn add_rejects(example: &Path) -> (u64, u64) {
    let path = example.join("data/experiment_01.csv");
    let mut reader = csv::Reader::from_path(&path).expect("read input");
    let headers = reader.headers().expect("headers").clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    let program = headers
        .iter()
        .position(|h| h == "M1_CURRENT_PROGRAM_NUMBER")
        .expect("column");
    let process = headers
        .iter()
        .position(|h| h == "Machining_Process")
        .expect("column");
    let map_reject = (10..rows.len())
        .find(|&i| &rows[i][process] != "Repositioning")
        .expect("a row the phase flow maps");
    let decode_reject = map_reject + 7;
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_path(&path)
        .expect("write input");
    writer.write_record(&headers).expect("header");
    for (i, row) in rows.iter().enumerate() {
        let mut row: Vec<String> = row.iter().map(str::to_string).collect();
        if i == map_reject {
            row[program] = "1.5".to_string();
        }
        if i == decode_reject {
            row.truncate(3);
        }
        writer.write_record(&row).expect("row");
    }
    writer.flush().expect("flush input");
    // Positions count data rows from 1.
    (decode_reject as u64 + 1, map_reject as u64 + 1)
}

/// A running program whose stdout and stderr lines arrive on channels; killed when dropped.
struct Running {
    child: Child,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    stderr_lines: Vec<String>,
}

impl Running {
    fn start(example: &Path, args: &[&str]) -> Running {
        let mut child = Command::new(binary())
            .arg("--base-dir")
            .arg(example)
            .args(["--format", "json", "--log-format", "json"])
            .args(args)
            .env("FDI_LOG", "info")
            .env_remove("CI")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the program");
        let lines = |stream: Box<dyn std::io::Read + Send>| {
            let (send, receive) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    if send.send(line).is_err() {
                        break;
                    }
                }
            });
            receive
        };
        let stdout = lines(Box::new(child.stdout.take().expect("stdout")));
        let stderr = lines(Box::new(child.stderr.take().expect("stderr")));
        Running {
            child,
            stdout,
            stderr,
            stderr_lines: Vec::new(),
        }
    }

    /// The first log line (JSON) for which `wanted` holds, waiting up to a minute.
    fn log_line(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        if let Some(found) = self.parsed_logs().into_iter().find(|l| wanted(l)) {
            return found;
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) => {
                    self.stderr_lines.push(line.clone());
                    let value: Value = serde_json::from_str(&line)
                        .unwrap_or_else(|e| panic!("a log line is not JSON ({e}): {line}"));
                    if wanted(&value) {
                        return value;
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!(
                    "no such log line in a minute; so far:\n{}",
                    self.stderr_lines.join("\n")
                ),
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "the program ended without such a log line:\n{}",
                    self.stderr_lines.join("\n")
                ),
            }
        }
    }

    /// Every log line so far (and any waiting), each parsed as JSON: a line that is not JSON fails the test.
    fn parsed_logs(&mut self) -> Vec<Value> {
        while let Ok(line) = self.stderr.try_recv() {
            self.stderr_lines.push(line);
        }
        self.stderr_lines
            .iter()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("a log line is not JSON ({e}): {line}"))
            })
            .collect()
    }

    /// The address the program serves metrics on, from its log (it was started with port 0).
    fn address(&mut self) -> SocketAddr {
        let line = self.log_line(|l| l["address"].is_string());
        line["address"]
            .as_str()
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line}"))
    }

    /// The run summary: the first line on stdout, printed when every source is finished.
    fn summary(&mut self, within: Duration) -> Value {
        let line = self.stdout.recv_timeout(within).unwrap_or_else(|e| {
            panic!(
                "no summary ({e}); stderr:\n{}",
                self.stderr_lines.join("\n")
            )
        });
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("summary is not JSON ({e}): {line}"))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Calls `probe` every 100 ms until it gives a value, for at most `timeout`.
fn poll<T>(timeout: Duration, what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The value of the sample `series` (name and labels exactly as exposed) in an OpenMetrics text.
fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no sample {series} in\n{metrics}"))
}

fn get(address: SocketAddr, path: &str) -> (u16, String) {
    http_get(address, path).unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

#[test]
fn metrics_over_http_agree_with_the_summary_and_logs_are_json_with_flow_and_position() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let example = example_copy(tmp.path());
    let (decode_position, map_position) = add_rejects(&example);
    let mut program = Running::start(
        &example,
        &["--metrics-listen", "127.0.0.1:0", "--serve-after-finish"],
    );
    let address = program.address();
    assert!(address.ip().is_loopback());
    let summary = program.summary(Duration::from_secs(120));
    assert_eq!(summary["ok"], true, "{summary}");
    assert_balanced(&summary);

    // The summary is printed once every source is finished: the metrics are final now.
    let (status, metrics) = get(address, "/metrics");
    assert_eq!(status, 200, "{metrics}");
    assert_eq!(
        sample(&metrics, r#"fdi_source_records_read_total{source="mill"}"#),
        summary["sources"][0]["read"].as_f64().unwrap()
    );
    assert_eq!(
        sample(&metrics, r#"fdi_source_finished{source="mill"}"#),
        1.0
    );
    assert_eq!(
        sample(&metrics, r#"fdi_source_lag_bytes{source="mill"}"#),
        0.0
    );
    let input_size = std::fs::metadata(example.join("data/experiment_01.csv"))
        .unwrap()
        .len();
    assert_eq!(
        sample(&metrics, r#"fdi_source_read_bytes{source="mill"}"#),
        input_size as f64
    );
    for name in ["spindle", "phase"] {
        let f = flow(&summary, name);
        let m = |kind: &str| {
            sample(
                &metrics,
                &format!(r#"fdi_flow_records_{kind}_total{{flow="{name}"}}"#),
            )
        };
        let rejected = |stage: &str| {
            sample(
                &metrics,
                &format!(r#"fdi_flow_records_rejected_total{{flow="{name}",stage="{stage}"}}"#),
            )
        };
        let all_rejected = rejected("decode") + rejected("map") + rejected("write");
        assert_eq!(m("read"), f["read"].as_f64().unwrap(), "{name}");
        assert_eq!(m("written"), f["written"].as_f64().unwrap(), "{name}");
        assert_eq!(m("filtered"), f["filtered"].as_f64().unwrap(), "{name}");
        assert_eq!(all_rejected, f["rejected"].as_f64().unwrap(), "{name}");
        assert_eq!(
            m("read"),
            m("written") + all_rejected + m("filtered"),
            "{name}"
        );
        assert_eq!(rejected("decode"), 1.0, "{name}");
        // By reason: the same counts as the summary's, series by series.
        let by_reason = |reason: &str| -> f64 {
            metrics
                .lines()
                .filter(|l| l.starts_with("fdi_flow_records_rejected_by_reason_total{"))
                .filter(|l| {
                    l.contains(&format!(r#"flow="{name}""#))
                        && l.contains(&format!(r#"reason="{reason}""#))
                })
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .sum()
        };
        let reasons = f["reasons"].as_object().expect("reasons");
        assert!(!reasons.is_empty(), "{name} has rejects to count");
        for (reason, count) in reasons {
            assert_eq!(
                by_reason(reason),
                count.as_f64().unwrap(),
                "{name}: {reason}"
            );
        }
    }
    assert_eq!(
        sample(
            &metrics,
            r#"fdi_flow_records_rejected_total{flow="phase",stage="map"}"#
        ),
        1.0
    );
    for target in ["history", "states"] {
        assert_eq!(
            sample(
                &metrics,
                &format!(r#"fdi_target_queue_depth{{target="{target}"}}"#)
            ),
            0.0
        );
        assert!(
            sample(
                &metrics,
                &format!(r#"fdi_target_last_flush_timestamp_seconds{{target="{target}"}}"#)
            ) > 1.6e9
        );
    }
    assert_eq!(
        sample(&metrics, "fdi_dead_letter_records_total"),
        summary["dead_letter"]["records"].as_f64().unwrap()
    );
    let (status, health) = get(address, "/healthz");
    assert_eq!(
        (status, health.contains(r#""status":"ok""#)),
        (200, true),
        "{health}"
    );
    assert_eq!(get(address, "/nothing-here").0, 404);

    // Logs: every line on stderr is JSON; each reject carries its flow (none for a decode reject, which
    // concerns every flow), stage, source and position.
    let map_reject = program.log_line(|l| l["target"] == "fdi::reject" && l["stage"] == "map");
    assert_eq!(map_reject["flow"], "phase", "{map_reject}");
    assert_eq!(map_reject["position"], map_position, "{map_reject}");
    assert_eq!(map_reject["source"], "mill");
    assert_eq!(map_reject["reason"], "program number is not a whole number");
    assert_eq!(map_reject["level"], "INFO");
    let decode_reject =
        program.log_line(|l| l["target"] == "fdi::reject" && l["stage"] == "decode");
    assert_eq!(
        decode_reject["position"], decode_position,
        "{decode_reject}"
    );
    assert!(decode_reject.get("flow").is_none(), "{decode_reject}");
    let logs = program.parsed_logs();
    assert!(logs
        .iter()
        .all(|l| l["timestamp"].is_string() && l["level"].is_string()));
}

#[test]
fn health_turns_503_while_a_target_is_locked_and_200_once_it_is_free() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let example = example_copy(tmp.path());
    let base = example.to_str().unwrap();
    // A first run creates the database and its table.
    let (code, first) = run_json(binary(), &["--base-dir", base]);
    assert_eq!(code, 0, "{first}");

    // Another program holds the database's write lock.
    let database = example.join("out/line.db");
    let holder = rusqlite::Connection::open(&database).expect("open the database");
    holder
        .execute_batch("BEGIN IMMEDIATE")
        .expect("take the write lock");

    let mut program = Running::start(
        &example,
        &[
            "--metrics-listen",
            "127.0.0.1:0",
            "--serve-after-finish",
            "--unhealthy-after",
            "1s",
            "--retry-targets-for",
            "5m",
        ],
    );
    let address = program.address();
    let unhealthy = poll(Duration::from_secs(60), "/healthz to answer 503", || {
        let (status, body) = get(address, "/healthz");
        (status == 503).then_some(body)
    });
    let verdict: Value = serde_json::from_str(&unhealthy).expect("health body is JSON");
    assert_eq!(verdict["status"], "unhealthy");
    assert_eq!(verdict["unreachable"][0]["target"], "history", "{verdict}");
    assert!(
        verdict["unreachable"][0]["error"]
            .as_str()
            .unwrap_or("")
            .contains("locked"),
        "{verdict}"
    );
    let (_, metrics) = get(address, "/metrics");
    assert!(
        sample(
            &metrics,
            r#"fdi_target_unreachable_since_timestamp_seconds{target="history"}"#
        ) > 1.6e9
    );
    let retrying = program.log_line(|l| l["target"] == "fdi::target" && l["level"] == "WARN");
    assert_eq!(retrying["target_name"], "history", "{retrying}");

    // The lock is released: the program goes on, loses nothing, and is healthy again.
    holder.execute_batch("COMMIT").expect("release the lock");
    drop(holder);
    let summary = program.summary(Duration::from_secs(120));
    assert_eq!(summary["ok"], true, "{summary}");
    assert_balanced(&summary);
    assert_eq!(flow(&summary, "spindle")["written"], 1055);
    let (status, body) = get(address, "/healthz");
    assert_eq!(status, 200, "{body}");
    let (_, metrics) = get(address, "/metrics");
    assert_eq!(
        sample(
            &metrics,
            r#"fdi_target_unreachable_since_timestamp_seconds{target="history"}"#
        ),
        0.0
    );
    program.log_line(|l| l["target"] == "fdi::target" && l["level"] == "INFO");
    let rows: i64 = rusqlite::Connection::open(&database)
        .and_then(|c| c.query_row("SELECT count(*) FROM spindle_history", [], |r| r.get(0)))
        .expect("count rows");
    assert_eq!(rows, 1055);
}

#[test]
fn a_bad_listen_address_or_a_port_in_use_is_a_clear_error_not_a_panic() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let example = example_copy(tmp.path());
    let base = example.to_str().unwrap();

    let bad = Command::new(binary())
        .args(["--base-dir", base, "--metrics-listen", "localhost:nine"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--metrics-listen"), "{stderr}");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let address = taken.local_addr().unwrap().to_string();
    let in_use = Command::new(binary())
        .args([
            "--base-dir",
            base,
            "--format",
            "json",
            "--metrics-listen",
            &address,
        ])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&in_use.stderr);
    assert_eq!(in_use.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot serve metrics and health on {address}")),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let summary: Value = serde_json::from_slice(&in_use.stdout).expect("summary");
    assert_eq!(summary["ok"], false);

    // With JSON logs, the error is a JSON line, whatever the log filter lets through.
    let filtered = Command::new(binary())
        .args(["--base-dir", base, "--metrics-listen", &address])
        .args(["--log-format", "json", "--log-level", "fdi::reject=info"])
        .output()
        .expect("run");
    assert_eq!(filtered.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&filtered.stderr);
    let errors: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .filter(|l: &Value| l["level"] == "ERROR")
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains(&format!("cannot serve metrics and health on {address}"))),
        "{stderr}"
    );
    // Nothing was read, so nothing was written: the targets from before are untouched.
    assert!(!example.join("out/line.db").exists());
}

#[test]
fn no_progress_bar_control_characters_when_stderr_is_not_a_terminal() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let example = example_copy(tmp.path());
    let mapping = example.join("mill_to_mes.fdi");
    for command in ["build", "run"] {
        let mut fdi = fdi_building(command);
        fdi.arg(&mapping);
        if command == "build" {
            fdi.arg("-o").arg(tmp.path().join("crate"));
        }
        let output = fdi
            .arg("--debug")
            .env_remove("CI")
            .stderr(Stdio::piped())
            .stdout(Stdio::piped())
            .output()
            .expect("run fdi");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "fdi {command}: {stderr}");
        assert!(
            !stderr.contains('\r') && !stderr.contains('\u{1b}'),
            "fdi {command} drew on a pipe: {stderr:?}"
        );
    }
}
