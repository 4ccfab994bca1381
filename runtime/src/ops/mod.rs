//! Operations: what a generated program shows the people who run it, beside its summary.
//!
//! - [`metrics`]: Prometheus metrics of sources, flows and targets, published by the run thread into atomics;
//! - [`http`]: `/metrics` and `/healthz` on `--metrics-listen ADDR`, on a thread of their own;
//! - [`health`]: which targets are unreachable and since when; unhealthy after `--unhealthy-after`;
//! - retries: a target that fails with a transient error (see [`Durable::is_transient`]) is retried for
//!   `--retry-targets-for` while its records stay buffered, instead of stopping the run at once;
//! - [`logging`]: `tracing` events on stderr, human or JSON;
//! - [`progress`]: a progress bar of the bytes read, on a terminal only.
//!
//! None of it changes what a run writes, its summary or its exit code. The run thread publishes figures with
//! relaxed atomic stores and takes a lock only when a target fails or recovers; a scrape never waits for the run
//! and the run never waits for a scrape.

pub mod duration;
pub mod health;
mod http;
pub mod logging;
pub mod metrics;
pub mod progress;

pub use self::duration::parse_duration;
pub use self::logging::LogFormat;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use self::health::HealthBoard;
use self::metrics::RunMetrics;
use self::progress::Progress;
use crate::error::RunError;
use crate::run::ProgramInfo;
use crate::target::Durable;

/// The operations options of every generated program (flattened into [`crate::cli::Options`]).
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct OpsOptions {
    /// Serve Prometheus metrics at http://ADDR/metrics and health at http://ADDR/healthz, e.g. 127.0.0.1:9464
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,
    /// Keep serving metrics and health after every source is finished, until the program is stopped
    #[arg(long, requires = "metrics_listen")]
    pub serve_after_finish: bool,
    /// /healthz answers 503 once a target has been unreachable this long (e.g. 30s, 5m)
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub unhealthy_after: Duration,
    /// How long to retry a target that is unreachable (e.g. its database is locked) before the run stops with
    /// an error; its records stay buffered meanwhile. 0: stop at the first failure
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = parse_duration)]
    pub retry_targets_for: Duration,
    /// Format of the logs on stderr
    #[arg(long, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    /// Which logs to write, as a tracing filter, e.g. info or warn,fdi::reject=info [default: $FDI_LOG, else warn]
    #[arg(long, value_name = "FILTER", value_parser = logging::parse_log_filter)]
    pub log_level: Option<String>,
}

impl Default for OpsOptions {
    fn default() -> Self {
        OpsOptions {
            metrics_listen: None,
            serve_after_finish: false,
            unhealthy_after: Duration::from_secs(60),
            retry_targets_for: Duration::ZERO,
            log_format: LogFormat::Human,
            log_level: None,
        }
    }
}

/// Installs the logger the options ask for (see [`logging`]).
pub fn init_logging(options: &OpsOptions) {
    logging::init(options.log_format, options.log_level.as_deref());
}

/// Reports the error that stopped a run on stderr: `error: ...` for people, a JSON line with
/// `--log-format json` (so that every line on stderr stays JSON). Written directly, not through
/// the logger, so that no log filter (`--log-level fdi::reject=info`) can hide it.
pub fn report_run_error(options: &OpsOptions, error: &RunError) {
    match options.log_format {
        LogFormat::Human => eprintln!("error: {error}"),
        LogFormat::Json => {
            let now = crate::Timestamp::now();
            let event = serde_json::json!({
                "timestamp": now.to_string(),
                "level": "ERROR",
                "target": "fdi::run",
                "message": "the run stopped",
                "error": error.to_string(),
            });
            eprintln!("{event}");
        }
    }
}

