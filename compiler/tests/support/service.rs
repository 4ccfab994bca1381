//! A generated program run as a service by a test: started with a config file, watched through
//! its logs, stopped with signals.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running program and the lines it writes to stderr.
pub struct Service {
    child: Child,
    logs: mpsc::Receiver<String>,
    metrics_address: Option<SocketAddr>,
}

impl Service {
    /// Starts `binary` with `dir` as its base folder and `dir/line.toml` as its config file.
    pub fn start(binary: &Path, dir: &Path) -> Service {
        Service::start_in(binary, dir, dir)
    }

    /// Starts `binary` with `settings/line.toml` as its config file, reading its inputs from
    /// `inputs` and writing its dead letter to `settings`.
    pub fn start_in(binary: &Path, settings: &Path, inputs: &Path) -> Service {
        Service::start_with(binary, settings, inputs, "100ms", &[])
    }

    /// As [`Service::start_in`], checkpointing every `interval` (a quiet source's records wait
    /// that long for their acknowledgement, and so the broker's in-flight window fills).
    pub fn start_checkpointing(
        binary: &Path,
        settings: &Path,
        inputs: &Path,
        interval: &str,
    ) -> Service {
        Service::start_with(binary, settings, inputs, interval, &[])
    }

    /// [`Service::start`] with more options of the program (`--retry-targets-for 5m`).
    pub fn start_with_options(binary: &Path, dir: &Path, options: &[&str]) -> Service {
        Service::start_with(binary, dir, dir, "100ms", options)
    }

