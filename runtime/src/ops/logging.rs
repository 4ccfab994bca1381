//! Logs on standard error through `tracing`: human-readable lines by default, one JSON object per line with
//! `--log-format json`. Which events are written is a `tracing` filter: `--log-level`, else the `FDI_LOG`
//! environment variable, else `warn`.
//!
//! Events (their `target` is the first column of a human line, `"target"` in JSON):
//! - `fdi::reject` (info): one per dead-lettered record, with `flow` (absent for decode rejects, which concern
//!   every flow of the source), `stage`, `source`, `position`, `reason` and `detail`;
//! - `fdi::target` (warn when a target fails and is retried, error when the run gives up on it, info when it
//!   recovers), with `target_name` and `error`;
//! - `fdi::run` (info: start, the endpoint's address, the end with its counts; error: the error that stopped
//!   the run, in JSON format only, since the human format prints it as `error: ...` already).

use tracing_subscriber::EnvFilter;

/// Formats of the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// One line per event for people (and journald).
    #[default]
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The environment variable read when `--log-level` is not given.
pub const LOG_ENV: &str = "FDI_LOG";

/// The filter when neither `--log-level` nor `FDI_LOG` says otherwise.
pub const DEFAULT_LOG_FILTER: &str = "warn";

/// Checks a `--log-level` filter on the command line.
pub fn parse_log_filter(text: &str) -> Result<String, String> {
    EnvFilter::builder()
        .parse(text)
        .map(|_| text.to_string())
        .map_err(|e| {
            format!("{text:?} is not a log filter ({e}); e.g. info, warn, or warn,fdi::reject=info")
        })
}

/// Installs the logger of this process. A second call (tests run several programs in one process) keeps the
/// first logger.
pub fn init(format: LogFormat, filter: Option<&str>) {
    let from_env = std::env::var(LOG_ENV).ok();
    let directives = filter
        .map(str::to_string)
        .or(from_env)
        .unwrap_or_else(|| DEFAULT_LOG_FILTER.to_string());
    let filter = EnvFilter::builder().parse(&directives).unwrap_or_else(|e| {
        eprintln!(
            "warning: {LOG_ENV}={directives:?} is not a log filter ({e}); logging warnings only"
        );
        EnvFilter::new(DEFAULT_LOG_FILTER)
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_checked() {
        assert!(parse_log_filter("info").is_ok());
        assert!(parse_log_filter("warn,fdi::reject=info").is_ok());
        assert!(parse_log_filter("fdi::reject=loud").is_err());
    }
}