/// With `--serve-after-finish`, blocks for as long as the process runs (until a signal stops it), so that
/// metrics and health can still be read; returns at once when nothing is served.
pub fn serve_until_stopped(options: &OpsOptions) {
    use std::io::Write;
    if !options.serve_after_finish || !http::SERVING.load(std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let _ = std::io::stdout().flush();
    tracing::info!(target: "fdi::run", "finished; still serving metrics and health until stopped");
    loop {
        std::thread::park();
    }
}

/// The operations side of one run: metrics series, health board, progress bar, retries.
pub(crate) struct Operations {
    retry_targets_for: Duration,
    health: Arc<HealthBoard>,
    metrics: Option<RunMetrics>,
    progress: Option<Progress>,
    /// Per target (the run's index): its name, and how many records it had taken when last made durable.
    targets: Vec<(String, u64)>,
}

impl Operations {
    /// Starts serving metrics and health when the options ask for it. An address that cannot be bound is an
    /// error of the run ([`RunError::Listen`]), before anything is read.
    pub(crate) fn start(program: &ProgramInfo, options: &OpsOptions) -> Result<Self, RunError> {
        let health = Arc::new(HealthBoard::new(options.unhealthy_after));
        let metrics = match options.metrics_listen {
            Some(address) => {
                let metrics = RunMetrics::new(program);
                let bound = http::serve(address, metrics.registry(), health.clone())?;
                tracing::info!(
                    target: "fdi::run",
                    address = %bound,
                    "serving metrics at http://{bound}/metrics and health at http://{bound}/healthz"
                );
                Some(metrics)
            }
            None => None,
        };
        Ok(Operations {
            retry_targets_for: options.retry_targets_for,
            health,
            metrics,
            progress: progress::wanted().then(Progress::new),
            targets: Vec::new(),
        })
    }

    /// Whether anything watches the run's figures (metrics served or a progress bar drawn).
    pub(crate) fn observed(&self) -> bool {
        self.metrics.is_some() || self.progress.is_some()
    }

    pub(crate) fn metrics(&self) -> Option<&RunMetrics> {
        self.metrics.as_ref()
    }

    pub(crate) fn metrics_mut(&mut self) -> Option<&mut RunMetrics> {
        self.metrics.as_mut()
    }

    pub(crate) fn progress(&mut self) -> Option<&mut Progress> {
        self.progress.as_mut()
    }

    /// The health board, for a source that reports its peer's reachability itself (a polled
    /// Modbus device: `modbus/source.rs`).
    #[cfg(feature = "modbus")]
    pub(crate) fn health(&self) -> Arc<HealthBoard> {
        self.health.clone()
    }

    pub(crate) fn add_source(&mut self, name: &str) {
        if let Some(metrics) = &mut self.metrics {
            metrics.add_source(name);
        }
    }

    pub(crate) fn add_flow(&mut self, name: &str) {
        if let Some(metrics) = &mut self.metrics {
            metrics.add_flow(name);
        }
    }

    pub(crate) fn add_target(&mut self, name: &str) {
        self.health.register(name);
        self.targets.push((name.to_string(), 0));
        if let Some(metrics) = &mut self.metrics {
            metrics.add_target(name);
        }
    }

    /// Records taken by target `index` that are not durable yet, given that it has taken `written`.
    pub(crate) fn queue_depth(&self, index: usize, written: u64) -> u64 {
        self.targets
            .get(index)
            .map_or(0, |(_, durable)| written.saturating_sub(*durable))
    }

    /// Target `name` was made durable (or handed over) with `written` records taken.
    pub(crate) fn flushed(&mut self, name: &str, written: u64) {
        let Some(index) = self.target(name) else {
            return;
        };
        self.targets[index].1 = written;
        if let Some(metrics) = &self.metrics {
            metrics.target_flushed(index, SystemTime::now());
            metrics.publish_target(index, written, 0);
        }
    }

    /// Store and forward: the queue of a queued target, shown by health (unhealthy once its oldest record is
    /// `unhealthy_age` old; backpressured while full) and the metrics.
    pub(crate) fn add_queue(&mut self, queue: Arc<crate::queue::Shared>, unhealthy_age: Duration) {
        self.health.watch_queue(queue.clone(), unhealthy_age);
        if let Some(metrics) = &self.metrics {
            metrics.watch_queue(queue);
        }
    }

    /// The run's index of target `name`.
    pub(crate) fn target(&self, name: &str) -> Option<usize> {
        self.targets.iter().position(|(n, _)| n == name)
    }

    /// After `target` failed with `first`: if the error is transient, marks the target unreachable and calls
    /// `attempt` again, with pauses from 100 ms doubling to 5 s, until it succeeds (the target is reachable
    /// again), fails with an error that is not transient, or `--retry-targets-for` has passed; the last two
    /// return the error, which stops the run as before. Nothing is lost meanwhile: the record being written and
    /// everything buffered stay where they are.
    pub(crate) fn with_retries<W: Durable + ?Sized, R>(
        &mut self,
        target: &mut W,
        first: RunError,
        mut attempt: impl FnMut(&mut W) -> Result<R, RunError>,
    ) -> Result<R, RunError> {
        if !target.is_transient(&first) {
            return Err(first);
        }
        let name = target.name().to_string();
        let index = self.target(&name);
        let since = self.health.failed(&name, &first.to_string());
        if let (Some(metrics), Some(index)) = (&self.metrics, index) {
            metrics.target_unreachable_since(index, Some(since));
        }
        let started = Instant::now();
        let mut pause = Duration::from_millis(100);
        let mut error = first;
        loop {
            let elapsed = started.elapsed();
            if elapsed >= self.retry_targets_for {
                tracing::error!(
                    target: "fdi::target",
                    target_name = %name,
                    error = %error,
                    retried_for_seconds = elapsed.as_secs_f64(),
                    "target unreachable; the run stops (--retry-targets-for has passed)"
                );
                return Err(error);
            }
            let pause_now = pause.min(self.retry_targets_for - elapsed);
            tracing::warn!(
                target: "fdi::target",
                target_name = %name,
                error = %error,
                retry_in_ms = pause_now.as_millis() as u64,
                "target unreachable; its records stay buffered, retrying"
            );
            std::thread::sleep(pause_now);
            pause = (pause * 2).min(Duration::from_secs(5));
            match attempt(target) {
                Ok(value) => {
                    self.health.recovered(&name);
                    if let (Some(metrics), Some(index)) = (&self.metrics, index) {
                        metrics.target_unreachable_since(index, None);
                    }
                    tracing::info!(
                        target: "fdi::target",
                        target_name = %name,
                        unreachable_for_seconds = SystemTime::now().duration_since(since).unwrap_or_default().as_secs_f64(),
                        "target reachable again"
                    );
                    return Ok(value);
                }
                Err(e) if target.is_transient(&e) => {
                    self.health.failed(&name, &e.to_string());
                    error = e;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod retry_tests;