    /// [`Service::start`], serving metrics on a free port of 127.0.0.1 (see [`Service::metrics`]).
    pub fn start_serving_metrics(binary: &Path, dir: &Path) -> Service {
        // The address is logged before any source connects, so no later line is passed over.
        let mut service = Service::start_with(
            binary,
            dir,
            dir,
            "100ms",
            &["--metrics-listen", "127.0.0.1:0"],
        );
        let line = service.wait_for_log("serving metrics at");
        // The log's text form ends in `address=HOST:PORT`.
        let address = line
            .split_whitespace()
            .find_map(|field| field.strip_prefix("address="))
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line}"));
        service.metrics_address = Some(address);
        service
    }

    /// The value of the sample `series` (name and labels exactly as exposed, e.g.
    /// `fdi_source_records_read_total{source="mill"}`) at the metrics endpoint now.
    pub fn metric(&self, series: &str) -> f64 {
        self.metric_sample(series)
            .unwrap_or_else(|text| panic!("no sample {series} in\n{text}"))
    }

    /// [`Service::metric`], or the whole exposition when it has no such sample (yet: a
    /// source's series appear once the source is opened).
    pub fn metric_sample(&self, series: &str) -> Result<f64, String> {
        let address = self
            .metrics_address
            .expect("start the service with start_serving_metrics");
        let (status, text) =
            super::http_get(address, "/metrics").unwrap_or_else(|e| panic!("GET /metrics: {e}"));
        assert_eq!(status, 200, "{text}");
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .and_then(|value| value.trim().parse().ok())
            .ok_or(text)
    }

    /// `GET /healthz` of a service started with [`Service::start_serving_metrics`]: the status
    /// and the body.
    pub fn health(&self) -> (u16, String) {
        let address = self
            .metrics_address
            .expect("start the service with start_serving_metrics");
        super::http_get(address, "/healthz").unwrap_or_else(|e| panic!("GET /healthz: {e}"))
    }

    fn start_with(
        binary: &Path,
        settings: &Path,
        inputs: &Path,
        checkpoint_interval: &str,
        extra: &[&str],
    ) -> Service {
        let mut child = Command::new(binary)
            .args(["--base-dir", inputs.to_str().unwrap()])
            .args(["--config", settings.join("line.toml").to_str().unwrap()])
            .args([
                "--dead-letter",
                settings.join("dead-letter.jsonl").to_str().unwrap(),
            ])
            // The store-and-forward queues of queued targets go beside the dead letter, not into the
            // inputs' folder (a test program's folder in the repository).
            .args(["--queue-dir", settings.join("queue").to_str().unwrap()])
            .args([
                "--checkpoint-interval",
                checkpoint_interval,
                "--format",
                "json",
            ])
            .args(extra)
            .env("FDI_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the generated program");
        let stderr = child.stderr.take().unwrap();
        let (lines, logs) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        Service {
            child,
            logs,
            metrics_address: None,
        }
    }

    /// Waits until the program logs that its subscription is in place.
    pub fn wait_subscribed(&self) {
        self.wait_for_log("subscribed");
    }

    /// Waits until each of the program's `sources` MQTT sources has its subscription in place.
    pub fn wait_all_subscribed(&self, sources: usize) {
        self.wait_for_logs("subscribed", sources);
    }

    /// Waits until the program logs a line containing `text`, and returns it; the lines before it
    /// are passed over.
    pub fn wait_for_log(&self, text: &str) -> String {
        self.wait_for_logs(text, 1)
    }

    /// Waits until the program has logged `count` lines containing `text`, and returns the last.
    pub fn wait_for_logs(&self, text: &str, count: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = 0;
        // The program's own last lines passed over (not its libraries'), to show why when it
        // ended first.
        let mut last = std::collections::VecDeque::new();
        while Instant::now() < deadline {
            match self.logs.recv_timeout(Duration::from_millis(200)) {
                Ok(line) if line.contains(text) => {
                    seen += 1;
                    if seen == count {
                        return line;
                    }
                }
                Ok(line) => {
                    if line.contains(" fdi") {
                        if last.len() == 20 {
                            last.pop_front();
                        }
                        last.push_back(line);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let lines: Vec<String> = last.into();
                    panic!(
                        "the program ended after logging {text:?} {seen} times, not {count}; its last lines:\n{}",
                        lines.join("\n")
                    );
                }
            }
        }
        panic!("the program logged {text:?} {seen} times, not {count}, within 60 s");
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) with the pid of our own child process.
        let sent = unsafe { libc::kill(self.child.id() as i32, signal) };
        assert_eq!(sent, 0, "kill({signal}) failed");
    }

    /// SIGTERM, then the exit code and the summary, within the shutdown timeout.
    pub fn stop(mut self) -> (i32, serde_json::Value) {
        self.signal(libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut stdout = String::new();
                std::io::Read::read_to_string(self.child.stdout.as_mut().unwrap(), &mut stdout)
                    .unwrap();
                let summary = serde_json::from_str(&stdout)
                    .unwrap_or_else(|e| panic!("summary is not JSON ({e}): {stdout}"));
                return (status.code().unwrap_or(-1), summary);
            }
            assert!(
                Instant::now() < deadline,
                "the program did not stop within 40 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Store and forward: [`Service::start_in`] with more options of the program
    /// (`--queue-max-bytes N`); its queues are in `settings/queue`.
    pub fn start_in_with_options(
        binary: &Path,
        settings: &Path,
        inputs: &Path,
        options: &[&str],
    ) -> Service {
        Service::start_with(binary, settings, inputs, "100ms", options)
    }

    /// Store and forward: the program's resident memory now and its peak (`VmRSS`, `VmHWM` of
    /// `/proc/PID/status`), in KiB.
    pub fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the program's /proc status");
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or_else(|| panic!("no {name} in the program's /proc status"))
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    pub fn kill(mut self) {
        self.signal(libc::SIGKILL);
        self.child.wait().unwrap();
    }
}

/// The reading a machine publishes as message `seq` (1-based), and its JSON.
pub fn reading(seq: u64) -> (String, u64, f64) {
    let machine = format!("M{}", seq % 3 + 1);
    // Exact in binary, so the doubled value compares exactly.
    let value = (seq % 1000) as f64 * 0.25;
    (machine, seq, value)
}

pub fn payload(seq: u64) -> Vec<u8> {
    let (machine, seq, value) = reading(seq);
    format!(r#"{{"machine":"{machine}","seq":{seq},"value":{value}}}"#).into_bytes()
}

/// A test that fails leaves no program running: it would hold its ports, files and binary.
impl Drop for Service {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits up to 120 s until `count()` reaches `at_least` (rows in a table the service writes).
pub fn wait_for_count(what: &str, at_least: usize, mut count: impl FnMut() -> usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let now = count();
        if now >= at_least {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{now} {what} after 120 s, fewer than {at_least}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Builds the test program `tests/programs/NAME/NAME.fdi` and keeps its binary in the target
/// directory the tests share, as `NAME-under-test`, so it outlives the crate's scratch folder.
pub fn build_test_program(name: &str) -> std::path::PathBuf {
    let mapping = super::workspace_root().join(format!("tests/programs/{name}/{name}.fdi"));
    let scratch = tempfile::tempdir().unwrap();
    let binary = super::build(&mapping, &scratch.path().join("crate"));
    let kept = super::shared_target_dir().join(format!("{name}-under-test"));
    std::fs::copy(&binary, &kept).unwrap();
    kept
}

/// The `[connections.NAME]` table of deployment settings for a test broker: loopback, its port,
/// a fixed client id.
pub fn broker_settings(name: &str, broker: &fdi_peers::Mosquitto, client_id: &str) -> String {
    format!(
        "[connections.{name}]\nhost = \"127.0.0.1\"\nport = {}\nclient_id = \"{client_id}\"\n",
        broker.port()
    )
}

/// The `[connections.NAME]` table of deployment settings for a test database (no TLS: loopback).
pub fn database_settings(name: &str, database: &fdi_peers::Postgres) -> String {
    format!(
        "[connections.{name}]\nhost = \"127.0.0.1\"\nport = {}\nusername = \"{}\"\ndatabase = \"{}\"\ntls = \"disable\"\n",
        database.port(),
        database.user(),
        database.database()
    )
}

/// Runs `psql` on a test database with `args` (`-c SQL`, `-f FILE`), stopping at the first error,
/// which fails the test with PostgreSQL's message.
pub fn psql<S: AsRef<std::ffi::OsStr>>(database: &fdi_peers::Postgres, args: &[S]) {
    let output = Command::new("psql")
        .arg(database.connection_string())
        .args(["-v", "ON_ERROR_STOP=1", "-q"])
        .args(args)
        .output()
        .expect("psql (install it with tests/peers/install)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The rows `sql` selects from `database`, each as its columns joined by `|`; none while psql
/// fails (a table the program has not created yet).
pub fn psql_rows(database: &fdi_peers::Postgres, sql: &str) -> Vec<String> {
    let output = Command::new("psql")
        .arg(database.connection_string())
        .args(["-At", "-F", "|", "-c", sql])
        .output()
        .expect("psql (install it with tests/peers/install)");
    if !output.status.success() {
        return Vec::new();
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// The rows of `table` in `database`; 0 while it does not exist.
pub fn psql_count(database: &fdi_peers::Postgres, table: &str) -> usize {
    psql_rows(database, &format!("SELECT count(*) FROM {table}"))
        .first()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The rows `query` selects from the SQLite database a service writes, each made by `row`; none
/// while the file or its table does not exist yet.
pub fn sqlite_rows<T>(
    database: &Path,
    query: &str,
    row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Vec<T> {
    if !database.exists() {
        return Vec::new();
    }
    let connection = rusqlite::Connection::open(database).unwrap();
    let Ok(mut statement) = connection.prepare(query) else {
        return Vec::new();
    };
    statement
        .query_map([], row)
        .unwrap()
        .map(Result::unwrap)
        .collect()
}
